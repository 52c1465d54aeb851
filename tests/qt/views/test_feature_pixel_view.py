"""FeaturePixelView: the patch, the kernel and their products drawn with their numbers,
the sum / bias / activation text equal to the forward pass, and the patch outline."""

import numpy as np
import pyqtgraph as pg
import pytest

from nnviz.model.analysis.feature_pixel import feature_pixel
from nnviz.model.core.networks import build_network
from nnviz.qt.views.feature_pixel import FeaturePixelView, cell_text, outline_patch
from tests.qt.conftest import shown

SPEC = {"input_shape": [1, 8, 8], "layers": [
    {"type": "conv", "filters": 8, "kernel": 3, "padding": 1, "activation": "relu"}, {"type": "maxpool", "size": 2},
    {"type": "conv", "filters": 4, "kernel": 3, "activation": "relu"},
    {"type": "flatten"}, {"type": "dense", "units": 10}], "output": "softmax", "bias": True}


@pytest.fixture
def setup(qtbot):
    net = build_network(SPEC, seed=3, dtype=np.float64)
    net.biases = [np.random.default_rng(9).normal(size=b.shape) for b in net.biases]
    x = np.random.default_rng(4).random(64)
    view = shown(qtbot, FeaturePixelView(), 350, 300)
    return view, net, x


def test_sum_bias_and_activation_text_match_forward_full(setup):
    view, net, x = setup
    zs, acts = net.forward_full(x[None])
    d = feature_pixel(net, x, 1, 3, 2, 5)
    view.show_pixel(d)
    text = view.formula.text()
    z = zs[0][0, 3, 2, 5]
    assert f"Σ (patch × kernel) = {z - net.biases[0][3]:+.4f}" in text
    assert f"+ b = {d.sum:+.4f} + ({net.biases[0][3]:+.4f}) = {z:+.4f}" in text
    assert f"ReLU → {acts[1][0, 3, 2, 5]:.4f}" in text
    assert "layer 1, filter 3, pixel (row 2, column 5)" in text


def test_heatmaps_hold_patch_kernel_products_with_their_numbers(setup):
    view, net, x = setup
    d = feature_pixel(net, x, 1, 6, 0, 7)  # top-right corner: hangs over the padding
    view.show_pixel(d)
    patch, kernel, products = (img.image for img in view.images[0])
    np.testing.assert_array_equal(np.isnan(patch), ~d.inside)  # padding drawn as a gap
    np.testing.assert_allclose(patch[d.inside], d.patch[0][d.inside], rtol=1e-6)
    np.testing.assert_allclose(kernel, net.weights[0][6, 0], rtol=1e-6)
    np.testing.assert_allclose(products, d.products[0], rtol=1e-6)
    lo, hi = view.images[0][1].levels
    assert lo == -hi and hi == pytest.approx(np.abs(d.kernel).max())  # 0 is the neutral colour
    texts = [t.textItem.toPlainText() for t in view.numbers[0][1].items]
    assert texts == [f"{v:.2f}" if v else "0" for v in net.weights[0][6, 0].ravel()]
    assert [t.textItem.toPlainText() for t in view.numbers[0][0].items][0] == "0"  # a padding cell: 0
    assert all(n.shown() for n in view.numbers[0])  # 3×3 numbers are readable in a 350-pixel dock


def test_several_input_channels_one_row_each(setup, qtbot):
    view, net, x = setup
    zs, acts = net.forward_full(x[None])
    d = feature_pixel(net, x, 3, 1, 1, 0, activations=acts)
    view.show_pixel(d)
    assert d.rect == (1, 0, 3, 3)  # on layer 2's maps: rows 1–3, columns 0–2
    assert len(view.images) == 8 and len(view.plots[7]) == 3
    for c in range(8):
        np.testing.assert_allclose(view.images[c][0].image, acts[2][0, c, 1:4, 0:3], rtol=1e-6)
    assert f"= {zs[2][0, 1, 1, 0]:+.4f}" in view.formula.text() and "per channel" in view.formula.text()
    assert view.minimumSizeHint().height() <= 300  # eight rows scroll, the dock stays small


def test_outline_patch_sits_on_the_image_in_its_pixels(qtbot):
    img = pg.ImageItem(np.zeros((8, 8), np.float32))
    item = outline_patch(img, (0, 5, 2, 3))
    assert item.parentItem() is img and item.rect().getRect() == (5, 0, 3, 2) and item.isVisible()
    assert outline_patch(img, (1, 1, 3, 3), item) is item and item.rect().getRect() == (1, 1, 3, 3)
    outline_patch(img, None, item)
    assert not item.isVisible()


def test_cell_text_keeps_five_by_five_numbers_short():
    assert [cell_text(v, True) for v in (0.0, 0.123, -0.3, 1.26, -12.4)] == ["0", ".12", "-.30", "1.3", "-12"]
    assert cell_text(-0.456, False) == "-0.46"
