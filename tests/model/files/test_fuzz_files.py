"""Fuzzing every file loader: whatever the bytes, the only exception is DataFormatError.

Loaders: model ``.npz`` (load_model), examples ``.npz`` (load_examples), lesson
``.nnviz`` (load_lesson_file), bundled dataset ``.npz`` (load_bundled with a path).
The IDX reader is fuzzed the same way in test_idx.py (test_fuzzed_files_only_ever_raise_our_error).

Each loader gets: every truncation of a valid file, random bytes, bit flips of the
compressed and of a stored (uncompressed) copy, flips aimed at the zip headers, and
mutations *inside* the archive re-zipped with valid CRCs (so they reach numpy's
header parser, the JSON metadata and the validation rather than stopping at a
CRC check): flipped/cut/swapped/dropped/added members and random JSON metadata
values. Hypothesis runs derandomized (same cases every run) and every case runs
under a 5-second alarm, so a hang fails instead of stalling the suite.
"""

import collections
import contextlib
import errno
import io
import json
import os
import signal
import struct
import warnings
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnviz.model.files import atomic
from nnviz.model.data.bundled import load_bundled
from nnviz.model.data.datasets import smile
from nnviz.model.errors import DataFormatError
from nnviz.model.data.examples import UserExamples, load_examples, save_examples
from nnviz.model.core.history import History
from nnviz.model.files.lessonfile import LessonFile, load_lesson_file, save_lesson_file
from nnviz.model.lessons import get_lesson
from nnviz.model.files.modelfile import SavedModel, load_model, save_model
from nnviz.model.core.network import Network

CASE_SECONDS = 5


class Hang(Exception):
    pass


@contextlib.contextmanager
def deadline(seconds=CASE_SECONDS):
    """Fail a case that runs longer than ``seconds`` (SIGALRM: Unix, main thread)."""
    def on_alarm(signum, frame):
        raise Hang(f"a loader ran for more than {seconds} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


# --- one small valid file per loader ------------------------------------------------------------

def _history():
    h = History()
    for i in range(1, 7):
        h.record_step(1.0 / i)
        if i % 2 == 0:
            h.record_health(i, np.array([0.5, np.nan]), np.array([0.1, 0.2]))
        if i % 3 == 0:
            h.record_eval(iteration=i, epoch=i / 6, train_loss=0.5, train_accuracy=0.8, test_loss=0.6,
                          test_accuracy=0.7, weight_quantiles=np.linspace(-1, 1, 14).reshape(2, 7))
    return h


def _model_file(path):
    return save_model(path, SavedModel(Network([6, 4, 3], seed=1), "digits", 6, 1, 3, {"learning_rate": 0.1},
                                       _history()))


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


# --- archive surgery --------------------------------------------------------------------------

def _members(blob):
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        return [(i.filename, z.read(i)) for i in z.infolist()]


def _rezip(members, method=zipfile.ZIP_DEFLATED):
    out = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w", method) as z:
        warnings.simplefilter("ignore")  # duplicate names are one of the mutations
        for name, data in members:
            z.writestr(name, data)
    return out.getvalue()


def _header_offsets(blob):
    """Byte offsets of the zip structures: local headers, central directory, end record."""
    offs = set()
    for sig, fixed, name_at in ((b"PK\x03\x04", 30, 26), (b"PK\x01\x02", 46, 28)):
        i = blob.find(sig)
        while i >= 0:
            n, m = struct.unpack_from("<HH", blob, i + name_at)
            offs.update(range(i, min(len(blob), i + fixed + n + m)))
            i = blob.find(sig, i + 1)
    end = blob.rfind(b"PK\x05\x06")
    offs.update(range(end, len(blob)))
    return sorted(offs)


def _flip(blob, positions, bits):
    b = bytearray(blob)
    for i, bit in zip(positions, bits):
        b[i % len(b)] ^= 1 << bit
    return bytes(b)


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                     lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=6), kids, max_size=4),
                     max_leaves=10)
KINDS = ("random", "random-zip-magic", "truncate", "flip", "flip-stored", "flip-header", "member-flip",
         "member-cut", "member-swap", "member-drop", "member-add", "meta-value", "append")


def _kinds(members):
    """The mutations that apply: metadata values only where there is metadata (not the bundled data)."""
    return tuple(k for k in KINDS if k != "meta-value" or "meta.npy" in dict(members))


