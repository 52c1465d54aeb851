"""The layer stack (conv, maxpool, flatten, dense): gradients against central finite
differences in float64, forward passes against nested-loop references, specs, and a
short training run on the bundled 8×8 digits."""

import json
import time

import numpy as np
import pytest

from nnviz.model.core.conv import maxpool_backward, maxpool_forward
from nnviz.model.core.layer_network import LayerNetwork
from nnviz.model.core.layers import LAYER_TYPES
from nnviz.model.core.network import Network
from nnviz.model.core.networks import build_network
from nnviz.model.errors import SettingsError

# central differences with eps 1e-6 in float64: truncation ~eps², round-off ~1e-16/eps
EPS, RTOL, ATOL = 1e-6, 1e-5, 1e-8


def conv(filters, kernel, stride=1, padding=0, activation="relu"):
    return {"type": "conv", "filters": filters, "kernel": kernel, "stride": stride, "padding": padding,
            "activation": activation}


POOL, FLAT = {"type": "maxpool", "size": 2}, {"type": "flatten"}
DENSE10 = {"type": "dense", "units": 10}
CONV_LESSON = {"input_shape": [1, 8, 8], "layers": [conv(8, 3, padding=1), POOL, FLAT, DENSE10],
               "output": "softmax", "bias": True}
MNIST_CONV = {"input_shape": [1, 28, 28], "layers": [conv(8, 5), POOL, conv(16, 5), POOL, FLAT, DENSE10],
              "output": "softmax", "bias": True}


def stack(input_shape, *layers, output="softmax", bias=True):
    return {"input_shape": list(input_shape), "layers": list(layers), "output": output, "bias": bias}


def build(spec, seed=3, rng=None):
    """A float64 network with non-zero biases (so the bias paths are exercised)."""
    net = build_network(spec, seed=seed, dtype=np.float64)
    rng = rng or np.random.default_rng(seed)
    for b in net.biases:
        b[:] = rng.normal(scale=0.3, size=b.shape)
    return net


def data(rng, net, n, loss="cross_entropy"):
    X = rng.normal(size=(n, int(np.prod(net.spec["input_shape"]))))
    k = net.spec["layers"][-1]["units"]
    return X, (rng.integers(0, k, size=n) if loss == "cross_entropy" else rng.normal(size=(n, k)))


def numeric(net, X, Y, loss, param, indices):
    grad = np.zeros(len(indices))
    for j, idx in enumerate(indices):
        old = param[idx]
        param[idx] = old + EPS
        up = net.loss(X, Y, loss)
        param[idx] = old - EPS
        down = net.loss(X, Y, loss)
        param[idx] = old
        grad[j] = (up - down) / (2 * EPS)
    return grad


def check_gradients(net, X, Y, loss="cross_entropy", per_array=None, rng=None):
    """Every analytic dW/db against central differences (or `per_array` random entries of each)."""
    value, dW, db = net.gradients(X, Y, loss)
    assert value == pytest.approx(net.loss(X, Y, loss), rel=1e-12)
    assert [g.shape for g in dW] == [w.shape for w in net.weights]
    assert [g.shape for g in db] == [b.shape for b in net.biases]
    for param, grad in zip(net.weights + net.biases, dW + db):
        indices = list(np.ndindex(param.shape))
        if per_array is not None and len(indices) > per_array:
            indices = [indices[i] for i in rng.choice(len(indices), per_array, replace=False)]
        want = numeric(net, X, Y, loss, param, indices)
        got = np.array([grad[idx] for idx in indices])
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


# -- finite-difference gradient checks --------------------------------------------------


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("padding", [0, 1])
@pytest.mark.parametrize("stride", [1, 2])
def test_conv_gradients(stride, padding, channels):
    # Two convs, so the lower one's dW needs the upper one's col2im (dx); a non-square
    # input catches swapped axes; tanh keeps the loss smooth around every point.
    rng = np.random.default_rng(stride * 10 + padding * 3 + channels)
    spec = stack((channels, 9, 8), conv(3, 3, stride, padding, "tanh"), conv(2, 3, stride, padding, "tanh"),
                 FLAT, {"type": "dense", "units": 3})
    net = build(spec, rng=rng)
    check_gradients(net, *data(rng, net, 3))


def test_conv_gradients_even_kernel_and_relu():
    rng = np.random.default_rng(7)
    net = build(stack((2, 7, 7), conv(3, 2, 1, 1), conv(2, 4, 2, 0), FLAT, {"type": "dense", "units": 4}), rng=rng)
    check_gradients(net, *data(rng, net, 4))


