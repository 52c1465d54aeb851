"""Python's cyclic collector and a window that lives as long as the app.

Where it runs is nnviz.qt.gui_collector's job (the GUI thread only, once other threads run
Python); what it walks is this file's.

A full collection walks every object the collector tracks. Once the window is up with its first
lesson drawn, that is ~74,000 objects — modules, classes, functions and the window's own widgets
and plot items, nearly all kept until the app quits — and one took 45 ms, with the GIL held: the
window and the trainer both stopped. ``freeze_long_lived`` moves them out of the collector's
sight (``gc.freeze``); later full collections walk only what came after (2.6-4.5 ms measured
after visiting every lesson). An object frozen here that later becomes unreachable in a cycle is
not collected: at most the first layout's few items a later one replaces, once.
"""

from __future__ import annotations

import gc


def freeze_long_lived() -> int:
    """Collect what is garbage now, then freeze the rest; returns how many objects are frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def collect_due() -> int:
    """What the automatic collector would do now, done by the caller's thread. A collection is due
    once the youngest generation's count of new objects has passed its threshold; then the oldest
    generation whose count (of younger collections) has passed its own is collected, with the
    younger ones, as CPython does. Returns how many unreachable objects were found."""
    (t0, t1, t2), (c0, c1, c2) = gc.get_threshold(), gc.get_count()
    if not t0 or c0 <= t0:
        return 0
    # a third threshold of 0 (CPython 3.14's incremental collector) never forces a full one here
    return gc.collect(2 if t2 and c2 > t2 else 1 if c1 > t1 else 0)
