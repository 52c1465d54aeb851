"""A learner's first hour on the real window: nothing a learner did is lost — lessons left and
come back to, Reset and Rebuild undone, a wrecking learning rate caught, Step while rewound,
the recent-files list."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from nnviz.model.lessons import get_lesson
from nnviz.model.files.modelfile import SavedModel, save_model
from tests.qt.conftest import wait_iteration

from tests.parameters import assert_same


def status(win):
    return win.statusBar().currentMessage()


def test_a_lesson_left_comes_back_as_it_was_with_the_learners_examples(qtbot, make_window):
    win = make_window("digits")
    c = win.controller
    base = c.dataset
    win.pixel_editor.set_image(np.eye(8, dtype=np.float32))
    assert win.add_drawing_to_training_set(label=7)
    trained_on = win.examples.examples.appended_to(base)
    win.training_panel.lr_spin.setValue(0.02)
    c.step(60)
    left = wait_iteration(qtbot, win, 60)
    assert left.settings["learning_rate"] == pytest.approx(0.02)

    win.choose_lesson("smile")
    qtbot.waitUntil(lambda: c.latest.lesson == "smile", timeout=10000)
    c.step(3)
    wait_iteration(qtbot, win, 3)
    win.choose_lesson("digits")
    qtbot.waitUntil(lambda: c.latest.lesson == "digits", timeout=10000)
    back = wait_iteration(qtbot, win, 60)  # not 0: the run is back
    assert_same(back.weights + back.biases, left.weights + left.biases)
    np.testing.assert_array_equal(back.history["loss"], left.history["loss"])
    assert back.settings == left.settings and back.epoch_progress == left.epoch_progress
    qtbot.waitUntil(lambda: "as you left it" in status(win), timeout=5000)
    # the learner's example came back once (from its autosave), not twice
    assert len(win.examples) == 1 and len(c.dataset.x_train) == len(base.x_train) + 1
    c.step(5)  # and training on does what it would have done without the detour
    snap = wait_iteration(qtbot, win, 65)
    ref = get_lesson("digits").build(seed=0)
    ref.set_dataset(trained_on)
    ref.apply_settings(learning_rate=0.02)
    for _ in range(65):
        ref.step()
    assert_same(snap.weights + snap.biases, ref.network.weights + ref.network.biases)


def test_reset_and_rebuild_are_undone_from_the_notice_and_the_training_menu(qtbot, make_window, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    win = make_window("digits")
    c, undo = win.controller, win.actions["undo_run"]
    training = next(m for m in win.menuBar().findChildren(QMenu) if m.title() == "&Training")
    assert undo in training.actions() and undo.shortcut().toString() == "Shift+R" and not undo.isEnabled()
    c.step(30)
    before = wait_iteration(qtbot, win, 30)

    win.actions["reset"].trigger()
    wait_iteration(qtbot, win, 0)
    qtbot.waitUntil(lambda: win.notice.isVisible(), timeout=5000)
    assert "The run you had (iteration 30) is kept" in win.notice.label.text()
    button = next(b for b in win.notice.buttons if b.text() == "Undo reset")
    qtbot.mouseClick(button, Qt.LeftButton)
    snap = wait_iteration(qtbot, win, 30)
    assert_same(snap.weights + snap.biases, before.weights + before.biases)
    assert len(snap.history["loss"]) == 30 and 30 in snap.timeline and 29 in snap.timeline
    qtbot.waitUntil(lambda: undo.text() == "&Redo reset" and undo.isEnabled(), timeout=5000)
    assert "Back to the run from before reset, at iteration 30" in status(win)

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Yes)
    win.training_panel.hidden_edit.setText("20")
    win.training_panel.rebuild_button.click()
    qtbot.waitUntil(lambda: c.latest.sizes == (64, 20, 10), timeout=5000)
    qtbot.waitUntil(lambda: undo.text() == "&Undo rebuild", timeout=5000)
    undo.trigger()  # the menu action (Shift+R)
    qtbot.waitUntil(lambda: c.latest.sizes == (64, 128, 32, 10) and c.latest.iteration == 30, timeout=5000)
    win.frames.render_latest()
    assert_same(c.latest.weights + c.latest.biases, before.weights + before.biases)
    assert win.training_panel.hidden_edit.text() == "128, 32"
    win.activateWindow()
    qtbot.keyClick(win, Qt.Key_R, Qt.ShiftModifier)  # the key again: back to the rebuilt network
    qtbot.waitUntil(lambda: c.latest.sizes == (64, 20, 10), timeout=5000)


def test_a_learning_rate_that_wrecks_the_network_pauses_names_it_and_rolls_back(qtbot, make_window):
    win = make_window("digits")
    c = win.controller
    c.step(170)
    at_change = wait_iteration(qtbot, win, 170)
    win.training_panel.lr_spin.setValue(10.0)
    qtbot.waitUntil(lambda: c.latest.settings["learning_rate"] == 10.0, timeout=5000)
    c.set_speed(0)
    c.run()
    qtbot.waitUntil(lambda: win.notice.isVisible() and "blew up" in win.notice.label.text(), timeout=20000)
    qtbot.waitUntil(lambda: not c.running, timeout=5000)
    text = win.notice.label.text()
    assert "after the learning rate went from 0.01 to 10 at iteration 170" in text
    assert c.latest.iteration < 200  # paused within a few iterations, loss finite all along
    button = next(b for b in win.notice.buttons if b.text() == "Roll back to iteration 170 (learning rate 0.01)")
    qtbot.mouseClick(button, Qt.LeftButton)
    qtbot.waitUntil(lambda: c.latest.iteration == 170 and c.latest.settings["learning_rate"] == 0.01, timeout=5000)
    assert not c.latest.rewound
    assert_same(c.latest.weights + c.latest.biases, at_change.weights + at_change.biases)


def test_step_while_rewound_continues_from_the_iteration_shown_and_says_so(qtbot, make_window):
    win = make_window("digits")
    c = win.controller
    c.step(20)
    wait_iteration(qtbot, win, 20)
    qtbot.waitUntil(lambda: len(c.latest.timeline) == 21, timeout=5000)
    win.frames.render_latest()
    bar = win.timeline_bar
    bar.slider.setValue(bar.iterations.index(12))
    qtbot.waitUntil(lambda: c.latest.iteration == 12 and c.latest.rewound, timeout=5000)
    qtbot.mouseClick(win.training_panel.step_button, Qt.LeftButton)
    snap = wait_iteration(qtbot, win, 13)
    assert not snap.rewound and snap.live_iteration == 13 and max(snap.timeline) == 13
    qtbot.waitUntil(lambda: "Continued from iteration 12; the 8 later iterations were dropped" in status(win),
                    timeout=5000)
    ref = get_lesson("digits").build(seed=0)
    for _ in range(13):
        ref.step()
    assert_same(snap.weights, ref.network.weights)


def test_open_recent_lists_only_files_that_opened(qtbot, make_window, tmp_path):
    win = make_window("smile")
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a model at all")
    win.files.open_model(str(broken))
    qtbot.waitUntil(lambda: "broken.npz" in status(win), timeout=5000)
    qtbot.wait(50)
    assert str(broken) not in win.files.recent()
    good = tmp_path / "good.npz"
    t = get_lesson("smile").build()
    t.step()
    save_model(good, SavedModel(t.network, "smile", t.iteration, t.epoch, t.seed, t.settings.to_dict(), t.history))
    win.files.open_model(str(good))
    qtbot.waitUntil(lambda: win.files.recent()[:1] == [str(good)], timeout=5000)
    assert [a.text() for a in win.recent_menu.actions()] == [str(good)]
    good.unlink()  # gone since: opening it from the list fails, and it leaves the list
    win.recent_menu.actions()[0].trigger()
    qtbot.waitUntil(lambda: str(good) not in win.files.recent(), timeout=5000)
    assert not win.recent_menu.isEnabled()


def test_a_saved_model_and_lesson_file_open_at_the_same_epoch_progress(qtbot, make_window, tmp_path):
    win = make_window("digits")
    c = win.controller
    c.step(130)  # 45 of 85 iterations into the second epoch
    saved = wait_iteration(qtbot, win, 130)
    epoch = win.frames.status.labels["epoch"].text()
    assert epoch == f"epoch {saved.epoch_progress:.2f}" != "epoch 1.00"
    c.save_model(tmp_path / "m.npz")
    qtbot.waitUntil(lambda: str(tmp_path / "m.npz") in win.files.recent(), timeout=5000)
    assert win.files.save_lesson_file(str(tmp_path / "l.nnviz"))
    for open_file in (lambda: win.files.open_model(str(tmp_path / "m.npz")),
                      lambda: win.files.open_lesson_file(str(tmp_path / "l.nnviz"))):
        win.actions["reset"].trigger()
        wait_iteration(qtbot, win, 0)
        open_file()
        snap = wait_iteration(qtbot, win, 130)
        assert snap.epoch_progress == pytest.approx(saved.epoch_progress)
        assert win.frames.status.labels["epoch"].text() == epoch
