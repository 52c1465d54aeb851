"""The trainer on a layer stack (LayerNetwork): one step against the reference gradient, L2,
dropout against finite differences and against the MLP trainer, optimizers, the nudge method,
evaluation and snapshots."""

import numpy as np
import pytest

from nnviz.model.core.layer_network import LayerNetwork
from nnviz.model.core.network import Network
from nnviz.model.core.networks import build_network
from nnviz.model.core.nudge import nudge_deltas, nudge_step
from nnviz.model.core.settings import TrainSettings
from nnviz.model.core.trainer import Trainer
from nnviz.model.data.datasets import Dataset
from nnviz.model.errors import SettingsError
from nnviz.model.lessons import CONV_SPEC, get_lesson, load_dataset


def conv(filters, kernel, padding=0, activation="relu"):
    return {"type": "conv", "filters": filters, "kernel": kernel, "stride": 1, "padding": padding,
            "activation": activation}


POOL, FLAT = {"type": "maxpool", "size": 2}, {"type": "flatten"}
#: a small stack on 6×6 images with a hidden dense layer, so dropout has two places to act
SMALL = {"input_shape": [1, 6, 6], "layers": [conv(3, 3, padding=1), POOL, FLAT,
                                              {"type": "dense", "units": 7, "activation": "relu"},
                                              {"type": "dense", "units": 4}],
         "output": "softmax", "bias": True}


def small_data(n=40, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 36)).astype(dtype)
    y = rng.integers(0, 4, n)
    return Dataset("tiny", x[:30], y[:30], x[30:], y[30:], (6, 6), tuple("abcd"))


def params(net):
    return [w.copy() for w in net.weights] + [b.copy() for b in net.biases]


def test_one_sgd_step_with_l2_is_minus_lr_times_the_reference_gradient_plus_lambda_w():
    data = small_data()
    net = build_network(SMALL, seed=2)
    assert type(net) is LayerNetwork
    t = Trainer(net, data, TrainSettings(learning_rate=0.1, batch_size=8, l2=0.01), seed=0)
    X, Y = data.x_train[:8], data.y_train[:8]
    ref = net.copy()
    loss, dW, db = ref.gradients(X, Y)
    before = params(net)
    assert t.train_batch(X, Y) == pytest.approx(loss, rel=1e-6)
    want = [w - 0.1 * (g + 0.01 * w) for w, g in zip(before[:len(dW)], dW)] + \
           [b - 0.1 * g for b, g in zip(before[len(dW):], db)]  # biases are not regularised
    for got, w in zip(params(net), want):
        np.testing.assert_allclose(got, w, rtol=1e-5, atol=1e-7)
    for u, a, b in zip(t.update_w, params(net), before):  # ΔW is what the step changed
        np.testing.assert_allclose(u, a - b, atol=1e-7)


def test_dropout_gradients_match_finite_differences_of_the_dropped_network():
    """With the same mask (the same seeded rng), the loss is a smooth function of the parameters:
    central differences of it in float64 check the masked backward pass."""
    net = build_network(SMALL, seed=4, dtype=np.float64)
    rng = np.random.default_rng(1)
    for b in net.biases:
        b[:] = rng.normal(scale=0.3, size=b.shape)
    X, Y = rng.random((5, 36)), rng.integers(0, 4, 5)

    def loss():
        return net.gradients(X, Y, dropout=0.5, rng=np.random.default_rng(9))[0]

    value, dW, db = net.gradients(X, Y, dropout=0.5, rng=np.random.default_rng(9))
    assert value != pytest.approx(net.loss(X, Y))  # something was dropped
    eps = 1e-6
    for param, grad in zip(net.weights + net.biases, dW + db):
        for idx in list(np.ndindex(param.shape))[::3]:
            old = param[idx]
            param[idx] = old + eps
            up = loss()
            param[idx] = old - eps
            down = loss()
            param[idx] = old
            assert grad[idx] == pytest.approx((up - down) / (2 * eps), rel=1e-5, abs=1e-8)


def test_dropout_acts_on_dense_inputs_after_a_hidden_layer_only():
    net = build_network(SMALL, seed=0)
    X = np.random.default_rng(0).random((200, 36)).astype(np.float32)
    masks = [None] * len(net.layers)
    net._run(X, keep_z=False, dropout=0.25, rng=np.random.default_rng(0), masks=masks)
    assert [m is not None for m in masks] == [False, False, False, True, True]
    for m, n in zip(masks[3:], (27, 7)):  # the flattened maps, then the hidden dense units
        assert m.shape == (200, n)
        assert set(np.unique(m).tolist()) == {0.0, np.float32(1 / 0.75)}
        assert (m == 0).mean() == pytest.approx(0.25, abs=0.04)


def test_a_dense_layer_stack_trains_like_the_mlp_trainer_with_dropout_and_l2():
    """The generic path (LayerNetwork.gradients) against the tuned MLP path: same init, same
    shuffle, same dropout masks from the same random stream, same numbers to float32 rounding."""
    spec = {"input_shape": [64], "layers": [{"type": "dense", "units": 32, "activation": "relu"},
                                            {"type": "dense", "units": 16, "activation": "relu"},
                                            {"type": "dense", "units": 10}], "output": "softmax", "bias": True}
    data = load_dataset("digits")
    settings = TrainSettings(learning_rate=0.05, batch_size=16, optimizer="momentum", dropout=0.3, l2=1e-3)
    mlp = Trainer(build_network(spec, seed=3), data, settings, seed=5)
    stack = Trainer(LayerNetwork(spec, seed=3), data, settings, seed=5)
    assert type(mlp.network) is Network
    for _ in range(30):
        a, b = mlp.step(), stack.step()
        assert a == pytest.approx(b, rel=1e-4)
    for x, y in zip(params(mlp.network), params(stack.network)):
        np.testing.assert_allclose(x, y, rtol=1e-4, atol=1e-5)
    assert mlp._rng.bit_generator.state == stack._rng.bit_generator.state


