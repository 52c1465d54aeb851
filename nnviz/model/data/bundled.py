"""The datasets shipped under ``resources/data`` (sources and licences: resources/ATTRIBUTION.md).

Each ``.npz`` holds ``images`` uint8 (n, h, w), ``labels`` uint8 (n,) and
``test_index`` int32 (m,): sorted, distinct indices of the fixed test split.
They are made once by ``python -m nnviz.devtools.convert_datasets``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...resources import resource_path
from ..errors import DataFormatError, SettingsError
from ..storage.npzfile import read_npz

# name -> (file, image shape, number of classes)
FILES = {"digits": ("digits.npz", (8, 8), 10), "mnist": ("mnist_5k.npz", (28, 28), 10)}
KEYS = ("images", "labels", "test_index")
#: far above the shipped files (MNIST 5k unpacks to ~4 MB); stops a damaged size field early
MAX_BYTES = 64 << 20


def load_bundled(name: str, *, path: str | Path | None = None) -> dict:
    """``{"images": uint8 (n, h, w), "labels": uint8 (n,), "test_index": int32 (m,)}``.

    ``name`` is "digits" (1,797 × 8×8, values 0..16) or "mnist" (5,000 × 28×28,
    0..255). ``path`` overrides the shipped file (tests use it to feed damaged
    copies). A damaged or unexpected file is a DataFormatError naming it.
    """
    if name not in FILES:
        raise SettingsError(f"no bundled dataset called {name!r}; choose one of {', '.join(FILES)}")
    filename, shape, classes = FILES[name]
    path = Path(path) if path is not None else resource_path("data", filename)
    if not path.exists():
        raise DataFormatError(path, f"is missing: nnviz's {name} data was not installed; reinstall nnviz")
    try:
        # never unpickles, never trusts a declared size: a data file must not be able to run code
        arrays = read_npz(path, f"nnviz's {name} data", max_bytes=MAX_BYTES)
    except DataFormatError as e:
        raise DataFormatError(path, f"the shipped {name} data is damaged ({e.problem}); reinstall nnviz") from None
    missing = [k for k in KEYS if k not in arrays]
    if missing:
        raise DataFormatError(path, f"lacks {', '.join(missing)}: it is not nnviz's {name} data; reinstall nnviz")
    images, labels, test = (arrays[k] for k in KEYS)
    _check(path, name, images, labels, test, shape, classes)
    return {"images": images, "labels": labels, "test_index": test}


def _check(path: Path, name: str, images: np.ndarray, labels: np.ndarray, test: np.ndarray,
           shape: tuple[int, int], classes: int) -> None:
    """Reject any file whose arrays the lessons could not use as they are."""
    def bad(problem: str) -> DataFormatError:
        return DataFormatError(path, f"the shipped {name} data {problem}; reinstall nnviz")

    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != shape or len(images) == 0:
        raise bad(f"has images of {images.dtype} {images.shape}, expected uint8 (n, {shape[0]}, {shape[1]})")
    n = len(images)
    if labels.dtype != np.uint8 or labels.shape != (n,):
        raise bad(f"has labels of {labels.dtype} {labels.shape}, expected uint8 ({n},)")
    if labels.max() >= classes:
        raise bad(f"has label {int(labels.max())}, expected 0..{classes - 1}")
    if test.dtype.kind not in "iu" or test.ndim != 1 or not 0 < len(test) < n:
        raise bad(f"has a test_index of {test.dtype} {test.shape}, expected integers (m,) with 0 < m < {n}")
    if test[0] < 0 or test[-1] >= n or np.any(np.diff(test) <= 0):
        raise bad(f"has a test_index that is not sorted, distinct indices in 0..{n - 1}")
