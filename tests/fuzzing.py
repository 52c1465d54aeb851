"""What the fuzz tests share: where to cut a file, how to mutate an archive, how to run one case.

Truncation sweeps cut a valid file at every structural boundary of its format (zip headers,
entries and directory; the safetensors length field, JSON tokens and each tensor's start and
end; every protobuf field's tag, length and end, nested messages included) and the byte either
side, plus a seeded random sample of the other offsets. ``NNVIZ_THOROUGH=1`` cuts at every byte
instead (and the Hypothesis profile ``thorough``, registered in ``tests/conftest.py``, runs ten
times the examples): the sweep that found the readers' bugs, one flag away.

Every case runs under a 5-second alarm, so a hang fails instead of stalling the suite.
"""

from __future__ import annotations

import collections
import contextlib
import io
import json
import os
import random
import re
import signal
import struct
import warnings
import zipfile

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from nnviz.model.core.history import History
from nnviz.model.errors import DataFormatError

#: every offset of every file, the stress test's full command count, the thorough Hypothesis profile
THOROUGH = os.environ.get("NNVIZ_THOROUGH", "") not in ("", "0")
#: offsets cut besides the structural ones, per file (seeded: the same ones every run)
SAMPLED_CUTS = 150
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


def refused_in_one_line(load, path, blob: bytes) -> str:
    """Write ``blob`` to ``path``; ``load(path)`` must refuse it with one line naming the file, in time."""
    import pytest

    path.write_bytes(blob)
    with deadline(), pytest.raises(DataFormatError) as e:
        load(path)
    assert path.name in str(e.value) and "\n" not in str(e.value)
    return str(e.value)


# --- where to cut ---------------------------------------------------------------------------

def cut_points(blob: bytes, boundaries, sample: int = SAMPLED_CUTS, seed: int = 0) -> list[int]:
    """Sorted offsets in [0, len(blob)) to truncate ``blob`` at: each boundary and the byte either
    side of it, plus ``sample`` other offsets drawn with ``seed``; every offset when THOROUGH."""
    n = len(blob)
    if THOROUGH:
        return list(range(n))
    cuts = {c for b in boundaries for c in (b - 1, b, b + 1) if 0 <= c < n}
    rest = sorted(set(range(n)) - cuts)
    cuts.update(random.Random(seed).sample(rest, min(sample, len(rest))))
    return sorted(cuts)


def zip_boundaries(blob: bytes) -> set[int]:
    """Offsets where a zip's structures start and end: each local header, its name and extra
    fields, its data; each central directory entry; the end record and each of its fields."""
    out = {0, len(blob)}
    i = blob.find(b"PK\x03\x04")
    while i >= 0 and i + 30 <= len(blob):
        size, n, m = struct.unpack_from("<I", blob, i + 18)[0], *struct.unpack_from("<HH", blob, i + 26)
        data = i + 30 + n + m
        out.update({i, i + 4, i + 14, i + 18, i + 26, i + 30, i + 30 + n, data, data + size})
        i = blob.find(b"PK\x03\x04", i + 1)
    j = blob.find(b"PK\x01\x02")
    while j >= 0 and j + 46 <= len(blob):
        n, m, k = struct.unpack_from("<HHH", blob, j + 28)
        out.update({j, j + 20, j + 42, j + 46, j + 46 + n, j + 46 + n + m + k})
        j = blob.find(b"PK\x01\x02", j + 1)
    end = blob.rfind(b"PK\x05\x06")
    if end >= 0:
        out.update(range(end, min(end + 22, len(blob)) + 1, 2))
    return out


def safetensors_boundaries(blob: bytes) -> set[int]:
    """Each byte of the length field, each JSON token of the header, each tensor's start and end."""
    out = set(range(9))
    n = struct.unpack_from("<Q", blob)[0]
    header = blob[8:8 + n]
    out.update(8 + i for i, c in enumerate(header) if chr(c) in '{}[]:,"')
    out.add(8 + n)
    for name, entry in json.loads(header).items():
        if name != "__metadata__":
            out.update(8 + n + off for off in entry["data_offsets"])
    return out


def pickle_spans(blob: bytes, start: int = 0) -> list[tuple[int, int, list[int]]]:
    """(start, end, opcode offsets) of each pickle in a sequence of them from ``start``, until one fails."""
    import pickletools

    out, pos = [], start
    while pos < len(blob) and blob[pos:pos + 1] == b"\x80":
        f = io.BytesIO(blob)
        f.seek(pos)
        try:
            ops = [p for _, _, p in pickletools.genops(f)]
        except ValueError:
            break
        out.append((pos, f.tell(), ops))
        pos = f.tell()
    return out


