"""HealthView draws the trainer's recorded sizes and quantiles and the snapshot's own weights."""

from dataclasses import replace

import numpy as np
import pytest

from nnviz.model.core.history import QUANTILES
from nnviz.model.lessons import get_lesson
from nnviz.qt.explore.health_view import NO_DATA, HealthView, log_window, positive_or_nan
from nnviz.qt.graphics.palettes import color_for

from tests.qt.conftest import shown

_cache = {}


def trained(lesson, steps):
    """Snapshots after every step (the timeline's rewound snapshots look just like these)."""
    if (lesson, steps) not in _cache:
        t = get_lesson(lesson).build(seed=0)
        snaps = []
        for _ in range(steps):
            t.step()
            snaps.append(t.snapshot(lesson=lesson))
        _cache[lesson, steps] = (t, snaps)
    return _cache[lesson, steps]


@pytest.fixture
def view(qtbot):
    return shown(qtbot, HealthView(), 800, 700)


def test_curves_equal_the_recorded_history_and_bars_the_weights(view):
    t, snaps = trained("mnist", 70)
    snap = snaps[-1]
    view.set_lesson(t.dataset)
    view.show_snapshot(snap, None)
    h = snap.history
    assert len(h["health_iteration"]) > 5 and h["grad_norm"].shape[1] == 3
    for i in range(3):
        (gx, gy), (ux, uy) = view.norm_curve_data(i)
        np.testing.assert_array_equal(gx, h["health_iteration"])
        np.testing.assert_array_equal(gy, h["grad_norm"][:, i])
        np.testing.assert_array_equal(uy, h["update_norm"][:, i])
        bands = view.band_data(i)
        for k in range(len(QUANTILES)):
            np.testing.assert_array_equal(bands[k][0], h["iteration"])
            np.testing.assert_array_equal(bands[k][1], h["weight_quantiles"][:, i, k])
        # the recorded quantiles are this layer's at that evaluation: the last one is now
        if h["iteration"][-1] == snap.iteration:
            np.testing.assert_allclose(h["weight_quantiles"][-1, i], np.quantile(snap.weights[i], QUANTILES))
        x0, x1, height = view.histogram_bars(i)
        edges = np.append(x0, x1[-1])
        ref, _ = np.histogram(snap.weights[i], bins=edges)
        np.testing.assert_array_equal(height, ref)
        assert height.sum() == snap.weights[i].size  # every weight is in a bar
        assert edges[0] == pytest.approx(-edges[-1])  # symmetric: 0 is the middle
        # bars coloured by sign, as the weight heatmaps are
        brushes = view.hist_bars[i].opts["brushes"]
        level = edges[-1]
        c = 0.5 * (x0[0] + x1[0])
        assert brushes[0].rgb() == color_for(c, level, "green-red").rgb()
        assert brushes[0].red() > brushes[0].green() and brushes[-1].green() > brushes[-1].red()
    assert not view.norm_text.isVisible()
    assert f"{snap.weights[0].size} weights" in view.stats.text()


def test_a_rewound_snapshot_is_drawn_as_it_was(view):
    t, snaps = trained("mnist", 70)
    view.set_lesson(t.dataset)
    view.show_snapshot(snaps[-1], None)
    past = snaps[34]
    view.show_snapshot(past, None)
    (gx, gy), _ = view.norm_curve_data(0)
    np.testing.assert_array_equal(gx, past.history["health_iteration"])
    assert gx.max() <= past.iteration == 35
    assert view.norm_now.value() == 35 and view.bands[0]["now"].value() == 35
    x0, x1, height = view.histogram_bars(1)
    np.testing.assert_array_equal(height, np.histogram(past.weights[1], bins=np.append(x0, x1[-1]))[0])


