"""The part of reading a Keras file that touches HDF5, run by ``keras_isolation.py`` in a process of
its own: HDF5's C library parses the file, and a damaged or hostile one can crash it, hang it or make it
allocate without bound. This script imports only the standard library, NumPy and h5py (never nnviz),
limits its own memory and CPU time, and answers on stdout with an npz (``allow_pickle=False``):

- ``meta``: UTF-8 JSON ``{"format", "config", "keras_version", "backend", "groups": [[name, [weight
  names…]], …]}``; ``format`` is "keras3" (a ``.keras`` zip: ``config.json`` + ``model.weights.h5``),
  "keras3-weights" (``save_weights("x.weights.h5")``), "h5-model" (legacy ``model.save("x.h5")``:
  ``model_config`` + ``model_weights``) or "h5-weights" (legacy ``save_weights("x.h5")``);
- ``t0``, ``t1``, …: the weight arrays, in the order the groups name them.

Groups are Keras 3's ``layers/<key>/vars/0, 1, …`` (the key is the layer's class in snake case with a
per-class count, ``dense``, ``dense_1``, not its name), or the legacy ``layer_names`` attribute's layers,
each with its ``weight_names`` in order (both as Keras's own loaders take them). A refusal is exit code 2
with one line on stderr. Only hard links are followed (an external link would open another file), only
contiguous or built-in-filtered datasets are read (no external or virtual storage, no filter plugins), and
every shape and size is checked before anything is read.

    python keras_hdf5_child.py FILE LIMITS_JSON
"""

import io
import json
import sys
import zipfile

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
#: h5py's names for the filters HDF5 has built in; anything else would be a plugin loaded from disk
BUILTIN_FILTERS = {"gzip", "shuffle", "fletcher32", "lzf", "szip", "scaleoffset"}
MAX_NAME = 256
MAX_CONFIG_BYTES = 16 << 20


class Refusal(Exception):
    """What is wrong with the file, in the learner's words (one line, without the file's name)."""


def _limit_resources(limits):
    """Cap this process's address space (what it has now plus ``memory`` bytes) and CPU seconds: a file
    that makes HDF5 allocate without bound gets a MemoryError, a loop in C a SIGXCPU, not the machine."""
    try:
        import resource
    except ImportError:  # Windows: the parent's timeout still holds
        return
    try:
        with open("/proc/self/statm") as f:
            now = int(f.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        now = 1 << 30
    cpu = int(limits["seconds"]) + 1
    for which, value in ((resource.RLIMIT_AS, now + int(limits["memory"])), (resource.RLIMIT_CPU, cpu)):
        soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, hard))


def _texts(value, what):
    """An attribute holding names: an array of fixed-length bytes (tf.keras 2.4), of variable-length
    str or bytes (h5py 3, Keras 3), or one string."""
    import numpy as np

    if isinstance(value, (bytes, str, np.bytes_, np.str_)):
        value = [value]
    value = np.asarray(value)
    if value.ndim > 1 or value.dtype.kind not in "SUO" and value.size:
        raise Refusal(f"has a {what} attribute that is not a list of names")
    out = []
    for v in value.reshape(-1).tolist():
        if isinstance(v, bytes):
            try:
                v = v.decode("utf-8")
            except UnicodeDecodeError:
                raise Refusal(f"has a {what} attribute that is not UTF-8 text") from None
        if not isinstance(v, str) or len(v) > MAX_NAME:
            raise Refusal(f"has a {what} attribute that is not a list of names")
        out.append(v)
    return out


def _names_attr(group, name):
    """``layer_names`` / ``weight_names``: one attribute, or chunks ``name0``, ``name1``, … (Keras splits a
    list larger than HDF5's 64 KB attribute limit)."""
    if name in group.attrs:
        return _texts(group.attrs[name], name)
    out, i = [], 0
    while f"{name}{i}" in group.attrs:
        out += _texts(group.attrs[f"{name}{i}"], name)
        i += 1
    return out


def _text_attr(attrs, name):
    """One text attribute (``model_config``, ``keras_version``): str, bytes, or a one-element array of them."""
    import numpy as np

    if name not in attrs:
        return None
    v = attrs[name]
    if isinstance(v, np.ndarray) and v.size == 1 and v.dtype.kind in "SUO":
        v = v.reshape(-1)[0]
    if isinstance(v, (bytes, np.bytes_)):
        try:
            v = bytes(v).decode("utf-8")
        except UnicodeDecodeError:
            raise Refusal(f"has a {name} attribute that is not UTF-8 text") from None
    if not isinstance(v, str) or len(v) > MAX_CONFIG_BYTES:
        raise Refusal(f"has a {name} attribute that is not text")
    return str(v)


