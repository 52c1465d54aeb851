"""NudgeView shows exactly what nnviz.model.analysis.nudge_vs_gradient computes, on a copy, for the chosen neuron."""

import numpy as np
import pytest
from PySide6.QtCore import Qt

from nnviz.model.analysis.nudge_vs_gradient import compare_neuron, training_sample
from nnviz.model.lessons import get_lesson
from nnviz.model.analysis.nudge_vs_gradient import map_shape, parameter_name
from nnviz.qt.explore.nudge_view import AGREE_ROW, DISAGREE_ROW, NudgeView
from nnviz.qt.graphics.view_protocol import Frame

from tests.qt.conftest import shown


def row_colour(v, row):
    """The background the table paints behind a row (None: the plain one)."""
    model = v.table.model()
    brush = model.data(model.index(row, 0), Qt.BackgroundRole)
    return None if brush is None else brush.color()

_cache = {}


def trained(lesson, steps):
    if (lesson, steps) not in _cache:
        t = get_lesson(lesson).build(seed=0)
        snaps = []
        for _ in range(steps):
            t.step()
            snaps.append(t.snapshot(lesson=lesson))
        _cache[lesson, steps] = (t, snaps)
    return _cache[lesson, steps]


@pytest.fixture
def view_for(qtbot):
    def make(lesson, steps, snap_index=-1):
        t, snaps = trained(lesson, steps)
        v = shown(qtbot, NudgeView(), 700, 800)
        v.set_lesson(t.dataset)
        v.show_snapshot(snaps[snap_index], None)
        return v, t, snaps[snap_index]
    return make


def test_smile_table_and_maps_equal_the_comparison_of_all_twelve_weights(view_for):
    v, t, snap = view_for("smile", 1)
    d = t.dataset
    ref = compare_neuron(snap.network(), d.x_train, d.y_train, "mse", 1, 0, 1.0, 0.1)
    c = v.comparison
    assert (c.layer, c.neuron, c.n_params) == (1, 0, 12)
    for name in ("loss_up", "loss_down", "nudge", "gradient", "gradient_step"):
        np.testing.assert_array_equal(getattr(c, name), getattr(ref, name))
    rows = v.table_rows()
    assert [j for j, _ in rows] == list(range(12))  # a small neuron is listed in order
    for j, texts in rows:
        assert texts[0] == parameter_name(1, j, 12, (4, 3))
        assert float(texts[1]) == pytest.approx(ref.loss_up[j], abs=1e-5)
        assert float(texts[2]) == pytest.approx(ref.loss_down[j], abs=1e-5)
        assert float(texts[3]) == ref.nudge[j]
        assert float(texts[4]) == pytest.approx(ref.gradient[j], rel=1e-3)
        assert float(texts[5]) == pytest.approx(-0.1 * ref.gradient[j], rel=1e-3)
        colour = row_colour(v, [r for r, (k, _) in enumerate(rows) if k == j][0])
        if ref.nudge[j] == 0:
            assert texts[6] == "— stayed" and colour != AGREE_ROW
        else:  # in the smile lesson the nudge always goes the gradient's way
            assert texts[6] == "✓ same way" and colour == AGREE_ROW
    np.testing.assert_array_equal(v.map_images[0].image, ref.nudge.reshape(4, 3))
    np.testing.assert_allclose(v.map_images[1].image, ref.gradient_step.reshape(4, 3), rtol=1e-6)
    assert v.map_images[0].levels.tolist() == [-1.0, 1.0]  # ±step: 0 is the neutral colour
    assert "The output neuron" in v.header.text() and "all 4 training examples" in v.header.text()


def test_apply_all_shows_before_and_after_on_a_copy_and_asks_for_real_steps(view_for, qtbot):
    v, t, snap = view_for("smile", 1)
    weights = t.network.weights[0].copy()
    assert v.apply_label.text() == ""
    qtbot.mouseClick(v.apply_button, Qt.LeftButton)
    c = v.comparison
    text = v.apply_label.text()
    # by hand: all nudges at once on the four faces, and the gradient step
    X, y = t.dataset.x_train.astype(float), t.dataset.y_train[:, 0]
    w = snap.weights[0][0].astype(float)
    after = np.mean((X @ (w + c.nudge) - y) ** 2)
    after_g = np.mean((X @ (w + c.gradient_step) - y) ** 2)
    assert f"{c.base_loss:.5f} → {after:.5f}" in text
    assert f"{c.base_loss:.5f} → {after_g:.5f}" in text
    assert ("worse" in text) == (after > c.base_loss)
    np.testing.assert_array_equal(t.network.weights[0], weights)  # never touched the trainer
    with qtbot.waitSignal(v.applyRequested) as sig:
        qtbot.mouseClick(v.real_nudge, Qt.LeftButton)
    assert sig.args == ["nudge"]
    with qtbot.waitSignal(v.applyRequested) as sig:
        qtbot.mouseClick(v.real_gradient, Qt.LeftButton)
    assert sig.args == ["gradient"]


