"""Make the foreign-format test fixtures with PyTorch (run once; the outputs are committed).

    pip install torch safetensors onnx onnxscript   # only for this script: nnviz never needs torch
    python -m nnviz.devtools.make_foreign_fixtures [--out tests/fixtures/foreign]

Trains, on the shipped 8×8 digits (the lessons' train split), the digits lesson's MLP
(64 → 128 → 32 → 10, ReLU) and the ``conv`` lesson's CNN (conv 8@3×3 padding 1, ReLU →
maxpool 2 → flatten → dense 10) as plain ``nn.Sequential`` models, and writes each as

- ``<name>.pt``           ``torch.save(model.state_dict(), path)`` (the zip format),
- ``<name>.safetensors``  ``safetensors.torch.save_file(model.state_dict(), path)``,
- ``<name>.onnx``         ``torch.onnx.export`` (dynamic batch axis),

plus reduced-precision copies (``mlp_fp16.pt``: float16 tensors, ``cnn_bf16.safetensors``:
bfloat16), a legacy-format file (``legacy.pt``, ``_use_new_zipfile_serialization=False``) and
a whole pickled module (``module.pt``, ``torch.save(model)``) that nnviz must refuse, and
``expected.npz``: for each model the logits PyTorch computes for the digits test split
(``logits/<name>``; the reduced-precision ones from the rounded weights, in float32) and
``accuracy/<name>``. It then checks the other direction: nnviz's ``save_safetensors`` of each
model loads into the same ``nn.Sequential`` with ``load_state_dict`` (strict) and gives the
same logits.

The MNIST models as people publish them (``_mnist_fixtures``) have their own ``expected_mnist.npz``
(each fixture under 100 KB): per fixture the logits of the first ``MNIST_LOGITS`` test images made by
the tool that made the file (torch for what torch saved or exported, onnx's reference evaluator for
graphs written with onnx's helper), ``predictions/<name>`` of all 1,000 and ``accuracy/<name>``.

This is the only place in nnviz that imports torch.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

SEED = 0
#: how many of the mnist test images' logits expected_mnist.npz keeps (all 1,000 would be 320 KB)
MNIST_LOGITS = 200
EPOCHS = {"mlp": 40, "cnn": 40}
#: the CNN's spec, as ``nnviz evaluate cnn.pt --spec cnn_spec.json`` takes it
CNN_SPEC = {"input_shape": [1, 8, 8], "layers": [
    {"type": "conv", "filters": 8, "kernel": 3, "stride": 1, "padding": 1, "activation": "relu"},
    {"type": "maxpool", "size": 2}, {"type": "flatten"}, {"type": "dense", "units": 10}],
    "output": "softmax", "bias": True}


def _models(torch):
    nn = torch.nn
    return {
        "mlp": lambda: nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 32), nn.ReLU(),
                                     nn.Linear(32, 10)),
        "cnn": lambda: nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                                     nn.Linear(128, 10)),
    }


def _inputs(torch, name, x):
    t = torch.from_numpy(x)
    return t.reshape(-1, 1, 8, 8) if name == "cnn" else t


def _train(torch, name, model, x, y):
    torch.manual_seed(SEED)
    opt = torch.optim.Adam(model.parameters(), lr=0.005)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt, yt = _inputs(torch, name, x), torch.from_numpy(y)
    g = torch.Generator().manual_seed(SEED)
    for _ in range(EPOCHS[name]):
        order = torch.randperm(len(xt), generator=g)
        for i in range(0, len(xt), 32):
            idx = order[i:i + 32]
            opt.zero_grad()
            loss_fn(model(xt[idx]), yt[idx]).backward()
            opt.step()
    return model.eval()


def _own_package_model(torch):
    """A model class from the author's own package, as ``from models import Net`` makes it: torch.save(model)
    pickles it by reference to ``models.Net`` (a module made here, so the script needs no such package)."""
    import sys
    import types

    nn = torch.nn
    models = types.ModuleType("models")

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2 = nn.Linear(4, 3), nn.Linear(3, 2)

        def forward(self, x):
            return self.fc2(torch.relu(self.fc1(x)))

    Net.__module__, Net.__qualname__ = "models", "Net"
    models.Net = Net
    sys.modules["models"] = models
    return Net()


def _drop_expected(out: Path, keys: list) -> None:
    """expected.npz (the digits models') without ``keys``: the mnist models' are in expected_mnist.npz."""
    path = out / "expected.npz"
    with np.load(path) as z:
        kept = {k: z[k] for k in z.files if k not in keys}
    np.savez_compressed(path, **kept)


def _later_fixtures(torch, out: Path, data) -> dict:
    """The fixtures added for files as people publish them, made from the committed ones where they can be
    (so the originals are not trained again): the digits MLP and CNN in the legacy format
    (``mlp_legacy.pt``, ``cnn_legacy.pt``; their logits are ``logits/mlp``, ``logits/cnn``), and whole pickled models of the author's own class ``models.Net``
    in both formats (``models_net.pt``, ``models_net_legacy.pt``), which nnviz must refuse as whole models."""
    mlp = _models(torch)["mlp"]()
    mlp.load_state_dict(torch.load(out / "mlp.pt"))
    torch.save(mlp.state_dict(), out / "mlp_legacy.pt", _use_new_zipfile_serialization=False)
    cnn = _models(torch)["cnn"]()
    cnn.load_state_dict(torch.load(out / "cnn.pt"))
    torch.save(cnn.state_dict(), out / "cnn_legacy.pt", _use_new_zipfile_serialization=False)
    net = _own_package_model(torch)
    torch.save(net, out / "models_net.pt")
    torch.save(net, out / "models_net_legacy.pt", _use_new_zipfile_serialization=False)
    report = _mnist_fixtures(torch, out)
    print(json.dumps(report, indent=1))
    return report


# --- MNIST models as people publish them (trained on the mnist lesson's 4,000 training images; logits
# and accuracy on its 1,000 test images, a sample of MNIST's real test set) ------------------------------

def _mnist_models(torch):
    nn, F = torch.nn, torch.nn.functional

    class Exported(nn.Module):
        """Everything an exporter writes around layers: the input's normalisation, BatchNorm, SiLU,
        average pooling, x.view(x.size(0), -1), GELU, Dropout, LeakyReLU, log_softmax."""

        def __init__(self):
            super().__init__()
            self.conv, self.bn = nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4)
            self.fc1, self.bn1, self.drop = nn.Linear(196, 32), nn.BatchNorm1d(32), nn.Dropout(0.25)
            self.fc2, self.fc3 = nn.Linear(32, 16), nn.Linear(16, 10)

        def forward(self, x):
            x = (x - 0.1307) / 0.3081
            x = F.avg_pool2d(F.silu(self.bn(self.conv(x))), 4)
            x = x.view(x.size(0), -1)
            x = self.drop(F.gelu(self.bn1(self.fc1(x))))
            return F.log_softmax(self.fc3(F.leaky_relu(self.fc2(x), 0.1)), dim=1)

    return {
        # the ONNX model zoo's MNIST (CNTK): 5×5 "same" convolutions, a 3×3 pool, 256 → 10
        "zoo": lambda: nn.Sequential(nn.Conv2d(1, 8, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                                     nn.Conv2d(8, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3), nn.Flatten(),
                                     nn.Linear(256, 10)),
        "nhwc": lambda: nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                                      nn.Linear(784, 10)),
        "batchless": lambda: nn.Sequential(nn.Linear(784, 16), nn.ReLU(), nn.Linear(16, 10)),
        "exported": Exported,
        "bn_cnn": lambda: nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                                        nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                                        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(784, 10)),
        "bn_mlp": lambda: nn.Sequential(nn.Linear(784, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 10)),
    }


def _train_mnist(torch, model, x, y, epochs=4):
    torch.manual_seed(SEED)
    opt = torch.optim.Adam(model.parameters(), lr=0.003)
    g = torch.Generator().manual_seed(SEED)
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=g)
        for i in range(0, len(x), 64):
            idx = order[i:i + 64]
            opt.zero_grad()
            out = model(x[idx])
            loss = torch.nn.functional.nll_loss(out, y[idx]) if out.max() <= 0 else \
                torch.nn.functional.cross_entropy(out, y[idx])
            loss.backward()
            opt.step()
    return model.eval()


def _as_inputs(inits):
    """Initializers listed as graph inputs too, as IR version 3 (opsets 1-6) requires."""
    from onnx import helper

    return [helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)) for t in inits]


def _zoo_graph(model, helper, numpy_helper, TensorProto):
    """The ONNX zoo MNIST's graph at opset 1, as CNTK wrote it: Conv with auto_pad SAME_UPPER followed by an
    Add of a (C, 1, 1) bias with broadcast=1, a Reshape (an attribute in opset 1) of the stored dense weight,
    Reshape to [1, 256], MatMul, Add; one image per batch."""
    c1, c2, fc = model[0], model[3], model[7]
    t = lambda a, n: numpy_helper.from_array(a.detach().numpy().astype(np.float32), n)  # noqa: E731
    inits = [t(c1.weight, "Parameter5"), t(c1.bias.reshape(8, 1, 1), "Parameter6"), t(c2.weight, "Parameter87"),
             t(c2.bias.reshape(16, 1, 1), "Parameter88"), t(fc.weight.T.reshape(16, 4, 4, 10), "Parameter193"),
             t(fc.bias.reshape(1, 10), "Parameter194")]
    n = helper.make_node
    nodes = [
        n("Reshape", ["Parameter193"], ["Parameter193_reshape1"], shape=[256, 10]),
        n("Conv", ["Input3", "Parameter5"], ["Convolution28_Output_0"], kernel_shape=[5, 5], strides=[1, 1],
          auto_pad="SAME_UPPER", group=1, dilations=[1, 1]),
        n("Add", ["Convolution28_Output_0", "Parameter6"], ["Plus30_Output_0"], broadcast=1),
        n("Relu", ["Plus30_Output_0"], ["ReLU32_Output_0"]),
        n("MaxPool", ["ReLU32_Output_0"], ["Pooling66_Output_0"], kernel_shape=[2, 2], strides=[2, 2],
          pads=[0, 0, 0, 0], auto_pad="NOTSET"),
        n("Conv", ["Pooling66_Output_0", "Parameter87"], ["Convolution110_Output_0"], kernel_shape=[5, 5],
          strides=[1, 1], auto_pad="SAME_UPPER", group=1, dilations=[1, 1]),
        n("Add", ["Convolution110_Output_0", "Parameter88"], ["Plus112_Output_0"], broadcast=1),
        n("Relu", ["Plus112_Output_0"], ["ReLU114_Output_0"]),
        n("MaxPool", ["ReLU114_Output_0"], ["Pooling160_Output_0"], kernel_shape=[3, 3], strides=[3, 3],
          pads=[0, 0, 0, 0], auto_pad="NOTSET"),
        n("Reshape", ["Pooling160_Output_0"], ["Pooling160_Output_0_reshape0"], shape=[1, 256]),
        n("MatMul", ["Pooling160_Output_0_reshape0", "Parameter193_reshape1"], ["Times212_Output_0"]),
        n("Add", ["Times212_Output_0", "Parameter194"], ["Plus214_Output_0"], broadcast=1),
    ]
    graph = helper.make_graph(nodes, "CNTKGraph", [helper.make_tensor_value_info("Input3", TensorProto.FLOAT,
                                                                                  [1, 1, 28, 28])] + _as_inputs(inits),
                              [helper.make_tensor_value_info("Plus214_Output_0", TensorProto.FLOAT, [1, 10])], inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 1)], producer_name="CNTK")
    m.ir_version = 3
    return m


def _nhwc_graph(model, helper, numpy_helper, TensorProto):
    """A TensorFlow exporter's graph (tf2onnx style, opset 9): an NHWC input transposed to NCHW, a Conv
    without bias then an Add of it, a Transpose back to NHWC before the flatten, MatMul and Add(bias, x)."""
    conv, fc = model[0], model[4]
    t = lambda a, n: numpy_helper.from_array(np.asarray(a, dtype=a.dtype if hasattr(a, "dtype") else None), n)  # noqa: E731
    w_hwc = fc.weight.detach().numpy().reshape(10, 4, 14, 14).transpose(0, 2, 3, 1).reshape(10, 784).T
    inits = [t(conv.weight.detach().numpy(), "conv2d/kernel"), t(conv.bias.detach().numpy().reshape(4, 1, 1), "conv2d/bias"),
             t(np.array([-1, 784], np.int64), "flatten/shape"), t(np.ascontiguousarray(w_hwc), "dense/kernel"),
             t(fc.bias.detach().numpy(), "dense/bias")]
    n = helper.make_node
    nodes = [
        n("Transpose", ["input_1"], ["conv_in"], perm=[0, 3, 1, 2]),
        n("Conv", ["conv_in", "conv2d/kernel"], ["conv_out"], kernel_shape=[3, 3], strides=[1, 1], auto_pad="SAME_UPPER",
          dilations=[1, 1]),
        n("Add", ["conv_out", "conv2d/bias"], ["conv_biased"]),
        n("Relu", ["conv_biased"], ["relu"]),
        n("MaxPool", ["relu"], ["pool"], kernel_shape=[2, 2], strides=[2, 2]),
        n("Transpose", ["pool"], ["pool_nhwc"], perm=[0, 2, 3, 1]),
        n("Reshape", ["pool_nhwc", "flatten/shape"], ["flat"]),
        n("MatMul", ["flat", "dense/kernel"], ["dense"]),
        n("Add", ["dense/bias", "dense"], ["logits"]),
        n("Softmax", ["logits"], ["probs"], axis=1),
    ]
    graph = helper.make_graph(nodes, "tf2onnx", [helper.make_tensor_value_info("input_1", TensorProto.FLOAT,
                                                                                ["N", 28, 28, 1])],
                              [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["N", 10])], inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 9)], producer_name="tf2onnx")
    m.ir_version = 5
    return m


def _batchless_graph(model, helper, numpy_helper, TensorProto):
    """One image of 784 numbers in, no batch axis (opset 6): MatMul, Add(bias, x), Relu, MatMul, Add."""
    a, b = model[0], model[2]
    t = lambda v, n: numpy_helper.from_array(np.ascontiguousarray(v.detach().numpy()), n)  # noqa: E731
    inits = [t(a.weight.T, "W1"), t(a.bias, "b1"), t(b.weight.T, "W2"), t(b.bias, "b2")]
    n = helper.make_node
    nodes = [n("MatMul", ["x", "W1"], ["h"]), n("Add", ["b1", "h"], ["hb"]), n("Relu", ["hb"], ["hr"]),
             n("MatMul", ["hr", "W2"], ["o"]), n("Add", ["o", "b2"], ["y"])]
    graph = helper.make_graph(nodes, "batchless", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [784])]
                              + _as_inputs(inits),
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [10])], inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 6)], producer_name="hand")
    m.ir_version = 3
    return m


def _bn1d_unsqueezed(m, helper):
    """An exported model whose BatchNormalization of a flat vector is wrapped in Unsqueeze / Squeeze
    (axis 2), as exporters of a BatchNorm1d wrote it before ONNX's BatchNormalization took 2-D inputs."""
    import onnx

    m2 = onnx.ModelProto()
    m2.CopyFrom(m)
    nodes = list(m2.graph.node)
    out = []
    for node in nodes:
        if node.op_type == "BatchNormalization" and node.input[0].endswith("Gemm_output_0"):
            x, y = node.input[0], node.output[0]
            out.append(helper.make_node("Unsqueeze", [x], [x + "_3d"], axes=[2]))
            node.input[0], node.output[0] = x + "_3d", y + "_3d"
            out.append(node)
            out.append(helper.make_node("Squeeze", [y + "_3d"], [y], axes=[2]))
        else:
            out.append(node)
    del m2.graph.node[:]
    m2.graph.node.extend(out)
    return m2


def _mnist_fixtures(torch, out: Path) -> dict:
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from onnx.reference import ReferenceEvaluator

    from nnviz.model.lessons import load_dataset

    data = load_dataset("mnist")
    x = torch.from_numpy(data.x_train.reshape(-1, 1, 28, 28))
    y = torch.from_numpy(data.y_train.astype(np.int64))
    x_test = data.x_test.reshape(-1, 1, 28, 28)
    expected, report = {}, {}

    def record(key, logits):
        logits = np.asarray(logits, np.float32)
        expected[f"logits/{key}"] = logits[:MNIST_LOGITS]
        expected[f"predictions/{key}"] = logits.argmax(1).astype(np.uint8)
        expected[f"accuracy/{key}"] = np.array(float((logits.argmax(1) == data.y_test).mean()))
        report[key] = float(expected[f"accuracy/{key}"])

    models = _mnist_models(torch)
    trained = {}
    for name, make in models.items():
        torch.manual_seed(SEED)
        flat = name in ("batchless", "bn_mlp")
        trained[name] = _train_mnist(torch, make(), x.reshape(-1, 784) if flat else x, y)

    def torch_logits(name):
        with torch.no_grad():
            xt = torch.from_numpy(x_test)
            return trained[name](xt.reshape(-1, 784) if name in ("batchless", "bn_mlp") else xt).numpy()

    # ONNX graphs written with onnx's helper as other exporters write them; the logits are onnx's own evaluation
    graphs = {"zoo_mnist_opset1": _zoo_graph(trained["zoo"], helper, numpy_helper, TensorProto),
              "nhwc": _nhwc_graph(trained["nhwc"], helper, numpy_helper, TensorProto),
              "batchless": _batchless_graph(trained["batchless"], helper, numpy_helper, TensorProto)}
    source = {"zoo_mnist_opset1": "zoo", "nhwc": "nhwc", "batchless": "batchless"}
    for name, m in graphs.items():
        onnx.checker.check_model(m)
        onnx.save(m, out / f"{name}.onnx")
        ours = torch_logits(source[name])
        try:
            ref = ReferenceEvaluator(m)
            feed = {"zoo_mnist_opset1": lambda i: x_test[i:i + 1], "batchless": lambda i: x_test[i].reshape(784),
                    "nhwc": lambda i: x_test[i:i + 1].transpose(0, 2, 3, 1)}[name]
            got = np.stack([np.asarray(ref.run(None, {m.graph.input[0].name: feed(i)})[0]).reshape(-1)
                            for i in range(len(x_test))])
            if name == "nhwc":  # its output is softmax: compare log-probabilities
                got, ours = np.log(got), torch.log_softmax(torch.from_numpy(ours), 1).numpy()
            report[f"{name}: onnx vs torch max diff"] = float(np.abs(got - ours).max())
            record(name, got)
        except Exception as e:  # onnx.reference lacks an operator of this opset: torch computed the same function
            report[f"{name}: onnx.reference failed"] = f"{type(e).__name__}: {str(e)[:100]}"
            record(name, ours)

    # torch's own exporters, of the model with everything around its layers
    ex = trained["exported"]
    example = torch.from_numpy(x_test[:2])
    torch.onnx.export(ex, (example,), str(out / "exported.onnx"), input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "batch"}}, opset_version=11, dynamo=False)
    torch.onnx.export(ex, (example,), str(out / "exported_dynamo.onnx"), input_names=["x"], output_names=["y"],
                      dynamic_shapes=({0: torch.export.Dim("batch")},), external_data=False)
    m = onnx.load(out / "exported.onnx")
    onnx.save(_bn1d_unsqueezed(m, helper), out / "exported_bn1d_unsqueeze.onnx")
    for name in ("exported", "exported_dynamo", "exported_bn1d_unsqueeze"):
        got = ReferenceEvaluator(str(out / f"{name}.onnx")).run(None, {"x": x_test})[0]
        # for information: onnx.reference evaluates the TorchScript exporter's opset-11 graph up to 0.11
        # away from torch (its BatchNormalization before opset 14 has a momentum, which onnx.reference
        # reads as training mode: batch statistics); the dynamo export it evaluates to 2e-5. torch made
        # all three files, so their logits are torch's
        report[f"{name}: onnx.reference vs torch max diff"] = float(np.abs(got - torch_logits("exported")).max())
        record(name, torch_logits("exported"))

    # state_dicts with BatchNorm (running statistics and num_batches_tracked)
    for name in ("bn_cnn", "bn_mlp"):
        torch.save(trained[name].state_dict(), out / f"{name}.pt")
        record(name, torch_logits(name))
    np.savez_compressed(out / "expected_mnist.npz", **expected)
    _drop_expected(out, [k for k in expected if not k.startswith("predictions/")])
    return report


