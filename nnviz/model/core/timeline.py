"""The timeline: trainer states kept as training runs, so any past iteration can be revisited.

Stepping records every iteration. Running at full speed records only every
``CHECKPOINT_EVERY``-th one — copying a state into memory that is not in the cache
costs ~15% of an iteration, so recording all of them slowed training by that much —
and ``fill`` recreates the rest of the newest ``recent`` when training stops (a slice at a
time between the learner's commands, nnviz.qt.worker), by replaying from the checkpoint before each gap: training is deterministic given a
state (its weights, shuffle, random stream and optimizer memory), and each state
names the settings and dataset its next iterations use, so the replay is exact
(states older than the window drop the dataset, so old versions can be freed).
A change of settings or data records a state at once, so no gap spans two settings.

The newest ``recent`` states are all kept (after ``fill``); older ones are thinned
whenever the store is full: a state ``age`` iterations old survives only
if its iteration is a multiple of ``base · 2^⌊log2(age/recent)+1⌋``, so spacing
doubles with each doubling of age (powers of two: a state kept at one spacing is
on the grid of every finer one) and ``base`` doubles when that is not enough.
Memory stays bounded:

    memory ≤ capacity × state size,
    capacity = max(1.25 · (recent + 2), min(max_states, budget // state size))

For 784-16-16-10 with SGD a state is ~51 KB (weights + biases in float32), so the
default 64 MB budget keeps 1,250 states; Adam's two moment arrays triple a state.

A run set aside (a lesson left, or the run an undo would bring back) is ``shrink``-ed to a
much smaller budget; the gaps that leaves are never replayed (a gap may span a settings
change there), only those a later run opens after its newest state.
"""

from __future__ import annotations

import math
import time
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, replace

import numpy as np

DEFAULT_BUDGET = 64 * 2**20  # bytes
DEFAULT_RECENT = 256  # the newest iterations, all kept
MAX_STATES = 4096
CHECKPOINT_EVERY = 8  # while running at full speed, record iterations that are multiples of this


@dataclass(frozen=True, eq=False)
class TrainerState:
    """Everything the trainer's next iteration depends on, at the end of ``iteration``.

    weights[i] / biases[i]: one per layer with parameters, shaped as the network's (an MLP's
    (sizes[i+1], sizes[i]) / (sizes[i+1],); a conv layer's (filters, C, k, k) / (filters,)). ``order`` is the epoch's
    shuffled index array, shared rather than copied: the trainer never writes into it
    (a new epoch makes a new array). ``rng`` is the generator's bit_generator state.
    ``settings`` (TrainSettings) and ``dataset`` are shared references to what the
    following iterations use, so a gap after this state can be replayed (``fill``).
    """

    iteration: int
    epoch: int
    cursor: int
    order: np.ndarray
    rng: dict
    weights: tuple
    biases: tuple
    optimizer: dict
    nudge_step: float
    loss: float
    settings: object = None
    dataset: object = None

    @property
    def nbytes(self) -> int:
        opt = sum(a.nbytes for v in self.optimizer.values() if isinstance(v, list) for a in v)
        return sum(w.nbytes for w in self.weights) + sum(b.nbytes for b in self.biases) + opt + 200