def test_maxpool_gradients_including_the_floor_rule_and_pool_below_conv():
    # 7 columns: pool 2 skips the last one (PyTorch's floor rule); pool -> conv routes
    # the upper conv's dx through the argmax mask.
    rng = np.random.default_rng(11)
    net = build(stack((2, 6, 7), conv(3, 3, 1, 1, "tanh"), POOL, conv(2, 2, 1, 0, "tanh"), FLAT,
                      {"type": "dense", "units": 3}), rng=rng)
    assert net.shapes == [(2, 6, 7), (3, 6, 7), (3, 3, 3), (2, 2, 2), (8,), (3,)]
    check_gradients(net, *data(rng, net, 3))


def test_flatten_gradients_at_the_input_and_after_a_conv():
    rng = np.random.default_rng(5)
    first = build(stack((3, 4, 4), FLAT, {"type": "dense", "units": 5, "activation": "tanh"},
                        {"type": "dense", "units": 3}), rng=rng)
    assert isinstance(first, LayerNetwork)  # flatten is a layer of its own: not the plain MLP
    check_gradients(first, *data(rng, first, 4))
    after = build(stack((2, 5, 5), conv(2, 3, 1, 0, "sigmoid"), FLAT,
                        {"type": "dense", "units": 4, "activation": "tanh"}, {"type": "dense", "units": 3}), rng=rng)
    check_gradients(after, *data(rng, after, 4))


@pytest.mark.parametrize("output,loss", [("softmax", "cross_entropy"), ("sigmoid", "cross_entropy"),
                                         ("linear", "cross_entropy"), ("softmax", "mse"), ("sigmoid", "mse"),
                                         ("linear", "mse")])
def test_every_output_and_loss_pairing_through_a_conv(output, loss):
    rng = np.random.default_rng(2)
    net = build(stack((1, 5, 5), conv(2, 3, 1, 1, "tanh"), POOL, FLAT, {"type": "dense", "units": 3},
                      output=output), rng=rng)
    check_gradients(net, *data(rng, net, 4, loss), loss=loss)


def test_conv_lesson_stack_has_1370_parameters_and_exact_gradients():
    rng = np.random.default_rng(0)
    net = build(CONV_LESSON, rng=rng)
    assert net.n_parameters == 1370
    assert [w.shape for w in net.weights] == [(8, 1, 3, 3), (10, 128)]
    check_gradients(net, *data(rng, net, 4))  # all 1,370


def test_mnist_conv_lesson_stack_gradients():
    rng = np.random.default_rng(1)
    net = build(MNIST_CONV, rng=rng)
    assert [w.shape for w in net.weights] == [(8, 1, 5, 5), (16, 8, 5, 5), (10, 256)]
    assert net.shapes == [(1, 28, 28), (8, 24, 24), (8, 12, 12), (16, 8, 8), (16, 4, 4), (256,), (10,)]
    assert net.n_parameters == 208 + 3216 + 2570
    check_gradients(net, *data(rng, net, 2), per_array=25, rng=rng)  # 25 random entries of each array


LENET5 = stack((1, 28, 28), conv(6, 5, padding=2), POOL, conv(16, 5), POOL, FLAT,
               {"type": "dense", "units": 120, "activation": "relu"},
               {"type": "dense", "units": 84, "activation": "relu"}, DENSE10)
WIDE = stack((1, 28, 28), conv(32, 3, padding=1), POOL, conv(64, 3, padding=1), POOL, FLAT,
             {"type": "dense", "units": 128, "activation": "relu"}, DENSE10)


@pytest.mark.parametrize("spec", [LENET5, WIDE], ids=["lenet5", "32-64"])
def test_the_published_mnist_stacks_gradients(spec):
    rng = np.random.default_rng(8)
    net = build(spec, rng=rng)
    check_gradients(net, *data(rng, net, 2), per_array=12, rng=rng)