def test_selected_neuron_in_mnist_uses_a_fixed_sample_and_lists_steepest_first(view_for):
    v, t, snap = view_for("mnist", 5)
    assert (v.comparison.layer, v.comparison.neuron) == (1, 0)  # the first hidden neuron by default
    assert v.comparison.n_params == 785
    v.select_neuron(2, 3)
    c = v.comparison
    X, Y = training_sample(t.dataset, 256)
    _, dW, db = snap.network().gradients(X, Y, "cross_entropy")
    np.testing.assert_allclose(c.gradient, np.append(dW[1][3], db[1][3]), rtol=1e-6)
    assert c.learning_rate == 0.5 and c.step == 1.0
    rows = v.table_rows()
    # 16 weights + bias: few enough to list in order; every row's colour follows the comparison
    assert [j for j, _ in rows] == list(range(17)) and rows[-1][1][0] == "bias"
    assert rows[3][1][0] == "from neuron 3 of layer 1"
    for r, (j, texts) in enumerate(rows):
        colour = row_colour(v, r)
        if c.agree[j]:
            assert colour == AGREE_ROW
        elif c.moved[j]:
            assert colour == DISAGREE_ROW and texts[6] == "✗ opposite"
    assert map_shape(2, 16, (28, 28)) == (4, 4) and v.map_images[0].image.shape == (4, 4)
    assert "Hidden layer 2, neuron 3" in v.header.text()
    assert "cross-entropy loss now" in v.header.text() and "cross_entropy" not in v.header.text()  # no internal name
    v.select_neuron(1, 7)
    rows = v.table_rows()
    grads = np.abs(v.comparison.gradient)
    assert [j for j, _ in rows] == list(np.argsort(-grads, kind="stable"))  # steepest first
    assert v.map_images[0].image.shape == (28, 28)


def test_step_box_recomputes_and_follows_the_lesson_and_same_snapshot_is_not_recomputed(view_for):
    v, t, snap = view_for("smile", 1)
    first = v.comparison
    v.show_snapshot(snap, Frame(snap, painted=np.zeros(12, np.float32)))  # a new painting alone changes nothing here
    assert v.comparison is first
    v.step_box.setValue(0.5)
    d = t.dataset
    ref = compare_neuron(snap.network(), d.x_train, d.y_train, "mse", 1, 0, 0.5, 0.1)
    np.testing.assert_array_equal(v.comparison.nudge, ref.nudge)
    assert set(np.abs(v.comparison.nudge)) <= {0.0, 0.5}
    # when the trainer's own step changes (halved after an undone combined move), the view follows it
    t2, snaps = trained("smile", 3)
    assert snaps[-1].nudge_step_now != snap.nudge_step_now
    v.show_snapshot(snaps[-1], None)
    assert v.comparison.step == snaps[-1].nudge_step_now


def test_a_snapshot_of_another_lesson_waits_instead_of_failing(view_for, qtbot):
    v, t, snap = view_for("smile", 1)
    _, mnist = trained("mnist", 5)
    v.show_snapshot(mnist[-1], None)  # the lesson switch is on its way
    assert "Waiting" in v.header.text()
    v.select_neuron(0, 3)  # an input pixel has no incoming weights: ignored
    v.select_neuron(3, 9)  # out of range for the smile net: back to the default
    v.show_snapshot(snap, None)
    assert (v.comparison.layer, v.comparison.neuron) == (1, 0)
    v.grab()


def test_cell_numbers_are_short():
    from nnviz.qt.explore.nudge_view import cell_text

    assert [cell_text(v) for v in (6.104e-06, -6.662e-05, 0.53, -1.2, 12.34, 0.0, 1234.0)] == \
        ["+6.1e-6", "-6.7e-5", "+0.53", "-1.20", "+12.3", "0", "+1.2e3"]
    assert all(len(cell_text(v)) <= 7 for v in np.geomspace(1e-9, 1e9, 50))


