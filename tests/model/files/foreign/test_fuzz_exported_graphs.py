"""Fuzzing what the readers of files as people publish them read (test_fuzz_foreign.py fuzzes the
first fixtures): the ONNX graphs exporters write (constant subgraphs folded, opsets 1-6, auto_pad,
bias Adds, a leading Transpose or normalisation, BatchNormalization in Unsqueeze/Squeeze, GELU and
SiLU runs identified by evaluating them) and PyTorch state_dicts with BatchNorm statistics.
Truncations at a sample of each file's protobuf or zip boundaries (every one with NNVIZ_THOROUGH=1),
Hypothesis mutations of the graph (node attributes of every kind, opsets, constants, declared shapes,
nodes dropped or reordered), hostile sizes the folding must not believe. Whatever the bytes, the
only exception is DataFormatError with one line naming the file, or the file loads valid."""

import collections
import random
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import strategies as st

from nnviz.model.files.foreign import load_foreign
from tests.fuzzing import (refused_in_one_line, THOROUGH, cut_points, every_kind_ran, fuzz_each_kind, kinds, load_once, members,
                           mutant, protobuf_boundaries, report, rezip, zip_boundaries)

from .test_fuzz_foreign import ONNX_KINDS, _onnx_mutant
from .torchlike import dumps, ordered, tensor, torch_zip

onnx = pytest.importorskip("onnx")

FIXTURES = Path(__file__).parents[3] / "fixtures" / "foreign"
GRAPHS = ["zoo_mnist_opset1.onnx", "nhwc.onnx", "batchless.onnx", "exported.onnx", "exported_dynamo.onnx",
          "exported_bn1d_unsqueeze.onnx"]
#: truncations per file besides THOROUGH's every byte: a seeded sample of the boundary cuts (a
#: thousand or more per file, each a few ms: all of them would cost the suite half a minute)
CUTS = 80
PEAK_BYTES = 24 << 20


def _load(path):
    return load_foreign(path, activation="relu")


def _check(saved):
    net = saved.network
    assert all(np.isfinite(w).all() and w.dtype == np.float32 for w in net.weights)
    assert all(np.isfinite(b).all() for b in net.biases if b is not None)
    assert net.sizes[-1] == 10 if hasattr(net, "sizes") else True


def _one_line(path, blob):
    return refused_in_one_line(_load, path, blob)