def test_relu_then_max_pool_trains_exactly_like_relu_before_the_pool():
    # Training applies a ReLU that a max pool reads after the pooling (a 4× smaller map),
    # and its derivative there. Blank image rows make windows of equal values: positive
    # ties (a positive bias alone) and windows with no positive value (a negative one).
    rng = np.random.default_rng(9)
    net = build(stack((1, 8, 8), conv(3, 3, padding=1), POOL, conv(2, 3), POOL, FLAT, {"type": "dense", "units": 3}),
                rng=rng)
    net.biases[0][:] = [0.5, -0.4, 0.1]
    X, Y = data(rng, net, 3)
    X.reshape(3, 8, 8)[:, :4] = 0
    acts = net.forward(X)
    assert (acts[1] >= 0).all() and (acts[1] == 0).any()  # the public forward: ReLU maps, then pools
    np.testing.assert_array_equal(acts[2], acts[1].reshape(3, 3, 4, 2, 4, 2).max(axis=(3, 5)))
    assert net.gradients(X, Y)[0] == pytest.approx(net.loss(X, Y), rel=1e-12)
    check_gradients(net, X, Y)


# -- forward passes against references ---------------------------------------------------


def reference_conv(x, w, b, stride, padding):
    """Cross-correlation, PyTorch's Conv2d: x (B, C, H, W), w (F, C, k, k) -> (B, F, Ho, Wo)."""
    n, c, h, wd = x.shape
    f, _, k, _ = w.shape
    xp = np.zeros((n, c, h + 2 * padding, wd + 2 * padding))
    xp[:, :, padding:padding + h, padding:padding + wd] = x
    ho, wo = (h + 2 * padding - k) // stride + 1, (wd + 2 * padding - k) // stride + 1
    out = np.zeros((n, f, ho, wo))
    for i in range(n):
        for o in range(f):
            for y in range(ho):
                for x_ in range(wo):
                    patch = xp[i, :, y * stride:y * stride + k, x_ * stride:x_ * stride + k]
                    out[i, o, y, x_] = (patch * w[o]).sum() + b[o]
    return out


