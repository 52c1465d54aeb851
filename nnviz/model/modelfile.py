"""Model files: ``.npz`` arrays plus one JSON metadata entry, never pickles.

Layout: ``meta`` (a uint8 array holding UTF-8 JSON: format, version, architecture,
lesson, iteration, epoch, seed, settings), ``W0..Wn`` and ``b0..bn`` (float32),
and ``history/<column>`` arrays. Loading validates everything against the
metadata and raises DataFormatError naming the file and the problem.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .atomic import atomic_write
from .errors import DataFormatError, NNVizError
from .functions import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from .history import History
from .network import Network

FORMAT = "nnviz-model"
VERSION = 1
MAX_META_BYTES = 1 << 20


@dataclass
class SavedModel:
    """What a model file holds, ready to drive a trainer again."""

    network: Network
    lesson: str = ""
    iteration: int = 0
    epoch: int = 0
    seed: int = 0
    settings: dict = field(default_factory=dict)
    history: History = field(default_factory=History)


def save_model(path: str | Path, model: SavedModel) -> Path:
    """Write ``model`` to ``path`` atomically (temp file + rename)."""
    net = model.network
    meta = {
        "format": FORMAT, "version": VERSION, "architecture": net.architecture(),
        "lesson": model.lesson, "iteration": int(model.iteration), "epoch": int(model.epoch),
        "seed": int(model.seed), "settings": model.settings,
    }
    arrays = {"meta": np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)}
    for i, (w, b) in enumerate(zip(net.weights, net.biases)):
        arrays[f"W{i}"], arrays[f"b{i}"] = w, b
    for k, v in model.history.to_arrays().items():
        arrays[f"history/{k}"] = v
    return atomic_write(path, lambda f: np.savez_compressed(f, **arrays))


def _fail(path, problem):
    raise DataFormatError(path, problem)


def load_model(path: str | Path) -> SavedModel:
    """Read a model file written by :func:`save_model`; DataFormatError on anything else."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        _fail(path, "is a folder, not a model file")
    except OSError as e:
        _fail(path, f"cannot be read ({e.strerror or e})")
    if not raw.startswith(b"PK"):
        _fail(path, "is not an nnviz model file (not an .npz archive)")
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as z:
            names = set(z.files)
            if "meta" not in names:
                _fail(path, "is an .npz archive but not an nnviz model (no metadata)")
            meta = _read_meta(path, z["meta"])
            arrays = {k: z[k] for k in names if k != "meta"}
    except NNVizError:
        raise
    except ValueError as e:
        # np.load raises ValueError for object arrays when pickles are refused
        if "pickle" in str(e).lower():
            _fail(path, "contains pickled Python objects, which nnviz never loads")
        _fail(path, f"is damaged ({e})")
    except (zipfile.BadZipFile, OSError, EOFError, KeyError, RuntimeError, TypeError, IndexError) as e:
        _fail(path, f"is damaged or truncated ({type(e).__name__}: {e})")
    return _build(path, meta, arrays)


def _read_meta(path, arr) -> dict:
    if arr.dtype != np.uint8 or arr.ndim != 1 or arr.size > MAX_META_BYTES:
        _fail(path, "has unreadable metadata")
    try:
        meta = json.loads(arr.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        _fail(path, "has metadata that is not valid JSON")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        _fail(path, "is not an nnviz model file (wrong format tag)")
    if meta.get("version") != VERSION:
        _fail(path, f"was written by an nnviz model format version {meta.get('version')!r}; "
                    f"this nnviz reads version {VERSION}")
    return meta


def _build(path, meta, arrays) -> SavedModel:
    arch = meta.get("architecture")
    if not isinstance(arch, dict):
        _fail(path, "has no architecture in its metadata")
    sizes = arch.get("sizes")
    if (not isinstance(sizes, list) or len(sizes) < 2 or len(sizes) > 64
            or not all(isinstance(s, int) and 1 <= s <= 100_000 for s in sizes)):
        _fail(path, f"has an invalid architecture (layer sizes {sizes!r})")
    if arch.get("hidden") not in HIDDEN_ACTIVATIONS or arch.get("output") not in OUTPUT_ACTIVATIONS:
        _fail(path, "names an activation function nnviz does not know")
    n = len(sizes) - 1
    weights, biases = [], []
    for i in range(n):
        w, b = arrays.get(f"W{i}"), arrays.get(f"b{i}")
        if w is None or b is None:
            _fail(path, f"is missing the weights of layer {i + 1}")
        if w.shape != (sizes[i + 1], sizes[i]) or b.shape != (sizes[i + 1],):
            _fail(path, f"layer {i + 1} has weights {w.shape} and biases {b.shape}, but the architecture "
                        f"{'-'.join(map(str, sizes))} needs {(sizes[i + 1], sizes[i])} and {(sizes[i + 1],)}")
        if w.dtype.kind != "f" or b.dtype.kind != "f":
            _fail(path, f"layer {i + 1} holds {w.dtype} numbers, not floating point weights")
        weights.append(w)
        biases.append(b)
    if f"W{n}" in arrays:
        _fail(path, "has more weight layers than its architecture says")
    net = Network(sizes, hidden=arch["hidden"], output=arch["output"], bias=bool(arch.get("bias", True)),
                  init="zeros")
    net.set_parameters(weights, biases)
    hist = {k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith("history/")}
    if any(v.ndim != 1 or v.dtype.kind not in "fiu" for v in hist.values()):
        _fail(path, "has a damaged training history")
    ints = {k: meta.get(k, 0) for k in ("iteration", "epoch", "seed")}
    if not all(isinstance(v, int) and v >= 0 for v in ints.values()):
        _fail(path, "has invalid iteration/epoch/seed numbers")
    settings = meta.get("settings") or {}
    if not isinstance(settings, dict):
        _fail(path, "has invalid training settings")
    return SavedModel(net, str(meta.get("lesson", "")), ints["iteration"], ints["epoch"], ints["seed"],
                      settings, History.from_arrays(hist))
