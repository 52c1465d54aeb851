"""ONNX export of batch norm, average pooling, the added activations and the input transform,
run by onnx's own reference evaluator: its logits are nnviz's."""

import numpy as np
import pytest

from nnviz.model.core.networks import build_network
from nnviz.model.files.foreign.onnx_file import onnx_bytes
from tests.model.files.test_new_layer_files import BN_SPEC

onnx = pytest.importorskip("onnx")
from onnx.reference import ReferenceEvaluator  # noqa: E402

DENSE = {"type": "dense", "units": 10}
CASES = {
    "bn-cnn, raw 0-255 normalised": dict(BN_SPEC, input_transform={"scale": 255.0, "mean": [33.3], "std": [78.6]}),
    "mlp, every new activation": {"input_shape": [64], "layers": [
        {"type": "dense", "units": 12, "activation": "gelu"}, {"type": "dense", "units": 12, "activation": "silu"},
        {"type": "dense", "units": 12, "activation": "elu"},
        {"type": "dense", "units": 12, "activation": "leaky_relu", "negative_slope": 0.2},
        {"type": "batchnorm", "mean": [0.3] * 12, "var": [2.0] * 12}, DENSE],
        "input_transform": {"mean": [0.5], "std": [0.25]}},
    "3 channels, per-channel transform, flat rows": {"input_shape": [3, 4, 4], "layers": [
        {"type": "flatten"}, {"type": "batchnorm", "activation": "gelu"}, DENSE],
        "input_transform": {"scale": 2.0, "mean": [0.1, 0.2, 0.3], "std": [0.5, 1.5, 2.5]}},
    "3 channels, per-channel transform, maps": {"input_shape": [3, 6, 6], "layers": [
        {"type": "conv", "filters": 4, "kernel": 3, "activation": "silu"}, {"type": "avgpool", "size": 2},
        {"type": "batchnorm", "activation": "leaky_relu"}, {"type": "flatten"}, DENSE],
        "input_transform": {"mean": [0.1, 0.2, 0.3], "std": [0.5, 1.5, 2.5]}, "output": "sigmoid"},
}


def varied(spec):
    """The network with biases, γ and running statistics away from their defaults."""
    net = build_network(spec, seed=2)
    rng = np.random.default_rng(0)
    for w, b in zip(net.weights, net.biases):
        b[:] = rng.normal(scale=0.3, size=b.shape)
        if w.ndim == 1:
            w[:] = rng.normal(1.0, 0.3, size=w.shape)
    return net


@pytest.mark.parametrize("name", list(CASES))
def test_the_onnx_export_gives_nnvizs_logits_under_onnx_reference(name):
    net = varied(CASES[name])
    model = onnx.load_from_string(onnx_bytes(net))
    onnx.checker.check_model(model, full_check=True)
    rng = np.random.default_rng(1)
    X = rng.random((40, net.sizes[0])).astype(np.float32)
    feed = X.reshape([-1] + [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim[1:]])
    ops = {n.op_type for n in model.graph.node}
    logits_name = model.graph.node[-1].input[0]  # what the output activation reads
    logits, probs = ReferenceEvaluator(model).run([logits_name, "y"], {"x": feed})
    z, a = net.output_full(X)
    assert np.abs(logits - z).max() < 1e-5 and np.abs(probs - a).max() < 1e-6
    if "transform" in name:
        assert {"Sub", "Div"} <= ops
    if "bn" in name or "batchnorm" in str(CASES[name]):
        assert "BatchNormalization" in ops


def test_the_transform_nodes_come_first_and_only_those_needed():
    net = build_network(dict(BN_SPEC, input_transform={"scale": 255.0}))
    model = onnx.load_from_string(onnx_bytes(net))
    assert [n.op_type for n in model.graph.node[:2]] == ["Mul", "Conv"]  # no Sub/Div for mean 0, std 1
    assert model.opset_import[0].version == 15  # eval-mode BatchNormalization (see onnx_bytes)
