"""WeightPanel on its own, fed real snapshots of briefly trained lessons: what is drawn
equals the weights, colours and levels are honest, hover/click name the right weight."""

from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import Qt

from nnviz.model.lessons import get_lesson
from nnviz.qt.graphics.palettes import lookup_table, lut_index
from nnviz.model.session import TrainingSession
from nnviz.qt.views.weight_panel import WeightPanel
from nnviz.qt.views.weights_stack import WeightsStack
from tests.qt.conftest import shown

SHAPES = {"mnist": (28, 28), "digits": (8, 8), "smile": (4, 3)}
STEPS = {"mnist": 30, "digits": 30, "smile": 3}
_cache = {}


def trained(lesson, steps=None):
    """(trainer, [snapshots after each of the last two steps]) — computed once per lesson."""
    key = (lesson, steps)
    if key not in _cache:
        t = get_lesson(lesson).build()
        snaps = []
        for _ in range(steps or STEPS[lesson]):
            t.step()
            snaps.append(t.snapshot(lesson=lesson))
        _cache[key] = (t, snaps)
    return _cache[key]


@pytest.fixture
def panel_for(qtbot):
    def make(lesson, snap=None, size=(460, 650)):
        t, snaps = trained(lesson)
        snap = snap or snaps[-1]
        ds = t.dataset
        panel = WeightPanel()
        qtbot.addWidget(panel)
        panel.set_layout(snap.sizes, ds.image_shape, ds.class_names)
        panel.resize(*size)
        panel.show()
        qtbot.waitExposed(panel)
        panel.show_snapshot(snap)
        qtbot.wait(20)  # let the deferred fit after the resize run
        return panel, snap

    return make


def drawn_colour(img, x, y):
    """RGB pyqtgraph paints for pixel (x, y) of an ImageItem."""
    img.render()
    c = img.qimage.pixelColor(x, y)
    return c.red(), c.green(), c.blue()


@pytest.mark.parametrize("lesson", ["mnist", "digits", "smile"])
def test_displayed_weights_are_each_neurons_row_in_the_input_shape(panel_for, lesson):
    panel, snap = panel_for(lesson)
    shown = panel.displayed_weights()
    n = snap.sizes[1]
    assert shown[0].shape == (n, *SHAPES[lesson])
    for k in range(n):
        np.testing.assert_array_equal(shown[0][k], snap.weights[0][k].reshape(SHAPES[lesson]))
    assert len(shown) == len(snap.weights)
    for a, w in zip(shown[1:], snap.weights[1:]):
        np.testing.assert_array_equal(a, w)
    # and the mosaic on screen holds those values in each tile
    h, w = SHAPES[lesson]
    for k in panel.page_neurons()[:5]:
        y, x = panel.tile_origin(int(k))
        np.testing.assert_array_equal(panel.mosaic.image[y:y + h, x:x + w], shown[0][k])


def test_positive_weight_is_drawn_green_and_zero_neutral(panel_for):
    panel, snap = panel_for("smile")
    w = np.asarray(snap.weights[0][0]).reshape(4, 3)
    assert (w == 0).any() and (w > 0).any() and (w < 0).any()
    level = panel.levels()[0]
    assert tuple(panel.mosaic.levels) == (-level, level)
    lut = lookup_table("green-red")
    neutral = tuple(lut[128][:3])
    assert tuple(lut[127][:3]) == neutral  # both entries either side of 0 are the neutral colour
    y0, x0 = panel.tile_origin(0)
    for (r, c), v in np.ndenumerate(w):
        expected = tuple(int(u) for u in lut[lut_index(v, level)][:3])
        assert drawn_colour(panel.mosaic, x0 + c, y0 + r) == expected
        red, green, _ = expected
        if v > 0.05 * level:
            assert green > red
        elif v < -0.05 * level:
            assert red > green
        elif v == 0:
            assert expected == neutral


def test_colour_blind_palette_swaps_the_colours_but_keeps_zero_neutral(panel_for):
    panel, snap = panel_for("mnist")
    panel.set_palette("blue-orange")
    w = panel.displayed_weights()[0][0]
    r, c = np.unravel_index(np.argmax(w), w.shape)
    y0, x0 = panel.tile_origin(0)
    red, green, blue = drawn_colour(panel.mosaic, x0 + c, y0 + r)
    assert blue > red and blue > green
    assert tuple(lookup_table("blue-orange")[128][:3]) == tuple(lookup_table("green-red")[128][:3])


