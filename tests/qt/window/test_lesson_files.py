"""Lesson files, crash recovery and exports on the real window."""

import numpy as np
from PIL import Image
from PySide6.QtCore import QSettings
from PySide6.QtGui import QImage

from nnviz.model.files.lessonfile import load_lesson_file
from tests.qt.conftest import wait_iteration


def test_a_lesson_file_carries_weights_history_and_examples_to_another_window(qtbot, make_window, tmp_path):
    win = make_window("smile")
    win.controller.step(5)
    snap = wait_iteration(qtbot, win, 5)
    win.add_drawing_to_training_set(label=1)
    path = tmp_path / "moment.nnviz"
    assert win.files.save_lesson_file(str(path))
    lf = load_lesson_file(path)
    assert lf.iteration == 5 and lf.n_examples == 1 and len(lf.history["loss"]) == 5

    other = make_window("digits")  # another lesson open: the file switches it to smile
    other.files.open_lesson_file(str(path))
    qtbot.waitUntil(lambda: other.controller.latest.lesson == "smile" and other.controller.latest.iteration == 5,
                    timeout=10000)
    other.frames.render_latest()
    got = other.controller.latest
    for a, b in zip(got.weights, snap.weights):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(got.history["loss"], snap.history["loss"])
    qtbot.waitUntil(lambda: len(other.examples) == 1, timeout=5000)
    assert other.examples.examples.labels == [1]


def _relaunch(qtbot, win, lesson="digits"):
    from nnviz.qt.window.main_window import MainWindow
    again = MainWindow(lesson=lesson, settings=QSettings(win.settings.fileName(), QSettings.IniFormat))
    qtbot.addWidget(again)
    again.show()
    qtbot.waitUntil(lambda: again.controller.latest is not None, timeout=10000)
    return again


def test_a_normal_quit_keeps_the_run_and_the_next_start_resumes_it_with_a_fresh_start_offered(qtbot, make_window):
    win = make_window("digits")
    win.controller.step(7)
    snap = wait_iteration(qtbot, win, 7)
    win.close()  # Ctrl+Q: nothing asked, nothing lost
    again = _relaunch(qtbot, win)
    qtbot.waitUntil(lambda: again.controller.latest.iteration == 7, timeout=10000)
    for a, b in zip(again.controller.latest.weights, snap.weights):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(again.controller.latest.history["loss"], snap.history["loss"])
    # the rewind history too: the learner can scrub back past the point it resumed at
    qtbot.waitUntil(lambda: again.controller.latest.timeline == snap.timeline, timeout=10000)
    assert snap.timeline[:3] == (0, 1, 2)
    text = again.notice.label.text()
    assert again.notice.isVisible() and "resumed where you left off" in text and "iteration 7" in text
    assert not any("sessions" in p for p in again.files.recent())  # the app's own file is not a recent one
    fresh = next(b for b in again.notice.buttons if b.text() == "Start fresh")
    fresh.click()
    qtbot.waitUntil(lambda: again.controller.latest.iteration == 0, timeout=10000)
    again.controller.undo()  # the resumed run is kept: Undo brings it back
    qtbot.waitUntil(lambda: again.controller.latest.iteration == 7, timeout=10000)
    again.close()


def test_each_lessons_drawing_comes_back_after_a_quit_and_after_a_crash(qtbot, make_window):
    """The run was resumed after a quit, but the drawing the learner was asking about was gone."""
    win = make_window("digits")
    digit = np.zeros((8, 8), np.float32)
    digit[1:7, 3:5] = 0.75
    win.pixel_editor.set_image(digit)
    win.choose_lesson("smile")
    qtbot.waitUntil(lambda: win.controller.latest.lesson == "smile", timeout=10000)
    face = win.pixel_editor.canvas.image
    face[2, 1] = face[2, 2] = 1.0
    win.pixel_editor.set_image(face)
    win.close()
    again = _relaunch(qtbot, win, lesson="smile")
    qtbot.waitUntil(lambda: again.pixel_editor.canvas.shape == face.shape, timeout=10000)
    np.testing.assert_array_equal(again.pixel_editor.canvas.image, face)
    again.choose_lesson("digits")
    qtbot.waitUntil(lambda: again.controller.latest.lesson == "digits", timeout=10000)
    np.testing.assert_array_equal(again.pixel_editor.canvas.image, digit)
    digits_grid = ("digits", 8, 8, False)
    assert set(again.files.kept_drawings()) == {digits_grid, ("smile", 4, 3, True)}
    again.pixel_editor.clear()
    again._session.timeout.emit()  # the autosave a crash would have left
    assert set(again.files.kept_drawings()) == {("smile", 4, 3, True)}  # a cleared grid keeps nothing
    again.close()


