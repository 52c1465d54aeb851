import numpy as np
import pytest

from nnviz.model.errors import SettingsError
from nnviz.model.core.network import Network


def test_shapes_follow_the_3blue1brown_convention():
    net = Network([784, 16, 16, 10], hidden="sigmoid", output="softmax")
    assert [w.shape for w in net.weights] == [(16, 784), (16, 16), (10, 16)]
    assert [b.shape for b in net.biases] == [(16,), (16,), (10,)]
    assert net.n_parameters == 13_002  # 3Blue1Brown's count
    assert all(w.dtype == np.float32 and w.flags.c_contiguous for w in net.weights)


def test_row_k_holds_the_incoming_weights_of_neuron_k():
    net = Network([3, 2], hidden="linear", output="linear", bias=False, init="zeros")
    net.weights[0][1] = [1, 2, 3]  # neuron 1 listens to the inputs with weights 1, 2, 3
    out = net.forward(np.array([[1.0, 1.0, 1.0]]))[-1]
    np.testing.assert_allclose(out, [[0.0, 6.0]])


def test_forward_returns_every_layer_input_first():
    net = Network([4, 5, 3], hidden="relu", output="softmax", seed=1)
    X = np.random.default_rng(0).random((7, 4)).astype(np.float32)
    acts = net.forward(X)
    assert [a.shape for a in acts] == [(7, 4), (7, 5), (7, 3)]
    np.testing.assert_array_equal(acts[0], X)
    assert (acts[1] >= 0).all()
    np.testing.assert_allclose(acts[2].sum(axis=1), 1.0, rtol=1e-6)
    # independent reference: the matrix form a' = f(W a + b)
    h = np.maximum(X @ net.weights[0].T + net.biases[0], 0)
    z = h @ net.weights[1].T + net.biases[1]
    p = np.exp(z - z.max(1, keepdims=True))
    np.testing.assert_allclose(acts[2], p / p.sum(1, keepdims=True), rtol=1e-5)


def test_init_is_seeded_and_fits_the_activation():
    a = Network([64, 128, 32, 10], hidden="relu", seed=5)
    b = Network([64, 128, 32, 10], hidden="relu", seed=5)
    c = Network([64, 128, 32, 10], hidden="relu", seed=6)
    assert all(np.array_equal(x, y) for x, y in zip(a.weights, b.weights))
    assert not np.array_equal(a.weights[0], c.weights[0])
    assert a.weights[0].std() == pytest.approx(np.sqrt(2 / 64), rel=0.1)  # He
    s = Network([784, 16, 10], hidden="sigmoid", seed=0)
    assert np.abs(s.weights[0]).max() <= np.sqrt(6 / 800) + 1e-6  # Glorot uniform
    z = Network([12, 1], hidden="linear", output="linear", init="zeros", bias=False)
    assert not z.weights[0].any()


@pytest.mark.parametrize("kwargs", [dict(sizes=[4]), dict(sizes=[4, 0, 2]), dict(sizes=[4, 2], hidden="swish"),
                                    dict(sizes=[4, 2], output="relu")])
def test_bad_architectures_are_rejected_with_a_clear_error(kwargs):
    with pytest.raises(SettingsError):
        Network(**kwargs)


def test_wrong_input_width_is_a_clear_error():
    with pytest.raises(SettingsError, match="does not fit 4 input"):
        Network([4, 2]).forward(np.zeros((1, 5)))


def test_set_parameters_checks_shapes():
    net = Network([4, 3, 2])
    with pytest.raises(SettingsError, match="layer 2"):
        net.set_parameters([np.zeros((3, 4)), np.zeros((3, 3))], [np.zeros(3), np.zeros(2)])
