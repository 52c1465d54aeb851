"""The conv centre view: a deep pixel's whole receptive field outlined on the input, and dead /
saturated channels rimmed on their feature maps with the dense view's legend."""


from nnviz.model.analysis.feature_pixel import field_rect, receptive_field
from nnviz.model.core.health import network_health
from nnviz.model.lessons import get_lesson
from nnviz.qt.graphics.view_protocol import Frame
from nnviz.qt.views.conv_network import ConvNetworkView
from tests.qt.conftest import shown


def _mnist_conv():
    t = get_lesson("mnist-conv").build(seed=0)
    t.step()
    return t, t.snapshot(lesson="mnist-conv")


def test_a_deep_pixels_receptive_field_is_outlined_on_the_input(qtbot):
    t, snap = _mnist_conv()
    v = shown(qtbot, ConvNetworkView(), 900, 500)
    v.set_lesson(t.dataset)
    v.show_snapshot(snap, Frame(snap, dataset=t.dataset, painted=t.dataset.x_test[0]))
    assert not v.field_outline.isVisible()  # layer 1: the patch outline is the whole field
    v.select_pixel(3, 2, 4, 5)  # conv 2: a 5×5 window on 12×12 pooled maps of 5×5 windows on 28×28
    rows, cols = receptive_field(v.layers, 3, 4, 5)
    assert field_rect(rows, cols) == (8, 10, 14, 14)
    rect = v.field_outline.rect()
    assert v.field_outline.isVisible() and (rect.y(), rect.x(), rect.height(), rect.width()) == (8, 10, 14, 14)
    v.select_pixel(4, 0, 1, 1)  # after the second pooling: conv-2 rows 2–3, so input rows 4–19
    rect = v.field_outline.rect()
    assert (rect.y(), rect.x(), rect.height(), rect.width()) == (4, 4, 16, 16)


def test_dead_channels_are_rimmed_on_their_maps_with_the_legend(qtbot):
    t, snap = _mnist_conv()
    net = snap.network().copy()  # the snapshot's own arrays are read-only
    net.biases[0][3] = -50.0  # filter 3 of layer 1 never fires: dead, and its pooled map too
    x = t.dataset.x_train[:50]
    v = shown(qtbot, ConvNetworkView(), 900, 500)
    v.set_lesson(t.dataset)
    frame = Frame(snap, dataset=t.dataset, painted=t.dataset.x_test[0])
    frame.health = network_health(net, x)
    v.show_snapshot(snap, frame)
    assert v.feature_maps.flagged[1]["dead"] == [3] and v.feature_maps.flagged[2]["dead"] == [3]
    assert "dead" in v.health_legend.text() and not v.health_legend.isHidden()
    frame = Frame(snap, dataset=t.dataset, painted=t.dataset.x_test[0])
    net.biases[0][3] = 0.1
    frame.health = network_health(net, x)
    v.show_snapshot(snap, frame)
    assert 3 not in v.feature_maps.flagged.get(1, {"dead": []})["dead"]


BN_SPEC = {"input_shape": [1, 8, 8], "input_transform": {"mean": [0.1307], "std": [0.3081]}, "layers": [
    {"type": "conv", "filters": 4, "kernel": 3, "padding": 1, "activation": "linear"},
    {"type": "batchnorm", "mean": [0.1, -0.2, 0.3, 0.0], "var": [0.5, 1.5, 2.0, 1.0], "activation": "relu"},
    {"type": "avgpool", "size": 2}, {"type": "conv", "filters": 3, "kernel": 3, "activation": "gelu"},
    {"type": "flatten"}, {"type": "dense", "units": 10}]}


def _batchnorm_net():
    t = get_lesson("conv").build(seed=0, spec=BN_SPEC)
    for _ in range(3):
        t.step()
    return t, t.snapshot(lesson="conv")


