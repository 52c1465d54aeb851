"""Start-up milestones of the real app, for ``nnviz bench --startup``.

With ``NNVIZ_STARTUP_REPORT=FILE`` set, the app notes the wall-clock time of each milestone
(Python running nnviz's code, the start-up card painted, Qt and the views imported, window
built, window first painted, first frame of the lesson rendered), writes them to FILE as JSON
and quits. The
benchmark launches the app the way a learner does and subtracts its own launch time.
"""

from __future__ import annotations

import json
import os
import time

ENV = "NNVIZ_STARTUP_REPORT"
MARKS: dict[str, float] = {}


def mark(name: str) -> None:
    """Record the first time ``name`` happened (wall clock, comparable across processes)."""
    MARKS.setdefault(name, time.time())


def watch(app, win, also=()) -> None:
    """When reporting was asked for: note the window's first paint on screen and its first lesson
    frame (and wait for the marks in ``also``), then write the report and quit."""
    path = os.environ.get(ENV)
    if not path:
        return
    from PySide6.QtCore import QTimer

    from .splash import OnFirstPaint

    OnFirstPaint(win, lambda: mark("painted"))
    poll = QTimer(win)
    poll.setInterval(1)

    def check():
        if win.frames.frames_rendered:
            mark("first_frame")
        if all(m in MARKS for m in ("painted", "first_frame", *also)):
            poll.stop()
            with open(path, "w", encoding="utf-8") as f:
                json.dump(MARKS, f)
            win.close()

    poll.timeout.connect(check)
    poll.start()
