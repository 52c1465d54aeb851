"""The lessons' datasets as the trainer sees them: float32 in [0, 1], fixed splits.

The raw files and the IDX loader have their own tests (test_bundled.py, test_idx.py).
"""

import numpy as np

from nnviz.model.lessons import load_dataset


def test_digits_are_the_uci_set():
    ds = load_dataset("digits")
    assert len(ds.x_test) == 450 and len(ds.x_train) == 1347
    assert ds.x_train.dtype == np.float32 and 0 <= ds.x_train.min() and ds.x_train.max() == 1.0
    assert set(np.unique(ds.y_test)) == set(range(10))


def test_mnist_subset_is_5000_28x28_digits_with_every_class_in_test():
    ds = load_dataset("mnist")
    assert (len(ds.x_train), len(ds.x_test)) == (4000, 1000)
    assert set(np.unique(ds.y_test)) == set(range(10))
    assert ds.x_train.shape[1] == 784 and ds.x_train.max() <= 1.0
