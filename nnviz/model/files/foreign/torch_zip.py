"""PyTorch ``.pt`` / ``.pth`` state_dicts, read without PyTorch and without running any code.

The zip format ``torch.save`` has written since 1.6: one top folder (``archive/`` or the
file's stem) holding ``data.pkl`` (the pickled dict), ``data/<key>`` (one raw storage per
key), ``byteorder`` ("little"/"big"; absent in old files: little), and bookkeeping
(``version``, ``.format_version``, ``.storage_alignment``, ``.data/serialization_id``).

``data.pkl`` as torch 2.x writes it (``pickletools.dis``)::

    GLOBAL 'collections OrderedDict'  EMPTY_TUPLE REDUCE  MARK
      '0.weight'  GLOBAL 'torch._utils _rebuild_tensor_v2'
        (BINPERSID ('storage', GLOBAL 'torch FloatStorage', '0', 'cpu', 12), 0, (3, 4), (4, 1),
         False, OrderedDict())  REDUCE
      ...  SETITEMS  {'_metadata': OrderedDict(...)} BUILD STOP

Defences, in order: the archive's directory is checked (entry count, declared sizes, no
encryption, stored/deflate only) before anything is inflated; the pickle is scanned with
``pickletools.genops`` before it is unpickled — every global it names must be on
``ALLOWED`` and the opcodes that build arbitrary objects (INST, OBJ, NEWOBJ, EXT…, out-of-band
buffers) are refused, so nothing off the list is ever created, and no length a string
opcode declares is believed past the pickle's own size; then a restricted
``pickle.Unpickler`` runs it, whose ``find_class`` allows the same list again, whose
callables are bound methods (BUILD cannot change them) and whose ``persistent_load`` reads
a storage only after its declared size matched the entry's size in the directory; every
tensor's offset, shape and strides are checked against its storage before the strided copy.
Whole pickled modules, TorchScript archives and the legacy (pre-1.6) format are refused
with a sentence saying how to save a state_dict instead.
"""

from __future__ import annotations

import io
import math
import pickle
import pickletools
import re
import struct
import zipfile
import zlib
from collections import OrderedDict
from pathlib import Path

import numpy as np

from .reading import MAX_DIMS, MAX_TENSOR_BYTES, MAX_TENSORS, SAVE_ADVICE, bfloat16_to_float32, fail, read_capped, widen

WHAT = "a PyTorch state_dict file"
MAX_PICKLE_BYTES = 16 << 20
MAX_MEMBERS = 4096
MAX_OPCODES = 2_000_000
MAX_WALK = 200_000  # containers and values looked at when finding the tensors of the result

#: torch's storage types -> NumPy dtype (bf16 read as its uint16 bit patterns)
STORAGES = {
    "FloatStorage": "f4", "DoubleStorage": "f8", "HalfStorage": "f2", "BFloat16Storage": "bf16",
    "LongStorage": "i8", "IntStorage": "i4", "ShortStorage": "i2", "CharStorage": "i1",
    "ByteStorage": "u1", "BoolStorage": "?", "UntypedStorage": "u1",
}
_REBUILDERS = ("_rebuild_tensor_v2", "_rebuild_parameter", "_rebuild_parameter_with_state")
#: (module, name) of every global a state_dict's pickle may name
ALLOWED = frozenset(
    {("collections", "OrderedDict")} | {("torch._utils", n) for n in _REBUILDERS}
    | {("torch", n) for n in STORAGES} | {("torch.storage", "UntypedStorage")}
)
#: opcodes that create objects of a class taken from the stack, or read outside the pickle
_REFUSED_OPS = {"INST", "OBJ", "NEWOBJ", "NEWOBJ_EX", "EXT1", "EXT2", "EXT4", "PERSID", "NEXT_BUFFER",
                "READONLY_BUFFER", "BYTEARRAY8"}
_STRING_OPS = {"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "SHORT_BINSTRING", "BINSTRING",
               "STRING"}
_KEY = re.compile(r"[A-Za-z0-9_.\-]{1,64}\Z")
_CHECKPOINT_KEYS = ("state_dict", "model_state_dict", "model", "net", "network")
_DECODE_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError, RuntimeError,
                  struct.error, KeyError, OverflowError, TypeError, IndexError, AttributeError, RecursionError,
                  MemoryError, pickle.UnpicklingError, UnicodeDecodeError)


class _Refused(Exception):
    """Raised inside the unpickler; becomes the DataFormatError of its message."""


class _Storage:
    """A storage type named in the pickle (``torch.FloatStorage``): a marker, never callable."""

    __slots__ = ("name", "dtype")

    def __init__(self, name: str, dtype: str):
        self.name, self.dtype = name, dtype

    def __setstate__(self, state):
        raise _Refused("tries to change a storage type")


