"""The real window, offscreen: step, run/pause, settings while running, reset, close, lessons."""

import numpy as np
import pytest
from PySide6.QtCore import Qt

from tests.qt.conftest import wait_iteration


def test_the_window_has_the_four_named_panels(shared_window):
    win = shared_window()
    for name in ("pixelEditor", "weightPanel", "activationView", "trainingPanel"):
        assert win.findChild(object, name) is not None, name


def test_step_advances_exactly_one_iteration_and_changes_the_weights(qtbot, make_window):
    win = make_window("smile")
    before = win.controller.latest
    qtbot.mouseClick(win.training_panel.step_button, Qt.LeftButton)
    snap = wait_iteration(qtbot, win, 1)
    qtbot.wait(200)
    assert win.controller.latest.iteration == 1  # exactly one, not more
    assert not np.array_equal(snap.weights[0], before.weights[0])
    assert "iteration 1" in win.training_panel.iteration_label.text()
    assert win.frames.status.labels["iteration"].text() == "iteration 1"


def test_right_arrow_steps_and_step_n_steps_n(qtbot, make_window):
    win = make_window("smile")
    win.activateWindow()
    win.actions["step"].trigger()
    wait_iteration(qtbot, win, 1)
    win.training_panel.step_n_spin.setValue(7)
    qtbot.mouseClick(win.training_panel.step_n_button, Qt.LeftButton)
    wait_iteration(qtbot, win, 8)


def test_run_then_pause_stops_and_the_iteration_stays(qtbot, make_window):
    win = make_window("smile")
    win.controller.change_settings(method="gradient", learning_rate=0.01)
    win.training_panel.set_speed(0)  # the lesson starts at 2 steps/s
    qtbot.mouseClick(win.training_panel.run_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: win.controller.latest.iteration > 30, timeout=10000)
    assert win.training_panel.run_button.text() == "Pause"
    # paused: the worker says so first, then fills the skipped states and publishes the state it
    # stopped at — on a loaded machine that can take longer than 100 ms, so wait for that snapshot
    after = []
    win.controller.runningChanged.connect(lambda running: running or after.append("paused"))
    win.controller.snapshotArrived.connect(lambda: after and after.append(win.controller.latest))
    qtbot.mouseClick(win.training_panel.run_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: len(after) >= 2, timeout=5000)
    stopped = after[-1].iteration
    qtbot.wait(400)
    assert win.controller.latest.iteration == stopped
    assert win.training_panel.run_button.text() == "Run"


def test_a_settings_change_while_running_applies_without_a_reset(qtbot, make_window):
    win = make_window("digits")  # the smile lesson now stops by itself once every example is right
    win.controller.set_speed(0)
    win.controller.run()
    qtbot.waitUntil(lambda: win.controller.latest.iteration > 20, timeout=10000)
    win.training_panel.lr_spin.setValue(0.0123)
    qtbot.waitUntil(lambda: win.controller.latest.settings["learning_rate"] == pytest.approx(0.0123), timeout=5000)
    at_change = win.controller.latest.iteration
    assert at_change > 20  # no reset happened
    qtbot.waitUntil(lambda: win.controller.latest.iteration > at_change + 20, timeout=10000)
    assert win.controller.running
    win.controller.pause()


def test_reset_with_the_same_seed_reproduces_the_same_weights(qtbot, make_window):
    win = make_window("digits")
    win.training_panel.seed_spin.setValue(7)
    win.actions["reset"].trigger()
    qtbot.waitUntil(lambda: win.controller.latest.seed == 7, timeout=5000)
    win.controller.step(5)
    first = wait_iteration(qtbot, win, 5)
    win.actions["reset"].trigger()
    wait_iteration(qtbot, win, 0)
    win.controller.step(5)
    again = wait_iteration(qtbot, win, 5)
    for a, b in zip(first.weights, again.weights):
        np.testing.assert_array_equal(a, b)
    win.training_panel.seed_spin.setValue(8)
    win.actions["reset"].trigger()
    qtbot.waitUntil(lambda: win.controller.latest.seed == 8, timeout=5000)
    assert not np.array_equal(win.controller.latest.weights[0], first.weights[0])


