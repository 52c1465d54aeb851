"""Networks trained elsewhere in the real window: File ▸ Open model… reads the PyTorch-made fixtures,
asks what a state_dict does not say, opens them in the lesson whose data fits, shows the file's
tensors and answers as PyTorch did; a cancelled question or a bad file changes nothing; Export model
writes safetensors / ONNX files that open again with no question."""

import json
from pathlib import Path

import numpy as np
import pytest

from nnviz.model.files.foreign import load_foreign
from nnviz.model.lessons import load_dataset
from nnviz.qt.views import model_questions
from nnviz.qt.views.model_questions import SpecDialog
from PySide6.QtWidgets import QLabel

FIXTURES = Path(__file__).parents[2] / "fixtures" / "foreign"
EXPECTED = np.load(FIXTURES / "expected.npz")
CNN_SPEC = json.loads((FIXTURES / "cnn_spec.json").read_text())
#: fixture -> (expected key and lesson, the question it asks: PyTorch-made safetensors carry no spec)
CASES = {"mlp.pt": ("mlp", "activation"), "mlp.safetensors": ("mlp", "activation"), "mlp.onnx": ("mlp", None),
         "cnn.pt": ("cnn", "spec"), "cnn.safetensors": ("cnn", "spec"), "cnn.onnx": ("cnn", None)}
LESSON = {"mlp": "digits", "cnn": "conv"}


class Questions:
    """The two question functions answered as a learner would (the draft accepted), counting asks."""

    def __init__(self, monkeypatch, activation="relu", accept_draft=True):
        self.asked = []

        def ask_activation(name, tensors, parent=None):
            self.asked.append(("activation", name, tensors))
            return activation

        def ask_spec(name, tensors, draft, check, parent=None):
            self.asked.append(("spec", name, tensors))
            return check(draft) if accept_draft else None

        monkeypatch.setattr(model_questions, "ask_activation", ask_activation)
        monkeypatch.setattr(model_questions, "ask_spec", ask_spec)


def opened(qtbot, win, path, lesson, generation):
    """Wait for the window to show the installed network; its snapshot."""
    qtbot.waitUntil(lambda: win.controller.latest.lesson == lesson and win.controller.latest.generation != generation,
                    timeout=20000)
    win.frames.render_latest()
    return win.controller.latest


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


@pytest.mark.parametrize("name", list(CASES))
def test_each_fixture_opens_shows_its_tensors_and_answers_as_pytorch(qtbot, make_window, monkeypatch, name):
    key, question = CASES[name]
    win = make_window("smile")  # neither lesson: the file picks the one whose data fits
    q = Questions(monkeypatch)
    g0 = win.controller.latest.generation
    win.files.open_model(str(FIXTURES / name))
    snap = opened(qtbot, win, FIXTURES / name, LESSON[key], g0)
    assert [a[0] for a in q.asked] == ([question] if question else [])
    if question:  # the tensors listed for the learner, by name and shape
        assert ("0.weight", (128, 64) if key == "mlp" else (8, 1, 3, 3)) in q.asked[0][2]
    truth = load_foreign(FIXTURES / name, **({"activation": "relu"} if key == "mlp" else {"spec": CNN_SPEC}))
    for a, b in zip(snap.weights, truth.network.weights):
        np.testing.assert_array_equal(a, b)
    if key == "mlp":  # the weight panel draws the file's tensors: the first layer as 8×8 tiles
        shown = win.weight_panel.displayed_weights()
        np.testing.assert_array_equal(shown[0], truth.network.weights[0].reshape(-1, 8, 8))
        for s, w in zip(shown[1:], truth.network.weights[1:]):
            np.testing.assert_array_equal(s, w)
    else:
        conv = [L for L, t in enumerate(snap.layer_types) if t == "conv"]
        np.testing.assert_array_equal(win.weights_stack.kernel_grid.displayed()[conv[0]], truth.network.weights[0])
    data = load_dataset("digits")
    logits = snap.network().forward_full(data.x_test)[0][-1]
    assert np.abs(logits - EXPECTED[f"logits/{key}"]).max() < 1e-4
    for k in (0, 7):  # a test image in the editor: the readout's probabilities are softmax(PyTorch's logits)
        win.pixel_editor.set_image(data.x_test[k].reshape(8, 8))
        win.frames.render_latest()
        p = softmax(EXPECTED[f"logits/{key}"][k].astype(np.float64))
        np.testing.assert_allclose(win.readout.bars.values, p, atol=1e-4)
        assert win.readout.text().startswith(f"{int(np.argmax(p))} —")
    assert win.files.recent()[0] == str(FIXTURES / name)
    assert name in win.statusBar().currentMessage()


@pytest.mark.parametrize("name", ["mlp.pt", "cnn.pt"])
def test_a_cancelled_question_changes_nothing(qtbot, make_window, monkeypatch, name):
    win = make_window("smile")
    q = Questions(monkeypatch, activation=None, accept_draft=False)
    before = win.controller.latest
    win.files.open_model(str(FIXTURES / name))
    qtbot.wait(300)
    assert len(q.asked) == 1
    after = win.controller.latest
    assert (after.lesson, after.generation) == ("smile", before.generation)
    assert win.files.recent() == [] and win.training_panel.message_label.text() == ""