def test_a_step_that_recorded_nothing_new_leaves_those_curves_and_the_next_evaluation_redraws_them(view):
    t, snaps = trained("mnist", 70)
    view.set_lesson(t.dataset)
    evals = [s.history["iteration"] for s in snaps]
    k = next(i for i in range(1, len(snaps) - 1)
             if len(evals[i]) == len(evals[i + 1]) and len(evals[i + 1]) < len(evals[-1]))
    view.show_snapshot(snaps[k], None)
    median = view.bands[0]["curves"][3]
    given = median.yData
    view.show_snapshot(snaps[k + 1], None)  # no evaluation in between: the same quantiles
    assert median.yData is given  # not set again
    assert view.bands[0]["now"].value() == snaps[k + 1].iteration  # the moving parts still move
    x0, x1, height = view.histogram_bars(0)
    np.testing.assert_array_equal(height, np.histogram(snaps[k + 1].weights[0], bins=np.append(x0, x1[-1]))[0])
    view.show_snapshot(snaps[-1], None)  # evaluations since: the curves follow
    np.testing.assert_array_equal(view.band_data(0)[3][1], snaps[-1].history["weight_quantiles"][:, 0, 3])


def test_nudge_lesson_has_no_gradient_curve_and_zero_changes_are_gaps(view):
    t, snaps = trained("smile", 6)
    snap = snaps[-1]
    view.set_lesson(t.dataset)
    view.show_snapshot(snap, None)
    h = snap.history
    assert np.isnan(h["grad_norm"]).all() and (h["update_norm"] == 0).any()  # one nudge was undone
    (gx, gy), (ux, uy) = view.norm_curve_data(0)
    assert gy is None or len(gy) == 0
    np.testing.assert_array_equal(uy, positive_or_nan(h["update_norm"][:, 0]))
    assert np.isnan(uy[h["update_norm"][:, 0] == 0]).all()
    assert "nudging" in view.header.text()
    lo, hi = view.norm_plot.vb.viewRange()[1]
    assert hi - lo >= 2  # at least two decades: a calm log axis


def test_missing_or_malformed_history_reads_no_data_yet(view):
    t, snaps = trained("smile", 6)
    snap = snaps[-1]
    view.set_lesson(t.dataset)
    bare = replace(snap, history={"loss": snap.history["loss"]})
    view.show_snapshot(bare, None)
    assert view.norm_text.isVisible() and view.norm_text.textItem.toPlainText() == NO_DATA
    assert view.bands[0]["text"].isVisible()
    x0, x1, height = view.histogram_bars(0)
    assert height.sum() == 12  # the weights are still drawn
    odd = dict(snap.history, weight_quantiles=np.full(len(snap.history["iteration"]), np.nan))
    view.show_snapshot(replace(snap, history=odd), None)
    assert view.bands[0]["text"].isVisible() and not view.norm_text.isVisible()
    view.show_snapshot(snap, None)
    assert not view.bands[0]["text"].isVisible()


def test_log_window_is_wide_enough_and_snapped():
    assert log_window(np.array([0.1, 0.2])) == (-2.0, 0.5)  # 0.1…0.2 widened to 2 decades around them
    assert log_window(np.array([np.nan, 0.0])) == (-1.0, 1.0)
    lo, hi = log_window(np.array([1e-4, 10.0]))
    assert lo <= -4 and hi >= 1


def test_a_conv_net_with_batch_norm_gets_a_column_per_weight_layer_and_batch_norms_scales(view):
    """Batch norm's weights are its γ, one per channel: a column of its own (it crashed the tab)."""
    from tests.qt.views.test_conv_network_view import BN_SPEC

    t = get_lesson("conv").build(seed=0, spec=BN_SPEC)
    for _ in range(12):
        t.step()
    snap = t.snapshot(lesson="conv")
    view.set_lesson(t.dataset)
    view.show_snapshot(snap, None)
    titles = [p.titleLabel.text for p in view.band_plots]
    assert [t_.split(" (")[0] for t_ in titles] == ["layer 1", "layer 2", "layer 4", "layer 6"]
    assert "layer 2 (batch norm, 4 γ)" in titles[1] and "conv 3@3×3" in titles[2]
    x0, x1, height = view.histogram_bars(1)
    ref, _ = np.histogram(snap.weights[1], bins=np.append(x0, x1[-1]))
    np.testing.assert_array_equal(height, ref)
    assert height.sum() == 4
    h = snap.history
    np.testing.assert_array_equal(view.norm_curve_data(1)[0][1], h["grad_norm"][:, 1])


