"""PyTorch's legacy state_dict format (``torch.save`` before 1.6, or with
``_use_new_zipfile_serialization=False``), read without PyTorch and without running any code.

Not a zip: five pickles one after the other, then the storages' bytes (as torch's ``_legacy_load``)::

    pickle  0x1950a86a20f9469cfc6c                 the magic number
    pickle  1001                                   the protocol version
    pickle  {'protocol_version': 1001, 'little_endian': True, 'type_sizes': {...}}
    pickle  the state_dict (torch_pickle.py's format; persistent ids
            ('storage', torch.FloatStorage, '<key>', 'cpu', numel, None or (view key, offset, numel)))
    pickle  ['<key>', ...]                         the storages, in the order their bytes follow
    per key: int64 numel (little-endian), then numel numbers (little-endian whatever the machine)

The first three and the key list are plain data: scanned and unpickled with no global allowed at
all. The state_dict's pickle gets the allow-list and opcode checks of ``torch_pickle.py``; its
persistent ids only declare storages. The storages' bytes are then read in the key list's order,
each key declared by the pickle, its count equal to the declared one and inside the file, before
any tensor is copied out of it.
"""

from __future__ import annotations

import io
import pickle
import struct
from collections import OrderedDict
from pathlib import Path

import numpy as np

from .reading import MAX_TENSORS, SAVE_ADVICE, fail
from .torch_pickle import (DECODE_ERRORS, MAX_PICKLE_BYTES, Refused, StorageRef, Unpickler, itemsize, scan_stream,
                           state_dict, unpickle)

WHAT = "a PyTorch state_dict file"
MAGIC = 0x1950A86A20F9469CFC6C
PROTOCOL = 1001


class _LegacyUnpickler(Unpickler):
    """Persistent ids of six items; a storage view (very old files) is a slice of its root storage."""

    PID_ITEMS = 6

    def view(self, ref: StorageRef, view) -> StorageRef:
        if view is None:
            return ref
        if (not isinstance(view, tuple) or len(view) != 3 or not isinstance(view[0], str)
                or not all(type(v) is int and v >= 0 for v in view[1:]) or view[1] + view[2] > ref.numel):
            raise Refused(f"has a view of storage {ref.key!r} that is not inside it: the file is damaged")
        return StorageRef(ref.kind, view[0], view[2], root=ref, start=view[1])


class _DataOnly(pickle.Unpickler):
    """The bookkeeping pickles hold numbers, strings, lists and dicts: no global at all."""

    def find_class(self, module, name):
        raise Refused(f"has bookkeeping that refers to {module}.{name}, which torch.save never writes there")

    def persistent_load(self, pid):
        raise Refused("has bookkeeping that refers to a storage, which torch.save never writes there")


def _next_pickle(path: Path, raw: bytes, pos: int, what: str) -> tuple[bytes, int]:
    """(the pickle starting at ``pos``, where the next thing starts), scanned."""
    stream = io.BytesIO(raw)
    stream.seek(pos)
    problem = scan_stream(stream)
    if problem:
        fail(path, problem if what == "state_dict" else f"{problem} (in its {what})")
    end = stream.tell()
    if end - pos > MAX_PICKLE_BYTES:
        fail(path, f"has a {end - pos:,}-byte pickle, far larger than a state_dict's")
    return raw[pos:end], end


def _data(path: Path, raw: bytes, pos: int, what: str):
    data, end = _next_pickle(path, raw, pos, what)
    try:
        return _DataOnly(io.BytesIO(data)).load(), end
    except Refused as e:
        fail(path, str(e))


def read_legacy(path: Path, raw: bytes) -> "OrderedDict[str, np.ndarray]":
    """The state_dict of a legacy-format file whose bytes are ``raw`` (see the module docstring)."""
    try:
        magic, pos = _data(path, raw, 0, "header")
        if magic != MAGIC:
            fail(path, f"is a pickle, not {WHAT} (no PyTorch magic number); {SAVE_ADVICE}")
        version, pos = _data(path, raw, pos, "header")
        if version != PROTOCOL:
            fail(path, f"declares PyTorch's legacy format version {str(version)[:20]}; nnviz reads {PROTOCOL}")
        info, pos = _data(path, raw, pos, "header")
        if not isinstance(info, dict) or info.get("little_endian") not in (True, False):
            fail(path, "has a damaged header (no byte order)")
        data, pos = _next_pickle(path, raw, pos, "state_dict")
        unpickler = _LegacyUnpickler(data)
        result = unpickle(path, data, unpickler, lambda: _fill(path, raw, pos, unpickler))
    except DECODE_ERRORS as e:
        fail(path, f"is damaged or truncated ({type(e).__name__}: {str(e)[:160]})")
    return state_dict(path, result)


def _fill(path: Path, raw: bytes, pos: int, unpickler: _LegacyUnpickler) -> None:
    """Read the storage key list at ``pos`` and the storages' bytes after it into the declared refs."""
    keys, pos = _data(path, raw, pos, "storage list")
    declared = unpickler.storages
    if not isinstance(keys, list) or len(keys) > MAX_TENSORS or not all(isinstance(k, str) for k in keys):
        raise Refused("has a damaged storage list")
    if len(set(keys)) != len(keys) or set(keys) != set(declared):
        raise Refused("lists other storages than its tensors use: the file is damaged")
    for key in keys:
        ref = declared[key]
        if pos + 8 > len(raw):
            raise Refused(f"ends before storage {key!r}: the file is truncated")
        (numel,) = struct.unpack_from("<q", raw, pos)
        if numel != ref.numel:
            raise Refused(f"stores {numel:,} numbers for storage {key!r}, which declares {ref.numel:,}: "
                          "the file is damaged")
        nbytes = numel * itemsize(ref.kind)
        if pos + 8 + nbytes > len(raw):
            raise Refused(f"ends inside storage {key!r} ({nbytes:,} bytes from byte {pos + 8:,} of "
                          f"{len(raw):,}): the file is truncated")
        ref.flat = np.frombuffer(raw, dtype=np.dtype("<" + ("u2" if ref.kind == "bf16" else ref.kind)),
                                 count=numel, offset=pos + 8)
        pos += 8 + nbytes
    if pos != len(raw):
        raise Refused(f"has {len(raw) - pos:,} bytes after its last storage: the file is damaged")