def _mutant(data, base, stored, members):
    """(kind, bytes): one mutation of a valid file, drawn by Hypothesis."""
    kind = data.draw(st.sampled_from(_kinds(members)), label="kind")
    draw_bits = lambda n: data.draw(st.lists(st.integers(0, 7), min_size=n, max_size=n))  # noqa: E731
    if kind == "random":
        return kind, data.draw(st.binary(max_size=2000))
    if kind == "random-zip-magic":
        return kind, b"PK\x03\x04" + data.draw(st.binary(max_size=2000))
    if kind == "truncate":
        return kind, base[:data.draw(st.integers(0, len(base) - 1))]
    if kind == "append":
        return kind, base + data.draw(st.binary(min_size=1, max_size=100))
    if kind in ("flip", "flip-stored"):
        blob = base if kind == "flip" else stored
        pos = data.draw(st.lists(st.integers(0, len(blob) - 1), min_size=1, max_size=6))
        return kind, _flip(blob, pos, draw_bits(len(pos)))
    if kind == "flip-header":
        offs = _header_offsets(stored)
        pos = data.draw(st.lists(st.sampled_from(offs), min_size=1, max_size=3))
        return kind, _flip(stored, pos, draw_bits(len(pos)))
    ms = list(members)
    j = data.draw(st.integers(0, len(ms) - 1))
    name, content = ms[j]
    if kind == "member-flip":  # mostly the .npy header (first 128 bytes), sometimes the values
        top = min(len(content), 128) if data.draw(st.booleans()) else len(content)
        pos = data.draw(st.lists(st.integers(0, top - 1), min_size=1, max_size=4))
        ms[j] = (name, _flip(content, pos, draw_bits(len(pos))))
    elif kind == "member-cut":
        cut = data.draw(st.integers(0, len(content) + 16))
        ms[j] = (name, content[:cut] if cut <= len(content) else content + bytes(cut - len(content)))
    elif kind == "member-swap":
        ms[j] = (name, ms[data.draw(st.integers(0, len(ms) - 1))][1])
    elif kind == "member-drop":
        del ms[j]
    elif kind == "member-add":
        new = data.draw(st.sampled_from(["W9.npy", "history/x.npy", "junk.txt", "examples/x.npy", "meta.npy",
                                         "history/.npy", "b0.npy"]))
        ms.append((new, data.draw(st.sampled_from([content, b"", np.lib.format.MAGIC_PREFIX]))))
    else:  # meta-value: one metadata entry (or one architecture entry) becomes any JSON value
        meta = json.loads(_npy_payload(dict(ms)["meta.npy"]))
        target = meta["architecture"] if "architecture" in meta and data.draw(st.booleans()) else meta
        key = data.draw(st.sampled_from(sorted(target) + ["extra"]))
        target[key] = data.draw(_json)
        ms = [(n, _npy(json.dumps(meta).encode()) if n == "meta.npy" else c) for n, c in ms]
    return kind, _rezip(ms)


def _npy_payload(npy_bytes):
    return np.load(io.BytesIO(npy_bytes), allow_pickle=False).tobytes()


def _npy(payload):
    f = io.BytesIO()
    np.save(f, np.frombuffer(payload, np.uint8))
    return f.getvalue()


def _load_once(load, check, path, blob, counts, kind):
    path.write_bytes(blob)
    with deadline():
        try:
            result = load(path)
        except DataFormatError as e:
            assert path.name in str(e)
            counts[kind, "refused"] += 1
            return
    check(result)  # whatever loads passed the loader's own validation
    counts[kind, "loaded"] += 1


def _report(name, counts):
    total = sum(counts.values())
    by_kind = collections.Counter()
    for (kind, _), n in counts.items():
        by_kind[kind] += n
    loaded = sum(n for (_, outcome), n in counts.items() if outcome == "loaded")
    print(f"\n{name}: {total} cases, {total - loaded} refused with DataFormatError, {loaded} loaded valid; "
          + ", ".join(f"{k} {n}" for k, n in sorted(by_kind.items())))
    return total, by_kind


# --- the fuzz tests ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(LOADERS))
def test_every_truncation_is_refused(tmp_path, name):
    write, load, check = LOADERS[name]
    base = write(tmp_path / f"valid-{name}").read_bytes()
    check(load(tmp_path / f"valid-{name}"))
    counts = collections.Counter()
    target = tmp_path / f"cut-{name}"
    for cut in range(len(base)):  # every offset: inside each header, each member, the directory
        _load_once(load, check, target, base[:cut], counts, "truncate")
    total, _ = _report(f"{name} truncations", counts)
    assert total == len(base) and counts["truncate", "loaded"] == 0


FUZZ_EXAMPLES = 700


@pytest.mark.parametrize("name", list(LOADERS))
def test_fuzzed_files_only_ever_raise_our_error(tmp_path, name):
    write, load, check = LOADERS[name]
    base = write(tmp_path / f"valid-{name}").read_bytes()
    members = _members(base)
    stored = _rezip(members, zipfile.ZIP_STORED)
    target = tmp_path / f"fuzz-{name}"
    counts = collections.Counter()

    @settings(max_examples=FUZZ_EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=st.data())
    def run(data):
        kind, blob = _mutant(data, base, stored, members)
        _load_once(load, check, target, blob, counts, kind)

    run()
    total, by_kind = _report(f"{name} fuzz", counts)
    assert total >= FUZZ_EXAMPLES and set(by_kind) == set(_kinds(members))


# --- targeted hostile files -------------------------------------------------------------------

def _patch_sizes(blob, size):
    """Set every declared uncompressed size (local headers + central directory) to ``size``."""
    b = bytearray(blob)
    for sig, at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        i = b.find(sig)
        while i >= 0:
            struct.pack_into("<I", b, i + at, size)
            i = b.find(sig, i + 1)
    return bytes(b)


@pytest.mark.parametrize("name", list(LOADERS))
def test_hostile_sizes_are_not_believed(tmp_path, name):
    write, load, _ = LOADERS[name]
    members = _members(write(tmp_path / "valid").read_bytes())
    p = tmp_path / "hostile"
    # an array header declaring 8 TB of float64: refused before any allocation
    f = io.BytesIO()
    np.lib.format.write_array_header_1_0(f, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)})
    victim = next(n for n, _ in members if n != "meta.npy")
    p.write_bytes(_rezip([(n, f.getvalue() + bytes(64) if n == victim else c) for n, c in members]))
    with deadline(), pytest.raises(DataFormatError, match="hostile"):
        load(p)
    # a zip bomb: 50 MB of zeros declared as 100 bytes is never inflated past 101 bytes
    bomb = _rezip([("meta.npy", bytes(50_000_000))])
    p.write_bytes(_patch_sizes(bomb, 100))
    with deadline(), pytest.raises(DataFormatError, match="hostile"):
        load(p)
    # and declared as 4 GB: refused from the directory alone
    p.write_bytes(_patch_sizes(_rezip(members), 0xFFFFFFF0))
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
