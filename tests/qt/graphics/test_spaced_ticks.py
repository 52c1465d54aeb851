"""Tick labels never run together: a short axis labels every n-th tick."""

import pyqtgraph as pg
import pytest
from PySide6.QtGui import QFontMetrics

from nnviz.qt.graphics.plot_style import plain_axes

from tests.qt.conftest import shown


@pytest.mark.parametrize("width, top", [(110, 3000), (110, 30000), (400, 30000), (90, 1.0)])
def test_the_labelled_ticks_of_a_short_axis_have_room_for_their_labels(qtbot, width, top):
    w = shown(qtbot, pg.PlotWidget(), width, 120)
    plain_axes(w)
    w.setXRange(0, top, padding=0)
    axis = w.getPlotItem().getAxis("bottom")
    size = axis.geometry().width()
    spacing, values = axis.tickValues(0, top, size)[0]
    labels = axis.tickStrings(values, 1.0, spacing)
    fm = QFontMetrics(axis.style.get("tickFont") or axis.font())
    px = spacing * size / top
    assert len(values) >= 1
    assert px >= max(fm.horizontalAdvance(s) for s in labels) + 4, labels  # "1000020003000" no more
