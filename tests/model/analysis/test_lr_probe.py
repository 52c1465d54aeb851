"""Learning-rate probe: first-order for tiny steps, overshoot for huge ones, never crashes."""

import math

import numpy as np
import pytest

from nnviz.model.lessons import get_lesson
from nnviz.model.analysis.lr_probe import (CONV_PROBE_SAMPLE, PROBE_SAMPLE, default_rates, loss_after_step, probe_learning_rates,
                                  probe_snapshot)
from nnviz.model.analysis.nudge_vs_gradient import training_sample
from nnviz.model.core.network import Network
from nnviz.model.core.settings import MAX_LEARNING_RATE


def test_default_rates_are_log_spaced_from_1e_4_to_the_largest_rate_the_setting_takes():
    r = default_rates()
    assert r[0] == pytest.approx(1e-4) and r[-1] == pytest.approx(MAX_LEARNING_RATE) and r.max() <= MAX_LEARNING_RATE
    np.testing.assert_allclose(np.diff(np.log10(r)), 0.2)


def float64_net(seed=0):
    return Network([8, 6, 3], hidden="sigmoid", output="softmax", seed=seed, dtype=np.float64)


def test_tiny_rate_lowers_the_loss_by_rate_times_gradient_norm_squared():
    rng = np.random.default_rng(0)
    X, Y = rng.random((20, 8)), rng.integers(0, 3, 20)
    net = float64_net()
    p = probe_learning_rates(net, X, Y, "cross_entropy", 1e-4, rates=[1e-5, 1e-4, 1e3])
    _, dW, db = net.gradients(X, Y, "cross_entropy")
    g2 = sum(float((g ** 2).sum()) for g in dW + db)  # independent |g|², weights and biases
    assert p.grad_norm_sq == pytest.approx(g2, rel=1e-12)
    for rate, loss in zip(p.rates[:2], p.losses[:2]):
        assert p.base_loss - loss == pytest.approx(rate * g2, rel=1e-3)
    assert p.losses[2] > p.base_loss  # a huge step overshoots
    assert p.current_loss == p.losses[1]  # the same rate through the same function
    full = probe_learning_rates(net, X, Y, "cross_entropy", 1e-4)
    assert full.best_rate > 0.1 and full.verdict() == "crawls"
    assert probe_learning_rates(net, X, Y, "cross_entropy", full.best_rate).verdict() == "good"


def test_huge_rate_raises_the_loss_on_a_real_lesson_and_blowups_stay_inf_or_nan():
    t = get_lesson("smile").build(seed=0)
    t.step()
    snap = t.snapshot(lesson="smile")
    p = probe_snapshot(snap, t.dataset)
    assert p.losses[-1] > 100 * p.base_loss
    assert np.isfinite(p.losses).all()
    # linear model with MSE: L(w − r·g) is an exact parabola in r, checkable by hand
    X, y = t.dataset.x_train.astype(np.float64), t.dataset.y_train[:, 0].astype(np.float64)
    w = t.network.weights[0][0].astype(np.float64)
    g = 2 / 4 * X.T @ (X @ w - y)
    ref = [np.mean((X @ (w - r * g) - y) ** 2) for r in p.rates]
    np.testing.assert_allclose(p.losses, ref, rtol=1e-4)
    assert p.best_rate == pytest.approx(p.rates[np.argmin(ref)])
    assert p.current_rate == 0.1 and p.current_loss == pytest.approx(np.mean((X @ (w - .1 * g) - y) ** 2))
    # a float32 network pushed 1e30 along its gradient overflows: kept as inf/NaN, no exception
    net = t.network.copy()
    _, dW, db = net.gradients(X, t.dataset.y_train, "mse")
    with np.errstate(all="raise"):
        huge = loss_after_step(net, dW, X, t.dataset.y_train, "mse", 1e38)
    assert not math.isfinite(huge)
    p = probe_learning_rates(net, X, t.dataset.y_train, "mse", 1e38, rates=[1e-3, 1e38])
    assert math.isfinite(p.losses[0]) and not math.isfinite(p.losses[1])
    assert p.verdict() == "explodes"


def test_verdicts_on_mnist_sample_and_network_unchanged():
    t = get_lesson("mnist").build(seed=0)
    for _ in range(3):
        t.step()
    snap = t.snapshot(lesson="mnist")
    X, Y = training_sample(t.dataset, PROBE_SAMPLE)
    assert len(X) == PROBE_SAMPLE
    before = [w.copy() for w in t.network.weights]
    p = probe_snapshot(snap, t.dataset)
    for w, w0 in zip(t.network.weights, before):
        np.testing.assert_array_equal(w, w0)
    assert p.base_loss == pytest.approx(t.network.loss(X, Y, "cross_entropy"))
    assert p.current_rate == 0.5
    assert p.best_loss < p.base_loss < p.losses[-1]
    assert p.verdict() in ("good", "crawls")
    over = probe_learning_rates(t.network, X, Y, "cross_entropy", 100.0)
    assert over.verdict() in ("overshoots", "explodes")


def test_a_conv_stack_is_probed_on_a_smaller_fixed_sample_and_says_so():
    t = get_lesson("conv").build(seed=0)
    t.step()
    p = probe_snapshot(t.snapshot(lesson="conv"), t.dataset)
    X, Y = training_sample(t.dataset, CONV_PROBE_SAMPLE)
    assert p.n_examples == len(X) == CONV_PROBE_SAMPLE < PROBE_SAMPLE
    assert p.base_loss == pytest.approx(t.network.loss(X, Y, "cross_entropy"), rel=1e-6)
