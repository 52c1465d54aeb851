"""safetensors files: read through the ``safetensors`` package's NumPy API, and written by nnviz.

Layout: an 8-byte little-endian header length N, N bytes of JSON (``{"__metadata__":
{str: str}, name: {"dtype", "shape", "data_offsets": [begin, end]}, …}``), then the data
(offsets relative to its start). Before the package sees the file, the header is checked
here against the file's size: N within the file and at most ``MAX_HEADER_BYTES``, every
entry's dtype known, its shape small and its byte count equal to its offsets' span,
every span inside the data. The package reads the tensors (``safe_open(framework="np")``),
except bfloat16, which NumPy lacks: those are read from their validated byte span and
widened exactly to float32 (as float16 is).

:func:`save_safetensors` writes an nnviz network with a ``torch.nn.Sequential``'s key names
(``0.weight``, ``0.bias``, ``3.weight`` …; ``spec_inference.sequential_keys``), so in PyTorch::

    from safetensors.torch import load_file
    model = nn.Sequential(...)            # the file's metadata "pytorch" says which
    model.load_state_dict(load_file(path))

and its metadata: ``"nnviz"`` (JSON: format, version, spec, lesson), with which nnviz opens
it again with no questions, ``"pytorch"`` (that ``nn.Sequential`` as code) and ``"format": "pt"``.
"""

from __future__ import annotations

import json
import math
import struct
from collections import OrderedDict
from pathlib import Path

import numpy as np
from safetensors import SafetensorError, safe_open
from safetensors.numpy import save

from ...core.layers import parse_spec
from ...errors import SettingsError
from ...storage.atomic import atomic_write
from .reading import MAX_DIMS, MAX_TENSOR_BYTES, MAX_TENSORS, bfloat16_to_float32, fail, read_capped, widen
from .spec_inference import natural_key, sequential_keys, torch_sequential_code

WHAT = "a safetensors file"
MAX_HEADER_BYTES = 16 << 20
FORMAT, VERSION = "nnviz-model", 1

#: safetensors dtype -> NumPy dtype (BF16 as its uint16 bit patterns); others are refused
DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
          "I8": "i1", "U8": "u1", "BOOL": "?"}


