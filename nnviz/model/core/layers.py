"""The layer kinds a network spec can stack, and the spec's validation and normal form.

A spec is JSON-able::

    {"input_shape": [1, 8, 8],                     # (channels, height, width), or [n]
     "layers": [{"type": "conv", "filters": 8, "kernel": 3, "stride": 1, "padding": 1,
                 "activation": "relu"},
                {"type": "maxpool", "size": 2},
                {"type": "flatten"},
                {"type": "dense", "units": 10}],   # the last layer: dense, uses "output"
     "output": "softmax", "bias": true,
     "input_transform": {"scale": 1, "mean": [0.1307], "std": [0.3081]}}   # optional

More layer kinds: ``{"type": "avgpool", "size": 2}`` (the mean of each window, otherwise as
maxpool) and ``{"type": "batchnorm", "eps": 1e-5, "mean": [C], "var": [C], "activation":
"linear"}`` — eval-mode batch norm with the running statistics frozen in the spec (they
do not change while the learner trains; its weight γ and bias β, both (C,), do). It reads a
conv's map (per channel, C = channels) or a flat vector (C = features); ``mean`` defaults
to zeros and ``var`` to ones. Its ``activation`` lets Conv(linear) → BN → ReLU be written.
The input transform is in ``input_transform.py``.

Rules (each broken one is a SettingsError that names the layer and the problem):

- ``type`` is a key of ``LAYER_TYPES``; a layer accepts only its own keys.
- Defaults: conv ``stride`` 1, ``padding`` 0, ``activation`` "relu"; hidden dense
  ``activation`` "relu"; ``output`` "softmax"; ``bias`` true. A "leaky_relu" activation
  takes ``negative_slope`` (default 0.01, ≥ 0) in the same entry. The normal form
  (``net.spec``) spells every default out, and the output layer carries no
  ``activation`` (it is the spec's ``output``; giving a different one is an error).
- Sizes follow PyTorch's floor rule, ``out = (in + 2·padding − kernel) // stride + 1``
  for conv and ``in // size`` for maxpool: edge rows/columns that do not fill a
  window are skipped (and get zero gradient). A kernel or pool larger than its
  (padded) input is an error.
- Max pooling uses non-overlapping size×size windows; on ties the first maximum
  (row-major) takes the whole gradient, as in PyTorch.
- conv and maxpool need a (C, H, W) map. A dense layer reads a flat vector: the
  network's input (its rows are flat already, in C, H, W order) or the output of
  flatten/dense. Dense straight after conv/maxpool is refused rather than silently
  flattened, so every reshape is visible in the spec and the stack maps 1:1 onto a
  PyTorch ``nn.Sequential`` (which needs an ``nn.Flatten`` there too).
- The last layer must be dense: it is the output layer.

A layer object only describes shapes and does the maths; the network owns the
parameters and passes them in, so layers are immutable and shared between copies.
"""

from __future__ import annotations

from math import prod
from typing import Any, ClassVar, Mapping

import numpy as np

from ..errors import SettingsError
from .conv import (
    avgpool_backward,
    avgpool_forward,
    batchnorm_backward,
    batchnorm_forward,
    conv_backward,
    conv_forward,
    maxpool_backward,
    maxpool_forward,
    window_count,
)
from .functions import ACTIVATION_PARAMS, HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from .input_transform import InputTransform, transform_of

_REQUIRED = object()


def _shape_text(shape: tuple[int, ...]) -> str:
    return "×".join(str(s) for s in shape)


def _whole(entry: Mapping, key: str, where: str, default: Any = _REQUIRED, minimum: int = 1) -> int:
    """entry[key] as an int ≥ minimum (JSON numbers only: bools and 3.0 are refused)."""
    value = entry.get(key, default)
    if value is _REQUIRED:
        raise SettingsError(f"{where}: missing {key!r}")
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise SettingsError(f"{where}: {key!r} must be a whole number ≥ {minimum}, got {value!r}")
    return int(value)


def _activation(entry: Mapping, where: str, default: str = "relu") -> str:
    name = entry.get("activation", default)
    if name not in HIDDEN_ACTIVATIONS:
        raise SettingsError(f"{where}: unknown activation {name!r}; choose one of {', '.join(HIDDEN_ACTIVATIONS)}")
    return name


