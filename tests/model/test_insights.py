"""Mistakes, what a neuron wants, and the smile population — against direct references."""

import numpy as np
import pytest

from nnviz.model.datasets import smile_population
from nnviz.model.lessons import get_lesson
from nnviz.model.mistakes import cell_indices, confusion_matrix
from nnviz.model.network import Network
from nnviz.model.population import run_population
from nnviz.model.wants import input_gradient, maximize, saliency


def test_confusion_sums_to_the_test_count_and_matches_evaluate():
    t = get_lesson("digits").build(seed=0)
    for _ in range(60):
        t.step()
    d = t.dataset
    counts, true, pred = confusion_matrix(t.network, d.x_test, d.y_test, d.task, 10)
    assert counts.sum() == len(d.x_test)
    _, acc = t.evaluate("test")
    assert np.trace(counts) / counts.sum() == pytest.approx(acc)
    brute = np.zeros((10, 10), int)
    out = t.network.predict(d.x_test)
    for yi, oi in zip(d.y_test, out):
        brute[yi, oi.argmax()] += 1
    np.testing.assert_array_equal(counts, brute)
    i = cell_indices(true, pred, 3, 5)
    assert len(i) == counts[3, 5] and all(d.y_test[j] == 3 and out[j].argmax() == 5 for j in i)


def test_smile_confusion_is_two_by_two():
    t = get_lesson("smile").build(seed=0)
    for _ in range(12):
        t.step()
    d = t.dataset
    counts, _, _ = confusion_matrix(t.network, d.x_test, d.y_test, d.task, 2)
    assert counts.shape == (2, 2) and counts.sum() == 5
    assert np.trace(counts) / 5 == pytest.approx(t.evaluate("test")[1])


@pytest.mark.parametrize("hidden, output", [("sigmoid", "softmax"), ("relu", "softmax"), ("tanh", "linear"),
                                            ("sigmoid", "sigmoid")])
def test_input_gradient_equals_finite_differences(hidden, output):
    net = Network([6, 5, 4, 3], hidden=hidden, output=output, seed=2, dtype=np.float64)
    for b in net.biases:
        b += 0.1
    x = np.random.default_rng(0).random(6)
    for layer, neuron in ((1, 2), (2, 0), (3, 1)):
        _, g = input_gradient(net, x, layer, neuron)
        eps = 1e-6
        num = np.zeros(6)
        for j in range(6):
            xp, xm = x.copy(), x.copy()
            xp[j] += eps
            xm[j] -= eps
            num[j] = (input_gradient(net, xp, layer, neuron)[0] - input_gradient(net, xm, layer, neuron)[0]) / (2 * eps)
        np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-8)


def test_maximizing_raises_the_neurons_activation():
    t = get_lesson("mnist").build(seed=0)
    for _ in range(100):
        t.step()
    for layer, neuron in ((1, 3), (3, 7)):
        start = np.zeros(784, np.float32)
        x, trace = maximize(t.network, layer, neuron, start, steps=60, step_size=0.05)
        before = input_gradient(t.network, start, layer, neuron)[0]
        after = input_gradient(t.network, x, layer, neuron)[0]
        assert after > before + 0.05 and after == pytest.approx(trace.max())
        assert x.min() >= 0 and x.max() <= 1


def test_saliency_points_where_brightening_raises_the_answer():
    t = get_lesson("digits").build(seed=0)
    for _ in range(200):
        t.step()
    x = t.dataset.x_test[0]
    top, s = saliency(t.network, x)
    prob = lambda v: t.network.predict(v.reshape(1, -1).astype(np.float32))[0, top]
    assert prob(np.clip(x + 0.02 * np.sign(s), 0, 1)) > prob(x)


def test_population_count_equals_a_direct_count_and_groups_partition():
    t = get_lesson("smile").build(seed=0)
    for _ in range(12):
        t.step()
    pop = run_population(t.network)
    direct = sum(1 for img in smile_population() if t.network.predict(img[None])[0, 0] > 0)
    assert pop.count == direct
    sizes = [len(pop.group(m)) for m in range(64)]
    assert sizes == [64] * 64 and sum(sizes) == 4096
    assert np.sort(np.concatenate([pop.group(m) for m in range(64)])).tolist() == list(range(4096))
    # the training faces' mouths ("#.#" over ".#.") are among the mouths it calls a smile
    share = pop.group_share()
    assert share.max() == 1.0 and share.min() == 0.0
