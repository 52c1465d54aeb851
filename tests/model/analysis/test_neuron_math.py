"""The "how a neuron's activation is made" numbers add up to what the forward pass computes."""

import numpy as np
import pytest

from nnviz.model.core.functions import apply_activation
from nnviz.model.core.network import Network
from nnviz.model.analysis.neuron_math import neuron_breakdown


@pytest.mark.parametrize("hidden,output,bias", [("sigmoid", "softmax", True), ("relu", "sigmoid", True),
                                                ("tanh", "linear", False)])
def test_every_neuron_breakdown_matches_forward_full(hidden, output, bias):
    net = Network([6, 5, 4, 3], hidden=hidden, output=output, bias=bias, seed=2)
    if bias:
        net.biases = [np.random.default_rng(i).normal(size=b.shape).astype(np.float32)
                      for i, b in enumerate(net.biases)]
    x = np.random.default_rng(7).random((1, 6)).astype(np.float32)
    zs, acts = net.forward_full(x)
    for layer in range(1, len(net.sizes)):
        for k in range(net.sizes[layer]):
            d = neuron_breakdown(net, zs, acts, layer, k)
            np.testing.assert_allclose(d["products"], net.weights[layer - 1][k].astype(np.float64)
                                       * acts[layer - 1][0], rtol=1e-12)
            assert d["sum"] == pytest.approx(float(d["products"].sum()))
            # Σ w·a + b is the forward pass's z, and f(z) its activation
            assert d["sum"] + d["bias"] == pytest.approx(float(zs[layer - 1][0][k]), abs=1e-5)
            assert d["z"] == float(zs[layer - 1][0][k])
            assert d["activation"] == float(acts[layer][0][k])
            assert d["function"] == (output if layer == len(net.sizes) - 1 else hidden)
            assert d["has_bias"] is bias and (bias or d["bias"] == 0.0)
            if d["function"] != "softmax":
                f_z = apply_activation(d["function"], np.array([[d["z"]]]))[0, 0]
                assert d["activation"] == pytest.approx(f_z, abs=1e-6)


def test_a_snapshot_breaks_down_like_its_network():
    from nnviz.model.lessons import get_lesson

    t = get_lesson("digits").build()
    t.step()
    snap = t.snapshot()
    net = snap.network()
    zs, acts = net.forward_full(t.dataset.x_test[:1])
    a, b = neuron_breakdown(snap, zs, acts, 2, 3), neuron_breakdown(net, zs, acts, 2, 3)
    for key in ("products", "weights", "inputs"):
        np.testing.assert_array_equal(a.pop(key), b.pop(key))
    assert a == b


def test_the_running_total_is_the_weighted_sum_term_by_term():
    from nnviz.model.analysis.neuron_math import running_total
    from nnviz.model.lessons import get_lesson

    t = get_lesson("smile").build()
    t.network.weights[0][0] = np.array([1, -1, 1, 0, 0, 0, 1, -1, 1, 0, 1, 0], np.float32)
    x = t.dataset.x_train[0]
    lines = running_total(t.network.weights[0][0], x)
    assert len(lines) == 12  # the smile's twelve terms in full
    assert lines[1].startswith(f"{x[1]:g}·(−1) = ")
    out = float(t.network.forward(x[None])[-1][0, 0])  # the network's own sum (no bias, linear)
    total = float(lines[-1].split("→ ")[1].replace("−", "-"))
    assert total == pytest.approx(out, rel=5e-3, abs=1e-9)


def test_a_big_neuron_shows_its_largest_terms_and_the_rest_summed():
    from nnviz.model.analysis.neuron_math import running_total

    rng = np.random.default_rng(1)
    w, a = rng.normal(size=784), rng.random(784)
    lines = running_total(w, a)
    assert len(lines) == 7 and lines[-1].startswith("+ the other 778 terms")
    total = float(lines[-1].split("→ ")[1].replace("−", "-"))
    assert total == pytest.approx(float(w @ a), rel=2e-3, abs=2e-3)
