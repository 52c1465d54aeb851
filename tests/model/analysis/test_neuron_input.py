"""What a neuron wants: input gradients against finite differences, gradient ascent that climbs."""

import numpy as np
import pytest

from nnviz.model.lessons import get_lesson
from nnviz.model.core.network import Network
from nnviz.model.analysis.neuron_input import activation, maximize, neuron_gradient, saliency, top_output


def reference(net, x, layer, neuron, pre=False):
    """The neuron's value straight from the network's own forward pass (float64 network)."""
    zs, acts = net.forward_full(np.asarray(x, dtype=np.float64)[None])
    return (zs[layer - 1] if pre else acts[layer])[0, neuron]


def finite_differences(net, x, layer, neuron, pre=False, eps=1e-6):
    num = np.zeros(len(x))
    for j in range(len(x)):
        xp, xm = x.copy(), x.copy()
        xp[j] += eps
        xm[j] -= eps
        num[j] = (reference(net, xp, layer, neuron, pre) - reference(net, xm, layer, neuron, pre)) / (2 * eps)
    return num


def small_net(hidden, output, seed=3):
    net = Network([7, 6, 5, 4], hidden=hidden, output=output, seed=seed, dtype=np.float64)
    rng = np.random.default_rng(seed)
    for b in net.biases:
        b += rng.normal(0, 0.3, b.shape)
    return net


@pytest.mark.parametrize("hidden", ["sigmoid", "relu", "tanh", "linear"])
@pytest.mark.parametrize("output", ["softmax", "linear", "sigmoid"])
@pytest.mark.parametrize("pre", [False, True])
def test_gradient_equals_finite_differences(hidden, output, pre):
    net = small_net(hidden, output)
    rng = np.random.default_rng(1)
    for _ in range(3):
        x = rng.random(7)
        for layer in (1, 2, 3):
            for neuron in range(net.sizes[layer]):
                value, g = neuron_gradient(net, x, layer, neuron, pre=pre)
                assert value == pytest.approx(reference(net, x, layer, neuron, pre), rel=1e-12, abs=1e-12)
                np.testing.assert_allclose(g, finite_differences(net, x, layer, neuron, pre), rtol=1e-5, atol=1e-8)


def test_gradient_of_a_float32_lesson_network():
    t = get_lesson("mnist").build(seed=0)
    for _ in range(30):
        t.step()
    x = t.dataset.x_test[0].astype(np.float64)
    net64 = Network.from_parameters([w.astype(np.float64) for w in t.network.weights],
                                    [b.astype(np.float64) for b in t.network.biases], "sigmoid", "softmax")
    idx = np.argsort(-np.abs(neuron_gradient(t.network, x, 1, 4)[1]))[:20]  # the pixels that matter most
    for layer, neuron in ((1, 4), (2, 9), (3, 7)):
        _, g = neuron_gradient(t.network, x, layer, neuron)
        num = finite_differences(net64, x, layer, neuron)
        np.testing.assert_allclose(g[idx], num[idx], rtol=1e-5, atol=1e-9)


def test_smile_saliency_is_the_weights():
    """One linear output, no bias: d output / d pixel is that pixel's weight, wherever you start."""
    t = get_lesson("smile").build(seed=0)
    for _ in range(6):
        t.step()
    for x in t.dataset.x_test:
        target, s = saliency(t.network, x)
        assert target == 0
        np.testing.assert_allclose(s, t.network.weights[0][0], rtol=1e-6)


def test_saliency_is_the_top_scores_gradient_and_brightening_along_it_raises_that_score():
    t = get_lesson("digits").build(seed=0)
    for _ in range(200):
        t.step()
    net64 = Network.from_parameters([w.astype(np.float64) for w in t.network.weights],
                                    [b.astype(np.float64) for b in t.network.biases], "relu", "softmax")
    for x in t.dataset.x_test[:5]:
        target, s = saliency(t.network, x)
        assert target == int(t.network.predict(x[None])[0].argmax()) == top_output(t.network, x)
        np.testing.assert_allclose(s, finite_differences(net64, x.astype(np.float64), 3, target, pre=True),
                                   rtol=1e-5, atol=1e-7)
        score = lambda v, target=target: reference(net64, v, 3, target, pre=True)
        assert score(x + 1e-3 * np.sign(s)) > score(x) > score(x - 1e-3 * np.sign(s))
    other, s2 = saliency(t.network, t.dataset.x_test[0], target=3)
    assert other == 3 and not np.allclose(s2, saliency(t.network, t.dataset.x_test[0])[1])


