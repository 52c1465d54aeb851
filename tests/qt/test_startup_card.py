"""The start-up card: painted before the heavy imports, gone once the window shows its lesson."""

import os
import subprocess
import sys
import textwrap
import time

import shiboken6
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

from nnviz.qt.splash import SIZE, StartupCard, show_card, wait_until
from nnviz.startup_bench import MILESTONES, launch_once


def test_the_card_is_on_screen_when_show_card_returns_and_names_the_lesson(qtbot):
    painted = []
    card = show_card(QApplication.instance(), "digits", on_paint=lambda: painted.append(True))
    assert painted == [True] and card.isVisible() and card.windowHandle().isExposed()
    assert card.message == "Opening the digits lesson…"
    assert (card.width(), card.height()) == SIZE
    img = card.grab().toImage()
    # drawn, not blank: the name's dark ink and the weights' green and red are on it
    colours = {img.pixelColor(x, y).name() for x in range(0, SIZE[0], 3) for y in range(0, SIZE[1], 3)}
    assert len(colours) > 20
    card.close()
    assert StartupCard(None, 1.0).message == "Opening…"  # no lesson chosen yet: no guess


def test_the_card_closes_only_after_the_window_has_painted(qtbot):
    card = show_card(QApplication.instance(), "smile")
    win = QMainWindow()
    qtbot.addWidget(win)
    card.close_when_painted(win)
    qtbot.wait(50)
    assert card.isVisible()  # the window is not shown yet: the card stays
    win.show()
    qtbot.waitUntil(lambda: not shiboken6.isValid(card), timeout=5000)  # closed and deleted


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
    assert time.perf_counter() - t0 >= 0.19


def test_the_app_paints_the_card_before_importing_pyqtgraph_and_the_views():
    t = launch_once("smile")
    assert list(t) == list(MILESTONES)  # every milestone reached, in this order
    assert all(a <= b for a, b in zip(t.values(), list(t.values())[1:]))
    assert t["splash_painted"] < t["imported"]


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