def _activation_params(entry: Mapping, name: str, where: str) -> dict:
    """The activation's own keys of a spec entry (leaky ReLU's ``negative_slope``), defaults filled in."""
    defaults = ACTIVATION_PARAMS.get(name, {})
    for key in ("negative_slope",):
        if key in entry and key not in defaults:
            raise SettingsError(f"{where}: {key!r} belongs to a \"leaky_relu\" activation, not {name!r}")
    params = {}
    for key, default in defaults.items():
        value = entry.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                or not np.isfinite(value) or value < 0:
            raise SettingsError(f"{where}: {key!r} must be a number ≥ 0, got {value!r}")
        params[key] = float(value)
    return params


def _activation_spec(layer: "Layer") -> dict:
    return {"activation": layer.activation, **layer.activation_params}


class Layer:
    """One step of the stack. Shapes exclude the batch axis.

    ``forward(a, w, b, work)`` -> (z, cache): z is the output before the activation (the
    network applies ``activation``, if any); b is None when the network has no bias.
    ``backward(dz, cache, w, need_dx, work)`` -> (dx or None, dw, db): dz = dL/dz shaped
    like z. ``work``: the layer's scratch dict, or None for fresh arrays (see conv.py).
    ``from_entry(entry, in_shape, where, is_last, output)`` validates one spec entry.
    """

    type: ClassVar[str]
    keys: ClassVar[tuple[str, ...]] = ()
    needs_map: ClassVar[bool] = False  # input must be (C, H, W)
    needs_flat: ClassVar[bool] = False  # input must be a flat vector (except the network input)
    activation: str | None = None
    #: keyword arguments of the activation and its derivative (leaky ReLU's ``negative_slope``)
    activation_params: Mapping = {}
    weight_shape: tuple[int, ...] | None = None  # None: no parameters

    def __init__(self, in_shape: tuple[int, ...], out_shape: tuple[int, ...]):
        self.in_shape, self.out_shape = tuple(in_shape), tuple(out_shape)

    @property
    def fans(self) -> tuple[int, int]:
        """(fan_in, fan_out) for the initialisation scale."""
        raise NotImplementedError

    def to_spec(self) -> dict:
        return {"type": self.type}

    def __repr__(self) -> str:
        return f"<{self.type} {_shape_text(self.in_shape)} -> {_shape_text(self.out_shape)}>"


class Conv(Layer):
    """2-D convolution, weights (filters, C, k, k), output (filters, Ho, Wo)."""

    type = "conv"
    keys = ("filters", "kernel", "stride", "padding", "activation", "negative_slope")
    needs_map = True

    def __init__(self, in_shape, filters: int, kernel: int, stride: int = 1, padding: int = 0,
                 activation: str = "relu", where: str = "conv", activation_params: Mapping | None = None):
        c, h, w = in_shape
        if kernel > h + 2 * padding or kernel > w + 2 * padding:
            raise SettingsError(
                f"{where}: kernel {kernel} is larger than its padded input "
                f"{h + 2 * padding}×{w + 2 * padding} ({_shape_text(in_shape)} with padding {padding})"
            )
        out = (filters, window_count(h, kernel, stride, padding), window_count(w, kernel, stride, padding))
        super().__init__(in_shape, out)
        self.filters, self.kernel, self.stride, self.padding = filters, kernel, stride, padding
        self.activation = activation
        self.activation_params = dict(activation_params or {})
        self.weight_shape = (filters, c, kernel, kernel)

    @classmethod
    def from_entry(cls, entry: Mapping, in_shape, where: str, is_last: bool, output: str) -> "Conv":
        act = _activation(entry, where)
        return cls(in_shape, _whole(entry, "filters", where), _whole(entry, "kernel", where),
                   _whole(entry, "stride", where, 1), _whole(entry, "padding", where, 0, minimum=0),
                   act, where, _activation_params(entry, act, where))

    @property
    def fans(self) -> tuple[int, int]:
        area = self.kernel * self.kernel
        return self.in_shape[0] * area, self.filters * area

    def to_spec(self) -> dict:
        return {"type": "conv", "filters": self.filters, "kernel": self.kernel, "stride": self.stride,
                "padding": self.padding, **_activation_spec(self)}

    def forward(self, a, w, b, work=None):
        x = a.reshape((a.shape[0],) + self.in_shape)  # the network input arrives as flat rows
        return conv_forward(x, w, b, self.stride, self.padding, work)

    def backward(self, dz, cols, w, need_dx, work=None):
        return conv_backward(dz, cols, w, (dz.shape[0],) + self.in_shape, self.stride, self.padding,
                             need_dx, work)


