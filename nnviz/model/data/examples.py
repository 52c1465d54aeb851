"""The learner's own examples: added by hand, removable with undo, saved as .npz.

A file holds ``meta`` (UTF-8 JSON: format, version, lesson, image shape, class
names), ``images`` float32 (n, h, w) in [0, 1] and ``labels`` int64 (n,) class
indices (the smile lesson: 0 = not a smile, 1 = smile). No pickles, written atomically.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .datasets import Dataset
from ..errors import DataFormatError
from ..storage.npzfile import meta_array, meta_json, read_npz, write_npz
from ..undo import Undoable, UndoStack

FORMAT = "nnviz-examples"
VERSION = 1


@dataclass
class UserExamples(Undoable):
    """Images (h*w,) float32 with class indices, plus an undo/redo history of edits."""

    images: list[np.ndarray] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    _history: UndoStack[tuple] = field(default_factory=UndoStack, repr=False, compare=False)  # (kind, i, x, y)

    def __len__(self) -> int:
        return len(self.images)

    def add(self, x: np.ndarray, label: int) -> None:
        self._do(("add", len(self.images), np.asarray(x, np.float32).ravel().copy(), int(label)))

    def remove(self, i: int) -> None:
        if not 0 <= i < len(self.images):
            raise IndexError(f"there is no example {i} (there are {len(self.images)})")
        self._do(("remove", i, self.images[i], self.labels[i]))

    def extend(self, xs, labels) -> None:
        for x, y in zip(xs, labels):
            self.add(x, y)

    def merge(self, xs, labels) -> int:
        """Add the examples not already here (same label, same pixels); returns how many were
        added. A file that carries the learner's own examples back (a session, a lesson file
        saved from this app) must not double them: one drawn "1" would train twice as much."""
        have = {(y, x.tobytes()) for x, y in zip(self.images, self.labels)}
        added = 0
        for x, y in zip(xs, labels):
            x = np.asarray(x, np.float32).ravel()
            if (int(y), x.tobytes()) not in have:
                self.add(x, int(y))
                have.add((int(y), x.tobytes()))
                added += 1
        return added

    def undo(self) -> bool:
        return self._history.undo(lambda op: self._apply(op, inverse=True))

    def redo(self) -> bool:
        return self._history.redo(self._apply)

    def _do(self, op) -> None:
        self._apply(op)
        self._history.push(op)

    def _apply(self, op, inverse: bool = False) -> tuple:
        """Replay an edit (or take it back); returns it: an edit is its own undo step."""
        kind, i, x, y = op
        if (kind == "add") != inverse:
            self.images.insert(i, x)
            self.labels.insert(i, y)
        else:
            del self.images[i]
            del self.labels[i]
        return op

    def appended_to(self, base: Dataset) -> Dataset:
        """``base`` with these examples at the end of its training split."""
        if not self.images:
            return base
        y = np.stack([base.target_for(label) for label in self.labels])
        return base.with_train_examples(np.stack(self.images), y)


def save_examples(path: str | Path, examples: UserExamples, dataset: Dataset, lesson: str) -> Path:
    """Write the examples (as images in the lesson's shape) atomically."""
    h, w = dataset.image_shape
    meta = {"format": FORMAT, "version": VERSION, "lesson": lesson, "image_shape": [h, w],
            "class_names": list(dataset.class_names)}
    images = (np.stack(examples.images).reshape(-1, h, w) if len(examples)
              else np.zeros((0, h, w), np.float32))
    arrays = {"meta": meta_array(meta), "images": images.astype(np.float32),
              "labels": np.asarray(examples.labels, dtype=np.int64)}
    return write_npz(path, arrays)


def load_examples(path: str | Path, dataset: Dataset) -> tuple[np.ndarray, np.ndarray]:
    """(images (n, h*w) float32, labels (n,) int64) from a file written by save_examples.

    The file must hold images of this dataset's shape and labels it knows; anything
    else is a DataFormatError naming the file and the problem.
    """
    path = Path(path)
    arrays = read_npz(path, "an nnviz examples file")
    if not {"meta", "images", "labels"} <= set(arrays):
        raise DataFormatError(path, "is not an nnviz examples file (needs meta, images and labels)")
    meta = meta_json(path, arrays, "an nnviz examples")
    images, labels = arrays["images"], arrays["labels"]
    if meta.get("format") != FORMAT:
        raise DataFormatError(path, "is not an nnviz examples file (wrong format tag)")
    if meta.get("version") != VERSION:
        raise DataFormatError(path, f"was written by nnviz examples format version {meta.get('version')!r}; "
                                    f"this nnviz reads version {VERSION}")
    h, w = dataset.image_shape
    if images.ndim != 3 or images.shape[1:] != (h, w) or images.dtype.kind != "f":
        raise DataFormatError(path, f"holds images of shape {images.shape[1:]}; this lesson's inputs are {h}×{w}")
    if labels.shape != (len(images),) or labels.dtype.kind not in "iu":
        raise DataFormatError(path, f"has {labels.shape} labels for {len(images)} images")
    k = len(dataset.class_names)
    if len(labels) and (labels.min() < 0 or labels.max() >= k):
        raise DataFormatError(path, f"has labels outside 0..{k - 1}")
    if not np.isfinite(images).all() or (images.size and (images.min() < 0 or images.max() > 1)):
        raise DataFormatError(path, "has pixel values outside [0, 1]")
    return images.reshape(len(images), h * w).astype(np.float32), labels.astype(np.int64)
