"""Model files: ``.npz`` arrays plus one JSON metadata entry, never pickles.

Layout: ``meta`` (a uint8 array holding UTF-8 JSON: format, version, architecture,
lesson, iteration, epoch, epoch_fraction, seed, settings), ``W0..Wn`` and ``b0..bn``
(float32), and ``history/<column>`` arrays. ``epoch_fraction`` (how far through the
current epoch's shuffle training stood, in [0, 1)) came later: a file without it reads 0. Loading validates everything against the
metadata and raises DataFormatError naming the file and the problem.

The ``architecture`` of an MLP is ``{"sizes", "hidden", "output", "bias", "dtype"}`` as
it always was, plus (since the layer stacks) its ``"spec"``, which loading ignores: the
sizes rebuild it exactly as before, and files without a spec load as they always did.
An MLP with an input transform also has ``"input_transform"`` (the spec's key, as there;
its input shape is then the spec's, which per-channel values need).
Any other stack (conv, pooling, mixed activations) is ``{"spec", "dtype"}`` (the
normal-form spec of ``core/layers.py``); ``W<i>``/``b<i>`` are then its parameter
layers' arrays in PyTorch layouts (conv ``(filters, C, k, k)``, dense ``(units, inputs)``).

The container itself is :mod:`nnviz.model.storage.npzfile`. This module maps a network and
a training history to and from a file's arrays (:func:`network_arrays`,
:func:`network_from_arrays`, :func:`history_arrays`, :func:`history_from_arrays`),
which lesson files share.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Mapping

import numpy as np

from ..errors import DataFormatError
from ..core.functions import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from ..core.input_transform import InputTransform
from ..core.history import EVAL_COLUMNS, HEALTH_COLUMNS, ROW_ARRAYS, STEP_COLUMNS, History
from ..core.networks import network_from_parameters
from ..core.layers import parse_spec
from ..core.network import Network
from ..core.networks import NetworkLike
from ..errors import SettingsError
from .foreign import FOREIGN_SUFFIXES, load_foreign
from .saved_model import SavedModel
from ..storage.npzfile import counters, meta_array, meta_json, read_npz, short_repr, write_npz

FORMAT = "nnviz-model"
VERSION = 1
MAX_LAYERS = 64
MAX_LAYER_SIZE = 100_000
MAX_MAP_SIZE = 1_000_000  # numbers in one layer's output (per image) of a layer stack

_HISTORY_NAME = re.compile(r"[A-Za-z0-9_]{1,64}\Z")
#: history columns History itself reads as one number per row
_SCALAR_COLUMNS = tuple(c for c in STEP_COLUMNS + EVAL_COLUMNS + HEALTH_COLUMNS if c not in ROW_ARRAYS)


def save_model(path: str | Path, model: SavedModel) -> Path:
    """Write ``model`` to ``path`` atomically (temp file + rename).

    A diverged loss of ±inf in the history is stored as NaN ("no number").
    """
    net = model.network
    meta = {
        "format": FORMAT, "version": VERSION, "architecture": architecture_meta(net),
        "lesson": model.lesson, "iteration": int(model.iteration), "epoch": int(model.epoch),
        "epoch_fraction": float(model.epoch_fraction), "seed": int(model.seed), "settings": model.settings,
    }
    arrays = {"meta": meta_array(meta), **network_arrays(net)}
    for k, v in history_arrays(model.history).items():
        arrays[f"history/{k}"] = v
    return write_npz(path, arrays)


def load_model(path: str | Path) -> SavedModel:
    """Read a model file written by :func:`save_model`; DataFormatError on anything else.
    A PyTorch, safetensors or ONNX file (by suffix) is read by ``foreign.load_foreign``."""
    path = Path(path)
    if path.suffix.lower() in FOREIGN_SUFFIXES:
        return load_foreign(path)
    arrays = read_npz(path, "an nnviz model file")
    meta = meta_json(path, arrays, "an nnviz model")
    if meta.get("format") != FORMAT:
        _fail(path, "is not an nnviz model file (wrong format tag)")
    if meta.get("version") != VERSION:
        _fail(path, f"was written by an nnviz model format version {meta.get('version')!r}; "
                    f"this nnviz reads version {VERSION}")
    net = network_from_arrays(path, meta.get("architecture"), arrays)
    hist = history_from_arrays(path, arrays)
    ints = counters(path, meta, ("iteration", "epoch", "seed"))
    settings = meta.get("settings") or {}
    if not isinstance(settings, dict):
        _fail(path, "has invalid training settings")
    lesson = meta.get("lesson", "")
    if not isinstance(lesson, str):
        _fail(path, f"has an invalid lesson name {short_repr(lesson)}")
    return SavedModel(net, lesson, ints["iteration"], ints["epoch"], ints["seed"],
                      settings, History.from_arrays(hist), epoch_fraction(path, meta))


def epoch_fraction(path: Path, meta: dict) -> float:
    """``meta["epoch_fraction"]``: a number in [0, 1), 0.0 when absent (files from before it)."""
    f = meta.get("epoch_fraction", 0.0)
    if type(f) not in (int, float) or not 0 <= f < 1:
        _fail(path, f"has an invalid epoch fraction {short_repr(f)} (a number from 0 up to 1 is needed)")
    return float(f)


# --- a network and a training history as a file's arrays ---------------------------------------

def _fail(path, problem):
    raise DataFormatError(path, problem)


def architecture_meta(net) -> dict:
    """The ``architecture`` entry of a file: ``net.architecture()``, with the spec for an MLP too."""
    arch = net.architecture()
    return arch if "spec" in arch else {**arch, "spec": net.spec}


def network_arrays(net: NetworkLike) -> dict[str, np.ndarray]:
    """``W0..Wn``, ``b0..bn`` of ``net``, as stored in a file."""
    arrays = {}
    for i, (w, b) in enumerate(zip(net.weights, net.biases)):
        arrays[f"W{i}"], arrays[f"b{i}"] = np.asarray(w), np.asarray(b)
    return arrays


def network_from_arrays(path: Path, arch, arrays: Mapping[str, np.ndarray]) -> NetworkLike:
    """A Network from a file's ``architecture`` metadata and its ``W<i>``/``b<i>`` arrays.

    Checks the layer sizes, the activation names, the bias flag, every weight and
    bias shape against the sizes, that they are finite floating point numbers, and
    that there are no extra layers.
    """
    if not isinstance(arch, dict):
        _fail(path, "has no architecture in its metadata")
    if "sizes" not in arch and "spec" in arch:
        return _stack_from_arrays(path, arch["spec"], arrays)
    sizes = arch.get("sizes")
    if (not isinstance(sizes, list) or not 2 <= len(sizes) <= MAX_LAYERS
            or not all(type(s) is int and 1 <= s <= MAX_LAYER_SIZE for s in sizes)):
        _fail(path, f"has an invalid architecture (layer sizes {short_repr(sizes)})")
    if arch.get("hidden") not in HIDDEN_ACTIVATIONS or arch.get("output") not in OUTPUT_ACTIVATIONS:
        _fail(path, "names an activation function nnviz does not know")
    bias = arch.get("bias", True)
    if not isinstance(bias, bool):
        _fail(path, f"has an invalid bias flag {short_repr(bias)} in its architecture")
    shapes = [(sizes[i + 1], sizes[i]) for i in range(len(sizes) - 1)]
    weights, biases = _checked_layers(path, arrays, shapes, "layer", "the architecture "
                                      f"{'-'.join(map(str, sizes))}", "architecture")
    transform, input_shape = _mlp_transform(path, arch, sizes[0])
    net = Network(sizes, hidden=arch["hidden"], output=arch["output"], bias=bias, init="zeros",
                  input_shape=input_shape, input_transform=transform)
    net.set_parameters(weights, biases)
    return net


def _mlp_transform(path: Path, arch: dict, n_inputs: int):
    """(the MLP's InputTransform or None, the input shape it needs or None) from its architecture."""
    entry = arch.get("input_transform")
    if entry is None:
        return None, None
    spec = arch.get("spec")
    shape = spec.get("input_shape") if isinstance(spec, dict) else None
    if not (isinstance(shape, list) and len(shape) in (1, 3) and all(type(s) is int and s >= 1 for s in shape)
            and int(np.prod(shape)) == n_inputs):
        shape = [n_inputs]
    try:
        return InputTransform.from_spec(entry, shape), shape
    except SettingsError as e:
        _fail(path, f"has an invalid input transform ({str(e)[:200]})")


def _checked_layers(path: Path, arrays: Mapping[str, np.ndarray], shapes, layer: str, needs: str, says: str):
    """Arrays ``W{i}`` (shape) and ``b{i}`` (shape[0],) of every layer, each present, of that shape,
    finite floating point, and no layer beyond them; else the file fails, naming what is wrong."""
    weights, biases = [], []
    for i, shape in enumerate(shapes):
        w, b = arrays.get(f"W{i}"), arrays.get(f"b{i}")
        if w is None or b is None:
            _fail(path, f"is missing the weights of {layer} {i + 1}")
        if w.shape != tuple(shape) or b.shape != tuple(shape[:1]):
            _fail(path, f"{layer} {i + 1} has weights {w.shape} and biases {b.shape}, but {needs} "
                        f"needs {tuple(shape)} and {tuple(shape[:1])}")
        if w.dtype.kind != "f" or b.dtype.kind != "f":
            _fail(path, f"{layer} {i + 1} holds {w.dtype} numbers, not floating point weights")
        if not (np.isfinite(w).all() and np.isfinite(b).all()):
            _fail(path, f"{layer} {i + 1} has weights that are not numbers (NaN or infinity)")
        weights.append(w)
        biases.append(b)
    n = len(shapes)
    if f"W{n}" in arrays or f"b{n}" in arrays:
        _fail(path, f"has more weight layers than its {says} says")
    return weights, biases


def _stack_from_arrays(path: Path, spec, arrays: Mapping[str, np.ndarray]):
    """A layer stack from a file's ``spec`` and arrays: the spec validated, every shape checked
    against it before anything is allocated, finite floats only, no extra layers."""
    try:
        _, layers, _, _ = parse_spec(spec)
    except (SettingsError, TypeError, ValueError, OverflowError) as e:
        _fail(path, f"has an invalid network spec ({str(e)[:200]})")
    if len(layers) > MAX_LAYERS:
        _fail(path, f"has {len(layers)} layers; nnviz opens at most {MAX_LAYERS}")
    for i, layer in enumerate(layers):
        if int(np.prod(layer.out_shape, dtype=np.float64)) > MAX_MAP_SIZE:
            _fail(path, f"layer {i + 1} ({layer.type}) makes {'×'.join(map(str, layer.out_shape))} numbers "
                        f"per image; nnviz opens at most {MAX_MAP_SIZE:,}")
    shapes = [layer.weight_shape for layer in layers if layer.weight_shape is not None]
    weights, biases = _checked_layers(path, arrays, shapes, "weight layer", "its spec", "spec")
    weights = [np.array(w, dtype=np.float32, order="C") for w in weights]
    biases = [np.array(b, dtype=np.float32) for b in biases]
    return network_from_parameters(spec, weights, biases)


def history_arrays(history) -> dict[str, np.ndarray]:
    """A History (or a mapping of columns) as independent arrays for a file.

    Generic: every column is kept whatever its shape (``loss`` (n,), ``grad_norm``
    (m, L), ``weight_quantiles`` (k, L, 7), columns added later). A loss that
    diverged to ±inf is stored as NaN, the history's "no number".
    """
    items = history.to_arrays() if isinstance(history, History) else dict(history)
    out = {}
    for k, v in items.items():
        a = np.array(v)
        if a.dtype.kind == "f":
            a[np.isinf(a)] = np.nan
        out[str(k)] = a
    return out


def history_problem(columns: Mapping[str, np.ndarray]) -> str | None:
    """Why ``columns`` is not a history nnviz can use, or None.

    Names are short identifiers; values are integer or floating arrays of 1 to 4
    dimensions whose floats are finite or NaN; the columns History reads as one
    number per row are 1-D.
    """
    for k, v in columns.items():
        if not isinstance(k, str) or not _HISTORY_NAME.match(k):
            return f"has a training-history column with an invalid name {short_repr(k)}"
        if not isinstance(v, np.ndarray) or v.dtype.kind not in "iuf" or not 1 <= v.ndim <= 4:
            return f"has a damaged training history (column {k!r})"
        if k in _SCALAR_COLUMNS and v.ndim != 1:
            return f"has a damaged training history (column {k!r} should be one number per row)"
        if v.dtype.kind == "f" and np.isinf(v).any():
            return f"has a damaged training history (column {k!r} holds infinities)"
    return None


def history_from_arrays(path: Path, arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The ``history/<column>`` arrays of a file, validated (see :func:`history_problem`)."""
    hist = {k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith("history/")}
    problem = history_problem(hist)
    if problem:
        _fail(path, problem)
    return hist
