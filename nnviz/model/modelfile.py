"""Model files: ``.npz`` arrays plus one JSON metadata entry, never pickles.

Layout: ``meta`` (a uint8 array holding UTF-8 JSON: format, version, architecture,
lesson, iteration, epoch, seed, settings), ``W0..Wn`` and ``b0..bn`` (float32),
and ``history/<column>`` arrays. Loading validates everything against the
metadata and raises DataFormatError naming the file and the problem.

This module also holds the ``.npz`` machinery the other nnviz files share
(lesson files, the learner's examples, the bundled datasets): :func:`read_npz`
reads an archive without ever unpickling and without trusting any size it
declares, :func:`meta_json` decodes the metadata entry, :func:`network_from_arrays`
and :func:`history_from_arrays` validate a network and a training history.
"""

from __future__ import annotations

import io
import json
import math
import re
import struct
import tokenize
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np

from .atomic import atomic_write
from .errors import DataFormatError
from .functions import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from .history import EVAL_COLUMNS, HEALTH_COLUMNS, ROW_ARRAYS, STEP_COLUMNS, History
from .network import Network

FORMAT = "nnviz-model"
VERSION = 1
MAX_META_BYTES = 1 << 20

#: an archive may not be larger than this on disk, nor unpack to more than MAX_NPZ_BYTES
#: (a long MNIST history is a few MB; these bounds only stop damaged or hostile files)
MAX_FILE_BYTES = 256 << 20
MAX_NPZ_BYTES = 512 << 20
MAX_MEMBERS = 4096
MAX_LAYERS = 64
MAX_LAYER_SIZE = 100_000

#: everything a damaged zip / npy can raise while being decoded. zipfile and numpy's
#: header parser report damage in many ways (a CRC mismatch, a broken deflate stream,
#: an unsupported "compression method" after a bit flip, a header that is not a
#: Python literal, ...); to a user they all mean the same thing.
_DECODE_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError,
                  RuntimeError, struct.error, KeyError, OverflowError, TypeError, SyntaxError,
                  tokenize.TokenError, RecursionError)

_HISTORY_NAME = re.compile(r"[A-Za-z0-9_]{1,64}\Z")
#: history columns History itself reads as one number per row
_SCALAR_COLUMNS = tuple(c for c in STEP_COLUMNS + EVAL_COLUMNS + HEALTH_COLUMNS if c not in ROW_ARRAYS)


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
    """Write ``model`` to ``path`` atomically (temp file + rename).

    A diverged loss of ±inf in the history is stored as NaN ("no number").
    """
    net = model.network
    meta = {
        "format": FORMAT, "version": VERSION, "architecture": net.architecture(),
        "lesson": model.lesson, "iteration": int(model.iteration), "epoch": int(model.epoch),
        "seed": int(model.seed), "settings": model.settings,
    }
    arrays = {"meta": meta_array(meta), **network_arrays(net)}
    for k, v in history_arrays(model.history).items():
        arrays[f"history/{k}"] = v
    return write_npz(path, arrays)


def load_model(path: str | Path) -> SavedModel:
    """Read a model file written by :func:`save_model`; DataFormatError on anything else."""
    path = Path(path)
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
                      settings, History.from_arrays(hist))


# --- shared .npz machinery --------------------------------------------------------------------

def _fail(path, problem):
    raise DataFormatError(path, problem)


def meta_array(meta: dict) -> np.ndarray:
    """``meta`` as the uint8 array of its UTF-8 JSON."""
    return np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)


def write_npz(path: str | Path, arrays: Mapping[str, np.ndarray]) -> Path:
    """Write ``arrays`` as a compressed ``.npz`` atomically: a failed write keeps the old file."""
    return atomic_write(path, lambda f: np.savez_compressed(f, **arrays))


def read_npz(path: str | Path, what: str, *, max_bytes: int = MAX_NPZ_BYTES) -> dict[str, np.ndarray]:
    """Every array in the ``.npz`` archive at ``path``, by name (``"W0"``, ``"history/loss"``).

    Never unpickles (an object array is refused before its bytes are read) and
    trusts no declared size: the archive may unpack to at most ``max_bytes``, each
    member is inflated only up to the size it declares, and an array's shape must
    account for exactly the bytes that follow its header. Only the stored and
    deflate methods numpy writes are read. Arrays come back native-endian, owned
    and writeable. ``what`` names the kind of file in messages ("an nnviz model file").
    Anything else is a DataFormatError naming the file and the problem.
    """
    path = Path(path)
    try:
        if path.is_dir():
            _fail(path, f"is a folder, not {what}")
        if path.stat().st_size > MAX_FILE_BYTES:
            _fail(path, f"is {path.stat().st_size:,} bytes, too large to be {what}")
        raw = path.read_bytes()
    except OSError as e:
        _fail(path, f"cannot be read ({e.strerror or e})")
    if not raw.startswith(b"PK"):
        _fail(path, f"is not {what} (not an .npz archive)")
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_MEMBERS:
                _fail(path, f"holds {len(infos):,} entries, far more than {what} has")
            if sum(i.file_size for i in infos) > max_bytes:
                _fail(path, f"declares more than {max_bytes:,} bytes of data, too much for {what} "
                            "(a damaged file?)")
            arrays: dict[str, np.ndarray] = {}
            for info in infos:
                if info.flag_bits & 0x1:
                    _fail(path, f"holds an encrypted entry ({info.filename!r}); nnviz files are never encrypted")
                if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    _fail(path, f"uses a compression method nnviz does not read (entry {info.filename!r})")
                if not info.filename.endswith(".npy"):
                    _fail(path, f"holds {info.filename!r}, which is not a NumPy array: it is not {what}")
                key = info.filename[:-4]
                if key in arrays:
                    _fail(path, f"holds the array {key!r} twice")
                with zf.open(info) as member:
                    # read at most what the entry declares: a bit-flipped stream cannot balloon
                    data = member.read(info.file_size + 1)
                arrays[key] = _parse_npy(path, key, data)
    except DataFormatError:
        raise
    except _DECODE_ERRORS as e:
        _fail(path, f"is damaged or truncated ({type(e).__name__}: {e})")
    return arrays