def test_batch_norm_and_average_pooling_maps_are_drawn_read_and_see_their_field(qtbot):
    """Every layer with maps gets its mosaic; a batch-norm pixel and an average-pool pixel each say
    how they are made with the model's numbers, and a deep pixel's field goes through both."""
    import numpy as np

    t, snap = _batchnorm_net()
    net = snap.network()
    x = t.dataset.x_test[0]
    v = shown(qtbot, ConvNetworkView(), 900, 500)
    v.set_lesson(t.dataset)
    v.show_snapshot(snap, Frame(snap, dataset=t.dataset, painted=x))
    assert sorted(v.feature_maps.plots) == [1, 2, 3, 4]
    titles = [v.feature_maps.plots[L].plot.titleLabel.text for L in (2, 3)]
    assert "batch norm, relu" in titles[0] and "avg-pool 2×2" in titles[1]
    acts = net.forward(x[None])
    assert v.select_pixel(2, 1, 3, 4)
    lay, gamma, beta = net.layers[1], float(net.weights[1][1]), float(net.biases[1][1])
    z = gamma * (acts[1][0, 1, 3, 4] - lay.mean[1]) / np.sqrt(lay.var[1] + lay.eps) + beta
    text = v.pixel_view.formula.text()
    assert "batch-norm pixel" in text and f"{z:.4f}" in text and f"relu: {acts[2][0, 1, 3, 4]:.4f}" in text
    assert v._patch == (1, (3, 4, 1, 1), 1)  # the one pixel it reads, on conv map 1
    assert v.select_pixel(3, 2, 1, 2)
    window = acts[2][0, 2, 2:4, 4:6]
    assert f"mean({', '.join(f'{a:.3f}' for a in window.ravel())}) = {acts[3][0, 2, 1, 2]:.4f}" \
        in v.pixel_view.formula.text()
    assert v.select_pixel(4, 0, 1, 1)  # conv 2 reads pooled rows 1–3: batch-norm rows 2–7, input rows 1–7
    rect = v.field_outline.rect()
    assert field_rect(*receptive_field(v.layers, 4, 1, 1)) == (1, 1, 7, 7)
    assert v.field_outline.isVisible() and (rect.y(), rect.x(), rect.height(), rect.width()) == (1, 1, 7, 7)


def test_the_maps_hint_and_hover_lines_fit_their_label_in_a_narrow_column(qtbot):
    """Nothing cut off at the ~150–170 px the maps' column gets on 1280×720 and 1366×768 screens;
    the label's height is fixed per width, so hovering never moves the maps."""
    from PySide6.QtCore import QRect, Qt

    from nnviz.qt.views.conv_network import HINT
    from nnviz.qt.views.feature_maps import LONGEST_HOVER

    v = shown(qtbot, ConvNetworkView(), 900, 500)
    info = v.feature_maps.info
    assert info.text() == HINT
    for width in (140, 168, 300):
        v.feature_maps.resize(width + 4, 400)
        qtbot.waitUntil(lambda w=width: info.width() == w, timeout=2000)
        for text in (HINT, LONGEST_HOVER):
            needed = info.fontMetrics().boundingRect(QRect(0, 0, width, 10_000), Qt.TextWordWrap, text).height()
            assert needed <= info.height(), (width, text)


DENSE_BN_SPEC = {"input_shape": [1, 8, 8], "layers": [
    {"type": "dense", "units": 12, "activation": "linear"},
    {"type": "batchnorm", "mean": [0.1] * 12, "var": [2.0] * 12, "activation": "relu"},
    {"type": "dense", "units": 10}]}


def test_a_dense_model_with_batch_norm_shows_every_layer_and_its_first_weights_as_pictures(qtbot):
    """Batch norm makes a dense model a layer stack, drawn by the conv views: each hidden layer is a
    strip of its units (the forward pass's values), and layer 1's weights are 8×8 pictures."""
    import numpy as np

    from nnviz.qt.views.conv_network import UNITS_NOTE
    from nnviz.qt.views.kernel_grid import KernelGrid

    t = get_lesson("digits").build(seed=0, spec=DENSE_BN_SPEC)
    t.step()
    snap = t.snapshot(lesson="digits")
    assert not snap.is_mlp
    x = t.dataset.x_test[0]
    v = shown(qtbot, ConvNetworkView(), 900, 500)
    v.set_lesson(t.dataset)
    v.show_snapshot(snap, Frame(snap, dataset=t.dataset, painted=x))
    acts = snap.network().forward(x[None])
    strips = v.feature_maps.displayed_strips()
    assert sorted(strips) == [1, 2] and not v.feature_maps.plots
    for L in (1, 2):
        np.testing.assert_allclose(strips[L], acts[L][0], rtol=1e-5, atol=1e-6)
    assert "unit 5" in v.feature_maps.hover_text_at(2, 0, 0, 5)
    assert v.pixel_view.formula.text() == UNITS_NOTE  # not "click a pixel of a layer-1 map"
    grid = shown(qtbot, KernelGrid(), 400, 600)
    grid.set_layout(snap.spec)
    grid.show_weights(snap.weights)
    assert list(grid.plots) == [1] and "8 wide × 8 tall" in grid.plots[1].plot.titleLabel.text
    np.testing.assert_allclose(grid._shown[1].reshape(12, 64), snap.weights[0], rtol=0, atol=0)
