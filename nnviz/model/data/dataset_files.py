"""Datasets the learner opens from disk: MNIST-format IDX files or an nnviz images .npz.

Whatever the source, the result must fit the lesson it replaces (same image size and
classes), so the network keeps working; anything else is a DataFormatError naming
the file and the problem, and the lesson's data stays as it was.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

import numpy as np

from .datasets import SIGN, Dataset, images_to_dataset
from ..errors import DataFormatError
from .idx import find_idx_files, load_idx_pair

NPZ_KEYS = ("images", "labels", "test_index")


def open_dataset(path: str | Path, lesson_data: Dataset) -> Dataset:
    """The dataset at ``path`` (a folder of IDX files, one IDX file of a pair, or an .npz with
    ``images`` uint8 (n, h, w), ``labels`` (n,), ``test_index`` (m,)), shaped like ``lesson_data``."""
    path = Path(path)
    if lesson_data.task == SIGN:
        raise DataFormatError(path, "cannot replace the smile lesson's faces: open a dataset in the digits "
                                    "or MNIST lesson")
    if path.suffix.lower() == ".npz":
        images, labels, test = _read_npz(path)
    else:
        folder = path if path.is_dir() else path.parent
        if not path.is_dir() and not path.exists():
            raise DataFormatError(path, "does not exist")
        found = find_idx_files(folder)
        tr_x, tr_y = load_idx_pair(*found["train"], num_classes=len(lesson_data.class_names))
        if found["shared"]:
            images, labels = tr_x, tr_y
            test = np.random.default_rng(0).permutation(len(images))[: max(1, len(images) // 7)]
        else:
            te_x, te_y = load_idx_pair(*found["test"], num_classes=len(lesson_data.class_names))
            if te_x.shape[1:] != tr_x.shape[1:]:
                raise DataFormatError(found["test"][0], f"holds {te_x.shape[1]}×{te_x.shape[2]} images but its "
                                                        f"training pair {tr_x.shape[1]}×{tr_x.shape[2]}")
            images, labels = np.concatenate([tr_x, te_x]), np.concatenate([tr_y, te_y])
            test = np.arange(len(tr_x), len(images))
    want = tuple(lesson_data.image_shape)
    if tuple(images.shape[1:]) != want:
        raise DataFormatError(path, f"holds {images.shape[1]}×{images.shape[2]} images, but this lesson's "
                                    f"network reads {want[0]}×{want[1]}: open it in a lesson of that size")
    if int(labels.max()) >= len(lesson_data.class_names):
        raise DataFormatError(path, f"has labels up to {int(labels.max())}; this lesson knows "
                                    f"{len(lesson_data.class_names)} classes")
    scale = 16.0 if lesson_data.name == "digits" and int(images.max()) <= 16 else 255.0
    return images_to_dataset(lesson_data.name, images, labels, test, scale=scale, source=str(path))


def _read_npz(path: Path):
    try:
        with np.load(path, allow_pickle=False) as z:  # a data file must never run code
            missing = [k for k in NPZ_KEYS if k not in z.files]
            if missing:
                raise DataFormatError(path, f"is not an nnviz dataset: it lacks {', '.join(missing)}")
            images, labels, test = (z[k] for k in NPZ_KEYS)
    except FileNotFoundError:
        raise DataFormatError(path, "does not exist") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error, KeyError) as e:
        raise DataFormatError(path, f"is damaged or not an .npz file ({type(e).__name__})") from None
    if images.dtype != np.uint8 or images.ndim != 3 or len(images) == 0:
        raise DataFormatError(path, f"has images of {images.dtype} {images.shape}, expected uint8 (n, h, w)")
    if labels.ndim != 1 or len(labels) != len(images) or labels.dtype.kind not in "iu" or labels.min() < 0:
        raise DataFormatError(path, f"has labels {labels.dtype} {labels.shape} for {len(images)} images")
    if test.ndim != 1 or test.dtype.kind not in "iu" or len(test) == 0 or len(test) >= len(images) \
            or test.min() < 0 or test.max() >= len(images) or len(np.unique(test)) != len(test):
        raise DataFormatError(path, "has an invalid test_index (it must pick distinct images, not all)")
    return images, labels.astype(np.int64), test
