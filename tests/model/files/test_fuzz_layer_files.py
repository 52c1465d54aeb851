"""Fuzzing a conv model file (the spec in its metadata): whatever the bytes, the only exception is
DataFormatError — test_fuzz_files.py's mutations, on a layer stack's file."""

import collections
import zipfile

import numpy as np

from nnviz.model.core.networks import build_network
from nnviz.model.files.modelfile import SavedModel, load_model, save_model
from tests.fuzzing import (every_kind_ran, fuzz_each_kind, kinds, load_once, members, mutant, report, rezip, small_history,
                           sweep_truncations, zip_boundaries)

#: a small conv stack, so the file (and every truncation of it) stays small
SPEC = {"input_shape": [1, 6, 6], "layers": [
    {"type": "conv", "filters": 2, "kernel": 3, "stride": 1, "padding": 1, "activation": "relu"},
    {"type": "maxpool", "size": 2}, {"type": "flatten"}, {"type": "dense", "units": 3}],
    "output": "softmax", "bias": True}


def _conv_file(path):
    return save_model(path, SavedModel(build_network(SPEC, seed=1), "digits", 6, 1, 3, {"learning_rate": 0.1},
                                       small_history()))


def _check(m):
    assert isinstance(m, SavedModel) and all(np.isfinite(w).all() for w in m.network.weights)
    assert [w.shape for w in m.network.weights] == [layer.weight_shape for layer in m.network.layers
                                                    if layer.weight_shape is not None]


def test_every_truncation_of_a_conv_model_is_refused(tmp_path):
    base = _conv_file(tmp_path / "valid.npz").read_bytes()
    _check(load_model(tmp_path / "valid.npz"))
    counts = collections.Counter()
    cuts = sweep_truncations(load_model, _check, tmp_path / "cut.npz", base, zip_boundaries(base), counts)
    assert counts["truncate", "refused"] == cuts


def test_fuzzed_conv_model_files_only_ever_raise_our_error(tmp_path):
    base = _conv_file(tmp_path / "valid.npz").read_bytes()
    entries = members(base)
    stored = rezip(entries, zipfile.ZIP_STORED)
    counts = collections.Counter()
    fuzz_each_kind(kinds(entries), lambda data, kind: load_once(
        load_model, _check, tmp_path / "fuzz.npz", mutant(data, kind, base, stored, entries), counts, kind))
    total, by_kind = report("conv model fuzz", counts)
    assert every_kind_ran(by_kind, kinds(entries))
