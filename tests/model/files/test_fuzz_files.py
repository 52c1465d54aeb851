"""Fuzzing every file loader: whatever the bytes, the only exception is DataFormatError.

Loaders: model ``.npz`` (load_model), examples ``.npz`` (load_examples), lesson
``.nnviz`` (load_lesson_file), bundled dataset ``.npz`` (load_bundled with a path).
The IDX reader is fuzzed the same way in test_idx.py (test_fuzzed_files_only_ever_raise_our_error).

Each loader gets: truncations at every zip structure and a sample of other offsets (every
offset with NNVIZ_THOROUGH=1; tests/fuzzing.py), random bytes, bit flips of the compressed and
of a stored (uncompressed) copy, flips aimed at the zip headers, and mutations *inside* the
archive re-zipped with valid CRCs (so they reach numpy's header parser, the JSON metadata and
the validation rather than stopping at a CRC check): flipped/cut/swapped/dropped/added members
and random JSON metadata values. Hypothesis runs with the suite's profile (tests/conftest.py).
"""

import collections
import errno
import io
import os
import struct
import zipfile

import numpy as np
import pytest

from nnviz.model.storage import atomic
from nnviz.model.data.bundled import load_bundled
from nnviz.model.data.datasets import smile
from nnviz.model.errors import DataFormatError
from nnviz.model.data.examples import UserExamples, load_examples, save_examples
from nnviz.model.files.lessonfile import LessonFile, load_lesson_file, save_lesson_file
from nnviz.model.lessons import get_lesson
from nnviz.model.files.modelfile import SavedModel, load_model, save_model
from nnviz.model.core.network import Network
from tests.fuzzing import (every_kind_ran, deadline, fuzz_each_kind, kinds, load_once, members, mutant, patch_sizes, report, rezip, small_history,
                           sweep_truncations, zip_boundaries)

# --- one small valid file per loader ------------------------------------------------------------

def _model_file(path):
    return save_model(path, SavedModel(Network([6, 4, 3], seed=1), "digits", 6, 1, 3, {"learning_rate": 0.1},
                                       small_history()))


def _examples_file(path):
    ex = UserExamples()
    for i in range(3):
        ex.add(np.linspace(0, 1, 12) * (i / 2), i % 2)
    return save_examples(path, ex, smile(), "smile")


def _lesson_file(path):
    t = get_lesson("smile").build()
    for _ in range(6):
        t.step()
    lf = LessonFile("smile", t.network, t.settings.to_dict(), t.seed, t.iteration, t.epoch, t.history,
                    np.linspace(0, 1, 24).reshape(2, 12), np.array([1, 0]), "Smiles", "Watch the weights.")
    return save_lesson_file(path, lf)


def _bundled_file(path):
    n = 20
    with open(path, "wb") as f:
        np.savez_compressed(f, images=(np.arange(n * 64) % 17).astype(np.uint8).reshape(n, 8, 8),
                            labels=(np.arange(n) % 10).astype(np.uint8), test_index=np.arange(0, n, 4, dtype=np.int32))
    return path


def _check_model(m):
    assert isinstance(m, SavedModel) and all(np.isfinite(w).all() for w in m.network.weights)


def _check_examples(result):
    x, y = result
    assert x.dtype == np.float32 and x.shape == (len(y), 12) and ((0 <= x) & (x <= 1)).all()
    assert y.dtype == np.int64 and set(y.tolist()) <= {0, 1}


def _check_lesson(lf):
    assert isinstance(lf, LessonFile) and lf.network.sizes[0] == 12
    assert lf.examples_x.shape == (lf.n_examples, 12)
    lf.to_history()  # a validated history always converts


def _check_bundled(raw):
    assert raw["images"].dtype == np.uint8 and raw["images"].shape[1:] == (8, 8)
    assert raw["labels"].shape == (len(raw["images"]),) and raw["labels"].max() < 10


_SMILE = smile()
LOADERS = {  # name -> (write a valid file, load, check what loaded)
    "model": (_model_file, load_model, _check_model),
    "examples": (_examples_file, lambda p: load_examples(p, _SMILE), _check_examples),
    "lesson": (_lesson_file, load_lesson_file, _check_lesson),
    "bundled": (_bundled_file, lambda p: load_bundled("digits", path=p), _check_bundled),
}


