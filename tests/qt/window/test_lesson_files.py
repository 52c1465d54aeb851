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


def test_after_a_crash_the_autosaved_session_is_offered_and_restored(qtbot, make_window):
    from nnviz.qt.window.main_window import MainWindow
    win = make_window("digits")
    win.controller.step(7)
    snap = wait_iteration(qtbot, win, 7)
    assert win.files.autosave_session()
    settings = win.settings
    settings.setValue("running", True)  # as if the process had died without closing the window
    settings.sync()
    again = MainWindow(lesson="digits", settings=QSettings(settings.fileName(), QSettings.IniFormat))
    qtbot.addWidget(again)
    again.show()
    qtbot.waitUntil(lambda: again.controller.latest is not None, timeout=10000)
    assert again.notice.isVisible() and "did not close normally" in again.notice.label.text()
    restore = next(b for b in again.notice.buttons if b.text() == "Restore it")
    restore.click()
    qtbot.waitUntil(lambda: again.controller.latest.iteration == 7, timeout=10000)
    for a, b in zip(again.controller.latest.weights, snap.weights):
        np.testing.assert_array_equal(a, b)
    again.close()
    assert not again.controller.thread.isRunning()
    fresh = MainWindow(lesson="digits", settings=QSettings(settings.fileName(), QSettings.IniFormat))
    qtbot.addWidget(fresh)
    fresh.show()
    qtbot.waitUntil(lambda: fresh.controller.latest is not None, timeout=10000)
    assert not fresh.notice.isVisible()  # a clean exit offers nothing
    fresh.close()


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
