"""KernelGrid: each conv layer's kernels (rows = filters, columns = channels) and a dense
layer's channel pictures are the weights, with symmetric fixed levels; hover reads them."""

import numpy as np
import pytest

from nnviz.model.core.networks import build_network
from nnviz.qt.graphics.palettes import lookup_table, lut_index
from nnviz.qt.views.kernel_grid import KernelGrid
from tests.qt.conftest import shown

MNIST_CONV = {"input_shape": [1, 28, 28], "layers": [
    {"type": "conv", "filters": 8, "kernel": 5}, {"type": "maxpool", "size": 2},
    {"type": "conv", "filters": 16, "kernel": 5}, {"type": "maxpool", "size": 2},
    {"type": "flatten"}, {"type": "dense", "units": 10}], "output": "softmax", "bias": True}


@pytest.fixture
def grid(qtbot):
    net = build_network(MNIST_CONV, seed=4)
    net.biases = [np.full(b.shape, 0.25, np.float32) for b in net.biases]
    g = shown(qtbot, KernelGrid(), 350, 300)
    g.set_layout(net.layers)
    g.show_weights(net.weights, biases=net.biases)
    return g, net


def test_every_tile_is_one_filter_and_channel_of_the_weights(grid):
    g, net = grid
    assert sorted(g.plots) == [1, 3, 6]  # conv, conv, dense after flatten
    w1, w3, w6 = net.weights
    shown_ = g.displayed()
    np.testing.assert_array_equal(shown_[1], w1)
    np.testing.assert_array_equal(shown_[3], w3)
    np.testing.assert_array_equal(shown_[6], w6.reshape(10, 16, 4, 4))  # C, H, W order, as flatten
    plot = g.plots[3]
    assert plot.cols == 8  # columns = input channels
    for f, c in [(0, 0), (5, 3), (15, 7)]:
        y, x = plot.origin(f * 8 + c)
        assert (y // 6, x // 6) == (f, c)  # row = filter, column = channel
        np.testing.assert_array_equal(plot.image.image[y:y + 5, x:x + 5], w3[f, c])
    p6 = g.plots[6]
    y, x = p6.origin(7 * 16 + 2)
    np.testing.assert_array_equal(p6.image.image[y:y + 4, x:x + 4], w6[7].reshape(16, 4, 4)[2])


def test_levels_are_symmetric_fixed_and_shown_on_the_colour_bar(grid):
    g, net = grid
    for L, plot in g.plots.items():
        level = g.levels()[L]
        assert tuple(plot.image.levels) == (-level, level)
        assert tuple(plot.bar.levels()) == (-level, level)
    before = g.levels()
    g.show_weights([w * 1.05 for w in net.weights])  # about the same range: colours hold
    assert g.levels() == before
    g.show_weights([w * 3 for w in net.weights])
    assert all(g.levels()[L] >= 3 * np.abs(w).max() for L, w in zip((1, 3, 6), net.weights))


def test_zero_is_neutral_and_the_palette_switches(grid):
    g, net = grid
    w = [a.copy() for a in net.weights]
    w[0][2, 0, 1, 1], w[0][2, 0, 0, 0] = 0.0, np.abs(w[0]).max()
    g.show_weights(w)
    plot, level = g.plots[1], g.levels()[1]
    y, x = plot.origin(2)
    plot.image.render()
    for (r, c) in [(1, 1), (0, 0)]:
        colour = plot.image.qimage.pixelColor(x + c, y + r)
        expected = lookup_table("green-red")[lut_index(w[0][2, 0, r, c], level)][:3]
        assert (colour.red(), colour.green(), colour.blue()) == tuple(int(v) for v in expected)
    g.set_palette("blue-orange")
    plot.image.render()
    c = plot.image.qimage.pixelColor(x, y)
    assert c.blue() > c.red() and c.blue() > c.green()


def test_delta_mode_shows_the_update_in_the_same_layout(grid):
    g, net = grid
    update = [np.full_like(w, 0.01) * (i + 1) for i, w in enumerate(net.weights)]
    g.show_weights(net.weights, update, delta=True)
    assert g.delta_box.isChecked() and "change" in g.legend.text()
    np.testing.assert_array_equal(g.displayed()[3], update[1])
    assert g.levels()[3] >= 0.02 and g.levels()[3] < 0.1  # ΔW's own levels, not the weights'
    assert "ΔW +0.0200" in g.hover_text_at(3, 1, 2, 3, 4)
    g.delta_box.setChecked(False)  # the box redraws the weights
    np.testing.assert_array_equal(g.displayed()[3], net.weights[1])
    g.show_weights(net.weights, None, delta=True)  # nothing changed yet: zeros
    assert not g.displayed()[1].any()


def test_hover_names_filter_channel_row_column_and_the_exact_value(grid, qtbot):
    g, net = grid
    text = g.hover_text_at(3, 5, 2, 1, 3)
    assert text.startswith("layer 3, filter 5, channel 2:") and "row 1, column 3" in text
    assert f"{net.weights[1][5, 2, 1, 3]:+.4f}" in text and "bias +0.2500" in text
    widget, point = g.view_point(1, 6, 0, 4, 2)
    qtbot.mouseMove(widget.viewport(), point)
    qtbot.waitUntil(lambda: "filter 6" in g.info.text(), timeout=2000)
    assert "row 4, column 2" in g.info.text() and f"{net.weights[0][6, 0, 4, 2]:+.4f}" in g.info.text()
    dense = g.hover_text_at(6, 7, 3, 2, 1)
    assert "neuron 7" in dense and "channel 3, row 2, column 1 of layer 4's maps" in dense
    assert f"{net.weights[2][7, 3 * 16 + 2 * 4 + 1]:+.4f}" in dense


def test_fits_a_small_dock(qtbot, grid):
    g, _ = grid
    assert g.minimumSizeHint().width() <= 350 and g.minimumSizeHint().height() <= 300
    g.resize(300, 220)
    assert g.column.area.verticalScrollBar().maximum() > 0  # the rest scrolls


def test_the_hover_reading_clears_when_the_pointer_leaves_the_kernels(grid, qtbot):
    """It kept "layer 4, neuron 0: weight …" after the mouse had gone elsewhere."""
    from PySide6.QtCore import QEvent, QPoint
    from PySide6.QtWidgets import QApplication

    from nnviz.qt.views.kernel_grid import HINT

    g, _ = grid
    assert g.info.text() == HINT
    widget, point = g.view_point(1, 6, 0, 4, 2)
    qtbot.mouseMove(widget.viewport(), QPoint(3, 3))  # the pointer may still be where another test left it
    qtbot.wait(20)
    qtbot.mouseMove(widget.viewport(), point)
    qtbot.waitUntil(lambda: "filter 6" in g.info.text(), timeout=2000)
    qtbot.wait(20)
    qtbot.mouseMove(widget.viewport(), QPoint(2, 2))  # still in the plot's widget, off the kernels
    qtbot.waitUntil(lambda: g.info.text() == HINT, timeout=2000)
    qtbot.wait(20)
    qtbot.mouseMove(widget.viewport(), point)
    qtbot.waitUntil(lambda: "filter 6" in g.info.text(), timeout=2000)
    QApplication.sendEvent(widget, QEvent(QEvent.Leave))  # out of the widget altogether
    assert g.info.text() == HINT


def test_the_colour_bars_end_labels_have_room_to_show_whole(grid):
    """The end levels ("1.0" at the top, "-1.0" at the bottom) were cut in half by the plot's edge."""
    g, _ = grid
    for L, plot in g.plots.items():
        half = plot.fontMetrics().height() / 2
        # the labels are drawn inside the colour bar item: it must reach half a label beyond the bar
        item, bar = plot.bar.sceneBoundingRect(), plot.bar.vb.sceneBoundingRect()
        assert bar.top() - item.top() >= half - 1 and item.bottom() - bar.bottom() >= half - 1, (L, item, bar)


def test_the_kernel_mosaics_take_their_plots_and_bars_from_the_spares(qtbot):
    """A conv lesson lays out a mosaic per layer; each made a PlotItem and a ColorBarItem in the
    switch's frame (~40 ms) instead of taking the ones made ahead in idle time."""
    from nnviz.qt.graphics import spares

    spares.color_bar("green-red", 12)  # ask for this palette's bars: the stock follows it
    qtbot.waitUntil(lambda: len(spares._stock.get(("bar", "green-red", 12), [])) >= spares.BARS[12]
                    and len(spares._stock.get(("plot",), [])) >= 3, timeout=15000)
    ready = list(spares._stock[("plot",)]) + list(spares._stock[("bar", "green-red", 12)])
    g = shown(qtbot, KernelGrid(), 350, 300)
    g.set_layout(build_network(MNIST_CONV, seed=4).layers)
    for plot in g.plots.values():
        assert any(plot.plot is p for p in ready) and any(plot.bar is b for b in ready)


def test_a_new_layout_keeps_the_mosaics_and_shows_what_a_fresh_grid_shows(grid, qtbot):
    """A lesson switch made every kernel mosaic anew (a plot and a colour bar each, ~230 ms for
    mnist-conv's); kept, each must show its new layer and nothing of the old one."""
    g, _ = grid
    made = list(g.column._made)
    small = {"input_shape": [1, 8, 8], "layers": [
        {"type": "conv", "filters": 4, "kernel": 3, "padding": 1}, {"type": "flatten"}, {"type": "dense", "units": 10}],
        "output": "softmax", "bias": True}
    net = build_network(small, seed=2)
    g.set_layout(net.layers)
    g.show_weights(net.weights, biases=net.biases)
    fresh = shown(qtbot, KernelGrid(), 350, 300)
    fresh.set_layout(net.layers)
    fresh.show_weights(net.weights, biases=net.biases)
    qtbot.wait(20)
    assert [p is m for p, m in zip(g.column.plots, made)] == [True, True]
    assert [p.isVisible() for p in g.column._made] == [True, True, False]
    for mine, theirs in zip(g.column.plots, fresh.column.plots, strict=True):
        assert mine.plot.titleLabel.text == theirs.plot.titleLabel.text
        assert (mine.n, mine.cols, mine.height()) == (theirs.n, theirs.cols, theirs.height())
        assert mine.plot.vb.viewRange() == theirs.plot.vb.viewRange()
        np.testing.assert_array_equal(mine.image.image, theirs.image.image)
        assert mine.bar.levels() == theirs.bar.levels()
    assert g.hover_text_at(3, 3, 1, 0, 5) == fresh.hover_text_at(3, 3, 1, 0, 5)  # layer 3's neuron 3, map 1
    g.column.plots[1].hovered.emit(2 * 4 + 1, 0, 5)  # the second mosaic (mnist-conv's layer 3) now reads layer 3 here
    assert g.info.text() == fresh.hover_text_at(3, 2, 1, 0, 5)
    g.column.plots[0].hovered.emit(2, 0, 1)
    assert g.info.text() == fresh.hover_text_at(1, 2, 0, 0, 1)