def _child(h5py, group, path, kind):
    """``group[path]`` through hard links only, and of ``kind`` (h5py.Group or h5py.Dataset)."""
    if not path or path.startswith("/") or "//" in path or len(path) > 4 * MAX_NAME:
        raise Refusal(f"names an object {path[:60]!r} that is not inside its layer's group")
    node = group
    for part in path.split("/"):
        if not isinstance(node, h5py.Group) or part not in node:
            raise Refusal(f"names {path[:60]!r}, which is not in the file: it is damaged")
        link = node.get(part, getlink=True)
        if not isinstance(link, h5py.HardLink):
            raise Refusal(f"links {path[:60]!r} to another place or file; nnviz follows no links in a file")
        node = node[part]
    if not isinstance(node, kind):
        raise Refusal(f"has {path[:60]!r} of the wrong kind (a group where data belongs, or the reverse)")
    return node


class _Budget:
    def __init__(self, limits):
        self.tensors, self.bytes, self.limits = 0, 0, limits

    def read(self, h5py, ds, name):
        import numpy as np

        lim = self.limits
        self.tensors += 1
        if self.tensors > lim["tensors"]:
            raise Refusal("holds far more weights than a network nnviz shows")
        if ds.is_virtual or ds.external:
            raise Refusal(f"keeps {name[:60]!r} in another file; nnviz never opens files a model points to")
        plugins = set(ds._filters) - BUILTIN_FILTERS
        if plugins:
            raise Refusal(f"compresses {name[:60]!r} with a filter HDF5 does not have built in "
                          f"({sorted(plugins)[0][:20]})")
        dt, shape = ds.dtype, ds.shape
        if dt.kind not in "fiu" or dt.itemsize > 8 or dt.fields is not None or shape is None:
            raise Refusal(f"holds {name[:60]!r} as {str(dt)[:40]}, not numbers")
        if len(shape) > lim["dims"]:
            raise Refusal(f"holds {name[:60]!r} with {len(shape)} dimensions")
        n = 1
        for s in shape:
            n *= int(s)
        if n * dt.itemsize > lim["tensor_bytes"] or self.bytes + n * dt.itemsize > lim["file_bytes"]:
            raise Refusal(f"declares {name[:60]!r} of shape {tuple(shape)}, far more numbers than nnviz opens")
        self.bytes += n * dt.itemsize
        a = np.asarray(ds[()])
        if a.shape != tuple(shape):
            raise Refusal(f"holds {name[:60]!r} whose data does not match its shape: it is damaged")
        return np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("="))


def _legacy_groups(h5py, root, budget):
    groups, arrays = [], []
    names = _names_attr(root, "layer_names")
    if len(names) > budget.limits["tensors"]:
        raise Refusal("lists far more layers than a network nnviz shows")
    for name in names:
        g = _child(h5py, root, name, h5py.Group)
        weights = _names_attr(g, "weight_names")
        for w in weights:
            arrays.append(budget.read(h5py, _child(h5py, g, w, h5py.Dataset), w))
        groups.append([name, weights])
    return groups, arrays


def _keras3_groups(h5py, f, budget):
    groups, arrays = [], []
    layers = _child(h5py, f, "layers", h5py.Group)
    keys = list(layers.keys())
    if len(keys) > budget.limits["tensors"]:
        raise Refusal("holds far more layers than a network nnviz shows")
    for key in keys:
        g = _child(h5py, layers, key, h5py.Group)
        if "vars" not in g:
            continue
        v = _child(h5py, g, "vars", h5py.Group)
        names = list(v.keys())
        if sorted(names, key=lambda s: int(s) if s.isdigit() else -1) != [str(i) for i in range(len(names))]:
            raise Refusal(f"has layer {key[:60]!r} whose variables are not numbered 0, 1, …")
        for i in range(len(names)):
            arrays.append(budget.read(h5py, _child(h5py, v, str(i), h5py.Dataset), f"{key}/vars/{i}"))
        groups.append([key, [f"vars/{i}" for i in range(len(names))]])
    return groups, arrays


