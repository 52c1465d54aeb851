"""Dead ReLU and saturated sigmoid/tanh units, judged on hand-built activations."""

import numpy as np
import pytest

from nnviz.model.core.health import network_health, unit_health
from nnviz.model.core.network import Network


def test_relu_unit_that_never_fires_is_dead_and_one_that_fires_once_is_not():
    acts = np.array([[0.0, 0.0, 0.3, 5e-7],
                     [0.0, 0.0, 0.0, 0.0],
                     [0.0, 2.0, 0.0, 1e-7],
                     [0.0, 0.0, 0.1, 0.0]])
    h = unit_health([acts], "relu")[0]
    # unit 3 stays below the tolerance on every example: as dead as unit 0
    assert h.dead.tolist() == [True, False, False, True]
    np.testing.assert_allclose(h.share, [1.0, 0.75, 0.5, 1.0])
    assert not h.saturated.any() and h.n_dead == 2
    assert h.examples == 4


def test_dead_tolerance_is_a_parameter():
    acts = np.array([[0.0, 0.01], [0.0, 0.02]])
    assert unit_health([acts], "relu")[0].dead.tolist() == [True, False]
    assert unit_health([acts], "relu", dead_tol=0.05)[0].dead.tolist() == [True, True]


def test_sigmoid_saturation_needs_the_share_of_examples_at_either_end():
    n = 100
    always_high = np.full(n, 0.995)
    both_ends = np.where(np.arange(n) % 2 == 0, 0.999, 0.001)  # pinned, at one end or the other
    mostly = np.full(n, 0.999)
    mostly[:6] = 0.5  # saturated on 94 % of the examples: below the 95 % share
    healthy = np.linspace(0.1, 0.9, n)
    acts = np.stack([always_high, both_ends, mostly, healthy], axis=1)
    h = unit_health([acts], "sigmoid")[0]
    assert h.saturated.tolist() == [True, True, False, False]
    np.testing.assert_allclose(h.share, [1.0, 1.0, 0.94, 0.0])
    assert not h.dead.any() and h.n_saturated == 2
    assert unit_health([acts], "sigmoid", share=0.9)[0].saturated.tolist() == [True, True, True, False]


def test_saturation_threshold_is_strict_and_a_parameter():
    acts = np.array([[0.99, 0.995]] * 20)  # exactly 0.99 is not above 0.99
    assert unit_health([acts], "sigmoid")[0].saturated.tolist() == [False, True]
    assert unit_health([acts], "sigmoid", saturation=0.98)[0].saturated.tolist() == [True, True]


def test_tanh_saturates_at_plus_and_minus_one():
    acts = np.array([[0.999, -0.999, 0.5, 0.995],
                     [0.998, -0.995, -0.5, -0.995]] * 10)
    h = unit_health([acts], "tanh")[0]
    assert h.saturated.tolist() == [True, True, False, True]
    # the sigmoid rule would have called -0.999 "below 0.01": tanh uses |a|
    assert unit_health([acts], "tanh")[0].share[2] == 0.0


def test_linear_units_are_never_flagged_and_one_result_per_layer():
    layers = [np.zeros((5, 3)), np.full((5, 2), 100.0)]
    hs = unit_health(layers, "linear")
    assert len(hs) == 2
    assert [h.dead.shape for h in hs] == [(3,), (2,)]
    assert not any(h.dead.any() or h.saturated.any() for h in hs)


def test_nan_outputs_are_neither_dead_nor_saturated():
    acts = np.array([[np.nan, 0.0], [np.nan, 0.0]])
    h = unit_health([acts], "relu")[0]
    assert h.dead.tolist() == [False, True]
    s = unit_health([np.array([[np.nan], [np.nan]])], "sigmoid")[0]
    assert not s.saturated.any()


def test_shapes_are_checked():
    with pytest.raises(ValueError):
        unit_health([np.zeros(4)], "relu")


def test_network_health_finds_a_relu_unit_killed_by_its_bias():
    net = Network([4, 3, 2], hidden="relu", output="softmax", seed=0)
    net.biases[0][1] = -1e3  # no input in [0, 1] can switch unit 1 on
    x = np.random.default_rng(0).random((64, 4))
    h = network_health(net, x)
    assert len(h) == 1 and h[0].dead[1]
    assert h[0].share[1] == 1.0
