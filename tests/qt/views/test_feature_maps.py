"""FeatureMaps: one grey picture per channel of each conv / pool layer, equal to the
forward pass; hover reads a pixel, a click emits (layer, channel, row, col)."""

from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from nnviz.model.core.networks import build_network
from nnviz.qt.graphics.palettes import GRAY
from nnviz.qt.views.feature_maps import FeatureMaps
from tests.qt.conftest import shown

CONV = {"input_shape": [1, 8, 8], "layers": [
    {"type": "conv", "filters": 8, "kernel": 3, "padding": 1, "activation": "relu"}, {"type": "maxpool", "size": 2},
    {"type": "conv", "filters": 4, "kernel": 3, "padding": 1, "activation": "tanh"},
    {"type": "flatten"}, {"type": "dense", "units": 10}], "output": "softmax", "bias": True}


@pytest.fixture
def maps(qtbot):
    net = build_network(CONV, seed=1)
    x = np.random.default_rng(2).random(64).astype(np.float32)
    view = shown(qtbot, FeatureMaps(), 350, 300)
    view.set_layout(net.layers)
    acts = net.forward(x[None])
    view.show_maps(acts)
    return view, net, acts


def test_each_channel_is_its_map_and_relu_maps_are_grey_from_zero(maps):
    view, net, acts = maps
    assert sorted(view.plots) == [1, 2, 3]
    for L in (1, 2, 3):
        np.testing.assert_array_equal(view.displayed()[L], acts[L][0])
        plot = view.plots[L]
        for c in range(plot.n):
            y, x = plot.origin(c)
            h, w = net.shapes[L][1:]
            np.testing.assert_array_equal(plot.image.image[y:y + h, x:x + w], acts[L][0, c])
    lo, hi = view.plots[1].image.levels
    assert lo == 0 and hi >= acts[1].max() and view.plots[1].image.lut is GRAY
    lo, hi = view.plots[3].image.levels  # tanh: signed, diverging around 0
    assert lo == -hi and view.plots[3].image.lut is not GRAY


def test_show_maps_redraws_in_place(maps):
    view, net, _ = maps
    items = {L: (p, p.image) for L, p in view.plots.items()}
    acts = net.forward(np.random.default_rng(5).random((1, 64)).astype(np.float32))
    view.show_maps(acts)
    assert {L: (p, p.image) for L, p in view.plots.items()} == items  # nothing re-created
    np.testing.assert_array_equal(view.displayed()[2], acts[2][0])


def test_hover_gives_layer_channel_row_column_and_value(maps, qtbot):
    view, _, acts = maps
    assert view.hover_text_at(2, 3, 1, 2) == f"layer 2 (maxpool), channel 3, row 1, column 2: {acts[2][0, 3, 1, 2]:.4f}"
    widget, point = view.view_point(1, 5, 6, 2)
    qtbot.mouseMove(widget.viewport(), point)
    qtbot.waitUntil(lambda: "channel 5, row 6, column 2" in view.info.text(), timeout=2000)
    assert view.info.text().startswith("layer 1 (conv)") and f"{acts[1][0, 5, 6, 2]:.4f}" in view.info.text()


@pytest.mark.parametrize("where", [(1, 5, 6, 2), (1, 0, 0, 0), (2, 7, 3, 3), (3, 2, 1, 0)])
def test_click_emits_the_pixel_and_outlines_it(maps, qtbot, where):
    view, _, _ = maps
    widget, point = view.view_point(*where)
    with qtbot.waitSignal(view.pixelClicked, timeout=2000) as sig:
        qtbot.mouseClick(widget.viewport(), Qt.LeftButton, pos=point)
    assert tuple(sig.args) == where and view.selected_pixel() == where
    plot = view.plots[where[0]]
    y, x = plot.origin(where[1])
    assert plot.box.isVisible() and plot.box.rect().getRect() == (x + where[3], y + where[2], 1, 1)
    assert not any(p.box.isVisible() for L, p in view.plots.items() if L != where[0])


def test_patch_outline_on_every_channel_of_the_input_maps(maps):
    view, _, _ = maps
    view.show_patch(2, (0, 1, 2, 3))
    layer, item = view._outline
    assert layer == 2 and item.path().elementCount() == 5 * 8  # one rectangle per channel
    y, x = view.plots[2].origin(4)
    assert item.path().contains(QPointF(x + 1.5, y + 0.5))
    view.show_patch(None)
    assert view._outline is None



def test_the_value_read_above_the_maps_follows_new_maps_and_the_pixel_selected(maps):
    """It kept "layer 2 … row 2, column 2: 0.0000" after training, a new drawing and a Show me."""
    view, net, _ = maps
    view.plots[2].hovered.emit(1, 2, 2)  # the pointer over layer 2, channel 1, row 2, column 2
    assert view.info.text().startswith("layer 2 (maxpool), channel 1, row 2, column 2")
    acts = net.forward(np.random.default_rng(9).random((1, 64)).astype(np.float32))  # another drawing
    view.show_maps(acts)
    assert view.info.text().endswith(f"{acts[2][0, 1, 2, 2]:.4f}")
    view.select_pixel(1, 4, 3, 3, emit=False)  # a guide's Show me picks another pixel
    assert view.info.text() == view.hover_text_at(1, 4, 3, 3)


