"""Where the network is wrong: a confusion matrix on a split, and which images sit in a cell."""

from __future__ import annotations

import numpy as np

from .datasets import SIGN


def classes_of(task: str, outputs: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(true classes (n,), predicted classes (n,)) as ints; SIGN: 0 = not a smile, 1 = smile."""
    if task == SIGN:
        return (np.asarray(y).reshape(-1) > 0).astype(np.int64), (outputs[:, 0] > 0).astype(np.int64)
    return np.asarray(y, dtype=np.int64), outputs.argmax(axis=1)


def confusion_matrix(net, x: np.ndarray, y: np.ndarray, task: str, n_classes: int):
    """(counts (C, C) int64 — row = true class, column = predicted —, true (n,), predicted (n,)).

    x: (n, inputs); y: labels (n,) or SIGN targets (n, 1). C = 2 for SIGN.
    """
    outputs = np.concatenate([net.predict(x[i:i + 4096]) for i in range(0, len(x), 4096)]) if len(x) \
        else np.zeros((0, net.sizes[-1]))
    true, pred = classes_of(task, outputs, y)
    c = 2 if task == SIGN else n_classes
    counts = np.bincount(true * c + pred, minlength=c * c).reshape(c, c)
    return counts, true, pred


def cell_indices(true: np.ndarray, predicted: np.ndarray, true_class: int, predicted_class: int) -> np.ndarray:
    """Indices of the examples of ``true_class`` the network called ``predicted_class``."""
    return np.flatnonzero((true == true_class) & (predicted == predicted_class))