# --- the fuzz tests ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(LOADERS))
def test_every_truncation_is_refused(tmp_path, name):
    write, load, check = LOADERS[name]
    base = write(tmp_path / f"valid-{name}").read_bytes()
    check(load(tmp_path / f"valid-{name}"))
    counts = collections.Counter()
    # each header, each member's start and end, the directory; a sample of the rest
    cuts = sweep_truncations(load, check, tmp_path / f"cut-{name}", base, zip_boundaries(base), counts)
    total, _ = report(f"{name} truncations", counts)
    assert total == cuts and counts["truncate", "loaded"] == 0


@pytest.mark.parametrize("name", list(LOADERS))
def test_fuzzed_files_only_ever_raise_our_error(tmp_path, name):
    write, load, check = LOADERS[name]
    base = write(tmp_path / f"valid-{name}").read_bytes()
    entries = members(base)
    stored = rezip(entries, zipfile.ZIP_STORED)
    target = tmp_path / f"fuzz-{name}"
    counts = collections.Counter()

    fuzz_each_kind(kinds(entries), lambda data, kind: load_once(load, check, target,
                                                                mutant(data, kind, base, stored, entries), counts, kind))
    total, by_kind = report(f"{name} fuzz", counts)
    assert every_kind_ran(by_kind, kinds(entries))


# --- targeted hostile files -------------------------------------------------------------------

@pytest.mark.parametrize("name", list(LOADERS))
def test_hostile_sizes_are_not_believed(tmp_path, name):
    write, load, _ = LOADERS[name]
    entries = members(write(tmp_path / "valid").read_bytes())
    p = tmp_path / "hostile"
    # an array header declaring 8 TB of float64: refused before any allocation
    f = io.BytesIO()
    np.lib.format.write_array_header_1_0(f, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)})
    victim = next(n for n, _ in entries if n != "meta.npy")
    p.write_bytes(rezip([(n, f.getvalue() + bytes(64) if n == victim else c) for n, c in entries]))
    with deadline(), pytest.raises(DataFormatError, match="hostile"):
        load(p)
    # a zip bomb: 50 MB of zeros declared as 100 bytes is never inflated past 101 bytes
    bomb = rezip([("meta.npy", bytes(50_000_000))])
    p.write_bytes(patch_sizes(bomb, 100))
    with deadline(), pytest.raises(DataFormatError, match="hostile"):
        load(p)
    # and declared as 4 GB: refused from the directory alone
    p.write_bytes(patch_sizes(rezip(entries), 0xFFFFFFF0))
    with deadline(), pytest.raises(DataFormatError, match="hostile: .*declares more than"):
        load(p)


def test_an_unsupported_compression_or_encryption_flag_is_our_error(tmp_path):
    blob = bytearray(_lesson_file(tmp_path / "ok.nnviz").read_bytes())
    i = blob.find(b"PK\x01\x02")
    p = tmp_path / "odd.nnviz"
    for field_at, value in ((10, 99), (10, zipfile.ZIP_LZMA), (8, 0x41)):  # method 99 / lzma, encryption bits
        b = bytearray(blob)
        struct.pack_into("<H", b, i + field_at, value)
        p.write_bytes(bytes(b))
        with pytest.raises(DataFormatError, match="odd.nnviz"):
            load_lesson_file(p)


# --- a full disk ------------------------------------------------------------------------------

def test_a_full_disk_mid_write_leaves_the_previous_lesson_file_intact(tmp_path, monkeypatch):
    path = _lesson_file(tmp_path / "class.nnviz")
    before = path.read_bytes()
    t = get_lesson("smile").build()
    for _ in range(12):
        t.step()
    newer = LessonFile("smile", t.network, t.settings.to_dict(), t.seed, t.iteration, t.epoch, t.history,
                       title="newer")
    real_fdopen = os.fdopen
    written = []

    class FillingDisk:
        """A file that accepts 300 bytes, then fails like a full disk."""

        def __init__(self, f):
            self.f = f

        def write(self, data):
            if sum(written) + len(data) > 300:
                raise OSError(errno.ENOSPC, "No space left on device")
            written.append(len(data))
            return self.f.write(data)

        def __getattr__(self, name):
            return getattr(self.f, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

    monkeypatch.setattr(atomic.os, "fdopen", lambda fd, mode: FillingDisk(real_fdopen(fd, mode)))
    with pytest.raises(OSError) as e:
        save_lesson_file(path, newer)
    assert e.value.errno == errno.ENOSPC and sum(written) > 0  # it failed mid-write, not before
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["class.nnviz"]  # no temp file left behind
    assert load_lesson_file(path).title == "Smiles"
