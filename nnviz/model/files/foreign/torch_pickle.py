"""The pickle inside a PyTorch state_dict file, read without PyTorch and without running any code:
the allow-list, the opcode scan, the restricted unpickler and finding the state_dict in its result.
Both containers use it: the zip ``torch.save`` writes since 1.6 (``torch_zip.py``) and the legacy
sequence of pickles before it (``torch_legacy.py``).

A state_dict's pickle as torch 2.x writes it (``pickletools.dis``)::

    GLOBAL 'collections OrderedDict'  EMPTY_TUPLE REDUCE  MARK
      '0.weight'  GLOBAL 'torch._utils _rebuild_tensor_v2'
        (BINPERSID ('storage', GLOBAL 'torch FloatStorage', '0', 'cpu', 12), 0, (3, 4), (4, 1),
         False, OrderedDict())  REDUCE
      ...  SETITEMS  {'_metadata': OrderedDict(...)} BUILD STOP

(the legacy format's persistent id has a sixth item, a storage view or None). Defences, in order:
the pickle is scanned with ``pickletools.genops`` before it is unpickled — every global it names
must be on ``ALLOWED`` and the opcodes that build arbitrary objects (INST, OBJ, NEWOBJ, EXT…,
out-of-band buffers) are refused, so nothing off the list is ever created, and no length a string
opcode declares is believed past the pickle's own size; then a restricted ``pickle.Unpickler``
runs it, whose ``find_class`` allows the same list again and whose callables are bound methods
(BUILD cannot change them). A persistent id only declares a storage (type, key, numbers); the
container fills it after checking that declaration against its own bytes, and every tensor's
offset, shape and strides are checked against its storage's declared size before the strided copy.
"""

from __future__ import annotations

import io
import math
import pickle
import pickletools
import re
import struct
import sys
from collections import OrderedDict
from pathlib import Path

import numpy as np

from .reading import MAX_DIMS, MAX_TENSOR_BYTES, MAX_TENSORS, SAVE_ADVICE, bfloat16_to_float32, fail, widen

MAX_PICKLE_BYTES = 16 << 20
MAX_OPCODES = 2_000_000
MAX_WALK = 200_000  # containers and values looked at when finding the tensors of the result

#: torch's storage types -> NumPy dtype (bf16 read as its uint16 bit patterns)
STORAGES = {
    "FloatStorage": "f4", "DoubleStorage": "f8", "HalfStorage": "f2", "BFloat16Storage": "bf16",
    "LongStorage": "i8", "IntStorage": "i4", "ShortStorage": "i2", "CharStorage": "i1",
    "ByteStorage": "u1", "BoolStorage": "?", "UntypedStorage": "u1",
}
#: _rebuild_tensor is what torch 0.4-1.x wrote in some legacy files: (storage, offset, size, stride)
_REBUILDERS = ("_rebuild_tensor_v2", "_rebuild_tensor", "_rebuild_parameter", "_rebuild_parameter_with_state")
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
#: what an nn.Module's pickled state holds: a pickle naming these is a whole model, whatever its class
_MODULE_STATE = {"_modules", "_parameters"}
_KEY = re.compile(r"[A-Za-z0-9_.\-]{1,64}\Z")
_CHECKPOINT_KEYS = ("state_dict", "model_state_dict", "model", "net", "network")
#: what a damaged pickle or container can raise while read
DECODE_ERRORS = (EOFError, ValueError, NotImplementedError, RuntimeError, struct.error, KeyError, OverflowError,
                 TypeError, IndexError, AttributeError, RecursionError, MemoryError, pickle.UnpicklingError,
                 UnicodeDecodeError)


class Refused(Exception):
    """Raised inside the unpickler; becomes the DataFormatError of its message."""


class _Storage:
    """A storage type named in the pickle (``torch.FloatStorage``): a marker, never callable."""

    __slots__ = ("name", "dtype")

    def __init__(self, name: str, dtype: str):
        self.name, self.dtype = name, dtype

    def __setstate__(self, state):
        raise Refused("tries to change a storage type")


class StorageRef:
    """A storage a persistent id declared: ``numel`` numbers of ``kind`` under ``key``; ``flat`` (1-D)
    is filled by the container once the declaration matched its bytes. A legacy storage view is
    ``numel`` numbers of ``root`` from ``start``."""

    __slots__ = ("kind", "key", "numel", "flat", "root", "start")

    def __init__(self, kind: str, key: str, numel: int, root: "StorageRef | None" = None, start: int = 0):
        self.kind, self.key, self.numel, self.flat, self.root, self.start = kind, key, numel, None, root, start

    def values(self) -> np.ndarray:
        if self.root is not None:
            return self.root.values()[self.start:self.start + self.numel]
        if self.flat is None:
            raise Refused(f"never stores the storage {self.key!r} it refers to (damaged?)")
        return self.flat

    def __setstate__(self, state):
        raise Refused("tries to change a storage")


