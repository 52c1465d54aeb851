"""Training history in append-only, growable NumPy columns.

Append-only is what lets a snapshot hold ``column[:n]`` views instead of copies:
the trainer only ever writes past ``n`` (a reset or rewind starts a new History),
so a view handed to the GUI thread never changes under it. (Coarsening, below, builds
new columns rather than writing into the old ones, for the same reason.)

Memory levels off on a run left going overnight: the loss of the newest FINE_KEEP
iterations is kept one by one; older iterations are folded into blocks (their lowest,
highest and mean loss: every spike is still drawn), blocks merge in pairs when there are
COARSE_MAX of them, and the per-evaluation and health rows keep the newest ROWS_MAX / 2
rows all and every other one of the older ones whenever they reach ROWS_MAX. So a history
holds at most ~50 MB however long the run (``nnviz bench --soak`` measures it).
"""

from __future__ import annotations

import warnings

import numpy as np

FINE_KEEP = 2**20  # newest iterations whose loss is kept one by one (8 MiB)
COARSE_MAX = 2**15  # blocks of older iterations before two neighbours merge
ROWS_MAX = 2**16  # evaluation rows, health rows: then the older half keeps every other one
FIRST_BLOCK = FINE_KEEP // 2 // (COARSE_MAX // 4)  # the first fold makes a quarter of COARSE_MAX blocks

#: quantiles of each layer's weights recorded at every evaluation (min … max)
QUANTILES = (0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0)

