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


def _drawn_labels(axis, lo, hi, size):
    """The non-empty tick labels an axis would draw over (lo, hi) at ``size`` pixels, every level."""
    out = []
    for spacing, values in axis.tickValues(lo, hi, size):
        out += [(v, s) for v, s in zip(values, axis.tickStrings(values, 1.0, spacing)) if s]
    return sorted(out)


@pytest.mark.parametrize("height, minors", [(100, False), (1000, True)])
def test_a_short_log_axis_labels_only_its_decades_and_a_tall_one_the_values_between(qtbot, height, minors):
    """A 100 px log axis over 0.1 … 10 stacked "0.2 0.3 … 0.9 1 2 … 9" on top of each other (the
    gradient chart of "Where learning happens"); the labels drawn never overlap."""
    w = shown(qtbot, pg.PlotWidget(), 300, height)
    plain_axes(w)
    w.setLogMode(y=True)
    w.setYRange(-1, 1, padding=0)
    axis = w.getPlotItem().getAxis("left")
    size = axis.geometry().height()
    labels = _drawn_labels(axis, -1, 1, size)
    fm = QFontMetrics(axis.style.get("tickFont") or axis.font())
    gaps = [(b[0] - a[0]) * size / 2 for a, b in zip(labels, labels[1:])]
    assert all(g >= fm.height() for g in gaps), labels
    decades = {s for v, s in labels if abs(v - round(v)) < 1e-9}
    assert "1" in decades and any(abs(v - round(v)) > 1e-9 for v, _ in labels) == minors


@pytest.mark.parametrize("bottom, top", [(0, 800_000), (0, 3e9), (0, 0.0004), (0, 5.0), (-0.0004, 0.0004),
                                         (-2e6, 1e6), (0, 4e8)])
def test_a_vertical_axis_label_is_never_wider_than_its_room_and_reads_as_its_value(qtbot, bottom, top):
    """A blown-up loss's "500000" ran into the axis title "loss" beside it (the axis holds
    "0.0001"): large values read in three significant digits ("5e+05"), small ones as they are."""
    from nnviz.qt.graphics.plot_style import VERTICAL_WIDEST

    w = shown(qtbot, pg.PlotWidget(), 200, 160)
    plain_axes(w)
    w.setYRange(bottom, top, padding=0)
    axis = w.getPlotItem().getAxis("left")
    fm = QFontMetrics(axis.style.get("tickFont") or axis.font())
    size = axis.geometry().height()
    drawn = _drawn_labels(axis, bottom, top, size)
    assert len(drawn) >= 2
    for v, s in drawn:
        assert fm.horizontalAdvance(s) <= fm.horizontalAdvance(VERTICAL_WIDEST), s
        assert "e+" not in s and "e-0" not in s, s  # pyqtgraph's own "4e+08" ran into the title
        assert float(s) == pytest.approx(v, rel=0.01, abs=top * 1e-6), s
    for spacing, values in axis.tickValues(bottom, top, size):  # one notation per level: "-4e-4" beside "0.0002" read as two
        labels = [s for v, s in zip(values, axis.tickStrings(values, 1.0, spacing)) if s and v != 0]
        assert len({"e" in s for s in labels}) <= 1, labels


def test_labels_that_would_read_alike_as_powers_of_ten_are_not_shortened():
    from nnviz.qt.graphics.plot_style import fit_vertical_labels

    fm = QFontMetrics(pg.QtGui.QFont())
    strings = ["500000", "500050", "500100"]
    assert fit_vertical_labels([500000, 500050, 500100], 1.0, strings, fm) is None  # not "5e5" three times
    assert fit_vertical_labels([0, 500000], 1.0, ["0", "500000"], fm) == ["0", "5e5"]