class Timeline:
    """States by iteration, newest all kept, older thinned; bounded by ``budget`` bytes."""

    def __init__(self, budget: int = DEFAULT_BUDGET, recent: int = DEFAULT_RECENT,
                 max_states: int = MAX_STATES):
        self.budget, self.recent, self.max_states = int(budget), int(recent), int(max_states)
        self._iters: list[int] = []
        self._states: list[TrainerState] = []
        self.capacity = max_states
        self._base = 1
        self._thinned_until = 0  # fill replays no gap that starts before this (``shrink`` thinned there)

    def __len__(self) -> int:
        return len(self._states)

    @property
    def nbytes(self) -> int:
        return sum(s.nbytes for s in self._states)

    def footprint(self) -> int:
        """Bytes held in memory: the states plus each distinct epoch shuffle they share
        (``nbytes`` leaves those out; a thinned timeline's old states each hold their own
        epoch's), less the arrays ``spill`` moved to disk."""
        orders = {id(s.order): s.order.nbytes for s in self._states}
        on_disk = sum(a.nbytes for s in self._states for group in _groups(s) if _mapped(group) for a in group)
        return self.nbytes + sum(orders.values()) - on_disk

    def copy(self) -> "Timeline":
        """Another timeline with the same states (shared: they are immutable) and bounds."""
        other = Timeline(self.budget, self.recent, self.max_states)
        other._iters, other._states = list(self._iters), list(self._states)
        other.capacity, other._base, other._thinned_until = self.capacity, self._base, self._thinned_until
        return other

    def iterations(self) -> np.ndarray:
        """(n,) kept iterations, ascending."""
        return np.asarray(self._iters, dtype=np.int64)

    def states(self) -> list[TrainerState]:
        """The kept states, ascending (shared: they are immutable)."""
        return list(self._states)

    def load(self, states) -> None:
        """Keep exactly ``states`` (ascending, e.g. a rewind file's), thinned to the bounds. Their
        gaps are never replayed by ``fill``: one may span a settings change the file does not record."""
        self.clear()
        for state in states:
            self.record(state)
        if self._iters:
            self._thinned_until = self._iters[-1]

    def clear(self) -> None:
        self._iters, self._states = [], []
        self._base = 1
        self._thinned_until = 0

    def record(self, state: TrainerState) -> None:
        """Keep ``state``; anything at or after its iteration (an abandoned future) is dropped."""
        if self._iters and state.iteration <= self._iters[-1]:
            self.truncate_after(state.iteration - 1)
        if not self._states:
            # room for the window and then some, or thinning (which keeps the window) never gets
            # under 80%: a state too big for the budget raises the bound to ~1.25 windows
            self.capacity = max(math.ceil(1.25 * (self.recent + 2)),
                                min(self.max_states, self.budget // max(1, state.nbytes)))
        self._iters.append(state.iteration)
        self._states.append(state)
        self._forget_replay_data()
        if len(self._states) > self.capacity:
            self._thin()

    def _forget_replay_data(self) -> None:
        """States older than the window are never replayed from: drop their dataset reference,
        so an old version of the training set (a learner's examples edited since) can be freed."""
        j = bisect_right(self._iters, self._iters[-1] - self.recent) - 1
        while j >= 0 and self._states[j].dataset is not None:
            self._states[j] = replace(self._states[j], dataset=None)
            j -= 1

    def _thin(self) -> None:
        # Thin to ≤ 80% of capacity, so this O(n) pass runs once per many recordings.
        newest = self._iters[-1]
        while True:
            keep = [j for j, it in enumerate(self._iters) if self._survives(newest - it, it)]
            if len(keep) <= 0.8 * self.capacity or self._base > newest:
                break
            self._base *= 2
        self._iters = [self._iters[j] for j in keep]
        self._states = [self._states[j] for j in keep]

    def _survives(self, age: int, iteration: int, recent: int | None = None, base: int | None = None) -> bool:
        recent, base = recent or self.recent, base or self._base
        if age < recent:
            return True
        stride = base << (int(age // recent).bit_length())  # base · 2^(⌊log2(age/recent)⌋+1)
        return iteration % stride == 0

    def shrink(self, budget: int, recent: int = 32, keep=()) -> None:
        """Thin to at most ``budget`` bytes (``footprint``, counting an epoch shuffle per state):
        the newest ``recent`` iterations all (fewer if the budget asks), older ones spaced as
        ``_thin`` spaces them, iteration 0 and the iterations in ``keep`` always. The gaps left
        are never replayed by ``fill``: one may span a settings change (those kept no checkpoint)."""
        if not self._states:
            return
        newest, last = self._iters[-1], self._states[-1]
        cap = max(2, int(budget) // (last.nbytes + last.order.nbytes))
        recent = max(1, min(int(recent), cap // 2))
        keep = {int(i) for i in keep}
        base = self._base
        while True:
            # the window, the grid, iteration 0 and ``keep``: once base > newest, recent + 1 + |keep|
            kept = [j for j, it in enumerate(self._iters)
                    if it in keep or self._survives(newest - it, it, recent, base)]
            if len(kept) <= cap or base > newest:
                break
            base *= 2
        self._iters = [self._iters[j] for j in kept]
        # only the newest is ever replayed from again: the others let go of their training sets
        self._states = [self._states[j] if j == len(self._states) - 1 else replace(self._states[j], dataset=None)
                        for j in kept]
        self._thinned_until = newest

    def spill(self, directory=None) -> None:
        """Move every state's weights, biases and optimizer arrays into one file mapped read-only
        (``map_to_disk``): a lesson left keeps its whole timeline, exactly, at almost no memory.
        OSError when the file cannot be written (nothing changes then)."""
        from .mapped_arrays import map_to_disk

        parts = []  # (state index, "weights" | "biases" | optimizer key, count)
        arrays = []
        for j, s in enumerate(self._states):
            for key, group in _groups(s, named=True):
                if _mapped(group):
                    continue
                parts.append((j, key, len(group)))
                arrays += list(group)
        if not arrays:
            return
        mapped = iter(map_to_disk(arrays, directory))
        changes: dict[int, dict] = {}
        for j, key, n in parts:
            group = [next(mapped) for _ in range(n)]
            if key in ("weights", "biases"):
                changes.setdefault(j, {})[key] = tuple(group)
            else:
                changes.setdefault(j, {}).setdefault("optimizer", dict(self._states[j].optimizer))[key] = group
        for j, change in changes.items():
            self._states[j] = replace(self._states[j], **change)

    def fill(self, replay, newest: int, deadline: float = math.inf) -> int:
        """Recreate the states missing among the ``recent`` iterations up to ``newest``.

        ``replay(state, n)`` returns the n states after ``state``, recomputed. Each gap is
        replayed from the kept state just before it, so only gaps that start inside the
        window are filled (a replay never starts from a state older than ``recent``).
        Gaps are filled newest first until ``time.perf_counter()`` passes ``deadline``, at
        least one per call (so calls repeated until ``missing`` is 0 finish), and none that
        ``shrink`` left. Returns the number added.
        """
        added = []
        for state, n in self._gaps(newest):
            if added and time.perf_counter() >= deadline:
                break
            added.extend(replay(state, n))
        if added:
            merged = sorted(zip(self._iters + [s.iteration for s in added], self._states + added),
                            key=lambda p: p[0])
            self._iters, self._states = [i for i, _ in merged], [s for _, s in merged]
            if len(self._states) > self.capacity:
                self._thin()
        return len(added)

    def missing(self, newest: int) -> int:
        """How many states ``fill`` would still add up to ``newest``."""
        return sum(n for _, n in self._gaps(newest))

    def _gaps(self, newest: int) -> list[tuple[TrainerState, int]]:
        """(kept state, how many iterations after it are missing), newest gap first."""
        lo = max(newest - self.recent + 1, self._thinned_until)
        k = bisect_left(self._iters, lo)
        out = []
        for j in reversed(range(k, bisect_right(self._iters, newest))):
            nxt = self._iters[j + 1] if j + 1 < len(self._iters) else newest + 1
            n = min(nxt, newest + 1) - self._iters[j] - 1
            if n > 0:
                out.append((self._states[j], n))
        return out

    def truncate_after(self, iteration: int) -> None:
        """Forget every state after ``iteration``."""
        k = bisect_right(self._iters, iteration)
        del self._iters[k:], self._states[k:]
        self._thinned_until = min(self._thinned_until, iteration)

    def get(self, iteration: int) -> TrainerState | None:
        """The state at exactly ``iteration``, if kept."""
        k = bisect_left(self._iters, iteration)
        return self._states[k] if k < len(self._iters) and self._iters[k] == iteration else None

    def nearest(self, iteration: int) -> TrainerState | None:
        """The kept state closest to ``iteration`` (the earlier one on a tie)."""
        if not self._iters:
            return None
        k = bisect_left(self._iters, iteration)
        cands = [j for j in (k - 1, k) if 0 <= j < len(self._iters)]
        return self._states[min(cands, key=lambda j: (abs(self._iters[j] - iteration), j))]

    def previous(self, iteration: int) -> TrainerState | None:
        """The kept state just before ``iteration`` (e.g. to show what that iteration changed)."""
        k = bisect_left(self._iters, iteration)
        return self._states[k - 1] if k > 0 else None

    def latest_finite(self, before: int) -> TrainerState | None:
        """The newest kept state before ``before`` whose loss and weights are all finite."""
        k = bisect_left(self._iters, before)
        for j in range(k - 1, -1, -1):
            s = self._states[j]
            if (np.isfinite(s.loss) or s.iteration == 0) and all(np.isfinite(w).all() for w in s.weights) \
                    and all(np.isfinite(b).all() for b in s.biases):
                return s
        return None


def _mapped(group) -> bool:
    """True when a state's arrays are already file-backed (a timeline spilled before)."""
    return bool(len(group)) and all(not a.flags.writeable and not a.flags.owndata for a in group)


def _groups(state: TrainerState, named: bool = False):
    """A state's arrays in groups: weights, biases, each optimizer list (with their keys when ``named``)."""
    groups = [("weights", state.weights), ("biases", state.biases),
              *((k, v) for k, v in state.optimizer.items() if isinstance(v, list))]
    return groups if named else [g for _, g in groups]