class _Tensor:
    """A tensor the pickle rebuilt: its values copied out of the storage once the storages are read."""

    __slots__ = ("array",)

    def __init__(self):
        self.array = None

    def __setstate__(self, state):
        raise Refused("tries to set attributes on a tensor")


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


def _is_model_class(module: str) -> bool:
    """Whether a global off the list may be the author's own model class (``models.Net``): not from
    the standard library (``os.system``, ``builtins.eval`` are code, whatever else the pickle holds)."""
    return module.split(".")[0] not in sys.stdlib_module_names and module not in ("__builtin__", "nt", "posix")


def scan_stream(stream: io.BytesIO) -> str | None:
    """Why the pickle at ``stream``'s position may not be unpickled, or None; reads up to its STOP
    (``stream`` is left just after it). Every opcode is read (with every declared length checked
    against the bytes there are) before any object exists. A global off the list is named as a whole
    pickled model when the rest of the pickle shows one (an nn.Module's state, a torch.nn class)."""
    recent: list[str] = []  # the last string literals pushed (for STACK_GLOBAL)
    first, strings = None, set()
    try:
        for count, (op, arg, _) in enumerate(pickletools.genops(stream)):
            if count > MAX_OPCODES:
                return "holds a pickle far longer than any state_dict's"
            if op.name in _REFUSED_OPS and first is None:
                return f"holds a pickle that builds objects with {op.name}, which a state_dict never does"
            where = None
            if op.name == "GLOBAL":
                where = str(arg).partition(" ")[::2]
            elif op.name == "STACK_GLOBAL":
                if len(recent) < 2:
                    return first[1] if first else "holds a pickle naming a global it computes, which a state_dict never does"
                where = recent[-2], recent[-1]
            if where is not None:
                problem = _global_problem(*where)
                if problem and problem.startswith("holds a whole"):
                    if first is None:
                        return problem
                    return _whole_module_problem(*first[0]) if _is_model_class(first[0][0]) else first[1]
                if problem and first is None:
                    first = where, problem
            if op.name in _STRING_OPS:
                recent = (recent + [str(arg)])[-2:]
                if first is not None and str(arg) in _MODULE_STATE:
                    strings.add(str(arg))
            elif op.name not in ("MEMOIZE", "BINPUT", "LONG_BINPUT", "PUT", "FRAME"):
                recent = []
    except (ValueError, TypeError, UnicodeDecodeError, OverflowError, struct.error) as e:
        return first[1] if first else f"holds a damaged pickle ({type(e).__name__}: {str(e)[:120]})"
    if first is not None:
        if strings == _MODULE_STATE and _is_model_class(first[0][0]):
            return _whole_module_problem(*first[0])
        return first[1]
    return None


def scan_pickle(data: bytes) -> str | None:
    """:func:`scan_stream` of the pickle at the start of ``data``."""
    return scan_stream(io.BytesIO(data))


