"""The shipped datasets: the real UCI digits and MNIST subset, a fixed stratified split, damage reported."""

import numpy as np
import pytest

from nnviz.model.data.bundled import load_bundled
from nnviz.model.errors import DataFormatError, NNVizError
from nnviz.resources import resource_path


def _check_split(raw, share, stratified=True):
    n, t = len(raw["labels"]), raw["test_index"]
    assert t.ndim == 1 and np.issubdtype(t.dtype, np.integer)
    assert np.all(np.diff(t) > 0) and t[0] >= 0 and t[-1] < n        # sorted, distinct, in range
    train = np.setdiff1d(np.arange(n), t)
    assert len(train) + len(t) == n                                   # disjoint, covers everything
    assert abs(len(t) / n - share) < 0.01
    # stratified: every class has its share in the test split
    counts, test_counts = np.bincount(raw["labels"], minlength=10), np.bincount(raw["labels"][t], minlength=10)
    assert np.all(test_counts > 0)
    if stratified:
        np.testing.assert_allclose(test_counts / counts, share, atol=0.02)


def test_digits_are_the_uci_test_set():
    raw = load_bundled("digits")
    images, labels = raw["images"], raw["labels"]
    assert images.shape == (1797, 8, 8) and images.dtype == np.uint8
    assert labels.shape == (1797,) and labels.dtype == np.uint8
    assert images.max() == 16 and images.min() == 0
    assert set(np.unique(labels)) == set(range(10))
    # first row of sklearn's digits.csv.gz: a 0
    assert labels[0] == 0
    assert images[0, 0].tolist() == [0, 0, 5, 13, 9, 1, 0, 0]
    _check_split(raw, 0.25)
    assert len(raw["test_index"]) == 450


def test_mnist_subset_is_5000_28x28_with_every_class_in_test():
    raw = load_bundled("mnist")
    assert raw["images"].shape == (5000, 28, 28) and raw["images"].dtype == np.uint8
    assert raw["images"].max() == 255 and raw["labels"].dtype == np.uint8
    assert set(np.unique(raw["labels"][raw["test_index"]])) == set(range(10))
    _check_split(raw, 0.20, stratified=False)
    assert len(raw["test_index"]) == 1000
    # the test images are a sample of MNIST's real test set (t10k), each digit in its t10k proportion
    # (largest remainders: within one image of it); the 4,000 training images are 400 of each digit
    from nnviz.devtools.convert_datasets import T10K_COUNTS

    labels, t = raw["labels"], raw["test_index"]
    assert np.abs(np.bincount(labels[t], minlength=10) - np.array(T10K_COUNTS) / 10).max() < 1
    assert np.bincount(np.delete(labels, t), minlength=10).tolist() == [400] * 10


def test_split_is_fixed():
    a, b = load_bundled("digits"), load_bundled("digits")
    np.testing.assert_array_equal(a["test_index"], b["test_index"])


def test_files_are_compact_and_pickle_free():
    for name, limit in (("digits.npz", 100_000), ("mnist_5k.npz", 1_500_000)):
        path = resource_path("data", name)
        assert path.stat().st_size < limit
        with np.load(path, allow_pickle=False) as z:
            assert sorted(z.files) == ["images", "labels", "test_index"]
            assert all(z[k].dtype != object for k in z.files)


def test_unknown_name_is_a_clear_error():
    with pytest.raises(NNVizError, match="no bundled dataset called 'cifar'"):
        load_bundled("cifar")


def _save(path, **arrays):
    np.savez_compressed(path, **arrays)
    return path


def _good(n=20):
    labels = (np.arange(n) % 10).astype(np.uint8)
    return dict(images=np.zeros((n, 8, 8), np.uint8), labels=labels, test_index=np.arange(0, n, 4, dtype=np.int32))


@pytest.mark.parametrize("change,word", [
    (dict(test_index=None), "lacks test_index"),
    (dict(images=np.zeros((20, 28, 28), np.uint8)), "images of uint8"),
    (dict(images=np.zeros((20, 8, 8), np.float32)), "images of float32"),
    (dict(labels=np.zeros(19, np.uint8)), "labels of uint8 (19,)"),
    (dict(labels=np.full(20, 12, np.uint8)), "label 12"),
    (dict(test_index=np.array([0.0, 4.0])), "test_index of float64"),
    (dict(test_index=np.array([4, 0], np.int32)), "not sorted"),
    (dict(test_index=np.array([1, 1, 5], np.int32)), "not sorted"),
    (dict(test_index=np.array([3, 20], np.int32)), "0..19"),
    (dict(test_index=np.array([-1, 3], np.int32)), "0..19"),
    (dict(test_index=np.arange(20, dtype=np.int32)), "0 < m < 20"),
])
def test_unexpected_contents_are_reported(tmp_path, change, word):
    arrays = {**_good(), **change}
    arrays = {k: v for k, v in arrays.items() if v is not None}
    path = _save(tmp_path / "digits-copy.npz", **arrays)
    with pytest.raises(DataFormatError) as e:
        load_bundled("digits", path=path)
    assert "digits-copy.npz" in str(e.value) and word in str(e.value)


def test_good_copy_loads(tmp_path):
    raw = load_bundled("digits", path=_save(tmp_path / "ok.npz", **_good()))
    assert raw["images"].shape == (20, 8, 8) and len(raw["test_index"]) == 5


def test_damaged_files_are_reported(tmp_path):
    good = _save(tmp_path / "good.npz", **_good()).read_bytes()
    cases = {
        "empty.npz": b"",
        "text.npz": b"not a numpy file at all\n" * 4,
        "truncated.npz": good[: len(good) // 2],
        "flipped.npz": good[:200] + bytes(b ^ 0x55 for b in good[200:260]) + good[260:],
    }
    for name, blob in cases.items():
        p = tmp_path / name
        p.write_bytes(blob)
        with pytest.raises(DataFormatError) as e:
            load_bundled("digits", path=p)
        assert name in str(e.value), name
    with pytest.raises(DataFormatError, match="missing"):
        load_bundled("digits", path=tmp_path / "absent.npz")


def test_pickled_arrays_are_refused(tmp_path):
    arrays = _good()
    arrays["labels"] = np.array(list(arrays["labels"]), dtype=object)
    np.savez(tmp_path / "pickled.npz", **arrays)
    with pytest.raises(DataFormatError, match="pickled.npz"):
        load_bundled("digits", path=tmp_path / "pickled.npz")
