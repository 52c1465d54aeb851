"""Fuzzing both Keras formats as test_fuzz_foreign.py fuzzes the other readers: truncations at the
structural boundaries of the zip (.keras) and of the HDF5 file (its superblock's fields, every B-tree,
heap, symbol-table and object-header signature, every dataset's first and last byte) plus a sample of
other offsets (every offset with NNVIZ_THOROUGH=1), random bytes, bit flips anywhere and aimed at those
structures, zip member surgery, model configs replaced by any JSON, and hostile declared sizes.

Each case goes through ``load_foreign``, so through the child process: whatever HDF5 does with the bytes
(a refusal, a crash, a hang, an allocation), the only outcome is a DataFormatError of one line naming the
file, or a network that passes the checks. Each case starts a Python (~0.2 s), so the sample is smaller
than the other readers' (THOROUGH runs ten times as many)."""

import collections
import io
import json
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import strategies as st

from nnviz.model.files.foreign import load_foreign
from nnviz.model.files.foreign import keras_isolation
from tests.fuzzing import (THOROUGH, any_json, cut_points, every_kind_ran, flip, fuzz_each_kind, kinds, load_once,
                           members, mutant, report, rezip, zip_boundaries)

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(keras_isolation.h5py_missing(), reason="needs h5py (pip install 'nnviz[keras]')")]
FIXTURES = Path(__file__).parents[3] / "fixtures" / "keras"
SAMPLE = 1000 if THOROUGH else 20
#: each case starts a Python (~0.3 s): the everyday run takes this many of the structural cuts (evenly
#: spread over the file) and this many cases of each kind of mutation; THOROUGH takes them all
CUTS = None if THOROUGH else 12
PER_KIND = None if THOROUGH else 2
#: the files fuzzed; THOROUGH adds a functional model with variable-length name lists
H5_FILES = ["keras22_cnn.h5", "tfkeras24_mlp.h5"] if THOROUGH else ["keras22_cnn.h5"]
SIGNATURES = (b"TREE", b"HEAP", b"SNOD", b"OHDR", b"OCHK", b"GCOL", b"FRHP", b"FHDB", b"FHIB", b"BTHD", b"BTLF")


def _check(saved):
    net = saved.network
    assert all(np.isfinite(w).all() and w.dtype == np.float32 for w in net.weights)
    assert net.sizes[0] == 64 and net.sizes[-1] == 10