def legacy_boundaries(blob: bytes) -> set[int]:
    """PyTorch's legacy format: every opcode of its five pickles, then each storage's count and data."""
    spans = pickle_spans(blob)
    out = {0, len(blob)} | {p for s, e, ops in spans for p in ops + [e]}
    pos = spans[-1][1] if spans else 0
    while pos + 8 <= len(blob):
        out.update({pos, pos + 4, pos + 8})
        (n,) = struct.unpack_from("<q", blob, pos)
        size = 4 if n * 4 <= len(blob) - pos - 8 else 0  # the fixtures hold float32 storages
        if n < 0 or not size:
            break
        pos += 8 + n * size
        out.add(pos)
    return out


def _varint(blob: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if i >= len(blob) or shift > 63:
            raise ValueError("varint")
        b = blob[i]
        value |= (b & 0x7F) << shift
        i, shift = i + 1, shift + 7
        if not b & 0x80:
            return value, i


def protobuf_boundaries(blob: bytes, start: int = 0, end: int | None = None, depth: int = 4) -> set[int]:
    """Each field's start, the end of its tag and length, and its end, in a protobuf message and
    (up to ``depth``) in every length-delimited field that parses as a message itself."""
    end = len(blob) if end is None else end
    out, i = set(), start
    try:
        while i < end:
            out.add(i)
            tag, j = _varint(blob, i)
            wire = tag & 7
            if wire == 0:
                _, k = _varint(blob, j)
            elif wire == 1:
                k = j + 8
            elif wire == 5:
                k = j + 4
            elif wire == 2:
                length, body = _varint(blob, j)
                k = body + length
                if k > end:
                    raise ValueError("length")
                out.update({j, body})
                if depth and length:
                    out |= protobuf_boundaries(blob, body, k, depth - 1)
            else:
                raise ValueError("wire type")
            out.add(k)
            i = k
    except ValueError:
        return set() if depth < 4 else out  # a nested blob that is no message adds nothing
    return out


# --- archive surgery --------------------------------------------------------------------------

def members(blob):
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        return [(i.filename, z.read(i)) for i in z.infolist()]


def rezip(entries, method=zipfile.ZIP_DEFLATED):
    out = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w", method) as z:
        warnings.simplefilter("ignore")  # duplicate names are one of the mutations
        for name, data in entries:
            z.writestr(name, data)
    return out.getvalue()


def header_offsets(blob):
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


def patch_sizes(blob, size):
    """Set every declared uncompressed size (local headers + central directory) to ``size``."""
    b = bytearray(blob)
    for sig, at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        i = b.find(sig)
        while i >= 0:
            struct.pack_into("<I", b, i + at, size)
            i = b.find(sig, i + 1)
    return bytes(b)


def flip(blob, positions, bits):
    b = bytearray(blob)
    for i, bit in zip(positions, bits):
        b[i % len(b)] ^= 1 << bit
    return bytes(b)


any_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                        lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=6), kids,
                                                                                    max_size=4),
                        max_leaves=10)
KINDS = ("random", "random-zip-magic", "truncate", "flip", "flip-stored", "flip-header", "member-flip",
         "member-cut", "member-swap", "member-drop", "member-add", "meta-value", "append")


def kinds(entries):
    """The mutations that apply: metadata values only where there is metadata (not the bundled data)."""
    return tuple(k for k in KINDS if k != "meta-value" or "meta.npy" in dict(entries))


def npy_payload(npy_bytes):
    return np.load(io.BytesIO(npy_bytes), allow_pickle=False).tobytes()


def npy(payload):
    f = io.BytesIO()
    np.save(f, np.frombuffer(payload, np.uint8))
    return f.getvalue()