def _parse_npy(path: Path, key: str, data: bytes) -> np.ndarray:
    """One ``.npy`` member: header checked, object dtypes refused, shape matched to the bytes."""
    f = io.BytesIO(data)
    if data[:6] != np.lib.format.MAGIC_PREFIX:
        _fail(path, f"holds {key!r}, which is not a NumPy array (damaged?)")
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
    elif version == (2, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
    else:
        _fail(path, f"holds {key!r} in NumPy format version {version}, which nnviz does not read")
    if dtype.hasobject:
        # allow_pickle=False, and stricter: the payload is never even looked at
        _fail(path, f"contains pickled Python objects ({key!r}), which nnviz never loads")
    if dtype.kind not in "biufc" or dtype.subdtype is not None:
        _fail(path, f"holds {key!r} of type {dtype}, not numbers")
    if not isinstance(shape, tuple) or not all(type(d) is int and d >= 0 for d in shape) or len(shape) > 32:
        _fail(path, f"holds {key!r} with an invalid shape {shape!r}")
    count = math.prod(shape)
    offset = f.tell()
    if count * dtype.itemsize != len(data) - offset:
        _fail(path, f"holds {key!r} of shape {shape} ({count * dtype.itemsize:,} bytes of {dtype}), "
                    f"but {len(data) - offset:,} bytes follow its header: the file is damaged")
    a = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
    a = a.reshape(shape, order="F" if fortran else "C")
    return np.array(a, dtype=dtype.newbyteorder("="), order="C")


def meta_json(path: Path, arrays: Mapping[str, np.ndarray], what: str) -> dict:
    """The JSON object in ``arrays["meta"]`` (a uint8 array of UTF-8), or a DataFormatError."""
    arr = arrays.get("meta")
    if arr is None:
        _fail(path, f"is an .npz archive but not {what} file (no metadata)")
    if arr.dtype != np.uint8 or arr.ndim != 1 or arr.size > MAX_META_BYTES:
        _fail(path, "has unreadable metadata")
    try:
        meta = json.loads(arr.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # ValueError: bad JSON, 5000-digit ints
        _fail(path, "has metadata that is not valid JSON")
    if not isinstance(meta, dict):
        _fail(path, f"is not {what} file (its metadata is not a JSON object)")
    return meta


def counters(path: Path, meta: dict, names) -> dict[str, int]:
    """Non-negative whole numbers ``meta[name]`` (0 when absent), e.g. iteration, epoch, seed."""
    out = {k: meta.get(k, 0) for k in names}
    if not all(type(v) is int and 0 <= v < 1 << 63 for v in out.values()):
        _fail(path, f"has invalid {'/'.join(names)} numbers")
    return out


def network_arrays(net: Network) -> dict[str, np.ndarray]:
    """``W0..Wn``, ``b0..bn`` of ``net``, as stored in a file."""
    arrays = {}
    for i, (w, b) in enumerate(zip(net.weights, net.biases)):
        arrays[f"W{i}"], arrays[f"b{i}"] = np.asarray(w), np.asarray(b)
    return arrays


def network_from_arrays(path: Path, arch, arrays: Mapping[str, np.ndarray]) -> Network:
    """A Network from a file's ``architecture`` metadata and its ``W<i>``/``b<i>`` arrays.

    Checks the layer sizes, the activation names, the bias flag, every weight and
    bias shape against the sizes, that they are finite floating point numbers, and
    that there are no extra layers.
    """
    if not isinstance(arch, dict):
        _fail(path, "has no architecture in its metadata")
    sizes = arch.get("sizes")
    if (not isinstance(sizes, list) or not 2 <= len(sizes) <= MAX_LAYERS
            or not all(type(s) is int and 1 <= s <= MAX_LAYER_SIZE for s in sizes)):
        _fail(path, f"has an invalid architecture (layer sizes {short_repr(sizes)})")
    if arch.get("hidden") not in HIDDEN_ACTIVATIONS or arch.get("output") not in OUTPUT_ACTIVATIONS:
        _fail(path, "names an activation function nnviz does not know")
    bias = arch.get("bias", True)
    if not isinstance(bias, bool):
        _fail(path, f"has an invalid bias flag {short_repr(bias)} in its architecture")
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
        if not (np.isfinite(w).all() and np.isfinite(b).all()):
            _fail(path, f"layer {i + 1} has weights that are not numbers (NaN or infinity)")
        weights.append(w)
        biases.append(b)
    if f"W{n}" in arrays or f"b{n}" in arrays:
        _fail(path, "has more weight layers than its architecture says")
    net = Network(sizes, hidden=arch["hidden"], output=arch["output"], bias=bias, init="zeros")
    net.set_parameters(weights, biases)
    return net


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


def short_repr(value, limit: int = 60) -> str:
    """repr of a value from a file, cut short: a damaged file must not make a huge message."""
    r = repr(value)
    return r if len(r) <= limit else r[:limit] + "…"