@pytest.mark.parametrize("lesson, layer, neuron, blank", [
    ("mnist", 1, 3, True), ("mnist", 2, 5, False), ("mnist", 3, 7, True), ("mnist", 3, 2, False),
    ("digits", 1, 3, True), ("digits", 2, 5, True), ("digits", 3, 7, False), ("smile", 1, 0, True),
])
def test_maximizing_raises_the_activation(lesson, layer, neuron, blank):
    t = get_lesson(lesson).build(seed=0)
    for _ in range(12 if lesson == "smile" else 150):
        t.step()
    n = t.network.sizes[0]
    start = np.zeros(n, np.float32) if blank else t.dataset.x_test[1]
    x, trace = maximize(t.network, layer, neuron, start, steps=60, step_size=0.05)
    assert x.dtype == np.float32 and x.shape == (n,) and x.min() >= 0 and x.max() <= 1
    assert np.all(np.diff(trace) >= 0)  # never goes down
    assert trace[0] == pytest.approx(activation(t.network, start, layer, neuron), abs=1e-12)
    assert trace[-1] == activation(t.network, x, layer, neuron)  # the trace ends at the returned input
    assert trace[-1] > trace[0]


def test_an_off_relu_neuron_is_switched_on_from_blank():
    net = Network([4, 3, 2], hidden="relu", output="softmax", seed=0, dtype=np.float64)
    net.weights[0][0] = [1.0, -1.0, 2.0, 0.5]
    net.biases[0][0] = -1.5  # off on a blank grid: z = -1.5, activation 0, gradient 0
    assert neuron_gradient(net, np.zeros(4), 1, 0)[1].tolist() == [0.0] * 4
    x, trace = maximize(net, 1, 0, np.zeros(4), steps=200, step_size=0.1)
    assert trace[0] == 0 and trace[-1] == pytest.approx(2.0)  # 1 + 2 + 0.5 - 1.5 with x = (1, 0, 1, 1)
    np.testing.assert_allclose(x, [1, 0, 1, 1])


def test_a_bad_layer_or_neuron_is_refused():
    net = small_net("relu", "softmax")
    with pytest.raises(ValueError):
        neuron_gradient(net, np.zeros(7), 0, 0)
    with pytest.raises(ValueError):
        maximize(net, 2, 5, np.zeros(7))


def _conv_net():
    from nnviz.model.core.networks import build_network

    net = build_network({"input_shape": [1, 8, 8], "layers": [
        {"type": "conv", "filters": 3, "kernel": 3, "padding": 1, "activation": "tanh"},
        {"type": "maxpool", "size": 2}, {"type": "conv", "filters": 2, "kernel": 3, "activation": "relu"},
        {"type": "flatten"}, {"type": "dense", "units": 4}]}, seed=4, dtype=np.float64)
    for b in net.biases:
        b += 0.2
    return net


def _batchnorm_net():
    """Conv (linear) → batch norm (ReLU) → average pool → conv (leaky ReLU 0.2) → flatten → batch
    norm (ELU) → dense, on a normalised input: every layer kind main added."""
    from nnviz.model.core.networks import build_network

    net = build_network({"input_shape": [1, 8, 8], "input_transform": {"mean": [0.1307], "std": [0.3081]},
                         "layers": [
        {"type": "conv", "filters": 3, "kernel": 3, "padding": 1, "activation": "linear"},
        {"type": "batchnorm", "mean": [0.1, -0.3, 0.2], "var": [0.6, 1.4, 2.5], "activation": "relu"},
        {"type": "avgpool", "size": 2},
        {"type": "conv", "filters": 2, "kernel": 3, "activation": "leaky_relu", "negative_slope": 0.2},
        {"type": "flatten"}, {"type": "batchnorm", "mean": [0.05] * 8, "var": [0.8] * 8, "activation": "elu"},
        {"type": "dense", "units": 4}]}, seed=4, dtype=np.float64)
    for b in net.biases:
        b += 0.2
    net.weights[1][:] = [1.2, -0.8, 0.6]
    return net


NETS = {"conv": _conv_net, "batchnorm": _batchnorm_net}


