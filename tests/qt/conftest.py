import pytest

from nnviz.qt.offscreen import scratch_settings


@pytest.fixture(autouse=True)
def _no_input_transform_question(monkeypatch):
    """Opening a model from elsewhere asks how its input was scaled (a modal dialog that would wait
    forever offscreen): answered "none" unless a test answers otherwise."""
    from nnviz.qt.views import model_questions

    monkeypatch.setattr(model_questions, "ask_transform", lambda name, parent=None: {})


@pytest.fixture
def make_window(qtbot):
    """Open the real main window on a lesson, with throw-away settings; closed after the test."""
    from nnviz.qt.window.main_window import MainWindow

    windows = []

    def make(lesson="smile"):
        win = MainWindow(lesson=lesson, settings=scratch_settings())
        qtbot.addWidget(win)
        win.resize(1400, 900)
        win.show()
        qtbot.waitUntil(lambda: win.controller.latest is not None and win.controller.latest.lesson == lesson,
                        timeout=20000)
        win.frames.render_latest()
        windows.append(win)
        return win

    yield make
    for win in windows:
        win.close()
        assert not win.controller.thread.isRunning()


@pytest.fixture(scope="module")
def shared_window(qapp):
    """One fresh window per lesson for the whole module, for tests that only read it: they must not
    step, paint, select or change a setting (checked when the module ends)."""
    from PySide6.QtCore import QDeadlineTimer

    from nnviz.qt.window.main_window import MainWindow

    windows = {}

    def get(lesson="smile"):
        if lesson not in windows:
            win = MainWindow(lesson=lesson, settings=scratch_settings())
            win.resize(1400, 900)
            win.show()
            deadline = QDeadlineTimer(20000)
            while win.controller.latest is None or win.controller.latest.lesson != lesson:
                assert not deadline.hasExpired(), f"the {lesson} window showed no snapshot in 20 s"
                qapp.processEvents()
            win.frames.render_latest()
            windows[lesson] = (win, win.controller.latest)
        return windows[lesson][0]

    yield get
    for win, first in windows.values():
        now = win.controller.latest
        win.close()
        assert not win.controller.thread.isRunning()
        assert (now.generation, now.iteration, now.lesson) == (first.generation, first.iteration, first.lesson), \
            "a test changed the shared window: give it a window of its own (make_window)"


def wait_iteration(qtbot, win, n, timeout=10000):
    qtbot.waitUntil(lambda: win.controller.latest.iteration == n, timeout=timeout)
    win.frames.render_latest()
    return win.controller.latest


def shown(qtbot, widget, width, height):
    """A standalone widget, sized and exposed on the offscreen screen."""
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)
    return widget