def _header(path: Path, raw: bytes) -> tuple[dict, dict[str, str]]:
    """(tensor entries by name, metadata) of a safetensors file, every size checked against ``raw``."""
    if len(raw) < 8:
        fail(path, f"is not {WHAT} (only {len(raw)} bytes)")
    (n,) = struct.unpack_from("<Q", raw)
    if n > min(MAX_HEADER_BYTES, len(raw) - 8):
        fail(path, f"declares a {n:,}-byte header, but the file has {len(raw) - 8:,} bytes after its length: "
                   f"it is not {WHAT}, or it is damaged")
    try:
        header = json.loads(raw[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        fail(path, f"is not {WHAT} (its header is not JSON)")
    if not isinstance(header, dict):
        fail(path, f"is not {WHAT} (its header is not a JSON object)")
    meta = header.pop("__metadata__", None) or {}
    if not isinstance(meta, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()):
        fail(path, "has invalid metadata (safetensors metadata maps text to text)")
    if len(header) > MAX_TENSORS:
        fail(path, f"holds {len(header):,} tensors, too many for a network nnviz shows")
    data_len, total = len(raw) - 8 - n, 0
    for name, e in header.items():
        if not isinstance(e, dict) or set(e) != {"dtype", "shape", "data_offsets"}:
            fail(path, f"has a damaged entry for tensor {name[:60]!r}")
        dtype, shape, offs = e["dtype"], e["shape"], e["data_offsets"]
        if not isinstance(dtype, str) or dtype not in DTYPES:
            fail(path, f"holds tensor {name[:60]!r} as {str(dtype)[:20]}, a type nnviz does not read")
        if (not isinstance(shape, list) or len(shape) > MAX_DIMS
                or not all(type(d) is int and 0 <= d < 1 << 40 for d in shape)):
            fail(path, f"holds tensor {name[:60]!r} with an invalid shape")
        if (not isinstance(offs, list) or len(offs) != 2 or not all(type(o) is int for o in offs)
                or not 0 <= offs[0] <= offs[1] <= data_len):
            fail(path, f"holds tensor {name[:60]!r} at offsets outside the file's {data_len:,} bytes of data: "
                       "the file is damaged or truncated")
        nbytes = math.prod(shape) * np.dtype(DTYPES[dtype]).itemsize
        if nbytes != offs[1] - offs[0]:
            fail(path, f"holds tensor {name[:60]!r} of shape {tuple(shape)} ({nbytes:,} bytes of {dtype}) in "
                       f"{offs[1] - offs[0]:,} bytes: the file is damaged")
        total += nbytes
    if total > MAX_TENSOR_BYTES:
        fail(path, f"holds more than {MAX_TENSOR_BYTES:,} bytes of tensors, too many for nnviz")
    return header, meta


def read_safetensors(path: str | Path) -> tuple["OrderedDict[str, np.ndarray]", dict[str, str]]:
    """(tensors by name in :func:`natural_key` order, metadata) of a safetensors file; float16 and
    bfloat16 tensors come back float32. A DataFormatError naming the file for anything else."""
    path = Path(path)
    raw = read_capped(path, WHAT)
    header, meta = _header(path, raw)
    start = 8 + struct.unpack_from("<Q", raw)[0]
    tensors: OrderedDict[str, np.ndarray] = OrderedDict()
    try:
        with safe_open(str(path), framework="np") as f:
            if sorted(f.keys()) != sorted(header):
                fail(path, "has a header the safetensors package reads differently (damaged?)")
            for name in sorted(header, key=natural_key):
                e = header[name]
                if e["dtype"] == "BF16":
                    b, end = e["data_offsets"]
                    bits = np.frombuffer(raw, dtype="<u2", count=(end - b) // 2, offset=start + b)
                    a = bfloat16_to_float32(bits.reshape(e["shape"]))
                else:
                    a = f.get_tensor(name)
                if list(a.shape) != e["shape"]:
                    fail(path, f"holds tensor {name[:60]!r} whose shape the package reads differently")
                tensors[name] = widen(np.array(a, dtype=a.dtype.newbyteorder("="), order="C"))
    except (SafetensorError, OSError, ValueError, TypeError, OverflowError, MemoryError) as e:
        fail(path, f"is damaged ({type(e).__name__}: {str(e)[:160]})")
    return tensors, meta


def nnviz_spec(path: Path, meta: dict[str, str]) -> dict | None:
    """The spec nnviz wrote into a file's metadata, or None for files from elsewhere."""
    text = meta.get("nnviz")
    if text is None:
        return None
    try:
        info = json.loads(text)
    except (ValueError, RecursionError):
        fail(path, "has damaged nnviz metadata (not JSON)")
    if not isinstance(info, dict) or info.get("format") != FORMAT or not isinstance(info.get("spec"), dict):
        fail(path, "has damaged nnviz metadata (no network spec)")
    if info.get("version") != VERSION:
        fail(path, f"was written by an nnviz model format version {str(info.get('version'))[:20]}; "
                   f"this nnviz reads version {VERSION}")
    return info["spec"]


def nnviz_lesson(meta: dict[str, str]) -> str:
    """The lesson an nnviz-written file names ("" if none or unreadable)."""
    try:
        lesson = json.loads(meta.get("nnviz", "{}")).get("lesson", "")
    except (ValueError, AttributeError, RecursionError):
        return ""
    return lesson if isinstance(lesson, str) else ""


def safetensors_bytes(net, lesson: str = "") -> bytes:
    """The safetensors file of ``net`` (see the module docstring), as bytes."""
    spec = net.spec
    try:
        parse_spec(spec)
    except SettingsError as e:  # pragma: no cover - a live network's spec always parses
        raise SettingsError(f"cannot export this network: {e}") from e
    tensors = {}
    for (wk, bk), w, b in zip(sequential_keys(spec), net.weights, net.biases):
        tensors[wk] = np.ascontiguousarray(w, dtype=np.float32)
        if bk is not None:
            tensors[bk] = np.ascontiguousarray(b, dtype=np.float32)
    meta = {"format": "pt", "nnviz": json.dumps({"format": FORMAT, "version": VERSION, "spec": spec,
                                                 "lesson": lesson}),
            "pytorch": torch_sequential_code(spec)}
    return save(tensors, metadata=meta)


def save_safetensors(path: str | Path, net, lesson: str = "") -> Path:
    """Write ``net`` as a safetensors file atomically (temp file + rename)."""
    data = safetensors_bytes(net, lesson)
    return atomic_write(path, lambda f: f.write(data))
