"""Hand-made PyTorch-style files for the tests (no torch): a tiny pickle writer that can name any
global, and a zip laid out as torch.save lays it out."""

import io
import struct
import zipfile


class G:
    """A global, written as GLOBAL 'module name' (or STACK_GLOBAL with stack=True)."""

    def __init__(self, module, name, stack=False):
        self.module, self.name, self.stack = module, name, stack


class Call:
    """``func(*args)``: REDUCE."""

    def __init__(self, func, *args):
        self.func, self.args = func, args


class Pid:
    """A persistent id: BINPERSID of a tuple."""

    def __init__(self, *items):
        self.items = items


class Build:
    """``obj`` then BUILD with ``state``."""

    def __init__(self, obj, state):
        self.obj, self.state = obj, state


def _str(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def _w(v):
    if isinstance(v, G):
        if v.stack:
            return _str(v.module) + _str(v.name) + b"\x93"
        return b"c" + v.module.encode() + b"\n" + v.name.encode() + b"\n"
    if isinstance(v, Call):
        return _w(v.func) + _w(tuple(v.args)) + b"R"
    if isinstance(v, Pid):
        return _w(tuple(v.items)) + b"Q"
    if isinstance(v, Build):
        return _w(v.obj) + _w(v.state) + b"b"
    if v is None:
        return b"N"
    if v is True or v is False:
        return b"\x88" if v else b"\x89"
    if isinstance(v, int):
        return b"J" + struct.pack("<i", v) if -2**31 <= v < 2**31 else b"\x8a" + _long(v)
    if isinstance(v, str):
        return _str(v)
    if isinstance(v, tuple):
        return b"(" + b"".join(_w(x) for x in v) + b"t"
    if isinstance(v, list):
        return b"](" + b"".join(_w(x) for x in v) + b"e"
    if isinstance(v, dict):
        return b"}(" + b"".join(_w(k) + _w(x) for k, x in v.items()) + b"u"
    raise TypeError(type(v))


def _long(v):
    n = (v.bit_length() + 8) // 8
    return bytes([n]) + v.to_bytes(n, "little", signed=True)


def dumps(v, protocol=2):
    return b"\x80" + bytes([protocol]) + _w(v) + b"."


def ordered(items):
    """An OrderedDict as torch writes it."""
    return Call(G("collections", "OrderedDict"), list(items.items())) if items else \
        Call(G("collections", "OrderedDict"))


def tensor(key, shape, stride=None, offset=0, numel=None, storage="FloatStorage"):
    """torch._utils._rebuild_tensor_v2 of storage ``key``, as torch 2.x writes a tensor."""
    import math

    stride = stride or tuple(math.prod(shape[i + 1:]) for i in range(len(shape)))
    numel = math.prod(shape) if numel is None else numel
    return Call(G("torch._utils", "_rebuild_tensor_v2"), Pid("storage", G("torch", storage), key, "cpu", numel),
                offset, tuple(shape), tuple(stride), False, ordered({}))


def torch_zip(pickle_bytes, storages=None, prefix="archive", extra=None):
    """A zip laid out as torch.save writes one: ``<prefix>/data.pkl``, ``<prefix>/data/<key>``,
    ``byteorder``, ``version``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        z.writestr(f"{prefix}/data.pkl", pickle_bytes)
        z.writestr(f"{prefix}/byteorder", "little")
        for key, data in (storages or {}).items():
            z.writestr(f"{prefix}/data/{key}", data)
        z.writestr(f"{prefix}/version", "3\n")
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return out.getvalue()


LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
SYS_INFO = {"protocol_version": 1001, "little_endian": True, "type_sizes": {"short": 2, "int": 4, "long": 4}}


def legacy_tensor(key, shape, numel=None, view=None, storage="FloatStorage"):
    """A tensor as the legacy format pickles it: a six-item persistent id (the last a view or None)."""
    import math

    stride = tuple(math.prod(shape[i + 1:]) for i in range(len(shape)))
    numel = math.prod(shape) if numel is None else numel
    return Call(G("torch._utils", "_rebuild_tensor_v2"), Pid("storage", G("torch", storage), key, "cpu", numel, view),
                0, tuple(shape), stride, False, ordered({}))


def legacy_file(body_pickle, storages, header=None, keys=None):
    """PyTorch's legacy layout: pickles of the magic number, the protocol version, the system info, the
    object (``body_pickle``, bytes) and the storage keys, then per key an int64 count and its bytes
    (``storages``: key -> (count, bytes)). ``header`` replaces the first three pickles' bytes."""
    import pickle

    head = header if header is not None else b"".join(pickle.dumps(v, protocol=2)
                                                      for v in (LEGACY_MAGIC, 1001, SYS_INFO))
    keys = list(storages) if keys is None else keys
    tail = b"".join(struct.pack("<q", n) + data for n, data in storages.values())
    return head + body_pickle + pickle.dumps(keys, protocol=2) + tail