def test_the_line_above_the_maps_returns_to_the_selection_or_the_hint_when_the_pointer_leaves(maps, qtbot):
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    view, _, _ = maps
    view.show_hint("Click a pixel.")
    widget, point = view.view_point(1, 5, 6, 2)
    qtbot.mouseMove(widget.viewport(), point.__class__(3, 3))  # the pointer may be where another test left it
    qtbot.wait(20)
    qtbot.mouseMove(widget.viewport(), point)
    qtbot.waitUntil(lambda: "channel 5, row 6, column 2" in view.info.text(), timeout=2000)
    QApplication.sendEvent(widget, QEvent(QEvent.Leave))
    assert view.info.text() == "Click a pixel."  # nothing selected: the hint again
    view.select_pixel(2, 3, 1, 2, emit=False)
    qtbot.wait(20)
    qtbot.mouseMove(widget.viewport(), point.__class__(2, 2))
    qtbot.wait(20)
    qtbot.mouseMove(widget.viewport(), point)
    qtbot.waitUntil(lambda: "channel 5, row 6, column 2" in view.info.text(), timeout=2000)
    QApplication.sendEvent(widget, QEvent(QEvent.Leave))
    assert view.info.text() == view.hover_text_at(2, 3, 1, 2)  # the selected pixel's value again


def test_the_flatten_layer_is_drawn_as_one_strip_of_the_values_before_it(maps, qtbot):
    """Layer 4 (flatten) had no picture: the maps went layer 1, 2, 3 and the weights said "into layer 5"."""
    view, net, acts = maps
    assert list(view.strips) == [4] and 4 not in view.plots  # a strip, not a selectable map
    strip = view.strips[4]
    assert strip.plot.titleLabel.text.startswith("layer 4: flatten → layer 3's 64 values in one row")
    np.testing.assert_allclose(view.displayed_strips()[4], acts[4][0], atol=1e-6)
    np.testing.assert_allclose(view.displayed_strips()[4], acts[3][0].reshape(-1), atol=1e-6)  # C, H, W order
    np.testing.assert_allclose(strip.image.image[0], acts[4][0], atol=1e-6)
    # the strip's colours are layer 3's (the same numbers, the same levels)
    assert tuple(strip.image.levels) == tuple(view.plots[3].image.levels)
    column = view.column.plots
    assert column.index(strip) == len(column) - 1 and column.index(view.plots[3]) == len(column) - 2
    i = 2 * 16 + 1 * 4 + 3  # map 2, row 1, column 3 of layer 3 (4×4 maps)
    assert view.hover_text_at(4, 0, 0, i) == (f"layer 4 (flatten), value {i} = layer 3's map 2, row 1, column 3: "
                                              f"{acts[3][0, 2, 1, 3]:.4f}")
    view.column.area.ensureWidgetVisible(strip)  # the last in the column: scrolled to, as a learner would
    qtbot.wait(20)
    widget, point = strip, strip.point(0, 0, i)
    qtbot.mouseMove(widget.viewport(), point.__class__(2, 2))
    qtbot.wait(20)
    qtbot.mouseMove(widget.viewport(), point)
    qtbot.waitUntil(lambda: view.info.text().startswith(f"layer 4 (flatten), value {i} "), timeout=2000)


def _picture(view):
    """What a layout shows, per column plot: its title, range, items on it and image."""
    return [(p.plot.titleLabel.text, p.n, p.cols, p.height(), tuple(map(tuple, p.plot.vb.viewRange())),
             len(p.plot.items), None if p.image.image is None else p.image.image.copy())
            for p in view.column.plots]


def test_a_new_layout_keeps_the_widgets_and_shows_what_a_fresh_view_shows(maps, qtbot):
    """A lesson switch laid every map out in new widgets (~20 ms each, in the switch's frame); kept,
    they must carry nothing of the old layout: no outline, rim, selection or reading."""
    view, net, acts = maps
    view.select_pixel(1, 2, 3, 4)
    view.show_patch(1, (0, 0, 3, 3))
    dead = np.zeros(8, bool)
    dead[[1, 5]] = True  # two channels rimmed as dead
    view.show_health({1: SimpleNamespace(dead=dead, saturated=np.zeros(8, bool))})
    assert view.flagged
    made = list(view.column._made)
    other = {"input_shape": [1, 8, 8], "layers": [
        {"type": "conv", "filters": 4, "kernel": 3, "padding": 1, "activation": "tanh"}, {"type": "flatten"},
        {"type": "dense", "units": 10}], "output": "softmax", "bias": True}
    net2 = build_network(other, seed=3)
    acts2 = net2.forward(np.random.default_rng(4).random((1, 64)).astype(np.float32))
    view.set_layout(net2.layers)
    view.show_maps(acts2)
    qtbot.wait(20)
    assert all(any(p is m for m in made) for p in view.column.plots)  # the same widgets
    assert [p.isVisible() for p in view.column._made] == [True, True, False, False]  # the rest hidden
    assert view.selected_pixel() is None and view.flagged == {} and view.info.text() == view._hint
    # the kept widgets answer for their new layers: hovering the strip reads layer 2's values
    view.column.area.ensureWidgetVisible(view.strips[2])
    qtbot.wait(20)
    widget, point = view.strips[2], view.strips[2].point(0, 8, 5)  # mid-strip: a 16-row strip is ~10 px tall
    qtbot.mouseMove(widget.viewport(), point.__class__(2, 2))
    qtbot.wait(20)
    qtbot.mouseMove(widget.viewport(), point)
    value = widget.locate(widget.mapToScene(point))[2]  # 5, or a neighbour: a value is ~1.3 px wide here
    qtbot.waitUntil(lambda: view.info.text().startswith(f"layer 2 (flatten), value {value} = layer 1's map 0"),
                    timeout=2000)
    fresh = shown(qtbot, FeatureMaps(), 350, 300)
    fresh.set_layout(net2.layers)
    fresh.show_maps(acts2)
    qtbot.wait(20)
    for (*mine, img), (*theirs, img2) in zip(_picture(view), _picture(fresh), strict=True):
        assert mine == theirs
        np.testing.assert_array_equal(img, img2)