def _member(z, name, cap):
    info = z.getinfo(name)
    if info.file_size > cap:
        raise Refusal(f"holds {name} of {info.file_size:,} bytes, too large for nnviz to open")
    with z.open(info) as f:
        data = f.read(cap + 1)
    if len(data) > cap:
        raise Refusal(f"holds {name} larger than it declares")
    return data


def _open_h5(h5py, what):
    try:
        return h5py.File(what, "r", locking=False)
    except TypeError:  # h5py before 3.5 has no locking argument
        return h5py.File(what, "r")


def read(path, limits):
    import os

    import h5py

    if os.path.isdir(path):
        raise Refusal("is a folder, not a Keras model")
    size = os.path.getsize(path)
    if size > limits["file_bytes"]:
        raise Refusal(f"is {size:,} bytes, too large for nnviz to open as a Keras model")
    with open(path, "rb") as f:
        head = f.read(8)
    budget = _Budget(limits)
    meta = {"config": None, "keras_version": None, "backend": None}
    if head[:4] == b"PK\x03\x04":
        try:
            z = zipfile.ZipFile(path)
        except zipfile.BadZipFile as e:
            raise Refusal(f"is not a .keras model (a damaged zip: {str(e)[:80]})") from None
        with z:
            names = set(z.namelist())
            if "config.json" not in names or "model.weights.h5" not in names:
                raise Refusal("is a zip but not a Keras 3 model (it needs config.json and model.weights.h5)")
            try:
                config = _member(z, "config.json", MAX_CONFIG_BYTES).decode("utf-8")
                info = json.loads(_member(z, "metadata.json", 1 << 16)) if "metadata.json" in names else {}
            except (UnicodeDecodeError, ValueError):
                raise Refusal("has a config.json or metadata.json that is not JSON text") from None
            weights = _member(z, "model.weights.h5", limits["file_bytes"])
        if weights[:8] != HDF5_MAGIC:
            raise Refusal("has a model.weights.h5 that is not an HDF5 file")
        with _open_h5(h5py, io.BytesIO(weights)) as f:
            groups, arrays = _keras3_groups(h5py, f, budget)
        version = info.get("keras_version") if isinstance(info, dict) else None
        meta.update(format="keras3", config=config, keras_version=version if isinstance(version, str) else None)
    else:
        if head != HDF5_MAGIC:
            raise Refusal("is neither a .keras model (a zip) nor an HDF5 .h5 file")
        with _open_h5(h5py, path) as f:
            if "model_config" in f.attrs:
                meta["config"] = _text_attr(f.attrs, "model_config")
                if meta["config"] is None:
                    raise Refusal("has a model_config that is not JSON text")
                root, fmt = _child(h5py, f, "model_weights", h5py.Group), "h5-model"
            elif "layer_names" in f.attrs or "layer_names0" in f.attrs:
                root, fmt = f, "h5-weights"
            elif "layers" in f:
                root, fmt = None, "keras3-weights"
            else:
                raise Refusal("is an HDF5 file but holds no Keras model (no model_config, layer_names or layers)")
            if root is None:
                groups, arrays = _keras3_groups(h5py, f, budget)
            else:
                groups, arrays = _legacy_groups(h5py, root, budget)
                meta["keras_version"] = _text_attr(root.attrs, "keras_version")
                meta["backend"] = _text_attr(root.attrs, "backend")
        meta["format"] = fmt
    meta["groups"] = groups
    return meta, arrays


def main(argv):
    import numpy as np

    limits = json.loads(argv[2])
    try:
        import h5py  # noqa: F401 - loaded before the limits, which are counted from what is in use then
    except ImportError:
        return 3

    _limit_resources(limits)
    try:
        meta, arrays = read(argv[1], limits)
        out = io.BytesIO()
        np.savez(out, meta=np.frombuffer(json.dumps(meta).encode("utf-8"), np.uint8),
                 **{f"t{i}": a for i, a in enumerate(arrays)})
    except Refusal as e:
        print(str(e), file=sys.stderr)
        return 2
    except MemoryError:
        print(f"needs more than {limits['memory'] >> 20} MB of memory to read: it is damaged or not a model nnviz "
              "opens", file=sys.stderr)
        return 2
    except (OSError, RuntimeError, KeyError, ValueError) as e:
        # what h5py raises when HDF5 finds the file damaged (its own checks, not a crash)
        print(f"is damaged (the HDF5 library says: {' '.join(str(e).split())[:160]})", file=sys.stderr)
        return 2
    sys.stdout.buffer.write(out.getvalue())
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