@pytest.mark.parametrize("width", [700, 330, 200])
def test_map_numbers_fit_their_cells_or_are_left_to_the_hover(qtbot, view_for, width):
    v, t, snap = view_for("smile", 3)
    v.resize(width, 800)
    qtbot.wait(50)
    for plot, numbers in zip(v.map_plots, v._value_items):
        cell = 1 / plot.vb.viewPixelSize()[0]  # a cell's width on screen, in pixels
        for item in numbers.items:
            if item.isVisible():  # no number wider than its cell: they never run into each other
                assert item.mapRectToScene(item.boundingRect()).width() <= cell
    if width == 700:
        assert v.values_shown()


def test_the_explore_plots_print_plain_numbers(qtbot):
    """No "iteration (x0.001)" or "loss after one step (x0.001)": pyqtgraph's SI prefixes are off."""
    from nnviz.qt.explore.health_view import HealthView
    from nnviz.qt.explore.lr_probe_view import LrProbeView
    from nnviz.qt.explore.neuron_input_view import NeuronInputView
    from nnviz.qt.views.plots import TrainingPlots

    t, snaps = trained("mnist", 2)
    health = HealthView()
    health.set_lesson(t.dataset)
    health.show_snapshot(snaps[-1], None)
    views = [LrProbeView(), NeuronInputView(), TrainingPlots()]
    plots = [health.norm_plot, *health.band_plots, *health.hist_plots, views[0].plot.getPlotItem(),
             views[1].trace_plot.getPlotItem(), views[2].loss_plot.getPlotItem(), views[2].acc_plot.getPlotItem()]
    for p in plots:
        for name in ("left", "bottom", "top"):
            axis = p.getAxis(name)
            assert axis.autoSIPrefix is False
            axis.setRange(0, 0.004)  # a range that used to read "(x0.001)"
            assert "x0.001" not in axis.labelString()


