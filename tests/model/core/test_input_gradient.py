"""Gradients to the input (``input_gradient``, ``backprop_to_input``) against central finite
differences in float64, for every layer kind nnviz builds: dense, conv (stride 1 and 2, padding
0 and 1), maxpool and avgpool (with a floor-rule edge), flatten, batchnorm (after a conv, a dense
layer and a flatten), every hidden activation (leaky ReLU with its own slope, ELU, GELU, SiLU),
the input transform (the gradient is w.r.t. the image x in [0, 1], before it), and deep stacks."""

import numpy as np
import pytest

from nnviz.model.core.layer_network import LayerNetwork
from nnviz.model.core.network import Network
from nnviz.model.core.networks import NetworkLike, build_network
from nnviz.model.errors import SettingsError

EPS = 1e-6


def conv(filters, kernel, stride=1, padding=0, activation="tanh", **params):
    return {"type": "conv", "filters": filters, "kernel": kernel, "stride": stride, "padding": padding,
            "activation": activation, **params}


POOL, AVG, FLAT = {"type": "maxpool", "size": 2}, {"type": "avgpool", "size": 2}, {"type": "flatten"}


def dense(units, activation=None, **params):
    return {"type": "dense", "units": units} | ({"activation": activation} if activation else {}) | params


def bn(channels, activation="linear", seed=0):
    """Batch norm with running statistics that are not the identity's."""
    rng = np.random.default_rng(seed)
    return {"type": "batchnorm", "eps": 1e-3, "mean": rng.normal(size=channels).round(3).tolist(),
            "var": rng.uniform(0.3, 2.0, channels).round(3).tolist(), "activation": activation}


#: a per-channel transform that is not the identity (moderate, so tanh units stay unsaturated)
TRANSFORM = {"scale": 0.5, "mean": [0.3, -0.1], "std": [0.5, 2.0]}


#: name -> spec; each layer kind alone (before flatten → dense), then a deep stack
STACKS = {
    "dense": {"input_shape": [7], "layers": [dense(5, "tanh"), dense(4, "sigmoid"), dense(3)]},
    "conv s1 p0": {"input_shape": [2, 6, 6], "layers": [conv(3, 3), FLAT, dense(4)]},
    "conv s1 p1": {"input_shape": [2, 6, 6], "layers": [conv(3, 3, padding=1), FLAT, dense(4)]},
    "conv s2 p0": {"input_shape": [2, 7, 7], "layers": [conv(3, 3, stride=2), FLAT, dense(4)]},
    "conv s2 p1": {"input_shape": [2, 6, 6], "layers": [conv(3, 3, stride=2, padding=1), FLAT, dense(4)]},
    "maxpool": {"input_shape": [2, 7, 7], "layers": [POOL, FLAT, dense(4)]},  # 7: a skipped edge row/col
    "flatten": {"input_shape": [2, 3, 3], "layers": [FLAT, dense(5, "sigmoid"), dense(4)]},
    "deep": {"input_shape": [1, 8, 8],
             "layers": [conv(4, 3, padding=1, activation="relu"), POOL, conv(5, 3, padding=1, activation="tanh"),
                        POOL, FLAT, dense(6, "relu"), dense(4)]},
    "avgpool": {"input_shape": [2, 7, 7], "layers": [conv(3, 2, activation="tanh"), AVG, FLAT, dense(4)]},
    "batchnorm after conv": {"input_shape": [2, 6, 6],
                             "layers": [conv(3, 3, activation="linear"), bn(3, "tanh"), FLAT, dense(4)]},
    "batchnorm after dense": {"input_shape": [6], "layers": [dense(5, "linear"), bn(5, "sigmoid"), dense(4)]},
    "batchnorm after flatten": {"input_shape": [2, 3, 3], "layers": [FLAT, bn(18), dense(5, "tanh"), dense(4)]},
    "leaky_relu": {"input_shape": [2, 6, 6], "layers": [conv(3, 3, activation="leaky_relu", negative_slope=0.2),
                                                        FLAT, dense(5, "leaky_relu", negative_slope=0.3),
                                                        dense(4)]},
    "elu": {"input_shape": [2, 6, 6], "layers": [conv(3, 3, activation="elu"), FLAT, dense(5, "elu"), dense(4)]},
    "gelu": {"input_shape": [2, 6, 6], "layers": [conv(3, 3, activation="gelu"), FLAT, dense(5, "gelu"), dense(4)]},
    "silu": {"input_shape": [2, 6, 6], "layers": [conv(3, 3, activation="silu"), FLAT, dense(5, "silu"), dense(4)]},
    "input_transform": {"input_shape": [2, 6, 6], "input_transform": TRANSFORM,
                        "layers": [conv(3, 3), FLAT, dense(4)]},
    "deep, every new layer": {
        "input_shape": [2, 10, 10], "input_transform": TRANSFORM,
        "layers": [conv(4, 3, padding=1, activation="linear"), bn(4, "relu", 1), POOL,
                   conv(5, 3, padding=1, activation="gelu"), bn(5, "leaky_relu", 2) | {"negative_slope": 0.1},
                   AVG, FLAT, dense(6, "silu"), bn(6, "elu", 3), dense(4)]},
}


