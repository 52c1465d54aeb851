"""Training history in append-only, growable NumPy columns.

Append-only is what lets a snapshot hold ``column[:n]`` views instead of copies:
the trainer only ever writes past ``n`` (a reset or rewind starts a new History),
so a view handed to the GUI thread never changes under it.
"""

from __future__ import annotations

import numpy as np

#: quantiles of each layer's weights recorded at every evaluation (min … max)
QUANTILES = (0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0)

#: per-iteration columns; per-evaluation columns; "health" columns (every few iterations)
STEP_COLUMNS = ("loss",)
EVAL_COLUMNS = ("iteration", "epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy",
                "weight_quantiles")
HEALTH_COLUMNS = ("health_iteration", "grad_norm", "update_norm")
#: columns whose rows are arrays: weight_quantiles (L, len(QUANTILES)); the norms (L,)
ROW_ARRAYS = ("weight_quantiles", "grad_norm", "update_norm")


class _Columns:
    """Named columns of equal length; a column's row may itself be an array (shape fixed on first use)."""

    def __init__(self, names: tuple[str, ...], capacity: int = 1024):
        self.names = names
        self._capacity = capacity
        self._data: dict[str, np.ndarray] = {}
        self.n = 0

    def append(self, **values) -> None:
        if not self._data:
            self._data = {k: np.full((self._capacity,) + np.shape(values.get(k, np.nan)), np.nan)
                          for k in self.names}
        if self.n == len(next(iter(self._data.values()))):
            # Grow into new arrays; earlier views keep pointing at the old, unchanged ones.
            self._data = {k: np.concatenate([v, np.full_like(v, np.nan)]) for k, v in self._data.items()}
        for k, v in values.items():
            self._data[k][self.n] = v
        self.n += 1

    def view(self, n: int | None = None) -> dict[str, np.ndarray]:
        n = self.n if n is None else n
        out = {}
        for k in self.names:
            part = self._data[k][:n] if k in self._data else np.empty(0)
            part.flags.writeable = False  # a read-only view of a writeable base
            out[k] = part
        return out


class History:
    """Loss of every iteration; train/test metrics and weight quantiles at each evaluation;
    per-layer gradient and update sizes every few iterations."""

    def __init__(self):
        self.steps = _Columns(STEP_COLUMNS, 4096)
        self.evals = _Columns(EVAL_COLUMNS, 256)
        self.health = _Columns(HEALTH_COLUMNS, 1024)

    def record_step(self, loss: float) -> None:
        self.steps.append(loss=loss)

    def record_eval(self, **values) -> None:
        self.evals.append(**values)

    def record_health(self, iteration: int, grad_norm, update_norm) -> None:
        """grad_norm, update_norm: (L,) per weight layer (NaN where no gradient was computed)."""
        self.health.append(health_iteration=iteration, grad_norm=grad_norm, update_norm=update_norm)

    def __len__(self) -> int:
        return self.steps.n

    def frozen(self) -> dict[str, np.ndarray]:
        """Read-only views: ``loss`` (one per iteration, iteration i at index i-1), the eval
        columns (``weight_quantiles`` (k, L, 7)) and the health columns (norms (m, L))."""
        out = self.steps.view()
        out.update(self.evals.view())
        out.update(self.health.view())
        return out

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Independent copies, e.g. for saving to a file."""
        return {k: np.array(v) for k, v in self.frozen().items()}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> "History":
        """Rebuild from :meth:`to_arrays` output (missing columns read as empty / NaN)."""
        h = cls()
        for loss in np.asarray(arrays.get("loss", ()), dtype=np.float64).reshape(-1):
            h.record_step(float(loss))
        for group, names in ((h.evals, EVAL_COLUMNS), (h.health, HEALTH_COLUMNS)):
            cols = {k: np.asarray(arrays[k], dtype=np.float64) for k in names
                    if k in arrays and np.size(arrays[k])}
            n = min((len(v) for v in cols.values()), default=0)
            for i in range(n):
                group.append(**{k: v[i] for k, v in cols.items()})
        return h

    def truncated(self, iteration: int) -> "History":
        """A new history holding everything up to and including ``iteration``."""
        full = self.frozen()
        arrays = {"loss": full["loss"][:iteration]}
        keep = full["iteration"] <= iteration
        arrays.update({k: full[k][keep] for k in EVAL_COLUMNS if len(full[k])})
        keep = full["health_iteration"] <= iteration
        arrays.update({k: full[k][keep] for k in HEALTH_COLUMNS if len(full[k])})
        return History.from_arrays(arrays)
