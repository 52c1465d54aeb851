"""Weight heatmaps and activations on the real window: what is drawn equals the network."""

import numpy as np
import pytest
from PySide6.QtCore import QPointF

from nnviz.qt.graphics.palettes import lookup_table

from tests.qt.conftest import wait_iteration


def trained(qtbot, make_window, lesson, steps):
    win = make_window(lesson)
    win.controller.step(steps)
    return win, wait_iteration(qtbot, win, steps, timeout=20000)


@pytest.mark.parametrize("lesson,shape,steps", [("mnist", (28, 28), 20), ("digits", (8, 8), 20), ("smile", (4, 3), 3)])
def test_displayed_weights_are_the_weight_rows_in_the_input_shape(qtbot, make_window, lesson, shape, steps):
    win, snap = trained(qtbot, make_window, lesson, steps)
    shown = win.weight_panel.displayed_weights()
    n = snap.sizes[1]
    assert shown[0].shape == (n, *shape)
    for k in range(n):
        np.testing.assert_array_equal(shown[0][k], snap.weights[0][k].reshape(shape))
    for a, w in zip(shown[1:], snap.weights[1:]):
        np.testing.assert_array_equal(a, w)


def test_positive_weight_gets_the_positive_colour_and_zero_the_neutral(qtbot, make_window):
    win, snap = trained(qtbot, make_window, "smile", 1)
    panel = win.weight_panel
    level = panel.levels()[0]
    lut = lookup_table("green-red")
    img = panel.mosaic.image
    rgba = lut[np.clip(np.round((np.nan_to_num(img) / level + 1) * 127.5), 0, 255).astype(int)]
    w = snap.weights[0][0].reshape(4, 3)
    pos, zero, neg = np.argwhere(w > 0)[0], np.argwhere(w == 0)[0], np.argwhere(w < 0)[0]
    assert tuple(rgba[tuple(pos)][:3])[1] > 150 and rgba[tuple(pos)][0] < 100  # green
    assert tuple(rgba[tuple(neg)][:3])[0] > 150 and rgba[tuple(neg)][1] < 100  # red
    assert tuple(rgba[tuple(zero)][:3]) == tuple(lut[127][:3]) or tuple(rgba[tuple(zero)][:3]) == tuple(lut[128][:3])
    assert panel.mosaic.levels is not None and tuple(panel.mosaic.levels) == (-level, level)


def test_levels_stay_put_between_frames_unless_the_range_changes(qtbot, make_window):
    win, _ = trained(qtbot, make_window, "mnist", 5)
    before = win.weight_panel.levels()
    win.controller.step(1)
    wait_iteration(qtbot, win, 6)
    assert win.weight_panel.levels() == before  # one small step: same colours for the same values


def test_hover_text_names_the_pixel_and_the_value(qtbot, make_window):
    win, snap = trained(qtbot, make_window, "mnist", 3)
    text = win.weight_panel.hover_text_at(1, 5, 10, 17)
    assert "neuron 5" in text and "row 10, column 17" in text
    assert f"{snap.weights[0][5, 10 * 28 + 17]:+.4f}" in text
    # and the real hover path: a scene position over that pixel
    panel = win.weight_panel
    y, x = panel.tile_origin(5)
    scene = panel.mosaic_plot.vb.mapViewToScene(QPointF(x + 17.5, y + 10.5))
    assert panel._locate(scene) == (1, 5, 10, 17)


def test_clicking_a_neuron_selects_it_in_both_views(qtbot, make_window):
    win, _ = trained(qtbot, make_window, "mnist", 3)
    win.weight_panel.select_neuron(1, 7)
    assert win.activation_view.selected_neuron() == (1, 7)
    win.activation_view.select_neuron(2, 3)
    assert win.weight_panel.selected_neuron() == (2, 3)


def test_delta_view_is_the_difference_of_two_consecutive_snapshots(qtbot, make_window):
    win, first = trained(qtbot, make_window, "digits", 4)
    win.controller.step(1)
    second = wait_iteration(qtbot, win, 5)
    win.actions["delta"].setChecked(True)
    shown = win.weight_panel.displayed_weights()
    np.testing.assert_allclose(shown[0], (second.weights[0] - first.weights[0]).reshape(-1, 8, 8), atol=1e-6)
    np.testing.assert_allclose(shown[1], second.weights[1] - first.weights[1], atol=1e-6)