def _sweep(tmp_path, name, boundaries):
    base = (FIXTURES / name).read_bytes()
    _check(_load(FIXTURES / name))
    cuts = cut_points(base, boundaries(base), sample=CUTS // 4)
    if not THOROUGH:
        cuts = sorted(random.Random(name).sample(cuts, min(CUTS, len(cuts))))
    counts = collections.Counter()
    for cut in cuts:
        load_once(_load, _check, tmp_path / f"cut{Path(name).suffix}", base[:cut], counts, "truncate")
    report(f"{name} truncations", counts)
    return counts


@pytest.mark.parametrize("name", GRAPHS)
def test_truncated_graphs_are_refused(tmp_path, name):
    counts = _sweep(tmp_path, name, protobuf_boundaries)
    assert counts["truncate", "refused"] > 0 and counts["truncate", "loaded"] == 0


def test_truncated_batchnorm_state_dicts_are_refused(tmp_path):
    counts = _sweep(tmp_path, "bn_mlp.pt", zip_boundaries)
    assert counts["truncate", "refused"] > 0 and counts["truncate", "loaded"] == 0


# --- Hypothesis mutations ----------------------------------------------------------------------

#: what this file adds to test_fuzz_foreign's ONNX mutations, aimed at what exporters write
GRAPH_KINDS = ("ints", "string", "float", "opset", "constant", "int-initializer", "input-dims", "drop", "swap")
STRINGS = [b"SAME_UPPER", b"SAME_LOWER", b"VALID", b"NOTSET", b"", b"tanh", b"none", b"\xff\xfe"]


def _graph_mutant(data, kind, base):
    if kind in ONNX_KINDS:
        return _onnx_mutant(data, kind, base, onnx)
    m = onnx.load_from_string(base)
    g = m.graph
    nodes = list(g.node)
    if kind == "opset":
        m.opset_import[0].version = data.draw(st.integers(-1, 30))
    elif kind in ("ints", "string", "float"):
        field = {"ints": "ints", "string": "s", "float": "f"}[kind]
        attrs = [a for n in nodes for a in n.attribute
                 if (a.ints if kind == "ints" else a.type == {"string": 3, "float": 1}[kind])]
        if attrs:
            a = data.draw(st.sampled_from(attrs))
            if kind == "ints":
                a.ClearField("ints")
                a.ints.extend(data.draw(st.lists(st.integers(-3, 2**40) | st.integers(-1, 8), max_size=6)))
            elif kind == "string":
                a.s = data.draw(st.sampled_from(STRINGS) | st.binary(max_size=12))
            else:
                setattr(a, field, data.draw(st.floats(width=32) | st.sampled_from([0.0, -1.0, 1e-30, 1e30])))
    elif kind == "constant":  # a Constant node's tensor (a shape, a scalar of the normalisation)
        consts = [n for n in nodes if n.op_type == "Constant"]
        if consts:
            t = data.draw(st.sampled_from(consts)).attribute[0].t
            t.ClearField("dims")
            t.dims.extend(data.draw(st.lists(st.integers(-2, 2**40) | st.integers(0, 4), max_size=4)))
    elif kind == "int-initializer":  # the shape a Reshape reads, or any stored tensor as int64 numbers
        t = data.draw(st.sampled_from(list(g.initializer)))
        values = data.draw(st.lists(st.integers(-2**63, 2**63 - 1) | st.integers(-2, 1000), min_size=0, max_size=5))
        t.data_type, t.raw_data = 7, np.array(values, "<i8").tobytes()
        t.ClearField("dims")
        t.dims.append(len(values))
    elif kind == "input-dims":
        dims = g.input[0].type.tensor_type.shape.dim
        if dims:
            d = dims[data.draw(st.integers(0, len(dims) - 1))]
            v = data.draw(st.integers(-5, 2**62) | st.integers(0, 30) | st.just("N"))
            if v == "N":
                d.dim_param = "N"
            else:
                d.dim_value = v
    elif kind == "drop":
        del g.node[data.draw(st.integers(0, len(nodes) - 1))]
    else:  # swap: two nodes exchanged (the order is no longer the chain's)
        i, j = data.draw(st.integers(0, len(nodes) - 1)), data.draw(st.integers(0, len(nodes) - 1))
        a, b = onnx.NodeProto(), onnx.NodeProto()
        a.CopyFrom(nodes[i])
        b.CopyFrom(nodes[j])
        g.node[i].CopyFrom(b)
        g.node[j].CopyFrom(a)
    return m.SerializeToString()


#: the graphs the mutations run on: opset 1 with auto_pad and legacy broadcast, NHWC, the TorchScript
#: export with its constant subgraphs and BatchNorm1d in Unsqueeze/Squeeze, the dynamo export at opset 20
MUTATED = ["zoo_mnist_opset1.onnx", "nhwc.onnx", "exported_bn1d_unsqueeze.onnx", "exported_dynamo.onnx"]


@pytest.mark.parametrize("name", MUTATED)
def test_mutated_graphs_only_ever_raise_our_error(tmp_path, name):
    base = (FIXTURES / name).read_bytes()
    counts = collections.Counter()
    all_kinds = ONNX_KINDS + GRAPH_KINDS
    fuzz_each_kind(all_kinds, lambda data, kind: load_once(_load, _check, tmp_path / "fuzz.onnx",
                                                           _graph_mutant(data, kind, base), counts, kind))
    total, by_kind = report(f"{name} fuzz", counts)
    assert every_kind_ran(by_kind, all_kinds)


def test_mutated_batchnorm_state_dicts_only_ever_raise_our_error(tmp_path):
    base = (FIXTURES / "bn_mlp.pt").read_bytes()
    entries = members(base)
    stored = rezip(entries, zipfile.ZIP_STORED)
    counts = collections.Counter()
    fuzz_each_kind(kinds(entries), lambda data, kind: load_once(_load, _check, tmp_path / "fuzz.pt",
                                                                mutant(data, kind, base, stored, entries), counts,
                                                                kind))
    total, by_kind = report("bn_mlp.pt fuzz", counts)
    assert every_kind_ran(by_kind, kinds(entries))


# --- hostile sizes and values --------------------------------------------------------------------

def _variant(name, change):
    m = onnx.load(FIXTURES / name)
    change(m.graph)
    return m.SerializeToString()


def _reshape_to(shape):
    def change(g):  # the zoo graph's Reshape of its stored dense weight (an attribute at opset 1)
        node = next(n for n in g.node if n.op_type == "Reshape" and n.input[0] == "Parameter193")
        a = next(a for a in node.attribute if a.name == "shape")
        a.ClearField("ints")
        a.ints.extend(shape)
    return change


def _flatten_shape(values):
    def change(g):  # the int64 shape the NHWC graph's flatten Reshape reads
        t = next(t for t in g.initializer if t.name == "flatten/shape")
        t.raw_data = np.array(values, "<i8").tobytes()
        t.ClearField("dims")
        t.dims.append(len(values))
    return change


def _gather_index(value):
    def change(g):  # x.view(x.size(0), -1): the Gather of the batch size from Shape(x)
        node = next(n for n in g.node if n.op_type == "Gather")
        const = next(n for n in g.node if n.output[0] == node.input[1])
        const.attribute[0].t.raw_data = np.array(value, "<i8").tobytes()
    return change


def _pool_kernel(k):
    def change(g):  # windows of k×k, strides k: non-overlapping, as nnviz pools
        node = next(n for n in g.node if n.op_type == "AveragePool")
        for a in node.attribute:
            if a.name in ("kernel_shape", "strides"):
                a.ClearField("ints")
                a.ints.extend([k, k])
    return change


def _conv_attr(name, values):
    def change(g):
        node = next(n for n in g.node if n.op_type == "Conv")
        a = next((a for a in node.attribute if a.name == name), None) or onnx.helper.make_attribute(name, values)
        if a not in node.attribute:
            node.attribute.append(a)
        a.ClearField("ints")
        a.ints.extend(values)
    return change


def _empty_kernel(g):
    node = next(n for n in g.node if n.op_type == "Conv")
    t = next(t for t in g.initializer if t.name == node.input[1])
    t.ClearField("dims")
    t.dims.extend([t.dims[0] if t.dims else 4, 1, 0, 0])
    t.raw_data = b""


def _bn_statistics(length):
    def change(g):  # the BatchNormalization's running mean, too short or too long
        node = next(n for n in g.node if n.op_type == "BatchNormalization")
        t = next(t for t in g.initializer if t.name == node.input[3])
        t.raw_data = np.zeros(length, "<f4").tobytes()
        t.ClearField("dims")
        t.dims.append(length)
    return change


def _input_dims(dims):
    def change(g):
        shape = g.input[0].type.tensor_type.shape
        shape.ClearField("dim")
        for d in dims:
            shape.dim.add().dim_value = d
    return change


HOSTILE_GRAPHS = {
    "weight reshaped to a trillion": ("zoo_mnist_opset1.onnx", _reshape_to([2**20, 2**20]), "Reshape"),
    "weight reshaped to two -1s": ("zoo_mnist_opset1.onnx", _reshape_to([-1, -1]), "Reshape"),
    "weight reshaped to negatives": ("zoo_mnist_opset1.onnx", _reshape_to([-256, -10]), "Reshape"),
    "flatten to 2**62 rows": ("nhwc.onnx", _flatten_shape([2**62, -1]), "Reshape"),
    "flatten to zero": ("nhwc.onnx", _flatten_shape([0, 0]), ""),
    "gather past the shape": ("exported.onnx", _gather_index(2**40), "Gather"),
    "gather of a negative": ("exported.onnx", _gather_index(-2**40), "Gather"),
    # found here: windows of 0×0 divided by zero
    "pool of a zero kernel": ("exported.onnx", _pool_kernel(0), "kernel_shape=[0, 0]"),
    "pool of a huge kernel": ("exported.onnx", _pool_kernel(2**40), "windows on a 28×28 map"),
    "conv of stride 0": ("exported.onnx", _conv_attr("strides", [0, 0]), "strides=[0, 0]"),
    "conv of negative padding": ("exported.onnx", _conv_attr("pads", [-1] * 4), "pads=[-1, -1, -1, -1]"),
    "conv of an empty kernel": ("nhwc.onnx", _empty_kernel, "Conv weight of shape"),
    "statistics too short": ("exported.onnx", _bn_statistics(3), ""),
    "statistics too long": ("exported_bn1d_unsqueeze.onnx", _bn_statistics(10**5), ""),
    "an input of 10**12 numbers": ("batchless.onnx", _input_dims([10**12]), ""),
    "an input of rank 7": ("batchless.onnx", _input_dims([1] * 6 + [784]), ""),
    "an NHWC input of a trillion pixels": ("nhwc.onnx", _input_dims([1, 10**6, 10**6, 1]), "far more than"),
    # found by the fuzz: 8 million pixels made the input transform's arrays 400 MB and took 7 s
    "an input of 28×296068 pixels": ("exported_dynamo.onnx", _input_dims([0, 1, 28, 296068]), "far more than"),
}


@pytest.mark.parametrize("case", list(HOSTILE_GRAPHS))
def test_hostile_graph_sizes_are_not_believed(tmp_path, small_peak, case):
    name, change, words = HOSTILE_GRAPHS[case]
    assert words in _one_line(tmp_path / "h.onnx", _variant(name, change))


def _bn_state_dict(mean_len=4, var=1.0, with_var=True, weight_shape=(4,)):
    """Linear(64, 4) → BatchNorm1d(4) → Linear(4, 2), its BatchNorm statistics as given."""
    f = np.float32
    t = {"0.weight": ((4, 64), np.ones(256, f)), "0.bias": ((4,), np.zeros(4, f)),
         "1.weight": (weight_shape, np.ones(int(np.prod(weight_shape)), f)), "1.bias": ((4,), np.zeros(4, f)),
         "1.running_mean": ((mean_len,), np.zeros(mean_len, f)), "1.running_var": ((4,), np.full(4, var, f)),
         "2.weight": ((2, 4), np.ones(8, f)), "2.bias": ((2,), np.zeros(2, f))}
    if not with_var:
        del t["1.running_var"]
    keys = {name: str(i) for i, name in enumerate(t)}
    sd = ordered({name: tensor(keys[name], shape) for name, (shape, _) in t.items()})
    return torch_zip(dumps(sd), {keys[name]: a.tobytes() for name, (_, a) in t.items()})


HOSTILE_STATE_DICTS = {
    "statistics of another width": (dict(mean_len=5), "do not fit"),
    "a negative variance": (dict(var=-1.0), "do not fit"),
    "an infinite variance": (dict(var=np.inf), "do not fit"),
    "a mean without a variance": (dict(with_var=False), "without its weight, bias, running_mean and running_var"),
    "a 2-D BatchNorm weight": (dict(weight_shape=(2, 2)), "do not fit"),
}


@pytest.mark.parametrize("case", list(HOSTILE_STATE_DICTS))
def test_hostile_batchnorm_statistics_are_refused(tmp_path, small_peak, case):
    kwargs, words = HOSTILE_STATE_DICTS[case]
    assert words in _one_line(tmp_path / "bn.pt", _bn_state_dict(**kwargs))


def test_a_valid_hand_made_batchnorm_state_dict_loads(tmp_path):
    """The control for the cases above: the same file with fitting statistics opens."""
    (tmp_path / "bn.pt").write_bytes(_bn_state_dict())
    net = _load(tmp_path / "bn.pt").network
    assert [e["type"] for e in net.spec["layers"]] == ["dense", "batchnorm", "dense"]
    assert net.spec["layers"][1]["var"] == [1.0] * 4