class MaxPool(Layer):
    """Max over non-overlapping size×size windows: (C, H, W) -> (C, H//size, W//size)."""

    type = "maxpool"
    keys = ("size",)
    needs_map = True

    def __init__(self, in_shape, size: int, where: str = "maxpool"):
        c, h, w = in_shape
        if size > h or size > w:
            raise SettingsError(f"{where}: pool size {size} is larger than its {_shape_text(in_shape)} input")
        super().__init__(in_shape, (c, h // size, w // size))
        self.size = size

    @classmethod
    def from_entry(cls, entry: Mapping, in_shape, where: str, is_last: bool, output: str) -> "MaxPool":
        return cls(in_shape, _whole(entry, "size", where), where)

    def to_spec(self) -> dict:
        return {"type": "maxpool", "size": self.size}

    def forward(self, a, w, b, work=None):
        return maxpool_forward(a.reshape((a.shape[0],) + self.in_shape), self.size, work)

    def backward(self, dz, arg, w, need_dx, work=None):
        dx = maxpool_backward(dz, arg, (dz.shape[0],) + self.in_shape, self.size, work) if need_dx else None
        return dx, None, None


class Flatten(Layer):
    """(C, H, W) -> (C·H·W,) in C, H, W order (PyTorch's nn.Flatten); a no-op on flat input."""

    type = "flatten"

    def __init__(self, in_shape, where: str = "flatten"):
        super().__init__(in_shape, (prod(in_shape),))

    @classmethod
    def from_entry(cls, entry: Mapping, in_shape, where: str, is_last: bool, output: str) -> "Flatten":
        return cls(in_shape, where)

    def forward(self, a, w, b, work=None):
        return a.reshape(a.shape[0], -1), None  # copies a batch-last map into C, H, W rows

    def backward(self, dz, cache, w, need_dx, work=None):
        return (dz.reshape((dz.shape[0],) + self.in_shape) if need_dx else None), None, None


class Dense(Layer):
    """Fully connected: weights (units, inputs), row k = neuron k's incoming weights."""

    type = "dense"
    keys = ("units", "activation", "negative_slope")
    needs_flat = True

    def __init__(self, in_shape, units: int, activation: str = "relu", is_output: bool = False,
                 where: str = "dense", activation_params: Mapping | None = None):
        n_in = prod(in_shape)
        super().__init__((n_in,), (units,))
        self.units, self.activation, self.is_output = units, activation, is_output
        self.activation_params = dict(activation_params or {})
        self.weight_shape = (units, n_in)

    @classmethod
    def from_entry(cls, entry: Mapping, in_shape, where: str, is_last: bool, output: str) -> "Dense":
        units = _whole(entry, "units", where)
        if not is_last:
            act = _activation(entry, where)
            return cls(in_shape, units, act, False, where, _activation_params(entry, act, where))
        if "negative_slope" in entry:
            raise SettingsError(f"{where} is the output layer: 'negative_slope' belongs to a hidden "
                                f"\"leaky_relu\" activation")
        if entry.get("activation", output) != output:
            raise SettingsError(
                f"{where} is the output layer: its activation is the spec's \"output\" ({output!r}), "
                f"not {entry['activation']!r}"
            )
        return cls(in_shape, units, output, True, where)

    @property
    def fans(self) -> tuple[int, int]:
        return self.in_shape[0], self.units

    def to_spec(self) -> dict:
        if self.is_output:
            return {"type": "dense", "units": self.units}
        return {"type": "dense", "units": self.units, **_activation_spec(self)}

    def forward(self, a, w, b, work=None):
        z = a @ w.T
        if b is not None:
            z += b
        return z, a

    def backward(self, dz, a, w, need_dx, work=None):
        return (dz @ w if need_dx else None), dz.T @ a, dz.sum(axis=0)


class AvgPool(MaxPool):
    """Mean over non-overlapping size×size windows: (C, H, W) -> (C, H//size, W//size)."""

    type = "avgpool"

    def to_spec(self) -> dict:
        return {"type": "avgpool", "size": self.size}

    def forward(self, a, w, b, work=None):
        return avgpool_forward(a.reshape((a.shape[0],) + self.in_shape), self.size, work), None

    def backward(self, dz, cache, w, need_dx, work=None):
        dx = avgpool_backward(dz, (dz.shape[0],) + self.in_shape, self.size, work) if need_dx else None
        return dx, None, None


def _stats(entry: Mapping, key: str, channels: int, default: float, where: str, positive: bool = False):
    """A (channels,) float64 array from the entry's list (or ``default`` everywhere)."""
    value = entry.get(key)
    if value is None:
        return np.full(channels, default)
    if not isinstance(value, (list, tuple)) or len(value) != channels or any(
            isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) for v in value):
        raise SettingsError(f"{where}: {key!r} must be a list of {channels} numbers (one per channel "
                            f"or feature), got {_short(value)}")
    out = np.array(value, dtype=np.float64)
    if not np.isfinite(out).all() or (positive and (out < 0).any()):
        raise SettingsError(f"{where}: {key!r} must hold finite numbers{' ≥ 0' if positive else ''}")
    return out


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


class BatchNorm(Layer):
    """Eval-mode batch norm (see the module docstring): weight γ (C,), bias β (C,); the
    running ``mean`` and ``var`` (C,) and ``eps`` are fixed parts of the spec."""

    type = "batchnorm"
    keys = ("eps", "mean", "var", "activation", "negative_slope")

    def __init__(self, in_shape, mean, var, eps: float = 1e-5, activation: str = "linear",
                 activation_params: Mapping | None = None):
        super().__init__(in_shape, in_shape)
        self.channels = int(in_shape[0])
        self.mean = np.asarray(mean, dtype=np.float64).reshape(self.channels)
        self.var = np.asarray(var, dtype=np.float64).reshape(self.channels)
        self.mean.flags.writeable = self.var.flags.writeable = False  # layers are shared: immutable
        self.eps = float(eps)
        self.activation = activation
        self.activation_params = dict(activation_params or {})
        self.weight_shape = (self.channels,)

    @classmethod
    def from_entry(cls, entry: Mapping, in_shape, where: str, is_last: bool, output: str) -> "BatchNorm":
        c = int(in_shape[0]) if len(in_shape) == 3 else prod(in_shape)
        shape = tuple(in_shape) if len(in_shape) == 3 else (c,)
        eps = entry.get("eps", 1e-5)
        if isinstance(eps, bool) or not isinstance(eps, (int, float, np.integer, np.floating)) \
                or not np.isfinite(eps) or eps <= 0:
            raise SettingsError(f"{where}: 'eps' must be a number > 0, got {eps!r}")
        act = _activation(entry, where, "linear")
        return cls(shape, _stats(entry, "mean", c, 0.0, where), _stats(entry, "var", c, 1.0, where, True),
                   eps, act, _activation_params(entry, act, where))

    @property
    def fans(self) -> tuple[int, int]:
        return 1, 1

    def to_spec(self) -> dict:
        return {"type": "batchnorm", "eps": self.eps, "mean": self.mean.tolist(), "var": self.var.tolist(),
                **_activation_spec(self)}

    def forward(self, a, w, b, work=None):
        x = a.reshape((a.shape[0],) + self.in_shape)  # the network input arrives as flat rows
        return batchnorm_forward(x, w, b, self.mean, self.var, self.eps)

    def backward(self, dz, xhat, w, need_dx, work=None):
        return batchnorm_backward(dz, xhat, w, self.var, self.eps, need_dx)


#: spec "type" -> layer class (each builds itself from a spec entry: ``from_entry``)
LAYER_TYPES: dict[str, type[Layer]] = {
    cls.type: cls for cls in (Conv, MaxPool, AvgPool, Flatten, Dense, BatchNorm)}

SPEC_KEYS = ("input_shape", "layers", "output", "bias", "input_transform")


def _unknown_keys(entry: Mapping, allowed, where: str) -> None:
    extra = [k for k in entry if k not in allowed]
    if extra:
        raise SettingsError(f"{where}: unknown key {extra[0]!r}; allowed: {', '.join(allowed)}")


def _input_shape(spec: Mapping) -> tuple[int, ...]:
    if "input_shape" not in spec:
        raise SettingsError("the spec needs an \"input_shape\": [channels, height, width] or [n]")
    shape = spec["input_shape"]
    if (not isinstance(shape, (list, tuple)) or len(shape) not in (1, 3)
            or any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1 for s in shape)):
        raise SettingsError(f"\"input_shape\" must be [channels, height, width] or [n] of whole numbers ≥ 1, "
                            f"got {shape!r}")
    return tuple(int(s) for s in shape)


