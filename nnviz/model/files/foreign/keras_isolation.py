"""Reading a Keras file's HDF5 in a child process with a time and memory limit (``keras_hdf5_child.py``).

HDF5 is a C library: a damaged or hostile file can crash it (a segfault takes the whole process with it),
loop in it (no Python signal interrupts C code) or make it allocate without bound. So the learner's
process never parses one: a fresh Python reads it, with its address space capped (``RLIMIT_AS``) and
its CPU time too, killed after ``TIMEOUT_SECONDS``, and hands back plain arrays in an npz on its stdout.
Whatever happens in there is one line here: a DataFormatError naming the file.

The child is started as ``python -c BOOT keras_hdf5_child.py FILE LIMITS`` rather than ``-m nnviz…``: it
imports no nnviz module (0.15 s saved per file) and, run this way, does not put nnviz's source folder on
its import path. ``HDF5_PLUGIN_PRELOAD=::`` stops HDF5 loading filter plugins from disk for it.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .reading import MAX_DIMS, MAX_FILE_BYTES, MAX_TENSOR_BYTES, MAX_TENSORS, fail

INSTALL = "pip install 'nnviz[keras]'"
CHILD = Path(__file__).with_name("keras_hdf5_child.py")
#: a Keras file of the sizes nnviz opens reads in well under a second; a slow machine gets 30× that
TIMEOUT_SECONDS = 30
#: the reader's memory beyond what Python, NumPy and h5py take at its start: the file twice and more
MEMORY_BYTES = 3 * MAX_FILE_BYTES
#: runs the child script by path without its folder on sys.path ("" from -c is dropped too)
BOOT = "import runpy, sys; sys.path.pop(0); script = sys.argv.pop(1); runpy.run_path(script, run_name='__main__')"


@dataclass
class KerasContents:
    """What the child read: ``format`` ("keras3", "keras3-weights", "h5-model", "h5-weights"), the model's
    config JSON text (None for weights only), the legacy file's ``keras_version`` and ``backend``
    attributes (None when absent: Keras 1 wrote neither), and ``groups``: (layer key, [(weight name,
    array)…]) in the file's order."""

    format: str
    config: str | None
    keras_version: str | None
    backend: str | None
    groups: list[tuple[str, list[tuple[str, np.ndarray]]]] = field(default_factory=list)


def h5py_missing() -> bool:
    return importlib.util.find_spec("h5py") is None


def read_isolated(path: str | Path, timeout: float = TIMEOUT_SECONDS, memory: int = MEMORY_BYTES,
                  child: Path = CHILD) -> KerasContents:
    """The HDF5 contents of a ``.keras`` / ``.h5`` file, read by ``child`` in its own process; every
    problem (the file's, h5py missing, the reader crashing, hanging or running out of memory) is a
    DataFormatError naming ``path``."""
    path = Path(path)
    if h5py_missing():
        fail(path, f"is a Keras model; opening Keras files needs the h5py package: {INSTALL}")
    limits = {"file_bytes": MAX_FILE_BYTES, "tensor_bytes": MAX_TENSOR_BYTES, "tensors": MAX_TENSORS,
              "dims": MAX_DIMS, "memory": int(memory), "seconds": float(timeout)}
    env = dict(os.environ, HDF5_PLUGIN_PRELOAD="::", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    try:
        done = subprocess.run([sys.executable, "-c", BOOT, str(child), str(path), json.dumps(limits)],
                              capture_output=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        fail(path, f"took more than {timeout:g} s to read, so nnviz stopped reading it: it is damaged or "
                   "not a model nnviz opens")
    except OSError as e:
        fail(path, f"cannot be read: nnviz could not start its Keras file reader ({e.strerror or e})")
    if done.returncode == 0:
        return _contents(path, done.stdout)
    if done.returncode == 2:
        problem = done.stderr.decode("utf-8", "replace").strip().splitlines()
        fail(path, problem[-1][:300] if problem else "cannot be read as a Keras model")
    if done.returncode == 3:
        fail(path, f"is a Keras model; opening Keras files needs the h5py package: {INSTALL}")
    if done.returncode < 0:
        try:
            name = signal.Signals(-done.returncode).name
        except ValueError:
            name = f"signal {-done.returncode}"
        what = "ran out of time" if name == "SIGXCPU" else f"crashed ({name})"
        fail(path, f"made the HDF5 reader {what}; nnviz itself is unharmed, but the file is damaged or "
                   "not a model nnviz opens")
    last = done.stderr.decode("utf-8", "replace").strip().splitlines()
    if last and "MemoryError" in last[-1]:
        fail(path, f"needs more than {memory >> 20} MB of memory to read: it is damaged or not a model nnviz opens")
    fail(path, f"stopped the HDF5 reader (exit code {done.returncode}"
               + (f": {last[-1][:120]}" if last else "") + "): the file is damaged or not a model nnviz opens")


def _contents(path: Path, raw: bytes) -> KerasContents:
    """The child's npz as KerasContents, its structure checked (it is ours, but a file's names are in it)."""
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as z:
            meta = json.loads(bytes(z["meta"]).decode("utf-8"))
            arrays = [z[f"t{i}"] for i in range(len(z.files) - 1)]
    except (OSError, ValueError, KeyError, UnicodeDecodeError):
        fail(path, "could not be read: the Keras file reader's answer was damaged")
    groups, it = [], iter(arrays)
    for name, weight_names in meta["groups"]:
        groups.append((str(name), [(str(w), next(it)) for w in weight_names]))
    return KerasContents(meta["format"], meta.get("config"), meta.get("keras_version"), meta.get("backend"), groups)
