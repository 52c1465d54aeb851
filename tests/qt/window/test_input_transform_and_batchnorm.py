"""A model from elsewhere without an input transform: the window asks how its input was scaled
(MNIST's usual normalisation and raw 0–255 offered, none by default), opens it with the answer and
says so; a batch-norm model's description says how training treats its running statistics."""

from pathlib import Path

import numpy as np
import pytest

from nnviz.model.core.messages import BATCHNORM_NOTE
from nnviz.model.core.networks import build_network
from nnviz.model.files.modelfile import SavedModel, save_model
from nnviz.qt.views import model_questions
from nnviz.qt.views.model_questions import TransformDialog

FIXTURES = Path(__file__).parents[2] / "fixtures" / "foreign"
BN_SPEC = {"input_shape": [1, 8, 8], "layers": [
    {"type": "conv", "filters": 4, "kernel": 3, "padding": 1, "activation": "linear"},
    {"type": "batchnorm", "mean": [0.1, 0.0, -0.1, 0.2], "var": [1.0, 0.5, 2.0, 1.0], "activation": "relu"},
    {"type": "avgpool", "size": 2}, {"type": "flatten"}, {"type": "dense", "units": 10}],
    "input_transform": {"scale": 255.0, "mean": [33.3], "std": [78.6]}}


def opened(qtbot, win, lesson, generation):
    qtbot.waitUntil(lambda: win.controller.latest.lesson == lesson and win.controller.latest.generation != generation,
                    timeout=20000)
    win.frames.render_latest()
    return win.controller.latest


def test_the_transform_question_offers_none_mnist_and_raw_pixels(qtbot):
    dialog = TransformDialog("cnn.onnx")
    qtbot.addWidget(dialog)
    assert dialog.objectName() == "transformDialog" and dialog.choice.objectName() == "transformChoice"
    labels = [dialog.choice.itemText(i) for i in range(dialog.choice.count())]
    assert dialog.entries() == {} and labels[0].startswith("None")
    assert "0.1307" in labels[1] and "0.3081" in labels[1] and "0–255" in labels[2]
    dialog.choice.setCurrentIndex(1)
    assert dialog.entries() == {"mean": [0.1307], "std": [0.3081]}
    dialog.choice.setCurrentIndex(2)
    assert dialog.entries() == {"scale": 255.0}


def test_the_answer_becomes_the_models_transform_and_is_shown(qtbot, make_window, monkeypatch):
    asked = []
    monkeypatch.setattr(model_questions, "ask_transform",
                        lambda name, parent=None: asked.append(name) or {"mean": [0.1307], "std": [0.3081]})
    win = make_window("smile")
    g0 = win.controller.latest.generation
    win.files.open_model(str(FIXTURES / "cnn.onnx"))
    snap = opened(qtbot, win, "conv", g0)
    assert asked == ["cnn.onnx"]
    assert snap.spec["input_transform"] == {"scale": 1.0, "mean": [0.1307], "std": [0.3081]}
    assert "input transform: (x − 0.1307) / 0.3081" in win.statusBar().currentMessage()
    win.training_panel.show_snapshot(snap)
    notes = win.training_panel.findChild(object, "modelNotes")
    assert notes.isVisible() and notes.text() == "input transform: (x − 0.1307) / 0.3081"
    # the network really reads the transformed input
    x = np.random.default_rng(0).random((3, 64), dtype=np.float32)
    net = snap.network()
    bare = build_network({k: v for k, v in snap.spec.items() if k != "input_transform"})
    bare.set_parameters(net.weights, net.biases)
    np.testing.assert_allclose(net.predict(x), bare.predict((x - 0.1307) / 0.3081), rtol=1e-5, atol=1e-6)


def test_a_cancelled_transform_question_opens_nothing(qtbot, make_window, monkeypatch):
    monkeypatch.setattr(model_questions, "ask_transform", lambda name, parent=None: None)
    win = make_window("digits")
    before = win.controller.latest.generation
    win.files.open_model(str(FIXTURES / "mlp.onnx"))
    qtbot.wait(300)
    assert win.controller.latest.generation == before and win.controller.latest.lesson == "digits"


def test_a_batchnorm_model_says_its_statistics_stay_fixed_and_trains(qtbot, make_window, tmp_path, monkeypatch):
    asked = []
    monkeypatch.setattr(model_questions, "ask_transform", lambda name, parent=None: asked.append(name) or {})
    path = save_model(tmp_path / "bn.npz", SavedModel(build_network(BN_SPEC, seed=0), "conv"))
    win = make_window("digits")
    g0 = win.controller.latest.generation
    win.files.open_model(str(path))  # nnviz's own file: it says its transform, nothing is asked
    snap = opened(qtbot, win, "conv", g0)
    assert asked == []
    win.training_panel.show_snapshot(snap)
    notes = win.training_panel.findChild(object, "modelNotes").text()
    assert notes == "input transform: pixels ×255, then (x − 33.3) / 78.6\n" + BATCHNORM_NOTE
    assert BATCHNORM_NOTE.startswith("BatchNorm uses the running statistics from the file; they stay fixed")
    win.controller.step(3)
    qtbot.waitUntil(lambda: win.controller.latest.iteration == snap.iteration + 3, timeout=10000)
    now = win.controller.latest
    assert now.spec["layers"][1]["var"] == [1.0, 0.5, 2.0, 1.0]  # the statistics stayed
    assert not np.array_equal(now.weights[1], snap.weights[1])  # γ trained


def test_the_app_opens_an_nnviz_file_with_the_command_lines_transform(qtbot, make_window, tmp_path):
    spec = {k: v for k, v in BN_SPEC.items() if k != "input_transform"}
    path = save_model(tmp_path / "plain.npz", SavedModel(build_network(spec, seed=0), "conv"))
    win = make_window("digits")
    g0 = win.controller.latest.generation
    win.files.open_model(str(path), input_transform={"scale": 255.0})  # nnviz --model F --input-scale 255
    snap = opened(qtbot, win, "conv", g0)
    assert snap.spec["input_transform"] == {"scale": 255.0, "mean": [0.0], "std": [1.0]}


@pytest.mark.parametrize("name", ["mlp.onnx"])
def test_nnvizs_own_safetensors_reopen_without_the_question(qtbot, make_window, monkeypatch, tmp_path, name):
    asked = []
    monkeypatch.setattr(model_questions, "ask_transform", lambda n, parent=None: asked.append(n) or {})
    win = make_window("conv")
    path = tmp_path / "mine.safetensors"
    assert win.exports.export_model("safetensors", str(path))
    other = make_window("digits")
    g0 = other.controller.latest.generation
    other.files.open_model(str(path))
    opened(qtbot, other, "conv", g0)
    assert asked == []
    other.files.open_model(str(FIXTURES / name))
    qtbot.waitUntil(lambda: asked == [name], timeout=10000)  # one from elsewhere is asked about
