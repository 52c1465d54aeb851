"""Analytic gradients against central finite differences, in float64, for every pairing."""

import itertools

import numpy as np
import pytest

from nnviz.model.core.functions import HIDDEN_ACTIVATIONS, LOSS_FUNCTIONS, LOSSES, output_loss_and_delta
from nnviz.model.core.network import Network

PAIRS = [("softmax", "cross_entropy"), ("sigmoid", "cross_entropy"), ("linear", "cross_entropy"),
         ("softmax", "mse"), ("sigmoid", "mse"), ("linear", "mse")]


def _data(rng, n, n_in, k, loss):
    X = rng.normal(size=(n, n_in))
    if loss == "cross_entropy":
        return X, rng.integers(0, k, size=n)
    return X, rng.normal(size=(n, k))


def numeric_gradient(net, X, Y, loss, param, eps=1e-6):
    grad = np.zeros_like(param)
    for idx in np.ndindex(param.shape):
        old = param[idx]
        param[idx] = old + eps
        up = net.loss(X, Y, loss)
        param[idx] = old - eps
        down = net.loss(X, Y, loss)
        param[idx] = old
        grad[idx] = (up - down) / (2 * eps)
    return grad


@pytest.mark.parametrize("hidden,pair", list(itertools.product(HIDDEN_ACTIVATIONS, PAIRS)))
def test_backprop_matches_finite_differences(hidden, pair):
    output, loss = pair
    rng = np.random.default_rng(1)
    net = Network([5, 4, 3, 3], hidden=hidden, output=output, seed=3, dtype=np.float64)
    # non-zero biases, and inputs that keep ReLU units away from the kink at 0
    for b in net.biases:
        b[:] = rng.normal(scale=0.5, size=b.shape)
    X, Y = _data(rng, 6, 5, 3, loss)
    value, dW, db = net.gradients(X, Y, loss)
    assert value == pytest.approx(net.loss(X, Y, loss))
    for w, g in zip(net.weights, dW):
        np.testing.assert_allclose(g, numeric_gradient(net, X, Y, loss, w), rtol=1e-5, atol=1e-8)
    for b, g in zip(net.biases, db):
        np.testing.assert_allclose(g, numeric_gradient(net, X, Y, loss, b), rtol=1e-5, atol=1e-8)


def test_every_loss_setting_is_a_registered_function_and_every_pairing_is_tested():
    assert LOSSES == tuple(LOSS_FUNCTIONS) == ("cross_entropy", "mse")
    assert {loss for _, loss in PAIRS} == set(LOSSES)
    z = np.zeros((2, 3))
    with pytest.raises(ValueError, match="unknown loss 'hinge'; choose one of cross_entropy, mse"):
        output_loss_and_delta("softmax", "hinge", z, z, np.array([0, 1]))


def test_mse_is_mean_over_batch_and_outputs():
    net = Network([2, 2], hidden="linear", output="linear", bias=False, init="zeros", dtype=np.float64)
    X = np.ones((4, 2))
    Y = np.full((4, 2), 3.0)
    assert net.loss(X, Y, "mse") == pytest.approx(9.0)


def test_softmax_cross_entropy_known_value():
    # logits 2.0, 1.0, 0.1 -> probabilities 0.66, 0.24, 0.10 (the talk's example)
    net = Network([3, 3], hidden="linear", output="softmax", bias=False, dtype=np.float64)
    net.weights[0][:] = np.eye(3)
    p = net.predict(np.array([[2.0, 1.0, 0.1]]))[0]
    np.testing.assert_allclose(p, [0.659, 0.242, 0.099], atol=1e-3)
    assert net.loss(np.array([[2.0, 1.0, 0.1]]), np.array([0]), "cross_entropy") == pytest.approx(-np.log(p[0]))


def test_no_bias_means_zero_bias_gradient_and_untouched_biases():
    net = Network([4, 3, 2], bias=False, seed=0, dtype=np.float64)
    rng = np.random.default_rng(0)
    _, _, db = net.gradients(rng.normal(size=(5, 4)), rng.integers(0, 2, 5))
    assert all(not g.any() for g in db)
