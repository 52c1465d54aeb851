"""The cyclic collector runs on the GUI thread only, whatever thread makes the garbage due."""

import gc
import threading
import time

from nnviz.collector import collect_due
from nnviz.qt.gui_collector import collect_on_gui_thread
from nnviz.qt.worker import TrainingController


class _Cycle:
    """Garbage only the cyclic collector frees; says on which thread it was freed."""

    def __init__(self, freed: list):
        self.me, self.freed = self, freed

    def __del__(self):
        self.freed.append(threading.current_thread())


def test_garbage_made_while_the_trainer_runs_is_freed_on_the_gui_thread(qtbot):
    """The trainer allocates far past the collector's threshold while the GUI thread sleeps; with
    automatic collection that thread collected, and Qt objects in such garbage hung both threads."""
    c = TrainingController()
    try:
        c.load_lesson("digits")
        qtbot.waitUntil(lambda: c.latest is not None, timeout=10000)
        c.set_speed(0)
        c.run()
        qtbot.waitUntil(lambda: c.running and c.latest.iteration > 50, timeout=10000)
        freed = []
        _Cycle(freed)
        time.sleep(1.0)  # no events: only the trainer runs Python
        assert freed == []
        qtbot.waitUntil(lambda: bool(freed), timeout=5000)
        assert freed == [threading.main_thread()]
        assert not gc.isenabled()
    finally:
        c.shutdown()


def test_the_timer_collects_as_cpython_would_and_only_once_per_application(qtbot):
    assert collect_on_gui_thread() and collect_on_gui_thread()
    from PySide6.QtCore import QCoreApplication, QTimer

    timers = [t for t in QCoreApplication.instance().findChildren(QTimer) if t.objectName() == "nnviz-collector"]
    assert len(timers) == 1 and timers[0].isActive()
    gc.collect()
    assert collect_due() == 0  # nothing due right after a collection
    freed = []
    _Cycle(freed)
    keep = [[] for _ in range(gc.get_threshold()[0] + 1)]  # new containers: the count passes the threshold
    assert collect_due() >= 1 and len(freed) == 1 and gc.get_count()[0] < gc.get_threshold()[0]
    del keep


def test_a_full_collection_is_forced_only_where_the_third_threshold_asks_for_one(monkeypatch):
    """CPython 3.14's incremental collector reports a third threshold of 0: read as 'always', it
    would walk everything on every tick."""
    from types import SimpleNamespace

    from nnviz import collector

    asked = []
    for threshold, count, want in (((700, 10, 10), (701, 3, 11), 2), ((700, 10, 10), (701, 11, 3), 1),
                                   ((2000, 10, 0), (2001, 3, 5), 0), ((700, 10, 10), (699, 11, 11), None)):
        fake = SimpleNamespace(get_threshold=lambda t=threshold: t, get_count=lambda c=count: c,
                               collect=lambda g: asked.append(g) or 0)
        monkeypatch.setattr(collector, "gc", fake)
        before = len(asked)
        collector.collect_due()
        assert asked[before:] == ([] if want is None else [want]), (threshold, count)