def test_nan_weights_do_not_break_the_levels(qtbot, make_window):
    from dataclasses import replace

    win, snap = trained(qtbot, make_window, "smile", 1)
    bad = np.array(snap.weights[0])
    bad[0, 0] = np.nan
    win.weight_panel.show_snapshot(replace(snap, weights=(bad,)))
    assert np.isfinite(win.weight_panel.levels()[0])


@pytest.mark.parametrize("lesson", ["mnist", "digits", "smile"])
def test_displayed_activations_equal_the_forward_pass_of_the_painted_input(qtbot, make_window, lesson):
    win, snap = trained(qtbot, make_window, lesson, 3)
    ds = win.controller.dataset
    win.pixel_editor.set_image(ds.x_test[1].reshape(ds.image_shape))
    acts = snap.network().forward(win.pixel_editor.image().reshape(1, -1))
    shown = win.activation_view.displayed_activations()
    assert len(shown) == len(acts)
    for s, a in zip(shown, acts):
        np.testing.assert_allclose(s, a[0], rtol=1e-6)


def test_preactivation_toggle_and_the_neuron_breakdown_add_up(qtbot, make_window):
    win, snap = trained(qtbot, make_window, "mnist", 10)
    ds = win.controller.dataset
    win.pixel_editor.set_image(ds.x_test[2].reshape(28, 28))
    x = win.pixel_editor.image().reshape(1, -1)
    zs, _ = snap.network().forward_full(x)
    win.actions["pre"].setChecked(True)
    shown = win.activation_view.displayed_activations()
    np.testing.assert_allclose(shown[1], zs[0][0], rtol=1e-5)
    np.testing.assert_allclose(shown[-1], zs[-1][0], rtol=1e-5)
    d = win.activation_view.neuron_breakdown(1, 4)
    assert d["sum"] + d["bias"] == pytest.approx(d["z"], abs=1e-4)
    assert d["activation"] == pytest.approx(1 / (1 + np.exp(-d["z"])), abs=1e-5)


def test_counters_have_room_for_long_numbers_and_never_resize(qtbot, make_window):
    """The iteration/epoch/loss counters change every frame; a label that resized with its text
    would re-lay-out the window each time."""
    from types import SimpleNamespace

    win = make_window("digits")
    tp = win.training_panel
    labels = (tp.iteration_label, tp.epoch_label, tp.loss_label)
    sizes = [lab.size() for lab in labels]
    labels += tuple(win.frames.status.labels.values())  # the status bar's fields change every frame too
    sizes = [lab.size() for lab in labels]
    big = SimpleNamespace(iteration=99_999_999, epoch_progress=9999.99, loss=999.9999,
                          history={"test_accuracy": [1.0]}, generation=0, steps_per_second=99_999.0,
                          rewound=False)
    tp.show_counters(big, 100, curves=False)
    win.frames.status.show(big)
    for lab, size in zip(labels, sizes):
        assert lab.size() == size
        assert lab.fontMetrics().horizontalAdvance(lab.text()) <= lab.width(), lab.text()
    assert tp.iteration_label.text() == "iteration 99,999,999"
    assert win.frames.status.labels["speed"].text() == "99,999 steps/s"


def test_output_bars_bounds_follow_the_heights(qtbot, make_window):
    win = make_window("digits")
    bars = win.activation_view.out_bars
    k = len(bars.opts["height"])
    bars.setOpts(height=np.full(k, 0.2))
    low = bars.boundingRect()
    assert bars.boundingRect() == low  # asked again: the same, cached rect
    bars.setOpts(height=np.full(k, 0.9))
    assert bars.boundingRect().height() > low.height() + 0.5


def test_redraw_memo_skips_sub_step_changes_without_letting_them_add_up():
    from nnviz.qt.graphics.redraw_memo import RedrawMemo

    memo, span = RedrawMemo(), 1.0  # 256 colours over 0..1: a step is 1/256
    v = np.linspace(0, 1, 16)
    assert not memo.unchanged("a", v, span)  # nothing drawn yet
    assert memo.unchanged("a", v + 0.001, span)  # under half a step: the same picture
    assert memo.unchanged("a", v + 0.0019, span)  # still measured from what was drawn ...
    assert not memo.unchanged("a", v + 0.0021, span)  # ... so creeping changes are drawn
    assert memo.unchanged("a", v + 0.0021, span)
    assert not memo.unchanged("a", v + 0.0021, span, context=("levels", 2))  # new levels
    bad = v.copy()
    bad[3] = np.nan
    assert not memo.unchanged("a", bad, span, context=("levels", 2))  # NaN is always drawn
    assert not memo.unchanged("a", bad, span, context=("levels", 2))
    assert not memo.unchanged("a", v, span) and memo.unchanged("a", v, span)
    assert not memo.unchanged("a", v, span, allow=False)  # paused: always drawn, and the record dropped ...
    assert not memo.unchanged("a", v, span)  # ... so the next frame draws too
    memo.forget()  # new items: nothing drawn on them
    assert not memo.unchanged("a", v, span)