def mutant(data, kind, base, stored, entries):
    """``base`` (a valid zip archive) mutated in the way ``kind`` names, the details drawn by
    Hypothesis; ``stored`` is the same archive uncompressed, ``entries`` its (name, bytes) members."""
    draw_bits = lambda n: data.draw(st.lists(st.integers(0, 7), min_size=n, max_size=n))  # noqa: E731
    if kind == "random":
        return data.draw(st.binary(max_size=2000))
    if kind == "random-zip-magic":
        return b"PK\x03\x04" + data.draw(st.binary(max_size=2000))
    if kind == "truncate":
        return base[:data.draw(st.integers(0, len(base) - 1))]
    if kind == "append":
        return base + data.draw(st.binary(min_size=1, max_size=100))
    if kind in ("flip", "flip-stored"):
        blob = base if kind == "flip" else stored
        pos = data.draw(st.lists(st.integers(0, len(blob) - 1), min_size=1, max_size=6))
        return flip(blob, pos, draw_bits(len(pos)))
    if kind == "flip-header":
        pos = data.draw(st.lists(st.sampled_from(header_offsets(stored)), min_size=1, max_size=3))
        return flip(stored, pos, draw_bits(len(pos)))
    ms = list(entries)
    j = data.draw(st.integers(0, len(ms) - 1))
    name, content = ms[j]
    if kind == "member-flip":  # mostly the .npy header (first 128 bytes), sometimes the values
        top = min(len(content), 128) if data.draw(st.booleans()) else len(content)
        pos = data.draw(st.lists(st.integers(0, top - 1), min_size=1, max_size=4))
        ms[j] = (name, flip(content, pos, draw_bits(len(pos))))
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
        meta = json.loads(npy_payload(dict(ms)["meta.npy"]))
        target = meta["architecture"] if "architecture" in meta and data.draw(st.booleans()) else meta
        key = data.draw(st.sampled_from(sorted(target) + ["extra"]))
        target[key] = data.draw(any_json)
        ms = [(n, npy(json.dumps(meta).encode()) if n == "meta.npy" else c) for n, c in ms]
    return rezip(ms)


def fuzz_each_kind(kinds_, case, per_kind: int | None = None):
    """Run ``case(data, kind)`` under Hypothesis for each kind of mutation in turn, the profile's
    max_examples shared among them (rounded up, at least 10 each; ``per_kind`` instead, for cases that
    each start a process): every kind is tried, whatever order a Hypothesis release draws in."""
    per_kind = per_kind or max(10, -(-settings().max_examples // len(kinds_)))
    for kind in kinds_:
        @settings(max_examples=per_kind)
        @given(data=st.data())
        def run(data):
            case(data, kind)  # noqa: B023 - run() is called right here, within this iteration

        run()


# --- one case, and the tally ------------------------------------------------------------------

#: a refusal naming one of these was a crash that a reader's last-resort handler turned into a
#: message: a missing check (a list index, a key, a type assumed), not a refusal by design
CAUGHT_CRASH = re.compile(r"\((IndexError|KeyError|TypeError|AttributeError|ZeroDivisionError): ")


def load_once(load, check, path, blob, counts, kind):
    """Write ``blob`` to ``path`` and load it: refused with DataFormatError naming the file (by a
    check, not by a last-resort handler), or loaded and passing ``check``; anything else (another
    exception, a hang) fails the test."""
    path.write_bytes(blob)
    with deadline():
        try:
            result = load(path)
        except DataFormatError as e:
            assert path.name in str(e)
            assert not CAUGHT_CRASH.search(str(e)), f"{kind}: a crash caught, not a check: {e}"
            counts[kind, "refused"] += 1
            return
    check(result)  # whatever loads passed the loader's own validation
    counts[kind, "loaded"] += 1


def sweep_truncations(load, check, path, base, boundaries, counts):
    """Every cut of ``base`` that :func:`cut_points` chooses, through :func:`load_once`; returns
    how many cuts ran."""
    cuts = cut_points(base, boundaries)
    for cut in cuts:
        load_once(load, check, path, base[:cut], counts, "truncate")
    return len(cuts)


def report(name, counts):
    total = sum(counts.values())
    by_kind = collections.Counter()
    for (kind, _), n in counts.items():
        by_kind[kind] += n
    loaded = sum(n for (_, outcome), n in counts.items() if outcome == "loaded")
    print(f"\n{name}: {total} cases, {total - loaded} refused with DataFormatError, {loaded} loaded valid; "
          + ", ".join(f"{k} {n}" for k, n in sorted(by_kind.items())))
    return total, by_kind


def every_kind_ran(by_kind, kinds_) -> bool:
    """Each mutation kind was tried. Not a count: Hypothesis runs a kind for its share of the
    profile's max_examples or until it has drawn every distinct case (dropping one of three members
    has three), so a random (thorough) run can end a kind early, and 1,000 is a ceiling."""
    return set(by_kind) == set(kinds_) and all(by_kind[k] > 0 for k in kinds_)


def small_history():
    """A History with steps, health records and evaluations: what a saved file carries."""
    h = History()
    for i in range(1, 7):
        h.record_step(1.0 / i)
        if i % 2 == 0:
            h.record_health(i, np.array([0.5, np.nan]), np.array([0.1, 0.2]))
        if i % 3 == 0:
            h.record_eval(iteration=i, epoch=i / 6, train_loss=0.5, train_accuracy=0.8, test_loss=0.6,
                          test_accuracy=0.7, weight_quantiles=np.linspace(-1, 1, 14).reshape(2, 7))
    return h
