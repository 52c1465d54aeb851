"""ActivationView on its own, fed real forward passes: what is drawn equals the network's
activations (or pre-activations), clicks select, and the "how it is made" numbers add up."""

import numpy as np
import pytest
from PySide6.QtCore import Qt

from nnviz.model.functions import FORMULAS
from nnviz.qt.activation_view import ActivationView

from .test_weight_panel import trained


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
    assert "no bias" in view.formula.text()


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
    text = view.formula.text()
    assert f"{d['sum']:+.3f} + ({d['bias']:+.3f}) = {d['z']:+.3f}" in text
    assert FORMULAS[d["function"]] in text
    # the product picture: input-shaped for layer 1, one strip over the previous layer otherwise
    img = view.detail_img.image
    if layer == 1:
        np.testing.assert_allclose(img, d["products"].reshape(view.image_shape), rtol=1e-5)
    else:
        np.testing.assert_allclose(img[0], d["products"], rtol=1e-5, atol=1e-7)
