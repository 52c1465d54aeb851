"""Opening a dataset from disk: IDX folders and .npz, checked against the lesson."""

import numpy as np
import pytest
from hypothesis import given, strategies as st

from nnviz.model.data.dataset_files import open_dataset
from nnviz.model.errors import DataFormatError
from nnviz.model.data.idx import write_idx
from nnviz.model.lessons import load_dataset


def _pair(folder, n, h, w, prefix="train", seed=0):
    rng = np.random.default_rng(seed)
    names = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
             "t10k": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}[prefix]
    write_idx(folder / names[0], rng.integers(0, 256, (n, h, w), dtype=np.uint8))
    write_idx(folder / names[1], rng.integers(0, 10, n, dtype=np.uint8))
    return folder / names[0]


def test_an_idx_folder_replaces_the_mnist_data(tmp_path):
    _pair(tmp_path, 70, 28, 28)
    _pair(tmp_path, 30, 28, 28, "t10k", seed=1)
    ds = open_dataset(tmp_path, load_dataset("mnist"))
    assert ds.x_train.shape == (70, 784) and ds.x_test.shape == (30, 784)
    assert 0 <= ds.x_train.min() and ds.x_train.max() <= 1 and ds.source == str(tmp_path)


def test_choosing_one_file_of_a_lone_pair_splits_it(tmp_path):
    chosen = _pair(tmp_path, 70, 28, 28)
    ds = open_dataset(chosen, load_dataset("mnist"))
    assert len(ds.x_train) + len(ds.x_test) == 70 and len(ds.x_test) == 10


def test_wrong_image_size_names_the_file_and_both_sizes(tmp_path):
    _pair(tmp_path, 20, 28, 28)
    with pytest.raises(DataFormatError) as e:
        open_dataset(tmp_path, load_dataset("digits"))
    assert "28×28" in str(e.value) and "8×8" in str(e.value) and str(tmp_path) in str(e.value)


def test_npz_round_trip_and_bad_npz(tmp_path):
    rng = np.random.default_rng(0)
    good = tmp_path / "d.npz"
    np.savez(good, images=rng.integers(0, 17, (40, 8, 8), dtype=np.uint8),
             labels=rng.integers(0, 10, 40), test_index=np.arange(30, 40))
    ds = open_dataset(good, load_dataset("digits"))
    assert ds.x_train.shape == (30, 64) and ds.x_test.shape == (10, 64)
    pickled = tmp_path / "p.npz"
    np.savez(pickled, images=np.array([object()], dtype=object), labels=np.zeros(1), test_index=np.zeros(1))
    with pytest.raises(DataFormatError, match="damaged or not"):
        open_dataset(pickled, load_dataset("digits"))
    with pytest.raises(DataFormatError, match="smile"):
        open_dataset(good, load_dataset("smile"))


@given(data=st.data())
def test_fuzzed_npz_files_only_ever_raise_our_error(tmp_path, data):
    rng = np.random.default_rng(0)
    good = tmp_path / "g.npz"
    if not good.exists():
        np.savez(good, images=rng.integers(0, 17, (12, 8, 8), dtype=np.uint8),
                 labels=rng.integers(0, 10, 12), test_index=np.arange(8, 12))
    raw = bytearray(good.read_bytes())
    kind = data.draw(st.sampled_from(["truncate", "flip", "random"]))
    if kind == "truncate":
        raw = raw[: data.draw(st.integers(0, len(raw) - 1))]
    elif kind == "flip":
        for _ in range(data.draw(st.integers(1, 8))):
            i = data.draw(st.integers(0, len(raw) - 1))
            raw[i] ^= 1 << data.draw(st.integers(0, 7))
    else:
        raw = bytearray(data.draw(st.binary(max_size=2000)))
    bad = tmp_path / "bad.npz"
    bad.write_bytes(bytes(raw))
    try:
        ds = open_dataset(bad, load_dataset("digits"))
    except DataFormatError:
        return
    assert ds.x_train.shape[1] == 64  # a flip that left it valid must still be a usable dataset
