"""Nudge vs gradient, checked against references computed here by hand."""

import numpy as np
import pytest

from nnviz.model.analysis.nudge_vs_gradient import compare_neuron, compare_snapshot, training_sample
from nnviz.model.data.datasets import smile
from nnviz.model.errors import SettingsError
from nnviz.model.lessons import get_lesson, load_dataset
from nnviz.model.core.network import Network
from nnviz.model.core.nudge import _probe, nudge_deltas


def smile_states():
    """The smile lesson's network after 0…5 nudge iterations (first one: 3 of 4 right)."""
    t = get_lesson("smile").build(seed=0)
    states = [t.network.copy()]
    for _ in range(5):
        t.step()
        states.append(t.network.copy())
    return t.dataset, states


@pytest.mark.parametrize("step", [1.0, 0.5, 0.1])
def test_smile_nudges_agree_in_sign_with_minus_gradient(step):
    d, states = smile_states()
    for net in states:
        c = compare_neuron(net, d.x_train, d.y_train, "mse", 1, 0, step, 0.1)
        assert c.n_params == 12 and not c.has_bias  # all of the smile's weights, no bias
        moved = c.nudge != 0
        np.testing.assert_array_equal(np.sign(c.nudge[moved]), -np.sign(c.gradient[moved]))
        assert c.n_agree == c.n_moved == moved.sum()


def test_smile_losses_and_choices_match_the_lessons_method_and_a_hand_formula():
    d, states = smile_states()
    X, t = d.x_train.astype(np.float64), d.y_train[:, 0].astype(np.float64)
    for net in states:
        c = compare_neuron(net, d.x_train, d.y_train, "mse", 1, 0, 1.0, 0.1)
        ref = nudge_deltas(net.copy(), d.x_train, d.y_train, "mse", 1.0)  # the trainer's own method
        np.testing.assert_array_equal(c.nudge, ref.delta_w[0][0])
        w = net.weights[0][0].astype(np.float64)
        mse = lambda w: np.mean((X @ w - t) ** 2)  # noqa: E731 - the lesson's loss, by hand
        assert c.base_loss == pytest.approx(mse(w), abs=1e-6)
        for j in range(12):
            e = np.eye(12)[j]
            assert c.loss_up[j] == pytest.approx(mse(w + e), abs=1e-5)
            assert c.loss_down[j] == pytest.approx(mse(w - e), abs=1e-5)
        # linear model, mean squared error: dL/dw = 2/n · Xᵀ(Xw − t)
        np.testing.assert_allclose(c.gradient, 2 / len(t) * X.T @ (X @ w - t), atol=1e-5)
        np.testing.assert_allclose(c.gradient_step, -0.1 * c.gradient)


def test_first_smile_comparison_reenacts_the_lesson():
    d, states = smile_states()
    c = compare_neuron(states[0], d.x_train, d.y_train, "mse", 1, 0, 1.0, 0.1)
    X, t = d.x_train.astype(np.float64), d.y_train[:, 0]
    out = X @ c.nudge
    assert (out == t).sum() == 3  # all nudges at once: three of four faces exactly right
    assert c.loss_after_nudges == pytest.approx(np.mean((out - t) ** 2))
    # ... and the grin's 3 where 1 was wanted costs exactly what the zeros cost: 4/4 = 1
    assert c.base_loss == 1.0 and c.loss_after_nudges == pytest.approx(1.0)
    assert not c.nudges_raise_loss


def small_net(hidden="sigmoid", output="softmax", bias=True, seed=3):
    return Network([6, 5, 4, 3], hidden=hidden, output=output, bias=bias, seed=seed, dtype=np.float64)


@pytest.mark.parametrize("layer,neuron", [(1, 0), (1, 4), (2, 2), (3, 1)])
@pytest.mark.parametrize("hidden,output,loss", [("sigmoid", "softmax", "cross_entropy"),
                                                ("tanh", "linear", "mse")])
def test_gradient_equals_central_finite_differences(layer, neuron, hidden, output, loss):
    rng = np.random.default_rng(0)
    X = rng.random((9, 6))
    Y = rng.integers(0, 3, 9) if loss == "cross_entropy" else rng.normal(size=(9, 3))
    net = small_net(hidden, output)
    net.biases = [rng.normal(size=b.shape) for b in net.biases]
    c = compare_neuron(net, X, Y, loss, layer, neuron, 0.5, 0.01)
    params = list(net.weights[layer - 1][neuron]) + [net.biases[layer - 1][neuron]]
    assert c.n_params == len(params) == net.sizes[layer - 1] + 1 and c.has_bias
    eps = 1e-6
    fd = []
    for j in range(c.n_params):
        vals = []
        for sign in (+1, -1):
            other = net.copy()
            if j < c.n_weights:
                other.weights[layer - 1][neuron, j] += sign * eps
            else:
                other.biases[layer - 1][neuron] += sign * eps
            vals.append(other.loss(X, Y, loss))
        fd.append((vals[0] - vals[1]) / (2 * eps))
    np.testing.assert_allclose(c.gradient, fd, rtol=1e-5, atol=1e-8)