def test_levels_hold_between_frames_and_move_when_the_range_does(panel_for):
    t, snaps = trained("mnist")
    panel, _ = panel_for("mnist", snaps[-2])
    before = panel.levels()
    panel.show_snapshot(snaps[-1])
    assert panel.levels() == before  # one iteration later: same colour for the same weight
    big = replace(snaps[-1], weights=tuple(np.asarray(w) * 3 for w in snaps[-1].weights))
    panel.show_snapshot(big)
    assert all(a > 2 * b for a, b in zip(panel.levels(), before))
    for L, w in zip(panel.levels(), big.weights):
        assert L >= np.abs(w).max()  # nothing clipped


def test_hover_names_the_input_pixel_and_the_exact_weight(panel_for, qtbot):
    panel, snap = panel_for("mnist")
    text = panel.hover_text_at(1, 5, 10, 17)
    assert "neuron 5" in text and "row 10, column 17" in text
    assert f"{snap.weights[0][5, 10 * 28 + 17]:+.4f}" in text
    widget, point = panel.view_point(1, 5, 10, 17)
    qtbot.mouseMove(widget.viewport(), point)
    qtbot.waitUntil(lambda: "row 10, column 17" in panel.info.text(), timeout=2000)
    assert "neuron 5" in panel.info.text()


def test_hover_on_a_matrix_names_both_neurons(panel_for, qtbot):
    panel, snap = panel_for("mnist")
    widget, point = panel.view_point(3, 7, 4)  # into output class 7 from layer-2 neuron 4
    qtbot.mouseMove(widget.viewport(), point)
    qtbot.waitUntil(lambda: "class 7" in panel.info.text(), timeout=2000)
    assert "from neuron 4 of layer 2" in panel.info.text()
    assert f"{snap.weights[2][7, 4]:+.4f}" in panel.info.text()


def test_clicking_a_tile_or_a_matrix_row_selects_that_neuron(panel_for, qtbot):
    panel, snap = panel_for("mnist")
    widget, point = panel.view_point(1, 9, 14, 14)
    with qtbot.waitSignal(panel.neuronSelected) as sig:
        qtbot.mouseClick(widget.viewport(), Qt.LeftButton, pos=point)
    assert sig.args == [1, 9] and panel.selected_neuron() == (1, 9)
    np.testing.assert_array_equal(panel.detail.image, snap.weights[0][9].reshape(28, 28))
    assert panel.select_box.isVisible()
    widget, point = panel.view_point(2, 3, 0)
    with qtbot.waitSignal(panel.neuronSelected) as sig:
        qtbot.mouseClick(widget.viewport(), Qt.LeftButton, pos=point)
    assert sig.args == [2, 3]  # row 3 of weights[1] is neuron 3 of activation layer 2
    np.testing.assert_array_equal(panel.detail.image[0], snap.weights[1][3])


def test_delta_view_is_the_difference_of_two_consecutive_snapshots(panel_for):
    t, snaps = trained("digits")
    panel, _ = panel_for("digits", snaps[-1])
    panel.set_show_delta(True)
    assert panel.delta_box.isChecked()
    shown = panel.displayed_weights()
    first, second = snaps[-2], snaps[-1]
    np.testing.assert_allclose(shown[0], (second.weights[0] - first.weights[0]).reshape(-1, 8, 8), atol=1e-6)
    for a, w1, w0 in zip(shown[1:], second.weights[1:], first.weights[1:]):
        np.testing.assert_allclose(a, w1 - w0, atol=1e-6)
    assert all(L < 0.5 for L in panel.levels())  # ΔW has its own levels, not the weights'
    panel.set_show_delta(False)
    np.testing.assert_array_equal(panel.displayed_weights()[0][0], second.weights[0][0].reshape(8, 8))