class _Tensor:
    """A tensor the pickle rebuilt: its values already copied out of the storage."""

    __slots__ = ("array",)

    def __init__(self, array: np.ndarray):
        self.array = array

    def __setstate__(self, state):
        raise _Refused("tries to set attributes on a tensor")


def _whole_module_problem(module: str, name: str) -> str:
    return (f"holds a whole pickled model ({module}.{name}), not a state_dict: nnviz never runs pickled "
            f"code; {SAVE_ADVICE}")


def _global_problem(module: str, name: str) -> str | None:
    if (module, name) in ALLOWED:
        return None
    if module.startswith(("torch.nn", "__main__", "torch.jit")) or module == "__builtin__" and name == "set":
        return _whole_module_problem(module, name)
    return (f"refers to {module}.{name}, which a state_dict never holds: it was refused before anything "
            f"was created; {SAVE_ADVICE}")


def scan_pickle(data: bytes) -> str | None:
    """Why the pickle ``data`` may not be unpickled, or None: every opcode is read (with every
    declared length checked against the bytes there are) before any object exists."""
    recent: list[str] = []  # the last string literals pushed (for STACK_GLOBAL)
    try:
        for count, (op, arg, _) in enumerate(pickletools.genops(data)):
            if count > MAX_OPCODES:
                return "holds a pickle far longer than any state_dict's"
            if op.name in _REFUSED_OPS:
                return f"holds a pickle that builds objects with {op.name}, which a state_dict never does"
            if op.name == "GLOBAL":
                module, _, name = str(arg).partition(" ")
                problem = _global_problem(module, name)
                if problem:
                    return problem
            elif op.name == "STACK_GLOBAL":
                if len(recent) < 2:
                    return "holds a pickle naming a global it computes, which a state_dict never does"
                problem = _global_problem(recent[-2], recent[-1])
                if problem:
                    return problem
            if op.name in _STRING_OPS:
                recent = (recent + [str(arg)])[-2:]
            elif op.name not in ("MEMOIZE", "BINPUT", "LONG_BINPUT", "PUT", "FRAME"):
                recent = []
    except (ValueError, TypeError, UnicodeDecodeError, OverflowError, struct.error) as e:
        return f"holds a damaged pickle ({type(e).__name__}: {str(e)[:120]})"
    return None


class _Unpickler(pickle.Unpickler):
    """A pickle.Unpickler that knows only a state_dict's globals; storages come from the zip."""

    def __init__(self, data: bytes, zf: zipfile.ZipFile, prefix: str, byteorder: str):
        super().__init__(io.BytesIO(data))
        self.zf, self.prefix, self.order = zf, prefix, "<" if byteorder == "little" else ">"
        self.storages: dict[str, tuple[str, np.ndarray]] = {}
        self.read_bytes = 0
        self.n_tensors = 0

    def find_class(self, module, name):
        problem = _global_problem(module, name)
        if problem:
            raise _Refused(problem)
        if module == "collections":
            return OrderedDict
        if module == "torch._utils":
            return {"_rebuild_tensor_v2": self._rebuild_tensor, "_rebuild_parameter": self._rebuild_parameter,
                    "_rebuild_parameter_with_state": self._rebuild_parameter}[name]
        return _Storage(name, STORAGES[name])

    def persistent_load(self, pid):
        if (not isinstance(pid, tuple) or len(pid) != 5 or pid[0] != "storage"
                or not isinstance(pid[1], _Storage) or not isinstance(pid[2], str) or not _KEY.match(pid[2])
                or not isinstance(pid[3], str) or len(pid[3]) > 64 or type(pid[4]) is not int or pid[4] < 0):
            raise _Refused("refers to a storage nnviz cannot read (not one torch.save writes)")
        kind, key, numel = pid[1].dtype, pid[2], pid[4]
        if key in self.storages:
            if self.storages[key][0] != kind:
                raise _Refused(f"reads storage {key!r} as two different types")
            return self.storages[key]
        itemsize = 2 if kind == "bf16" else np.dtype(kind).itemsize
        try:
            info = self.zf.getinfo(f"{self.prefix}data/{key}")
        except KeyError:
            raise _Refused(f"refers to a storage {key!r} that is not in the archive (damaged?)") from None
        if numel * itemsize != info.file_size:
            raise _Refused(f"declares storage {key!r} of {numel:,} numbers ({numel * itemsize:,} bytes), but "
                           f"the archive holds {info.file_size:,} bytes for it: the file is damaged")
        self.read_bytes += info.file_size
        if self.read_bytes > MAX_TENSOR_BYTES:
            raise _Refused(f"holds more than {MAX_TENSOR_BYTES:,} bytes of tensors, too many for nnviz")
        with self.zf.open(info) as member:
            raw = member.read(info.file_size + 1)
        if len(raw) != info.file_size:
            raise _Refused(f"has a damaged storage {key!r}")
        dtype = np.dtype(self.order + ("u2" if kind == "bf16" else kind))
        self.storages[key] = (kind, np.frombuffer(raw, dtype=dtype))
        return self.storages[key]

    def _rebuild_tensor(self, storage, offset, size, stride, requires_grad=False, hooks=None, metadata=None,
                        *extra):
        if not (isinstance(storage, tuple) and len(storage) == 2 and isinstance(storage[1], np.ndarray)):
            raise _Refused("rebuilds a tensor from something that is not a storage")
        self.n_tensors += 1
        if self.n_tensors > MAX_TENSORS:
            raise _Refused(f"holds more than {MAX_TENSORS:,} tensors, too many for a network nnviz shows")
        kind, flat = storage
        if (not isinstance(size, tuple) or not isinstance(stride, tuple) or len(size) != len(stride)
                or len(size) > MAX_DIMS or not all(type(v) is int and v >= 0 for v in size + stride)
                or type(offset) is not int or offset < 0):
            raise _Refused("has a tensor with an invalid shape, strides or offset")
        n = math.prod(size)
        if n:
            last = offset + sum((s - 1) * st for s, st in zip(size, stride))
            if last >= flat.size:
                raise _Refused(f"has a tensor of shape {size} (strides {stride}, offset {offset}) that reaches "
                               f"past its storage of {flat.size:,} numbers: the file is damaged")
            view = np.lib.stride_tricks.as_strided(flat[offset:], shape=size,
                                                   strides=[st * flat.itemsize for st in stride], writeable=False)
        else:
            view = np.zeros(size, dtype=flat.dtype)
        a = np.array(view, dtype=flat.dtype.newbyteorder("="), order="C")
        return _Tensor(bfloat16_to_float32(a) if kind == "bf16" else widen(a))

    def _rebuild_parameter(self, data, requires_grad=False, hooks=None, state=None, *extra):
        if not isinstance(data, _Tensor):
            raise _Refused("rebuilds a parameter from something that is not a tensor")
        return data