@pytest.mark.parametrize("channels,size,kernel,stride,padding", [
    (1, (8, 8), 3, 1, 0), (1, (8, 8), 3, 1, 1), (3, (7, 9), 3, 2, 1), (3, (10, 6), 5, 3, 2), (2, (5, 5), 5, 1, 0),
    (2, (6, 7), 2, 2, 0),
])
def test_conv_forward_matches_a_nested_loop_reference(channels, size, kernel, stride, padding):
    rng = np.random.default_rng(kernel + stride + padding)
    net = build(stack((channels,) + size, conv(4, kernel, stride, padding), FLAT, {"type": "dense", "units": 2}),
                rng=rng)
    X = rng.normal(size=(3, channels * size[0] * size[1]))
    zs, acts = net.forward_full(X)
    want = reference_conv(X.reshape((3, channels) + size), net.weights[0], net.biases[0], stride, padding)
    assert zs[0].shape == want.shape == acts[1].shape
    np.testing.assert_allclose(zs[0], want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(acts[1], np.maximum(want, 0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(acts[2], np.maximum(want, 0).reshape(3, -1))  # flatten: C, H, W order


def test_maxpool_forward_matches_a_loop_and_ties_go_to_the_first_maximum():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 5, 7))
    out, arg = maxpool_forward(x, 2)
    want = np.array([[[[x[b, c, 2 * i:2 * i + 2, 2 * j:2 * j + 2].max() for j in range(3)] for i in range(2)]
                      for c in range(3)] for b in range(2)])
    np.testing.assert_array_equal(out, want)
    tie = np.array([[[[1.0, 5.0], [5.0, 5.0]]]])  # three equal maxima
    out, arg = maxpool_forward(tie, 2)
    dx = maxpool_backward(np.ones_like(out), arg, tie.shape, 2)
    np.testing.assert_array_equal(dx, [[[[0.0, 1.0], [0.0, 0.0]]]])  # all of it to the first, row-major


def test_forward_returns_every_layer_input_first_in_float32():
    net = build_network(CONV_LESSON, seed=1)
    X = np.random.default_rng(0).random((5, 64), dtype=np.float32)
    acts = net.forward(X)
    assert [a.shape for a in acts] == [(5, 64), (5, 8, 8, 8), (5, 8, 4, 4), (5, 128), (5, 10)]
    assert all(a.dtype == np.float32 for a in acts)
    assert all(w.dtype == np.float32 and w.flags.c_contiguous for w in net.weights + net.biases)
    np.testing.assert_array_equal(acts[0], X)
    np.testing.assert_allclose(acts[-1].sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(acts[2], acts[1].reshape(5, 8, 4, 2, 4, 2).max(axis=(3, 5)))
    # two code paths (predict: batch-last maps, in slices; forward: C-contiguous maps): float32 rounding may differ
    np.testing.assert_allclose(net.predict(X), acts[-1], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(net.forward(X.reshape(5, 1, 8, 8))[-1], acts[-1])  # maps too: same rows, same path
    _, dW, db = net.gradients(X, np.arange(5))
    assert all(g.dtype == np.float32 for g in dW + db)


def test_no_bias_means_no_bias_in_the_maths_and_zero_bias_gradients():
    spec = dict(CONV_LESSON, bias=False)
    net = build_network(spec, dtype=np.float64)
    net.biases[0][:] = 100.0  # ignored when the network has no bias
    X = np.random.default_rng(0).random((2, 64))
    want = reference_conv(X.reshape(2, 1, 8, 8), net.weights[0], np.zeros(8), 1, 1)
    np.testing.assert_allclose(net.forward_full(X)[0][0], want, atol=1e-12)
    _, _, db = net.gradients(X, np.array([0, 1]))
    assert all(not g.any() for g in db)
    assert net.n_parameters == 1370 - 18


# -- specs ------------------------------------------------------------------------------


@pytest.mark.parametrize("input_shape", [[1, 8, 8], [64]])
@pytest.mark.parametrize("hidden", ["relu", "sigmoid"])
def test_a_dense_spec_is_the_existing_network(input_shape, hidden):
    spec = stack(input_shape, {"type": "dense", "units": 16, "activation": hidden},
                 {"type": "dense", "units": 12, "activation": hidden}, DENSE10)
    net = build_network(spec, seed=4)
    ref = Network([64, 16, 12, 10], hidden=hidden, output="softmax", seed=4)
    assert type(net) is Network and net.architecture() == ref.architecture()
    for a, b in zip(net.weights + net.biases, ref.weights + ref.biases):
        np.testing.assert_array_equal(a, b)
    rng = np.random.default_rng(0)
    X, Y = rng.random((6, 64), dtype=np.float32), rng.integers(0, 10, 6)
    for a, b in zip(net.forward(X), ref.forward(X)):  # both the plain Network: bit for bit
        np.testing.assert_array_equal(a, b)
    (la, dWa, dba), (lb, dWb, dbb) = net.gradients(X, Y), ref.gradients(X, Y)
    assert la == lb
    for a, b in zip(dWa + dba, dWb + dbb):
        np.testing.assert_array_equal(a, b)
    assert net.spec == json.loads(json.dumps(spec))
    # the general stack computes the same network (same draws, same maths)
    general = LayerNetwork(spec, seed=4)
    for a, b in zip(general.weights, ref.weights):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(general.predict(X), ref.predict(X), rtol=1e-6)
    for a, b in zip(general.gradients(X, Y)[1], dWb):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-7)


def test_a_network_reports_its_spec_and_mixed_dense_activations_make_a_layer_network():
    assert Network([4, 3, 2], hidden="tanh", output="sigmoid", bias=False).spec == stack(
        [4], {"type": "dense", "units": 3, "activation": "tanh"}, {"type": "dense", "units": 2},
        output="sigmoid", bias=False)
    mixed = build_network(stack([4], {"type": "dense", "units": 3, "activation": "tanh"},
                                    {"type": "dense", "units": 3, "activation": "relu"}, DENSE10))
    assert isinstance(mixed, LayerNetwork) and mixed.layer_activation(1) == "relu"


@pytest.mark.parametrize("spec", [CONV_LESSON, MNIST_CONV, stack([1, 8, 8], {"type": "dense", "units": 10})])
def test_spec_round_trips_through_json(spec):
    net = build_network(spec, seed=9)
    again = build_network(json.loads(json.dumps(net.spec)), seed=9)
    assert again.spec == net.spec == json.loads(json.dumps(net.spec))
    assert type(again) is type(net)
    for a, b in zip(net.weights, again.weights):
        np.testing.assert_array_equal(a, b)


def test_spec_fills_in_the_defaults():
    net = build_network({"input_shape": [1, 6, 6], "layers": [
        {"type": "conv", "filters": 2, "kernel": 3}, {"type": "flatten"},
        {"type": "dense", "units": 4}, {"type": "dense", "units": 3, "activation": "softmax"}]})
    assert net.spec == stack([1, 6, 6], conv(2, 3), FLAT, {"type": "dense", "units": 4, "activation": "relu"},
                             {"type": "dense", "units": 3}, output="softmax", bias=True)
    assert set(LAYER_TYPES) == {"conv", "maxpool", "avgpool", "flatten", "dense", "batchnorm"}


BAD = [
    (stack([1, 8, 8], {"type": "dropout"}, DENSE10), r"layer 1: unknown layer type 'dropout'; choose one of conv"),
    (stack([1, 8, 8], {"units": 3}, DENSE10), r"layer 1: unknown layer type None"),
    (stack([1, 8, 8], ["dense", 10]), r"layer 1 must be a JSON object like \{\"type\": \"dense\""),
    (stack([1, 4, 4], conv(2, 5), FLAT, DENSE10), r"layer 1 \(conv\): kernel 5 is larger than its padded input 4×4"),
    (stack([1, 4, 4], conv(2, 7, padding=1), FLAT, DENSE10), r"kernel 7 is larger than its padded input 6×6"),
    (stack([1, 8, 8], conv(2, 3), {"type": "maxpool", "size": 7}, FLAT, DENSE10),
     r"layer 2 \(maxpool\): pool size 7 is larger than its 2×6×6 input"),
    (stack([1, 8, 8], conv(2, 3), DENSE10), r"layer 2 \(dense\) reads a 2×6×6 map; put \{\"type\": \"flatten\"\}"),
    (stack([1, 8, 8], conv(2, 3), FLAT), r"the last layer must be dense \(the output layer\), but layer 2 is 'flatten'"),
    (stack([1, 8, 8], conv(2, 3)), r"the last layer must be dense"),
    (stack([64], conv(2, 3), FLAT, DENSE10), r"layer 1 \(conv\) needs a \(channels, height, width\) map"),
    (stack([1, 8, 8], FLAT, POOL, DENSE10), r"layer 2 \(maxpool\) needs a .* flat vector of 64"),
    (stack([1, 8, 8], dict(conv(2, 3), filter=4), FLAT, DENSE10), r"layer 1 \(conv\): unknown key 'filter'"),
    (stack([1, 8, 8], dict(conv(2, 3), kernel=2.5), FLAT, DENSE10), r"'kernel' must be a whole number ≥ 1, got 2.5"),
    (stack([1, 8, 8], dict(conv(2, 3), stride=0), FLAT, DENSE10), r"'stride' must be a whole number ≥ 1, got 0"),
    (stack([1, 8, 8], dict(conv(2, 3), padding=-1), FLAT, DENSE10), r"'padding' must be a whole number ≥ 0"),
    (stack([1, 8, 8], {"type": "conv", "kernel": 3}, FLAT, DENSE10), r"layer 1 \(conv\): missing 'filters'"),
    (stack([1, 8, 8], conv(2, 3, activation="swish"), FLAT, DENSE10), r"unknown activation 'swish'"),
    (stack([1, 8, 8], {"type": "dense", "units": 10, "activation": "relu"}),
     r"layer 1 \(dense\) is the output layer: its activation is the spec's \"output\" \('softmax'\), not 'relu'"),
    (stack([1, 8, 8], DENSE10, output="relu"), r"unknown output activation 'relu'"),
    (stack([1, 8, 8], DENSE10, bias="yes"), r"\"bias\" must be true or false"),
    (stack([1, 8], DENSE10), r"\"input_shape\" must be \[channels, height, width\] or \[n\]"),
    (stack([1, 0, 8], DENSE10), r"\"input_shape\" must be"),
    (stack([1, 8, 8]), r"non-empty \"layers\" list"),
    ({"layers": [DENSE10]}, r"needs an \"input_shape\""),
    (dict(CONV_LESSON, loss="mse"), r"spec: unknown key 'loss'"),
    ([DENSE10], r"a network spec must be a JSON object"),
]


@pytest.mark.parametrize("spec,message", BAD)
def test_bad_specs_are_refused_naming_the_problem(spec, message):
    with pytest.raises(SettingsError, match=message):
        build_network(spec)


# -- parameters -------------------------------------------------------------------------


def test_set_parameters_copy_and_from_parameters():
    net = build_network(MNIST_CONV, seed=2)
    other = net.copy()
    other.weights[0][:] = 0
    assert net.weights[0].any()  # independent
    with pytest.raises(SettingsError, match=r"weight layer 2 \(conv\): weights \(16, 8, 3, 3\)"):
        net.set_parameters([net.weights[0], np.zeros((16, 8, 3, 3)), net.weights[2]], net.biases)
    with pytest.raises(SettingsError, match="expected 3 weight and bias arrays, got 2"):
        net.set_parameters(net.weights[:2], net.biases[:2])
    net.set_parameters([w.astype(np.float64) * 2 for w in other.weights], other.biases)
    assert net.weights[1].dtype == np.float32 and not net.weights[0].any()
    wrapped = LayerNetwork.from_parameters(net.spec, net.weights, net.biases)
    assert wrapped.weights[1] is net.weights[1]
    X = np.random.default_rng(0).random((2, 784), dtype=np.float32)
    np.testing.assert_array_equal(wrapped.predict(X), net.predict(X))  # the same arrays, the same code
    with pytest.raises(SettingsError, match="does not fit the 1×28×28 input"):
        net.forward(np.zeros((2, 783)))


def test_init_is_seeded_he_for_relu_and_glorot_otherwise():
    spec = stack([1, 10, 10], conv(64, 5), FLAT, DENSE10)
    a, b = build_network(spec, seed=5), build_network(spec, seed=5)
    assert all(np.array_equal(x, y) for x, y in zip(a.weights, b.weights))
    assert not np.array_equal(a.weights[0], build_network(spec, seed=6).weights[0])
    assert a.weights[0].std() == pytest.approx(np.sqrt(2 / 25), rel=0.1)  # He, fan_in = C·k·k
    t = build_network(stack([3, 10, 10], conv(8, 3, activation="tanh"), FLAT, DENSE10))
    limit = np.sqrt(6 / (3 * 9 + 8 * 9))  # Glorot, fans C·k·k and F·k·k
    assert np.abs(t.weights[0]).max() <= limit and np.abs(t.weights[0]).max() > 0.9 * limit
    assert not any(b.any() for b in t.biases)
    z = build_network(spec, init="zeros")
    assert not any(w.any() for w in z.weights)


# -- learning ---------------------------------------------------------------------------


def test_conv_lesson_stack_learns_the_digits():
    from nnviz.model.lessons import load_dataset

    ds = load_dataset("digits")
    net = build_network(CONV_LESSON, seed=0)
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    for _ in range(500):  # plain SGD, batch 32, about 12 epochs
        idx = rng.integers(0, len(ds.x_train), 32)
        _, dW, db = net.gradients(ds.x_train[idx], ds.y_train[idx])
        for p, g in zip(net.weights + net.biases, dW + db):
            p -= np.float32(0.2) * g
    accuracy = (net.predict(ds.x_test).argmax(axis=1) == ds.y_test).mean()
    print(f"conv lesson: test accuracy {accuracy:.3f} after 500 steps in {time.perf_counter() - start:.2f} s")
    assert accuracy >= 0.90


def test_scratch_reuse_between_steps_changes_nothing():
    rng = np.random.default_rng(4)
    net = build(stack((2, 9, 9), conv(3, 3, 2, 1), POOL, conv(4, 2, 1, 1, "tanh"), POOL, FLAT,
                      {"type": "dense", "units": 3}), rng=rng)
    X1, Y1 = data(rng, net, 5)
    X2, Y2 = data(rng, net, 3)
    fresh = net.copy().gradients(X1, Y1)
    acts = net.forward(X1)
    kept = [a.copy() for a in acts]
    first = net.gradients(X1, Y1)
    net.gradients(X2, Y2)  # another batch size, then the first again
    net.gradients(X1[::-1], Y1[::-1])
    again = net.gradients(X1, Y1)
    for result in (first, again):
        assert result[0] == fresh[0]
        for a, b in zip(result[1] + result[2], fresh[1] + fresh[2]):
            np.testing.assert_array_equal(a, b)
    for a, b in zip(acts, kept):  # forward's arrays are the caller's, untouched by training
        np.testing.assert_array_equal(a, b)
        assert a.flags.c_contiguous


def test_predict_and_loss_evaluate_in_slices(monkeypatch):
    import nnviz.model.core.layer_network as layer_network

    rng = np.random.default_rng(8)
    net = build(CONV_LESSON, rng=rng)
    X, Y = data(rng, net, 10)
    T = rng.normal(size=(10, 10))
    whole = net.predict(X), net.loss(X, Y), net.loss(X, T, "mse")
    monkeypatch.setattr(layer_network, "EVAL_CHUNK", 3)  # slices of 3, 3, 3, 1 rows
    np.testing.assert_allclose(net.predict(X), whole[0], rtol=1e-12)
    assert net.loss(X, Y) == pytest.approx(whole[1], rel=1e-12)
    assert net.loss(X, T, "mse") == pytest.approx(whole[2], rel=1e-12)
