"""Training curves and the cheap-painting helpers: decimation keeps every spike, zoom brings
back every iteration, plots redraw only what changed, and the fast image path paints the
same colours pyqtgraph would."""

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtWidgets import QGraphicsItem

from nnviz.qt.graphics.lut_image import LutImageItem
from nnviz.qt.graphics.palettes import lookup_table, lut_index
from nnviz.qt.graphics.plot_style import cache_static, lighten_plot
from nnviz.qt.views.plots import MAX_BUCKETS, RANGE_GROWTH, TrainingPlots, peak_decimate, smoothed, thin

from tests.qt.conftest import shown


def history(n_steps, every=15, spike_at=None):
    rng = np.random.default_rng(0)
    loss = np.abs(rng.normal(size=n_steps)) * 0.3 + np.linspace(2.0, 0.1, n_steps)
    if spike_at is not None:
        loss[spike_at] = 40.0
    m = n_steps // every
    acc = np.linspace(0.1, 0.9, m)
    return {"loss": loss, "iteration": np.arange(1, m + 1) * every, "train_accuracy": acc,
            "test_accuracy": acc * 0.98, "epoch": np.arange(m) * 0.1}


# -- decimation ---------------------------------------------------------------------------------

def test_short_curves_are_left_alone():
    x, y = np.arange(10.0), np.arange(10.0) ** 2
    assert peak_decimate(x, y)[1] is y and thin(x, y)[1] is y


