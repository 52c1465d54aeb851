"""What every foreign reader does to a file's bytes: the size limits, reading a file with its
size checked, refusing with the project's error, and widening tensors to float32."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...errors import DataFormatError

#: a foreign model file nnviz opens is at most this large on disk and in its tensors (the lessons'
#: networks are 5 KB to 60 KB; a 28×28 MLP of 4 × 1,000 units is 16 MB): these bounds stop damaged or
#: hostile files before anything is allocated from what they declare
MAX_FILE_BYTES = 256 << 20
MAX_TENSOR_BYTES = 256 << 20
MAX_TENSORS = 1024
MAX_DIMS = 8

#: how to give nnviz a file it can read, said whenever one is refused for what it holds
SAVE_ADVICE = ("save the weights as a state_dict with torch.save(model.state_dict(), path) "
               "or as safetensors with safetensors.torch.save_file(model.state_dict(), path)")


def fail(path, problem: str):
    raise DataFormatError(path, problem)


def read_capped(path: Path, what: str) -> bytes:
    """The bytes of ``path``: a folder, an unreadable or an oversized file is a DataFormatError."""
    try:
        if path.is_dir():
            fail(path, f"is a folder, not {what}")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            fail(path, f"is {size:,} bytes, too large for nnviz to open as {what}")
        return path.read_bytes()
    except OSError as e:
        fail(path, f"cannot be read ({e.strerror or e})")


def bfloat16_to_float32(raw: np.ndarray) -> np.ndarray:
    """uint16 bit patterns of bfloat16 numbers (NumPy has no bfloat16) as float32, exactly:
    a bfloat16 is the top half of a float32."""
    return (raw.astype(np.uint32) << 16).view(np.float32)


def widen(a: np.ndarray) -> np.ndarray:
    """float16 (and float64) tensors as float32; integers and bools stay as they are."""
    if a.dtype.kind == "f" and a.dtype != np.float32:
        return a.astype(np.float32)
    return a
