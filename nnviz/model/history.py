"""Training history in append-only, growable NumPy columns.

Append-only is what lets a snapshot hold ``column[:n]`` views instead of copies:
the trainer only ever writes past ``n`` (a reset starts a new History), so a view
handed to the GUI thread never changes under it.
"""

from __future__ import annotations

import numpy as np

#: per-iteration columns and per-evaluation columns
STEP_COLUMNS = ("loss",)
EVAL_COLUMNS = ("iteration", "epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy")


class _Columns:
    def __init__(self, names: tuple[str, ...], capacity: int = 1024):
        self._data = {k: np.empty(capacity, dtype=np.float64) for k in names}
        self.n = 0

    def append(self, **values: float) -> None:
        if self.n == len(next(iter(self._data.values()))):
            # Grow into new arrays; earlier views keep pointing at the old, unchanged ones.
            self._data = {k: np.concatenate([v, np.empty_like(v)]) for k, v in self._data.items()}
        for k, v in values.items():
            self._data[k][self.n] = v
        self.n += 1

    def view(self, n: int | None = None) -> dict[str, np.ndarray]:
        n = self.n if n is None else n
        out = {}
        for k, v in self._data.items():
            part = v[:n]
            part.flags.writeable = False  # a read-only view of a writeable base
            out[k] = part
        return out


class History:
    """Loss of every iteration, and train/test metrics at each evaluation."""

    def __init__(self):
        self.steps = _Columns(STEP_COLUMNS, 4096)
        self.evals = _Columns(EVAL_COLUMNS, 256)

    def record_step(self, loss: float) -> None:
        self.steps.append(loss=loss)

    def record_eval(self, **values: float) -> None:
        self.evals.append(**values)

    def __len__(self) -> int:
        return self.steps.n

    def frozen(self) -> dict[str, np.ndarray]:
        """Read-only views: ``loss`` (one per iteration, iteration i at index i-1) and the eval columns."""
        out = self.steps.view()
        out.update(self.evals.view())
        return out

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Independent copies, e.g. for saving to a file."""
        return {k: np.array(v) for k, v in self.frozen().items()}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> "History":
        """Rebuild from :meth:`to_arrays` output (missing columns read as empty)."""
        h = cls()
        for loss in np.asarray(arrays.get("loss", ()), dtype=np.float64):
            h.record_step(float(loss))
        cols = [np.asarray(arrays.get(k, ()), dtype=np.float64) for k in EVAL_COLUMNS]
        for row in zip(*cols):
            h.record_eval(**dict(zip(EVAL_COLUMNS, map(float, row))))
        return h

    def truncated(self, iteration: int) -> "History":
        """A new history holding everything up to and including ``iteration``."""
        full = self.frozen()
        keep = full["iteration"] <= iteration
        arrays = {"loss": full["loss"][:iteration]}
        arrays.update({k: full[k][keep] for k in EVAL_COLUMNS})
        return History.from_arrays(arrays)