def test_a_model_opened_before_the_first_step_comes_back_after_a_quit(qtbot, make_window, tmp_path):
    """A session at iteration 0 was never resumed: a model opened (or a weight set by hand)
    and the app quit came back as the lesson's own untrained network."""
    from nnviz.model.files.modelfile import save_model
    from nnviz.model.files.saved_model import SavedModel
    from nnviz.model.lessons import get_lesson

    other = get_lesson("digits").network(seed=7)  # not the lesson's own (seed 0)
    save_model(tmp_path / "mine.npz", SavedModel(other, "digits", 0, 0, 7, {}))
    win = make_window("digits")
    win.files.open_model(str(tmp_path / "mine.npz"))
    qtbot.waitUntil(lambda: np.array_equal(win.controller.latest.weights[0], other.weights[0]), timeout=10000)
    assert win.controller.latest.iteration == 0
    win.close()
    again = _relaunch(qtbot, win)
    qtbot.waitUntil(lambda: np.array_equal(again.controller.latest.weights[0], other.weights[0]), timeout=10000)
    for a, b in zip(again.controller.latest.weights, other.weights):
        np.testing.assert_array_equal(a, b)
    assert again.notice.isVisible() and "resumed where you left off" in again.notice.label.text()
    again.choose_lesson("smile")  # only looked at: its session is saved at iteration 0 as it opened
    qtbot.waitUntil(lambda: again.controller.latest.lesson == "smile", timeout=10000)
    again.close()
    assert again.files.session_path("smile").exists()
    # a lesson only looked at is not "resumed": it opens as it always does, with no notice
    third = _relaunch(qtbot, again, lesson="smile")
    qtbot.waitUntil(lambda: third.controller.latest.lesson == "smile", timeout=10000)
    assert not third.notice.isVisible() or "resumed" not in third.notice.label.text()
    third.close()


def test_every_lesson_left_is_resumed_when_the_learner_comes_back_to_it_after_a_restart(qtbot, make_window):
    win = make_window("digits")
    win.controller.step(5)
    wait_iteration(qtbot, win, 5)
    win.choose_lesson("smile")  # leaving digits keeps its run on disk
    qtbot.waitUntil(lambda: win.controller.latest is not None and win.controller.latest.lesson == "smile",
                    timeout=10000)
    win.controller.step(3)
    wait_iteration(qtbot, win, 3)
    win.close()
    again = _relaunch(qtbot, win, lesson="smile")
    qtbot.waitUntil(lambda: again.controller.latest.iteration == 3, timeout=10000)
    again.choose_lesson("digits")
    qtbot.waitUntil(lambda: again.controller.latest.lesson == "digits" and again.controller.latest.iteration == 5,
                    timeout=10000)
    qtbot.waitUntil(lambda: again.controller.latest.timeline == (0, 1, 2, 3, 4, 5), timeout=10000)
    again.close()


def test_after_a_crash_the_autosaved_session_is_resumed_and_its_examples_are_not_doubled(qtbot, make_window):
    win = make_window("digits")
    win.examples.add(np.full(64, 0.5, np.float32), 1)
    win.controller.step(7)
    snap = wait_iteration(qtbot, win, 7)
    qtbot.waitUntil(lambda: win.controller.latest.iteration == 7 and win.files.autosave_session(), timeout=10000)
    settings = win.settings
    settings.setValue("running", True)  # as if the process had died without closing the window
    settings.sync()
    again = _relaunch(qtbot, win)
    qtbot.waitUntil(lambda: again.controller.latest.iteration == 7, timeout=10000)
    assert again.notice.isVisible() and "did not close normally" in again.notice.label.text()
    for a, b in zip(again.controller.latest.weights, snap.weights):
        np.testing.assert_array_equal(a, b)
    assert again.examples.examples.labels == [1]  # the learner's one example, once
    again.files.open_lesson_file(str(again.files.session_path("digits")))  # opening the file by hand
    qtbot.waitUntil(lambda: again.controller.latest.iteration == 7, timeout=10000)
    assert again.examples.examples.labels == [1]
    again.close()
    assert not again.controller.thread.isRunning()
    calm = _relaunch(qtbot, again)
    qtbot.waitUntil(lambda: calm.controller.latest.iteration == 7, timeout=10000)
    assert "did not close normally" not in calm.notice.label.text()  # a clean exit: no alarm
    calm.close()


def test_panel_png_is_twice_the_size_and_the_gif_has_a_frame_per_iteration(qtbot, make_window, tmp_path):
    win = make_window("digits")
    out = tmp_path / "weights.png"
    w, h = win.exports.export_panel("weightPanel", str(out), scale=2.0)
    img = QImage(str(out))
    panel = win.docks["weightPanel"].widget()
    assert (img.width(), img.height()) == (w, h) == (2 * panel.width(), 2 * panel.height())
    win.controller.step(12)
    wait_iteration(qtbot, win, 12)
    qtbot.waitUntil(lambda: len(win.controller.latest.timeline) == 13, timeout=5000)
    gif = tmp_path / "w.gif"
    with qtbot.waitSignal(win.exports.message, timeout=10000) as written:
        win.exports.export_weights_gif(str(gif), 2, 9, fps=10)
    assert written.args[0].startswith(f"Exported {gif}: 8 frames")
    with Image.open(gif) as im:
        assert im.size == (panel.width(), panel.height())
        assert getattr(im, "n_frames", 1) >= 2  # identical neighbours may merge; most iterations differ