def test_delta_view_before_any_update_is_zero(panel_for):
    _, snaps = trained("mnist")
    panel, _ = panel_for("mnist", replace(snaps[-1], update_w=None))
    panel.set_show_delta(True)
    assert all((a == 0).all() for a in panel.displayed_weights())
    assert all(np.isfinite(L) and L > 0 for L in panel.levels())


def test_nan_and_inf_weights_are_flagged_and_do_not_move_the_levels(panel_for):
    _, snaps = trained("mnist")
    panel, snap = panel_for("mnist")
    clean = panel.levels()
    bad0 = np.array(snap.weights[0])
    bad0[2, 3 * 28 + 4] = np.nan
    bad0[2, 5] = np.inf
    bad2 = np.array(snap.weights[2])
    bad2[1, 1] = -np.inf
    panel.show_snapshot(replace(snap, weights=(bad0, snap.weights[1], bad2)))
    assert panel.levels() == clean
    assert panel.mosaic_flags.isVisible() and panel.matrix_view.flags[1].isVisible()
    y, x = panel.tile_origin(2)
    assert np.isnan(panel.mosaic.image[y + 3, x + 4]) and np.isnan(panel.mosaic.image[y, x + 5])
    assert tuple(panel.mosaic_flags.image[y + 3, x + 4]) == (255, 0, 255, 255)
    assert panel.mosaic_flags.image[y + 1, x + 1, 3] == 0  # finite weights are not covered
    panel.show_snapshot(snap)
    assert not panel.mosaic_flags.isVisible()


def test_digits_128_tiles_are_paged_and_can_be_sorted(panel_for, qtbot):
    panel, snap = panel_for("digits")
    assert panel.displayed_weights()[0].shape == (128, 8, 8)
    assert len(panel.page_neurons()) == 32 and panel.pages == 4
    panel.select_neuron(1, 100)  # on page 3: the panel turns there
    assert panel.page == 100 // 32 and panel.tile_origin(100) is not None
    widget, point = panel.view_point(1, 70, 3, 3)
    with qtbot.waitSignal(panel.neuronSelected) as sig:
        qtbot.mouseClick(widget.viewport(), Qt.LeftButton, pos=point)
    assert sig.args == [1, 70]
    panel.sort_box.setChecked(True)
    norms = np.linalg.norm(np.asarray(snap.weights[0]), axis=1)
    assert panel.page_neurons()[0] == np.argmax(norms) or panel.page != 0
    panel.set_page(0)
    assert panel.page_neurons()[0] == np.argmax(norms)
    panel.page_combo.setCurrentIndex(1)  # all on one page
    assert len(panel.page_neurons()) == 128 and panel.pages == 1


def test_smile_is_one_tile_with_its_numbers_printed(panel_for):
    panel, snap = panel_for("smile")
    assert panel.displayed_weights()[0].shape == (1, 4, 3)
    assert panel.selected_neuron() == (1, 0)  # the only neuron is shown without a click
    texts = [t.textItem.toPlainText() for t in panel.numbers.items]
    assert len(texts) == 12
    w = np.asarray(snap.weights[0][0])
    for text, v in zip(texts, w):
        assert text == ("0" if v == 0 else f"{v:+.2f}")


def test_a_reshaped_panel_regrids_the_tiles_and_clicks_still_hit_the_right_neuron(panel_for, qtbot):
    panel, _ = panel_for("mnist", size=(460, 650))
    tall = (panel.grid_rows, panel.grid_cols)
    panel.resize(1100, 420)
    qtbot.waitUntil(lambda: (panel.grid_rows, panel.grid_cols) != tall, timeout=2000)
    assert panel.grid_cols > tall[1]  # a wide view gets more tiles per row: bigger tiles
    widget, point = panel.view_point(1, 13, 27, 0)  # bottom-left pixel of neuron 13
    with qtbot.waitSignal(panel.neuronSelected) as sig:
        qtbot.mouseClick(widget.viewport(), Qt.LeftButton, pos=point)
    assert sig.args == [1, 13]
    assert "row 27, column 0" in panel.hover_text_at(1, 13, 27, 0)


