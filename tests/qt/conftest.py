import pytest

from nnviz.qt.offscreen import scratch_settings


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
        win.render_latest()
        windows.append(win)
        return win

    yield make
    for win in windows:
        win.close()
        assert not win.controller.thread.isRunning()


def wait_iteration(qtbot, win, n, timeout=10000):
    qtbot.waitUntil(lambda: win.controller.latest.iteration == n, timeout=timeout)
    win.render_latest()
    return win.controller.latest


def shown(qtbot, widget, width, height):
    """A standalone widget, sized and exposed on the offscreen screen."""
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)
    return widget
