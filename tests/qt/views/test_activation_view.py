"""ActivationView on its own, fed real forward passes: what is drawn equals the network's
activations (or pre-activations), clicks select, and the "how it is made" numbers add up."""

import numpy as np
import pytest
from PySide6.QtCore import Qt

from nnviz.model.core.functions import FORMULAS
from nnviz.qt.views.activation_view import ActivationView

from tests.qt.conftest import shown
from tests.qt.views.test_weight_panel import trained


@pytest.fixture
def view_for(qtbot):
    def make(lesson, example=0):
        t, snaps = trained(lesson)
        snap, ds = snaps[-1], t.dataset
        view = ActivationView()
        qtbot.addWidget(view)
        view.set_layout(snap.sizes, ds.image_shape, ds.class_names, ds.task)
        view.resize(820, 460)
        view.show()
        qtbot.waitExposed(view)
        x = ds.x_test[example][None, :]
        zs, acts = snap.network().forward_full(x)
        view.show_activations(zs, acts, snap)
        qtbot.wait(10)
        return view, snap, x

    return make


@pytest.mark.parametrize("lesson", ["mnist", "digits", "smile"])
def test_displayed_activations_equal_the_forward_pass(view_for, lesson):
    view, snap, x = view_for(lesson)
    acts = snap.network().forward(x)
    shown = view.displayed_activations()
    assert len(shown) == len(acts) == len(snap.sizes)
    for s, a in zip(shown, acts):
        assert s.ndim == 1
        np.testing.assert_allclose(s, a[0], rtol=1e-6, atol=1e-7)
    # each neuron's disc in the layer image carries its value
    for layer in range(1, len(snap.sizes) - 1):
        cx, cy, w, h = view.cell_rect(layer, 3)
        assert view.images[layer].image[int(cy + h // 2), int(cx + w // 2)] == pytest.approx(shown[layer][3])


def test_preactivation_toggle_shows_z_and_keeps_the_input(view_for):
    view, snap, x = view_for("mnist", 2)
    zs, acts = snap.network().forward_full(x)
    view.pre_box.setChecked(True)
    shown = view.displayed_activations()
    np.testing.assert_array_equal(shown[0], acts[0][0])
    for s, z in zip(shown[1:], zs):
        np.testing.assert_allclose(s, z[0], rtol=1e-6)
    assert (shown[1] < 0).any()  # z is signed, so it is drawn with the diverging palette
    view.set_show_preactivations(False)
    np.testing.assert_allclose(view.displayed_activations()[1], acts[1][0], rtol=1e-6)


def test_output_bars_highlight_the_answer(view_for):
    view, snap, x = view_for("digits", 1)
    out = snap.network().forward(x)[-1][0]
    np.testing.assert_allclose(view.out_bars.opts["height"], out, rtol=1e-6)
    brushes = view.out_bars.opts["brushes"]
    answer = int(np.argmax(out))
    assert brushes[answer].color().green() > brushes[answer].color().red()
    assert len({b.color().name() for i, b in enumerate(brushes) if i != answer}) == 1
    assert f"answer: {answer}" in view.out_plot.titleLabel.text


def test_smile_output_says_smile_or_not(view_for):
    view, snap, x = view_for("smile")
    v = float(snap.network().forward(x)[-1][0, 0])
    assert ("→ smile" if v > 0 else "→ not a smile") in view.out_plot.titleLabel.text
    assert view.selected_neuron() == (1, 0)  # one neuron: its breakdown is shown from the start
    assert "no bias" in view.neuron_panel.formula.text()


@pytest.mark.parametrize("layer,neuron", [(1, 5), (2, 11), (3, 7)])
def test_clicking_a_neuron_selects_and_highlights_it(view_for, qtbot, layer, neuron):
    view, snap, _ = view_for("mnist")
    point = view.view_point(layer, neuron)
    with qtbot.waitSignal(view.neuronSelected) as sig:
        qtbot.mouseClick(view.view.viewport(), Qt.LeftButton, pos=point)
    assert sig.args == [layer, neuron] and view.selected_neuron() == (layer, neuron)
    if layer < len(snap.sizes) - 1:
        assert view.boxes[layer].isVisible()
        assert view.boxes[layer].rect().contains(view.plots[layer].vb.mapSceneToView(
            view.view.mapToScene(point)))
    else:
        assert view.out_bars.opts["pens"][neuron].widthF() > 1


def test_hover_reads_the_value(view_for, qtbot):
    view, _, _ = view_for("mnist")
    qtbot.mouseMove(view.view.viewport(), view.view_point(2, 6))
    qtbot.waitUntil(lambda: "layer 2, neuron 6" in view.info.text(), timeout=2000)
    assert f"{view.displayed_activations()[2][6]:.4f}" in view.info.text()


@pytest.mark.parametrize("lesson,layer,neuron", [("mnist", 1, 4), ("mnist", 2, 0), ("digits", 1, 17),
                                                 ("digits", 3, 2)])
def test_how_a_neuron_is_made_adds_up(view_for, lesson, layer, neuron):
    view, snap, x = view_for(lesson, 3)
    view.select_neuron(layer, neuron)
    d = view.neuron_breakdown(layer, neuron)
    _, acts = snap.network().forward_full(x)
    np.testing.assert_allclose(d["products"], np.asarray(snap.weights[layer - 1][neuron]) * acts[layer - 1][0],
                               rtol=1e-5, atol=1e-7)
    assert d["sum"] + d["bias"] == pytest.approx(d["z"], abs=1e-4)
    assert d["activation"] == pytest.approx(float(acts[layer][0][neuron]), abs=1e-6)
    if d["function"] == "sigmoid":
        assert d["activation"] == pytest.approx(1 / (1 + np.exp(-d["z"])), abs=1e-5)
    elif d["function"] == "relu":
        assert d["activation"] == pytest.approx(max(0.0, d["z"]), abs=1e-6)
    text = view.neuron_panel.formula.text()
    assert f"{d['sum']:+.3f} + ({d['bias']:+.3f}) = {d['z']:+.3f}" in text
    assert FORMULAS[d["function"]] in text
    # the product picture: input-shaped for layer 1, one strip over the previous layer otherwise
    img = view.neuron_panel.detail_img.image
    if layer == 1:
        np.testing.assert_allclose(img, d["products"].reshape(view.image_shape), rtol=1e-5)
    else:
        np.testing.assert_allclose(img[0], d["products"], rtol=1e-5, atol=1e-7)


def _with_unit_killed(lesson, hidden, unit, bias):
    """The lesson's trained snapshot, switched to ``hidden`` units, with unit ``unit`` of layer 1
    given a bias so large (±) that no input moves it: dead for ReLU, saturated for sigmoid."""
    from dataclasses import replace

    from nnviz.model.core.network import Network

    t, snaps = trained(lesson)
    snap = snaps[-1]
    biases = [np.array(b, copy=True) for b in snap.biases]
    biases[0][unit] = bias
    snap = replace(snap, hidden=hidden, biases=tuple(biases))
    net = Network.from_parameters(snap.weights, snap.biases, hidden, snap.output, snap.bias)
    return t.dataset, snap, net


def _rim_colours(view, layer, unit):
    """RGBA values the health overlay paints on ``unit``'s rim pixels (a set of tuples)."""
    from nnviz.qt.graphics.tiles import cell_outline

    m = view.maps[layer]
    rim = cell_outline(m) & (m == unit)
    return {tuple(int(c) for c in px) for px in view.health_items[layer].image[rim]}


def test_a_dead_relu_unit_is_flagged_with_rim_title_legend_and_hover(qtbot):
    from nnviz.model.core.health import network_health
    from nnviz.qt.views.activation_view import DEAD_RGBA

    ds, snap, net = _with_unit_killed("digits", "relu", unit=5, bias=-1e3)
    view = ActivationView()
    qtbot.addWidget(view)
    view.set_layout(snap.sizes, ds.image_shape, ds.class_names, ds.task)
    view.resize(820, 460)
    view.show()
    qtbot.waitExposed(view)
    zs, acts = net.forward_full(ds.x_test[:1])
    view.show_activations(zs, acts, snap)
    health = network_health(net, ds.x_train[:256])
    assert health[0].dead[5]
    view.set_health(health)

    assert view.health_items[1].isVisible()
    assert _rim_colours(view, 1, 5) == {DEAD_RGBA}
    for k in np.flatnonzero(~health[0].dead):  # units that fire keep no coloured rim
        assert _rim_colours(view, 1, int(k)) == {(0, 0, 0, 0)}
    assert f"{health[0].n_dead} dead" in view.plots[1].titleLabel.text
    assert view.health_legend.isVisible() and "dead" in view.health_legend.text()
    text = view.hover_text(1, 5)
    assert "dead: never fires on the 256 sampled training images" in text

    view.set_health(None)  # cleared: no rims, no legend, plain title
    assert not view.health_items[1].isVisible() and not view.health_legend.isVisible()
    assert "dead" not in view.plots[1].titleLabel.text and "dead" not in view.hover_text(1, 5)


def test_a_saturated_sigmoid_unit_gets_the_other_colour(qtbot):
    from nnviz.model.core.health import network_health
    from nnviz.qt.views.activation_view import SATURATED_RGBA

    ds, snap, net = _with_unit_killed("digits", "sigmoid", unit=2, bias=1e3)
    view = ActivationView()
    qtbot.addWidget(view)
    view.set_layout(snap.sizes, ds.image_shape, ds.class_names, ds.task)
    zs, acts = net.forward_full(ds.x_test[:1])
    view.show_activations(zs, acts, snap)
    health = network_health(net, ds.x_train[:256])
    view.set_health(health)
    assert health[0].saturated[2] and not health[0].dead.any()
    assert _rim_colours(view, 1, 2) == {SATURATED_RGBA}
    assert "saturated" in view.health_legend.text() and "dead" not in view.health_legend.text()
    assert "saturated on 100% of the 256 sampled training images" in view.hover_text(1, 2)


def test_every_output_bar_has_its_percentage_inside_the_answer_plot(view_for):
    from nnviz.qt.graphics.cell_items import percent

    view, snap, x = view_for("mnist")
    zs, acts = snap.network().forward_full(x)
    p = np.array([[0.9, 0.034, 0.004, 0.0, 0.012, 0.02, 0.01, 0.01, 0.005, 0.005]], np.float32)
    view.show_activations(zs, acts[:-1] + [p], snap)  # small second guesses: the case a learner missed
    p = p[0]
    assert view.out_labels.texts() == [percent(float(v)) for v in p]
    box = view.out_plot.vb.sceneBoundingRect()
    for t in view.out_labels.items:
        assert t.isVisible() and box.contains(t.sceneBoundingRect())
    view.set_show_preactivations(True)  # z is no probability: no percentages
    assert not any(t.isVisible() for t in view.out_labels.items)


def test_percent_labels():
    from nnviz.qt.graphics.cell_items import percent

    assert [percent(v) for v in (0.97, 0.034, 0.004, 0.0)] == ["97%", "3%", "<1%", "0%"]


def test_a_long_layer_title_keeps_the_answer_inside_the_view(view_for):
    from nnviz.model.core.health import LayerHealth

    view, snap, x = view_for("digits")
    view.resize(560, 300)
    view.set_health([LayerHealth(np.zeros(n, bool), np.ones(n, bool), np.ones(n), 256) for n in snap.sizes[1:-1]])
    from PySide6.QtWidgets import QApplication
    for _ in range(5):
        QApplication.processEvents()
    visible = view.view.mapToScene(view.view.viewport().rect()).boundingRect().adjusted(-1, -1, 1, 1)
    for item in (view.out_plot.vb, view.out_plot.titleLabel, *view.plots):
        assert visible.contains(item.sceneBoundingRect())


def test_another_activation_on_the_same_layers_keeps_the_items_but_shows_nothing_of_the_one_before(qtbot):
    """A rebuild from ReLU to tanh with the same layers (or a model file that differs only in
    that) reuses the plots; what they show is the new network's alone, as a fresh view's."""
    from dataclasses import replace

    from nnviz.model.core.health import network_health
    from nnviz.qt.graphics.view_protocol import Frame
    from nnviz.qt.views.activation_view import HOVER_HINT

    ds, relu, relu_net = _with_unit_killed("digits", "relu", unit=5, bias=-1e3)
    _, tanh, tanh_net = _with_unit_killed("digits", "tanh", unit=5, bias=0.0)
    relu, tanh = (replace(s, spec=None) for s in (relu, tanh))  # the network from its sizes and activation
    view = ActivationView()
    qtbot.addWidget(view)
    view.resize(820, 460)
    view.show()
    qtbot.waitExposed(view)
    x = ds.x_test[0]
    view.show_snapshot(relu, Frame(relu, dataset=ds, painted=x))
    view.set_health(network_health(relu_net, ds.x_train[:256]))
    view.select_neuron(1, 5)
    view._on_hover(view.view.mapToScene(view.view_point(1, 5)))
    plots = list(view.plots)
    assert "dead" in view.plots[1].titleLabel.text and view.health_legend.isVisible()

    view.show_snapshot(tanh, Frame(tanh, dataset=ds, painted=x))

    assert view.plots == plots  # the same items
    assert view.selected_neuron() is None and not any(b.isVisible() for b in view.boxes)
    assert view.info.text() == HOVER_HINT
    assert view.plots[1].titleLabel.text == f"layer 1: {tanh.sizes[1]} neurons"
    assert not view.health_legend.isVisible() and not any(h.isVisible() for h in view.health_items)
    assert view.neuron_panel.formula.text() == "Click a neuron to see how its activation is made."
    _, acts = tanh_net.forward_full(x[None, :])
    for got, want in zip(view.displayed_activations(), acts):
        np.testing.assert_allclose(got, want[0], rtol=1e-5, atol=1e-6)
    # tanh is drawn signed, around 0, with levels fitted to this network's activations alone
    assert view.images[1].levels[0] == pytest.approx(-view.images[1].levels[1])


def test_another_lesson_reuses_the_picture_columns_and_lays_out_as_a_fresh_view(qtbot):
    """mnist (3 picture columns) → smile (1) → digits (3): the columns' plots are kept (making them
    again held a lesson switch); what is drawn equals the forward pass, and every column, the
    answer's too, is as wide as in a view opened on that lesson."""
    def show(view, lesson):
        t, snaps = trained(lesson)
        snap, ds = snaps[-1], t.dataset
        view.set_layout(snap.sizes, ds.image_shape, ds.class_names, ds.task)
        zs, acts = snap.network().forward_full(ds.x_test[:1])
        view.show_activations(zs, acts, snap)
        return snap, acts

    view, fresh = (shown(qtbot, ActivationView(), 820, 460) for _ in range(2))
    show(view, "mnist")
    columns = list(view.plots)
    for lesson in ("smile", "digits"):
        snap, acts = show(view, lesson)
        show(fresh, lesson) if lesson == "digits" else None
        qtbot.wait(30)
        assert view.plots == columns[:len(snap.sizes) - 1]
        for s, a in zip(view.displayed_activations(), acts):
            np.testing.assert_allclose(s, a[0], rtol=1e-6, atol=1e-7)
        if lesson == "smile":  # the answer's column is not held to mnist's layer-1 width
            assert view.out_plot.width() > 2 * view.plots[0].width()
    for a, b in zip(view.plots + [view.out_plot], fresh.plots + [fresh.out_plot]):
        assert abs(a.width() - b.width()) <= 2 and a.titleLabel.text == b.titleLabel.text
