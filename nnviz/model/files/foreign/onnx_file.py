"""ONNX models: the graph gives the architecture. Needs the optional ``onnx`` package
(``pip install 'nnviz[onnx]'``), imported only when an ONNX file is opened or written.

The graph must be one chain from its single input to its single output, of the
operators a layer stack maps onto: Gemm (or MatMul + Add), Conv, Relu / Sigmoid / Tanh,
MaxPool, Flatten / Reshape (to ``[batch, n]``), Softmax last; Constant and Identity
nodes are followed through. Anything else is refused naming the operator; so are
tensors kept in external data files (the ``location`` of one is a path, and path
traversal through it has been a recurring ONNX vulnerability: nnviz never opens it),
attributes nnviz's layers do not have (strides ≠ 1 on a conv, dilations, groups,
overlapping pooling, ceil mode), and tensors whose declared size their bytes do not
match. Weights are read from the protobuf by nnviz itself (sizes checked first), float16
and bfloat16 widened to float32. Gemm's ``transB=1`` weights are PyTorch's ``(out, in)``;
MatMul's ``(in, out)`` are transposed.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ...core.layers import parse_spec
from ...errors import DataFormatError
from ...storage.atomic import atomic_write
from .reading import MAX_DIMS, MAX_TENSOR_BYTES, MAX_TENSORS, bfloat16_to_float32, fail, read_capped, widen
from .spec_inference import INPUT_SHAPES, Param, sequential_keys

WHAT = "an ONNX model"
INSTALL = "pip install 'nnviz[onnx]'"
MAX_NODES = 4096
#: TensorProto data types nnviz reads -> (NumPy dtype, the repeated field holding them when not raw)
_TYPES = {1: ("<f4", "float_data"), 10: ("<f2", "int32_data"), 16: ("bf16", "int32_data"),
          11: ("<f8", "double_data"), 7: ("<i8", "int64_data"), 6: ("<i4", "int32_data")}
_ACTIVATIONS = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh"}


def _onnx(path):
    try:  # optional, and ~0.8 s to import: only when an ONNX file is read or written
        import onnx
    except ImportError:
        fail(path, f"is an ONNX model; opening ONNX files needs the onnx package: {INSTALL}")
    return onnx


def _array(path: Path, t) -> np.ndarray:
    """A TensorProto's values, its declared size checked against the bytes before anything is built."""
    if t.data_location == 1 or len(t.external_data):
        where = next((e.value for e in t.external_data if e.key == "location"), "?")
        fail(path, f"keeps tensor {t.name[:60]!r} in an external file ({where[:60]!r}); nnviz never opens files "
                   "an ONNX model points to: export with external_data=False")
    if t.data_type not in _TYPES:
        fail(path, f"holds tensor {t.name[:60]!r} of ONNX type {t.data_type}, which nnviz does not read")
    dims = list(t.dims)
    if len(dims) > MAX_DIMS or any(d < 0 for d in dims):
        fail(path, f"holds tensor {t.name[:60]!r} with an invalid shape")
    kind, field = _TYPES[t.data_type]
    itemsize = 2 if kind == "bf16" else np.dtype(kind).itemsize
    n = math.prod(dims)
    if n * itemsize > MAX_TENSOR_BYTES:
        fail(path, f"declares tensor {t.name[:60]!r} of {n:,} numbers, far more than nnviz opens")
    if t.raw_data:
        if len(t.raw_data) != n * itemsize:
            fail(path, f"declares tensor {t.name[:60]!r} of shape {tuple(dims)} but holds {len(t.raw_data):,} "
                       "bytes for it: the file is damaged")
        a = np.frombuffer(t.raw_data, dtype="<u2" if kind == "bf16" else kind)
    else:
        values = getattr(t, field)
        if len(values) != n:
            fail(path, f"declares tensor {t.name[:60]!r} of shape {tuple(dims)} but holds {len(values):,} numbers")
        if kind in ("<f2", "bf16"):
            a = np.array(values, dtype=np.int64).astype("<u2")
            a = a if kind == "bf16" else a.view("<f2")
        else:
            a = np.array(values, dtype=kind)
    a = bfloat16_to_float32(a) if kind == "bf16" else a
    return widen(np.array(a.reshape(dims), dtype=a.dtype.newbyteorder("=")))


