"""The start-up card: painted before the heavy imports, gone once the window shows its lesson."""

import os
import subprocess
import sys
import textwrap
import time

import pytest
import shiboken6
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

from nnviz.qt.splash import SIZE, card_message, show_card, wait_until
from nnviz.qt.app import FIRST_FRAME_WAIT_MS
from nnviz.startup_bench import EVENTS, MILESTONES, launch_once


def test_the_card_is_on_screen_when_show_card_returns_and_names_the_lesson(qtbot):
    painted = []
    card = show_card(QApplication.instance(), card_message("digits"), on_paint=lambda: painted.append(True))
    assert painted == [True] and card.isVisible() and card.windowHandle().isExposed()
    assert card.message == "Opening the digits lesson…"
    assert (card.width(), card.height()) == SIZE
    img = card.grab().toImage()
    # drawn, not blank: the name's dark ink and the weights' green and red are on it
    colours = {img.pixelColor(x, y).name() for x in range(0, SIZE[0], 3) for y in range(0, SIZE[1], 3)}
    assert len(colours) > 20
    card.close()
    assert card_message(None) == "Opening…"  # no lesson chosen yet: no guess
    assert card_message("smile", model="/home/me/runs/my net.pt") == "Opening my net.pt…"


def test_the_card_closes_only_after_the_window_has_painted(qtbot):
    card = show_card(QApplication.instance(), card_message("smile"))
    win = QMainWindow()
    qtbot.addWidget(win)
    card.close_when_painted(win)
    qtbot.wait(50)
    assert card.isVisible()  # the window is not shown yet: the card stays
    win.show()
    qtbot.waitUntil(lambda: not shiboken6.isValid(card), timeout=5000)  # closed and deleted


def test_the_card_goes_after_a_time_limit_and_may_be_closed_first_without_an_error(qtbot):
    card = show_card(QApplication.instance(), card_message("smile"))
    never_shown = QMainWindow()  # e.g. mapped on another workspace: no paint ever comes
    qtbot.addWidget(never_shown)
    card.close_when_painted(never_shown, at_most_ms=100)
    qtbot.waitUntil(lambda: not shiboken6.isValid(card), timeout=5000)
    card = show_card(QApplication.instance(), card_message("smile"))
    win = QMainWindow()
    qtbot.addWidget(win)
    card.close_when_painted(win, at_most_ms=100)
    card.close()  # from outside (the window manager), before the window paints
    qtbot.waitUntil(lambda: not shiboken6.isValid(card), timeout=5000)
    win.show()
    qtbot.wait(200)  # its paint and the time limit come and go: nothing raises


@pytest.mark.timing
def test_waiting_at_start_up_ends_when_done_or_at_the_timeout(qtbot):
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)  # the event loop runs meanwhile: timers, signals from the training thread
    t0 = time.perf_counter()
    wait_until(lambda: len(ticks) >= 3, 5000)
    assert len(ticks) >= 3 and time.perf_counter() - t0 < 4  # done: no wait for the timeout
    t0 = time.perf_counter()
    wait_until(lambda: False, 200)
    assert time.perf_counter() - t0 >= 0.18  # the time limit, give or take the clock's grain


@pytest.mark.slow
def test_the_app_paints_the_card_first_and_shows_the_window_with_its_lesson_drawn():
    t = launch_once("smile")
    order = ["python_ready", "splash_painted", "imported", "window_built", "first_frame", "window_shown",
             "painted", "splash_closed"]
    assert set(t) == set(order) == set(MILESTONES + EVENTS)  # every milestone reached
    # the card before the heavy imports; the lesson drawn before the window maps (no black
    # rectangle); the card gone only once the window is on screen
    assert [t[k] for k in order] == sorted(t[k] for k in order), t


FAILING_LESSON = textwrap.dedent("""
    import time
    from PySide6.QtCore import QTimer
    from nnviz.model import session
    from nnviz.model.errors import NNVizError
    from nnviz.qt import app
    from nnviz.qt.window import main_window

    def broken(self, *args, **kwargs):
        raise NNVizError("the lesson's data could not be read")
    session.TrainingSession.load_lesson = broken
    built, show = main_window.MainWindow.__init__, main_window.MainWindow.show
    def init(self, *args, **kwargs):
        built(self, *args, **kwargs)
        self.built_at = time.perf_counter()
    def shown(self):
        print("waited", time.perf_counter() - self.built_at)
        QTimer.singleShot(300, lambda: (print("says", self.training_panel.message_label.text()), self.close()))
        show(self)
    main_window.MainWindow.__init__, main_window.MainWindow.show = init, shown
    print("exit", app.main(lesson="smile"))
""")


@pytest.mark.timing
@pytest.mark.slow
def test_a_lesson_that_fails_to_load_shows_the_window_and_the_reason_at_once(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", FAILING_LESSON], capture_output=True, text=True, timeout=60,
                          env=env)
    out = dict(line.split(" ", 1) for line in proc.stdout.splitlines())
    assert out["exit"] == "0", proc.stderr
    assert "could not be read" in out["says"]
    # not the 5 s a first frame may take: the failure ends the wait
    assert float(out["waited"]) < FIRST_FRAME_WAIT_MS / 1000 / 2


@pytest.mark.slow
def test_a_missing_qt_library_is_named_in_one_sentence_not_a_traceback(tmp_path):
    # as on a bare machine without libglib: the import of QtWidgets fails with the loader's words
    code = textwrap.dedent("""
        import sys
        class NoGlib:
            def find_spec(self, name, path=None, target=None):
                if name == "PySide6.QtWidgets":
                    raise ImportError("libglib-2.0.so.0: cannot open shared object file: No such file or directory")
        sys.meta_path.insert(0, NoGlib())
        from nnviz.cli import main
        sys.exit(main(["--lesson", "smile"]))
    """)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert "libglib-2.0.so.0" in proc.stderr and "README" in proc.stderr
