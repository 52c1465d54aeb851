"""A feature-map pixel's parts (patch × kernel, Σ, bias, activation) add up to what the
network's own forward pass computes, for strides, paddings, channels and corners."""

import numpy as np
import pytest

from nnviz.model.analysis.feature_pixel import feature_pixel
from nnviz.model.core.networks import build_network


def net_and_input(input_shape, layers, seed=3):
    spec = {"input_shape": list(input_shape), "layers": layers + [{"type": "flatten"}, {"type": "dense", "units": 3}],
            "output": "softmax", "bias": True}
    net = build_network(spec, seed=seed, dtype=np.float64)
    rng = np.random.default_rng(seed)
    net.biases = [rng.normal(size=b.shape) for b in net.biases]  # non-zero: the bias must be counted
    x = rng.normal(size=int(np.prod(input_shape)))
    return net, x


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("padding", [0, 1])
def test_every_pixel_matches_forward_full(channels, stride, padding):
    conv = {"type": "conv", "filters": 4, "kernel": 3, "stride": stride, "padding": padding, "activation": "relu"}
    net, x = net_and_input((channels, 7, 6), [conv])
    zs, acts = net.forward_full(x[None])
    f, ho, wo = net.shapes[1]
    for c in range(f):
        for r in range(ho):
            for q in range(wo):
                d = feature_pixel(net, x, 1, c, r, q)
                assert d.patch.shape == d.kernel.shape == d.products.shape == (channels, 3, 3)
                np.testing.assert_array_equal(d.kernel, net.weights[0][c])
                np.testing.assert_allclose(d.products, d.patch * d.kernel, rtol=0, atol=0)
                assert d.sum == pytest.approx(d.products.sum(), abs=1e-12)
                assert d.bias == net.biases[0][c]
                assert abs(d.z - zs[0][0, c, r, q]) < 1e-6
                assert abs(d.activation - acts[1][0, c, r, q]) < 1e-6
                assert d.channel_sums.sum() == pytest.approx(d.sum, abs=1e-12)


def test_a_corner_pixel_with_padding_sees_zeros_and_a_clipped_rect():
    conv = {"type": "conv", "filters": 2, "kernel": 3, "padding": 1, "activation": "tanh"}
    net, x = net_and_input((1, 5, 5), [conv])
    img = x.reshape(5, 5)
    d = feature_pixel(net, x, 1, 1, 0, 0)
    assert d.origin == (-1, -1) and d.rect == (0, 0, 2, 2)
    np.testing.assert_array_equal(d.inside, [[False] * 3, [False, True, True], [False, True, True]])
    np.testing.assert_array_equal(d.patch[0][~d.inside], 0)
    np.testing.assert_array_equal(d.patch[0, 1:, 1:], img[:2, :2])
    assert d.function == "tanh" and d.activation == pytest.approx(np.tanh(d.z))
    d = feature_pixel(net, x, 1, 0, 4, 4)  # bottom-right: hangs over the far edges
    assert d.origin == (3, 3) and d.rect == (3, 3, 2, 2)
    np.testing.assert_array_equal(d.patch[0, :2, :2], img[3:, 3:])
    zs, _ = net.forward_full(x[None])
    assert abs(d.z - zs[0][0, 0, 4, 4]) < 1e-6


def test_stride_two_moves_the_patch_two_pixels_per_output_pixel():
    conv = {"type": "conv", "filters": 1, "kernel": 3, "stride": 2, "activation": "relu"}
    net, x = net_and_input((1, 7, 7), [conv])
    d = feature_pixel(net, x, 1, 0, 2, 1)
    assert d.origin == (4, 2) and d.rect == (4, 2, 3, 3)
    np.testing.assert_array_equal(d.patch[0], x.reshape(7, 7)[4:7, 2:5])
    assert d.inside.all()


def test_a_second_conv_layer_reads_the_pooled_maps_of_the_first():
    layers = [{"type": "conv", "filters": 3, "kernel": 3, "padding": 1, "activation": "relu"},
              {"type": "maxpool", "size": 2},
              {"type": "conv", "filters": 4, "kernel": 3, "stride": 2, "padding": 1, "activation": "sigmoid"}]
    net, x = net_and_input((1, 8, 8), layers)
    zs, acts = net.forward_full(x[None])
    for c, r, q in [(0, 0, 0), (3, 1, 1), (2, 0, 1)]:
        d = feature_pixel(net, x, 3, c, r, q)
        d2 = feature_pixel(net, x, 3, c, r, q, activations=acts)  # reusing the pass gives the same
        assert d.patch.shape == (3, 3, 3)
        np.testing.assert_array_equal(d.kernel, net.weights[1][c])
        np.testing.assert_array_equal(d.patch, d2.patch)
        assert abs(d.z - zs[2][0, c, r, q]) < 1e-6 and abs(d.activation - acts[3][0, c, r, q]) < 1e-6
    d = feature_pixel(net, x, 3, 1, 1, 1)
    assert d.origin == (1, 1)
    np.testing.assert_array_equal(d.patch, acts[2][0][:, 1:4, 1:4])


def test_lesson_sized_float32_net_agrees_to_its_precision():
    spec = {"input_shape": [1, 28, 28], "layers": [
        {"type": "conv", "filters": 8, "kernel": 5}, {"type": "maxpool", "size": 2},
        {"type": "conv", "filters": 16, "kernel": 5}, {"type": "maxpool", "size": 2},
        {"type": "flatten"}, {"type": "dense", "units": 10}], "output": "softmax", "bias": True}
    net = build_network(spec, seed=1)
    x = np.random.default_rng(0).random(784).astype(np.float32)
    zs, _ = net.forward_full(x[None])
    d = feature_pixel(net, x, 3, 5, 7, 2)
    assert d.patch.shape == (8, 5, 5)
    assert d.z == pytest.approx(float(zs[2][0, 5, 7, 2]), abs=1e-4)


def test_not_a_conv_layer_or_outside_the_map_is_refused():
    net, x = net_and_input((1, 6, 6), [{"type": "conv", "filters": 2, "kernel": 3}, {"type": "maxpool", "size": 2}])
    with pytest.raises(ValueError, match="not a convolution"):
        feature_pixel(net, x, 2, 0, 0, 0)
    with pytest.raises(ValueError, match="outside"):
        feature_pixel(net, x, 1, 0, 4, 0)


def test_the_first_layer_reads_the_input_after_the_models_transform():
    """With ``input_transform`` the patch is (x·S − mean)/std, so the sum is the map's own value."""
    conv = {"type": "conv", "filters": 2, "kernel": 3, "activation": "leaky_relu", "negative_slope": 0.2}
    net, x = net_and_input((2, 5, 5), [conv])
    spec = dict(net.spec, input_transform={"scale": 255.0, "mean": [30.0, 90.0], "std": [70.0, 40.0]})
    moved = build_network(spec, dtype=np.float64)
    moved.set_parameters(net.weights, net.biases)
    zs, acts = moved.forward_full(x[None])
    d = feature_pixel(moved, x, 1, 1, 2, 1)
    np.testing.assert_allclose(d.patch[1], (x.reshape(2, 5, 5)[1, 2:5, 1:4] * 255 - 90) / 40, rtol=1e-12)
    assert abs(d.z - zs[0][0, 1, 2, 1]) < 1e-9 and abs(d.activation - acts[1][0, 1, 2, 1]) < 1e-9