def main(argv=None) -> int:
    import torch
    from safetensors.torch import load_file, save_file

    from nnviz.model.files.foreign import load_foreign
    from nnviz.model.files.foreign.safetensors_file import save_safetensors
    from nnviz.model.lessons import load_dataset

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=Path("tests/fixtures/foreign"))
    p.add_argument("--later-only", action="store_true",
                   help="make only the fixtures added later, from the committed originals (not trained again)")
    args = p.parse_args(argv)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    data = load_dataset("digits")
    if args.later_only:
        _later_fixtures(torch, out, data)
        return 0
    expected = {}
    report = {}

    def record(key, model, name):
        with torch.no_grad():
            logits = model(_inputs(torch, name, data.x_test)).numpy().astype(np.float32)
        expected[f"logits/{key}"] = logits
        acc = float((logits.argmax(1) == data.y_test).mean())
        expected[f"accuracy/{key}"] = np.array(acc)
        report[key] = acc

    for name, make in _models(torch).items():
        torch.manual_seed(SEED)
        model = _train(torch, name, make(), data.x_train, data.y_train)
        sd = model.state_dict()
        torch.save(sd, out / f"{name}.pt")
        save_file({k: v.contiguous() for k, v in sd.items()}, str(out / f"{name}.safetensors"))
        example = _inputs(torch, name, data.x_test[:2])
        torch.onnx.export(model, (example,), str(out / f"{name}.onnx"), input_names=["x"], output_names=["logits"],
                          dynamic_shapes=({0: torch.export.Dim("batch")},), external_data=False)
        record(name, model, name)
        # nnviz -> PyTorch: nnviz's export loads into the same Sequential, strictly
        saved = load_foreign(out / f"{name}.pt", activation="relu", spec=None if name == "mlp" else CNN_SPEC)
        back = out / f"_{name}_roundtrip.safetensors"
        save_safetensors(back, saved.network)
        other = make()
        other.load_state_dict(load_file(str(back)), strict=True)
        with torch.no_grad():
            diff = (other(_inputs(torch, name, data.x_test)) - model(_inputs(torch, name, data.x_test))).abs().max()
        back.unlink()
        report[f"{name} nnviz->torch max logit diff"] = float(diff)

    # reduced precision: the rounded weights, logits computed in float32
    models = _models(torch)
    mlp = models["mlp"]()
    mlp.load_state_dict(torch.load(out / "mlp.pt"))
    half = {k: v.half() for k, v in mlp.state_dict().items()}
    torch.save(half, out / "mlp_fp16.pt")
    mlp.load_state_dict({k: v.float() for k, v in half.items()})
    record("mlp_fp16", mlp.eval(), "mlp")
    cnn = models["cnn"]()
    cnn.load_state_dict(torch.load(out / "cnn.pt"))
    bf = {k: v.bfloat16().contiguous() for k, v in cnn.state_dict().items()}
    save_file(bf, str(out / "cnn_bf16.safetensors"))
    cnn.load_state_dict({k: v.float() for k, v in bf.items()})
    record("cnn_bf16", cnn.eval(), "cnn")

    # files nnviz must refuse, as PyTorch writes them
    tiny = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    torch.save(tiny.state_dict(), out / "legacy.pt", _use_new_zipfile_serialization=False)
    torch.save(tiny, out / "module.pt")

    (out / "cnn_spec.json").write_text(json.dumps(CNN_SPEC, indent=1) + "\n")
    np.savez_compressed(out / "expected.npz", **expected)
    _later_fixtures(torch, out, data)
    print(json.dumps(report, indent=1))
    for f in sorted(out.iterdir()):
        print(f"{f.name:24} {f.stat().st_size:>8,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
