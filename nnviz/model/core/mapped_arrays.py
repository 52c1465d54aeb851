"""Arrays moved out of memory into a file the operating system pages in when they are read.

A lesson the learner leaves keeps its whole rewind history (its timeline's states, tens of
megabytes) without holding that memory: ``map_to_disk`` writes the arrays to one temporary
file and hands back read-only arrays over a memory map of it. The file is unlinked at once
(POSIX keeps it while the map lives), so nothing is left on disk when the arrays are freed or
the app ends, even after a crash. Reading is exact: the same bytes come back.
"""

from __future__ import annotations

import mmap
import os
import tempfile

import numpy as np

ALIGN = 64  # bytes: each array starts on a cache line, so every dtype's alignment holds


def map_to_disk(arrays: list[np.ndarray], directory: str | os.PathLike | None = None) -> list[np.ndarray]:
    """Read-only arrays equal to ``arrays`` (same shapes and dtypes), backed by one unlinked
    file in ``directory`` (default: the system's temporary folder). OSError when it cannot be
    written (a full disk): the caller keeps the arrays in memory."""
    shapes = [np.shape(a) for a in arrays]
    arrays = [np.ascontiguousarray(a) for a in arrays]  # (a 0-d array comes back (1,): shapes keeps it)
    offsets, end = [], 0
    for a in arrays:
        offsets.append(end)
        end += -(-a.nbytes // ALIGN) * ALIGN
    if end == 0:
        return [a.reshape(shape) for a, shape in zip(arrays, shapes)]
    if directory is not None:
        os.makedirs(directory, exist_ok=True)
    with tempfile.TemporaryFile(dir=directory, prefix="nnviz-run-") as f:
        for a, at in zip(arrays, offsets):
            f.seek(at)
            f.write(a.reshape(-1).view(np.uint8).data if a.size else b"")
        f.truncate(end)
        f.flush()
        mapped = mmap.mmap(f.fileno(), end, access=mmap.ACCESS_READ)  # outlives the file object
    return [np.frombuffer(mapped, dtype=a.dtype, count=a.size, offset=at).reshape(shape)
            for a, at, shape in zip(arrays, offsets, shapes)]