def test_apply_all_losses_equal_a_direct_recomputation_and_the_network_is_untouched():
    rng = np.random.default_rng(1)
    X, Y = rng.random((12, 6)), rng.integers(0, 3, 12)
    net = small_net()
    before = [w.copy() for w in net.weights], [b.copy() for b in net.biases]
    c = compare_neuron(net, X, Y, "cross_entropy", 2, 3, 0.3, 0.7)
    for (w, b), (w0, b0) in zip(zip(net.weights, net.biases), zip(*before)):
        np.testing.assert_array_equal(w, w0)
        np.testing.assert_array_equal(b, b0)
    for change, got in ((c.nudge, c.loss_after_nudges), (c.gradient_step, c.loss_after_gradient)):
        W = [w.copy() for w in net.weights]
        B = [b.copy() for b in net.biases]
        W[1][3] += change[:5]
        B[1][3] += change[5]
        # forward pass by hand: sigmoid hidden layers, softmax + cross-entropy output
        a = X
        for w, b in zip(W[:-1], B[:-1]):
            a = 1 / (1 + np.exp(-(a @ w.T + b)))
        z = a @ W[-1].T + B[-1]
        logp = z - np.log(np.exp(z).sum(1, keepdims=True))
        assert got == pytest.approx(-logp[np.arange(12), Y].mean(), rel=1e-10)
    assert c.loss_after_gradient < c.base_loss  # a small gradient step helps
    # the chosen nudges follow the rule: keep the direction that lowers the loss, else stay
    for j in range(c.n_params):
        lo = min(c.loss_up[j], c.loss_down[j])
        if lo >= c.base_loss or c.loss_up[j] == c.loss_down[j]:
            assert c.nudge[j] == 0
        else:
            assert c.nudge[j] == (0.3 if c.loss_up[j] < c.loss_down[j] else -0.3)


def test_no_bias_means_weights_only_and_bad_neurons_are_refused():
    net = small_net(bias=False)
    rng = np.random.default_rng(2)
    c = compare_neuron(net, rng.random((4, 6)), rng.integers(0, 3, 4), "cross_entropy", 1, 2, 1.0, 0.1)
    assert c.n_params == c.n_weights == 6
    for layer, neuron in ((0, 0), (4, 0), (1, 5), (3, -1)):
        with pytest.raises(SettingsError):
            compare_neuron(net, rng.random((4, 6)), rng.integers(0, 3, 4), "cross_entropy", layer, neuron, 1, .1)


def test_snapshot_comparison_uses_the_lessons_settings_and_a_fixed_sample():
    t = get_lesson("digits").build(seed=0)
    t.step()
    snap = t.snapshot(lesson="digits")
    c = compare_snapshot(snap, t.dataset, layer=2, neuron=5)
    X, Y = training_sample(t.dataset, 256)
    assert len(X) == 256 and np.array_equal(X, training_sample(t.dataset, 256)[0])
    ref = compare_neuron(t.network, X, Y, "cross_entropy", 2, 5, 1.0, 0.01)
    np.testing.assert_array_equal(c.gradient, ref.gradient)
    assert c.step == 1.0 and c.learning_rate == 0.01 and c.n_params == 129
    # the smile lesson: all four faces
    d = load_dataset("smile")
    assert training_sample(d, 256)[0] is d.x_train
    assert len(smile().x_train) == 4


@pytest.mark.parametrize("layer, loss, output", [(1, "cross_entropy", "softmax"), (2, "cross_entropy", "sigmoid"),
                                                 (3, "mse", "linear"), (1, "mse", "softmax")])
def test_all_probes_at_once_equal_one_at_a_time_and_a_zero_input_stays(layer, loss, output):
    rng = np.random.default_rng(4)
    X = rng.random((20, 6)).astype(np.float32)
    X[:, 2] = 0  # an input that is 0 for every example: its weights cannot change the loss
    Y = rng.integers(0, 3, 20) if loss == "cross_entropy" else rng.random((20, 3)).astype(np.float32)
    net = Network([6, 5, 4, 3], hidden="tanh", output=output, seed=2)
    c = compare_neuron(net, X, Y, loss, layer, 1, 0.4, 0.1)
    one_by_one = net.copy()
    up, down = _probe(one_by_one, one_by_one.weights[layer - 1][1], X, Y, loss, 0.4)
    up_b, down_b = _probe(one_by_one, one_by_one.biases[layer - 1][1:2], X, Y, loss, 0.4)
    np.testing.assert_allclose(c.loss_up, np.append(up, up_b), rtol=1e-5)
    np.testing.assert_allclose(c.loss_down, np.append(down, down_b), rtol=1e-5)
    if layer == 1:
        assert c.loss_up[2] == c.loss_down[2] == c.base_loss and c.nudge[2] == 0


