"""Fuzzing the foreign readers (PyTorch zip, safetensors, ONNX) as test_fuzz_files.py fuzzes nnviz's
own: truncations at every structural boundary of each format and a sample of other offsets (every
offset with NNVIZ_THOROUGH=1; tests/fuzzing.py), random bytes, bit flips (anywhere and aimed at the headers), mutations inside
the structure (zip members re-zipped with valid CRCs, safetensors header values, ONNX protobuf
fields), absurd declared shapes, offsets and lengths. Whatever the bytes, the only exception is
DataFormatError with one line naming the file; nothing hangs (5 s alarm per case) and nothing is
allocated from a declared size before it is checked (tracemalloc peaks stay small)."""

import collections
import json
import struct
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import strategies as st

from nnviz.model.errors import DataFormatError
from nnviz.model.files.foreign import load_foreign
from tests.fuzzing import (refused_in_one_line, every_kind_ran, any_json, flip, fuzz_each_kind, kinds, legacy_boundaries, load_once,
                           members, mutant, patch_sizes, pickle_spans, protobuf_boundaries, report, rezip,
                           safetensors_boundaries, sweep_truncations, zip_boundaries)

from .torchlike import dumps, legacy_file, legacy_tensor, ordered, tensor, torch_zip

FIXTURES = Path(__file__).parents[3] / "fixtures" / "foreign"
CNN_SPEC = json.loads((FIXTURES / "cnn_spec.json").read_text())
PEAK_BYTES = 24 << 20  # the fixtures are < 100 KB: a hostile size believed would show far above this


def _load(p):
    return load_foreign(p, activation="relu", spec=None if p.suffix == ".onnx" else CNN_SPEC)


def _check(saved):
    net = saved.network
    assert all(np.isfinite(w).all() and w.dtype == np.float32 for w in net.weights)
    assert [w.shape for w in net.weights] == [(8, 1, 3, 3), (10, 128)]


def _once(path, blob, counts, kind):
    load_once(_load, _check, path, blob, counts, kind)


def _one_line(path, blob):
    return refused_in_one_line(_load, path, blob)


# --- every truncation ------------------------------------------------------------------------

BOUNDARIES = {".pt": zip_boundaries, ".safetensors": safetensors_boundaries, ".onnx": protobuf_boundaries}


@pytest.mark.parametrize("name", ["cnn.pt", "cnn_legacy.pt", "cnn.safetensors", "cnn_bf16.safetensors", "cnn.onnx"])
def test_every_truncation_is_refused(tmp_path, name):
    if name.endswith(".onnx"):
        pytest.importorskip("onnx")
    base = (FIXTURES / name).read_bytes()
    _check(_load(FIXTURES / name))
    counts = collections.Counter()
    suffix = Path(name).suffix
    where = legacy_boundaries(base) if "legacy" in name else BOUNDARIES[suffix](base)
    cuts = sweep_truncations(_load, _check, tmp_path / f"cut{suffix}", base, where, counts)
    total, _ = report(f"{name} truncations", counts)
    assert total == cuts and counts["truncate", "loaded"] == 0


# --- Hypothesis mutations ----------------------------------------------------------------------

def test_fuzzed_pytorch_zips_only_ever_raise_our_error(tmp_path):
    base = (FIXTURES / "cnn.pt").read_bytes()
    entries = members(base)
    stored = rezip(entries, zipfile.ZIP_STORED)
    counts = collections.Counter()
    fuzz_each_kind(kinds(entries), lambda data, kind: _once(tmp_path / "fuzz.pt",
                                                            mutant(data, kind, base, stored, entries), counts, kind))
    total, by_kind = report("PyTorch zip fuzz", counts)
    assert every_kind_ran(by_kind, kinds(entries))


LEGACY_KINDS = ("random", "random-magic", "truncate", "flip", "flip-pickles", "flip-storages", "opcode", "count",
                "splice", "append")