def test_every_chart_and_its_title_is_inside_a_narrow_dock(qtbot):
    """Three layers in a 320-pixel dock: the layer-3 charts were pushed out of the view."""
    t, snaps = trained("mnist", 30)
    v = shown(qtbot, HealthView(), 320, 560)
    v.set_lesson(t.dataset)
    v.show_snapshot(snaps[-1])
    qtbot.wait(50)
    visible = v.view.mapToScene(v.view.viewport().rect()).boundingRect().adjusted(-0.5, -0.5, 0.5, 0.5)
    for p in [v.norm_plot] + v.band_plots + v.hist_plots:
        assert visible.contains(p.sceneBoundingRect()), p.titleLabel.text
        assert p.titleLabel.item.sceneBoundingRect().width() <= p.sceneBoundingRect().width() + 1


def test_a_lesson_with_as_many_weight_layers_reuses_the_charts_and_draws_its_own_numbers(view):
    """mnist → digits (3 weight layers each) keeps the 7 plots (making them again held a lesson
    switch ~0.3 s) yet shows digits' titles, curves and bars; a 4-layer net adds one column, and
    back on 3 layers it is out of the grid."""
    t, snaps = trained("mnist", 20)
    view.set_lesson(t.dataset)
    view.show_snapshot(snaps[-1], None)
    plots = [view.norm_plot, *view.band_plots, *view.hist_plots]
    d, dsnaps = trained("digits", 20)
    snap = dsnaps[-1]
    view.set_lesson(d.dataset)
    view.show_snapshot(snap, None)
    assert [view.norm_plot, *view.band_plots, *view.hist_plots] == plots
    assert [p.titleLabel.text for p in view.band_plots] == ["layer 1 (64→128)", "layer 2 (128→32)", "layer 3 (32→10)"]
    h = snap.history
    for i in range(3):
        np.testing.assert_array_equal(view.norm_curve_data(i)[0][1], h["grad_norm"][:, i])
        np.testing.assert_array_equal(view.band_data(i)[3][1], h["weight_quantiles"][:, i, 3])
        assert view.histogram_bars(i)[2].sum() == snap.weights[i].size
    from tests.qt.views.test_conv_network_view import BN_SPEC

    c = get_lesson("conv").build(seed=0, spec=BN_SPEC)
    c.step()
    view.set_lesson(c.dataset)
    view.show_snapshot(c.snapshot(lesson="conv"), None)
    assert len(view.band_plots) == 4 and view.band_plots[:3] == plots[1:4] and view.band_plots[3] not in plots
    fourth = view.band_plots[3]
    view.set_lesson(d.dataset)
    view.show_snapshot(snap, None)
    assert [view.norm_plot, *view.band_plots, *view.hist_plots] == plots and fourth not in view.view.ci.items
    assert view.histogram_bars(0)[2].sum() == snap.weights[0].size


def test_a_snapshot_with_no_history_yet_leaves_no_band_of_the_one_before(view):
    """Rewound to iteration 0, or switched to a lesson not trained yet: the bands' fills kept the
    previous snapshot's shape drawn beside "no data yet" (their curves were emptied, not they)."""
    t = get_lesson("digits").build(seed=0)
    first = t.snapshot(lesson="digits")
    for _ in range(40):
        t.step()
    view.set_lesson(t.dataset)
    view.show_snapshot(t.snapshot(lesson="digits"), None)
    assert all(not f.path().isEmpty() for band in view.bands for f in band["fills"])
    view.show_snapshot(first, None)
    assert all(band["text"].isVisible() for band in view.bands)
    assert all(f.path().isEmpty() for band in view.bands for f in band["fills"])


