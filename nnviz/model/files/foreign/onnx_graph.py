"""Evaluating the small parts of an ONNX graph that are not layers, with NumPy: constant subgraphs
(the ``Shape → Gather → Unsqueeze → Concat`` of ``x.view(x.size(0), -1)``, a ``Reshape`` of a stored
weight) folded into constants, and runs of elementwise nodes (``Sigmoid`` then ``Mul``: SiLU; ``Div →
Erf → Add → Mul → Mul``: GELU; ``Sub``/``Div`` of the input: its normalisation) evaluated on probe
inputs to learn which function they compute.

Only the operators listed here are evaluated; every result's size is checked before it is computed
(``MAX_FOLD_NUMBERS``), so a hostile graph cannot make nnviz allocate what it declares. The batch size
is unknown when a graph is read: ``Shape`` of a batched tensor gives :data:`BATCH` in its place, a
number no real dimension has, which ``Gather``/``Concat``/``Unsqueeze`` carry along unchanged and a
``Reshape`` reads as "the batch axis" (arithmetic on it gives another number, and that reshape is refused).
"""

from __future__ import annotations

import math

import numpy as np

#: stands for the batch size in folded shapes
BATCH = 2_147_483_629
#: numbers a folded constant or a probe may have
MAX_FOLD_NUMBERS = 1 << 22

_erf = np.frompyfunc(math.erf, 1, 1)


class Unsupported(Exception):
    """The node cannot be evaluated here (its message says why, in the learner's words)."""


def _axes(node_attrs: dict, inputs: list, at: int):
    """A node's ``axes``: the attribute (opsets < 13) or the input ``at`` (13 and later)."""
    if "axes" in node_attrs:
        return [int(a) for a in node_attrs["axes"]]
    if len(inputs) > at and inputs[at] is not None:
        return [int(a) for a in np.asarray(inputs[at]).reshape(-1)]
    return None


def _check_size(shape) -> tuple[int, ...]:
    shape = tuple(int(s) for s in shape)
    if any(s < 0 for s in shape) or math.prod(shape) > MAX_FOLD_NUMBERS:
        raise Unsupported(f"computes a tensor of shape {shape[:8]}, larger than nnviz evaluates")
    return shape