def hdf5_boundaries(blob: bytes) -> set[int]:
    """The superblock's fields (8-byte steps over its first 96 bytes), each structure signature and the
    4 bytes after it, each dataset's data start and end."""
    import h5py

    out = set(range(0, 96, 8)) | {len(blob)}
    for sig in SIGNATURES:
        i = blob.find(sig)
        while i >= 0:
            out.add(i)
            i = blob.find(sig, i + 1)
    with h5py.File(io.BytesIO(blob), "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and obj.id.get_offset() is not None:
                start = obj.id.get_offset()
                out.update({start, start + obj.id.get_storage_size()})
        f.visititems(visit)
    return out


@pytest.mark.parametrize("name", ["cnn.keras", *H5_FILES])
def test_every_truncation_is_refused(tmp_path, name):
    base = (FIXTURES / name).read_bytes()
    _check(load_foreign(FIXTURES / name))
    bounds = zip_boundaries(base) if name.endswith(".keras") else hdf5_boundaries(base)
    counts = collections.Counter()
    cuts = cut_points(base, bounds, sample=SAMPLE)
    if CUTS and len(cuts) > CUTS:
        cuts = cuts[::-(-len(cuts) // CUTS)]
    for cut in cuts:
        load_once(load_foreign, _check, tmp_path / f"cut{Path(name).suffix}", base[:cut], counts, "truncate")
    total, _ = report(f"{name} truncations", counts)
    assert total == len(cuts) and counts["truncate", "loaded"] == 0


def test_fuzzed_keras_zips_only_ever_raise_our_error(tmp_path):
    base = (FIXTURES / "mlp.keras").read_bytes()
    entries = members(base)
    stored = rezip(entries, zipfile.ZIP_STORED)
    counts = collections.Counter()
    fuzz_each_kind(kinds(entries), lambda data, kind: load_once(
        load_foreign, _check, tmp_path / "fuzz.keras", mutant(data, kind, base, stored, entries), counts, kind),
        PER_KIND)
    total, by_kind = report(".keras zip fuzz", counts)
    assert every_kind_ran(by_kind, kinds(entries))


def _config_mutant(data, config):
    """One value somewhere in a model config (the model, a layer, a layer's config) replaced by any JSON,
    a hostile size, or a layer dropped or repeated."""
    layers = config["config"]["layers"]
    choice = data.draw(st.sampled_from(["model", "layer", "layer-config", "drop", "repeat", "size"]))
    if choice == "model":
        config[data.draw(st.sampled_from(["class_name", "config", "extra"]))] = data.draw(any_json)
    elif choice in ("drop", "repeat"):
        i = data.draw(st.integers(0, len(layers) - 1))
        layers.insert(i, layers[i]) if choice == "repeat" else layers.pop(i)
    else:
        layer = layers[data.draw(st.integers(0, len(layers) - 1))]
        target = layer if choice == "layer" else layer["config"]
        key = data.draw(st.sampled_from(sorted(target) + ["extra"]))
        target[key] = data.draw(st.integers(-2, 2**62) | st.lists(st.integers(-1, 2**31), max_size=4)) \
            if choice == "size" else data.draw(any_json)
    return json.dumps(config)


def _h5_with_config(h5py, base, text):
    out = io.BytesIO(base)
    with h5py.File(out, "r+") as f:
        f.attrs["model_config"] = text.encode("utf8")
    return out.getvalue()


H5_KINDS = ("random", "random-hdf5-magic", "truncate", "flip", "flip-structure", "append", "config",
            "config-in-keras-zip", "declared-size")


@pytest.mark.parametrize("name", H5_FILES)
def test_fuzzed_h5_files_only_ever_raise_our_error(tmp_path, name):
    import h5py

    base = (FIXTURES / name).read_bytes()
    structure = sorted(hdf5_boundaries(base) - {len(base)})
    with h5py.File(io.BytesIO(base), "r") as f:
        config = json.loads(f.attrs["model_config"])
    keras_zip = members((FIXTURES / "cnn.keras").read_bytes())
    keras_config = json.loads(dict(keras_zip)["config.json"])
    counts = collections.Counter()

    def case(data, kind):
        bits = lambda n: data.draw(st.lists(st.integers(0, 7), min_size=n, max_size=n))  # noqa: E731
        suffix = ".h5"
        if kind == "random":
            blob = data.draw(st.binary(max_size=2000))
        elif kind == "random-hdf5-magic":
            blob = b"\x89HDF\r\n\x1a\n" + data.draw(st.binary(max_size=2000))
        elif kind == "truncate":
            blob = base[:data.draw(st.integers(0, len(base) - 1))]
        elif kind == "append":
            blob = base + data.draw(st.binary(min_size=1, max_size=100))
        elif kind in ("flip", "flip-structure"):
            pool = st.integers(0, len(base) - 1) if kind == "flip" else st.sampled_from(
                [min(len(base) - 1, s + d) for s in structure for d in range(8)])
            pos = data.draw(st.lists(pool, min_size=1, max_size=6))
            blob = flip(base, pos, bits(len(pos)))
        elif kind == "config":
            blob = _h5_with_config(h5py, base, _config_mutant(data, json.loads(json.dumps(config))))
        elif kind == "config-in-keras-zip":
            text = _config_mutant(data, json.loads(json.dumps(keras_config)))
            blob, suffix = rezip([(n, text.encode() if n == "config.json" else c) for n, c in keras_zip]), ".keras"
        else:  # declared-size: a dataset's dimension sizes in its dataspace message, set to anything
            blob = bytearray(base)
            for _ in range(data.draw(st.integers(1, 3))):
                at = data.draw(st.sampled_from(structure))
                struct.pack_into("<Q", blob, min(at, len(blob) - 8), data.draw(st.sampled_from(
                    [0, 1, 2**31, 2**40, 2**63, 2**64 - 1, len(base)])))
            blob = bytes(blob)
        load_once(load_foreign, _check, tmp_path / f"fuzz{suffix}", blob, counts, kind)

    fuzz_each_kind(H5_KINDS, case, PER_KIND)
    total, by_kind = report(f"{name} fuzz", counts)
    assert every_kind_ran(by_kind, H5_KINDS)
