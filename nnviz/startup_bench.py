"""``nnviz bench --startup``: launch the real app as a learner does and time its start-up.

Each run starts ``python -m nnviz --lesson L`` in a fresh process with a fresh settings folder
(a first start, no saved layout) and reads back the milestones the app noted
(``nnviz/qt/startup.py``), measured from the moment the process was launched. Medians of
``runs`` launches per lesson are reported, next to the machine's load.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MILESTONES = ("python_ready", "splash_painted", "imported", "window_built", "first_frame", "painted")
LABELS = {"python_ready": "Python + nnviz.cli", "splash_painted": "start-up card painted",
          "imported": "Qt, pyqtgraph, views imported", "window_built": "window built",
          "first_frame": "lesson drawn (hidden)", "painted": "window on screen"}
#: also noted, for the tests: when the window was asked to show, when the card went
EVENTS = ("window_shown", "splash_closed")


def launch_once(lesson: str, timeout: float = 60.0) -> dict[str, float]:
    """Seconds from launch to each milestone for one start of the app."""
    with tempfile.TemporaryDirectory(prefix="nnviz-startup-") as home:
        report = Path(home) / "startup.json"
        env = dict(os.environ, NNVIZ_STARTUP_REPORT=str(report), XDG_CONFIG_HOME=home,
                   XDG_DATA_HOME=home, HOME=home)
        # a learner's shell lets Python cache compiled modules (some CI and sandbox shells do not)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
            env["QT_QPA_PLATFORM"] = env.get("QT_QPA_PLATFORM") or "offscreen"
        t0 = time.time()
        proc = subprocess.run([sys.executable, "-m", "nnviz", "--lesson", lesson], env=env,
                              capture_output=True, text=True, timeout=timeout)
        if not report.exists():
            raise RuntimeError(f"the app did not report its start-up (exit {proc.returncode}): "
                               f"{proc.stderr.strip()[-400:]}")
        marks = json.loads(report.read_text())
    return {k: marks[k] - t0 for k in MILESTONES + EVENTS if k in marks}


def run_startup(lessons=("mnist", "digits", "smile"), runs: int = 5) -> dict:
    result = {"platform": "offscreen" if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
              else "display", "runs": runs}
    launch_once(lessons[0])  # warm the file cache, as a learner's second start would be
    for lesson in lessons:
        each = [launch_once(lesson) for _ in range(max(1, runs))]
        result[lesson] = {k: statistics.median(r[k] for r in each) for k in MILESTONES if all(k in r for r in each)}
        result[lesson]["painted_each"] = [r["painted"] for r in each]
    try:
        result["load_average"] = list(os.getloadavg())
    except OSError:
        pass
    return result


def format_startup(result: dict) -> str:
    lines = [f"start-up, median of {result['runs']} launches ({result['platform']}), seconds from launch:"]
    for lesson, r in result.items():
        if not isinstance(r, dict):
            continue
        parts = [f"{LABELS[k]} {r[k]:.2f}" for k in MILESTONES if k in r]
        lines.append(f"  {lesson}: " + " → ".join(parts) +
                     f"  (on screen: {min(r['painted_each']):.2f}–{max(r['painted_each']):.2f})")
    if "load_average" in result:
        lines.append(f"  (machine load average {result['load_average'][0]:.2f} on {os.cpu_count()} cores)")
    return "\n".join(lines)
