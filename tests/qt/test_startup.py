"""Start the real app in a subprocess (a second QApplication in the test process would abort)."""

import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.slow  # each test starts the real app in its own Python

# The offscreen platform plugin itself warns that it cannot propagate size hints;
# that is the test platform talking, not the app.
OFFSCREEN_PLUGIN_NOTES = ("This plugin does not support propagateSizeHints()",)


def _env(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path), HOME=str(tmp_path))
    return env


def test_the_app_starts_trains_and_exits_cleanly_without_qt_warnings(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "nnviz", "--lesson", "digits", "--quit-after", "3"],
                          capture_output=True, text=True, timeout=120, env=_env(tmp_path))
    assert proc.returncode == 0, proc.stderr
    bad = [line for line in proc.stderr.splitlines()
           if (line.startswith(("qt-warning", "qt-critical", "qt-fatal"))
               and not line.endswith(OFFSCREEN_PLUGIN_NOTES)) or "QThread: Destroyed" in line
           or "Traceback" in line]
    assert bad == []


def test_many_signal_emits_do_not_abort_python(tmp_path):
    # PySide6 6.12.0 on Python 3.11 dies with "bool_dealloc" after a few thousand emits.
    code = textwrap.dedent("""
        from PySide6.QtCore import QCoreApplication, QObject, Signal
        app = QCoreApplication([])
        class S(QObject):
            sig = Signal(bool, object)
        s, seen = S(), []
        s.sig.connect(lambda b, o: seen.append(b))
        for i in range(50000):
            s.sig.emit(i % 2 == 0, None)
        print(len(seen))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env=_env(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "50000"


def test_once_the_window_is_up_a_full_collection_no_longer_walks_it(tmp_path):
    """A full collection walked the ~74,000 objects of the modules and the window: 45 ms with the
    GIL held, the window and the trainer both stopped (nnviz.collector)."""
    code = textwrap.dedent("""
        import gc
        from nnviz.qt import app
        from nnviz.qt.window import main_window
        close = main_window.MainWindow.closeEvent
        def on_close(self, event):
            walked = len(gc.get_objects())  # what a full collection walks now
            print("frozen", gc.get_freeze_count(), "walked", walked, "panel frozen",
                  not any(o is self.weight_panel for o in gc.get_objects()))
            close(self, event)
        main_window.MainWindow.closeEvent = on_close
        print("exit", app.main(lesson="smile", quit_after=2))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env=_env(tmp_path))
    assert proc.returncode == 0, proc.stderr
    words = proc.stdout.split()
    frozen, walked = int(words[words.index("frozen") + 1]), int(words[words.index("walked") + 1])
    assert frozen > 30_000 and walked < frozen / 2, proc.stdout
    assert words[words.index("panel") + 2] == "True" and "exit 0" in proc.stdout
