"""Spare plots: a view laid out from them gets plots as ``addPlot`` would make them, ready-made."""

import pyqtgraph as pg

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