PROBED_STACKS = {
    "conv, maxpool": [
        {"type": "conv", "filters": 3, "kernel": 3, "padding": 1}, {"type": "maxpool", "size": 2},
        {"type": "conv", "filters": 4, "kernel": 2, "stride": 2}, {"type": "flatten"},
        {"type": "dense", "units": 5, "activation": "tanh"}, {"type": "dense", "units": 3}],
    "batchnorm, avgpool, new activations": [
        {"type": "conv", "filters": 3, "kernel": 3, "padding": 1, "activation": "linear"},
        {"type": "batchnorm", "mean": [0.2, -0.1, 0.0], "var": [0.5, 1.5, 2.0], "activation": "leaky_relu",
         "negative_slope": 0.2}, {"type": "avgpool", "size": 2},
        {"type": "conv", "filters": 4, "kernel": 2, "stride": 2, "activation": "gelu"}, {"type": "flatten"},
        {"type": "dense", "units": 5, "activation": "silu"}, {"type": "dense", "units": 3}],
}


@pytest.mark.parametrize("name", list(PROBED_STACKS))
def test_a_conv_filters_nudge_probes_equal_probing_one_weight_at_a_time(name):
    """compare_unit on a layer stack: every kernel weight (and a dense unit after the convs) probed
    at once equals the one-at-a-time nudge of core.nudge, and the gradient is backprop's — through
    batch norm, average pooling, a leaky ReLU's own slope and the input transform too."""
    from nnviz.model.analysis.nudge_vs_gradient import compare_unit, kernel_index, kernel_map, parameter_name
    from nnviz.model.core.layer_network import LayerNetwork
    from nnviz.model.core.nudge import _probe

    spec = {"input_shape": [2, 7, 7], "layers": PROBED_STACKS[name]}
    if "batchnorm" in name:
        spec["input_transform"] = {"mean": [0.1307, 0.2], "std": [0.3081, 0.5]}
    net = LayerNetwork(spec, seed=1, dtype=np.float64)
    if "batchnorm" in name:
        net.weights[1][:] = [1.3, -0.7, 0.9]  # γ, not the initial ones
    rng = np.random.default_rng(0)
    X = rng.random((9, 98))
    X[X < 0.5] = 0  # zeros under some weights: those probes change nothing for those examples
    Y = rng.integers(0, 3, 9)
    conv2 = 3 if "batchnorm" not in name else 4
    for layer, unit in ((1, 2), (conv2, 1), (conv2 + 2, 4), (conv2 + 3, 0)):
        c = compare_unit(net, X, Y, "cross_entropy", layer, unit, 0.3, 0.1)
        p = sum(lay.weight_shape is not None for lay in net.layers[:layer - 1])
        work = net.copy()
        up, down = _probe(work, work.weights[p][unit], X, Y, "cross_entropy", 0.3)
        up_b, down_b = _probe(work, work.biases[p][unit:unit + 1], X, Y, "cross_entropy", 0.3)
        np.testing.assert_allclose(c.loss_up, np.concatenate([up.ravel(), up_b]), rtol=1e-12)
        np.testing.assert_allclose(c.loss_down, np.concatenate([down.ravel(), down_b]), rtol=1e-12)
        assert c.base_loss == pytest.approx(net.loss(X, Y), rel=1e-12)
        _, dW, db = net.gradients(X, Y)
        np.testing.assert_allclose(c.gradient, np.append(dW[p][unit].ravel(), db[p][unit]), rtol=1e-12)
        assert c.kernel_shape == (net.weights[p].shape[1:] if net.layers[layer - 1].type == "conv" else None)
    c = compare_unit(net, X, Y, "cross_entropy", conv2, 1, 0.3, 0.1)
    assert c.kernel_shape == (3, 2, 2) and c.n_weights == 12
    picture = kernel_map(np.arange(12), c.kernel_shape)  # 3 channels' 2×2 kernels in a 2 × 2 grid, gaps NaN
    n = np.nan
    np.testing.assert_array_equal(picture, [[0, 1, n, 4, 5], [2, 3, n, 6, 7], [n] * 5,
                                            [8, 9, n, n, n], [10, 11, n, n, n]])
    for r in range(5):
        for q in range(5):
            j = kernel_index(r, q, c.kernel_shape)
            assert (j is None) if np.isnan(picture[r, q]) else j == picture[r, q]
    eight = kernel_map(np.arange(200), (8, 5, 5))  # layer 3 of mnist-conv: 3 × 3 tiles, not a 5 × 40 strip
    assert eight.shape == (17, 17) and np.isnan(eight).sum() == 17 * 17 - 200
    assert parameter_name(3, 7, 12, (7, 7), c.kernel_shape) == "channel 1, row 1, col 1"
    for no_unit in (2, 3) if "batchnorm" in name else (2,):  # pooling; batch norm's γ, β are no unit's
        with pytest.raises(SettingsError, match="no weights of its own"):
            compare_unit(net, X, Y, "cross_entropy", no_unit, 0, 0.3, 0.1)