#: per-iteration columns; per-evaluation columns; "health" columns (every few iterations);
#: blocks of older iterations' loss (the last iteration of each, its lowest, highest and mean)
STEP_COLUMNS = ("loss",)
BLOCK_COLUMNS = ("loss_block_end", "loss_block_min", "loss_block_max", "loss_block_mean")
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

    def rows(self, keep) -> "_Columns":
        """New columns holding the rows ``keep`` (an index array or slice) of these."""
        out = _Columns(self.names, self._capacity)
        out._data = {k: v[keep] for k, v in self.view().items()} if self._data else {}
        out.n = len(next(iter(out._data.values()))) if out._data else 0
        if out._data:  # room to grow, as append expects
            out._data = {k: np.concatenate([v, np.full((max(self._capacity, out.n),) + v.shape[1:], np.nan)])
                         for k, v in out._data.items()}
        return out

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
        self.blocks = _Columns(BLOCK_COLUMNS, 1024)
        self.evals = _Columns(EVAL_COLUMNS, 256)
        self.health = _Columns(HEALTH_COLUMNS, 1024)
        self.first_loss = np.nan  # the run's first loss: the level a blow-up is measured against
        self.block_size = FIRST_BLOCK  # iterations per block folded next (doubles as blocks merge)

    def record_step(self, loss: float) -> None:
        if not self.steps.n and not self.blocks.n:
            self.first_loss = float(loss)
        self.steps.append(loss=loss)
        if self.steps.n >= FINE_KEEP + FINE_KEEP // 2:
            self._fold(FINE_KEEP // 2)

    def record_eval(self, **values) -> None:
        self.evals.append(**values)
        if self.evals.n >= ROWS_MAX:
            self.evals = _thinned(self.evals)

    def record_health(self, iteration: int, grad_norm, update_norm) -> None:
        """grad_norm, update_norm: (L,) per weight layer (NaN where no gradient was computed)."""
        self.health.append(health_iteration=iteration, grad_norm=grad_norm, update_norm=update_norm)
        if self.health.n >= ROWS_MAX:
            self.health = _thinned(self.health)

    def __len__(self) -> int:
        """Iterations recorded (folded into blocks or not)."""
        return self.folded + self.steps.n

    @property
    def folded(self) -> int:
        """Iterations whose loss lives in blocks: ``loss`` starts at iteration folded + 1."""
        return int(self.blocks.view()["loss_block_end"][-1]) if self.blocks.n else 0

    def frozen(self) -> dict[str, np.ndarray]:
        """Read-only views: ``loss`` (one per iteration, iteration folded + i at index i-1; folded
        is 0 until a run passes 1.5·FINE_KEEP iterations), the loss blocks before it (m,), the
        eval columns (``weight_quantiles`` (k, L, 7)) and the health columns (norms (m, L))."""
        out = self.steps.view()
        out.update(self.blocks.view())
        out.update(self.evals.view())
        out.update(self.health.view())
        return out

    def _fold(self, n: int) -> None:
        """The oldest ``n`` per-iteration losses become blocks (of the size the blocks have)."""
        loss = self.steps.view()["loss"]
        size = max(1, min(self.block_size, n))
        n -= n % size
        runs = np.asarray(loss[:n], dtype=np.float64).reshape(-1, size)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN block (diverged) stays NaN
            lo, hi, mean = np.nanmin(runs, axis=1), np.nanmax(runs, axis=1), np.nanmean(runs, axis=1)
        end = self.folded + size * np.arange(1, len(runs) + 1)
        for row in zip(end, lo, hi, mean):
            self.blocks.append(**dict(zip(BLOCK_COLUMNS, row)))
        self.steps = self.steps.rows(slice(n, None))
        while self.blocks.n >= COARSE_MAX:
            self.blocks = _merged_pairs(self.blocks)
            self.block_size *= 2

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Independent copies, e.g. for saving to a file."""
        out = {k: np.array(v) for k, v in self.frozen().items()}
        out["first_loss"] = np.array([self.first_loss])
        return out

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> "History":
        """Rebuild from :meth:`to_arrays` output (missing columns read as empty / NaN)."""
        h = cls()
        for group, names in ((h.blocks, BLOCK_COLUMNS), (h.evals, EVAL_COLUMNS), (h.health, HEALTH_COLUMNS)):
            cols = {k: np.asarray(arrays[k], dtype=np.float64) for k in names
                    if k in arrays and np.size(arrays[k])}
            n = min((len(v) for v in cols.values()), default=0)
            if group is h.blocks and len(cols) < len(BLOCK_COLUMNS):
                continue  # blocks come whole or not at all
            for i in range(n):
                group.append(**{k: v[i] for k, v in cols.items()})
        if h.blocks.n:
            ends = h.blocks.view()["loss_block_end"]
            h.block_size = int(ends[-1] - ends[-2]) if len(ends) > 1 else int(ends[0])
            h.first_loss = float(h.blocks.view()["loss_block_max"][0])  # the first block's top: near enough
        for loss in np.asarray(arrays.get("loss", ()), dtype=np.float64).reshape(-1):
            h.record_step(float(loss))
        if "first_loss" in arrays and np.size(arrays["first_loss"]):
            h.first_loss = float(np.asarray(arrays["first_loss"]).reshape(-1)[0])
        return h

    def truncated(self, iteration: int) -> "History":
        """A new history holding everything up to and including ``iteration`` (a block that
        reaches past it is left out with the iterations after it)."""
        full = self.frozen()
        keep = full["loss_block_end"] <= iteration
        arrays = {k: full[k][keep] for k in BLOCK_COLUMNS}
        arrays["loss"] = full["loss"][:max(0, iteration - self.folded)]
        arrays["first_loss"] = np.array([self.first_loss])
        keep = full["iteration"] <= iteration
        arrays.update({k: full[k][keep] for k in EVAL_COLUMNS if len(full[k])})
        keep = full["health_iteration"] <= iteration
        arrays.update({k: full[k][keep] for k in HEALTH_COLUMNS if len(full[k])})
        return History.from_arrays(arrays)


def _thinned(cols: _Columns) -> _Columns:
    """The newest half of the rows all, and every other one of the older half."""
    n = cols.n
    keep = np.concatenate([np.arange(0, n - n // 2, 2), np.arange(n - n // 2, n)])
    return cols.rows(keep)


def _merged_pairs(blocks: _Columns) -> _Columns:
    """Blocks of twice the size: each pair of neighbours becomes one (an odd last one stays)."""
    b = blocks.view()
    m = blocks.n - blocks.n % 2
    out = _Columns(BLOCK_COLUMNS, 1024)
    ends = b["loss_block_end"]
    size = np.diff(np.concatenate([[0.0], ends]))  # blocks cover iterations 1, 2, … without gaps
    mean = b["loss_block_mean"]
    weight = np.where(np.isnan(mean), 0.0, size)  # an all-NaN block adds nothing to the mean
    total = weight[0:m:2] + weight[1:m:2]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        pair_mean = (np.nan_to_num(mean[0:m:2]) * weight[0:m:2] + np.nan_to_num(mean[1:m:2]) * weight[1:m:2]) / total
        rows = zip(ends[1:m:2], np.fmin(b["loss_block_min"][0:m:2], b["loss_block_min"][1:m:2]),
                   np.fmax(b["loss_block_max"][0:m:2], b["loss_block_max"][1:m:2]), pair_mean)
        for row in rows:
            out.append(**dict(zip(BLOCK_COLUMNS, row)))
    for i in range(m, blocks.n):
        out.append(**{k: b[k][i] for k in BLOCK_COLUMNS})
    return out
