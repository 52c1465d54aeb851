"""LrProbeView draws the probe's losses, marks the current rate, and keeps inf off the axis."""

import math

import numpy as np
import pytest

from nnviz.model.analysis.nudge_vs_gradient import training_sample
from nnviz.model.lessons import get_lesson
from nnviz.model.analysis.lr_probe import probe_learning_rates, probe_snapshot
from nnviz.model.core.network import Network
from nnviz.qt.explore.lr_probe_view import LrProbeView, fmt_change, fmt_loss, verdict_text, y_window
from nnviz.qt.graphics.view_protocol import Frame

from tests.qt.conftest import shown


def snapshot(lesson, steps, **settings):
    t = get_lesson(lesson).build(seed=0)
    for _ in range(steps):
        t.step()
    if settings:
        t.apply_settings(**settings)
    return t, t.snapshot(lesson=lesson)


def probed(qtbot, view, snap):
    """Show ``snap`` and wait for its probe (it runs on a background thread)."""
    view.show_snapshot(snap, None)
    qtbot.waitUntil(lambda: not view.is_computing(), timeout=20000)


@pytest.fixture
def view(qtbot):
    return shown(qtbot, LrProbeView(), 700, 520)


@pytest.mark.parametrize("lesson,steps", [("smile", 1), ("mnist", 10)])
def test_curve_is_the_probe_and_the_current_rate_is_marked(qtbot, view, lesson, steps):
    t, snap = snapshot(lesson, steps)
    view.set_lesson(t.dataset)
    probed(qtbot, view, snap)
    ref = probe_snapshot(snap, t.dataset)
    x, y = view.curve_points()
    np.testing.assert_array_equal(x, ref.rates)
    lo, hi = y_window(ref)
    inside = np.isfinite(ref.losses) & (ref.losses <= hi)
    np.testing.assert_array_equal(y[inside], ref.losses[inside])
    assert np.isnan(y[~inside]).all()
    ox, oy = view.off_chart.xData, view.off_chart.yData
    np.testing.assert_array_equal(ox, ref.rates[~inside])
    assert (oy == hi).all()
    lr = snap.settings["learning_rate"]
    assert view.rate_line.value() == pytest.approx(math.log10(lr))  # log x axis
    assert view.current_point.yData[0] == pytest.approx(ref.current_loss)
    assert view.verdict.text() == verdict_text(ref)
    a, b = view.verdict.text().split(": loss ")[1].split(" (")[0].split(" → ")
    assert view.verdict.text().startswith(f"lr {lr:g}: loss ")
    assert float(a) == pytest.approx(ref.base_loss, rel=1e-3) and float(b) == pytest.approx(ref.current_loss, rel=1e-3)
    assert a != b  # even a crawling step shows that it moved
    # the y axis is finite and shows the whole dip
    (_, _), (ylo, yhi) = view.plot.getPlotItem().vb.viewRange()
    assert math.isfinite(ylo) and math.isfinite(yhi) and ylo <= ref.best_loss and yhi >= ref.base_loss
    if lesson == "mnist":
        X, _ = training_sample(t.dataset, 512)
        assert f"a fixed sample of {len(X)} training examples" in view.header.text()
    else:
        assert "nudging" in view.header.text()


def test_an_exploding_rate_reads_inf_and_stays_off_the_axis(qtbot, view):
    t, snap = snapshot("digits", 5, learning_rate=1e30)
    view.set_lesson(t.dataset)
    probed(qtbot, view, snap)
    p = view.probe
    assert not math.isfinite(p.current_loss)
    assert view.verdict.text() == f"lr 1e+30: loss {fmt_loss(p.base_loss)} → {p.current_loss} (explodes)"
    (_, _), (ylo, yhi) = view.plot.getPlotItem().vb.viewRange()
    assert math.isfinite(yhi) and yhi < 10 * p.base_loss
    lo, hi = y_window(p)
    assert view.current_point.yData[0] == hi  # drawn on the top edge


def test_same_snapshot_is_not_probed_twice_and_a_new_one_is(qtbot, view):
    t, snap = snapshot("smile", 2)
    view.set_lesson(t.dataset)
    probed(qtbot, view, snap)
    first = view.probe
    view.show_snapshot(snap, Frame(snap, painted=np.ones(12, np.float32)))
    assert view.probe is first
    t.step()
    view.show_snapshot(t.snapshot(lesson="smile"), None)
    assert view.probe is not first


def test_loss_formatting_and_window():
    assert fmt_loss(1.0) == "1.000" and fmt_loss(2.3026) == "2.303" and fmt_loss(0.54751) == "0.5475"
    assert fmt_loss(float("inf")) == "inf" and fmt_loss(float("nan")) == "nan"
    assert fmt_change(2.257161, 2.257021) == ("2.2572", "2.2570")  # one decimal more than 2.257
    assert fmt_change(2.3, 2.1) == ("2.300", "2.100") and fmt_change(1.0, 1.0) == ("1.000", "1.000")
    assert fmt_change(2.3, float("inf")) == ("2.300", "inf")
    rng = np.random.default_rng(0)
    net = Network([5, 3], output="softmax", seed=1)
    p = probe_learning_rates(net, rng.random((8, 5)), rng.integers(0, 3, 8), "cross_entropy", 0.1)
    lo, hi = y_window(p)
    assert lo < p.best_loss and hi > p.base_loss


@pytest.mark.parametrize("lesson,steps", [("smile", 1), ("digits", 0)])
def test_the_best_step_it_names_is_one_the_learning_rate_setting_takes(qtbot, view, lesson, steps):
    import re

    from nnviz.qt.views.training_panel import TrainingPanel
    from PySide6.QtGui import QAction

    t, snap = snapshot(lesson, steps)
    view.set_lesson(t.dataset)
    probed(qtbot, view, snap)
    named = [float(v) for v in re.findall(r"lr ([0-9.e+-]+)", view.detail.text())]
    keys = ("step", "step_n", "run", "reset")
    panel = TrainingPanel({k: QAction(k) for k in keys})
    assert named and max(named) <= panel.lr_spin.maximum()  # the smile's was "lr 100", the setting stops at 10


def test_the_probe_runs_off_the_gui_thread_and_only_the_newest_snapshot_is_drawn(qtbot, view):
    """~0.6 s per conv-net probe held the window (the freeze matrix: 686 ms for a rewind)."""
    t, first = snapshot("conv", 3)
    view.set_lesson(t.dataset)
    view.show_snapshot(first, None)
    assert view.is_computing() and view.probe is None  # returned at once: the work is elsewhere
    assert "Probing" in view.header.text() and view.verdict.text() == ""
    t.step()
    newest = t.snapshot(lesson="conv")
    view.show_snapshot(newest, None)  # asked for while the first is still being probed
    qtbot.waitUntil(lambda: not view.is_computing(), timeout=20000)
    assert view.probe.base_loss == pytest.approx(probe_snapshot(newest, t.dataset).base_loss, rel=1e-9)
    assert f"iteration {newest.iteration}" in view.header.text()