def test_a_corrupt_file_says_so_in_one_line_and_the_model_stays(qtbot, make_window, monkeypatch, tmp_path):
    win = make_window("digits")
    Questions(monkeypatch)
    before = win.controller.latest
    raw = (FIXTURES / "mlp.pt").read_bytes()
    for bad in (tmp_path / "bad.pt", tmp_path / "bad.safetensors", tmp_path / "bad.onnx"):
        bad.write_bytes(raw[:len(raw) // 2] if bad.suffix == ".pt" else b"\x00\xff" * 50)
        win.files.open_model(str(bad))
        message = win.statusBar().currentMessage()
        assert bad.name in message and "\n" not in message, message
        qtbot.wait(100)
        assert (win.controller.latest.lesson, win.controller.latest.generation) == ("digits", before.generation)
    assert win.files.recent() == []


def test_no_lesson_fits_says_so(qtbot, make_window, monkeypatch, tmp_path):
    from nnviz.model.core.network import Network
    from nnviz.model.files.foreign.safetensors_file import save_safetensors

    win = make_window("smile")
    path = save_safetensors(tmp_path / "wide.safetensors", Network([12, 5, 3], seed=1))
    Questions(monkeypatch)
    win.files.open_model(str(path))
    assert "no lesson's data fits" in win.statusBar().currentMessage()
    qtbot.wait(100)
    assert win.controller.latest.lesson == "smile"


@pytest.mark.parametrize("kind", ["safetensors", "onnx"])
def test_export_then_open_again_with_no_question(qtbot, make_window, monkeypatch, tmp_path, kind):
    win = make_window("conv")
    win.controller.step(3)
    qtbot.waitUntil(lambda: win.controller.latest.iteration == 3, timeout=20000)
    snap = win.controller.latest
    path = tmp_path / f"mine.{kind}"
    assert win.exports.export_model(kind, str(path))
    message = win.statusBar().currentMessage()
    assert str(path) in message and (("README" in message) == (kind == "safetensors"))
    q = Questions(monkeypatch)
    other = make_window("digits")
    g0 = other.controller.latest.generation
    other.files.open_model(str(path))
    got = opened(qtbot, other, path, "conv", g0)
    assert q.asked == []
    assert got.spec == snap.spec
    for a, b in zip(got.weights, snap.weights):
        np.testing.assert_array_equal(a, b)


def test_onnx_export_without_the_package_says_how_to_get_it(make_window, monkeypatch, tmp_path):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "onnx" else real(name, *a))
    win = make_window("digits")
    assert not win.exports.export_model("onnx", str(tmp_path / "x.onnx"))
    assert "pip install 'nnviz[onnx]'" in win.statusBar().currentMessage()
    assert not (tmp_path / "x.onnx").exists()


def test_answers_given_beforehand_ask_nothing(qtbot, make_window, monkeypatch):
    """What ``nnviz --model FILE --activation/--spec`` does."""
    win = make_window("smile")
    q = Questions(monkeypatch)
    g0 = win.controller.latest.generation
    win.files.open_model(str(FIXTURES / "cnn.pt"), spec=CNN_SPEC)
    g1 = opened(qtbot, win, FIXTURES / "cnn.pt", "conv", g0).generation
    win.files.open_model(str(FIXTURES / "mlp.pt"), activation="tanh")
    assert opened(qtbot, win, FIXTURES / "mlp.pt", "digits", g1).hidden == "tanh"
    assert q.asked == []


def test_the_cli_passes_the_answers_to_the_app(monkeypatch):
    import nnviz.cli as cli
    import nnviz.qt.app as app

    got = {}
    monkeypatch.setattr(cli, "display_problem", lambda: None)
    monkeypatch.setattr(app, "main", lambda **kw: got.update(kw) or 0)
    assert cli.main(["--model", str(FIXTURES / "cnn.pt"), "--spec", str(FIXTURES / "cnn_spec.json")]) == 0
    assert got["spec"] == CNN_SPEC and got["activation"] is None and got["model"] == FIXTURES / "cnn.pt"
    assert cli.main(["--model", str(FIXTURES / "mlp.pt"), "--activation", "relu"]) == 0
    assert got["activation"] == "relu"
    assert cli.main(["--activation", "relu"]) == cli.EXIT_BAD_INPUT  # nothing to apply it to


def test_the_spec_dialog_keeps_a_bad_spec_open_with_its_error(qtbot):
    path = FIXTURES / "cnn.pt"
    wrong = dict(CNN_SPEC, layers=[dict(CNN_SPEC["layers"][0], padding=0)] + CNN_SPEC["layers"][1:])
    dialog = SpecDialog("cnn.pt", [("0.weight", (8, 1, 3, 3))], wrong, lambda s: load_foreign(path, spec=s))
    qtbot.addWidget(dialog)
    assert json.loads(dialog.edit.toPlainText()) == wrong
    assert not dialog.try_accept()  # padding 0: the dense layer's 128 inputs do not fit
    assert not dialog.error.isHidden() and "cnn.pt" in dialog.error.text() and "\n" not in dialog.error.text()
    dialog.edit.setPlainText("{not json")
    assert not dialog.try_accept() and dialog.error.text().startswith("Not a JSON spec")
    dialog.edit.setPlainText(json.dumps(CNN_SPEC))
    assert dialog.try_accept() and dialog.result.lesson == "conv"


def test_the_real_activation_dialog_lists_the_tensors_and_its_answer_opens_the_file(qtbot, make_window):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    win = make_window("smile")
    g0, seen = win.controller.latest.generation, {}

    def answer():
        dialog = QApplication.activeModalWidget()
        seen["tensors"] = dialog.findChild(object, "tensorList").toPlainText()
        seen["default"] = dialog.choice.currentText()
        dialog.choice.setCurrentText("sigmoid")
        dialog.accept()

    QTimer.singleShot(200, answer)
    win.files.open_model(str(FIXTURES / "mlp.pt"))
    assert opened(qtbot, win, FIXTURES / "mlp.pt", "digits", g0).hidden == "sigmoid"
    assert seen == {"tensors": "0.weight (128, 64)\n2.weight (32, 128)\n4.weight (10, 32)", "default": "relu"}


@pytest.mark.parametrize("name", ["mlp.onnx", "cnn.onnx"])
def test_an_imported_model_trains_on_rewinds_and_saves_like_any_other(qtbot, make_window, tmp_path, name):
    from nnviz.model.files.modelfile import load_model

    win = make_window("smile")
    g0 = win.controller.latest.generation
    win.files.open_model(str(FIXTURES / name))
    snap = opened(qtbot, win, FIXTURES / name, LESSON[CASES[name][0]], g0)
    before = [w.copy() for w in snap.weights]
    win.controller.step(5)
    qtbot.waitUntil(lambda: win.controller.latest.iteration == snap.iteration + 5, timeout=10000)
    assert any(not np.array_equal(a, b) for a, b in zip(before, win.controller.latest.weights))  # it learned
    win.controller.preview(snap.iteration)  # rewind to the file's own weights
    qtbot.waitUntil(lambda: win.controller.latest.iteration == snap.iteration, timeout=10000)
    assert all(np.array_equal(a, b) for a, b in zip(before, win.controller.latest.weights))
    saved = tmp_path / "again.npz"
    win.controller.save_model(str(saved))
    qtbot.waitUntil(saved.exists, timeout=10000)
    assert load_model(saved).network.spec == snap.network().spec


def test_a_dense_stack_of_an_unknown_input_shape_asks_for_the_spec_in_the_window(qtbot, make_window, monkeypatch,
                                                                                 tmp_path):
    """The CLI's message tells it to pass --spec FILE; the window asks for the spec in its dialog
    (a flag means nothing there) and its words say why."""
    from safetensors.numpy import save_file

    rng = np.random.default_rng(0)
    path = tmp_path / "wide.safetensors"
    save_file({"0.weight": rng.standard_normal((5, 100), dtype=np.float32), "0.bias": np.zeros(5, np.float32),
               "2.weight": rng.standard_normal((10, 5), dtype=np.float32), "2.bias": np.zeros(10, np.float32)},
              str(path), metadata={"format": "pt"})
    win = make_window("digits")
    asked = []
    monkeypatch.setattr(model_questions, "ask_spec",
                        lambda name, tensors, draft, check, parent=None: asked.append((name, tensors, draft)))
    win.files.open_model(str(path))
    assert asked == [("wide.safetensors", [("0.weight", (5, 100)), ("2.weight", (10, 5))], None)]
    assert "--spec" not in win.statusBar().currentMessage()
    dialog = SpecDialog("wide.safetensors", asked[0][1], None, lambda s: None)
    qtbot.addWidget(dialog)
    words = " ".join(label.text() for label in dialog.findChildren(QLabel))
    assert "dense layers" in words and "convolution" not in words and "--spec" not in words


def test_the_lesson_line_describes_the_network_shown_not_the_lessons_own(qtbot, make_window):
    """After rebuilding mnist with ReLU the line still said σ(w·a + b); a model opened from a file
    kept the lesson's "128 and 32 ReLU units" whatever it held."""
    win = make_window("mnist")
    own = win.lesson_label.text()
    assert "σ(w·a" in own
    win.controller.step(2)  # a trained run: the rebuild keeps it for undo
    qtbot.waitUntil(lambda: win.controller.latest.iteration == 2, timeout=20000)
    win.controller.rebuild([16, 16], "relu")
    qtbot.waitUntil(lambda: "yours" in win.lesson_label.text(), timeout=20000)
    text = win.lesson_label.text()
    assert "784 → 16 → 16 → 10, ReLU hidden units" in text and "σ(w·a" not in text
    assert "13,002 parameters" in text  # 784·16 + 16 + 16·16 + 16 + 16·10 + 10
    win.controller.undo()  # the lesson's own network back: its own description
    qtbot.waitUntil(lambda: "yours" not in win.lesson_label.text() and "σ(w·a" in win.lesson_label.text(),
                    timeout=20000)
