"""An ONNX graph as exporters write it, walked as one chain of layers from its input to its output.

What is not a layer is made into one or folded away:

- all-constant subgraphs (``Constant``, ``Identity``, a ``Reshape`` of a stored weight, the ``Shape →
  Gather → Unsqueeze → Concat`` that ``x.view(x.size(0), -1)`` exports) are evaluated (``onnx_graph.py``);
- a run of elementwise nodes on the chain is evaluated on probe inputs: a function of one number is an
  activation (``Relu``, ``Sigmoid``·``Mul`` = SiLU, ``Div → Erf → Add → Mul → Mul`` = GELU, LeakyRelu,
  Elu, …); an affine one (``Add`` / ``Sub`` / ``Mul`` / ``Div`` by constants, either operand order) is a
  conv or dense layer's bias and scale when it follows one (folded into it exactly), or, before the first
  layer, the input's normalisation: the spec's ``input_transform``;
- ``Dropout``, ``Identity``, ``Cast`` to float, a zero ``Pad``, ``Unsqueeze`` / ``Squeeze`` of a 1-long
  axis (a BatchNorm1d export) change nothing; a ``Transpose`` of an NHWC input (TensorFlow exporters) is
  the input's layout, and one back to NHWC before a flatten permutes the next dense layer's rows.

Shapes are followed from the input (without its batch axis, :data:`onnx_graph.BATCH` standing for it
in computed shapes) so that ``auto_pad``, a reshape's target and a constant's broadcast are read exactly.
Opsets 1-6 broadcast with ``broadcast``/``axis`` attributes and give a Reshape's shape as an attribute;
both are read. Anything else is refused naming the operator.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .onnx_graph import AFFINE, BATCH, BINARY, FOLDABLE, MAX_FOLD_NUMBERS, UNARY, Unsupported, evaluate, \
    reshape_target
from .reading import fail
from .spec_inference import INPUT_SHAPES, Param

#: folded numbers a whole graph may make (each result is also capped): a hostile graph of many
#: large folds stops here
FOLD_BUDGET = 4 * MAX_FOLD_NUMBERS
#: numbers an input may have (3×512×512 is 786,432; nnviz's lessons read at most 784)
MAX_INPUT_NUMBERS = 1 << 20
_PROBE = np.concatenate([np.linspace(-6, 6, 97), [-0.37, 0.05, 0.61, 2.3]])
_OPS_SAID = ("Gemm, MatMul, Conv, BatchNormalization, MaxPool, AveragePool, Flatten, Reshape, Relu, LeakyRelu, "
             "Sigmoid, Tanh, Elu, Gelu, SiLU, Softmax, LogSoftmax, Dropout and elementwise arithmetic")


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _erf(z):
    return np.array([math.erf(v) for v in z])


#: hidden activation -> its function of one number (float64)
_FUNCTIONS = {
    "relu": lambda z: np.maximum(z, 0), "sigmoid": _sigmoid, "tanh": np.tanh,
    "elu": lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0))),
    "gelu": lambda z: 0.5 * z * (1 + _erf(z / math.sqrt(2))), "silu": lambda z: z * _sigmoid(z),
}


def _close(a, b, tol=2e-5) -> bool:
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= tol * np.maximum(1, np.abs(b))))


def identify(f: np.ndarray) -> tuple[str, dict] | None:
    """The activation (name, extra spec keys) whose values on :data:`_PROBE` are ``f``, or None;
    ("affine", {"a", "b"}) for a·z + b."""
    z = _PROBE
    a, b = float(f[np.argmin(np.abs(z - 1))] - f[np.argmin(np.abs(z))]), float(f[np.argmin(np.abs(z))])
    if _close(f, a * z + b):
        return "affine", {"a": a, "b": b}
    for name, g in _FUNCTIONS.items():
        if _close(f, g(z)):
            return name, {}
    slope = float(f[0] / z[0])
    if 0 < slope < 1 and _close(f, np.where(z >= 0, z, slope * z)):
        return "leaky_relu", {} if abs(slope - 0.01) < 1e-7 else {"negative_slope": round(slope, 7)}
    return None


class Chain:
    """The walk: feed it the graph's nodes in order; ``spec()`` and ``params`` at the end."""

    def __init__(self, path: Path, nodes, attrs_of, stored: dict, decode, input_name: str, dims: list[int],
                 graph_output: str):
        """``stored``: name -> TensorProto of the initializers; ``decode(TensorProto)`` its array, checked;
        ``attrs_of(node)`` a node's attributes as a dict; ``dims`` the input's shape (0: symbolic)."""
        self.path, self.nodes, self.attrs_of, self.stored, self.decode = path, nodes, attrs_of, stored, decode
        self.values: dict[str, np.ndarray] = {}
        self.folded = 0
        self.cur, self.out_name = input_name, graph_output
        rank = len(dims)
        if rank not in (1, 2, 3, 4) or any(d <= 0 for d in dims[1:] if rank > 1) or (rank == 1 and dims[0] <= 0):
            fail(path, f"has an input of shape {dims}; nnviz reads [n], [batch, n] or [batch, channels, height, "
                       "width] (or [batch, height, width, channels])")
        self.batched = rank > 1
        self.fixed_batch = dims[0] if self.batched and dims[0] > 0 else None
        self.s = tuple(dims[1:] if self.batched else dims)
        if math.prod(self.s) > MAX_INPUT_NUMBERS:  # the input transform and the probes are arrays of this size
            fail(path, f"has an input of {math.prod(self.s):,} numbers, far more than nnviz shows")
        self.shapes = {input_name: self.full}
        self.layers: list[dict] = []
        self.params: list[Param] = []
        self.input_shape: list[int] | None = None
        self.transform = None  # (A, B) arrays shaped like the chain (batch 1): x -> A·x + B, before any layer
        self.output: str | None = None
        self.hwc: tuple[int, int, int] | None = None  # a flatten of (H, W, C) ahead: permute the next dense
        self.nhwc = False  # the chain is (H, W, C) after convolutions (transposed back for a flatten)
        self.open = False  # the last layer's output is still before any activation (a bias may follow)
        self.consumers: dict[str, list[int]] = {}
        for i, n in enumerate(nodes):
            for name in n.input:
                if name and n.op_type != "Shape":
                    self.consumers.setdefault(name, []).append(i)
        self.consumers.setdefault(graph_output, []).append(-1)

    # --- values ------------------------------------------------------------------------------------

    @property
    def full(self) -> tuple:
        return ((BATCH,) if self.batched else ()) + tuple(self.s)

    def const(self, name: str):
        if not name:
            return None
        if name not in self.values:
            if name not in self.stored:
                return None
            self.values[name] = self.decode(self.stored[name])
        return self.values[name]

    def is_const(self, name: str) -> bool:
        return not name or name in self.values or name in self.stored

    def tensor(self, name: str, what: str) -> np.ndarray:
        a = self.const(name)
        if a is None:
            fail(self.path, f"has a {what} that is computed from the input, not stored (input {name[:60]!r}); nnviz "
                            "opens plain chains of layers")
        return a

    def fold(self, node, attrs) -> None:
        ins = [self.const(n) for n in node.input]
        try:
            out = evaluate(node.op_type, attrs, ins)
        except Unsupported as e:
            fail(self.path, str(e))
        self.folded += int(np.size(out))
        if self.folded > FOLD_BUDGET:
            fail(self.path, "computes more constants than any network nnviz shows")
        self.values[node.output[0]] = np.asarray(out)

    # --- the walk ----------------------------------------------------------------------------------

    def walk(self) -> None:
        for node in self.nodes:  # the elementwise runs read ahead: every node is checked first
            if not node.output or not node.output[0]:
                fail(self.path, f"has a {node.op_type[:40]} node without an output")
        i = 0
        while i < len(self.nodes):
            node = self.nodes[i]
            op, attrs = node.op_type, self.attrs_of(node)
            if node.domain not in ("", "ai.onnx"):
                fail(self.path, f"uses the operator {node.domain}.{op}, which nnviz does not know")
            if op == "Constant":
                self.values[node.output[0]] = self.constant_value(attrs)
                i += 1
                continue
            if op == "Shape" and node.input and node.input[0] in self.shapes:
                shape = np.array(self.shapes[node.input[0]], dtype=np.int64)
                self.values[node.output[0]] = shape[int(attrs.get("start", 0)):attrs.get("end")]
                i += 1
                continue
            if all(self.is_const(n) for n in node.input):
                if op not in FOLDABLE:
                    fail(self.path, f"has a {op} node of stored tensors, which nnviz does not evaluate")
                self.fold(node, attrs)
                i += 1
                continue
            if self.output is not None:
                fail(self.path, f"has a {op} node after its {self.output} output; nnviz opens a chain ending in "
                                "the output layer")
            chain_in = [n for n in node.input if n and not self.is_const(n)]
            if chain_in != [self.cur]:
                fail(self.path, f"has a {op} node that does not read the previous layer's output: the graph "
                                "branches, and nnviz opens plain chains of layers")
            if op in UNARY or op in BINARY:
                i = self.elementwise(i)
                continue
            self.step(node, op, attrs)
            i += 1
        if self.cur != self.out_name:
            fail(self.path, "has an output that is not the end of its chain of layers")

    def constant_value(self, attrs) -> np.ndarray:
        for key, dtype in (("value_float", np.float32), ("value_floats", np.float32), ("value_int", np.int64),
                           ("value_ints", np.int64)):
            if key in attrs:
                return np.array(attrs[key], dtype=dtype)
        value = attrs.get("value")
        if value is None or not hasattr(value, "data_type"):
            fail(self.path, "has a Constant node nnviz cannot read")
        return self.decode(value)

    def move(self, node, s) -> None:
        """The chain goes on at ``node``'s first output, of shape ``s`` (without the batch axis)."""
        for extra in node.output[1:]:
            if extra and self.consumers.get(extra):
                fail(self.path, f"uses the second output of a {node.op_type} node, which nnviz does not have")
        self.cur, self.s = node.output[0], tuple(int(v) for v in s)
        self.shapes[self.cur] = self.full

    def begin(self) -> None:
        """The first layer: the chain's shape now is the network's input shape."""
        if self.input_shape is None:
            if len(self.s) == 1:
                self.input_shape = list(INPUT_SHAPES.get(self.s[0], [self.s[0]]))
            elif len(self.s) == 3:
                self.input_shape = list(self.s)
            else:
                fail(self.path, f"has an input of shape {list(self.s)}; nnviz reads [n] or [channels, height, width]")

    def add(self, entry: dict, param: Param | None = None, open_: bool = False) -> None:
        self.begin()
        self.layers.append(entry)
        if param is not None:
            self.params.append(param)
        self.open = open_

    # --- one node on the chain ---------------------------------------------------------------------

    def step(self, node, op, attrs) -> None:
        s = self.s
        if op in ("Identity", "Dropout"):
            if op == "Dropout" and len(node.input) > 2 and node.input[2]:
                mode = self.const(node.input[2])
                if mode is None or bool(np.any(mode)):
                    fail(self.path, "has a Dropout node in training mode")
            self.move(node, s)
        elif op == "Cast":
            if int(attrs.get("to", 1)) != 1:
                fail(self.path, "casts its input to another type than float")
            self.move(node, s)
        elif op == "Pad":
            pads = attrs.get("pads", self.const(node.input[1]) if len(node.input) > 1 else None)
            if pads is None or np.any(np.asarray(pads) != 0):
                fail(self.path, "has a Pad node that pads; nnviz pads only inside a convolution")
            self.move(node, s)
        elif op == "Transpose":
            self.transpose(node, attrs)
        elif op in ("Flatten", "Reshape", "Unsqueeze", "Squeeze"):
            self.reshape(node, op, attrs)
        elif op in ("Gemm", "MatMul"):
            self.dense(node, op, attrs)
        elif op == "Conv":
            self.conv(node, attrs)
        elif op == "BatchNormalization":
            self.batchnorm(node, attrs)
        elif op in ("MaxPool", "AveragePool"):
            self.pool(node, op, attrs)
        elif op in ("Softmax", "LogSoftmax"):
            axis = attrs.get("axis", 1 if self.batched else -1)
            if len(s) != 1 or axis not in (-1, len(self.full) - 1):
                fail(self.path, f"has a {op} over another axis than its outputs")
            self.output = "softmax"
            self.move(node, s)
        else:
            fail(self.path, f"uses the operator {op}, which nnviz does not show (it opens {_OPS_SAID})")

    def transpose(self, node, attrs) -> None:
        perm = [int(p) for p in attrs.get("perm", [])]
        if self.batched and len(self.s) == 3 and perm == [0, 3, 1, 2] and not self.layers:
            # an NHWC input (TensorFlow): the network after this node reads (C, H, W), as nnviz's input does
            if self.transform is not None:
                self.transform = tuple(np.transpose(t, perm) for t in self.transform)
            h, w, c = self.s
            self.move(node, (c, h, w))
        elif self.batched and len(self.s) == 3 and perm == [0, 2, 3, 1] and self.layers:
            # back to NHWC before a flatten: nnviz flattens (C, H, W), so the next dense layer's rows are permuted
            c, h, w = self.s
            self.nhwc = True
            self.move(node, (h, w, c))
        else:
            fail(self.path, f"has a Transpose with perm {perm[:6]}, which nnviz has no layer for")

    def reshape(self, node, op, attrs) -> None:
        old = self.s
        try:
            if op == "Flatten":
                axis = int(attrs.get("axis", 1))
                if not self.batched or axis != 1:
                    fail(self.path, f"has a Flatten from axis {axis}; nnviz flattens everything after the batch")
                new = (math.prod(old),)
            elif op == "Reshape":
                if "shape" not in attrs and len(node.input) < 2:
                    fail(self.path, "has a Reshape without the shape to reshape to")
                target = attrs["shape"] if "shape" in attrs else self.tensor(node.input[1], "Reshape shape")
                new = self.reshape_to([int(t) for t in np.asarray(target).reshape(-1)], bool(attrs.get("allowzero", 0)))
            else:
                probe = np.empty(((1,) if self.batched else ()) + tuple(old), dtype=np.uint8)
                axes_in = [self.const(n) for n in node.input[1:]]
                shape = evaluate(op, attrs, [probe] + axes_in).shape
                if self.batched and (not shape or shape[0] != 1):
                    fail(self.path, f"has a {op} of its batch axis")
                new = shape[1:] if self.batched else shape
        except Unsupported as e:
            fail(self.path, str(e))
        if self.transform is not None and not self.layers:  # the input's normalisation follows its layout
            self.transform = tuple(t.reshape(((1,) if self.batched else ()) + tuple(new)) for t in self.transform)
        if self.nhwc:
            if len(new) != 1:
                fail(self.path, "has a Transpose to NHWC that is not followed by a flatten")
            self.hwc, self.nhwc = tuple(old), False  # (H, W, C)
            self.add({"type": "flatten"})
        elif len(new) == 1 and len(old) == 3:
            self.add({"type": "flatten"})
        elif len(new) == 3 and len(old) == 1 and not self.layers:
            pass  # the input, unflattened before the first layer: nnviz's input is that map
        elif math.prod(new) == math.prod(old) and [d for d in new if d != 1] == [d for d in old if d != 1] \
                and (len(new) <= 2 or tuple(new) == tuple(old)):
            pass  # a 1-long axis added or dropped (BatchNorm1d's Unsqueeze/Squeeze), or nothing at all
        else:
            fail(self.path, f"has a {op} from {list(old)} to {list(new)}, which nnviz has no layer for")
        self.move(node, new)

    def reshape_to(self, target: list[int], allowzero: bool) -> tuple:
        """The chain's shape (without batch) after a Reshape to ``target``."""
        if not self.batched:
            new = reshape_target(self.s, target, allowzero)
            if len(new) >= 2 and new[0] == 1 and len(target) >= 2:
                self.batched = True  # [784] -> [1, 1, 28, 28]: a batch axis of 1 added
                return tuple(new[1:])
            return tuple(new)
        if not target:
            raise Unsupported("has a Reshape to a single number, which drops the batch axis")
        first, rest = target[0], target[1:]
        if first == -1:
            if -1 in rest:
                raise Unsupported(f"has a Reshape to {target[:8]}")
            rest_shape = reshape_target(self.s, rest, allowzero)
        elif first in (BATCH, self.fixed_batch) or first == 0 and not allowzero:
            rest = [self.s[i] if t == 0 and not allowzero and i < len(self.s) else t for i, t in enumerate(rest)]
            rest_shape = reshape_target(self.s, rest, True)
        else:
            raise Unsupported(f"has a Reshape to {[int(t) if t != BATCH else 'batch' for t in target[:8]]} "
                              "that does not keep the batch axis")
        return tuple(rest_shape)

    def dense(self, node, op, attrs) -> None:
        if len(self.s) != 1:
            fail(self.path, f"has a {op} of a {list(self.s)} tensor; nnviz's dense layers read a flat vector")
        if op == "Gemm":
            for key, ok in (("transA", lambda v: v == 0), ("transB", lambda v: v in (0, 1)),
                            ("alpha", lambda v: math.isfinite(v)), ("beta", lambda v: math.isfinite(v)),
                            ("broadcast", lambda v: v in (0, 1))):
                if key in attrs and not ok(attrs[key]):
                    fail(self.path, f"has a Gemm node with {key}={attrs[key]}, which nnviz's layers do not have")
            unknown = set(attrs) - {"transA", "transB", "alpha", "beta", "broadcast"}
            if unknown:
                fail(self.path, f"has a Gemm node with {sorted(unknown)[0]}, which nnviz's layers do not have")
        if len(node.input) not in (2, 3) or op == "MatMul" and len(node.input) != 2 or node.input[0] != self.cur:
            fail(self.path, f"has a {op} node nnviz cannot read as a dense layer (its inputs)")
        w = self.tensor(node.input[1], f"{op} weight")
        if w.ndim != 2:
            fail(self.path, f"has a {op} weight of shape {w.shape}, not a matrix")
        w = np.asarray(w if op == "Gemm" and attrs.get("transB", 0) == 1 else w.T, dtype=np.float32)
        if w.shape[1] != self.s[0]:
            fail(self.path, f"has a {op} of {self.s[0]} inputs with a weight of shape {w.shape}")
        if self.hwc is not None:  # the rows read (H, W, C): put them in nnviz's (C, H, W) order
            h, wd, c = self.hwc
            w = w.reshape(-1, h, wd, c).transpose(0, 3, 1, 2).reshape(w.shape[0], -1)
            self.hwc = None
        alpha, beta = float(attrs.get("alpha", 1.0)), float(attrs.get("beta", 1.0))
        bias, bname = None, None
        if len(node.input) == 3 and node.input[2]:
            bname = node.input[2]
            b = np.asarray(self.tensor(bname, "Gemm bias"), dtype=np.float32)
            if b.size == 1:
                b = np.full(w.shape[0], float(b.reshape(-1)[0]), np.float32)
            if b.size != w.shape[0] or b.ndim > 2:
                fail(self.path, f"has a Gemm bias of shape {b.shape} for {w.shape[0]} outputs")
            bias = b.reshape(-1) * beta
        self.add({"type": "dense", "units": int(w.shape[0]), "activation": "linear"},
                 Param(node.input[1], np.ascontiguousarray(w * alpha if alpha != 1 else w), bname, bias), open_=True)
        self.move(node, (w.shape[0],))

    def conv(self, node, attrs) -> None:
        if len(self.s) != 3:
            fail(self.path, f"has a Conv of a {list(self.s)} tensor; nnviz convolves (channels, height, width) maps")
        ok = {"kernel_shape": _square, "strides": lambda v: _square(v) and v[0] >= 1, "group": lambda v: v == 1,
              "dilations": lambda v: list(v) == [1, 1], "pads": lambda v: len(v) == 4 and len(set(v)) == 1 and v[0] >= 0,
              "auto_pad": lambda v: _text(v) in ("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID")}
        _check(self.path, node, attrs, ok)
        if len(node.input) not in (2, 3):
            fail(self.path, f"has a Conv node with {len(node.input)} inputs")
        w = self.tensor(node.input[1], "Conv weight")
        if w.ndim != 4 or w.shape[2] != w.shape[3] or w.shape[1] != self.s[0] or not w.size:
            fail(self.path, f"has a Conv weight of shape {w.shape} for a {list(self.s)} input; nnviz opens square "
                            "2-D kernels")
        k, stride = int(w.shape[2]), int(attrs.get("strides", [1, 1])[0])
        pad = int(attrs.get("pads", [0] * 4)[0])
        auto = _text(attrs.get("auto_pad", "NOTSET"))
        c, h, wd = self.s
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            outs = [-(-n // stride) for n in (h, wd)]
            totals = {max((o - 1) * stride + k - n, 0) for o, n in zip(outs, (h, wd))}
            if len(totals) != 1 or totals.pop() % 2:
                fail(self.path, f"has a Conv with auto_pad {auto} that pads one side more than the other "
                                f"(kernel {k}, stride {stride}); nnviz pads all sides alike")
            pad = max((outs[0] - 1) * stride + k - h, 0) // 2
        elif auto == "VALID":
            pad = 0
        bname = node.input[2] if len(node.input) > 2 and node.input[2] else None
        b = np.asarray(self.tensor(bname, "Conv bias"), dtype=np.float32).reshape(-1) if bname else None
        if b is not None and b.size != w.shape[0]:
            fail(self.path, f"has a Conv bias of {b.size} numbers for {w.shape[0]} filters")
        out = [(n + 2 * pad - k) // stride + 1 for n in (h, wd)]
        if min(out) < 1:
            fail(self.path, f"has a Conv whose {k}×{k} kernel is larger than its {h}×{wd} input")
        self.add({"type": "conv", "filters": int(w.shape[0]), "kernel": k, "stride": stride, "padding": pad,
                  "activation": "linear"}, Param(node.input[1], np.asarray(w, np.float32), bname, b), open_=True)
        self.move(node, (w.shape[0], *out))

    def batchnorm(self, node, attrs) -> None:
        ok = {"epsilon": lambda v: 0 <= v < 1, "momentum": lambda v: True, "spatial": lambda v: v == 1,
              "is_test": lambda v: True, "consumed_inputs": lambda v: True, "training_mode": lambda v: v == 0}
        _check(self.path, node, attrs, ok)
        if len(node.input) != 5 or len(self.s) not in (1, 2, 3) or len(self.s) == 2 and self.s[1] != 1:
            fail(self.path, f"has a BatchNormalization nnviz cannot read (of a {list(self.s)} tensor)")
        gamma, beta, mean, var = (np.asarray(self.tensor(n, "BatchNormalization statistic"), np.float64).reshape(-1)
                                  for n in node.input[1:])
        c = self.s[0]
        if any(a.size != c for a in (gamma, beta, mean, var)) or np.any(var < 0):
            fail(self.path, f"has a BatchNormalization whose statistics do not fit its {c} channels")
        self.add({"type": "batchnorm", "eps": float(np.float32(attrs.get("epsilon", 1e-5))),
                  "mean": [float(v) for v in mean.astype(np.float32)], "var": [float(v) for v in var.astype(np.float32)],
                  "activation": "linear"},
                 Param(node.input[1], gamma.astype(np.float32), node.input[2], beta.astype(np.float32)))
        self.move(node, self.s)

    def pool(self, node, op, attrs) -> None:
        if len(self.s) != 3:
            fail(self.path, f"has a {op} of a {list(self.s)} tensor")
        k = attrs.get("kernel_shape")
        if not isinstance(k, list) or not _square(k) or k[0] < 1:
            fail(self.path, f"has a {op} node with kernel_shape={str(k)[:40]}; nnviz pools square windows")
        ok = {"kernel_shape": _square, "strides": lambda v, k=k: list(v) == list(k), "ceil_mode": lambda v: v == 0,
              "dilations": lambda v: list(v) == [1, 1], "pads": lambda v: not any(v),
              "auto_pad": lambda v: _text(v) in ("NOTSET", "VALID"), "storage_order": lambda v: v == 0,
              "count_include_pad": lambda v: True}
        _check(self.path, node, attrs, ok)
        if "strides" not in attrs and list(k) != [1, 1]:
            fail(self.path, f"has a {op} node whose windows overlap (strides 1); nnviz pools non-overlapping windows")
        size = int(k[0])
        c, h, w = self.s
        if size > min(h, w):
            fail(self.path, f"has a {op} of {size}×{size} windows on a {h}×{w} map")
        self.add({"type": "maxpool" if op == "MaxPool" else "avgpool", "size": size})
        self.move(node, (c, h // size, w // size))

    # --- elementwise runs --------------------------------------------------------------------------

    def elementwise(self, i: int) -> int:
        """The run of elementwise nodes from node ``i`` until the chain is one tensor again, as an
        activation or an affine map; returns the index after it."""
        start, live, members, j, problem = self.cur, {self.cur}, [], i, None
        ids: set[int] = set()
        while j < len(self.nodes):
            node = self.nodes[j]
            ins = [n for n in node.input if n]
            if not any(n in live for n in ins):
                if all(self.is_const(n) for n in node.input) and node.op_type in FOLDABLE:
                    if node.op_type == "Constant":
                        self.values[node.output[0]] = self.constant_value(self.attrs_of(node))
                    else:
                        self.fold(node, self.attrs_of(node))
                    j += 1
                    continue
                break
            if node.op_type not in UNARY and node.op_type not in BINARY or len(node.output) != 1 \
                    or any(n not in live and not self.is_const(n) for n in ins):
                break
            members.append(node)
            ids.add(j)
            live.add(node.output[0])
            j += 1
            if [t for t in live if any(c not in ids for c in self.consumers.get(t, []))] == [node.output[0]]:
                # one tensor again: done if it is a function nnviz has (GELU's x·(1 + erf(x/√2)) is one
                # Mul short of it, so an unknown function reads on)
                problem = self.apply(members, start)
                if problem is None:
                    self.cur = node.output[0]
                    self.shapes[self.cur] = self.full
                    return j
        if problem is not None:
            fail(self.path, problem)
        ops = " → ".join(n.op_type for n in members[:6]) or self.nodes[i].op_type
        fail(self.path, f"has elementwise operators ({ops}) whose result is not one tensor the next layer reads: "
                        "the graph branches, and nnviz opens plain chains of layers")

    def run(self, members, start, x) -> np.ndarray:
        env = {start: x}
        try:
            for node in members:
                ins = [env[n] if n in env else self.const(n) for n in node.input]
                env[node.output[0]] = evaluate(node.op_type, self.attrs_of(node), ins)
        except Unsupported as e:
            fail(self.path, str(e))
        return np.asarray(env[members[-1].output[0]], dtype=np.float64)

    def apply(self, members, start) -> str | None:
        """Make the run ``members`` from ``start`` an activation or an affine map; the problem, if it is
        a function of one number that is none of nnviz's activations."""
        names = " → ".join(n.op_type for n in members[:6])
        consts = [self.const(n) for node in members for n in node.input if n and self.is_const(n)]
        if all(np.size(c) == 1 for c in consts):
            got = identify(self.run(members, start, _PROBE.copy()))
            if got is None:
                return f"computes a function ({names}) that is none of nnviz's activations"
            name, extra = got
            if name != "affine":
                self.activate(name, extra, names)
                return None
            a = np.full(((1,) if self.batched else ()) + self.s, extra["a"])
            self.affine(a, np.full_like(a, extra["b"]), names)
            return None
        if any(n.op_type not in AFFINE for n in members):
            fail(self.path, f"computes {names} with tensors of numbers, which no nnviz layer does")
        shape = ((1,) if self.batched else ()) + self.s
        zero, one = self.run(members, start, np.zeros(shape)), self.run(members, start, np.ones(shape))
        probe = np.random.default_rng(0).normal(size=shape)
        if zero.shape != shape or not _close(self.run(members, start, probe), (one - zero) * probe + zero, 1e-4):
            fail(self.path, f"computes {names} with a result of another shape than its input")
        self.affine(one - zero, zero, names)
        return None

    def activate(self, name: str, extra: dict, names: str) -> None:
        last = self.layers[-1] if self.layers else None
        if last is None or last.get("activation") != "linear" or last["type"] not in ("conv", "dense", "batchnorm"):
            fail(self.path, f"has an activation ({names}) that does not follow a dense, conv or batchnorm layer")
        last["activation"] = name
        last.update(extra)
        self.open = False

    def affine(self, a: np.ndarray, b: np.ndarray, names: str) -> None:
        """x -> a·x + b (arrays shaped like the chain, batch 1): nothing, the input transform, or a bias and
        scale folded into the layer before it."""
        if np.allclose(a, 1, rtol=0, atol=1e-7) and np.allclose(b, 0, rtol=0, atol=1e-7):
            return
        if not self.layers:
            if self.transform is None:
                self.transform = (a, b)
            else:
                a0, b0 = self.transform
                self.transform = (a * a0, a * b0 + b)
            return
        if not self.open:
            fail(self.path, f"computes {names} after its {self.layers[-1]['type']} layer, which no nnviz layer does")
        a_c, b_c = per_channel(a, self.batched), per_channel(b, self.batched)
        if a_c is None or b_c is None:
            fail(self.path, f"computes {names} with numbers that differ within a channel, which no nnviz layer does")
        p = self.params[-1]
        shape = (-1,) + (1,) * (p.weight.ndim - 1)
        if not np.allclose(a_c, 1, rtol=0, atol=1e-7):
            p.weight = np.ascontiguousarray(p.weight * a_c.reshape(shape).astype(np.float32))
        bias = np.zeros(p.weight.shape[0], np.float32) if p.bias is None else p.bias
        p.bias = (bias * a_c + b_c).astype(np.float32)
        p.bias_name = p.bias_name or f"{p.weight_name} + bias"

    # --- the result --------------------------------------------------------------------------------

    def spec(self) -> dict:
        layers = self.layers
        while layers and layers[-1]["type"] == "flatten" and len(layers) > 1 and layers[-2]["type"] == "dense":
            layers.pop()  # a reshape of an already flat output
        if not layers or layers[-1]["type"] != "dense":
            fail(self.path, "does not end in a dense (Gemm or MatMul) layer, which nnviz needs as its output layer")
        head = layers[-1].pop("activation")
        layers[-1].pop("negative_slope", None)
        output = self.output
        if output is None:
            output = {"linear": "softmax" if layers[-1]["units"] > 1 else "linear", "sigmoid": "sigmoid"}.get(head)
            if output is None:
                fail(self.path, f"ends in {head}, which nnviz has no output layer for")
        elif head != "linear":
            fail(self.path, f"applies {head} and then Softmax to its output")
        # a flatten before a dense layer that reads a flat vector already is PyTorch's view(-1, n): drop it
        cleaned, flat = [], len(self.input_shape) == 1
        for e in layers:
            if e["type"] == "flatten":
                if flat:
                    continue
                flat = True
            elif e["type"] in ("conv", "maxpool", "avgpool"):
                flat = False
            cleaned.append(e)
        params = self.params
        bias = any(p.bias is not None and np.any(p.bias) for p in params) or any(e["type"] == "batchnorm"
                                                                                 for e in cleaned)
        for p in params:
            if not bias:
                p.bias = p.bias_name = None
            elif p.bias is None:  # a layer without a bias in a network with them: its bias is 0
                p.bias = np.zeros(p.weight.shape[0], np.float32)
        spec = {"input_shape": list(self.input_shape), "layers": cleaned, "output": output, "bias": bias}
        if self.transform is not None:
            spec["input_transform"] = self.input_transform()
        return spec

    def input_transform(self) -> dict:
        """The leading affine map as the spec's (x·S − mean) / std: S is 255 when the map divides by
        about 255 (a model trained on raw 0-255 pixels), else 1."""
        a, b = (t.reshape(self.input_shape if t.size == math.prod(self.input_shape) else (1, -1))
                for t in self.transform)
        a_c, b_c = per_channel(a, False), per_channel(b, False)
        if a_c is None or b_c is None:
            fail(self.path, "normalises each input pixel differently; nnviz's input transform is one mean and "
                            "standard deviation per channel")
        if np.any(a_c <= 0):
            fail(self.path, "scales its input by a number ≤ 0, which nnviz's input transform cannot say")
        scale = 255.0 if np.all(a_c * 255 <= 10) else 1.0
        # (x·S − mean) / std = a·(x·S) + b
        return {"scale": scale, "mean": [float(np.float32(v)) for v in -b_c / a_c],
                "std": [float(np.float32(v)) for v in 1 / a_c]}


def per_channel(a: np.ndarray, batched: bool) -> np.ndarray | None:
    """(C,) when ``a`` (shaped like the chain) holds one number per channel (axis 0 after the batch),
    else None; a flat chain's channels are its features."""
    a = a[0] if batched else a
    if a.ndim == 1:
        return a
    flat = a.reshape(a.shape[0], -1)
    return flat[:, 0] if np.allclose(flat, flat[:, :1], rtol=0, atol=1e-7) else None


def _text(v) -> str:
    return v.decode("ascii", "replace") if isinstance(v, bytes) else str(v)


def _square(v) -> bool:
    return len(v) == 2 and v[0] == v[1]


def _check(path, node, attrs: dict, allowed: dict) -> None:
    """Every attribute of ``node`` is one nnviz supports with a value ``allowed[name](value)`` accepts."""
    for name, value in attrs.items():
        ok = allowed.get(name)
        try:
            accepted = ok is not None and bool(ok(value))
        except (TypeError, ValueError, IndexError):  # an attribute of another kind than its operator's
            accepted = False
        if not accepted:
            article = "an" if node.op_type[:1] in tuple("AEIOU") else "a"
            fail(path, f"has {article} {node.op_type} node with {name}={str(value)[:40]}, which nnviz's layers do "
                       "not have")