def legacy_broadcast(op: str, attrs: dict, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``b`` aligned to ``a`` as opsets 1-6 broadcast: ``broadcast=1`` with ``axis`` places b's axes from
    ``axis`` on (trailing alignment without it); ``broadcast=0`` needs equal shapes."""
    if "broadcast" not in attrs:
        return b
    if attrs["broadcast"] == 0:
        if a.shape != b.shape and b.size != 1:
            raise Unsupported(f"has a {op} of shapes {a.shape[:6]} and {b.shape[:6]} without broadcast")
        return b
    if "axis" in attrs:
        axis = int(attrs["axis"]) % max(a.ndim, 1)
        return b.reshape(b.shape + (1,) * max(a.ndim - axis - b.ndim, 0))
    return b


def _binary(op, f, attrs, x, y):
    x, y = np.asarray(x), np.asarray(y)
    y = legacy_broadcast(op, attrs, x, y)
    try:
        _check_size(np.broadcast_shapes(x.shape, y.shape))
    except ValueError:
        raise Unsupported(f"has a {op} of shapes {x.shape[:6]} and {y.shape[:6]} that do not broadcast") from None
    with np.errstate(all="ignore"):
        return f(x, y)


def _div(x, y):
    if x.dtype.kind in "iu" and y.dtype.kind in "iu":
        if np.any(y == 0):
            raise Unsupported("divides by zero in a shape computation")
        return np.trunc(x / y).astype(np.result_type(x, y))
    return np.divide(x, y)


def _gather(attrs, ins):
    if len(ins) < 2 or ins[1] is None:
        raise Unsupported("has a Gather without its indices")
    axis = int(attrs.get("axis", 0))
    data, idx = np.asarray(ins[0]), np.asarray(ins[1])
    if not data.ndim or not -data.ndim <= axis < data.ndim:
        raise Unsupported("has a Gather along an axis its input does not have")
    n = data.shape[axis]
    if idx.dtype.kind not in "iu" or np.any(idx < -n) or np.any(idx >= n):
        raise Unsupported("has a Gather of indices outside its input")
    _check_size(data.shape[:axis % data.ndim] + idx.shape + data.shape[axis % data.ndim + 1:])
    return np.take(data, idx, axis=axis)


def _unsqueeze(attrs, ins):
    x, axes = np.asarray(ins[0]), _axes(attrs, ins, 1)
    if axes is None or len(axes) > 8:
        raise Unsupported("has an Unsqueeze without axes")
    return np.expand_dims(x, tuple(a % (x.ndim + len(axes)) for a in axes))


def _squeeze(attrs, ins):
    x, axes = np.asarray(ins[0]), _axes(attrs, ins, 1)
    if axes is None:
        return np.squeeze(x)
    axes = tuple(a % max(x.ndim, 1) for a in axes)
    if any(x.shape[a] != 1 for a in axes):
        raise Unsupported("has a Squeeze of an axis that is not 1 long")
    return np.squeeze(x, axis=axes)


def _concat(attrs, ins):
    arrays = [np.asarray(a) for a in ins]
    axis = int(attrs.get("axis", 0))
    if not arrays or any(a.ndim != arrays[0].ndim for a in arrays) or not arrays[0].ndim:
        raise Unsupported("has a Concat of tensors of different ranks")
    _check_size([sum(a.shape[axis] for a in arrays)] + list(arrays[0].shape[:axis]) + list(arrays[0].shape[axis + 1:]))
    try:
        return np.concatenate(arrays, axis=axis)
    except ValueError:
        raise Unsupported("has a Concat of tensors whose shapes do not fit") from None


def reshape_target(x_shape, target, allowzero: bool = False) -> tuple:
    """A Reshape's output shape: 0 copies the input's dimension (unless ``allowzero``), one -1 is inferred."""
    target = [int(t) for t in target]
    out = [x_shape[i] if t == 0 and not allowzero and i < len(x_shape) else t for i, t in enumerate(target)]
    if out.count(-1) > 1 or any(t < -1 for t in out):
        raise Unsupported(f"has a Reshape to {target[:8]}")
    if -1 in out:
        known = math.prod(t for t in out if t != -1)
        total = math.prod(x_shape)
        if known == 0 or total % known:
            raise Unsupported(f"has a Reshape of {tuple(x_shape)[:8]} to {target[:8]}, which does not fit")
        out[out.index(-1)] = total // known
    if math.prod(out) != math.prod(x_shape):
        raise Unsupported(f"has a Reshape of {tuple(x_shape)[:8]} to {target[:8]}, which does not fit")
    return tuple(out)


def _reshape(attrs, ins):
    x = np.asarray(ins[0])
    if "shape" not in attrs and (len(ins) < 2 or ins[1] is None):
        raise Unsupported("has a Reshape without the shape to reshape to")
    target = attrs["shape"] if "shape" in attrs else np.asarray(ins[1]).reshape(-1)
    return x.reshape(reshape_target(x.shape, target, bool(attrs.get("allowzero", 0))))


def _slice(attrs, ins):
    x = np.asarray(ins[0])
    if "starts" in attrs:  # opsets < 10
        if "ends" not in attrs:
            raise Unsupported("has a Slice without its ends")
        starts, ends, axes, steps = attrs["starts"], attrs["ends"], attrs.get("axes"), None
    else:
        if len(ins) < 3 or ins[1] is None or ins[2] is None:
            raise Unsupported("has a Slice without its starts and ends")
        starts, ends = ins[1].reshape(-1), ins[2].reshape(-1)
        axes = ins[3].reshape(-1) if len(ins) > 3 and ins[3] is not None else None
        steps = ins[4].reshape(-1) if len(ins) > 4 and ins[4] is not None else None
    axes = list(range(len(starts))) if axes is None else axes
    index = [slice(None)] * x.ndim
    for i, a in enumerate(axes):
        step = int(steps[i]) if steps is not None else 1
        if step == 0:
            raise Unsupported("has a Slice with step 0")
        index[int(a) % x.ndim] = slice(int(starts[i]), int(ends[i]), step)
    return x[tuple(index)]


def _cast(attrs, ins):
    to = {1: np.float32, 6: np.int32, 7: np.int64, 11: np.float64, 9: np.bool_}.get(int(attrs.get("to", 0)))
    if to is None:
        raise Unsupported(f"has a Cast to ONNX type {attrs.get('to')}")
    return np.asarray(ins[0]).astype(to)


def _transpose(attrs, ins):
    x = np.asarray(ins[0])
    perm = [int(p) for p in attrs.get("perm", range(x.ndim - 1, -1, -1))]
    if sorted(perm) != list(range(x.ndim)):
        raise Unsupported(f"has a Transpose with perm {perm[:8]}")
    return np.transpose(x, perm)


def _leaky(attrs, x):
    return np.where(x >= 0, x, x * float(attrs.get("alpha", 0.01)))


def _elu(attrs, x):
    with np.errstate(all="ignore"):
        return np.where(x > 0, x, float(attrs.get("alpha", 1.0)) * np.expm1(np.minimum(x, 0)))


def _gelu(attrs, x):
    if attrs.get("approximate", b"none") not in (b"none", "none"):
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1 + _erf(x / math.sqrt(2)).astype(x.dtype))


def _sigmoid(x):
    with np.errstate(all="ignore"):
        return 1 / (1 + np.exp(-x))


#: elementwise operators of one tensor (plus attributes)
UNARY = {
    "Relu": lambda a, x: np.maximum(x, 0), "Sigmoid": lambda a, x: _sigmoid(x), "Tanh": lambda a, x: np.tanh(x),
    "LeakyRelu": _leaky, "Elu": _elu, "Gelu": _gelu, "Erf": lambda a, x: _erf(x).astype(x.dtype),
    "Neg": lambda a, x: -x, "Identity": lambda a, x: x, "Exp": lambda a, x: np.exp(np.minimum(x, 80)),
    "Sqrt": lambda a, x: np.sqrt(np.abs(x)), "Reciprocal": lambda a, x: 1 / x, "Abs": lambda a, x: np.abs(x),
}
#: elementwise operators of two tensors (broadcast)
BINARY = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": _div, "Pow": np.power}
#: the elementwise operators that are affine in their non-constant operand
AFFINE = {"Add", "Sub", "Mul", "Div", "Neg", "Identity"}
#: the rest that may be folded when all its inputs are constants
STRUCTURAL = {"Gather": _gather, "Unsqueeze": _unsqueeze, "Squeeze": _squeeze,
              "Concat": _concat, "Reshape": _reshape, "Slice": _slice, "Cast": _cast, "Transpose": _transpose,
              "Flatten": lambda a, ins: np.asarray(ins[0]).reshape(
                  math.prod(ins[0].shape[:int(a.get("axis", 1))]), -1)}
FOLDABLE = set(UNARY) | set(BINARY) | set(STRUCTURAL) | {"Shape", "Constant", "Dropout"}


def evaluate(op: str, attrs: dict, ins: list) -> np.ndarray:
    """One node's output on NumPy inputs (``None`` for an omitted optional input)."""
    if not ins or ins[0] is None:
        raise Unsupported(f"has a {op[:40]} node without its input")
    if op in UNARY:
        x = np.asarray(ins[0])
        with np.errstate(all="ignore"):
            return UNARY[op](attrs, x.astype(np.float64) if x.dtype.kind == "f" else x)
    if op in BINARY:
        if len(ins) != 2:
            raise Unsupported(f"has a {op} node with {len(ins)} inputs")
        return _binary(op, BINARY[op], attrs, ins[0], ins[1])
    if op == "Dropout":  # inference: the input itself
        return np.asarray(ins[0])
    if op == "Shape":
        return np.array(np.asarray(ins[0]).shape, dtype=np.int64)
    if op in STRUCTURAL:
        out = STRUCTURAL[op](attrs, ins)
        _check_size(out.shape)
        return out
    raise Unsupported(f"uses the operator {op}")