def test_a_conv_filters_kernel_is_compared_in_the_background_and_shown_as_its_k_by_k_picture(qtbot):
    from nnviz.model.analysis.nudge_vs_gradient import compare_unit
    from nnviz.qt.explore.nudge_view import CONV_SAMPLE

    t, snaps = trained("conv", 3)
    snap = snaps[-1]
    v = shown(qtbot, NudgeView(), 700, 800)
    v.set_lesson(t.dataset)
    v.show_snapshot(snap, None)
    assert v.picker.isVisible() and v.comparison is None and v.is_computing()  # never on the GUI thread
    qtbot.waitUntil(lambda: v.comparison is not None, timeout=20000)
    c = v.comparison
    X, Y = training_sample(t.dataset, CONV_SAMPLE)
    ref = compare_unit(snap.network(), X, Y, "cross_entropy", 1, 0, v.step_box.value(), snap.settings["learning_rate"])
    assert (c.layer, c.neuron, c.n_weights, c.n_params, c.kernel_shape) == (1, 0, 9, 10, (1, 3, 3))
    for name in ("loss_up", "loss_down", "nudge", "gradient"):
        np.testing.assert_allclose(getattr(c, name), getattr(ref, name), rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(v.map_images[0].image, ref.nudge[:9].reshape(3, 3))
    names = [texts[0] for _, texts in v.table_rows()]
    assert names == [f"kernel row {r}, col {q}" for r in range(3) for q in range(3)] + ["bias"]
    assert "filter 0 of conv layer 1" in v.header.text().lower() and "shared by every position" in v.header.text()
    assert v.describe(4).startswith("kernel row 1, col 1:")
    # another filter from the picker, then the dense output layer after the convs
    v.picker.unit_box.setValue(5)
    qtbot.waitUntil(lambda: v.comparison is not None and v.comparison.neuron == 5, timeout=20000)
    v.picker.layer_box.setCurrentIndex(1)
    qtbot.waitUntil(lambda: v.comparison is not None and v.comparison.layer == 4, timeout=20000)
    assert v.comparison.n_weights == 128 and v.comparison.kernel_shape is None


def test_a_conv_comparison_that_ends_after_a_lesson_switch_is_dropped(qtbot):
    t, snaps = trained("conv", 2)
    m, msnaps = trained("mnist", 2)
    v = shown(qtbot, NudgeView(), 700, 800)
    v.set_lesson(t.dataset)
    v.show_snapshot(snaps[-1], None)
    assert v.is_computing()
    v.set_lesson(m.dataset)  # before the conv comparison ends
    v.show_snapshot(msnaps[-1], None)
    assert v.comparison.n_weights == 784 and not v.picker.isVisible()
    qtbot.waitUntil(lambda: not v.is_computing(), timeout=20000)
    assert v.comparison.n_weights == 784 and v.comparison.kernel_shape is None  # the conv result never showed
    assert "Hidden layer 1, neuron 0" in v.header.text()


def test_a_net_with_batch_norm_and_average_pooling_compares_its_filters_not_its_norms(qtbot):
    """The picker offers the conv filters and dense neurons (batch norm's γ, β belong to no unit);
    a filter's comparison, computed through batch norm and average pooling, is the model's."""
    from nnviz.model.analysis.nudge_vs_gradient import compare_unit
    from nnviz.qt.explore.nudge_view import CONV_SAMPLE
    from tests.qt.views.test_conv_network_view import BN_SPEC

    t = get_lesson("conv").build(seed=0, spec=BN_SPEC)
    t.step()
    snap = t.snapshot(lesson="conv")
    v = shown(qtbot, NudgeView(), 700, 800)
    v.set_lesson(t.dataset)
    v.show_snapshot(snap, None)
    assert [L for L, _, _ in v.picker._choices] == [1, 4, 6]
    qtbot.waitUntil(lambda: v.comparison is not None, timeout=20000)
    X, Y = training_sample(t.dataset, CONV_SAMPLE)
    ref = compare_unit(snap.network(), X, Y, "cross_entropy", 1, 0, v.step_box.value(), snap.settings["learning_rate"])
    assert v.comparison.kernel_shape == (1, 3, 3)
    for name in ("loss_up", "loss_down", "nudge", "gradient"):
        np.testing.assert_allclose(getattr(v.comparison, name), getattr(ref, name), rtol=1e-6, atol=1e-9)
    v.picker.layer_box.setCurrentIndex(1)  # the gelu conv after the pooling
    qtbot.waitUntil(lambda: v.comparison is not None and v.comparison.layer == 4, timeout=20000)
    assert v.comparison.kernel_shape == (4, 3, 3) and "filter 0 of conv layer 4" in v.header.text().lower()
    img = v.map_images[0].image  # its 4 channels' 3×3 kernels in a 2 × 2 grid, see-through between them
    assert img.shape == (7, 7) and np.isnan(img[3]).all() and np.isnan(img[:, 3]).all()
    np.testing.assert_array_equal(img[4:, 4:], v.comparison.nudge[27:36].reshape(3, 3))


def test_the_next_snapshots_kernel_comparison_shows_its_own_numbers_in_the_same_number_items(qtbot):
    from nnviz.qt.explore.nudge_view import cell_text

    t, snaps = trained("conv", 3)
    v = shown(qtbot, NudgeView(), 700, 800)
    v.set_lesson(t.dataset)
    v.show_snapshot(snaps[-2], None)
    qtbot.waitUntil(lambda: v.comparison is not None, timeout=20000)
    items = [list(n.items) for n in v._value_items]
    v.show_snapshot(snaps[-1], None)
    # while it is computed nothing of the previous snapshot shows, numbers included
    assert v.comparison is None and all(not t.textItem.toPlainText() for row in items for t in row)
    qtbot.waitUntil(lambda: v.comparison is not None, timeout=20000)
    assert [list(n.items) for n in v._value_items] == items  # made once, given new numbers
    texts = [t.textItem.toPlainText() for t in v._value_items[0].items]
    assert texts == [cell_text(float(x)) for x in v.comparison.nudge[:9]]


def test_a_kernel_comparison_that_ends_while_the_tab_is_hidden_is_drawn_when_it_shows_again(qtbot):
    t, snaps = trained("conv", 3)
    v = shown(qtbot, NudgeView(), 700, 800)
    v.set_lesson(t.dataset)
    v.show_snapshot(snaps[-1], None)
    v.hide()  # the learner went to another tab
    qtbot.waitUntil(lambda: not v.is_computing(), timeout=20000)
    assert v.comparison is not None and v.map_images[0].image is None  # kept, not drawn hidden
    v.show()
    qtbot.waitExposed(v)
    v.show_snapshot(snaps[-1], None)  # the tabs draw the tab that came up
    np.testing.assert_array_equal(v.map_images[0].image, v.comparison.nudge[:9].reshape(3, 3))
    assert "filter 0 of conv layer 1" in v.header.text().lower()
