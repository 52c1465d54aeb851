"""Shipped datasets and the IDX loader: real data, exact round trips, clear errors, fuzzed."""

import gzip

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnviz.model.bundled import load_bundled
from nnviz.model.errors import DataFormatError
from nnviz.model.idx import find_idx_files, load_idx_pair, read_idx, write_idx
from nnviz.model.lessons import load_dataset


def test_digits_are_the_uci_set():
    raw = load_bundled("digits")
    assert raw["images"].shape == (1797, 8, 8) and raw["images"].max() == 16
    assert set(np.unique(raw["labels"])) == set(range(10))
    ds = load_dataset("digits")
    assert len(ds.x_test) == 450 and len(ds.x_train) == 1347
    assert ds.x_train.dtype == np.float32 and 0 <= ds.x_train.min() and ds.x_train.max() == 1.0
    assert set(np.unique(ds.y_test)) == set(range(10))


def test_mnist_subset_is_5000_28x28_digits_with_every_class_in_test():
    raw = load_bundled("mnist")
    assert raw["images"].shape == (5000, 28, 28) and raw["images"].max() == 255
    ds = load_dataset("mnist")
    assert (len(ds.x_train), len(ds.x_test)) == (4000, 1000)
    assert set(np.unique(ds.y_test)) == set(range(10))
    # the split is disjoint and covers everything
    t = raw["test_index"]
    assert len(np.unique(t)) == len(t) == 1000


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_round_trip(tmp_path, suffix):
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, (7, 5, 4), dtype=np.uint8)
    labs = rng.integers(0, 10, 7, dtype=np.uint8)
    write_idx(tmp_path / f"train-images-idx3-ubyte{suffix}", imgs)
    write_idx(tmp_path / f"train-labels-idx1-ubyte{suffix}", labs)
    found = find_idx_files(tmp_path)
    x, y = load_idx_pair(*found["train"])
    np.testing.assert_array_equal(x, imgs)
    np.testing.assert_array_equal(y, labs)


def _valid(tmp_path):
    p = tmp_path / "v-images-idx3-ubyte"
    write_idx(p, np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4))
    return p.read_bytes()


@pytest.mark.parametrize("mutate,problem", [
    (lambda b: b"\x00\x01" + b[2:], "not an IDX file"),
    (lambda b: b[:-3], "truncated"),
    (lambda b: b + b"xyz", "after the data"),
    (lambda b: b"", "too short"),
    (lambda b: b[:6], "header"),
    (lambda b: b"\x1f\x8b" + b"garbage" * 3, "gzip"),
    (lambda b: gzip.compress(b)[:-10], "gzip"),
    (lambda b: b[:4] + b"\xff\xff\xff\xff" + b[8:], "too large"),
])
def test_bad_idx_files_name_the_file_and_the_problem(tmp_path, mutate, problem):
    p = tmp_path / "bad-idx3-ubyte"
    p.write_bytes(mutate(_valid(tmp_path)))
    with pytest.raises(DataFormatError) as e:
        read_idx(p)
    assert "bad-idx3-ubyte" in str(e.value) and problem in str(e.value)


def test_count_and_shape_mismatches_are_reported(tmp_path):
    write_idx(tmp_path / "i", np.zeros((3, 2, 2), np.uint8))
    write_idx(tmp_path / "l", np.zeros(4, np.uint8))
    write_idx(tmp_path / "flat", np.zeros(3, np.uint8))
    with pytest.raises(DataFormatError, match="4 labels but i has 3 images"):
        load_idx_pair(tmp_path / "i", tmp_path / "l")
    with pytest.raises(DataFormatError, match="not uint8 images"):
        load_idx_pair(tmp_path / "flat", tmp_path / "l")
    with pytest.raises(DataFormatError, match="looked for"):
        find_idx_files(tmp_path)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_idx_files_only_ever_raise_our_error(tmp_path, data):
    valid = _valid(tmp_path)
    kind = data.draw(st.sampled_from(["random", "truncate", "flip", "gzip-flip"]))
    if kind == "random":
        blob = data.draw(st.binary(max_size=200))
    elif kind == "truncate":
        blob = valid[: data.draw(st.integers(0, len(valid)))]
    else:
        base = bytearray(gzip.compress(valid) if kind == "gzip-flip" else valid)
        for _ in range(data.draw(st.integers(1, 4))):
            i = data.draw(st.integers(0, len(base) - 1))
            base[i] ^= 1 << data.draw(st.integers(0, 7))
        blob = bytes(base)
    p = tmp_path / "fuzz-idx"
    p.write_bytes(blob)
    try:
        arr = read_idx(p)
    except DataFormatError as e:
        assert "fuzz-idx" in str(e)
    else:
        assert arr.size * arr.dtype.itemsize <= len(blob) * 1000 + 64