def _legacy_mutant(data, kind, base):
    """The legacy format (five pickles, then int64 counts and storages) mutated as ``kind`` names."""
    spans = pickle_spans(base)
    end = spans[-1][1]
    if kind == "random":
        return data.draw(st.binary(max_size=2000))
    if kind == "random-magic":  # past the first check: the real header, then anything
        return base[:spans[2][1]] + data.draw(st.binary(max_size=2000))
    if kind == "truncate":
        return base[:data.draw(st.integers(0, len(base) - 1))]
    if kind == "append":
        return base + data.draw(st.binary(min_size=1, max_size=100))
    if kind in ("flip", "flip-pickles", "flip-storages"):
        lo, hi = {"flip": (0, len(base)), "flip-pickles": (0, end), "flip-storages": (end, len(base))}[kind]
        pos = data.draw(st.lists(st.integers(lo, hi - 1), min_size=1, max_size=6))
        return flip(base, pos, data.draw(st.lists(st.integers(0, 7), min_size=len(pos), max_size=len(pos))))
    if kind == "opcode":  # one opcode byte of one pickle becomes another opcode
        ops = [p for _, _, o in spans for p in o]
        b = bytearray(base)
        b[data.draw(st.sampled_from(ops))] = data.draw(st.sampled_from(list(b"().0NQRXbcehiKJMqstu}]\x80\x81\x85\x86\x8a\x93\x94\x95")))
        return bytes(b)
    if kind == "count":  # a storage's int64 count becomes a hostile one
        b, pos, heads = bytearray(base), end, []
        while pos + 8 <= len(base):
            heads.append(pos)
            pos += 8 + struct.unpack_from("<q", base, pos)[0] * 4
        struct.pack_into("<q", b, data.draw(st.sampled_from(heads)),
                         data.draw(st.one_of(st.integers(-2**63, 2**63 - 1), st.integers(-2, 300))))
        return bytes(b)
    # splice: one of the five pickles replaced by another pickled value
    i = data.draw(st.integers(0, len(spans) - 1))
    import pickle

    other = pickle.dumps(data.draw(any_json), protocol=data.draw(st.sampled_from([2, 4])))
    return base[:spans[i][0]] + other + base[spans[i][1]:]


def test_fuzzed_legacy_pytorch_files_only_ever_raise_our_error(tmp_path):
    base = (FIXTURES / "cnn_legacy.pt").read_bytes()
    counts = collections.Counter()
    fuzz_each_kind(LEGACY_KINDS, lambda data, kind: _once(tmp_path / "fuzz.pt", _legacy_mutant(data, kind, base),
                                                          counts, kind))
    total, by_kind = report("PyTorch legacy fuzz", counts)
    assert every_kind_ran(by_kind, LEGACY_KINDS)


#: header-entry replaces a whole entry; the others one field of one entry (each kind gets its own
#: share of the examples, so every field meets lists, numbers and strings)
ST_FIELDS = {"header-dtype": "dtype", "header-shape": "shape", "header-offsets": "data_offsets",
             "header-extra": "extra"}
ST_KINDS = ("random", "truncate", "flip", "flip-header", "header-length", "header-entry", *ST_FIELDS, "append")


