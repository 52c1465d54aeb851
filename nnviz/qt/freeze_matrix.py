"""Does any learner action hold the window? The longest event-loop gap per lesson × tab × action.

A heartbeat timer ticks every 5 ms on the GUI thread while one action runs in a real event loop
and until its result is on screen; the longest gap between two ticks is how long the window
stopped answering. Every lesson is walked with each Explore tab showing (and with the Explore
dock behind the Weights, "none"), and in each the actions a learner takes: show the tab, Step,
Run for a while, select a neuron, rewind, set a weight by hand, reset, rebuild (an MLP lesson's
hidden layers), open a model file and switch to another lesson. The walk goes tab by tab, and
within a tab lesson by lesson, each lesson's switch going to the next one walked: every lesson is
switched to, and no switch is made only to come back. Before each action the window finishes its
idle work (spare plots and charts made ahead, ~1 s after a layout took some), as it does while a
learner reads what the last action showed. ``nnviz bench --gui`` prints the matrix; a test walks
it with a generous bound so a freeze cannot land again.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QEventLoop, Qt, QTimer

from ..model.core.reports import Opened, OpenFailed, Refused, Report
from ..model.files.modelfile import save_model
from ..model.files.saved_model import SavedModel
from ..model.lessons import LESSONS
from .graphics import spares
from .offscreen import wait_until

HEARTBEAT_MS = 5
ACTIONS = ("show tab", "step", "run", "select neuron", "rewind", "set weight", "reset", "rebuild", "open model",
           "switch lesson")
NONE = "none"  # the Explore dock behind the Weights: no tab showing


class Heartbeat:
    """The longest gap between ticks of a 5 ms timer on the GUI thread, in ms, since ``start``."""

    def __init__(self):
        self.timer = QTimer()
        self.timer.setTimerType(Qt.PreciseTimer)
        self.timer.setInterval(HEARTBEAT_MS)
        self.timer.timeout.connect(self._tick)
        self.longest, self._last = 0.0, 0.0

    def start(self) -> None:
        self.longest, self._last = 0.0, time.perf_counter()
        self.timer.start()

    def stop(self) -> float:
        self._tick()  # a gap still open when the action ended counts too
        self.timer.stop()
        return 1000 * self.longest

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest, self._last = max(self.longest, now - self._last), now


def _settled(win) -> bool:
    """Paused, nothing queued to draw: the newest snapshot is the one on screen."""
    c = win.controller
    return not c.running and c.latest is not None and win.frames.rendered is c.latest


def longest_gap(app, win, action: Callable[[], Callable[[], bool]], limit: float) -> float:
    """Run ``action()`` from the event loop (it returns a ``done()`` predicate), keep the loop
    running until ``done()`` and the window has settled (or ``limit`` seconds), and return the
    longest heartbeat gap in ms."""
    beat, loop, state = Heartbeat(), QEventLoop(), {}
    end = time.perf_counter() + limit

    def begin():
        state["done"] = action()

    def check():
        done = state.get("done")
        if time.perf_counter() > end or (done is not None and done() and _settled(win)):
            loop.quit()

    poll = QTimer()
    poll.setInterval(10)
    poll.timeout.connect(check)
    beat.start()
    QTimer.singleShot(0, begin)
    poll.start()
    loop.exec()
    poll.stop()
    gap = beat.stop()
    app.processEvents()
    return gap


def _show_tab(win, tab: str) -> None:
    if tab == NONE:
        win.docks["weightPanel"].raise_()
        return
    win.docks["explore"].raise_()
    win.explore.held = False
    titles = [win.explore.tabText(i) for i in range(win.explore.count())]
    win.explore.setCurrentIndex(titles.index(tab))


def tab_titles(win) -> list[str]:
    return [NONE] + [win.explore.tabText(i) for i in range(win.explore.count())]


class Walk:
    """The actions, each as ``action() -> done()`` on one window; ``model_dir`` holds the model
    files the "open model" action opens (one per lesson, saved from the lesson's own network)."""

    def __init__(self, app, win, model_dir: Path, run_seconds: float):
        self.app, self.win, self.model_dir, self.run_seconds = app, win, model_dir, run_seconds
        self.reports: list[Report] = []
        self.next_lesson: str | None = None  # where "switch lesson" goes (None: digits, or mnist from digits)
        self._trained: set[str] = set()
        win.controller.reported.connect(self.reports.append)

    def prepare(self, lesson: str, steps: int = 12) -> None:
        """The lesson open, a few iterations trained the first time (something to rewind to), its
        model saved."""
        c, app = self.win.controller, self.app
        if c.lesson is None or c.lesson.name != lesson:
            self.win.choose_lesson(lesson)
        wait_until(app, lambda: c.latest is not None and c.latest.lesson == lesson and c.lesson.name == lesson, 60)
        if steps and lesson not in self._trained:
            self._trained.add(lesson)
            target = c.latest.iteration + steps
            c.step(steps)
            wait_until(app, lambda: c.latest.iteration >= target, 120)
        self.win.frames.render_latest()
        path = self.model_dir / f"{lesson}.npz"
        if not path.exists():
            snap = c.latest
            save_model(path, SavedModel(snap.network().copy(), lesson, snap.iteration, snap.epoch, snap.seed,
                                        dict(snap.settings)))

    def act(self, name: str, tab: str) -> Callable[[], Callable[[], bool]]:
        """The action ``name``; its ``done()`` is also true once the app refused it (a conv lesson
        has no dense weight 0 of neuron 0 to set, say): the refusal is on screen then."""
        action = self._action(name, tab)

        def start():
            n = len(self.reports)
            done = action()
            return lambda: done() or any(isinstance(r, Refused) for r in self.reports[n:])
        return start

    def _action(self, name: str, tab: str) -> Callable[[], Callable[[], bool]]:
        win, c = self.win, self.win.controller
        lesson = c.lesson.name

        def at_least(n):
            return lambda: c.latest.iteration >= n

        if name == "show tab":
            return lambda: (_show_tab(win, tab), lambda: True)[1]
        if name == "step":
            return lambda: (c.step(), at_least(c.latest.iteration + 1))[1]
        if name == "run":
            def run():
                c.run()
                QTimer.singleShot(int(self.run_seconds * 1000), c.pause)
                start = time.perf_counter()
                return lambda: time.perf_counter() - start >= self.run_seconds and not c.running
            return run
        if name == "select neuron":
            return lambda: (win.frames.select_neuron(1, 3 % c.latest.sizes[1]), lambda: True)[1]
        if name == "rewind":
            def rewind():
                kept = [i for i in c.latest.timeline if i < c.latest.iteration]
                target = kept[len(kept) // 2] if kept else c.latest.iteration
                c.preview(target)
                return lambda: c.latest.iteration == target
            return rewind
        if name == "set weight":
            def set_weight():
                edits = c.latest.hand_edits
                c.set_weight(0, 0, 0, 0.25)
                return lambda: c.latest.hand_edits > edits or c.latest.iteration == 0
            return set_weight
        if name == "rebuild":
            def rebuild():
                generation = c.latest.generation
                c.rebuild(LESSONS[lesson].hidden_sizes, "tanh")
                return lambda: c.latest.generation > generation
            return rebuild
        if name == "reset":
            def reset():
                generation = c.latest.generation
                c.reset()
                return lambda: c.latest.generation > generation
            return reset
        if name == "open model":
            def open_model():
                n = len(self.reports)
                win.files.open_model(str(self.model_dir / f"{lesson}.npz"))
                return lambda: any(isinstance(r, (Opened, OpenFailed)) for r in self.reports[n:])
            return open_model
        if name == "switch lesson":
            other = self.next_lesson or ("digits" if lesson != "digits" else "mnist")

            def switch():
                win.choose_lesson(other)
                return lambda: c.latest.lesson == other and c.lesson.name == other
            return switch
        raise ValueError(f"no action {name!r}; choose one of {', '.join(ACTIONS)}")


def walk(app, win, lessons=tuple(LESSONS), actions=ACTIONS, run_seconds: float = 2.0, limit: float = 60.0,
         on_cell=None, tabs: slice = slice(None)) -> dict[tuple[str, str, str], float]:
    """{(lesson, tab, action): longest gap in ms} for every lesson × tab × action (``tabs``: a slice
    of ``tab_titles``, to share the walk out); ``on_cell(key, gap)`` hears each as it is measured.
    A lesson's switch goes to the next of ``lessons`` (a lone lesson's to digits, and back unmeasured)."""
    out = {}
    lessons = list(lessons)
    with tempfile.TemporaryDirectory() as folder:
        w = Walk(app, win, Path(folder), run_seconds)
        w.prepare(lessons[0])
        for tab in tab_titles(win)[tabs]:
            for k, lesson in enumerate(lessons):
                w.next_lesson = lessons[(k + 1) % len(lessons)] if len(lessons) > 1 else None
                w.prepare(lesson)
                _show_tab(win, tab)
                app.processEvents()
                for name in actions:
                    if win.controller.lesson.name != lesson:  # an action left it: back, unmeasured
                        w.prepare(lesson)
                        _show_tab(win, tab)
                        app.processEvents()
                    if name == "rebuild" and LESSONS[lesson].spec is not None:
                        continue  # a conv lesson's layers are its spec: the app rebuilds only MLPs
                    if name == "show tab":
                        _show_tab(win, NONE if tab != NONE else tab_titles(win)[1])
                        app.processEvents()
                    _finish_idle_work(app)
                    gap = longest_gap(app, win, w.act(name, tab), limit)
                    out[lesson, tab, name] = gap
                    if on_cell is not None:
                        on_cell((lesson, tab, name), gap)
    return out


def _finish_idle_work(app, timeout: float = 5.0) -> None:
    """Let the event loop run until nothing is left to make ahead (or ``timeout`` seconds)."""
    try:
        wait_until(app, spares.idle, timeout)
    except TimeoutError:
        pass  # the action is measured all the same


def format_matrix(gaps: dict[tuple[str, str, str], float]) -> str:
    """Per lesson, the worst gap per action (over the tabs) and the tab where it happened."""
    lines = []
    lessons = list(dict.fromkeys(k[0] for k in gaps))
    actions = list(dict.fromkeys(k[2] for k in gaps))
    for lesson in lessons:
        cells = []
        for name in actions:
            measured = [(k[1], v) for k, v in gaps.items() if k[0] == lesson and k[2] == name]
            if not measured:
                continue
            tab, gap = max(measured, key=lambda kv: kv[1])
            cells.append(f"{name} {gap:.0f} ms ({tab})")
        lines.append(f"  {lesson}: " + "; ".join(cells))
    worst = max(gaps.items(), key=lambda kv: kv[1])
    lines.insert(0, f"longest event-loop gap, {len(gaps)} cells (lesson × tab × action); worst {worst[1]:.0f} ms "
                    f"({' / '.join(worst[0])}):")
    return "\n".join(lines)
