"""``nnviz bench --soak N``: the app left training for N iterations, its memory sampled on the way.

A learner may leave a lesson running over lunch or overnight. This opens the real window
offscreen on a lesson, runs training at full speed (the window drawing as it does for a
learner) and records the process's resident memory at 10 k and 100 k iterations, then every
tenth of the way, and at the end, with the sizes of what grows with a run: the history's
columns and the timeline. Memory should level off once the rewind budget is full
(core/timeline.py) and the history folds its older iterations (core/history.py).
"""

from __future__ import annotations

import os
import time

from PySide6.QtCore import QEventLoop, QTimer

from .offscreen import open_window, wait_until


def resident_mb() -> float:
    """This process's resident memory (RSS), in MiB (Linux /proc; 0 where there is none)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


def _marks(iterations: int) -> list[int]:
    """10 k, 100 k, then every tenth of the way: a trend, not only two points."""
    marks, m = [10_000, 100_000], 100_000
    step = max(100_000, iterations // 10)
    while m + step < iterations:
        m += step
        marks.append(m)
    return [k for k in marks if k < iterations] + [iterations]


def run_soak(iterations: int = 1_000_000, lesson: str = "mnist", report=print, batch_size: int = 0) -> dict:
    """Train ``lesson`` in the window to ``iterations``; ``report(line)`` at each mark. Returns
    {"lesson", "batch_size", "samples": [{iteration, batch_size, seconds, rss_mb, history_mb, timeline_mb,
    timeline_states}]}.

    ``batch_size`` (0: the lesson's) only sets how long it takes: what grows with a run is kept
    per iteration and per epoch, and a small batch makes more epochs of the same iterations."""
    app, win = open_window(lesson, 1366, 768)
    samples = []
    try:
        c = win.controller
        start = time.perf_counter()
        if batch_size:
            c.change_settings(batch_size=int(batch_size))
        c.set_speed(0)
        c.run()
        wait_until(app, lambda: c.running, 10)
        loop = QEventLoop()
        marks = _marks(iterations)

        def check():
            snap = c.latest
            if snap is None or not marks or snap.iteration < marks[0]:
                return
            while marks and snap.iteration >= marks[0]:
                marks.pop(0)
            session = c.worker.session  # read-only sizes, while the worker trains on
            hist = sum(a.nbytes for a in snap.history.values()) / 2**20
            row = {"iteration": int(snap.iteration), "batch_size": int(snap.settings["batch_size"]),
                   "seconds": round(time.perf_counter() - start, 1),
                   "rss_mb": round(resident_mb(), 1), "history_mb": round(hist, 1),
                   "timeline_mb": round(session.timeline.footprint() / 2**20, 1),
                   "timeline_states": len(session.timeline)}
            samples.append(row)
            report(f"{row['iteration']:>12,} iterations  {row['seconds']:>8.0f} s  RSS {row['rss_mb']:7.1f} MiB  "
                   f"(history {row['history_mb']:.1f} MiB, timeline {row['timeline_states']} states "
                   f"{row['timeline_mb']:.1f} MiB)")
            if not marks:
                loop.quit()

        timer = QTimer()
        timer.setInterval(250)
        timer.timeout.connect(check)
        timer.start()
        loop.exec()
        timer.stop()
        c.pause()
        wait_until(app, lambda: not c.running, 10)
    finally:
        win.close()
    return {"lesson": lesson, "batch_size": int(batch_size), "samples": samples}
