"""Batch norm, average pooling, the added activations (leaky ReLU, ELU, GELU, SiLU) and the input
transform: derivatives and gradients against central differences in float64, forward passes
against independent NumPy formulas, spec round trips and refusals, and training."""

import json
import math

import numpy as np
import pytest

from nnviz.model.core.conv import avgpool_backward, avgpool_forward
from nnviz.model.core.functions import ACTIVATIONS, DERIVATIVES, HIDDEN_ACTIVATIONS, NEEDS_Z, erf
from nnviz.model.core.input_transform import InputTransform
from nnviz.model.core.layer_network import LayerNetwork
from nnviz.model.core.network import Network
from nnviz.model.core.networks import build_network, network_from_parameters
from nnviz.model.core.settings import TrainSettings
from nnviz.model.core.trainer import Trainer
from nnviz.model.errors import SettingsError
from nnviz.model.lessons import load_dataset
from tests.model.core.test_layers import FLAT, build, check_gradients, conv, data, stack

NEW = ("leaky_relu", "elu", "gelu", "silu")
AVG = {"type": "avgpool", "size": 2}


def bn(c=None, rng=None, activation="linear", **extra):
    """A batchnorm entry with random running statistics for c channels (None: the defaults)."""
    entry = {"type": "batchnorm", "activation": activation, **extra}
    if c is not None:
        rng = rng or np.random.default_rng(c)
        entry.update(mean=rng.normal(size=c).tolist(), var=rng.uniform(0.3, 2.0, c).tolist())
    return entry


def dense(units, activation="tanh", **extra):
    return {"type": "dense", "units": units, "activation": activation, **extra}


# -- activations ---------------------------------------------------------------------------


def reference(name, z, slope=0.01):
    """Each activation by its textbook formula, one value at a time (math, not NumPy)."""
    f = {"leaky_relu": lambda v: v if v > 0 else slope * v,
         "elu": lambda v: v if v > 0 else math.exp(v) - 1,
         "gelu": lambda v: 0.5 * v * (1 + math.erf(v / math.sqrt(2))),
         "silu": lambda v: v / (1 + math.exp(-v))}[name]
    return np.array([f(v) for v in z.ravel()]).reshape(z.shape)


#: away from the kink at 0 (leaky ReLU, ELU's second derivative), both signs, large values too
Z = np.concatenate([np.linspace(-6, -0.05, 40), np.linspace(0.05, 6, 40), [-30.0, 30.0]])[None, :]


@pytest.mark.parametrize("name", NEW)
def test_new_activations_match_their_formulas_and_derivatives_match_finite_differences(name):
    assert name in HIDDEN_ACTIVATIONS
    params = {"negative_slope": 0.2} if name == "leaky_relu" else {}
    f = lambda z: ACTIVATIONS[name](z.copy(), **params)  # noqa: E731
    np.testing.assert_allclose(f(Z), reference(name, Z, 0.2), rtol=1e-14, atol=1e-15)
    eps = 1e-6
    numeric = (f(Z + eps) - f(Z - eps)) / (2 * eps)
    delta = np.ones_like(Z)
    DERIVATIVES[name](f(Z), delta, z=Z.copy(), **params)
    np.testing.assert_allclose(delta, numeric, rtol=1e-6, atol=1e-8)
    assert (name in NEEDS_Z) == (name in ("gelu", "silu"))  # a does not determine z for these two


def test_leaky_relu_defaults_to_slope_0_01_and_erf_is_exact():
    z = np.array([[-2.0, 3.0]])
    np.testing.assert_array_equal(ACTIVATIONS["leaky_relu"](z.copy()), [[-0.02, 3.0]])
    x = np.linspace(-7, 7, 2001)
    assert np.abs(erf(x) - [math.erf(v) for v in x]).max() < 1e-7
    assert erf(np.float32([0.5])).dtype == np.float64
    with pytest.raises(ValueError, match="needs the pre-activation z"):
        DERIVATIVES["gelu"](z, np.ones_like(z))


@pytest.mark.parametrize("name", NEW)
def test_new_activations_in_a_layer_network_match_finite_differences(name):
    rng = np.random.default_rng(4)
    extra = {"negative_slope": 0.3} if name == "leaky_relu" else {}
    net = build(stack((2, 5, 5), dict(conv(3, 3, 1, 1, name), **extra),
                      FLAT, dense(4, name, **extra), {"type": "dense", "units": 3}), rng=rng)
    check_gradients(net, *data(rng, net, 4))


