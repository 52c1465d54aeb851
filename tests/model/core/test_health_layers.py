"""Neuron health of a conv net: every pixel of every feature map is a unit, in C, H, W order."""

import numpy as np

from nnviz.model.core.health import network_health, unit_health
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


def test_a_channel_is_dead_when_its_whole_map_never_fires():
    from nnviz.model.core.health import LayerHealth, channel_health
    from nnviz.model.core.networks import build_network

    net = build_network({"input_shape": [1, 6, 6], "layers": [
        {"type": "conv", "filters": 3, "kernel": 3}, {"type": "flatten"}, {"type": "dense", "units": 2}]})
    net.biases[0][1] = -100.0  # channel 1 never fires
    net.weights[0][2] = 0.0
    net.biases[0][2] = 0.0  # channel 2 outputs exactly 0: dead too
    net.weights[0][0] = np.abs(net.weights[0][0])
    x = np.random.default_rng(0).random((20, 36)).astype(np.float32)
    per_pixel = network_health(net, x)[0]
    h = channel_health(per_pixel, (3, 4, 4), "relu")
    assert h.dead.tolist() == [False, True, True] and not h.saturated.any()
    assert h.share.tolist() == [0.0, 1.0, 1.0] and h.examples == 20
    # sigmoid maps: pinned on at least 95 % of (example, position) pairs
    pinned = LayerHealth(np.zeros(8, bool), np.zeros(8, bool), np.array([1, 1, 1, 0.9, 0, 0, 0, 0.]), 5)
    h = channel_health(pinned, (2, 2, 2), "sigmoid")
    assert h.saturated.tolist() == [True, False] and h.share.tolist() == [0.975, 0.0]
    assert channel_health(pinned, (2, 2, 2), "sigmoid", share=0.99).saturated.tolist() == [False, False]