def test_charts_made_ahead_in_idle_time_are_the_ones_a_three_layer_lesson_shows_as_if_made_then(qtbot):
    """Smile → mnist with this tab showing made two columns of charts in the frame (~0.1 s): they
    are made ahead in idle ticks, before and after the first layout, and the three-layer lesson
    shows them, laid out as a view that made them in the frame lays its own out."""
    from nnviz.qt.graphics import spares

    s, ssnaps = trained("smile", 5)
    m, msnaps = trained("mnist", 20)
    then = shown(qtbot, HealthView(), 800, 700)
    spares.cancel(then._make_ahead)  # this one makes its charts in the frame
    early = HealthView()  # its work ahead done before its first layout
    qtbot.waitUntil(lambda: len(early._columns) == 3, timeout=10000)
    early = shown(qtbot, early, 800, 700)
    late = shown(qtbot, HealthView(), 800, 700)  # ... and after it
    for v in (then, late, early):
        v.set_lesson(s.dataset)
        v.show_snapshot(ssnaps[-1], None)
    assert len(then._columns) == 1
    qtbot.waitUntil(lambda: len(late._columns) == 3, timeout=10000)
    made = {id(p) for v in (late, early) for col in v._columns for p in (col[0], col[2])}
    for v in (then, late, early):
        v.set_lesson(m.dataset)
        v.show_snapshot(msnaps[-1], None)
    qtbot.wait(50)
    for v in (late, early):
        assert {id(p) for p in v.band_plots + v.hist_plots} <= made  # none made in the frame
        for mine, fresh in zip([v.norm_plot] + v.band_plots + v.hist_plots,
                               [then.norm_plot] + then.band_plots + then.hist_plots):
            assert mine.sceneBoundingRect() == fresh.sceneBoundingRect()
            assert mine.titleLabel.text == fresh.titleLabel.text
            np.testing.assert_allclose(mine.vb.viewRange(), fresh.vb.viewRange())
        for i in range(3):
            for a, b in zip(v.histogram_bars(i), then.histogram_bars(i)):
                np.testing.assert_allclose(a, b)
            np.testing.assert_allclose(v.band_data(i)[3][1], then.band_data(i)[3][1])


def test_axes_and_titles_paint_from_a_cache_and_still_follow_the_numbers(view):
    """Repainted in Python on every frame while training ran, the 14 axes made one repaint of the
    tab take 40-90 ms of GIL hand-overs with the trainer (mnist-conv)."""
    from PySide6.QtWidgets import QGraphicsItem

    t, snaps = trained("mnist", 30)
    view.set_lesson(t.dataset)
    view.show_snapshot(snaps[4], None)
    plots = [view.norm_plot, *view.band_plots, *view.hist_plots]
    for p in plots:
        for name in ("left", "bottom"):
            assert p.getAxis(name).cacheMode() == QGraphicsItem.DeviceCoordinateCache
        assert p.titleLabel.cacheMode() == QGraphicsItem.DeviceCoordinateCache
    before = view.band_plots[0].getAxis("bottom").range
    view.show_snapshot(snaps[-1], None)  # a longer run: the x axes reach further
    assert view.band_plots[0].getAxis("bottom").range[1] > before[1]


def test_charts_made_ahead_leave_the_charts_on_show_as_they_are(view):
    """Made into the grid and taken out again, each column made ahead relaid out the charts on
    show (20-45 ms of the GUI thread, also while training ran)."""
    s, ssnaps = trained("smile", 5)
    view.set_lesson(s.dataset)
    view.show_snapshot(ssnaps[-1], None)
    shown_plots = [view.norm_plot, *view.band_plots, *view.hist_plots]
    moved = []
    for p in shown_plots:
        p.geometryChanged.connect(lambda p=p: moved.append(p))
    before = [p.geometry() for p in shown_plots]
    while view._make_ahead():
        pass
    assert len(view._columns) == 3 and moved == []
    assert [p.geometry() for p in shown_plots] == before
    assert all(col[0].scene() is None for col in view._columns[1:])  # out of the view until laid out
