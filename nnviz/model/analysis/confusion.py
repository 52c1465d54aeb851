"""Where the network goes wrong: its confusion matrix on a split, and which images sit in a cell.

Rows are the true class, columns the network's answer, so the diagonal holds the
right answers and everything off it is a mistake. For the smile lesson (task SIGN)
the classes are 0 = "not a smile" (target −1) and 1 = "smile" (target +1), and the
answer is the sign of the single output.

An output of exactly 0 is *no answer* (``datasets.correct`` counts it wrong, e.g.
every image at iteration 0 of the smile lesson, whose weights start at 0). Such an
image gets ``predicted == UNDECIDED`` and is counted in the *other* column of its
row — a mistake — so the matrix always sums to the number of images and its
diagonal share is exactly the accuracy the rest of the app reports.
"""

from __future__ import annotations

import numpy as np

from ..data.datasets import SIGN

SIGN_CLASS_NAMES = ("not a smile", "smile")
UNDECIDED = -1  # predicted class of a SIGN output that is exactly 0 (or NaN): no answer
CHUNK = 4096  # images per forward pass


def class_names(dataset) -> tuple[str, ...]:
    """The matrix's row/column names for a Dataset (SIGN: "not a smile", "smile")."""
    return SIGN_CLASS_NAMES if dataset.task == SIGN else tuple(dataset.class_names)


def true_classes(y: np.ndarray) -> np.ndarray:
    """(n,) int64 class of each label: integer labels as they are; float ±1 targets
    (SIGN, shape (n,) or (n, 1)) as 1 for a smile (> 0) and 0 otherwise."""
    y = np.asarray(y)
    if np.issubdtype(y.dtype, np.floating):
        return (y.reshape(len(y), -1)[:, 0] > 0).astype(np.int64)
    return y.reshape(-1).astype(np.int64)


def predicted_classes(task: str, outputs: np.ndarray) -> np.ndarray:
    """(n,) int64 answer for network outputs (n, k): the brightest output, or for SIGN the
    output's sign (1 = smile, 0 = not, UNDECIDED for exactly 0 or NaN)."""
    outputs = np.asarray(outputs)
    if task == SIGN:
        o = outputs[:, 0]
        return np.where(o > 0, 1, np.where(o < 0, 0, UNDECIDED)).astype(np.int64)
    return outputs.argmax(axis=1).astype(np.int64)


def outputs_of(net, x: np.ndarray) -> np.ndarray:
    """The network's outputs (n, sizes[-1]) for x (n, inputs), in chunks."""
    if len(x) == 0:
        return np.zeros((0, net.sizes[-1]), dtype=net.dtype)
    with np.errstate(all="ignore"):  # a diverged network gives NaN answers, not warnings
        return np.concatenate([net.predict(x[i:i + CHUNK]) for i in range(0, len(x), CHUNK)])


def _columns(true: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """The column each example is counted in: its answer, or for UNDECIDED (only ever a SIGN,
    two-class answer) the other class of the two."""
    return np.where(predicted == UNDECIDED, 1 - true, predicted)


def confusion_from_outputs(task: str, outputs: np.ndarray, y: np.ndarray, n_classes: int):
    """(counts (C, C) int64 — row = true class, column = the network's answer —, predicted (n,) int64).

    outputs: the network's outputs for the split (``outputs_of``), kept by the caller for the
    cells' images; y: (n,) int labels, or SIGN targets ±1 ((n,) or (n, 1)); C = n_classes, or 2
    for SIGN ("not a smile", "smile"). ``counts.sum() == n`` and ``trace(counts) / n`` is the
    accuracy (see the module note on outputs of exactly 0).
    """
    true = true_classes(y)
    predicted = predicted_classes(task, outputs)
    c = 2 if task == SIGN else int(n_classes)
    cols = _columns(true, predicted)
    counts = np.bincount(true * c + cols, minlength=c * c).reshape(c, c).astype(np.int64)
    return counts, predicted


def cell_indices(y_true: np.ndarray, predicted: np.ndarray, true_class: int, predicted_class: int) -> np.ndarray:
    """Indices (ascending) of the examples counted in cell (true_class, predicted_class).

    y_true: the split's labels as given to ``confusion_from_outputs`` (ints, or SIGN ±1
    targets); predicted: its second result. ``len(result) == counts[t, p]``.
    """
    true = true_classes(y_true)
    predicted = np.asarray(predicted)
    return np.flatnonzero((true == true_class) & (_columns(true, predicted) == predicted_class))
