"""Nothing lost, nothing crashes: divergence, rewind, clamped inputs, shutdown at awkward moments."""

import math

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from nnviz.model.files.modelfile import load_model
from tests.qt.conftest import wait_iteration


def _diverge(qtbot, win):
    # the non-finite path on its own: the blow-up watch would stop lr 10 earlier (test_safety.py)
    win.controller.worker.session.detect_blowups = False  # before any command: the worker is idle
    win.controller.change_settings(method="gradient", learning_rate=10.0)
    win.controller.step(200)
    # the diverged notice (the first start's guide offer is showing before it)
    qtbot.waitUntil(lambda: win.notice.isVisible() and "diverged" in win.notice.label.text(), timeout=10000)
    qtbot.waitUntil(lambda: not win.controller.running, timeout=5000)
    qtbot.wait(50)
    win.frames.render_latest()
    return win.controller.latest


def test_divergence_pauses_keeps_finite_weights_and_offers_rollback(qtbot, make_window):
    win = make_window("smile")
    snap = _diverge(qtbot, win)
    text = win.notice.label.text()
    assert "diverged at iteration" in text and "last finite" in text
    diverged_at = int(text.split("iteration ")[1].split("<")[0].replace(",", ""))
    assert snap.iteration == diverged_at - 1  # the last iteration whose weights were finite
    assert all(np.isfinite(w).all() for w in snap.weights) and math.isfinite(snap.loss)
    assert all(np.isfinite(w).all() for w in win.weight_panel.displayed_weights()) \
        if hasattr(win.weight_panel, "displayed_weights") else True
    labels = [b.text() for b in win.notice.buttons]
    assert any(t.startswith("Roll back to iteration") for t in labels) and "Reset" in labels
    # Roll back: the live network becomes the lowest-loss state, and training can go on.
    back = next(b for b in win.notice.buttons if b.text().startswith("Roll back"))
    target = int(back.text().split("iteration ")[1].split(" ")[0].replace(",", ""))
    qtbot.mouseClick(back, Qt.LeftButton)
    qtbot.waitUntil(lambda: win.controller.latest.live_iteration == target, timeout=5000)
    after = win.controller.latest
    assert not after.rewound and after.iteration == target
    win.controller.change_settings(learning_rate=0.01)
    win.controller.step()
    assert wait_iteration(qtbot, win, target + 1).iteration == target + 1


def test_rewind_shows_exactly_the_weights_of_that_iteration_and_continue_replays(qtbot, make_window):
    win = make_window("digits")
    seen = {}
    for k in range(1, 13):
        win.controller.step()
        seen[k] = wait_iteration(qtbot, win, k)
    win.controller.step(8)
    live = wait_iteration(qtbot, win, 20)
    qtbot.waitUntil(lambda: len(win.controller.latest.timeline) == 21, timeout=5000)
    # the scrubber: move to iteration 5; every view shows iteration 5's weights
    win.frames.render_latest()
    bar = win.timeline_bar
    bar.slider.setValue(bar.iterations.index(5))
    qtbot.waitUntil(lambda: win.controller.latest.iteration == 5, timeout=5000)
    win.frames.render_latest()
    past = win.controller.latest
    assert past.rewound and past.live_iteration == 20
    for a, b in zip(past.weights, seen[5].weights):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(win.weight_panel.layer_values(0) if hasattr(win.weight_panel, "layer_values")
                                  else past.weights[0], seen[5].weights[0])
    assert "viewing iteration 5 of 20" in bar.label.text()
    cursor = win.training_panel.plots.cursors[0]  # the curves mark iteration 5 too
    assert cursor.scene() is not None and cursor.value() == 5
    # continue from 5 with the same settings and seed: iteration 20 comes out identical
    qtbot.mouseClick(bar.resume_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not win.controller.latest.rewound, timeout=5000)
    assert win.controller.latest.iteration == 5 and win.controller.latest.live_iteration == 5
    win.frames.render_latest()
    assert cursor.scene() is None
    win.controller.step(15)
    again = wait_iteration(qtbot, win, 20)
    for a, b in zip(again.weights, live.weights):
        np.testing.assert_array_equal(a, b)