def _safetensors_mutant(data, kind, base):
    n = struct.unpack_from("<Q", base)[0]
    if kind == "random":
        return data.draw(st.binary(max_size=2000))
    if kind == "truncate":
        return base[:data.draw(st.integers(0, len(base) - 1))]
    if kind == "append":
        return base + data.draw(st.binary(min_size=1, max_size=100))
    if kind in ("flip", "flip-header"):
        top = len(base) if kind == "flip" else 8 + n
        pos = data.draw(st.lists(st.integers(0, top - 1), min_size=1, max_size=6))
        return flip(base, pos, data.draw(st.lists(st.integers(0, 7), min_size=len(pos), max_size=len(pos))))
    if kind == "header-length":
        value = data.draw(st.one_of(st.integers(0, 2**64 - 1), st.integers(n - 16, n + 16).filter(lambda v: v >= 0)))
        return struct.pack("<Q", value) + base[8:]
    header = json.loads(base[8:8 + n])
    if kind == "header-entry":
        header[data.draw(st.sampled_from(sorted(header)))] = data.draw(any_json)
    else:
        name = data.draw(st.sampled_from(sorted(set(header) - {"__metadata__"})))
        header[name][ST_FIELDS[kind]] = data.draw(st.one_of(
            any_json, st.lists(st.integers(-2, 2**62), max_size=4), st.sampled_from(["F16", "BF16", "I64", "F8", "U64"])))
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + base[8 + n:]


@pytest.mark.parametrize("name", ["cnn.safetensors", "cnn_bf16.safetensors"])
def test_fuzzed_safetensors_only_ever_raise_our_error(tmp_path, name):
    base = (FIXTURES / name).read_bytes()
    counts = collections.Counter()
    fuzz_each_kind(ST_KINDS, lambda data, kind: _once(tmp_path / "fuzz.safetensors",
                                                      _safetensors_mutant(data, kind, base), counts, kind))
    total, by_kind = report(f"{name} fuzz", counts)
    assert every_kind_ran(by_kind, ST_KINDS)


ONNX_KINDS = ("random", "truncate", "flip", "append", "dims", "raw", "op", "attr", "location", "dtype", "io")


def _onnx_mutant(data, kind, base, onnx):
    if kind == "random":
        return data.draw(st.binary(max_size=2000))
    if kind == "truncate":
        return base[:data.draw(st.integers(0, len(base) - 1))]
    if kind == "append":
        return base + data.draw(st.binary(min_size=1, max_size=100))
    if kind == "flip":
        pos = data.draw(st.lists(st.integers(0, len(base) - 1), min_size=1, max_size=6))
        return flip(base, pos, data.draw(st.lists(st.integers(0, 7), min_size=len(pos), max_size=len(pos))))
    m = onnx.load_from_string(base)
    g = m.graph
    t = g.initializer[data.draw(st.integers(0, len(g.initializer) - 1))]
    node = g.node[data.draw(st.integers(0, len(g.node) - 1))]
    if kind == "dims":
        t.ClearField("dims")
        t.dims.extend(data.draw(st.lists(st.integers(-5, 2**62), max_size=5)))
    elif kind == "raw":
        t.raw_data = t.raw_data[:data.draw(st.integers(0, len(t.raw_data)))]
    elif kind == "op":
        node.op_type = data.draw(st.sampled_from(["Gemm", "Conv", "Relu", "MaxPool", "Add", "MatMul", "Softmax",
                                                  "Flatten", "Reshape", "Identity", "Constant", "Loop", "If", ""]))
    elif kind == "attr":
        if node.attribute:
            a = node.attribute[data.draw(st.integers(0, len(node.attribute) - 1))]
            if a.ints:
                a.ints[0] = data.draw(st.integers(-3, 2**40))
            else:
                a.i = data.draw(st.integers(-3, 2**40))
    elif kind == "location":
        t.data_location = 1
        e = t.external_data.add()
        e.key, e.value = "location", data.draw(st.sampled_from(["../../etc/passwd", "/etc/shadow", "w.bin"]))
    elif kind == "dtype":
        t.data_type = data.draw(st.integers(0, 25))
    else:  # io: rewire a node's input
        if node.input:
            node.input[0] = data.draw(st.sampled_from([n.output[0] for n in g.node] + ["x", "nowhere"]))
    return m.SerializeToString()