def test_redraw_memo_sets_only_changed_values_and_forgets_on_request():
    from nnviz.qt.graphics.redraw_memo import RedrawMemo

    memo, calls = RedrawMemo(), []
    memo.set_if_changed("title", "a", calls.append)
    memo.set_if_changed("title", "a", calls.append)
    memo.set_if_changed("range", (0, 1), calls.append)
    assert calls == ["a", (0, 1)] and memo.last("title") == "a" and memo.last("other", "-") == "-"
    memo.forget("title")  # one key: the other stays
    memo.set_if_changed("title", "a", calls.append)
    memo.set_if_changed("range", (0, 1), calls.append)
    assert calls == ["a", (0, 1), "a"]
    assert not memo.changed("title", "a") and memo.changed("title", "b")
    memo.forget()
    assert memo.last("range") is None and memo.changed("range", (0, 1))


def test_redraw_memo_lets_a_text_change_every_frame_only_when_paused():
    from nnviz.qt.graphics.redraw_memo import TEXT_SECONDS, RedrawMemo

    memo = RedrawMemo()
    assert memo.text_due("t", running=False) and memo.text_due("t", running=False)
    assert memo.text_due("t", running=True)  # the first time while running
    assert not memo.text_due("t", running=True)  # then not again within TEXT_SECONDS ...
    assert memo.text_due("u", running=True)  # ... per key
    assert memo.text_due("t", running=True, seconds=0.0)
    assert TEXT_SECONDS > 0


def test_an_activation_that_moves_is_redrawn_and_one_that_barely_moves_is_not(qtbot, make_window):
    win = make_window("digits")
    av = win.activation_view
    win.controller.step()
    snap = wait_iteration(qtbot, win, 1)
    x = win.controller.dataset.x_test[:1]
    zs, acts = snap.network().forward_full(x)
    av.show_activations(zs, acts, snap)
    img = av.images[1]
    before = img.image.copy()
    nudged = [a.copy() for a in acts]
    nudged[1] = nudged[1] + 1e-6  # far below one colour step
    av.show_activations(zs, nudged, snap)
    assert np.array_equal(img.image, before, equal_nan=True)
    moved = [a.copy() for a in acts]
    moved[1] = np.zeros_like(moved[1])  # every unit off: a different picture
    av.show_activations(zs, moved, snap)
    assert not np.array_equal(img.image, before, equal_nan=True)


def test_the_readout_bars_never_disagree_with_the_headline(qtbot):
    from nnviz.qt.views.prediction_readout import PredictionReadout

    r = PredictionReadout()
    qtbot.addWidget(r)
    r.set_labels([str(i) for i in range(3)], "classification")
    r.set_output(np.array([0.4005, 0.3995, 0.2]))
    r.set_output(np.array([0.3995, 0.4005, 0.2]))  # a tiny change that flips the answer
    assert r.text().startswith("1 —") and int(np.argmax(r.bars.values)) == 1
    r.set_output(np.array([0.4449, 0.3551, 0.2]))
    r.set_output(np.array([0.4451, 0.3549, 0.2]))  # … or a printed percentage
    assert "45%" in r.text() and f"{r.bars.values[0]:.0%}" == "45%"


def test_a_regridded_weight_mosaic_is_redrawn_while_running(qtbot):
    from dataclasses import replace

    from nnviz.model.lessons import get_lesson
    from nnviz.qt.views.weight_panel import WeightPanel

    t = get_lesson("digits").build(seed=0)
    snap = replace(t.snapshot(lesson="digits"), steps_per_second=1000.0)  # a frame while running
    p = WeightPanel()
    qtbot.addWidget(p)
    p.set_layout(list(snap.sizes), t.dataset.image_shape, t.dataset.class_names)
    p.show_snapshot(snap)
    h = t.dataset.image_shape[0]
    assert p.grid_rows > 1 and p.mosaic.image.shape[0] > h
    p._fitting_grid = lambda: (1, p.per_page)  # the dock became wide and short
    p._relayout_tiles(resort=False)
    p.show_snapshot(snap)  # same weights, new tiling
    assert p.mosaic.image.shape[0] == h  # one row of tiles, as the grid says