@pytest.mark.parametrize("name", HIDDEN_ACTIVATIONS)
def test_the_mlp_trainer_with_dropout_steps_as_the_layer_stack_for_every_activation(name):
    """The fused MLP path against LayerNetwork.gradients (checked by finite differences): the
    derivative is f'(z) of the undropped unit (it used to read the dropped, rescaled value, which
    was wrong for sigmoid and tanh)."""
    spec = {"input_shape": [64], "layers": [dense(24, name), dense(12, name), {"type": "dense", "units": 10}]}
    data_ = load_dataset("digits")
    settings = TrainSettings(learning_rate=0.2, batch_size=16, dropout=0.3)
    mlp = Trainer(build_network(spec, seed=3), data_, settings, seed=5)
    ref = Trainer(LayerNetwork(spec, seed=3), data_, settings, seed=5)
    assert type(mlp.network) is Network
    for _ in range(8):
        assert mlp.step() == pytest.approx(ref.step(), rel=1e-4)
    for x, y in zip(mlp.network.weights + mlp.network.biases, ref.network.weights + ref.network.biases):
        np.testing.assert_allclose(x, y, rtol=1e-4, atol=1e-5)


def test_a_leaky_relu_of_another_slope_is_a_layer_network_and_the_default_is_the_mlp():
    plain = build_network(stack([6], dense(4, "leaky_relu"), {"type": "dense", "units": 3}))
    assert type(plain) is Network and plain.spec["layers"][0]["negative_slope"] == 0.01
    other = build_network(stack([6], dense(4, "leaky_relu", negative_slope=0.2), {"type": "dense", "units": 3}))
    assert type(other) is LayerNetwork and other.layers[0].activation_params == {"negative_slope": 0.2}
    assert LayerNetwork(plain.spec).spec == plain.spec


# -- average pooling -------------------------------------------------------------------


def test_avgpool_forward_is_the_window_mean_with_the_floor_rule_and_backward_shares_equally():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 5, 7))
    out = avgpool_forward(x, 2)
    want = np.array([[[[x[b, c, 2 * i:2 * i + 2, 2 * j:2 * j + 2].mean() for j in range(3)] for i in range(2)]
                      for c in range(3)] for b in range(2)])
    np.testing.assert_allclose(out, want, rtol=1e-14)
    dx = avgpool_backward(np.ones_like(out), x.shape, 2)
    assert dx[..., :4, :6].tolist() == np.full((2, 3, 4, 6), 0.25).tolist()
    assert not dx[..., 4, :].any() and not dx[..., :, 6].any()  # the rows/columns no window covers


def test_avgpool_gradients_including_the_floor_rule_and_pool_below_conv():
    rng = np.random.default_rng(12)
    net = build(stack((2, 6, 7), conv(3, 3, 1, 1, "tanh"), AVG, conv(2, 2, 1, 0, "tanh"), FLAT,
                      {"type": "dense", "units": 3}), rng=rng)
    assert net.shapes == [(2, 6, 7), (3, 6, 7), (3, 3, 3), (2, 2, 2), (8,), (3,)]
    check_gradients(net, *data(rng, net, 3))


# -- batch norm -----------------------------------------------------------------------------