def _attrs(onnx, node) -> dict:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _check_attrs(path, node, attrs: dict, allowed: dict) -> None:
    """Every attribute of ``node`` is one nnviz supports with a value ``allowed[name](value)`` accepts."""
    for name, value in attrs.items():
        ok = allowed.get(name)
        if ok is None or not ok(value):
            fail(path, f"has a {node.op_type} node with {name}={str(value)[:40]}, which nnviz's layers do not have")


def _square(v) -> bool:
    return len(v) == 2 and v[0] == v[1]


def read_onnx(path: str | Path) -> tuple[dict, list[Param]]:
    """(spec, parameter layers) of an ONNX model; a DataFormatError naming the file and the
    operator or problem for anything nnviz cannot show as a layer stack."""
    path = Path(path)
    try:
        return _read_onnx(path)
    except (IndexError, KeyError, ValueError, TypeError, AttributeError, OverflowError) as e:
        # a node missing an input or an attribute of the wrong kind (the checks above name the usual ones)
        fail(path, f"has a malformed graph ({type(e).__name__}: {str(e)[:120]})")


def _read_onnx(path: Path) -> tuple[dict, list[Param]]:
    raw = read_capped(path, WHAT)
    onnx = _onnx(path)
    from google.protobuf.message import DecodeError  # comes with onnx

    model = onnx.ModelProto()
    try:
        model.ParseFromString(raw)
    except (DecodeError, ValueError, RuntimeError, RecursionError) as e:
        fail(path, f"is not {WHAT} (damaged or another format: {str(e)[:120]})")
    g = model.graph
    opsets = [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")]
    if not opsets or not 7 <= opsets[0] <= 100:
        # every ONNX model declares it (it is the last field torch writes: a file cut short has none)
        fail(path, f"is not {WHAT} nnviz reads (no operator set version, or one outside 7…100: damaged?)")
    if not g.node:
        fail(path, f"is not {WHAT} (its graph has no operators)")
    if len(g.node) > MAX_NODES or len(g.initializer) > MAX_TENSORS:
        fail(path, "has far more operators or tensors than a network nnviz shows")
    if len(g.sparse_initializer):
        fail(path, "holds sparse tensors, which nnviz does not read")
    consts = {t.name: t for t in g.initializer}
    inputs = [i for i in g.input if i.name not in consts]
    if len(inputs) != 1 or len(g.output) != 1:
        fail(path, f"has {len(inputs)} inputs and {len(g.output)} outputs; nnviz opens networks of one image "
                   "in and one answer out")
    dims = inputs[0].type.tensor_type.shape.dim
    shape = [d.dim_value if d.HasField("dim_value") else 0 for d in dims][1:]
    if len(shape) not in (1, 3) or any(s <= 0 for s in shape) or math.prod(shape) > 10_000_000:
        fail(path, f"has an input of shape {shape} (after the batch axis); nnviz reads [n] or [channels, "
                   "height, width]")
    input_shape = INPUT_SHAPES.get(shape[0], shape) if len(shape) == 1 else shape
    values: dict[str, np.ndarray] = {}

    def tensor(name, what):
        if name in values:
            return values[name]
        if name not in consts:
            fail(path, f"has a {what} that is computed, not stored (input {name[:60]!r}); nnviz opens plain "
                       "chains of layers")
        values[name] = _array(path, consts[name])
        return values[name]

    cur, layers, params, output, prev_op = inputs[0].name, [], [], None, None
    for node in g.node:
        op, attrs = node.op_type, _attrs(onnx, node)
        if node.domain not in ("", "ai.onnx"):
            fail(path, f"uses the operator {node.domain}.{op}, which nnviz does not know")
        if op == "Constant":
            if len(node.output) != 1 or not isinstance(attrs.get("value"), onnx.TensorProto):
                fail(path, "has a Constant node nnviz cannot read")
            consts[node.output[0]] = attrs["value"]
            continue
        if op == "Identity" and node.input and node.input[0] != cur:
            if node.input[0] in consts:
                consts[node.output[0]] = consts[node.input[0]]
                continue
        if output is not None:
            fail(path, f"has a {op} node after its {output} output; nnviz opens a chain ending in the output layer")
        if not node.input or node.input[0] != cur or len(node.output) != 1:
            fail(path, f"has a {op} node that does not read the previous layer's output: the graph branches, and "
                       "nnviz opens plain chains of layers")
        last = layers[-1] if layers else None
        if op == "Identity":
            pass
        elif op in ("Gemm", "MatMul"):
            if op == "Gemm":
                _check_attrs(path, node, attrs, {"alpha": lambda v: v == 1, "beta": lambda v: v == 1,
                                                 "transA": lambda v: v == 0, "transB": lambda v: v in (0, 1)})
            if len(node.input) not in (2, 3) or op == "MatMul" and len(node.input) != 2:
                fail(path, f"has a {op} node with {len(node.input)} inputs")
            w = tensor(node.input[1], f"{op} weight")
            if w.ndim != 2:
                fail(path, f"has a {op} weight of shape {w.shape}, not a matrix")
            w = w if op == "Gemm" and attrs.get("transB", 0) == 1 else w.T
            b, bname = None, None
            if len(node.input) == 3 and node.input[2]:
                bname = node.input[2]
                b = tensor(bname, "Gemm bias").reshape(-1)
            layers.append({"type": "dense", "units": int(w.shape[0]), "activation": "linear"})
            params.append(Param(node.input[1], np.ascontiguousarray(w), bname, b))
        elif op == "Add":
            p = params[-1] if params else None
            if last is None or last["type"] != "dense" or p.bias is not None or len(node.input) != 2 \
                    or prev_op not in ("MatMul", "Gemm"):
                fail(path, "has an Add node that is not a dense layer's bias (nnviz opens MatMul + Add only)")
            p.bias_name, p.bias = node.input[1], tensor(node.input[1], "bias").reshape(-1)
        elif op == "Conv":
            _check_attrs(path, node, attrs, {
                "kernel_shape": _square, "strides": lambda v: _square(v), "group": lambda v: v == 1,
                "dilations": lambda v: list(v) == [1, 1], "auto_pad": lambda v: v in (b"NOTSET", "NOTSET"),
                "pads": lambda v: len(v) == 4 and len(set(v)) == 1})
            if len(node.input) not in (2, 3):
                fail(path, f"has a Conv node with {len(node.input)} inputs")
            w = tensor(node.input[1], "Conv weight")
            if w.ndim != 4 or w.shape[2] != w.shape[3]:
                fail(path, f"has a Conv weight of shape {w.shape}; nnviz opens square 2-D kernels")
            bname = node.input[2] if len(node.input) > 2 and node.input[2] else None
            b = tensor(bname, "Conv bias").reshape(-1) if bname else None
            layers.append({"type": "conv", "filters": int(w.shape[0]), "kernel": int(w.shape[2]),
                           "stride": int(attrs.get("strides", [1, 1])[0]),
                           "padding": int(attrs.get("pads", [0] * 4)[0]), "activation": "linear"})
            params.append(Param(node.input[1], w, bname, b))
        elif op in _ACTIVATIONS:
            if last is None or last.get("activation") != "linear" or prev_op not in ("Gemm", "MatMul", "Add", "Conv"):
                fail(path, f"has a {op} node that does not follow a dense or conv layer")
            last["activation"] = _ACTIVATIONS[op]
        elif op == "MaxPool":
            k = attrs.get("kernel_shape", [])
            _check_attrs(path, node, attrs, {
                "kernel_shape": _square, "strides": lambda v, k=k: list(v) == list(k), "ceil_mode": lambda v: v == 0,
                "dilations": lambda v: list(v) == [1, 1], "pads": lambda v: not any(v),
                "auto_pad": lambda v: v in (b"NOTSET", "NOTSET"), "storage_order": lambda v: v == 0})
            if "strides" not in attrs and list(k) != [1, 1]:
                fail(path, "has a MaxPool node whose windows overlap (strides 1); nnviz pools non-overlapping windows")
            layers.append({"type": "maxpool", "size": int(k[0])})
        elif op in ("Flatten", "Reshape"):
            if op == "Flatten":
                _check_attrs(path, node, attrs, {"axis": lambda v: v == 1})
            else:
                _check_attrs(path, node, attrs, {"allowzero": lambda v: v in (0, 1)})
                target = tensor(node.input[1], "Reshape shape") if len(node.input) == 2 else np.zeros(0)
                if target.ndim != 1 or len(target) != 2 or target[1] <= 0:
                    fail(path, f"has a Reshape to {target.tolist()[:8]}; nnviz reads only a flatten to [batch, n]")
            layers.append({"type": "flatten"})
        elif op == "Softmax":
            _check_attrs(path, node, attrs, {"axis": lambda v: v in (-1, 1)})
            output = "softmax"
        else:
            fail(path, f"uses the operator {op}, which nnviz does not show (it opens Gemm, MatMul + Add, Conv, Relu, "
                       "Sigmoid, Tanh, MaxPool, Flatten, Reshape and Softmax)")
        prev_op = op
        cur = node.output[0]
    if cur != g.output[0].name:
        fail(path, "has an output that is not the end of its chain of layers")
    while layers and layers[-1]["type"] == "flatten" and len(layers) > 1 and layers[-2]["type"] == "dense":
        layers.pop()  # a reshape of an already flat output
    if not layers or layers[-1]["type"] != "dense":
        fail(path, "does not end in a dense (Gemm or MatMul) layer, which nnviz needs as its output layer")
    head = layers[-1].pop("activation")
    if output is None:
        output = {"linear": "softmax" if layers[-1]["units"] > 1 else "linear", "sigmoid": "sigmoid"}.get(head)
        if output is None:
            fail(path, f"ends in {head}, which nnviz has no output layer for")
    elif head != "linear":
        fail(path, f"applies {head} and then Softmax to its output")
    # a flatten before a dense layer that reads a flat vector already is PyTorch's view(-1, n): drop it
    cleaned, flat = [], len(input_shape) == 1
    for e in layers:
        if e["type"] == "flatten":
            if flat:
                continue
            flat = True
        elif e["type"] in ("conv", "maxpool"):
            flat = False
        cleaned.append(e)
    bias = bool(params) and all(p.bias is not None for p in params)
    spec = {"input_shape": list(input_shape), "layers": cleaned, "output": output, "bias": bias}
    if not bias:
        for p in params:
            if p.bias is not None and np.any(p.bias):
                fail(path, "has biases in some layers but not in others; nnviz's networks have them in all or none")
            p.bias = p.bias_name = None
    return spec, params


def onnx_bytes(net) -> bytes:
    """``net`` as an ONNX model (opset 13; 15 with batch norm): its input transform as Mul / Sub / Div, then Conv / Gemm /
    BatchNormalization, each followed by its activation (Relu, Sigmoid, Tanh, LeakyRelu, Elu; GELU as
    its erf formula, SiLU as x·Sigmoid(x): opset 13 has neither), MaxPool / AveragePool / Flatten, then
    the output activation (Softmax, Sigmoid), with a dynamic batch axis; the tensors named as
    ``sequential_keys``."""
    _onnx("ONNX export")  # a clear message where the package is missing
    from onnx import TensorProto, helper, numpy_helper  # imported only now: see _onnx

    spec = net.spec
    input_shape, layers, output, bias = parse_spec(spec)
    flat_in = layers[0].type in ("dense", "flatten")
    x_shape = ["batch", math.prod(input_shape)] if flat_in else ["batch", *input_shape]
    nodes, inits = [], []

    def const(name, values):  # an initializer, once per name (GELU's constants are shared)
        if all(t.name != name for t in inits):
            inits.append(numpy_helper.from_array(np.asarray(values, dtype=np.float32), name))
        return name

    cur = _transform_nodes(net, input_shape, flat_in, helper, nodes, const)
    keys = iter(zip(sequential_keys(spec), net.weights, net.biases))
    for i, layer in enumerate(layers):
        out = f"layer{i}"
        if layer.weight_shape is not None:
            (wk, bk), w, b = next(keys)
            ins = [cur, const(wk, w)]
            if bk is not None:
                ins.append(const(bk, b))
            if layer.type == "conv":
                p = layer.padding
                nodes.append(helper.make_node("Conv", ins, [out], kernel_shape=[layer.kernel] * 2,
                                              strides=[layer.stride] * 2, pads=[p] * 4))
            elif layer.type == "batchnorm":
                if bk is None:  # a network without biases: β = 0
                    ins.append(const(f"{i}.zero_bias", np.zeros(layer.channels)))
                ins += [const(f"{i}.running_mean", layer.mean), const(f"{i}.running_var", layer.var)]
                nodes.append(helper.make_node("BatchNormalization", ins, [out], epsilon=layer.eps))
            else:
                nodes.append(helper.make_node("Gemm", ins, [out], transB=1))
            out = _activation_nodes(layer, out, helper, nodes, const)
        elif layer.type in ("maxpool", "avgpool"):
            op = "MaxPool" if layer.type == "maxpool" else "AveragePool"
            nodes.append(helper.make_node(op, [cur], [out], kernel_shape=[layer.size] * 2,
                                          strides=[layer.size] * 2))
        elif i > 0 or not flat_in:
            nodes.append(helper.make_node("Flatten", [cur], [out], axis=1))
        else:
            continue
        cur = out
    nodes[-1].output[0] = "y"
    graph = helper.make_graph(nodes, "nnviz", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", net.sizes[-1]])],
                              inits)
    # BatchNormalization's opset-14 form says eval mode outright (training_mode 0); before it, a
    # default momentum attribute reads as "training" to some runtimes (onnx.reference among them)
    opset = 15 if any(layer.type == "batchnorm" for layer in layers) else 13
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="nnviz")
    model.ir_version = 8
    return model.SerializeToString()


