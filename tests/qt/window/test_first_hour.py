"""What a learner meets in the first hour, on the real window: labels asked for, the smile
lesson's exact moment and its end, keys that work after typing a number, one test accuracy."""

from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from nnviz.model.analysis.evaluate import evaluate_file
from nnviz.model.data.datasets import correct
from tests.qt.conftest import wait_iteration


def _answer_label_dialog(qtbot, press):
    """When the label dialog opens, do ``press(dialog)`` (click a class, or Enter, or Esc)."""
    def act():
        dialog = QApplication.activeModalWidget()
        if dialog is None or dialog.objectName() != "labelDialog":
            QTimer.singleShot(20, act)
            return
        press(dialog)

    QTimer.singleShot(20, act)


def test_adding_a_drawing_asks_for_its_label_with_no_default(qtbot, make_window):
    win = make_window("digits")
    n = len(win.controller.dataset.x_train)
    win.pixel_editor.set_image(np.eye(8))

    def enter_then_cancel(dialog):
        qtbot.keyClick(dialog, Qt.Key_Return)  # Enter must not pick a class …
        assert dialog.isVisible()
        dialog.reject()

    _answer_label_dialog(qtbot, enter_then_cancel)
    assert win.add_drawing_to_training_set() is False
    assert len(win.controller.dataset.x_train) == n
    assert "no label" in win.statusBar().currentMessage()

    _answer_label_dialog(qtbot, lambda d: qtbot.mouseClick(d.findChild(object, "label_7"), Qt.LeftButton))
    assert win.add_drawing_to_training_set() is True
    assert len(win.controller.dataset.x_train) == n + 1 and win.controller.dataset.y_train[-1] == 7
    assert "“7”" in win.statusBar().currentMessage()


def test_a_smile_drawing_is_added_as_what_the_learner_says(qtbot, make_window):
    win = make_window("smile")
    _answer_label_dialog(qtbot, lambda d: qtbot.mouseClick(d.findChild(object, "label_1"), Qt.LeftButton))
    assert win.add_drawing_to_training_set()
    assert win.controller.dataset.y_train[-1, 0] == 1.0
    assert "“smile”" in win.statusBar().currentMessage() and "+1" in win.statusBar().currentMessage()


def test_smile_iteration_one_shows_three_of_four_exactly_right(qtbot, make_window):
    win = make_window("smile")
    win.docks["datasetBrowser"].raise_()
    win.actions["step"].trigger()
    wait_iteration(qtbot, win, 1)
    qtbot.waitUntil(lambda: not win.browser.is_marking() and "exactly right" in win.browser.count_label.text(),
                    timeout=5000)  # the marks are computed off the GUI thread
    assert win.frames.status.labels["exact"].text() == "3 of 4 exactly right"
    assert "3 exactly right, 4 by sign" in win.browser.count_label.text()
    details = [win.browser.model.data(win.browser.model.index(i, 0)).split("\n")[1] for i in range(4)]
    assert sum(d.startswith(("+1,", "−1,")) for d in details) == 3  # the fourth gave 3 where 1 was wanted
    assert any(d.startswith(("+3", "−3")) for d in details)


@pytest.mark.slow
def test_smile_training_pauses_when_every_example_is_exactly_right(qtbot, make_window):
    win = make_window("smile")
    win.controller.set_speed(0)
    done = []
    win.frames.lessonDone.connect(done.append)
    win.controller.run()
    qtbot.waitUntil(lambda: bool(done), timeout=20000)
    qtbot.waitUntil(lambda: not win.controller.running, timeout=5000)
    win.frames.render_latest()
    assert win.frames.status.labels["exact"].text() == "4 of 4 exactly right"
    assert "exactly right" in done[0] and win.notice.isVisible()


def test_a_snapshot_message_is_taken_down_when_it_no_longer_holds(qtbot, make_window):
    win = make_window("smile")
    panel = win.training_panel
    snap = win.controller.latest
    undone = replace(snap, message="Applying every nudge at once raised the loss, so it was undone")
    panel.show_snapshot(undone)
    assert "undone" in panel.message_label.text()
    panel.show_snapshot(snap)
    assert panel.message_label.text() == ""
    panel.show_snapshot(undone)
    panel.show_message("Could not save x", error=True)  # someone else's message stays
    panel.show_snapshot(snap)
    assert panel.message_label.text() == "Could not save x"


def test_space_runs_after_typing_a_learning_rate_and_enter(qtbot, make_window):
    win = make_window("digits")
    win.activateWindow()
    spin = win.training_panel.lr_spin
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus, timeout=2000)
    spin.selectAll()
    qtbot.keyClicks(spin, "0.05")
    qtbot.keyClick(spin, Qt.Key_Return)
    qtbot.waitUntil(lambda: win.controller.latest.settings["learning_rate"] == pytest.approx(0.05), timeout=5000)
    qtbot.waitUntil(lambda: not spin.hasFocus(), timeout=2000)
    qtbot.keyClick(win, Qt.Key_Space)
    qtbot.waitUntil(lambda: win.controller.running, timeout=5000)
    assert spin.value() == pytest.approx(0.05)  # the field kept its number
    spin.setFocus()
    qtbot.keyClick(spin, Qt.Key_Space)  # still in the field: Space is not a digit, so it pauses
    qtbot.waitUntil(lambda: not win.controller.running, timeout=5000)
    assert spin.value() == pytest.approx(0.05)


