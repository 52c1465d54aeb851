"""The safe ``.npz`` container every nnviz file is: arrays by name, one of them ``meta``
(a uint8 array of UTF-8 JSON), never pickles.

Model files, lesson files, the learner's examples and the bundled datasets all use it:
:func:`write_npz` writes atomically, :func:`read_npz` reads an archive without ever
unpickling and without trusting any size it declares, :func:`meta_json` decodes the
metadata entry, :func:`counters` and :func:`short_repr` check and quote what a file says.
"""

from __future__ import annotations

import io
import json
import math
import struct
import tokenize
import zipfile
import zlib
from pathlib import Path
from typing import Mapping

import numpy as np

from .atomic import atomic_write
from ..errors import DataFormatError

MAX_META_BYTES = 1 << 20

#: an archive may not be larger than this on disk, nor unpack to more than MAX_NPZ_BYTES
#: (a long MNIST history is a few MB; these bounds only stop damaged or hostile files)
MAX_FILE_BYTES = 256 << 20
MAX_NPZ_BYTES = 512 << 20
MAX_MEMBERS = 4096

#: everything a damaged zip / npy can raise while being decoded. zipfile and numpy's
#: header parser report damage in many ways (a CRC mismatch, a broken deflate stream,
#: an unsupported "compression method" after a bit flip, a header that is not a
#: Python literal, ...); to a user they all mean the same thing.
_DECODE_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError,
                  RuntimeError, struct.error, KeyError, OverflowError, TypeError, SyntaxError,
                  tokenize.TokenError, RecursionError)


def _fail(path, problem):
    raise DataFormatError(path, problem)


def meta_array(meta: dict) -> np.ndarray:
    """``meta`` as the uint8 array of its UTF-8 JSON."""
    return np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)


def write_npz(path: str | Path, arrays: Mapping[str, np.ndarray], compressed: bool = True) -> Path:
    """Write ``arrays`` as a ``.npz`` atomically (deflated unless not ``compressed``): a failed
    write keeps the old file."""
    def write(f):
        # np.savez_compressed's layout, but the archive is closed even when a write fails (NumPy
        # before 2.0 leaves it open, to fail again when it is collected)
        with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED) as zf:
            for key, a in arrays.items():
                with zf.open(f"{key}.npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, np.asanyarray(a), allow_pickle=False)
    return atomic_write(path, write)


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


def short_repr(value, limit: int = 60) -> str:
    """repr of a value from a file, cut short: a damaged file must not make a huge message."""
    r = repr(value)
    return r if len(r) <= limit else r[:limit] + "…"