def test_one_weight_typed_far_beyond_the_rest_does_not_wash_out_every_other_picture(panel_for):
    t, snaps = trained("mnist")
    panel, snap = panel_for("mnist")
    before = panel.levels()[0]
    weights = [np.array(w) for w in snap.weights]
    weights[0][3, 400] = 5.0  # the learner sets one of 12,544 weights to 5
    panel.show_snapshot(replace(snap, weights=tuple(weights)))
    level = panel.levels()[0]
    assert level < 0.5 * 5.0 and level < 3 * before  # the bar still fits the other weights
    rest = np.delete(weights[0].ravel(), 3 * 784 + 400)
    assert np.mean(np.abs(rest) > level) < 0.001  # all but a handful keep their own colour
    assert "1 weight far beyond the rest is drawn at full colour" in panel.info.text()
    panel.show_snapshot(snap)  # undone: no mention, and the level comes back down as before
    assert "far beyond" not in panel.info.text()


def test_a_new_run_or_an_edit_fits_the_colour_levels_afresh_as_a_fresh_window_does(qtbot):
    """Levels hold while a run trains (a weight keeps its colour), but a new run — a file opened, a
    reset, an undo — or a weight set by hand starts them from the weights shown: the fresh-window
    oracle found a window that opened a file at iteration 5 still on iteration 0's ±0.105."""
    def stack_for(*snaps):
        stack = shown(qtbot, WeightsStack(WeightPanel()), 400, 600)
        stack.weight_panel.set_layout(list(snaps[0].sizes), (28, 28), tuple(range(10)))
        for snap in snaps:
            stack.show_snapshot(snap)
        return stack.weight_panel._lv

    s = TrainingSession()
    s.load_lesson("mnist", 0)
    start = s.snapshot()
    s.change_settings({"learning_rate": 3.0})
    s.step(5)
    later = replace(s.snapshot(), generation=start.generation + 1)  # as a file opened there would be
    assert stack_for(start, later) == pytest.approx(stack_for(later), rel=1e-9)
    s.set_weight(0, 3, 400, 5.0)
    s.undo_edit()
    undone = replace(s.snapshot(), generation=later.generation)
    assert stack_for(later, undone) == pytest.approx(stack_for(undone), rel=1e-9)


def test_a_weight_level_depends_on_the_weights_shown_not_on_the_way_there():
    from nnviz.qt.graphics.palettes import StableLevel, level_mark

    rng = np.random.default_rng(0)
    start = rng.normal(scale=0.05, size=(16, 784)).astype(np.float32)
    later = start * 1.15  # trained a little: within the old hysteresis, past a mark here
    travelled = StableLevel(robust=True, marks=True)
    travelled.update(start)
    assert travelled.update(later) == StableLevel(robust=True, marks=True).update(later)
    before = travelled.value
    assert travelled.update(later * 1.01) == before  # a small move keeps the colours
    assert [level_mark(x) for x in (0.105, 0.125, 0.13, 7.9, 8.1)] == [0.125, 0.125, 0.16, 8.0, 10.0]


def test_a_short_matrix_axis_labels_only_what_has_room():
    """A matrix 30 pixels tall: the labels pyqtgraph always draws (the first level) fit it."""
    from nnviz.qt.views.weight_matrices import index_ticks

    for n in (10, 16, 32, 128):
        first = index_ticks(n)[0]
        assert len(first) <= 2 and first[0] == (0.5, "0")
        labelled = {k for level in index_ticks(n) for k, _ in level}
        assert len(labelled) == len(set(labelled)) and all(0 < k < n for k in labelled)