def test_closing_during_a_run_leaves_no_running_thread(qtbot, make_window):
    win = make_window("digits")
    win.controller.run()
    qtbot.waitUntil(lambda: win.controller.latest.iteration > 10, timeout=10000)
    win.close()
    assert not win.controller.thread.isRunning()


def test_switching_lessons_swaps_dataset_and_architecture(qtbot, make_window):
    win = make_window("smile")
    assert win.controller.latest.sizes == (12, 1)
    win.choose_lesson("digits")
    qtbot.waitUntil(lambda: win.controller.latest.lesson == "digits", timeout=10000)
    win.frames.render_latest()
    assert win.controller.latest.sizes == (64, 128, 32, 10)
    assert win.controller.dataset.image_shape == (8, 8) and len(win.controller.dataset.x_train) > 1000
    assert win.pixel_editor.image().shape == (8, 8)
    assert win.lesson_combo.currentData() == "digits"
    assert win.weight_panel.displayed_weights()[0].shape == (128, 8, 8)


def test_rebuild_changes_the_architecture_after_confirmation(qtbot, make_window, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    win = make_window("digits")
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Yes)
    win.training_panel.hidden_edit.setText("20")
    win.training_panel.activation_combo.setCurrentText("tanh")
    win.training_panel.rebuild_button.click()
    qtbot.waitUntil(lambda: win.controller.latest.sizes == (64, 20, 10), timeout=5000)
    assert win.controller.latest.hidden == "tanh" and win.controller.latest.iteration == 0


def test_curves_follow_the_history(qtbot, make_window):
    win = make_window("digits")
    win.controller.step(30)
    snap = wait_iteration(qtbot, win, 30)
    x, y = win.training_panel.plots.curve_data()["loss"]
    assert len(x) == 30 and x[0] == 1 and x[-1] == 30
    np.testing.assert_allclose(y, snap.history["loss"])


def test_settings_shown_are_the_workers_even_when_an_edit_is_refused(qtbot, make_window):
    """The panel skips re-showing unchanged settings each frame, but an edit the worker did not
    take (here: it never arrives) is put back to the worker's value by the next snapshot."""
    win = make_window("digits")
    tp, snap = win.training_panel, win.controller.latest
    lr = snap.settings["learning_rate"]
    tp.settingsEdited.disconnect()  # the worker never hears of the edit, as if it refused it
    tp.lr_spin.setValue(lr * 3)
    tp.show_settings(snap.settings, snap.sizes, snap.hidden, snap.seed)
    assert tp.lr_spin.value() == pytest.approx(lr)



def test_a_cancelled_rebuild_shows_the_real_layers_again(qtbot, make_window, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    win = make_window("digits")
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.No)
    tp = win.training_panel
    tp.hidden_edit.setText("20")
    tp.activation_combo.setCurrentText("tanh")
    tp.rebuild_button.click()
    assert tp.hidden_edit.text() == "128, 32" and tp.activation_combo.currentText() == "relu"
    assert win.controller.latest.sizes == (64, 128, 32, 10)


def test_the_old_lessons_last_snapshot_is_not_drawn_with_the_new_lessons_data(qtbot, make_window):
    """Switching lessons, the new lesson's data can arrive before its first snapshot: a frame in
    between must not draw the old snapshot with the new data (784 weights into 8×8 tiles)."""
    win = make_window("mnist")
    old = win.controller.latest
    win.choose_lesson("digits")
    qtbot.waitUntil(lambda: win.controller.dataset.n_inputs == 64, timeout=10000)
    win.controller.latest = old  # as if the display timer fired between the two signals
    win.frames.rendered = None
    win.frames.render_latest()  # must neither raise nor draw it (a digits frame being laid out may end)
    assert win.frames.rendered is None or win.frames.rendered.lesson == "digits"