@pytest.mark.parametrize("optimizer, lr", [("sgd", 0.1), ("momentum", 0.05), ("adam", 0.01)])
def test_every_optimizer_lowers_the_conv_loss_on_a_fixed_batch(optimizer, lr):
    t = get_lesson("conv").build(seed=0)
    t.apply_settings(optimizer=optimizer, learning_rate=lr)
    X, Y = t.dataset.x_train[:64], t.dataset.y_train[:64]
    first = t.train_batch(X, Y)
    for _ in range(30):
        last = t.train_batch(X, Y)
    assert last < 0.5 * first


def test_the_nudge_method_probes_every_parameter_of_a_conv_net():
    data = small_data()
    net = build_network(SMALL, seed=1)
    X, Y = data.x_train[:10], data.y_train[:10]
    result = nudge_deltas(net, X, Y, "cross_entropy", 0.05)
    assert [u.shape for u in result.loss_up] == [w.shape for w in net.weights]
    for j, idx in ((0, (2, 0, 1, 1)), (1, (3, 20)), (2, (1, 4))):  # a kernel weight, dense weights
        w = net.weights[j]
        old = w[idx]
        w[idx] = old + 0.05
        up = net.loss(X, Y)
        w[idx] = old - 0.05
        down = net.loss(X, Y)
        w[idx] = old
        assert result.loss_up[j][idx] == pytest.approx(up, rel=1e-6)
        assert result.loss_down[j][idx] == pytest.approx(down, rel=1e-6)
        # the step itself, stored as float32 (exact: no arithmetic on it)
        assert result.delta_w[j][idx] == np.float32(0.05 if up < min(down, result.base_loss) else
                                                    -0.05 if down < min(up, result.base_loss) else 0)
    out = nudge_step(net, X, Y, "cross_entropy", 0.05)
    assert out.loss_after <= out.result.base_loss
    t = Trainer(build_network(SMALL, seed=1), data, TrainSettings(method="nudge", nudge_step=0.05,
                                                                     batch_size=10), seed=0)
    losses = [t.step() for _ in range(3)]
    assert losses[-1] < losses[0] and t.update_w[0].shape == (3, 1, 3, 3)


def test_evaluate_matches_predict_and_the_network_must_fit_the_images():
    t = get_lesson("conv").build(seed=0)
    for _ in range(40):
        t.step()
    loss, acc = t.evaluate("test")
    out = t.network.predict(t.dataset.x_test)
    assert acc == pytest.approx(float((out.argmax(1) == t.dataset.y_test).mean()))
    assert loss == pytest.approx(t.network.loss(t.dataset.x_test, t.dataset.y_test), rel=1e-5)
    wide = dict(CONV_SPEC, input_shape=[1, 4, 16])  # 64 inputs, but not 8×8 images
    with pytest.raises(SettingsError, match="4×16 images does not fit the digits"):
        Trainer(build_network(wide), load_dataset("digits"))


def test_a_conv_snapshot_lays_out_its_layers_and_rebuilds_its_network():
    t = get_lesson("conv").build(seed=0)
    for _ in range(5):
        t.step()
    snap = t.snapshot(lesson="conv")
    assert snap.spec == t.network.spec and not snap.is_mlp
    assert snap.shapes == ((1, 8, 8), (8, 8, 8), (8, 4, 4), (128,), (10,))
    assert snap.sizes == (64, 512, 128, 128, 10)
    assert snap.layer_types == ("input", "conv", "maxpool", "flatten", "dense")
    assert (snap.hidden, snap.output, snap.bias) == ("relu", "softmax", True)
    assert [w.shape for w in snap.weights] == [(8, 1, 3, 3), (10, 128)]
    assert [u.shape for u in snap.update_w] == [(8, 1, 3, 3), (10, 128)]
    net = snap.network()
    assert type(net) is LayerNetwork
    x = t.dataset.x_test[:7]
    np.testing.assert_array_equal(net.predict(x), t.network.predict(x))  # copies of the weights, the same code
    for a, b in zip(net.forward(x[:1]), t.network.forward(x[:1])):
        np.testing.assert_array_equal(a, b)
    past = t.snapshot_at(t.state(), lesson="conv")
    assert past.shapes == snap.shapes and past.layer_types == snap.layer_types and past.spec == snap.spec


def test_an_mlp_snapshot_carries_its_spec_and_stays_a_network():
    t = get_lesson("digits").build(seed=0)
    t.step()
    snap = t.snapshot()
    assert snap.is_mlp and snap.spec == t.network.spec and snap.sizes == (64, 128, 32, 10)
    assert snap.shapes == ((64,), (128,), (32,), (10,)) and snap.layer_types == ("input",) + ("dense",) * 3
    net = snap.network()
    assert type(net) is Network
    np.testing.assert_array_equal(net.predict(t.dataset.x_test[:5]), t.network.predict(t.dataset.x_test[:5]))
    mixed = {"input_shape": [64], "layers": [{"type": "dense", "units": 8, "activation": "relu"},
                                             {"type": "dense", "units": 8, "activation": "tanh"},
                                             {"type": "dense", "units": 10}]}
    m = Trainer(build_network(mixed), t.dataset)
    snap = m.snapshot()
    assert not snap.is_mlp and type(snap.network()) is LayerNetwork