def test_fuzzed_onnx_only_ever_raises_our_error(tmp_path):
    onnx = pytest.importorskip("onnx")
    base = (FIXTURES / "cnn.onnx").read_bytes()
    counts = collections.Counter()
    fuzz_each_kind(ONNX_KINDS, lambda data, kind: _once(tmp_path / "fuzz.onnx", _onnx_mutant(data, kind, base, onnx),
                                                        counts, kind))
    total, by_kind = report("ONNX fuzz", counts)
    assert every_kind_ran(by_kind, ONNX_KINDS)


# --- targeted hostile files ----------------------------------------------------------------------

W = np.zeros(12, np.float32).tobytes()
HOSTILE_TENSORS = {
    "shape past storage": (tensor("0", (10**6, 10**6), numel=3), "declares storage '0' of 3 numbers"),
    "numel huge": (tensor("0", (3, 4), numel=10**15), "declares storage '0' of 1,000,000,000,000,000 numbers"),
    "stride past storage": (tensor("0", (3, 4), stride=(10**12, 1)), "reaches past its storage"),
    "offset past storage": (tensor("0", (3, 4), offset=2**62), "reaches past its storage"),
    "negative stride": (tensor("0", (3, 4), stride=(-4, 1)), "invalid shape, strides or offset"),
    "too many dims": (tensor("0", (1,) * 12, numel=12), "invalid shape, strides or offset"),
    "missing storage": (tensor("9", (3, 4)), "not in the archive"),
}


@pytest.mark.parametrize("case", list(HOSTILE_TENSORS))
def test_hostile_tensor_declarations_are_not_believed(tmp_path, small_peak, case):
    t, words = HOSTILE_TENSORS[case]
    msg = _one_line(tmp_path / "h.pt", torch_zip(dumps(ordered({"0.weight": t})), {"0": W}))
    assert words in msg


HOSTILE_LEGACY = {
    "count huge": ({"0": (10**15, W)}, "stores 1,000,000,000,000,000 numbers for storage '0', which declares 3"),
    "count negative": ({"0": (-1, W)}, "stores -1 numbers"),
    "declared huge": ({"0": (3, W[:12])}, "reaches past its storage"),
}


@pytest.mark.parametrize("case", list(HOSTILE_LEGACY))
def test_hostile_legacy_sizes_are_not_believed(tmp_path, small_peak, case):
    storages, words = HOSTILE_LEGACY[case]
    t = legacy_tensor("0", (10**6, 10**6), numel=3) if case == "declared huge" else legacy_tensor("0", (3,))
    msg = _one_line(tmp_path / "h.pt", legacy_file(dumps(ordered({"0.weight": t})), storages))
    assert words in msg


def test_hostile_zip_sizes_are_not_believed(tmp_path):
    entries = members((FIXTURES / "cnn.pt").read_bytes())
    # a zip bomb: 50 MB of zeros declared as 100 bytes is never inflated past 101 bytes
    bomb = patch_sizes(rezip([("cnn/data.pkl", bytes(50_000_000))] + entries[1:]), 100)
    big = patch_sizes(rezip(entries), 0xFFFFFFF0)
    tracemalloc.start()
    try:
        assert "damaged" in _one_line(tmp_path / "h.pt", bomb)
        assert "declares more than" in _one_line(tmp_path / "h.pt", big)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < PEAK_BYTES, f"{peak:,} bytes allocated"


def test_hostile_pickle_lengths_are_not_believed(tmp_path, small_peak):
    # a pickle declaring a 4 GB string: pickletools sees there are not that many bytes
    blob = torch_zip(b"\x80\x02X" + struct.pack("<I", 0xFFFFFFF0) + b"abc.", {})
    assert "damaged pickle" in _one_line(tmp_path / "h.pt", blob)
    blob = torch_zip(b"\x80\x04\x8e" + struct.pack("<Q", 2**62) + b"abc.", {})
    assert "damaged pickle" in _one_line(tmp_path / "h.pt", blob)


def _st(header, data=b""):
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


