"""A network spec from a state_dict's names and shapes, and the names nnviz writes.

PyTorch names a ``nn.Sequential``'s tensors by module index (``0.weight``, ``0.bias``,
``2.weight`` …: the ReLU in between is module 1 and has no tensors); other models use
their attribute names (``fc1.weight``, ``net.0.weight``). Either way each parameter
layer is a ``<prefix>.weight`` with an optional ``<prefix>.bias``, in the model's order:
the file's order for a ``.pt``, :func:`natural_key` order for safetensors (whose header
is sorted).

- A stack of 2-D weights is a dense stack: its sizes are in the shapes, its hidden
  activation is not (``activation=``; else :class:`NeedsActivation`). The input shape
  comes from the first layer's inputs (``INPUT_SHAPES``: the lessons' 28×28, 8×8 and
  3 wide × 4 tall); any other count needs a spec with its ``input_shape``.
- A 4-D weight is a conv layer: the pooling, flattening and padding between layers are
  not in the tensors, so a spec is needed (``spec=``; else :class:`NeedsSpec`, whose
  ``draft`` is a guess that fits every shape, for the learner to check and complete).
- A given spec (the layer-stack format of ``core/layers.py``) is checked against
  the tensors: one weight (and bias, if the spec has them) per parameter layer, in order,
  each of exactly the spec's shape.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from ...core.functions import HIDDEN_ACTIVATIONS
from ...core.messages import describe_spec  # noqa: F401 - callers import it from here too
from ...core.layers import dense_spec, parse_spec
from ...errors import SettingsError
from ...storage.npzfile import short_repr
from .questions import NeedsActivation, NeedsSpec
from .reading import fail

#: inputs of a first layer -> the input shape (C, H, W) of the lessons' data
INPUT_SHAPES = {784: [1, 28, 28], 64: [1, 8, 8], 12: [1, 4, 3]}
MAX_SPEC_BYTES = 1 << 20
_DRAFT_MAX_CONVS = 4


@dataclass
class Param:
    """One parameter layer of a file: its weight (and bias) tensor with their names."""

    weight_name: str
    weight: np.ndarray
    bias_name: str | None = None
    bias: np.ndarray | None = None
    #: a BatchNorm's running (mean, var), each (C,): the layer is a batchnorm and ``weight`` is its gamma
    stats: tuple[np.ndarray, np.ndarray] | None = None


def natural_key(name: str):
    """Sort key that puts ``2.weight`` before ``10.weight`` and ``fc2`` before ``fc10``."""
    return [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", name) if t]


def group_parameters(path: Path, tensors: Mapping[str, np.ndarray]) -> list[Param]:
    """``tensors`` (name -> array, in layer order) as parameter layers; a tensor that is not a
    ``.weight``/``.bias`` (a BatchNorm's running mean, a buffer) is a DataFormatError naming it."""
    params: dict[str, Param] = {}
    biases: dict[str, tuple[str, np.ndarray]] = {}
    stats: dict[str, dict[str, np.ndarray]] = {}
    for name, a in tensors.items():
        prefix, _, leaf = name.rpartition(".")
        if leaf == "weight":
            params[prefix] = Param(name, a)
        elif leaf == "bias":
            biases[prefix] = (name, a)
        elif leaf in ("running_mean", "running_var", "num_batches_tracked"):  # a BatchNorm1d/2d's buffers
            stats.setdefault(prefix, {})[leaf] = a
        else:
            fail(path, f"holds a tensor {short_repr(name)} {tuple(a.shape)} that is not a layer's weight or "
                       "bias (nnviz opens stacks of Linear, Conv2d, ReLU/Sigmoid/Tanh, MaxPool2d and Flatten)")
    for prefix, (name, b) in biases.items():
        if prefix not in params:
            fail(path, f"holds a bias {short_repr(name)} without its weight")
        params[prefix].bias_name, params[prefix].bias = name, b
    for prefix, found in stats.items():
        p = params.get(prefix)
        if p is None or "running_mean" not in found or "running_var" not in found:
            fail(path, f"holds BatchNorm statistics of {short_repr(prefix)} without its weight, bias, running_mean "
                       "and running_var (a BatchNorm with affine=False or track_running_stats=False, which nnviz "
                       "does not read)")
        mean, var = (np.asarray(found[k], np.float64).reshape(-1) for k in ("running_mean", "running_var"))
        if p.weight.ndim != 1 or p.bias is None or not p.weight.shape[0] == mean.size == var.size \
                or np.any(var < 0) or not (np.isfinite(mean).all() and np.isfinite(var).all()):
            fail(path, f"holds a BatchNorm {short_repr(prefix)} whose weight, bias and statistics do not fit")
        p.stats = (mean, var)
    if not params:
        fail(path, "holds no weights")
    return list(params.values())


def _describe(p: Param) -> str:
    return f"{p.weight_name} {tuple(p.weight.shape)}"


def _check_numbers(path: Path, params: Sequence[Param]) -> None:
    for p in params:
        for name, a in ((p.weight_name, p.weight), (p.bias_name, p.bias)):
            if a is None:
                continue
            if a.dtype.kind != "f":
                fail(path, f"holds {name} as {a.dtype} numbers, not floating point weights")
            if not np.isfinite(a).all():
                fail(path, f"holds {name} with numbers that are not finite (NaN or infinity)")


def _bias_flag(path: Path, params: Sequence[Param]) -> bool:
    have = {p.bias is not None for p in params}
    if len(have) > 1:
        fail(path, "has biases in some layers but not in others; nnviz's networks have them in all or none")
    return have.pop()


def _from_spec(path: Path, params: Sequence[Param], spec) -> tuple[dict, list, list]:
    try:
        input_shape, layers, output, bias = parse_spec(spec)
    except (SettingsError, TypeError, ValueError, OverflowError) as e:
        fail(path, f"cannot be read with the spec given: {str(e)[:200]}")
    shapes = [layer.weight_shape for layer in layers if layer.weight_shape is not None]
    if len(shapes) != len(params):
        fail(path, f"holds {len(params)} weight layers ({', '.join(map(_describe, params))[:300]}) but the spec "
                   f"has {len(shapes)}")
    for i, (shape, p) in enumerate(zip(shapes, params)):
        if tuple(p.weight.shape) != shape:
            fail(path, f"weight layer {i + 1} is {_describe(p)}, but the spec needs {shape}")
        if bias and p.bias is None:
            fail(path, f"weight layer {i + 1} ({p.weight_name}) has no bias, but the spec has biases "
                       "(set \"bias\": false)")
        if not bias and p.bias is not None:
            fail(path, f"weight layer {i + 1} has a bias {p.bias_name}, but the spec says \"bias\": false")
        if bias and tuple(p.bias.shape) != shape[:1]:
            fail(path, f"weight layer {i + 1}'s bias {p.bias_name} is {tuple(p.bias.shape)}, not {shape[:1]}")
    _check_numbers(path, params)
    if any(p.stats is not None for p in params):
        spec = _statistics_into(path, spec, params)
    weights = [np.array(p.weight, dtype=np.float32, order="C") for p in params]
    biases = [np.array(p.bias, dtype=np.float32) if bias else np.zeros(s[0], np.float32)
              for p, s in zip(params, shapes)]
    return spec, weights, biases


def _with_batchnorms(path: Path, params: Sequence[Param], activation: str | None) -> dict:
    """A dense stack with BatchNorm1d layers (Linear → BatchNorm1d → activation, PyTorch's usual order):
    each batchnorm carries the hidden activation, the dense layer before it none."""
    act = activation or "relu"
    dense = [p for p in params if p.stats is None]
    n_in = dense[0].weight.shape[1]
    layers = []
    for p in params:
        if p.stats is None:
            layers.append({"type": "dense", "units": int(p.weight.shape[0]), "activation": act})
        else:
            if not layers or layers[-1]["type"] != "dense" or layers[-1]["units"] != p.weight.shape[0]:
                fail(path, f"holds a BatchNorm of {p.weight.shape[0]} features that does not follow a Linear layer "
                           "of as many outputs; give a spec (--spec FILE)")
            layers[-1]["activation"] = "linear"
            layers.append(_batchnorm_entry(p, act))
    del layers[-1]["activation"]
    return {"input_shape": INPUT_SHAPES[n_in], "layers": layers,
            "output": "softmax" if layers[-1]["units"] > 1 else "linear", "bias": True}


def _batchnorm_entry(p: Param, activation: str) -> dict:
    mean, var = p.stats
    return {"type": "batchnorm", "eps": 1e-5, "mean": [float(v) for v in mean], "var": [float(v) for v in var],
            "activation": activation}


def _statistics_into(path: Path, spec: Mapping, params: Sequence[Param]) -> dict:
    """``spec`` with the file's running statistics in its batchnorm entries (a spec the learner wrote
    need not copy them), each BatchNorm of the file at a batchnorm entry."""
    spec = json.loads(json.dumps(spec))
    entries = iter(e for e in spec["layers"] if e.get("type") in ("dense", "conv", "batchnorm"))
    for i, p in enumerate(params):
        e = next(entries)
        if (e["type"] == "batchnorm") != (p.stats is not None):
            fail(path, f"weight layer {i + 1} ({p.weight_name}) is {'a BatchNorm' if p.stats is not None else 'not a BatchNorm'}, "
                       f"but the spec has a {e['type']} layer there")
        if p.stats is not None:
            e["mean"], e["var"] = [float(v) for v in p.stats[0]], [float(v) for v in p.stats[1]]
    return spec


def _dense_spec(path: Path, params: Sequence[Param], activation: str | None) -> dict:
    batchnorms = any(p.stats is not None for p in params)
    for p in params:
        if p.weight.ndim != (1 if p.stats is not None else 2):
            fail(path, f"holds {_describe(p)}: nnviz opens 2-D (Linear) and 4-D (Conv2d) weights only")
    linear = [p for p in params if p.stats is None]
    # a question, not a refusal: the CLI's message names --spec, the window asks for the spec instead
    tensors = [(p.weight_name, p.weight.shape) for p in params]
    for a, b in zip(linear, linear[1:]):
        if b.weight.shape[1] != a.weight.shape[0]:
            raise NeedsSpec(path, f"holds {_describe(a)} then {_describe(b)}: their sizes do not chain, so they "
                                  "are not one stack of layers in this order; give a spec (--spec FILE)", tensors)
    n_in = linear[0].weight.shape[1]
    sizes = "-".join(str(s) for s in [n_in] + [p.weight.shape[0] for p in linear])
    if n_in not in INPUT_SHAPES:
        raise NeedsSpec(path, f"holds a {sizes} dense stack whose {n_in} inputs are not a shape nnviz knows "
                              "(784 = 28×28, 64 = 8×8, 12 = 3×4): give a spec with its \"input_shape\" "
                              "(--spec FILE)", tensors)
    if len(params) > 1 and activation is None:
        raise NeedsActivation(path, f"holds a {sizes} dense stack{' with BatchNorm' if batchnorms else ''}; its "
                                    "hidden activation is not in the file: "
                                    f"say which ({', '.join(HIDDEN_ACTIVATIONS)}; on the command line "
                                    "--activation NAME)", [(p.weight_name, p.weight.shape) for p in params])
    if activation is not None and activation not in HIDDEN_ACTIVATIONS:
        raise SettingsError(f"unknown activation {activation!r}; choose one of {', '.join(HIDDEN_ACTIVATIONS)}")
    if batchnorms:
        return _with_batchnorms(path, params, activation)
    units = [p.weight.shape[0] for p in params]
    return dense_spec(INPUT_SHAPES[n_in], units, activation or "relu", "softmax" if units[-1] > 1 else "linear",
                      _bias_flag(path, params))


def draft_spec(params: Sequence[Param], activation: str | None = None) -> dict | None:
    """A spec that fits every tensor of a conv stack, or None: the lessons' input shapes, each conv's
    padding 0 or "same", a 2×2 max pool after a conv (and its BatchNorm, which carries the activation)
    or not, a flatten before the first dense layer. The first choice in that order under which every
    layer's shape is consistent with the tensors (so a flatten of 3136 = 64·7·7 makes it 28×28); a
    guess the learner must confirm."""
    convs = [p for p in params if p.weight.ndim == 4]
    if not convs or len(convs) > _DRAFT_MAX_CONVS or any(p.weight.ndim not in (2, 4) and p.stats is None
                                                          for p in params):
        return None
    act = activation if activation in HIDDEN_ACTIVATIONS else "relu"
    bias = any(p.bias is not None for p in params)
    channels = int(params[0].weight.shape[1]) if params[0].weight.ndim == 4 else None
    for shape in ([channels, 8, 8], [channels, 28, 28], [channels, 4, 3]) if channels else ():
        for choice in itertools.product(((True, 1), (True, 0), (False, 1), (False, 0)), repeat=len(convs)):
            layers, it, flat, pool = [], iter(choice), False, False
            for i, p in enumerate(params):
                o = int(p.weight.shape[0])
                if p.stats is not None:
                    if layers:
                        layers[-1]["activation"] = "linear"
                    layers.append(_batchnorm_entry(p, act))
                elif p.weight.ndim == 4:
                    pool, same = next(it)
                    k = int(p.weight.shape[2])
                    layers.append({"type": "conv", "filters": o, "kernel": k, "stride": 1,
                                   "padding": (k - 1) // 2 if same else 0, "activation": act})
                else:
                    if not flat:
                        layers.append({"type": "flatten"})
                        flat = True
                    layers.append({"type": "dense", "units": o, "activation": act})
                following = params[i + 1] if i + 1 < len(params) else None
                if pool and (following is None or following.stats is None) and layers[-1]["type"] != "dense":
                    layers.append({"type": "maxpool", "size": 2})
                    pool = False
            if layers[-1]["type"] != "dense":
                return None
            del layers[-1]["activation"]
            spec = {"input_shape": shape, "layers": layers,
                    "output": "softmax" if int(params[-1].weight.shape[0]) > 1 else "linear", "bias": bias}
            try:
                _, parsed, _, _ = parse_spec(spec)
            except SettingsError:
                continue
            if [layer.weight_shape for layer in parsed if layer.weight_shape] == [p.weight.shape for p in params]:
                return spec
    return None


def network_parts(path: Path, params: Sequence[Param], activation: str | None = None,
                  spec: Mapping | None = None) -> tuple[dict, list[np.ndarray], list[np.ndarray]]:
    """(spec, weights, biases) of a file's parameter layers: validated against ``spec`` when given,
    else a dense stack inferred (``activation`` for its hidden layers); a conv stack without a spec
    is a :class:`NeedsSpec` carrying a draft."""
    if spec is not None:
        return _from_spec(path, params, spec)
    if any(p.weight.ndim == 4 for p in params):
        draft = draft_spec(params, activation)
        guess = f"; a guess that fits the shapes: {describe_spec(draft)}" if draft else ""
        raise NeedsSpec(path, "holds convolution layers ("
                              + ", ".join(_describe(p) for p in params)[:300]
                              + "); the pooling, flattening and padding between them are not in the file: give "
                                f"the network's spec (on the command line --spec FILE){guess}",
                        [(p.weight_name, p.weight.shape) for p in params], draft)
    return _from_spec(path, params, _dense_spec(path, params, activation))


def sequential_keys(spec: Mapping) -> list[tuple[str, str | None]]:
    """(weight name, bias name or None) per parameter layer, as a ``torch.nn.Sequential`` of the same
    stack names them: one module per layer, plus one per hidden activation other than linear."""
    _, layers, _, bias = parse_spec(spec)
    keys, index = [], 0
    for i, layer in enumerate(layers):
        if layer.weight_shape is not None:
            keys.append((f"{index}.weight", f"{index}.bias" if bias else None))
        index += 1
        if i < len(layers) - 1 and layer.activation not in (None, "linear"):
            index += 1
    return keys


def torch_sequential_code(spec: Mapping) -> str:
    """The ``nn.Sequential(...)`` whose state_dict has :func:`sequential_keys` (logits out: the output
    activation is left to the loss, as PyTorch does)."""
    _, layers, _, bias = parse_spec(spec)
    mods, acts = [], {"relu": "nn.ReLU()", "sigmoid": "nn.Sigmoid()", "tanh": "nn.Tanh()", "elu": "nn.ELU()",
                      "gelu": "nn.GELU()", "silu": "nn.SiLU()"}
    b = "" if bias else ", bias=False"
    for i, layer in enumerate(layers):
        # one module per activation that sequential_keys counts: a leaky ReLU names its own slope
        acts["leaky_relu"] = f"nn.LeakyReLU({layer.activation_params.get('negative_slope', 0.01)})"
        if layer.type == "conv":
            mods.append(f"nn.Conv2d({layer.in_shape[0]}, {layer.filters}, {layer.kernel}, stride={layer.stride}, "
                        f"padding={layer.padding}{b})")
        elif layer.type == "maxpool":
            mods.append(f"nn.MaxPool2d({layer.size})")
        elif layer.type == "avgpool":
            mods.append(f"nn.AvgPool2d({layer.size})")
        elif layer.type == "batchnorm":  # its running statistics are in the spec (metadata "nnviz")
            mods.append(f"nn.BatchNorm{2 if len(layer.in_shape) == 3 else 1}d({layer.channels}, eps={layer.eps:g})")
        elif layer.type == "flatten":
            mods.append("nn.Flatten()")
        else:
            mods.append(f"nn.Linear({layer.in_shape[0]}, {layer.units}{b})")
        if i < len(layers) - 1 and layer.activation == "leaky_relu":
            mods.append(f"nn.LeakyReLU({layer.activation_params['negative_slope']:g})")
        elif i < len(layers) - 1 and layer.activation in acts:
            mods.append(acts[layer.activation])
    return "nn.Sequential(" + ", ".join(mods) + ")"


def read_spec_file(path: str | Path) -> dict:
    """A spec from a JSON file: the spec itself, or an object with it under ``"spec"`` (as nnviz's
    files keep it); a DataFormatError naming the file otherwise (its layers are checked on use)."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_SPEC_BYTES:
            fail(path, "is too large to be a network spec")
        spec = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        fail(path, f"cannot be read ({e.strerror or e})")
    except (UnicodeDecodeError, ValueError, RecursionError):
        fail(path, "is not a JSON network spec (not valid JSON)")
    if isinstance(spec, dict) and "layers" not in spec and isinstance(spec.get("spec"), dict):
        spec = spec["spec"]
    if not isinstance(spec, dict):
        fail(path, "is not a JSON network spec (an object with \"input_shape\" and \"layers\")")
    try:
        parse_spec(spec)
    except SettingsError as e:
        fail(path, f"is not a valid network spec: {e}")
    return spec
