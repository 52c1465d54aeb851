"""Python's cyclic collector, run on the GUI thread only.

CPython collects in whichever thread happens to allocate past the threshold. When that was the
training thread (or a view's background job) and the garbage held Qt objects — a closed
window's menus, a replaced plot — their C++ destructors ran there: one took a QObject's lock and
waited for the GIL, which the GUI thread held while waiting for that same lock, and both stopped
for good (a test run hung so, building a window while the worker loaded a lesson). So once a
second thread may run Python, automatic collection is off, and a timer on the GUI thread
collects as CPython would have (``collector.collect_due``). Cyclic garbage waits at most one
interval; nothing else changes.
"""

from __future__ import annotations

import gc

import shiboken6
from PySide6.QtCore import QCoreApplication, QThread, QTimer

from ..collector import collect_due

INTERVAL_MS = 100

_timer: QTimer | None = None


def collect_on_gui_thread() -> bool:
    """Switch the collector to the GUI thread's timer (once per application; call it from the
    GUI thread before starting a thread). False, and nothing changed, without an application."""
    global _timer
    app = QCoreApplication.instance()
    if app is None or QThread.currentThread() is not app.thread():
        return False
    if _timer is not None and shiboken6.isValid(_timer) and _timer.parent() is app:
        gc.disable()  # again: a test (or tool) may have switched it back on
        return True
    _timer = QTimer(app)
    _timer.setObjectName("nnviz-collector")
    _timer.setInterval(INTERVAL_MS)
    _timer.timeout.connect(collect_due)
    _timer.start()
    gc.disable()
    return True