def test_out_of_range_entries_are_clamped_with_feedback(qtbot, make_window):
    win = make_window("digits")
    tp = win.training_panel
    for spin, typed, expect, words in ((tp.batch_spin, "0", 1, "batch size"),
                                        (tp.lr_spin, "-1", tp.lr_spin.minimum(), "learning rate"),
                                        (tp.dropout_spin, "5", 0.9, "dropout")):
        spin.setFocus()
        spin.lineEdit().selectAll()
        qtbot.keyClicks(spin.lineEdit(), typed)
        qtbot.keyClick(spin.lineEdit(), Qt.Key_Return)
        assert spin.value() == expect
        msg = tp.message_label.text()
        assert words in msg.lower() and "it is set to" in msg and "e+" not in msg
    qtbot.waitUntil(lambda: win.controller.latest.settings["batch_size"] == 1, timeout=5000)
    # a hidden layer of 0 neurons is refused with a message, nothing rebuilt
    gen = win.controller.latest.generation
    tp.hidden_edit.setText("16, 0")
    tp.rebuild_button.click()
    assert "between 1 and 4096" in tp.message_label.text()
    qtbot.wait(100)
    assert win.controller.latest.generation == gen


def test_a_model_of_another_architecture_is_refused_and_the_session_kept(qtbot, make_window, tmp_path):
    win = make_window("digits")
    win.controller.step(3)
    before = wait_iteration(qtbot, win, 3)
    from nnviz.model.lessons import get_lesson
    from nnviz.model.files.modelfile import SavedModel, save_model
    t = get_lesson("digits").build(seed=1, hidden_sizes=(7,))
    other = t.network.copy()
    other.sizes[0] = 12  # claim a different input size than the data has
    other = type(t.network)([12, 7, 10], hidden="relu", output="softmax")
    save_model(tmp_path / "wrong.npz", SavedModel(other, "digits", 1, 0, 0, {}, t.history))
    win.controller.load_model(str(tmp_path / "wrong.npz"))
    qtbot.waitUntil(lambda: "wrong.npz" in win.training_panel.message_label.text(), timeout=5000)
    assert "does not fit" in win.training_panel.message_label.text()
    assert win.controller.latest.iteration == 3 and win.controller.latest.generation == before.generation


def test_quit_while_running_saving_and_with_a_modal_dialog_open(qtbot, make_window, tmp_path):
    win = make_window("mnist")
    win.controller.run()
    qtbot.waitUntil(lambda: win.controller.running, timeout=5000)
    path = tmp_path / "m.npz"
    win.controller.save_model(str(path))  # queued behind the running training; close right after
    win.close()
    assert not win.controller.thread.isRunning()
    assert load_model(path).network.sizes == [784, 16, 16, 10]

    win2 = make_window("smile")
    closed = []

    def close_under_the_dialog():
        closed.append(QApplication.activeModalWidget() is not None)
        win2.close()

    QTimer.singleShot(300, close_under_the_dialog)
    win2._confirm_rebuild([3], "relu")  # opens a modal question; the window closes meanwhile
    assert closed == [True]
    assert not win2.controller.thread.isRunning()
    assert QApplication.activeModalWidget() is None


