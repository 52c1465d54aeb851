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
    np.testing.assert_array_equal(a.pop("products"), b.pop("products"))
    assert a == b
