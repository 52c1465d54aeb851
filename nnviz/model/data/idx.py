"""MNIST-format IDX files (MNIST, Fashion-MNIST, KMNIST, …), read and validated strictly.

Layout (LeCun's spec): two zero bytes, a data-type code (0x08 uint8, 0x09 int8,
0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64), the number of dimensions,
then one big-endian uint32 per dimension, then the values, row-major and
big-endian. Files may be gzipped. Anything else — wrong magic, truncated or
trailing bytes, an absurd declared size, a broken gzip stream — is a
DataFormatError naming the file, never a crash or a huge allocation.
"""

from __future__ import annotations

import gzip
import io
import math
import struct
import zlib
from pathlib import Path

import numpy as np

from ..storage.atomic import atomic_write
from ..errors import DataFormatError

DTYPES = {0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"),
          0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
CODES = {dt.newbyteorder("="): code for code, dt in DTYPES.items()}  # native dtype -> code
MAX_NDIM = 4  # MNIST-style sets use 1 (labels) or 3 (images); more is a damaged header
# Larger than any IDX set (EMNIST byclass is ~550 MB). A bit-flipped dimension
# declares terabytes; checking the declared size against this stops it early.
MAX_BYTES = 2 << 30
GZIP_MAGIC = b"\x1f\x8b"


class _Gunzip:
    """``read(n)`` over gzip data held in memory, decompressing only as much as asked.

    Decompressing on demand means a damaged header is rejected before a large
    payload is inflated, and a gzip bomb cannot inflate past what the header declares.
    Several gzip members in a row are one stream (as gzip(1) treats them).
    """

    def __init__(self, path: Path, data: bytes):
        self.path, self.pending = path, data
        self.d = zlib.decompressobj(wbits=31)  # 31: expect a gzip header and check its CRC

    def read(self, n: int) -> bytes:
        out = bytearray()
        try:
            while len(out) < n:
                if self.d.eof:
                    rest = self.d.unused_data
                    if not rest.strip(b"\0"):  # the end (zero padding after gzip is tolerated)
                        break
                    if rest[:2] != GZIP_MAGIC:
                        raise DataFormatError(self.path, "has bytes after its gzip data that are not gzip")
                    self.d, self.pending = zlib.decompressobj(wbits=31), rest
                chunk = self.d.decompress(self.pending, n - len(out))
                self.pending = self.d.unconsumed_tail
                out += chunk
                if not chunk and not self.pending and not self.d.eof:
                    raise DataFormatError(self.path, "is a gzip file that ends early (the download was cut short?)")
        except zlib.error as e:
            raise DataFormatError(self.path, f"is a damaged gzip file ({e})") from None
        return bytes(out)


def _open(path: Path):
    """A reader with ``read(n)`` over the file's IDX bytes, gunzipping if needed."""
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise DataFormatError(path, "is a folder, not an IDX file")
        if size > MAX_BYTES + 4 + 4 * MAX_NDIM:
            raise DataFormatError(path, f"is {size:,} bytes, too large to be an IDX file nnviz can load")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataFormatError(path, "does not exist") from None
    except OSError as e:
        raise DataFormatError(path, f"cannot be read ({e.strerror or e})") from None
    # Sniff rather than trust the name: browsers often gunzip a download but keep ".gz".
    if raw[:2] == GZIP_MAGIC:
        return _Gunzip(path, raw)
    return io.BytesIO(raw)


def read_idx(path: str | Path) -> np.ndarray:
    """The array an IDX file (plain or gzipped) holds, in native byte order.

    E.g. ``train-images-idx3-ubyte`` -> uint8 (60000, 28, 28), ``train-labels-idx1-ubyte``
    -> uint8 (60000,). Raises DataFormatError naming the file for anything malformed.
    """
    path = Path(path)
    src = _open(path)
    head = src.read(4)
    if len(head) < 4:
        raise DataFormatError(path, f"is too short to be an IDX file ({len(head)} bytes)")
    zero, code, ndim = struct.unpack(">HBB", head)
    if zero != 0:
        raise DataFormatError(path, f"is not an IDX file (it starts with 0x{head.hex()}, an IDX file "
                                    "starts with two zero bytes, e.g. 0x00000803)")
    if code not in DTYPES:
        raise DataFormatError(path, f"is not an IDX file nnviz knows (data type code 0x{code:02x}; "
                                    "known: 0x08, 0x09, 0x0b..0x0e)")
    if not 1 <= ndim <= MAX_NDIM:
        raise DataFormatError(path, f"is not an IDX file nnviz knows (it declares {ndim} dimensions, "
                                    f"expected 1 to {MAX_NDIM})")
    dim_bytes = src.read(4 * ndim)
    if len(dim_bytes) < 4 * ndim:
        raise DataFormatError(path, "ends inside its header (the file is truncated)")
    dims = struct.unpack(f">{ndim}I", dim_bytes)
    dtype = DTYPES[code]
    expected = math.prod(dims) * dtype.itemsize  # Python ints: cannot overflow, unlike np.prod
    if expected > MAX_BYTES:
        raise DataFormatError(path, f"declares dimensions {dims}, too large to be real "
                                    "(a damaged header?)")
    payload = src.read(expected + 1)  # one extra byte reveals trailing data
    if len(payload) < expected:
        raise DataFormatError(path, f"is truncated: dimensions {dims} need {expected:,} bytes of data, "
                                    f"the file has {len(payload):,}")
    if len(payload) > expected:
        raise DataFormatError(path, f"has extra bytes after the data its header declares "
                                    f"(dimensions {dims} need {expected:,} bytes)")
    return np.frombuffer(payload, dtype=dtype, count=math.prod(dims)).reshape(dims).astype(
        dtype.newbyteorder("="))


def write_idx(path: str | Path, array: np.ndarray) -> Path:
    """Write ``array`` (1 to 4 dimensions, a dtype IDX has) as an IDX file, atomically.

    Gzipped when the name ends in ``.gz``. Reading it back with ``read_idx`` gives
    an equal array.
    """
    path = Path(path)
    a = np.asarray(array)
    native = a.dtype.newbyteorder("=")
    if native not in CODES or not 1 <= a.ndim <= MAX_NDIM or max(a.shape) >= 1 << 32:
        raise DataFormatError(path, f"cannot hold {a.dtype} data of shape {a.shape}: IDX files hold "
                                    "uint8, int8, int16, int32, float32 or float64 arrays of 1 to 4 "
                                    "dimensions")
    code = CODES[native]
    data = (struct.pack(f">HBB{a.ndim}I", 0, code, a.ndim, *a.shape)
            + np.ascontiguousarray(a, dtype=DTYPES[code]).tobytes())
    if path.name.endswith(".gz"):
        data = gzip.compress(data, mtime=0)  # mtime=0: same array, same bytes
    try:
        return atomic_write(path, lambda f: f.write(data))
    except OSError as e:
        raise DataFormatError(path, f"cannot be written ({e.strerror or e})") from None


def load_idx_pair(images_path: str | Path, labels_path: str | Path,
                  num_classes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (n, h, w), labels uint8 (n,)) from an images file and its labels file.

    Labels must lie in ``0 .. num_classes - 1`` (digits: 0..9); a set with other
    labels (EMNIST letters, say) is reported rather than silently mis-scored.
    """
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise DataFormatError(images_path, f"holds {images.dtype} data of shape {images.shape}, "
                                           "not uint8 images (n, height, width): is it a labels file?")
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise DataFormatError(labels_path, f"holds {labels.dtype} data of shape {labels.shape}, "
                                           "not uint8 labels (n,): is it an images file?")
    if len(images) != len(labels):
        raise DataFormatError(labels_path, f"has {len(labels):,} labels but {Path(images_path).name} "
                                           f"has {len(images):,} images: they are not a pair")
    if len(images) == 0 or 0 in images.shape[1:]:
        raise DataFormatError(images_path, f"holds no images (shape {images.shape})")
    top = int(labels.max())
    if top >= num_classes:
        raise DataFormatError(labels_path, f"has labels up to {top}, but nnviz's digit lessons have "
                                           f"{num_classes} classes (0..{num_classes - 1})")
    return images, labels


# Standard names; the labels file differs from the images file only by these parts.
_STEMS = {"train": "train-images-idx3-ubyte", "test": "t10k-images-idx3-ubyte"}


def _candidates(stem: str) -> list[str]:
    """``stem``, its ``train-images.idx3-ubyte`` spelling (some mirrors/unzippers), each ± .gz."""
    return [v + gz for v in (stem, stem.replace("-idx", ".idx")) for gz in ("", ".gz")]


def _labels_stem(images_stem: str) -> str:
    return images_stem.replace("-images-", "-labels-").replace("idx3", "idx1")


def find_idx_files(folder: str | Path) -> dict:
    """Find the MNIST-style pairs in ``folder`` by their standard names.

    Returns ``{"train": (images_path, labels_path), "test": (images_path, labels_path),
    "shared": bool}``. A folder holding only one pair is fine: that pair stands in
    for both splits and ``shared`` is True. Names are matched case-insensitively.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataFormatError(folder, "is not a folder (choose the folder holding the IDX files)")
    try:
        by_lower = {p.name.lower(): p for p in folder.iterdir() if p.is_file()}
    except OSError as e:
        raise DataFormatError(folder, f"cannot be listed ({e.strerror or e})") from None

    def find(stem: str) -> Path | None:
        return next((by_lower[n] for n in _candidates(stem) if n in by_lower), None)

    found, half = {}, []
    for split, stem in _STEMS.items():
        images, labels = find(stem), find(_labels_stem(stem))
        if images and labels:
            found[split] = (images, labels)
        elif images or labels:
            half.append((images or labels).name)
    if not found:
        looked = ", ".join(f"{s} + {_labels_stem(s)}" for s in _STEMS.values())
        hint = f"; found {', '.join(half)} without its partner" if half else ""
        raise DataFormatError(folder, f"holds no MNIST-format files: looked for {looked} "
                                      f"(also .gz and the '.idx3-ubyte' spelling){hint}")
    shared = len(found) == 1
    pair = next(iter(found.values()))
    return {"train": found.get("train", pair), "test": found.get("test", pair), "shared": shared}
