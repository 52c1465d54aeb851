"""``nnviz bench --gui``: the app's numbers, measured offscreen on the real window.

- training throughput with the window open and animating vs headless (same lesson);
- frames per second the display timer actually rendered while training;
- the longest stall of the GUI event loop while running (a 5 ms probe timer);
- latency from one mouse-move event on the editor to the views and readout updated;
- time to refresh every view from one snapshot;
- training the conv nets people publish (LeNet-5, a 32→64 3×3 net), opened as model files into the
  mnist-conv lesson: the longest stall while they train (target 100 ms), it/s and fps;
- the freeze matrix (``freeze_matrix.py``): the longest event-loop gap for every lesson × Explore
  tab × learner action, on a 1366×768 window (target: 100 ms each).

The machine may be shared, so the load changes from second to second. Each repeat
therefore measures headless and in-app training back to back (same process, same
minute) and takes their ratio; the report gives the median over the repeats, with the
spread, and the worst stall of any repeat next to the median one.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QEventLoop, QPointF, Qt, QTimer
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from ..bench import TRAIN_SPECS
from ..model.core.networks import build_network
from ..model.files.modelfile import save_model
from ..model.files.saved_model import SavedModel
from ..model.lessons import get_lesson
from ..model.core.reports import Opened
from .freeze_matrix import format_matrix, walk
from .offscreen import open_window, train_in_window, wait_until


def _headless_iterations_per_second(lesson: str, seconds: float) -> float:
    t = get_lesson(lesson).build()
    for _ in range(20):
        t.step()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        t.step()
        n += 1
    return n / (time.perf_counter() - start)


def _gui_run(app, win, seconds: float) -> dict:
    frames = []
    original = win.frames.display_tick

    def counting_render():
        before = win.frames.rendered
        original()
        if win.frames.rendered is not before:
            frames.append(time.perf_counter())

    win.frames.timer.timeout.disconnect()
    win.frames.timer.timeout.connect(counting_render)
    gaps, last = [], [time.perf_counter()]

    def probe():
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    # A 5 ms probe resolves a 50 ms stall well; a 1 ms one wakes the GUI thread 1,000×/s and
    # takes the GIL from training that often, lowering the very throughput being measured.
    timer = QTimer()
    timer.setTimerType(Qt.PreciseTimer)
    timer.setInterval(5)
    timer.timeout.connect(probe)
    start_it = win.controller.latest.iteration
    win.controller.set_speed(0)
    win.controller.run()
    wait_until(app, lambda: win.controller.running, 10)
    t0 = time.perf_counter()
    i0 = win.controller.latest.iteration
    timer.start()
    last[0] = time.perf_counter()
    # a real event loop, idle between events, as app.exec() would be
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    timer.stop()
    i1, t1 = win.controller.latest.iteration, time.perf_counter()
    win.controller.pause()
    wait_until(app, lambda: not win.controller.running, 10)
    win.frames.timer.timeout.disconnect()
    win.frames.timer.timeout.connect(original)
    rendered = [f for f in frames if f >= t0]
    return {"iterations_per_second": (i1 - i0) / (t1 - t0), "fps": len(rendered) / (t1 - t0),
            "longest_stall_ms": 1000 * max(gaps[1:] or [0.0]), "iterations": i1 - start_it}


def _refresh_ms(app, win, repeats: int = 30) -> list[float]:
    """Time to render every view from a new snapshot (forced by forgetting the last one)."""
    times = []
    for _ in range(repeats):
        win.frames.rendered = None
        t = time.perf_counter()
        win.frames.render_latest()
        app.processEvents()  # include the painting the update caused
        times.append(1000 * (time.perf_counter() - t))
    return times


def _mouse_move_ms(app, win, repeats: int = 60) -> list[float]:
    """Mouse-move event on the editor -> stroke painted, forward pass, views and readout updated."""
    ed = win.pixel_editor
    h, w = ed.image().shape
    target = ed.grid  # the widget that takes the mouse
    pts = [target.mapFrom(ed, ed.cell_center(int(h / 2 + (h / 3) * np.sin(a)), int(w / 2 + (w / 3) * np.cos(a))))
           for a in np.linspace(0, 2 * np.pi, repeats + 1)]

    def send(kind, p, button, buttons):
        ev = QMouseEvent(kind, QPointF(p), QPointF(target.mapToGlobal(p)), button, buttons,
                         Qt.NoModifier)
        QApplication.sendEvent(target, ev)

    send(QEvent.MouseButtonPress, pts[0], Qt.LeftButton, Qt.LeftButton)
    times = []
    for p in pts[1:]:
        t = time.perf_counter()
        send(QEvent.MouseMove, p, Qt.NoButton, Qt.LeftButton)
        app.processEvents()  # include the repaint of the editor and views
        times.append(1000 * (time.perf_counter() - t))
    send(QEvent.MouseButtonRelease, pts[-1], Qt.LeftButton, Qt.NoButton)
    return times


REPEATS = 5


def _spread(values) -> str:
    return f"{min(values):.0%}–{max(values):.0%}" if len(values) > 1 else ""


def _lesson_bench(lesson: str, seconds: float, repeats: int) -> dict:
    app, win = open_window(lesson)
    runs = []
    try:
        train_in_window(app, win, 50)
        for _ in range(repeats):
            headless = _headless_iterations_per_second(lesson, seconds * 2)
            run = _gui_run(app, win, seconds * 3)
            runs.append({**run, "headless_iterations_per_second": headless,
                         "gui_vs_headless": run["iterations_per_second"] / headless})
        refresh = _refresh_ms(app, win)
        move = _mouse_move_ms(app, win)
    finally:
        win.close()
    med = lambda key: statistics.median(r[key] for r in runs)  # noqa: E731
    return {"repeats": len(runs), "runs": runs,
            "headless_iterations_per_second": med("headless_iterations_per_second"),
            "gui_iterations_per_second": med("iterations_per_second"),
            "gui_vs_headless": med("gui_vs_headless"),
            "gui_vs_headless_each": [r["gui_vs_headless"] for r in runs],
            "fps_while_training": med("fps"),
            "longest_stall_ms": med("longest_stall_ms"),
            "longest_stall_ms_worst": max(r["longest_stall_ms"] for r in runs),
            "refresh_all_views_ms_median": statistics.median(refresh),
            "mouse_move_to_views_ms_median": statistics.median(move),
            "mouse_move_to_views_ms_p95": float(np.percentile(move, 95))}


#: the published-size nets trained in the window (bench.TRAIN_SPECS names)
IMPORTED = ("LeNet-5", "32-64 3×3 → 128")


def _open_and_wait(app, win, path: Path) -> None:
    opened = []
    win.controller.reported.connect(opened.append)
    win.files.open_model(str(path))
    wait_until(app, lambda: any(isinstance(r, Opened) for r in opened), 60)
    win.controller.reported.disconnect(opened.append)


def _imported_bench(seconds: float, repeats: int) -> dict:
    """Each IMPORTED net saved as a model file, opened into a 1366×768 mnist-conv window (as a learner
    opens a downloaded model) and trained there: {name: {longest stall, it/s, fps}}, medians of
    ``repeats`` runs of 3·seconds."""
    app, win = open_window("mnist-conv", 1366, 768)
    result = {}
    try:
        with tempfile.TemporaryDirectory() as folder:
            for name in IMPORTED:
                path = Path(folder) / "model.npz"
                save_model(path, SavedModel(build_network(TRAIN_SPECS[name], seed=0), "mnist-conv"))
                _open_and_wait(app, win, path)
                train_in_window(app, win, 5)
                runs = [_gui_run(app, win, seconds * 3) for _ in range(max(1, repeats))]
                result[name] = {key: statistics.median(r[key] for r in runs)
                                for key in ("longest_stall_ms", "iterations_per_second", "fps")}
                result[name]["longest_stall_ms_worst"] = max(r["longest_stall_ms"] for r in runs)
    finally:
        win.close()
    return result


def run_gui_bench(seconds: float = 1.0, repeats: int = REPEATS) -> dict:
    """Per lesson: ``repeats`` × (headless for 2·seconds, then in the app for 3·seconds)."""
    result = {}
    lines = []
    for lesson in ("mnist", "digits"):
        r = _lesson_bench(lesson, seconds, max(1, repeats))
        result[lesson] = r
        lines.append(f"{lesson}: training {r['gui_iterations_per_second']:,.0f} it/s in the app vs "
                     f"{r['headless_iterations_per_second']:,.0f} headless "
                     f"({r['gui_vs_headless']:.0%}, median of {r['repeats']} paired runs "
                     f"{_spread(r['gui_vs_headless_each'])}); {r['fps_while_training']:.0f} fps; "
                     f"longest GUI stall {r['longest_stall_ms']:.1f} ms (worst {r['longest_stall_ms_worst']:.1f}); "
                     f"refresh all views {r['refresh_all_views_ms_median']:.2f} ms (median); mouse move → views "
                     f"{r['mouse_move_to_views_ms_median']:.2f} ms median, {r['mouse_move_to_views_ms_p95']:.2f} ms p95")
    imported = _imported_bench(seconds, max(1, repeats))
    result["imported"] = imported
    for name, r in imported.items():
        lines.append(f"{name} opened into mnist-conv (1366×768), training: longest GUI stall "
                     f"{r['longest_stall_ms']:.1f} ms (worst {r['longest_stall_ms_worst']:.1f}; target 100); "
                     f"{r['iterations_per_second']:,.1f} it/s; {r['fps']:.0f} fps")
    app, win = open_window("smile", 1366, 768)  # the laptop screen the matrix is judged on
    try:
        gaps = walk(app, win, run_seconds=2.0)
    finally:
        win.close()
    result["freeze_matrix"] = {" / ".join(k): round(v, 1) for k, v in gaps.items()}
    result["freeze_matrix_worst_ms"] = round(max(gaps.values()), 1)
    lines.append(format_matrix(gaps))
    try:
        load = os.getloadavg()
        result["load_average"] = list(load)
        lines.append(f"(machine load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} on {os.cpu_count()} cores)")
    except OSError:
        pass
    result["_table"] = "\n".join(lines)
    return result
