"""The datasets shipped under ``resources/data`` (see resources/ATTRIBUTION.md)."""

from __future__ import annotations

import zipfile

import numpy as np

from ..resources import resource_path
from .errors import DataFormatError

FILES = {"digits": ("digits.npz", (8, 8)), "mnist": ("mnist_5k.npz", (28, 28))}


def load_bundled(name: str) -> dict:
    """{"images": uint8 (n, h, w), "labels": uint8 (n,), "test_index": int32 (m,)} of a shipped set."""
    filename, shape = FILES[name]
    path = resource_path("data", filename)
    try:
        with np.load(path, allow_pickle=False) as z:
            images, labels, test = z["images"], z["labels"], z["test_index"]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as e:
        raise DataFormatError(path, f"the shipped {name} data is damaged ({e}); reinstall nnviz") from None
    n = len(images)
    if (images.dtype != np.uint8 or images.shape[1:] != shape or labels.shape != (n,)
            or test.ndim != 1 or (len(test) and (test.min() < 0 or test.max() >= n))):
        raise DataFormatError(path, f"the shipped {name} data has unexpected shapes; reinstall nnviz")
    return {"images": images, "labels": labels, "test_index": test}