def network(name, output="softmax"):
    net = LayerNetwork(STACKS[name] | {"output": output}, seed=2, dtype=np.float64)
    rng = np.random.default_rng(5)
    for lay, w, b in zip(net._param_layers, net.weights, net.biases):
        b[:] = rng.normal(scale=0.3, size=b.shape)
        if lay.type == "batchnorm":  # γ of 1 would hide a γ left out of the backward pass
            w[:] = rng.uniform(0.5, 1.5, w.shape) * rng.choice([-1, 1], w.shape)
    return net


def inputs(net, n=3):
    return np.random.default_rng(11).normal(size=(n, net.sizes[0]))


def numeric(f, X):
    """Central differences of the scalar f at X, one entry at a time."""
    g = np.zeros_like(X)
    for idx in np.ndindex(X.shape):
        old = X[idx]
        X[idx] = old + EPS
        up = f(X)
        X[idx] = old - EPS
        down = f(X)
        X[idx] = old
        g[idx] = (up - down) / (2 * EPS)
    return g


def check(analytic, reference, label):
    err = np.abs(analytic - reference)
    rel = err.max() / max(np.abs(reference).max(), 1e-12)
    print(f"{label}: max abs {err.max():.2e}, max rel {rel:.2e}")  # the figures reported (pytest -s)
    assert np.abs(reference).max() > 1e-6, "the check needs a gradient that is not zero"
    np.testing.assert_allclose(analytic, reference, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("name", list(STACKS))
@pytest.mark.parametrize("output,loss", [("softmax", "cross_entropy"), ("sigmoid", "mse")])
def test_loss_gradient_to_the_input_matches_finite_differences(name, output, loss):
    net = network(name, output)
    X = inputs(net)
    y = np.array([0, 2, 1]) if loss == "cross_entropy" else np.random.default_rng(1).random((3, net.sizes[-1]))
    g = net.input_gradient(X, y, loss)
    assert g.shape == X.shape
    check(g, numeric(lambda x: net.loss(x, y, loss), X), f"{name} {loss}")


def test_the_loss_gradient_keeps_the_shape_the_input_came_in():
    net = network("deep")
    X = inputs(net)
    y = np.array([0, 1, 2])
    g = net.input_gradient(X.reshape(3, 1, 8, 8), y)
    assert g.shape == (3, 1, 8, 8)
    np.testing.assert_allclose(g.reshape(3, -1), net.input_gradient(X, y), rtol=1e-12)


def test_the_plain_network_gradient_to_the_input_matches_finite_differences():
    net = Network([6, 5, 4], hidden="sigmoid", output="softmax", seed=1, dtype=np.float64)
    X, y = inputs(net), np.array([0, 3, 1])
    assert isinstance(net, NetworkLike)
    check(net.input_gradient(X, y), numeric(lambda x: net.loss(x, y), X), "plain dense cross_entropy")
    # the same stack as a LayerNetwork gives the same gradient
    twin = LayerNetwork(net.spec, dtype=np.float64)
    twin.set_parameters(net.weights, net.biases)
    np.testing.assert_allclose(twin.input_gradient(X, y), net.input_gradient(X, y), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("hidden", ["leaky_relu", "elu", "gelu", "silu"])
@pytest.mark.parametrize("transform", [None, {"scale": 255.0, "mean": [0.1307], "std": [0.3081]}])
def test_the_plain_networks_new_activations_and_transform_match_finite_differences(hidden, transform):
    spec = {"input_shape": [6], "layers": [dense(5, hidden), dense(4, hidden), dense(3)]}
    if transform:
        spec["input_transform"] = transform
    net = build_network(spec, seed=4, dtype=np.float64)
    assert net.is_plain
    X, y = np.random.default_rng(2).random((3, 6)), np.array([0, 2, 1])  # images in [0, 1]
    if transform:  # a 255 scale makes every logit's slope large: keep the inputs' effect moderate
        for w in net.weights[:1]:
            w *= 0.01
    check(net.input_gradient(X, y), numeric(lambda x: net.loss(x, y), X), f"plain {hidden}{' transformed' if transform else ''} loss")
    d = np.zeros((1, 5))
    d[0, 1] = 1.0
    x = X[:1].copy()
    check(net.backprop_to_input(x, 1, d)[1], numeric(lambda x: net.forward(x)[1][0, 1], x),
          f"plain {hidden}{' transformed' if transform else ''} hidden neuron")


def _units(net, x):
    """(label, layer, direction) for one unit of every kind in ``net``: a feature-map pixel and a
    channel's mean of each map layer, a neuron of each dense layer — the most active one, so that
    a ReLU unit is on and its gradient is not 0."""
    out = []
    for layer, (shape, a) in enumerate(zip(net.shapes[1:], net.forward(x)[1:]), start=1):
        a = np.asarray(a).reshape((1,) + tuple(shape))
        d = np.zeros_like(a)
        if len(shape) == 3:
            d[np.unravel_index(np.argmax(a), a.shape)] = 1.0
            out.append((f"pixel of layer {layer}", layer, d.copy()))
            d[:] = 0
            d[0, np.argmax(a[0].mean(axis=(1, 2)))] = 1.0 / (shape[1] * shape[2])
            out.append((f"channel mean of layer {layer}", layer, d))
        else:
            d[0, np.argmax(a[0])] = 1.0
            out.append((f"neuron of layer {layer}", layer, d))
    return out


@pytest.mark.parametrize("name", ["dense", "conv s1 p1", "conv s2 p0", "maxpool", "deep", "avgpool",
                                  "batchnorm after conv", "batchnorm after dense", "leaky_relu", "elu",
                                  "gelu", "silu", "input_transform", "deep, every new layer"])
@pytest.mark.parametrize("pre", [False, True])
def test_one_units_gradient_to_the_input_matches_finite_differences(name, pre):
    net = network(name)
    x = inputs(net, 1)
    for label, layer, d in _units(net, x):
        def value(x, layer=layer, d=d):
            out = net.forward_full(x)[0 if pre else 1][layer - 1 if pre else layer]
            return float((np.asarray(out).reshape(d.shape) * d).sum())

        out, g = net.backprop_to_input(x, layer, d, pre=pre)
        assert g.shape == x.shape
        assert float((out.reshape(d.shape) * d).sum()) == pytest.approx(value(x), rel=1e-12)
        check(g, numeric(value, x), f"{name} {label}{' (pre)' if pre else ''}")


def test_a_softmax_probabilitys_gradient_and_a_plain_networks_neuron():
    for net in (network("deep"), Network([6, 5, 4], hidden="tanh", seed=3, dtype=np.float64)):
        x = inputs(net, 1)
        top = len(net.sizes) - 1
        d = np.zeros((1, net.sizes[-1]))
        d[0, 1] = 1.0
        p, g = net.backprop_to_input(x, top, d)
        check(g, numeric(lambda x, net=net: net.predict(x)[0, 1], x), f"{type(net).__name__} softmax probability")
        assert p[0, 1] == pytest.approx(net.predict(x)[0, 1])
    net = build_network({"input_shape": [6], "layers": [dense(5, "tanh"), dense(4)]}, dtype=np.float64)
    x = inputs(net, 1)
    d = np.zeros((1, 5))
    d[0, 2] = 1.0
    check(net.backprop_to_input(x, 1, d)[1], numeric(lambda x: net.forward(x)[1][0, 2], x), "plain hidden neuron")


def test_a_layer_that_is_not_there_is_refused_in_words():
    for net in (network("deep"), Network([4, 3, 2], dtype=np.float64)):
        with pytest.raises(SettingsError, match="not a hidden or output layer"):
            net.backprop_to_input(inputs(net, 1), 0, np.zeros(1))
        with pytest.raises(SettingsError, match="unknown loss"):
            net.input_gradient(inputs(net, 1), np.array([0]), "hinge")


def test_the_input_gradient_never_touches_the_training_scratch():
    # the trainer's thread owns _work; an analysis of the same network must not write into it
    net = network("deep")
    X, y = inputs(net), np.array([0, 1, 2])
    net.gradients(X, y)
    before = {i: {k: v.copy() for k, v in w.items()} for i, w in enumerate(net._work)}
    net.input_gradient(X[::-1].copy(), y)
    for i, w in enumerate(net._work):
        for k, v in w.items():
            np.testing.assert_array_equal(v, before[i][k])