def test_batchnorm_forward_matches_the_formula_per_channel_and_per_feature():
    rng = np.random.default_rng(1)
    spec = stack((2, 4, 4), conv(3, 3, 1, 1, "linear"), bn(3, rng, "relu"), FLAT, bn(48, rng),
                 {"type": "dense", "units": 3})
    net = build(spec, rng=rng)
    for i in (1, 2):  # the parameter layers: conv, batchnorm, batchnorm, dense
        net.weights[i][:] = rng.normal(size=net.weights[i].shape)  # γ
    X = rng.normal(size=(5, 32))
    acts = net.forward(X)
    e1, e2 = spec["layers"][1], spec["layers"][3]
    conv_out = acts[1]
    want1 = np.empty_like(conv_out)
    for c in range(3):  # per channel: one (γ, β, mean, var) for every pixel of the map
        want1[:, c] = np.maximum(net.weights[1][c] * (conv_out[:, c] - e1["mean"][c]) / math.sqrt(e1["var"][c] + 1e-5)
                                 + net.biases[1][c], 0)
    np.testing.assert_allclose(acts[2], want1, rtol=1e-12, atol=1e-12)
    flat = acts[3]
    want2 = net.weights[2] * (flat - e2["mean"]) / np.sqrt(np.array(e2["var"]) + 1e-5) + net.biases[2]
    np.testing.assert_allclose(acts[4], want2, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("where", ["conv", "dense", "flatten", "input"])
def test_batchnorm_gradients_dx_dgamma_dbeta_match_finite_differences(where):
    """dgamma/dbeta are the BN layer's dW/db; dx shows in the gradients of the layers below it."""
    rng = np.random.default_rng(len(where))
    head = [{"type": "dense", "units": 3}]
    layers = {"conv": [conv(3, 3, 1, 1, "linear"), bn(3, rng, "tanh", eps=1e-3), AVG, FLAT] + head,
              "dense": [FLAT, dense(5, "linear"), bn(5, rng, "gelu")] + head,
              "flatten": [conv(2, 3, 1, 0, "tanh"), FLAT, bn(8, rng, "leaky_relu", negative_slope=0.1)] + head,
              "input": [bn(2, rng), conv(2, 3, 1, 0, "tanh"), FLAT] + head}[where]
    net = build(stack((2, 4, 4), *layers), rng=rng)
    for w in net.weights:
        if w.ndim == 1:
            w[:] = rng.normal(size=w.shape)  # γ away from 1
    check_gradients(net, *data(rng, net, 4))


def test_batchnorm_trains_gamma_and_beta_while_the_running_statistics_stay():
    spec = stack((1, 8, 8), conv(4, 3, 1, 1, "linear"), bn(4, activation="relu"), AVG, FLAT,
                 {"type": "dense", "units": 10})
    t = Trainer(build_network(spec, seed=0), load_dataset("digits"), TrainSettings(learning_rate=0.1))
    net = t.network
    assert net.weights[1].tolist() == [1.0] * 4 and net.biases[1].tolist() == [0.0] * 4  # PyTorch's start
    before = net.spec
    first = t.step()
    for _ in range(40):
        last = t.step()
    assert last < first
    assert net.spec == before  # the running mean and variance are the spec's, untouched
    assert not np.allclose(net.weights[1], 1) and not np.allclose(net.biases[1], 0)


# -- input transform --------------------------------------------------------------------------

TRANSFORM = {"scale": 255.0, "mean": [30.0, 100.0], "std": [70.0, 50.0]}


@pytest.mark.parametrize("kind", ["plain", "layers"])
def test_the_input_transform_is_applied_per_channel_in_every_pass(kind):
    rng = np.random.default_rng(3)
    layers = ([FLAT, dense(5), {"type": "dense", "units": 3}] if kind == "layers"
              else [dense(5), {"type": "dense", "units": 3}])
    spec = dict(stack((2, 3, 3), *layers), input_transform=TRANSFORM)
    net = build(spec, rng=rng)
    assert type(net) is (Network if kind == "plain" else LayerNetwork)
    bare = network_from_parameters({k: v for k, v in net.spec.items() if k != "input_transform"},
                                   net.weights, net.biases)
    X = rng.random((4, 18))
    by_hand = X.reshape(4, 2, 9) * 255.0  # (x·S − mean)/std, channel by channel
    by_hand = ((by_hand - np.array([30.0, 100.0])[:, None]) / np.array([70.0, 50.0])[:, None]).reshape(4, 18)
    np.testing.assert_allclose(net.predict(X), bare.predict(by_hand), rtol=1e-12)
    np.testing.assert_allclose(net.forward(X)[0], by_hand, rtol=1e-12)  # what layer 1 reads
    Y = rng.integers(0, 3, 4)
    assert net.loss(X, Y) == pytest.approx(bare.loss(by_hand, Y), rel=1e-12)
    check_gradients(net, X, Y)


def test_the_mlp_trainer_and_the_layer_stack_train_alike_with_a_transform():
    spec = dict(stack([64], dense(16, "gelu"), {"type": "dense", "units": 10}),
                input_transform={"scale": 16.0, "mean": [5.0], "std": [6.0]})
    data_ = load_dataset("digits")
    settings = TrainSettings(learning_rate=0.05, batch_size=16)
    mlp, ref = (Trainer(cls(spec, seed=2), data_, settings, seed=1) for cls in (build_network, LayerNetwork))
    for _ in range(10):
        assert mlp.step() == pytest.approx(ref.step(), rel=1e-4)
    np.testing.assert_allclose(mlp.network.weights[0], ref.network.weights[0], rtol=1e-4, atol=1e-5)


# -- specs ---------------------------------------------------------------------------------

FULL = dict(stack((2, 6, 6), conv(3, 3, 1, 1, "linear"), bn(activation="elu"), AVG, FLAT, bn(27),
                  dense(5, "leaky_relu", negative_slope=0.25), dense(4, "silu"), {"type": "dense", "units": 3}),
            input_transform={"scale": 1.0, "mean": [0.1307], "std": [0.3081]})


def test_specs_with_the_new_layers_round_trip_through_json():
    net = build_network(FULL, seed=4)
    text = json.dumps(net.spec)
    again = build_network(json.loads(text), seed=4)
    assert again.spec == net.spec == json.loads(text)
    assert net.spec["input_transform"] == {"scale": 1.0, "mean": [0.1307], "std": [0.3081]}
    assert net.spec["layers"][1] == {"type": "batchnorm", "eps": 1e-5, "mean": [0.0] * 3, "var": [1.0] * 3,
                                     "activation": "elu"}
    assert net.spec["layers"][5]["negative_slope"] == 0.25
    X = np.random.default_rng(0).random((3, 72), dtype=np.float32)
    np.testing.assert_array_equal(again.predict(X), net.predict(X))
    assert "input_transform" not in build_network(dict(FULL, input_transform={})).spec  # the identity


def test_an_input_transform_object_round_trips_and_describes_itself():
    t = InputTransform.from_spec({"scale": 255, "mean": [0.1307], "std": [0.3081]}, [1, 28, 28])
    assert t.to_spec() == {"scale": 255.0, "mean": [0.1307], "std": [0.3081]}
    assert t.describe() == "input transform: pixels ×255, then (x − 0.1307) / 0.3081"
    g = np.ones((1, 4))
    np.testing.assert_allclose(t.backward(g, [4]), 255 / 0.3081)


BAD = [
    (stack([6], dense(4, "relu", negative_slope=0.1), {"type": "dense", "units": 3}),
     r"layer 1 \(dense\): 'negative_slope' belongs to a \"leaky_relu\" activation, not 'relu'"),
    (stack([6], dense(4, "leaky_relu", negative_slope=-0.1), {"type": "dense", "units": 3}),
     r"'negative_slope' must be a number ≥ 0, got -0.1"),
    (stack([6], {"type": "dense", "units": 3, "negative_slope": 0.1}), r"is the output layer: 'negative_slope'"),
    (stack([1, 4, 4], conv(2, 3), {"type": "batchnorm", "mean": [0.0]}, FLAT, {"type": "dense", "units": 2}),
     r"layer 2 \(batchnorm\): 'mean' must be a list of 2 numbers"),
    (stack([3], {"type": "batchnorm", "var": [1, -1, 1]}, {"type": "dense", "units": 2}),
     r"'var' must hold finite numbers ≥ 0"),
    (stack([3], {"type": "batchnorm", "eps": 0}, {"type": "dense", "units": 2}), r"'eps' must be a number > 0"),
    (stack([1, 4, 4], {"type": "avgpool", "size": 5}, FLAT, {"type": "dense", "units": 2}),
     r"layer 1 \(avgpool\): pool size 5 is larger"),
    (dict(stack([1, 4, 4], FLAT, {"type": "dense", "units": 2}), input_transform={"mean": [0.1], "sd": [1]}),
     r"\"input_transform\": unknown key 'sd'"),
    (dict(stack([1, 4, 4], FLAT, {"type": "dense", "units": 2}), input_transform={"std": [0]}), r"non-zero"),
    (dict(stack([1, 4, 4], FLAT, {"type": "dense", "units": 2}), input_transform={"mean": [0.1, 0.2]}),
     r"'mean' must be a list of one number"),
    (dict(stack([3, 4, 4], FLAT, {"type": "dense", "units": 2}), input_transform={"mean": [0.1, 0.2]}),
     r"'mean' must be a list of one number or 3 \(one per channel\)"),
    (dict(stack([4], {"type": "dense", "units": 2}), input_transform="mnist"), r"must be an object"),
]


@pytest.mark.parametrize("spec,message", BAD)
def test_bad_new_entries_are_refused_naming_the_problem(spec, message):
    with pytest.raises(SettingsError, match=message):
        build_network(spec)