@pytest.mark.parametrize("kind, layer, neuron, channel", [
    ("conv", 1, 2, True), ("conv", 1, 70, False), ("conv", 2, 1, True), ("conv", 3, 1, True),
    ("conv", 3, 5, False), ("conv", 5, 2, False),
    ("batchnorm", 1, 2, True), ("batchnorm", 2, 0, True), ("batchnorm", 2, 20, False), ("batchnorm", 3, 0, True),
    ("batchnorm", 4, 1, True), ("batchnorm", 4, 5, False), ("batchnorm", 6, 3, False), ("batchnorm", 7, 2, False)])
@pytest.mark.parametrize("pre", [False, True])
def test_a_conv_units_gradient_equals_finite_differences(kind, layer, neuron, channel, pre):
    net = NETS[kind]()
    x = np.random.default_rng(2).random(64)

    def value(v):
        zs, acts = net.forward_full(v[None])
        out = np.asarray(zs[layer - 1] if pre else acts[layer]).reshape(-1)
        if channel:
            n = out.size // net.shapes[layer][0]
            return out[neuron * n:(neuron + 1) * n].mean()
        return out[neuron]

    got, g = neuron_gradient(net, x, layer, neuron, pre=pre, channel=channel)
    assert got == pytest.approx(value(x), rel=1e-12)
    num = np.array([(value(x + e) - value(x - e)) / 2e-6 for e in np.eye(64) * 1e-6])
    assert np.abs(num).max() > 1e-6
    np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("kind, layer", [("conv", 1), ("batchnorm", 2), ("batchnorm", 3)])
def test_climbing_a_channels_mean_raises_it_within_the_pixels_range(kind, layer):
    net = NETS[kind]()
    x, trace = maximize(net, layer, 0, np.zeros(64), steps=40, step_size=0.1, channel=True)
    assert np.all(np.diff(trace) >= 0) and trace[-1] > trace[0]
    assert trace[-1] == activation(net, x, layer, 0, channel=True)
    assert 0 <= x.min() and x.max() <= 1  # an image the learner could paint, before the transform


def test_a_bad_channel_is_refused_and_saliency_has_the_inputs_shape():
    net = _conv_net()
    with pytest.raises(ValueError, match="3 channels, no channel 3"):
        maximize(net, 1, 3, np.zeros(64), channel=True)
    with pytest.raises(ValueError, match="no feature maps"):
        neuron_gradient(net, np.zeros(64), 5, 0, channel=True)
    target, s = saliency(net, np.random.default_rng(0).random(64))
    assert s.shape == (64,) and 0 <= target < 4


@pytest.mark.parametrize("kind, layer", [("conv", 1), ("conv", 3), ("batchnorm", 2), ("batchnorm", 4)])
def test_a_channels_centre_pixel_is_its_middle_unit_and_its_gradient_is_the_finite_differences(kind, layer):
    from nnviz.model.analysis.feature_pixel import receptive_field
    from nnviz.model.analysis.neuron_input import centre_unit

    net = NETS[kind]()
    c, h, w = net.shapes[layer]
    index, row, col = centre_unit(net, layer, c - 1)
    assert (row, col) == (h // 2, w // 2) and index == ((c - 1) * h + row) * w + col
    x = np.random.default_rng(5).random(64)
    value, g = neuron_gradient(net, x, layer, index)
    maps = np.asarray(net.forward_full(x[None])[1][layer]).reshape(c, h, w)
    assert value == pytest.approx(maps[c - 1, row, col], rel=1e-12)
    num = np.array([(activation(net, x + e, layer, index) - activation(net, x - e, layer, index)) / 2e-6
                    for e in np.eye(64) * 1e-6])
    np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-8)
    rows, cols = receptive_field(net.layers, layer, row, col)
    outside = np.ones((8, 8), bool)
    outside[np.ix_(np.atleast_1d(rows), np.atleast_1d(cols))] = False
    assert not g.reshape(8, 8)[outside].any()  # it reads only its receptive field, in the middle


def test_climbing_the_centre_pixel_from_blank_inks_only_the_middle_of_the_input():
    """The map's mean, climbed from blank, could end on the border (zero padding costs nothing there)."""
    from nnviz.model.analysis.neuron_input import centre_unit

    net = _conv_net()
    for channel in range(3):
        index, row, col = centre_unit(net, 1, channel)
        x, trace = maximize(net, 1, index, np.zeros(64), steps=40, step_size=0.1)
        assert trace[-1] > trace[0]
        ink = np.argwhere(x.reshape(8, 8) > 0)
        assert len(ink) and ink.min() >= 3 and ink.max() <= 5  # within the 3×3 patch at rows / columns 3–5