class Unpickler(pickle.Unpickler):
    """A pickle.Unpickler that knows only a state_dict's globals. A persistent id declares a storage
    (:class:`StorageRef`; :meth:`declared` lets the container check it at once); :meth:`materialize`
    copies every tensor out of its storage once the container has filled them."""

    #: items of a persistent id: 5 in the zip format, 6 in the legacy one (a view or None last)
    PID_ITEMS = 5

    def __init__(self, data: bytes, order: str = "little"):
        super().__init__(io.BytesIO(data))
        self.order = "<" if order == "little" else ">"
        self.storages: dict[str, StorageRef] = {}
        self.pending: list[tuple[_Tensor, StorageRef, int, tuple, tuple]] = []

    def find_class(self, module, name):
        problem = _global_problem(module, name)
        if problem:
            raise Refused(problem)
        if module == "collections":
            return OrderedDict
        if module == "torch._utils":
            return {"_rebuild_tensor_v2": self._rebuild_tensor, "_rebuild_tensor": self._rebuild_tensor,
                    "_rebuild_parameter": self._rebuild_parameter,
                    "_rebuild_parameter_with_state": self._rebuild_parameter}[name]
        return _Storage(name, STORAGES[name])

    def persistent_load(self, pid):
        if (not isinstance(pid, tuple) or len(pid) != self.PID_ITEMS or pid[0] != "storage"
                or not isinstance(pid[1], _Storage) or not isinstance(pid[2], str) or not _KEY.match(pid[2])
                or not isinstance(pid[3], str) or len(pid[3]) > 64 or type(pid[4]) is not int or pid[4] < 0):
            raise Refused("refers to a storage nnviz cannot read (not one torch.save writes)")
        kind, key, numel = pid[1].dtype, pid[2], pid[4]
        ref = self.storages.get(key)
        if ref is None:
            ref = self.storages[key] = StorageRef(kind, key, numel)
            self.declared(ref)
        elif ref.kind != kind or ref.numel != numel:
            raise Refused(f"declares storage {key!r} twice, differently: the file is damaged")
        return self.view(ref, pid[5]) if self.PID_ITEMS == 6 else ref

    def declared(self, ref: StorageRef) -> None:
        """The container's check of a newly declared storage (and, for the zip, reading it)."""

    def view(self, ref: StorageRef, view) -> StorageRef:
        return ref

    def _rebuild_tensor(self, storage, offset, size, stride, *extra):
        if not isinstance(storage, StorageRef):
            raise Refused("rebuilds a tensor from something that is not a storage")
        if len(self.pending) >= MAX_TENSORS:
            raise Refused(f"holds more than {MAX_TENSORS:,} tensors, too many for a network nnviz shows")
        if (not isinstance(size, tuple) or not isinstance(stride, tuple) or len(size) != len(stride)
                or len(size) > MAX_DIMS or not all(type(v) is int and v >= 0 for v in size + stride)
                or type(offset) is not int or offset < 0):
            raise Refused("has a tensor with an invalid shape, strides or offset")
        if math.prod(size):
            last = offset + sum((s - 1) * st for s, st in zip(size, stride))
            if last >= storage.numel:
                raise Refused(f"has a tensor of shape {size} (strides {stride}, offset {offset}) that reaches "
                              f"past its storage of {storage.numel:,} numbers: the file is damaged")
        t = _Tensor()
        self.pending.append((t, storage, offset, size, stride))
        return t

    def _rebuild_parameter(self, data, requires_grad=False, hooks=None, state=None, *extra):
        if not isinstance(data, _Tensor):
            raise Refused("rebuilds a parameter from something that is not a tensor")
        return data

    def materialize(self) -> None:
        """Copy every tensor out of its (now filled) storage; copies are counted against the cap."""
        total = 0
        for t, ref, offset, size, stride in self.pending:
            flat = ref.values()
            total += math.prod(size) * flat.itemsize
            if total > MAX_TENSOR_BYTES:
                raise Refused(f"holds more than {MAX_TENSOR_BYTES:,} bytes of tensors, too many for nnviz")
            if math.prod(size):
                view = np.lib.stride_tricks.as_strided(flat[offset:], shape=size,
                                                       strides=[st * flat.itemsize for st in stride], writeable=False)
            else:
                view = np.zeros(size, dtype=flat.dtype)
            a = np.array(view, dtype=flat.dtype.newbyteorder("="), order="C")
            t.array = bfloat16_to_float32(a) if ref.kind == "bf16" else widen(a)

    def storage_dtype(self, kind: str) -> np.dtype:
        return np.dtype(self.order + ("u2" if kind == "bf16" else kind))


def itemsize(kind: str) -> int:
    return 2 if kind == "bf16" else np.dtype(kind).itemsize


def unpickle(path: Path, data: bytes, unpickler: Unpickler, fill=None):
    """What the pickle ``data`` makes, scanned first, with ``fill()`` (the container reading the
    declared storages) run before the tensors are copied out; every refusal a DataFormatError."""
    problem = scan_pickle(data)
    if problem:
        fail(path, problem)
    try:
        try:
            result = unpickler.load()
        except (TypeError, AttributeError, IndexError, KeyError, ValueError, EOFError, RecursionError,
                pickle.UnpicklingError) as e:
            # the pickle machine's own checks: an opcode sequence no pickler writes (REDUCE on a tuple,
            # APPEND to a function, a memo index never set)
            fail(path, f"holds a damaged pickle that does not unpickle ({str(e)[:120]})")
        if fill is not None:
            fill()
        unpickler.materialize()
    except Refused as e:
        fail(path, str(e))
    return result


def tensors_of(value) -> "OrderedDict[str, np.ndarray] | None":
    """``value`` as name -> array when it is a dict of tensors (a state_dict), else None."""
    if not isinstance(value, dict) or not value:
        return None
    if not all(isinstance(k, str) and isinstance(v, _Tensor) for k, v in value.items()):
        return None
    return OrderedDict((k, v.array) for k, v in value.items())


def state_dict(path: Path, result) -> "OrderedDict[str, np.ndarray]":
    """The state_dict in what the pickle made: the dict itself, or a checkpoint's model entry."""
    found = tensors_of(result)
    if found is not None:
        return found
    if isinstance(result, dict):
        for key in _CHECKPOINT_KEYS:
            found = tensors_of(result.get(key))
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
