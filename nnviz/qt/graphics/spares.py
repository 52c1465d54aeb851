"""Spare plots, made ahead in idle moments, so laying a view out anew takes ready ones.

Why: a pyqtgraph PlotItem (axes, view box, menus) takes ~10 ms to make and a ColorBarItem
more; a lesson switch lays out about a dozen of them in one frame, which held the window for
a third of a second. A spare is an item exactly as a fresh one would be (made with the same
arguments and never shown), so a view built from spares looks the same as one built anew.
The stock is made once the first view was laid out (the first frame is on screen then) and
refilled a moment after items are taken, one item per idle tick, to what the largest dense lesson's
views take (``PLOTS``; ``BARS``, the colour bars in the palette last asked for). After the stock,
the same ticks do the views' own work ahead (``ahead``: the columns of charts "Where learning
happens" lays out for a three-layer net, ~0.1 s the first time a lesson switch showed it).
"""

from __future__ import annotations

import weakref
from typing import Callable

import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import QTimer

from .palettes import colormap
from .plot_style import quiet_axes

PLOTS = 21  # a dense lesson's views take up to a dozen plots, "Where learning happens" up to 7 more
BARS = {12: 3, 10: 3}  # colour bars by width: the mosaics' (a conv net's kernel grids), one per deeper weight matrix
REFILL_MS = 5  # one spare per tick this far apart: the window keeps answering while they are made
SETTLE_MS = 400  # and only this long after the last was taken: not amid the layout that takes them

_stock: dict[tuple, list] = {}
_wanted: dict[tuple, int] = {}
_timer: QTimer | None = None
_jobs: list[weakref.WeakMethod] = []  # work done ahead, after the stock: each call one piece


def _make(key: tuple):
    kind, *args = key
    if kind == "plot":
        plot = pg.PlotItem(enableMenu=False)
        quiet_axes(plot)
        return plot
    palette, width = args
    return pg.ColorBarItem(colorMap=colormap(palette), interactive=False, width=width)


def _take(key: tuple):
    if key[0] == "bar":  # the stock follows the palette in use; spares of another one go
        for old in [k for k in _wanted if k[0] == "bar" and k[1] != key[1]]:
            del _wanted[old]
            _stock.pop(old, None)
        _wanted.update({("bar", key[1], width): n for width, n in BARS.items()})
    _wanted.setdefault(("plot",), PLOTS)
    _refill_soon()
    stock = _stock.get(key)
    return stock.pop() if stock else _make(key)


def add_plot(layout, row=None, col=None, rowspan=1, colspan=1):
    """``layout.addPlot(row, col, rowspan, colspan, enableMenu=False)``, from the spares."""
    plot = spare_plot()
    layout.addItem(plot, row, col, rowspan, colspan)
    return plot


def spare_plot():
    """``pg.PlotItem(enableMenu=False)``, from the spares, not placed anywhere yet."""
    return _take(("plot",))


def color_bar(palette: str, width: int):
    """``pg.ColorBarItem(colorMap=colormap(palette), interactive=False, width=width)``, from the spares."""
    return _take(("bar", palette, width))


def _refill_soon() -> None:
    global _timer
    if _timer is None:
        _timer = QTimer()
        _timer.setInterval(REFILL_MS)
        _timer.timeout.connect(_refill_one)
    _timer.start(SETTLE_MS)  # (again) from the last take


def _refill_one() -> None:
    for key, n in _wanted.items():
        stock = _stock.setdefault(key, [])
        if len(stock) < n:
            stock.append(_make(key))
            _timer.setInterval(REFILL_MS)
            return
    while _jobs:
        job = _jobs[0]()
        if job is None or not shiboken6.isValid(job.__self__):  # its view is gone (a window closed)
            _jobs.pop(0)
            continue
        try:
            more = job()
        except BaseException:
            _jobs.pop(0)  # a bug in it is reported once, not retried every tick forever
            raise
        if not more:
            _jobs.pop(0)
        _timer.setInterval(REFILL_MS)  # a piece that took spares asked for the settling pause: none here
        return
    _timer.stop()


def ahead(job: Callable[[], bool]) -> None:
    """Call ``job()`` in idle ticks, once per tick after the stock is made, until it returns
    False (nothing more to do ahead). ``job`` is a method of a QObject (a view), held weakly:
    dropped once that is deleted. A view prepares here what its first layout for another lesson
    would otherwise make in that frame."""
    _jobs.append(weakref.WeakMethod(job))
    _refill_soon()


def cancel(job: Callable[[], bool]) -> None:
    """Do no more of ``job`` ahead (what was done stays)."""
    _jobs[:] = [j for j in _jobs if j() != job]


def spare_count() -> int:
    """How many spares are ready (tests, benchmarks)."""
    return sum(len(s) for s in _stock.values())


def idle() -> bool:
    """True when nothing is left to make ahead: the stock is full and every job is done (or the
    stock was never asked for)."""
    return _timer is None or not _timer.isActive()