def _tensors_of(value) -> "OrderedDict[str, np.ndarray] | None":
    """``value`` as name -> array when it is a dict of tensors (a state_dict), else None."""
    if not isinstance(value, dict) or not value:
        return None
    if not all(isinstance(k, str) and isinstance(v, _Tensor) for k, v in value.items()):
        return None
    return OrderedDict((k, v.array) for k, v in value.items())


def _state_dict(path: Path, result) -> "OrderedDict[str, np.ndarray]":
    """The state_dict in what the pickle made: the dict itself, or a checkpoint's model entry."""
    found = _tensors_of(result)
    if found is not None:
        return found
    if isinstance(result, dict):
        for key in _CHECKPOINT_KEYS:
            found = _tensors_of(result.get(key))
            if found is not None:
                return found
        nested = _count_tensors(result)
        if nested:
            fail(path, f"holds a dict with {nested} tensors inside other entries, not a state_dict "
                       f"(nnviz looks for them at the top or under {', '.join(map(repr, _CHECKPOINT_KEYS[:2]))}); "
                       f"{SAVE_ADVICE}")
    fail(path, f"holds no tensors by name (a {type(result).__name__}), not a state_dict; {SAVE_ADVICE}")


def _count_tensors(root) -> int:
    """Tensors anywhere in a nested structure: iterative, each container once, bounded."""
    seen, stack, count = set(), [root], 0
    while stack and len(seen) < MAX_WALK:
        v = stack.pop()
        if isinstance(v, _Tensor):
            count += 1
        elif isinstance(v, (dict, list, tuple)) and id(v) not in seen:
            seen.add(id(v))
            stack.extend(v.values() if isinstance(v, dict) else v)
    return count


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
    """The tensors of a PyTorch state_dict file by name, in the file's order, as NumPy arrays
    (float16/bfloat16 widened to float32; integer tensors such as a BatchNorm's counter kept).
    Anything else — a whole module, TorchScript, the legacy format, any global off ``ALLOWED``,
    a damaged or hostile archive — is a DataFormatError naming the file."""
    path = Path(path)
    raw = read_capped(path, WHAT)
    if not raw.startswith(b"PK"):
        if raw[:1] == b"\x80":
            fail(path, "was written in PyTorch's legacy format (before 1.6, or with "
                       f"_use_new_zipfile_serialization=False), which nnviz does not read: {SAVE_ADVICE}")
        fail(path, f"is not {WHAT} (not a zip archive); {SAVE_ADVICE}")
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
            problem = scan_pickle(data)
            if problem:
                fail(path, problem)
            try:
                result = _Unpickler(data, zf, prefix, order).load()
            except _Refused as e:
                fail(path, str(e))
    except _DECODE_ERRORS as e:
        fail(path, f"is damaged or truncated ({type(e).__name__}: {str(e)[:160]})")
    return _state_dict(path, result)