@pytest.mark.parametrize("n", [2 * MAX_BUCKETS + 1, 10_000, 123_457])
def test_peak_decimation_keeps_every_runs_lowest_and_highest_point(n):
    rng = np.random.default_rng(n)
    x, y = np.arange(1.0, n + 1), rng.normal(size=n)
    y[n // 3] = 99.0
    y[2 * n // 3] = -99.0
    dx, dy = peak_decimate(x, y)
    assert len(dx) <= 2 * MAX_BUCKETS + 2 and len(dx) == len(dy)
    assert dy.max() == 99.0 and dy.min() == -99.0  # the spikes survive
    b = -(-n // MAX_BUCKETS)
    for j in (0, 5, len(dx) // 2 - 1):  # pair j is (min, max) of the j-th run of b points
        run = y[j * b:(j + 1) * b]
        assert (dy[2 * j], dy[2 * j + 1]) == (run.min(), run.max())
        assert dx[2 * j] == dx[2 * j + 1] == x[j * b]


def test_thinning_keeps_the_first_and_last_point():
    x = np.arange(50_000.0)
    y = smoothed(np.sin(x / 500.0))
    tx, ty = thin(x, y, 100)
    assert len(tx) <= 202 and tx[0] == 0 and tx[-1] == x[-1] and ty[-1] == y[-1]


# -- the plots ------------------------------------------------------------------------------------

@pytest.fixture
def plots(qtbot):
    return shown(qtbot, TrainingPlots(), 700, 420)


def test_a_long_run_is_drawn_decimated_but_zooming_in_shows_every_iteration(qtbot, plots):
    h = history(60_000, spike_at=31_234)
    plots.show_history(h, 100, 1)
    x, y = plots.curve_data()["loss"]
    assert len(x) <= 2 * MAX_BUCKETS + 2
    assert y.max() == 40.0  # one bad batch among 60,000 still shows
    sx, sy = plots.curve_data()["smoothed"]
    np.testing.assert_allclose(sy[-1], smoothed(h["loss"])[-1])
    plots.loss_plot.setXRange(31_200, 31_260, padding=0)
    qtbot.waitUntil(lambda: len(plots.curve_data()["loss"][0]) < 100)
    x, y = plots.curve_data()["loss"]
    np.testing.assert_array_equal(x[1:-1], np.arange(31_200, 31_261))
    np.testing.assert_array_equal(y[1:-1], h["loss"][31_199:31_260])


def test_short_runs_show_each_iteration_exactly(plots):
    h = history(300)
    plots.show_history(h, 10, 1)
    x, y = plots.curve_data()["loss"]
    np.testing.assert_array_equal(x, np.arange(1, 301))
    np.testing.assert_array_equal(y, h["loss"])
    ex, ey = plots.curve_data()["test_accuracy"]
    np.testing.assert_array_equal(ex, h["iteration"])


def points(plots, name):
    x, _ = plots.curve_data()[name]
    return 0 if x is None else len(x)


def test_alternate_redraws_one_plot_per_call_loss_first(plots):
    h = history(1200)
    assert plots.show_history(h, 100, 1, alternate=True)
    assert points(plots, "loss") == 1200 and points(plots, "train_accuracy") == 0
    assert plots.show_history(h, 100, 1, alternate=True)  # the accuracy catches up on the next call
    assert points(plots, "train_accuracy") == len(h["iteration"])
    assert not plots.show_history(h, 100, 1, alternate=True)  # nothing new: nothing redrawn
    h2 = history(1290)  # more steps and more evaluations: loss, then accuracy, then nothing
    assert plots.show_history(h2, 100, 1, alternate=True) and points(plots, "loss") == 1290
    assert points(plots, "train_accuracy") == len(h["iteration"])
    assert plots.show_history(h2, 100, 1, alternate=True)
    assert points(plots, "train_accuracy") == len(h2["iteration"])
    assert not plots.show_history(h2, 100, 1, alternate=True)
    # without alternate (paused, stepping) both are drawn at once
    h3 = history(1380)
    assert plots.show_history(h3, 100, 1)
    assert points(plots, "loss") == 1380 and points(plots, "train_accuracy") == len(h3["iteration"])


def test_accuracy_curves_are_not_reset_when_no_evaluation_was_added(plots, monkeypatch):
    h = history(3000)
    plots.show_history(h, 100, 1)
    calls = []
    monkeypatch.setattr(plots.train_acc, "setData", lambda *a, **k: calls.append(a))
    h2 = dict(h, loss=np.append(h["loss"], [0.5, 0.4]))  # two more steps, same evaluations
    assert plots.show_history(h2, 100, 1)
    assert calls == []


def test_a_new_generation_starts_the_curves_and_ranges_afresh(plots):
    plots.show_history(history(5000), 100, 1)
    plots.show_history(history(45), 100, 2)
    assert len(plots.curve_data()["loss"][0]) == 45
    assert plots.loss_plot.getPlotItem().vb.viewRange()[0][1] < 200


def test_the_iteration_axis_grows_in_steps(plots):
    plots.show_history(history(1000), 100, 1)
    first = plots.loss_plot.getPlotItem().vb.viewRange()[0][1]
    assert first >= RANGE_GROWTH * 1000 * 0.99
    plots.show_history(history(1500), 100, 1)  # still fits: the range stays put
    assert plots.loss_plot.getPlotItem().vb.viewRange()[0][1] == first
    plots.show_history(history(int(first) + 10), 100, 1)
    assert plots.loss_plot.getPlotItem().vb.viewRange()[0][1] > first


def test_axes_are_cached_and_legends_are_labels(plots):
    for p in (plots.loss_plot, plots.acc_plot):
        item = p.getPlotItem()
        assert item.getAxis("left").cacheMode() == QGraphicsItem.DeviceCoordinateCache
        assert item.getAxis("bottom").cacheMode() == QGraphicsItem.DeviceCoordinateCache
        assert item.legend is None
    assert "smoothed" in plots.loss_legend.text() and "test accuracy" in plots.acc_legend.text()


# -- painting helpers -----------------------------------------------------------------------------

@pytest.mark.parametrize("palette", ["green-red", "blue-orange", "gray"])
def test_fast_image_path_paints_pyqtgraphs_colours(qtbot, palette):
    from nnviz.qt.graphics.palettes import GRAY

    lut = GRAY if palette == "gray" else lookup_table(palette)
    rng = np.random.default_rng(3)
    data = (rng.normal(size=(40, 50)) * 2).astype(np.float32)
    L = 1.7
    data[0, :6] = [-L, L, 0.0, -0.0, 0.5 * L, -1e-9]
    data[rng.random(data.shape) < 0.1] = np.nan
    ref, fast = pg.ImageItem(lut=lut), LutImageItem(lut=lut)
    for item in (ref, fast):
        item.setImage(data, levels=(-L, L), autoLevels=False)
        item.render()
    assert fast.qimage.format() != ref.qimage.format()  # really the fast path
    for (y, x), v in np.ndenumerate(data):
        f = fast.qimage.pixelColor(x, y)
        if np.isnan(v):
            assert f.alpha() == 0
            continue
        r = ref.qimage.pixelColor(x, y)
        assert (f.red(), f.green(), f.blue(), f.alpha()) == (r.red(), r.green(), r.blue(), 255)
        if palette != "gray":
            assert (f.red(), f.green(), f.blue()) == tuple(int(c) for c in lut[lut_index(v, L)][:3])


def test_fast_image_path_leaves_other_images_to_pyqtgraph(qtbot):
    rgba = np.zeros((4, 5, 4), np.uint8)
    rgba[..., 0] = 200
    rgba[..., 3] = 255
    item = LutImageItem()
    item.setImage(rgba, levels=(0, 255))
    item.render()
    c = item.qimage.pixelColor(1, 1)
    assert (c.red(), c.alpha()) == (200, 255)


def test_lighten_plot_caches_axes_and_title_and_empties_the_viewbox(qtbot):
    w = shown(qtbot, pg.PlotWidget(), 300, 200)
    p = w.getPlotItem()
    p.setTitle("t")
    lighten_plot(p)
    assert all(p.getAxis(a).cacheMode() == QGraphicsItem.DeviceCoordinateCache for a in ("left", "bottom"))
    assert p.titleLabel.cacheMode() == QGraphicsItem.DeviceCoordinateCache
    assert p.vb.flags() & QGraphicsItem.ItemHasNoContents
    item = pg.TextItem("x")
    cache_static(item, None)
    assert item.cacheMode() == QGraphicsItem.DeviceCoordinateCache


def test_the_rewind_cursor_marks_the_iteration_shown_and_goes_away_live(qtbot):
    from nnviz.qt.views.plots import TrainingPlots

    plots = TrainingPlots()
    qtbot.addWidget(plots)
    plots.show_cursor(120)
    assert all(line.scene() is not None and line.value() == 120 for line in plots.cursors)
    assert plots.cursors[0] in plots.loss_plot.getPlotItem().items
    plots.show_cursor(None)
    assert all(line.scene() is None for line in plots.cursors)


def test_the_epoch_axis_ticks_round_epochs_with_room_for_their_labels(qtbot):
    from nnviz.qt.views.plots import EpochAxis

    axis = EpochAxis()
    axis.iterations_per_epoch = 125.0
    levels = axis.tickValues(0, 1.0, 300)  # one iteration: 0.008 of an epoch
    spacing, values = levels[0]
    strings = axis.tickStrings(values, 1.0, spacing)
    step = spacing / 125.0  # in epochs: 1, 2 or 5 × a power of ten, not 0.0016 (0.2 iterations)
    mantissa = step / 10 ** np.floor(np.log10(step))
    assert min(abs(mantissa - m) for m in (1, 2, 5)) < 1e-6
    assert strings and all(len(t) <= 5 for t in strings)  # "0.002", not "0.0016"


def test_a_run_longer_than_the_fine_record_draws_its_blocks_with_every_spike(qtbot, plots, monkeypatch):
    from nnviz.model.core import history as H

    monkeypatch.setattr(H, "FINE_KEEP", 4096)
    monkeypatch.setattr(H, "FIRST_BLOCK", 16)
    h = H.History()
    want = history(30_000, spike_at=2_345)["loss"]
    for v in want:
        h.record_step(v)
    assert h.folded > 2_345  # the spike is in a block
    plots.show_history(h.frozen(), 100, 1)
    x, y = plots.curve_data()["loss"]
    assert y.max() == 40.0 and x.max() > 29_900 and x.min() == 1
    plots.loss_plot.setXRange(29_900, 30_000, padding=0)  # zoomed in: the newest, one by one
    qtbot.waitUntil(lambda: len(plots.curve_data()["loss"][0]) < 200)
    x, y = plots.curve_data()["loss"]
    np.testing.assert_array_equal(y[x >= 29_900], want[29_899:])
    assert plots.iteration_at(plots.loss_plot, plots.loss_plot.getPlotItem().vb.mapViewToScene(
        pg.Point(29_950, 1.0))) == 29_950


def test_an_axis_title_longer_than_its_plot_is_short_with_an_ellipsis_and_whole_in_the_tooltip(qtbot):
    from PySide6.QtGui import QFontMetrics

    p = TrainingPlots()
    shown(qtbot, p, 300, 200)  # a short dock: the accuracy plot is about 70 pixels high
    for plot, title in ((p.acc_plot, "accuracy"), (p.loss_plot, "loss")):
        axis = plot.getPlotItem().getAxis("left")
        text = axis.labelText
        room = axis.geometry().height()
        assert QFontMetrics(axis.label.font()).horizontalAdvance(text) <= room  # no title cut without a sign
        assert text == title or text.endswith("…") or text == ""
        assert axis.toolTip() == title
    assert p.acc_plot.getPlotItem().getAxis("left").labelText != "accuracy"  # it does not fit here
    shown(qtbot, p, 300, 600)
    assert p.acc_plot.getPlotItem().getAxis("left").labelText == "accuracy"  # and does when there is room
