"""Neuron health of a conv net: every pixel of every feature map is a unit, in C, H, W order."""

import numpy as np

from nnviz.model.analysis.health import network_health, unit_health
from nnviz.model.lessons import get_lesson, load_dataset


def test_a_dead_filter_shows_as_dead_units_in_its_map_and_everything_pooled_from_it():
    net = get_lesson("conv").build(seed=0).network
    net.weights[0][0] = -1.0
    net.biases[0][0] = -10.0  # filter 0 never fires: its whole 8×8 map is 0
    x = load_dataset("digits").x_test[:50]
    conv, pool, flat = network_health(net, x)
    assert [len(h.dead) for h in (conv, pool, flat)] == [512, 128, 128] and conv.examples == 50
    assert conv.dead[:64].all() and pool.dead[:16].all() and flat.dead[:16].all()
    np.testing.assert_array_equal(pool.dead, flat.dead)  # flatten moves nothing
    acts = net.forward(x)
    want = unit_health([acts[1].reshape(50, -1)], "relu")[0]
    np.testing.assert_array_equal(conv.share, want.share)


def test_an_mlp_is_judged_as_before():
    net = get_lesson("mnist").build(seed=0).network
    x = load_dataset("mnist").x_test[:20]
    got, want = network_health(net, x), unit_health(net.forward(x)[1:-1], "sigmoid")
    assert len(got) == len(want) == 2
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a.share, b.share)
        np.testing.assert_array_equal(a.saturated, b.saturated)