def test_examples_that_could_not_be_autosaved_prompt_before_quit(qtbot, make_window, tmp_path):
    win = make_window("digits")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    win.settings.setValue("dataDir", str(blocker))
    win.add_drawing_to_training_set(label=3)
    assert win.examples.unsaved and "could not save your examples" in win.training_panel.message_label.text().lower()
    answers = []

    def answer(button_text):
        box = QApplication.activeModalWidget()
        answers.append(box.text())
        next(b for b in box.buttons() if b.text() == button_text).click()

    QTimer.singleShot(200, lambda: answer("Cancel"))
    win.close()
    assert "could not be saved" in answers[0]
    assert win.isVisible() and win.controller.thread.isRunning()  # cancelled: nothing closed

    out = tmp_path / "mine.npz"
    from PySide6.QtWidgets import QFileDialog
    orig = QFileDialog.getSaveFileName
    QFileDialog.getSaveFileName = staticmethod(lambda *a, **k: (str(out), ""))
    try:
        QTimer.singleShot(200, lambda: answer("Export…"))
        win.close()
    finally:
        QFileDialog.getSaveFileName = orig
    assert not win.controller.thread.isRunning()
    from nnviz.model.data.examples import load_examples
    xs, ys = load_examples(out, win.examples.base)
    assert list(ys) == [3]


def test_bad_dataset_files_are_reported_and_the_data_kept(qtbot, make_window, tmp_path):
    from nnviz.model.data.idx import write_idx
    win = make_window("mnist")
    before = win.controller.dataset
    (tmp_path / "junk.npz").write_bytes(b"PK\x03\x04 not really a zip")
    folder = tmp_path / "idx"
    folder.mkdir()
    write_idx(folder / "train-images-idx3-ubyte", np.zeros((5, 8, 8), np.uint8))
    write_idx(folder / "train-labels-idx1-ubyte", np.zeros(5, np.uint8))
    truncated = tmp_path / "t"
    truncated.mkdir()
    write_idx(truncated / "train-images-idx3-ubyte", np.zeros((5, 28, 28), np.uint8))
    write_idx(truncated / "train-labels-idx1-ubyte", np.zeros(5, np.uint8))
    raw = (truncated / "train-images-idx3-ubyte").read_bytes()
    (truncated / "train-images-idx3-ubyte").write_bytes(raw[:100])
    for path, words in ((tmp_path / "junk.npz", "damaged"), (folder / "train-images-idx3-ubyte", "8×8"),
                        (truncated / "train-images-idx3-ubyte", "truncated")):
        win.files.open_dataset(str(path))
        msg = win.training_panel.message_label.text()
        assert path.name in msg and words in msg, msg
        assert win.controller.dataset is before
    good = tmp_path / "good"
    good.mkdir()
    write_idx(good / "train-images-idx3-ubyte", np.full((140, 28, 28), 200, np.uint8))
    write_idx(good / "train-labels-idx1-ubyte", np.arange(140, dtype=np.uint8) % 10)
    win.files.open_dataset(str(good / "train-labels-idx1-ubyte"))
    assert len(win.controller.dataset.x_train) == 120 and len(win.controller.dataset.x_test) == 20
    win.controller.step()
    assert wait_iteration(qtbot, win, 1).iteration == 1


def test_a_blow_up_notice_at_a_laptop_size_takes_no_height_from_the_views_nor_squeezes_its_text(qtbot, make_window):
    win = make_window("mnist")
    win.resize(1280, 720)
    qtbot.wait(100)
    before = (win.network_stack.geometry(), win.lesson_label.geometry())
    win.controller.change_settings(learning_rate=10.0)
    win.controller.step(60)
    qtbot.waitUntil(lambda: win.notice.isVisible() and len(win.notice.buttons) >= 2, timeout=20000)
    qtbot.wait(100)
    assert (win.network_stack.geometry(), win.lesson_label.geometry()) == before  # nothing moved
    label = win.notice.label
    assert label.height() >= label.heightForWidth(label.width())  # every line of the text shown
    assert label.width() > 0.8 * win.centralWidget().width()  # not a narrow column beside the buttons
    for b in win.notice.buttons:  # each button's whole text
        assert b.width() >= b.sizeHint().width() and b.geometry().right() <= win.notice.width()
    assert win.notice.geometry().bottom() < win.centralWidget().height() // 2  # a card, not a wall