def parse_spec(spec: Mapping) -> tuple[tuple[int, ...], list[Layer], str, bool]:
    """Validate a spec; returns (input_shape, layers, output activation, bias)."""
    if not isinstance(spec, Mapping):
        raise SettingsError(f"a network spec must be a JSON object (dict), got {type(spec).__name__}")
    _unknown_keys(spec, SPEC_KEYS, "spec")
    input_shape = shape = _input_shape(spec)
    output = spec.get("output", "softmax")
    if output not in OUTPUT_ACTIVATIONS:
        raise SettingsError(f"unknown output activation {output!r}; choose one of {', '.join(OUTPUT_ACTIVATIONS)}")
    bias = spec.get("bias", True)
    if not isinstance(bias, (bool, np.bool_)):
        raise SettingsError(f"\"bias\" must be true or false, got {bias!r}")
    entries = spec.get("layers")
    if not isinstance(entries, (list, tuple)) or not entries:
        raise SettingsError("the spec needs a non-empty \"layers\" list ending in a dense output layer")
    layers: list[Layer] = []
    for i, entry in enumerate(entries):
        where = f"layer {i + 1}"
        if not isinstance(entry, Mapping):
            raise SettingsError(f"{where} must be a JSON object like {{\"type\": \"dense\", \"units\": 10}}, "
                                f"got {type(entry).__name__}")
        kind = entry.get("type")
        cls = LAYER_TYPES.get(kind) if isinstance(kind, str) else None
        if cls is None:
            raise SettingsError(f"{where}: unknown layer type {kind!r}; choose one of {', '.join(LAYER_TYPES)}")
        where = f"layer {i + 1} ({kind})"
        _unknown_keys(entry, ("type",) + cls.keys, where)
        if cls.needs_map and len(shape) != 3:
            raise SettingsError(f"{where} needs a (channels, height, width) map, but its input is "
                                f"a flat vector of {shape[0]}")
        if cls.needs_flat and len(shape) == 3 and layers:
            raise SettingsError(f"{where} reads a {_shape_text(shape)} map; put {{\"type\": \"flatten\"}} before it")
        layer = cls.from_entry(entry, shape, where, i == len(entries) - 1, output)
        layers.append(layer)
        shape = layer.out_shape
    if not isinstance(layers[-1], Dense):
        raise SettingsError(f"the last layer must be dense (the output layer), but layer {len(layers)} "
                            f"is {layers[-1].type!r}; add {{\"type\": \"dense\", \"units\": …}}")
    transform_of(spec)  # checked here so a bad one is refused with the rest of the spec
    return input_shape, layers, output, bool(bias)


def _with_transform(spec: dict, transform: InputTransform | None) -> dict:
    if transform is not None and not transform.is_identity:
        spec["input_transform"] = transform.to_spec()
    return spec


def normal_spec(input_shape, layers: list[Layer], output: str, bias: bool,
                transform: InputTransform | None = None) -> dict:
    """The JSON-ready normal form: every default spelled out, plain ints and lists; an
    ``input_transform`` only when there is one (none is the identity)."""
    return _with_transform({"input_shape": [int(s) for s in input_shape],
                            "layers": [layer.to_spec() for layer in layers],
                            "output": output, "bias": bool(bias)}, transform)


def dense_spec(input_shape, units, hidden: str, output: str, bias: bool,
               transform: InputTransform | None = None) -> dict:
    """Normal-form spec of a dense stack: ``units`` per weight layer, the last one the output."""
    extra = dict(ACTIVATION_PARAMS.get(hidden, {}))
    layers = [{"type": "dense", "units": int(n), "activation": hidden, **extra} for n in units[:-1]]
    layers.append({"type": "dense", "units": int(units[-1])})
    return _with_transform({"input_shape": [int(s) for s in input_shape], "layers": layers, "output": output,
                            "bias": bool(bias)}, transform)
