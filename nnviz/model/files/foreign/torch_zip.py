"""PyTorch ``.pt`` / ``.pth`` state_dicts, read without PyTorch and without running any code.

The zip format ``torch.save`` has written since 1.6: one top folder (``archive/`` or the
file's stem) holding ``data.pkl`` (the pickled dict, read by ``torch_pickle.py``), ``data/<key>``
(one raw storage per key), ``byteorder`` ("little"/"big"; absent in old files: little), and
bookkeeping (``version``, ``.format_version``, ``.storage_alignment``, ``.data/serialization_id``).
Files written before 1.6 (or with ``_use_new_zipfile_serialization=False``) are a sequence of
pickles instead: ``torch_legacy.py``; :func:`load_state_dict` reads either.

Defences, in order: the archive's directory is checked (entry count, declared sizes, no
encryption, stored/deflate only) before anything is inflated; the pickle is scanned and then
unpickled with the allow-list of ``torch_pickle.py``, and a storage its persistent id declares is
read only after its declared size matched the entry's size in the directory. Whole pickled
modules and TorchScript archives are refused with a sentence saying how to save a state_dict instead.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections import OrderedDict
from pathlib import Path

import numpy as np

from .reading import MAX_TENSOR_BYTES, SAVE_ADVICE, fail, read_capped
from .torch_pickle import (ALLOWED, DECODE_ERRORS, MAX_PICKLE_BYTES, Refused, StorageRef, Unpickler, itemsize,
                           scan_pickle, state_dict, unpickle)

__all__ = ["ALLOWED", "WHAT", "load_state_dict", "scan_pickle"]

WHAT = "a PyTorch state_dict file"
MAX_MEMBERS = 4096
_DECODE_ERRORS = (zipfile.BadZipFile, zlib.error) + DECODE_ERRORS


class _ZipUnpickler(Unpickler):
    """Storages come from the zip's ``data/<key>`` entries, each read when first declared."""

    def __init__(self, data: bytes, zf: zipfile.ZipFile, prefix: str, byteorder: str):
        super().__init__(data, byteorder)
        self.zf, self.prefix = zf, prefix
        self.read_bytes = 0

    def declared(self, ref: StorageRef) -> None:
        key, nbytes = ref.key, ref.numel * itemsize(ref.kind)
        try:
            info = self.zf.getinfo(f"{self.prefix}data/{key}")
        except KeyError:
            raise Refused(f"refers to a storage {key!r} that is not in the archive (damaged?)") from None
        if nbytes != info.file_size:
            raise Refused(f"declares storage {key!r} of {ref.numel:,} numbers ({nbytes:,} bytes), but "
                          f"the archive holds {info.file_size:,} bytes for it: the file is damaged")
        self.read_bytes += info.file_size
        if self.read_bytes > MAX_TENSOR_BYTES:
            raise Refused(f"holds more than {MAX_TENSOR_BYTES:,} bytes of tensors, too many for nnviz")
        with self.zf.open(info) as member:
            raw = member.read(info.file_size + 1)
        if len(raw) != info.file_size:
            raise Refused(f"has a damaged storage {key!r}")
        ref.flat = np.frombuffer(raw, dtype=self.storage_dtype(ref.kind))


def _check_directory(path: Path, zf: zipfile.ZipFile) -> tuple[str, str]:
    """(prefix with its slash, byte order) of a torch zip, its directory checked before any reading."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        fail(path, f"holds {len(infos):,} entries, far more than {WHAT} has")
    if sum(i.file_size for i in infos) > MAX_TENSOR_BYTES + MAX_PICKLE_BYTES:
        fail(path, f"declares more than {MAX_TENSOR_BYTES:,} bytes of data, too much for nnviz (a damaged file?)")
    for info in infos:
        if info.flag_bits & 0x1:
            fail(path, f"holds an encrypted entry ({info.filename!r})")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            fail(path, f"uses a compression method nnviz does not read (entry {info.filename!r})")
    names = [i.filename for i in infos]
    pickles = [n for n in names if n.count("/") == 1 and n.endswith("/data.pkl")]
    if any(n.endswith("/constants.pkl") or "/code/" in n for n in names):
        fail(path, f"is a TorchScript archive (torch.jit.save), which holds code nnviz never runs; {SAVE_ADVICE}")
    if any(n.endswith("/meta.npy") or n == "meta.npy" for n in names):
        fail(path, "is an nnviz model file (.npz) with another name: rename it to .npz to open it")
    if len(pickles) != 1:
        fail(path, f"is a zip archive but not {WHAT} (no archive/data.pkl); {SAVE_ADVICE}")
    prefix = pickles[0][:-len("data.pkl")]
    order = "little"
    if f"{prefix}byteorder" in names:
        info = zf.getinfo(f"{prefix}byteorder")
        if info.file_size > 16:
            fail(path, "has a damaged byte order entry")
        with zf.open(info) as f:
            order = f.read(17).decode("ascii", "replace").strip()
        if order not in ("little", "big"):
            fail(path, f"declares an unknown byte order {order[:16]!r}")
    return prefix, order


def load_state_dict(path: str | Path) -> "OrderedDict[str, np.ndarray]":
    """The tensors of a PyTorch state_dict file (zip or legacy format) by name, in the file's order,
    as NumPy arrays (float16/bfloat16 widened to float32; integer tensors such as a BatchNorm's
    counter kept). Anything else — a whole module, TorchScript, any global off ``ALLOWED``, a
    damaged or hostile file — is a DataFormatError naming the file."""
    path = Path(path)
    raw = read_capped(path, WHAT)
    if not raw.startswith(b"PK"):
        if raw[:1] == b"\x80":
            from .torch_legacy import read_legacy

            return read_legacy(path, raw)
        if len(raw) > 262 and raw[257:262] == b"ustar":
            fail(path, "was written in PyTorch's oldest format (a tar archive, before version 0.4), which nnviz "
                       f"does not read: {SAVE_ADVICE}")
        fail(path, f"is not {WHAT} (not a zip archive nor PyTorch's legacy format); {SAVE_ADVICE}")
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            prefix, order = _check_directory(path, zf)
            info = zf.getinfo(f"{prefix}data.pkl")
            if info.file_size > MAX_PICKLE_BYTES:
                fail(path, f"has a {info.file_size:,}-byte pickle, far larger than a state_dict's")
            with zf.open(info) as f:
                data = f.read(info.file_size + 1)
            if len(data) != info.file_size:
                fail(path, "has a damaged data.pkl")
            result = unpickle(path, data, _ZipUnpickler(data, zf, prefix, order))
    except _DECODE_ERRORS as e:
        fail(path, f"is damaged or truncated ({type(e).__name__}: {str(e)[:160]})")
    return state_dict(path, result)