def test_one_test_accuracy_for_the_same_weights(qtbot, make_window, tmp_path):
    win = make_window("digits")
    win.controller.step(300)
    snap = wait_iteration(qtbot, win, 300, timeout=30000)
    ds = win.controller.dataset
    want = float(correct(ds.task, snap.network().predict(ds.x_test), ds.y_test).mean())
    assert win.frames.status.labels["accuracy"].text() == f"test accuracy {want:.1%}"
    win.controller.save_model(tmp_path / "m.npz")
    qtbot.waitUntil(lambda: (tmp_path / "m.npz").exists(), timeout=5000)
    assert evaluate_file(tmp_path / "m.npz", "digits")["accuracy"] == pytest.approx(want)


def test_while_rewound_the_status_bar_shows_the_shown_iteration(qtbot, make_window):
    win = make_window("digits")
    win.controller.step(40)
    wait_iteration(qtbot, win, 40, timeout=20000)
    win.controller.preview(5)
    qtbot.waitUntil(lambda: win.controller.latest.rewound and win.controller.latest.iteration == 5, timeout=5000)
    win.frames.render_latest()
    snap, ds = win.controller.latest, win.controller.dataset
    at5 = float(correct(ds.task, snap.network().predict(ds.x_test), ds.y_test).mean())
    assert win.frames.status.labels["iteration"].text() == "iteration 5"
    assert win.frames.status.labels["accuracy"].text() == f"test accuracy {at5:.1%}"


def test_lessons_say_what_they_compute():
    from nnviz.model.lessons import LESSONS

    assert "softmax" in LESSONS["mnist"].description
    assert "3 wide × 4 tall" in LESSONS["smile"].title


def test_each_lesson_starts_at_a_watchable_speed_max_is_one_click_and_each_is_remembered(qtbot, make_window):
    win = make_window("smile")
    tp = win.training_panel
    assert tp.speed() == 2.0  # a nudge round every half second
    qtbot.mouseClick(tp.max_button, Qt.LeftButton)
    assert tp.speed() == 0.0
    win.choose_lesson("digits")
    qtbot.waitUntil(lambda: win.controller.latest.lesson == "digits", timeout=20000)
    assert tp.speed() == 30.0  # an epoch in about three seconds
    win.choose_lesson("smile")
    qtbot.waitUntil(lambda: win.controller.latest.lesson == "smile", timeout=20000)
    assert tp.speed() == 0.0  # the learner's choice for this lesson …
    qtbot.waitUntil(lambda: win.controller.worker.speed == 0.0, timeout=5000)  # … and the worker's


def test_the_nudge_step_reads_the_same_everywhere_once_halved(qtbot, make_window):
    win = make_window("smile")
    snap = win.controller.latest
    step = 1.0 / 2 ** 14  # fourteen rounds that raised the loss
    halved = replace(snap, nudge_step_now=step, message=f"… so it was undone; the step is now {step:g}.")
    win.training_panel.show_snapshot(halved)
    assert win.training_panel.nudge_spin.value() == snap.settings["nudge_step"]  # where it starts
    now = win.training_panel.nudge_now
    assert not now.isHidden() and now.text() == f"now {step:g}" == "now 6.10352e-05"
    assert f"{step:g}" in win.training_panel.message_label.text()
    from nnviz.qt.explore.nudge_view import NudgeView
    view = NudgeView()
    qtbot.addWidget(view)
    view.set_lesson(win.controller.dataset)
    view.show_snapshot(halved)
    assert view.step_box.value() == step and view.step_box.text() == "6.10352e-05"
    win.training_panel.show_snapshot(snap)  # back at the starting step: nothing extra shown
    assert now.isHidden()


def test_output_zero_is_undecided_in_the_network_view_as_in_the_readout(shared_window):
    win = shared_window("smile")  # every weight 0: every face gives 0
    win.frames.render_latest()
    title = win.activation_view.out_plot.titleLabel.text
    assert "undecided" in title and "not a smile" not in title
    assert win.readout.text().startswith("undecided")


def test_a_net_without_biases_names_no_bias_on_hover(shared_window):
    win = shared_window("smile")
    win.frames.render_latest()
    text = win.weight_panel.hover_text_at(1, 0, 2, 1)
    assert "weight" in text and "bias" not in text
    mnist = shared_window("mnist")
    mnist.frames.render_latest()
    assert "bias" in mnist.weight_panel.hover_text_at(1, 0, 2, 1)


def test_all_zero_weights_get_a_colour_bar_of_one_not_a_millionth(shared_window):
    win = shared_window("smile")  # every weight starts at 0
    win.frames.render_latest()
    assert win.weight_panel.levels()[0] == 1.0
    assert not win.weight_panel.editor.bias_box.isVisibleTo(win.weight_panel)  # the smile has no bias


def test_every_lesson_starts_at_exactly_its_watchable_speed(make_window):
    from nnviz.model.lessons import LESSONS

    panel = make_window("smile").training_panel
    for lesson in LESSONS.values():
        panel.set_speed(lesson.speed)
        assert panel.speed() == lesson.speed, lesson.name