HOSTILE_ST = {
    "header length past the file": (struct.pack("<Q", 2**63) + b"{}", "declares a 9,223,372,036,854,775,808-byte header"),
    "header length just past": (struct.pack("<Q", 3) + b"{}", "header"),
    "shape of a trillion": (_st({"0.weight": {"dtype": "F32", "shape": [10**12], "data_offsets": [0, 16]}}, bytes(16)),
                            "in 16 bytes"),
    "offsets past the file": (_st({"0.weight": {"dtype": "F32", "shape": [4], "data_offsets": [0, 2**40]}}, bytes(16)),
                              "outside the file"),
    "reversed offsets": (_st({"0.weight": {"dtype": "F32", "shape": [0], "data_offsets": [16, 0]}}, bytes(16)),
                         "outside the file"),
    "overlapping": (_st({"0.weight": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
                         "0.bias": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, bytes(16)), "damaged"),
    "unknown dtype": (_st({"0.weight": {"dtype": "F8_E4M3", "shape": [4], "data_offsets": [0, 4]}}, bytes(4)),
                      "a type nnviz does not read"),
    "many dims": (_st({"a.weight": {"dtype": "F32", "shape": [1] * 20, "data_offsets": [0, 4]}}, bytes(4)),
                  "invalid shape"),
}


@pytest.mark.parametrize("case", list(HOSTILE_ST))
def test_hostile_safetensors_headers_are_not_believed(tmp_path, small_peak, case):
    blob, words = HOSTILE_ST[case]
    assert words in _one_line(tmp_path / "h.safetensors", blob)


def test_hostile_onnx_files_are_refused(tmp_path, small_peak):
    onnx = pytest.importorskip("onnx")
    base = onnx.load(FIXTURES / "cnn.onnx")

    def variant(change):
        m = onnx.ModelProto()
        m.CopyFrom(base)
        change(m.graph)
        return m.SerializeToString()

    def huge(g):
        g.initializer[0].ClearField("dims")
        g.initializer[0].dims.extend([10**6, 10**6])

    def external(g):
        t = g.initializer[0]
        t.ClearField("raw_data")
        t.data_location = 1
        e = t.external_data.add()
        e.key, e.value = "location", "../../../etc/passwd"

    def unknown_op(g):
        g.node[1].op_type = "Selu"

    def branch(g):
        g.node[2].input[0] = "x"

    assert "far more than nnviz opens" in _one_line(tmp_path / "h.onnx", variant(huge))
    assert "external file ('../../../etc/passwd')" in _one_line(tmp_path / "h.onnx", variant(external))
    assert "uses the operator Selu" in _one_line(tmp_path / "h.onnx", variant(unknown_op))
    assert "branches" in _one_line(tmp_path / "h.onnx", variant(branch))


def test_a_missing_onnx_package_is_a_clear_message(tmp_path, monkeypatch):
    import builtins

    real = builtins.__import__

    def no_onnx(name, *a, **k):
        if name == "onnx" or name.startswith("onnx."):
            raise ImportError("No module named 'onnx'")
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_onnx)
    with pytest.raises(DataFormatError, match=r"cnn.onnx: .*needs the onnx package: pip install 'nnviz\[onnx\]'"):
        load_foreign(FIXTURES / "cnn.onnx")


@pytest.mark.parametrize("suffix", [".pt", ".safetensors", ".onnx"])
def test_folders_empty_and_other_files_are_our_error(tmp_path, suffix):
    if suffix == ".onnx":
        pytest.importorskip("onnx")
    (tmp_path / f"dir{suffix}").mkdir()
    for blob in (b"", b"hello", (FIXTURES / "mlp.pt").read_bytes()[:100], b"PK\x05\x06" + bytes(18)):
        _one_line(tmp_path / f"x{suffix}", blob)
    with pytest.raises(DataFormatError, match="is a folder"):
        load_foreign(tmp_path / f"dir{suffix}")
    with pytest.raises(DataFormatError, match="cannot be read"):
        load_foreign(tmp_path / f"missing{suffix}")