def _transform_nodes(net, input_shape, flat_in: bool, helper, nodes: list, const) -> str:
    """Mul (scale), Sub (mean), Div (std) on the input ``x`` for the network's input transform, each
    only when it changes something; per-channel constants shaped to broadcast over ``x`` (C×1×1 for
    a map, repeated along the flat rows otherwise). Returns the name of what the first layer reads."""
    t = getattr(net, "transform", None)
    if t is None:
        return "x"
    channels = input_shape[0] if len(input_shape) == 3 else 1
    pixels = math.prod(input_shape) // channels

    def shaped(values):
        v = np.broadcast_to(np.asarray(values, dtype=np.float64), (channels,))
        return np.repeat(v, pixels) if flat_in or len(input_shape) == 1 else v.reshape(channels, 1, 1)

    cur = "x"
    for op, name, values, skip in (("Mul", "input_scale", [t.scale], t.scale == 1),
                                   ("Sub", "input_mean", t.mean, all(m == 0 for m in t.mean)),
                                   ("Div", "input_std", t.std, all(s == 1 for s in t.std))):
        if not skip:
            values = np.float32(values[0]) if op == "Mul" else shaped(values)
            nodes.append(helper.make_node(op, [cur, const(name, values)], [name + "d"]))
            cur = name + "d"
    return cur


