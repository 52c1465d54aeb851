"""Fuzzing a conv model file (the spec in its metadata): whatever the bytes, the only exception is
DataFormatError — test_fuzz_files.py's mutations, on a layer stack's file."""

import collections
import zipfile

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnviz.model.core.network import Network
from nnviz.model.files.modelfile import SavedModel, load_model, save_model
from tests.model.files.test_fuzz_files import _history, _kinds, _load_once, _members, _mutant, _report, _rezip

#: a small conv stack, so the file (and every truncation of it) stays small
SPEC = {"input_shape": [1, 6, 6], "layers": [
    {"type": "conv", "filters": 2, "kernel": 3, "stride": 1, "padding": 1, "activation": "relu"},
    {"type": "maxpool", "size": 2}, {"type": "flatten"}, {"type": "dense", "units": 3}],
    "output": "softmax", "bias": True}


def _conv_file(path):
    return save_model(path, SavedModel(Network.from_spec(SPEC, seed=1), "digits", 6, 1, 3, {"learning_rate": 0.1},
                                       _history()))


def _check(m):
    assert isinstance(m, SavedModel) and all(np.isfinite(w).all() for w in m.network.weights)
    assert [w.shape for w in m.network.weights] == [layer.weight_shape for layer in m.network.layers
                                                    if layer.weight_shape is not None]


def test_every_truncation_of_a_conv_model_is_refused(tmp_path):
    base = _conv_file(tmp_path / "valid.npz").read_bytes()
    _check(load_model(tmp_path / "valid.npz"))
    counts = collections.Counter()
    for cut in range(len(base)):
        _load_once(load_model, _check, tmp_path / "cut.npz", base[:cut], counts, "truncate")
    assert counts["truncate", "loaded"] == 0


def test_fuzzed_conv_model_files_only_ever_raise_our_error(tmp_path):
    base = _conv_file(tmp_path / "valid.npz").read_bytes()
    members = _members(base)
    stored = _rezip(members, zipfile.ZIP_STORED)
    counts = collections.Counter()

    @settings(max_examples=400, derandomize=True, database=None, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=st.data())
    def run(data):
        kind, blob = _mutant(data, base, stored, members)
        _load_once(load_model, _check, tmp_path / "fuzz.npz", blob, counts, kind)

    run()
    total, by_kind = _report("conv model fuzz", counts)
    assert total >= 400 and set(by_kind) == set(_kinds(members))
