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
