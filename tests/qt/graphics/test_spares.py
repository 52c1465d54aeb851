"""Spare plots: a view laid out from them gets plots as ``addPlot`` would make them, ready-made."""

import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import QObject

from nnviz.qt.graphics import spares


def test_a_spare_plot_is_placed_like_addplot_and_the_stock_is_made_ahead(qtbot):
    view = pg.GraphicsLayoutWidget()
    qtbot.addWidget(view)
    first = spares.add_plot(view, row=0, col=1)
    assert isinstance(first, pg.PlotItem) and view.ci.getItem(0, 1) is first
    assert not first.menuEnabled()  # enableMenu=False, as every view asks
    qtbot.waitUntil(lambda: spares.spare_count() >= spares.PLOTS, timeout=10000)  # made in idle ticks
    ready = list(spares._stock[("plot",)])
    second = spares.add_plot(view, row=1, col=0)
    assert any(second is p for p in ready) and view.ci.getItem(1, 0) is second
    bar = spares.color_bar("green-red", 10)
    assert isinstance(bar, pg.ColorBarItem) and bar.colorMap().name == spares.colormap("green-red").name


def test_a_spare_plots_axes_read_as_pyqtgraphs_own_whatever_their_range(qtbot):
    """The quiet axes skip re-rendering a hidden label, never what a label or tick shows: a
    labelled axis still takes its unit prefix, and a plain plot's ticks read the same."""
    view = pg.GraphicsLayoutWidget()
    qtbot.addWidget(view)
    quiet, plain = spares.add_plot(view, row=0, col=0), view.addPlot(row=1, col=0)
    for p in (quiet, plain):
        p.setLabel("left", "loss")
        p.setYRange(0, 0.002, padding=0)
        p.setXRange(0, 5000, padding=0)
    view.resize(300, 400)
    view.show()
    qtbot.waitExposed(view)
    for name in ("left", "bottom"):
        q, a = quiet.getAxis(name), plain.getAxis(name)
        assert q.labelString() == a.labelString() and q.autoSIPrefixScale == a.autoSIPrefixScale
        ticks = [a.tickStrings(v, a.autoSIPrefixScale * a.scale, s) for s, v in a.tickValues(*a.range, 300)]
        assert [q.tickStrings(v, q.autoSIPrefixScale * q.scale, s) for s, v in q.tickValues(*q.range, 300)] == ticks
    assert plain.getAxis("left").autoSIPrefixScale != 1.0  # a prefix was in use: the case that matters
    quiet.hideAxis("left")
    quiet.showAxis("left")
    quiet.setLabel("left", None)  # hidden label: back to no prefix, as pyqtgraph's
    plain.setLabel("left", None)
    assert quiet.getAxis("left").autoSIPrefixScale == plain.getAxis("left").autoSIPrefixScale


def test_work_ahead_runs_in_idle_ticks_after_the_stock_one_piece_per_tick_until_done(qtbot):
    view = pg.GraphicsLayoutWidget()
    qtbot.addWidget(view)
    spares.add_plot(view, row=0, col=0)  # asks for the stock
    calls = []

    class View(QObject):
        def job(self):
            calls.append((self.objectName(), spares.spare_count()))
            return sum(name == self.objectName() for name, _ in calls) < 3

    kept, closed = View(objectName="kept"), View(objectName="closed")
    spares.ahead(kept.job)
    spares.ahead(closed.job)
    shiboken6.delete(closed)  # a view of a window closed before its turn: skipped, no error
    assert calls == [] and not spares.idle()  # not in the frame that asked
    qtbot.waitUntil(spares.idle, timeout=10000)
    assert [name for name, _ in calls] == ["kept"] * 3  # until it said it was done, then no more
    assert all(n >= spares.PLOTS for _, n in calls)  # after the stock a layout takes


def test_a_job_that_fails_is_reported_once_and_dropped(qtbot):
    """Retried every 5 ms, a failing job kept the window from ever being idle."""
    view = pg.GraphicsLayoutWidget()
    qtbot.addWidget(view)
    calls = []

    class View(QObject):
        def job(self):
            calls.append(1)
            raise RuntimeError("a bug")

    broken = View()
    with qtbot.captureExceptions() as errors:
        spares.ahead(broken.job)
        qtbot.waitUntil(spares.idle, timeout=10000)
    assert calls == [1] and len(errors) == 1 and "a bug" in str(errors[0][1])