def _activation_nodes(layer, out: str, helper, nodes: list, const) -> str:
    """The nodes of ``layer``'s activation after ``out``; returns the activation's name."""
    act = layer.activation
    simple = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "softmax": "Softmax", "elu": "Elu"}
    a = out + "_a"
    if act in simple:
        attrs = {"axis": -1} if act == "softmax" else {"alpha": 1.0} if act == "elu" else {}
        nodes.append(helper.make_node(simple[act], [out], [a], **attrs))
    elif act == "leaky_relu":
        nodes.append(helper.make_node("LeakyRelu", [out], [a], alpha=layer.activation_params["negative_slope"]))
    elif act == "silu":  # x·σ(x)
        nodes.append(helper.make_node("Sigmoid", [out], [out + "_sig"]))
        nodes.append(helper.make_node("Mul", [out, out + "_sig"], [a]))
    elif act == "gelu":  # x·(1 + erf(x/√2))/2: Gelu is an operator from opset 20 only
        nodes += [helper.make_node("Div", [out, const("sqrt2", np.float32(math.sqrt(2)))], [out + "_s"]),
                  helper.make_node("Erf", [out + "_s"], [out + "_e"]),
                  helper.make_node("Add", [out + "_e", const("one", np.float32(1))], [out + "_p"]),
                  helper.make_node("Mul", [out, out + "_p"], [out + "_m"]),
                  helper.make_node("Mul", [out + "_m", const("half", np.float32(0.5))], [a])]
    else:
        return out  # linear
    return a


def save_onnx(path: str | Path, net) -> Path:
    """Write ``net`` as an ONNX model atomically (needs the onnx package: DataFormatError if missing)."""
    try:
        data = onnx_bytes(net)
    except DataFormatError as e:
        raise DataFormatError(path, f"cannot be written: {e.problem}") from None
    return atomic_write(path, lambda f: f.write(data))
