"""Where the C allocator puts large blocks, set for the network the app trains.

Why: glibc's malloc serves blocks ≥ 128 KiB with their own mmap and gives them back on free,
but each such free raises that threshold to the freed size (up to 32 MiB). The window frees
blocks of 128 KiB – 1 MiB many times a second (curves, pictures, snapshots), so after a while
they are carved from the heap, between small blocks that stay: the heap only grows. Left
running at batch size 1, mnist's window grew by ~6 MiB per 100 k iterations, and went on
growing after what the program keeps (Python's and NumPy's objects, tracemalloc) had levelled
off; with the threshold held at 128 KiB, by ~3 MiB, what its history grows by that early on.

A held threshold costs a conv net's training a quarter of its speed, though: each of its
iterations makes temporaries of a few MiB (the patches under every kernel), and a fresh
mapping is a page fault per 4 KiB. So a dense net gets 128 KiB, a conv net 32 MiB (where
glibc's own threshold ends up; its iterations are 20 times slower, and so is the growth).
The trim threshold, which a held mmap threshold stops adjusting too, is held at 32 MiB: at
glibc's 128 KiB the heap's top was given back and asked for again every iteration.

Even so, the heap keeps the pages of blocks freed between blocks that stay (only its top is
given back): the timeline's states come and go (~51 KB each for mnist), so left running at
batch size 1 the window's RSS still crept by ~2.4 MiB per million iterations while what was in
use did not (glibc's own count: 99-113 MiB in use from 1 M to 3 M iterations as the heap grew
from 121 to 130 MiB). ``give_back_free_pages`` hands every whole free page back (malloc_trim:
1-4 ms, 7-20 MiB each time measured), at most every TRIM_EVERY_S while training publishes.
"""

from __future__ import annotations

import ctypes
import functools
import sys
import time

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # mallopt's parameter numbers (malloc.h)
DENSE_NET = 128 * 1024  # glibc's own starting value, kept
CONV_NET = 32 * 1024 * 1024
TRIM = 32 * 1024 * 1024

TRIM_EVERY_S = 10.0

_set: int | None = None  # the threshold in force (None: glibc's adjusting one)
_last_trim = -float("inf")  # time.monotonic() of the last give_back_free_pages that trimmed


@functools.cache  # looked up once, not at every trim
def _glibc(name: str, argtypes: tuple):
    """glibc's ``name`` (restype int), or None where there is none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        f = getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError):  # not glibc (musl builds without mallopt, malloc_trim)
        return None
    f.argtypes, f.restype = argtypes, ctypes.c_int
    return f


def _mallopt():
    return _glibc("mallopt", (ctypes.c_int, ctypes.c_int))


def hold_mmap_threshold(nbytes: int) -> bool:
    """Blocks of ``nbytes`` and more get their own mapping from now on. True when set; False
    where there is no glibc (macOS, Windows): those allocators give large blocks back anyway."""
    global _set
    if _set == nbytes:
        return True
    mallopt = _mallopt()
    if mallopt is None or mallopt(M_MMAP_THRESHOLD, nbytes) != 1 or mallopt(M_TRIM_THRESHOLD, TRIM) != 1:
        return False
    _set = nbytes
    return True


def fit_to_network(is_mlp: bool) -> bool:
    """The threshold for the network being trained (``Snapshot.is_mlp``: a dense net)."""
    return hold_mmap_threshold(DENSE_NET if is_mlp else CONV_NET)


def give_back_free_pages(now: float | None = None) -> bool:
    """The heap's whole free pages back to the system (glibc's malloc_trim), unless that was
    done less than TRIM_EVERY_S ago (``now``: time.monotonic()). True when it trimmed."""
    global _last_trim
    now = time.monotonic() if now is None else now
    if now - _last_trim < TRIM_EVERY_S:
        return False
    _last_trim = now
    trim = _glibc("malloc_trim", (ctypes.c_size_t,))
    if trim is None:
        return False
    trim(0)
    return True
