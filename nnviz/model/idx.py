"""MNIST-format IDX files (MNIST, Fashion-MNIST, EMNIST, …), validated strictly.

Format: two zero bytes, a dtype code, the number of dimensions, then one
big-endian uint32 per dimension and the payload, row-major. Anything else —
wrong magic, truncated or trailing bytes, absurd sizes, a broken gzip stream —
is a DataFormatError naming the file, never a crash or a huge allocation.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from .atomic import atomic_write
from .errors import DataFormatError

DTYPES = {0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"),
          0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09}
MAX_BYTES = 2 << 30  # 2 GiB: more than any IDX set; stops a bit-flipped header early
GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise DataFormatError(path, "is a folder, not an IDX file") from None
    except OSError as e:
        raise DataFormatError(path, f"cannot be read ({e.strerror or e})") from None
    if raw[:2] == GZIP_MAGIC:
        try:
            d = zlib.decompressobj(wbits=31)
            out = d.decompress(raw, MAX_BYTES + 1)
            if len(out) > MAX_BYTES:
                raise DataFormatError(path, "decompresses to more than 2 GiB: not an IDX file of ours")
            if not d.eof:
                raise DataFormatError(path, "is a truncated gzip file")
            return out
        except zlib.error as e:
            raise DataFormatError(path, f"is a damaged gzip file ({e})") from None
    return raw


def read_idx(path: str | Path) -> np.ndarray:
    """The array an IDX file (optionally gzipped) holds, e.g. (n, 28, 28) uint8 images."""
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise DataFormatError(path, f"is too short to be an IDX file ({len(raw)} bytes)")
    zero, code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or code not in DTYPES or not 1 <= ndim <= 4:
        raise DataFormatError(path, f"is not an IDX file (magic number 0x{raw[:4].hex()}; "
                                    f"expected 0x000008 followed by 1..4 dimensions)")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataFormatError(path, "ends inside its header")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = DTYPES[code]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if expected > MAX_BYTES:
        raise DataFormatError(path, f"declares dimensions {dims}, too large to be real")
    payload = len(raw) - header
    if payload < expected:
        raise DataFormatError(path, f"is truncated: dimensions {dims} need {expected:,} bytes of data, "
                                    f"the file has {payload:,}")
    if payload > expected:
        raise DataFormatError(path, f"has {payload - expected:,} bytes after the data its header declares")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims).astype(dtype.newbyteorder("="))


def write_idx(path: str | Path, array: np.ndarray) -> Path:
    """Write a uint8/int8 array as IDX (gzipped when the name ends in .gz), atomically."""
    a = np.ascontiguousarray(array)
    if a.dtype not in CODES or not 1 <= a.ndim <= 4:
        raise ValueError("IDX files written by nnviz hold uint8 or int8 arrays of 1 to 4 dimensions")
    data = struct.pack(f">HBB{a.ndim}I", 0, CODES[a.dtype], a.ndim, *a.shape) + a.tobytes()
    if str(path).endswith(".gz"):
        data = gzip.compress(data)
    return atomic_write(path, lambda f: f.write(data))


def load_idx_pair(images_path: str | Path, labels_path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (n, h, w), labels uint8 (n,)) from an images file and its labels file."""
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise DataFormatError(images_path, f"holds {images.dtype} data of shape {images.shape}, "
                                           "not uint8 images (n, height, width)")
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise DataFormatError(labels_path, f"holds {labels.dtype} data of shape {labels.shape}, "
                                           "not uint8 labels (n,)")
    if len(images) != len(labels):
        raise DataFormatError(labels_path, f"has {len(labels):,} labels but {Path(images_path).name} "
                                           f"has {len(images):,} images")
    if len(labels) and labels.max() > 9:
        raise DataFormatError(labels_path, f"has label {int(labels.max())}; nnviz's digit lessons use 0..9")
    return images, labels


_STEMS = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
          "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def _find(folder: Path, stem: str) -> Path | None:
    for variant in (stem, stem.replace("-idx", ".idx")):
        for suffix in ("", ".gz"):
            p = folder / (variant + suffix)
            if p.is_file():
                return p
    return None


def find_idx_files(folder: str | Path) -> dict[str, tuple[Path, Path]]:
    """{"train": (images, labels), "test": (...)} for the standard file names in ``folder``.

    Either pair may be missing (not both).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataFormatError(folder, "is not a folder of IDX files")
    found = {}
    for split, (img, lab) in _STEMS.items():
        pi, pl = _find(folder, img), _find(folder, lab)
        if pi and pl:
            found[split] = (pi, pl)
    if not found:
        raise DataFormatError(folder, "holds no MNIST-format files: looked for train-images-idx3-ubyte / "
                                      "train-labels-idx1-ubyte and t10k-images-idx3-ubyte / "
                                      "t10k-labels-idx1-ubyte (optionally .gz)")
    return found