def test_another_activation_on_the_same_layers_keeps_the_items_but_starts_them_afresh(qtbot):
    """A rebuild from ReLU to tanh with the same layers reuses the plots; selection, page, hover
    text, the enlarged neuron and the colour levels start as a fresh panel's."""
    from nnviz.qt.graphics.view_protocol import Frame
    from nnviz.qt.views.weight_panel import HOVER_HINT

    t, snaps = trained("digits")
    ds = t.dataset
    relu = snaps[-1]
    tanh = replace(snaps[0], hidden="tanh")  # other weights, other levels
    panel, fresh = (shown(qtbot, WeightPanel(), 460, 650) for _ in range(2))
    panel.show_snapshot(relu, Frame(relu, dataset=ds))
    plot = panel.mosaic_plot
    panel.select_neuron(2, 3)  # a deeper neuron: its row is drawn stretched
    panel.set_page(1)
    panel._hovered = (1, 40, 2, 2)
    panel.info.setText(panel.hover_text_at(1, 40, 2, 2))

    panel.show_snapshot(tanh, Frame(tanh, dataset=ds))
    fresh.show_snapshot(tanh, Frame(tanh, dataset=ds))

    assert panel.mosaic_plot is plot  # the same items
    assert panel.selected_neuron() is None and not panel.select_box.isVisible()
    assert panel.page == 0 and panel.info.text() == HOVER_HINT
    assert panel.detail_view.plot.titleLabel.text == "click a neuron" and panel.detail_view.image.image is None
    assert panel.detail_view.plot.vb.state["aspectLocked"]  # square pixels again
    np.testing.assert_allclose(panel.levels(), fresh.levels(), rtol=1e-6)
    for got, want in zip(panel.displayed_weights(), fresh.displayed_weights()):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(panel.mosaic.image, fresh.mosaic.image)


def test_another_lesson_reuses_the_mosaic_and_matrix_rows_and_reads_as_a_fresh_panel(qtbot):
    """mnist (2 deeper matrices) → smile (none) → digits (2): the mosaic, its bar and each matrix
    row are the same items (making them held a lesson switch), yet every title, tick, picture and
    level equals a fresh panel's for digits; smile's panel shows no matrix."""
    from nnviz.qt.graphics.view_protocol import Frame

    def frame(lesson):
        t, snaps = trained(lesson)
        return snaps[-1], Frame(snaps[-1], dataset=t.dataset)

    panel, fresh = (shown(qtbot, WeightPanel(), 460, 650) for _ in range(2))
    panel.show_snapshot(*frame("mnist"))
    mosaic, bar, rows = panel.mosaic_plot, panel.mosaic_bar, list(panel.matrix_view.plots)
    assert len(rows) == 2
    panel.show_snapshot(*frame("smile"))
    assert panel.matrix_view.plots == [] and not panel.matrix_view.isVisibleTo(panel)
    assert not any(r in panel.matrix_view.ci.items for r in rows)
    panel.show_snapshot(*frame("digits"))
    fresh.show_snapshot(*frame("digits"))
    assert panel.mosaic_plot is mosaic and panel.mosaic_bar is bar and panel.matrix_view.plots == rows
    qtbot.wait(20)
    for a, b in zip(panel.matrix_view.plots, fresh.matrix_view.plots):
        assert a.titleLabel.text == b.titleLabel.text
        for side in ("left", "bottom"):
            assert a.getAxis(side)._tickLevels == b.getAxis(side)._tickLevels
            assert a.getAxis(side).labelText == b.getAxis(side).labelText
    for a, b in zip(panel.matrix_view.images, fresh.matrix_view.images):
        np.testing.assert_array_equal(a.image, b.image)
    np.testing.assert_allclose(panel.levels(), fresh.levels(), rtol=1e-6)
    np.testing.assert_array_equal(panel.mosaic.image, fresh.mosaic.image)
    assert panel.mosaic_plot.titleLabel.text == fresh.mosaic_plot.titleLabel.text


@pytest.mark.parametrize("lesson", ["smile", "mnist"])
def test_every_colour_bars_end_labels_have_room_to_show_whole(panel_for, lesson):
    """The smile's bar ends at exactly 1.0, and its top label was cut in two by the view's edge."""
    panel, _ = panel_for(lesson)
    bars = [(panel.view, panel.mosaic_bar)] + [(panel.matrix_view, b) for b in panel.matrix_view.bars]
    assert len(bars) == (1 if lesson == "smile" else 3)
    for view, bar in bars:
        half = view.fontMetrics().height() / 2
        item, gradient = bar.sceneBoundingRect(), bar.vb.sceneBoundingRect()
        assert gradient.top() - item.top() >= half - 1 and item.bottom() - gradient.bottom() >= half - 1
        visible = view.mapToScene(view.viewport().rect()).boundingRect().adjusted(-0.5, -0.5, 0.5, 0.5)
        assert visible.contains(item)
