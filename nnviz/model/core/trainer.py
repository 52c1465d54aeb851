"""The trainer: owns a network, its optimizer and a dataset; one call = one iteration.

``train_batch`` is the hot path the benchmark times. For nets this small its cost
is the number of NumPy calls, so it runs on buffers preallocated per batch size,
writes with ``out=``, fuses softmax with cross-entropy, forms the bias gradient as
``ones @ dz`` (one BLAS call) and never computes a gradient for the input layer.

Any other layer stack (a ``LayerNetwork``: conv, pooling, mixed activations) trains
through the network's own ``gradients`` (which keeps its scratch between steps);
everything after the gradient — L2, the optimizer, ΔW, the health records — and
the nudge method, evaluation, states and snapshots go through the API both share.
"""

from __future__ import annotations

import math

import numpy as np

from ..data.datasets import Dataset, correct
from ..errors import SettingsError
from .functions import ACTIVATIONS, DERIVATIVES, NEEDS_Z, output_loss_and_delta
from .history import QUANTILES, History
from .network import Network
from .networks import NetworkLike
from .nudge import nudge_step
from .optimizers import make_optimizer
from .settings import TrainSettings
from .snapshot import Snapshot, frozen_copy, layout
from .timeline import TrainerState

#: evaluation uses a fixed subset this large at most, so it stays cheap on 60,000 images
EVAL_LIMIT = 2000


def _layer_norms(ws, bs=None) -> np.ndarray:
    """(L,) L2 norm of each layer's [W_l, b_l] (gradient or update)."""
    with np.errstate(all="ignore"):
        sq = [float(np.vdot(w, w)) for w in ws]
        if bs is not None:
            sq = [s + float(np.vdot(b, b)) for s, b in zip(sq, bs)]
    return np.sqrt(np.array(sq))


class _Buffers:
    """Scratch arrays for one batch size: pre-activations/activations, deltas, the dropped
    activations (what the next layer reads under dropout), the hidden z's an activation in
    ``NEEDS_Z`` differentiates through."""

    def __init__(self, net: Network, n: int):
        dt = net.dtype
        self.acts = [np.empty((n, s), dt) for s in net.sizes[1:]]
        self.deltas = [np.empty((n, s), dt) for s in net.sizes[1:-1]]
        self.dropped = [np.empty((n, s), dt) for s in net.sizes[1:-1]]
        self.zs = [np.empty((n, s), dt) if net.hidden in NEEDS_Z else None for s in net.sizes[1:-1]]
        self.ones = np.ones(n, dt)
        self.rows = np.arange(n)
        self.masks: list[np.ndarray | None] = [None] * (len(net.sizes) - 2)


class Trainer:
    """Network + optimizer + dataset, iteration and epoch counters, history."""

    def __init__(self, network: NetworkLike, dataset: Dataset, settings: TrainSettings | None = None,
                 seed: int = 0, eval_every: int | None = None):
        if network.sizes[0] != dataset.n_inputs or network.sizes[-1] != dataset.n_outputs:
            raise SettingsError(
                f"a {network.sizes[0]}→…→{network.sizes[-1]} network does not fit the {dataset.name} "
                f"data ({dataset.n_inputs} inputs, {dataset.n_outputs} outputs)")
        shape = network.input_shape  # a conv net reads its rows as C×H×W maps
        if len(shape) == 3 and tuple(shape[1:]) != tuple(dataset.image_shape):
            raise SettingsError(
                f"a network for {shape[1]}×{shape[2]} images does not fit the {dataset.name} data "
                f"({'×'.join(map(str, dataset.image_shape))} images)")
        self.network = network
        self.dataset = dataset
        #: weights the learner set by hand in this run, and those undone (hand_edits.py)
        self.hand_edits, self.hand_redo = [], []
        self.settings = settings or TrainSettings()
        self.seed = int(seed)
        self._eval_every = eval_every
        self.message = ""
        self._reset_state()

    # -- state --------------------------------------------------------------------

    def _reset_state(self) -> None:
        self.iteration = 0
        self.epoch = 0
        self.history = History()
        self.last_loss = math.nan
        self.update_w: list[np.ndarray] | None = None
        self.update_b: list[np.ndarray] | None = None
        self._rng = np.random.default_rng(self.seed)
        self._order = self._rng.permutation(len(self.dataset.x_train))
        self._cursor = 0
        self._buffers: dict[int, _Buffers] = {}
        self._l2_buf: list[np.ndarray] | None = None
        self._optimizer = make_optimizer(self.settings.optimizer, self.settings.learning_rate,
                                         self.settings.momentum)
        self._nudge = self.settings.nudge_step
        self._eval_idx = self._eval_subsets()
        self._eval_data: dict[str, tuple] = {}  # split -> (x, y) of its subset, see _eval_subset
        self._health_due = False

    def _eval_subsets(self) -> dict[str, np.ndarray]:
        """Fixed, seeded indices (≤ EVAL_LIMIT per split) that the cheap evaluations use."""
        rng = np.random.default_rng(self.seed + 1)
        return {split: np.sort(rng.permutation(len(x))[:EVAL_LIMIT])
                for split, x in (("train", self.dataset.x_train), ("test", self.dataset.x_test))}

    def _eval_subset(self, split: str, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The cheap evaluation's examples of ``split`` (x, y), gathered once: gathered at every
        evaluation (every ~30 iterations), mnist's 2000 images were a 6 MB copy each time, a tenth
        of the training time, and a large block freed again and again, which glibc's malloc
        leaves in the heap."""
        if split not in self._eval_data:  # emptied with the indices (a new seed or dataset)
            idx = self._eval_idx[split]
            self._eval_data[split] = x[idx], y[idx]
        return self._eval_data[split]

    def reset(self, seed: int | None = None) -> None:
        """Fresh weights from ``seed`` and counters at 0: the same seed replays exactly."""
        if seed is not None:
            self.seed = int(seed)
        self.network.reinitialize(self.seed)
        self.message = ""
        self._reset_state()

    def apply_settings(self, **changes) -> TrainSettings:
        """Change settings between two iterations, keeping the weights."""
        new = self.settings.changed(**changes)
        old, self.settings = self.settings, new
        if new.optimizer != old.optimizer:
            self._optimizer = make_optimizer(new.optimizer, new.learning_rate, new.momentum)
        self._optimizer.learning_rate = new.learning_rate
        if hasattr(self._optimizer, "momentum"):
            self._optimizer.momentum = new.momentum
        if new.nudge_step != old.nudge_step:
            self._nudge = new.nudge_step
        return new

    def set_dataset(self, dataset: Dataset) -> None:
        """Swap in a dataset of the same shape (e.g. with a user's examples added)."""
        if dataset.n_inputs != self.dataset.n_inputs or dataset.n_outputs != self.dataset.n_outputs:
            raise SettingsError("the new dataset's shape does not fit the network")
        self.dataset = dataset
        self._order = self._rng.permutation(len(dataset.x_train))
        self._cursor = 0
        self._eval_idx, self._eval_data = self._eval_subsets(), {}

    def state(self) -> TrainerState:
        """Copies of everything the next iteration depends on (see Timeline)."""
        net = self.network
        return TrainerState(
            iteration=self.iteration, epoch=self.epoch, cursor=self._cursor, order=self._order,
            rng=self._rng.bit_generator.state, weights=tuple(w.copy() for w in net.weights),
            biases=tuple(b.copy() for b in net.biases), optimizer=self._optimizer.state(),
            nudge_step=self._nudge, loss=self.last_loss, settings=self.settings, dataset=self.dataset)

    def replayer(self):
        """A function ``replay(state, n)`` -> the n states after ``state`` (a TrainerState of this
        trainer), recomputed on a scratch copy with that state's settings and dataset; this
        trainer is untouched. The scratch trainer is built once and reused across calls."""
        scratch = None

        def replay(state: TrainerState, n: int) -> list[TrainerState]:
            nonlocal scratch
            settings, dataset = state.settings or self.settings, state.dataset or self.dataset
            if scratch is None:
                # evaluations only add to the scratch history, so they are skipped
                scratch = Trainer(self.network.copy(), dataset, settings, self.seed, eval_every=2**62)
            if scratch.dataset is not dataset:
                scratch.set_dataset(dataset)
            if scratch.settings != settings:
                scratch.apply_settings(**settings.to_dict())
            scratch.history = History()  # its history is not kept, and cutting a long one back is slow
            scratch.restore(state)
            out = []
            with np.errstate(all="ignore"):  # replaying up to a divergence warns as the original did
                for _ in range(n):
                    scratch.step()
                    out.append(scratch.state())
            return out

        return replay

    def fork(self, state: TrainerState | None = None) -> "Trainer":
        """A new trainer on a copy of this network, the same dataset, settings and seed; it
        continues from ``state`` (same history up to it), or starts afresh when None (as
        ``reset`` would, before new weights). This trainer is untouched (kept for an undo)."""
        twin = Trainer(self.network.copy(), self.dataset, self.settings, self.seed, self._eval_every)
        if state is not None:
            twin.history = self.history  # restore() cuts it back into a new History
            twin.restore(state)
        return twin

    def continue_epoch(self, fraction: float) -> None:
        """Stand ``fraction`` ∈ [0, 1) of the way through this epoch's shuffle (a loaded model whose
        file kept it), so ``epoch_progress`` reads as it did when it was saved."""
        n = len(self._order)
        self._cursor = min(n - 1, max(0, round(float(fraction) * n)))

    def restore(self, state: TrainerState) -> None:
        """Continue from ``state``: same weights, shuffle, optimizer memory and random stream,
        so training on with the same settings repeats the original run exactly. The current
        settings are kept (they may have been changed on purpose); history is cut back."""
        self.network.set_parameters(state.weights, state.biases)
        self.iteration, self.epoch, self.last_loss = state.iteration, state.epoch, state.loss
        self._rng.bit_generator.state = state.rng
        if len(state.order) == len(self.dataset.x_train):
            self._order, self._cursor = state.order, state.cursor
        else:  # the learner's examples changed the training set since: start a fresh shuffle
            self._order, self._cursor = self._rng.permutation(len(self.dataset.x_train)), 0
        self._optimizer.set_state(state.optimizer)
        self._nudge = state.nudge_step
        self.update_w = self.update_b = None
        self.history = self.history.truncated(state.iteration)
        self.message = ""

    @property
    def health_every(self) -> int:
        """Iterations between two records of per-layer gradient and update sizes."""
        return max(1, self.eval_every // 8)

    @property
    def steps_per_epoch(self) -> int:
        return max(1, math.ceil(len(self.dataset.x_train) / self.settings.batch_size))

    @property
    def eval_every(self) -> int:
        """Iterations between two evaluations: about four per epoch, so curves stay cheap."""
        return self._eval_every or max(1, self.steps_per_epoch // 4)

    @property
    def epoch_progress(self) -> float:
        return self.epoch + self._cursor / max(1, len(self._order))

    def iterations_to_epoch(self, epoch: int) -> int:
        """Iterations until ``epoch`` epochs are complete at this batch size (0: they are)."""
        if self.epoch >= epoch:
            return 0
        n, bs = len(self._order), max(1, self.settings.batch_size)
        return -(-(n - self._cursor) // bs) + (epoch - self.epoch - 1) * -(-n // bs)

    # -- one iteration --------------------------------------------------------------

    def next_batch(self) -> tuple[np.ndarray, np.ndarray]:
        """The next shuffled mini-batch; a new seeded permutation starts each epoch."""
        n, bs = len(self._order), self.settings.batch_size
        if self._cursor >= n:
            self._order = self._rng.permutation(n)
            self._cursor = 0
            self.epoch += 1
        idx = self._order[self._cursor:self._cursor + bs]
        self._cursor += len(idx)
        return self.dataset.x_train[idx], self.dataset.y_train[idx]

    def step(self) -> float:
        """One iteration on the next mini-batch; counts it and records its loss."""
        X, Y = self.next_batch()
        self._health_due = (self.iteration + 1) % self.health_every == 0
        loss = self.train_batch(X, Y)
        self._health_due = False
        self.iteration += 1
        self.last_loss = loss
        self.history.record_step(loss)
        if self._cursor >= len(self._order):
            self.epoch += 1
            self._order = self._rng.permutation(len(self._order))
            self._cursor = 0
        if self.iteration % self.eval_every == 0 or self.iteration == 1:
            self.record_evaluation()
        return loss

    def train_batch(self, X: np.ndarray, Y: np.ndarray) -> float:
        """Exactly one iteration on (X (n, inputs), Y); returns the batch loss before it."""
        if self.settings.method == "nudge":
            return self._nudge_batch(X, Y)
        return self._gradient_batch(X, Y)

    def _nudge_batch(self, X, Y) -> float:
        net = self.network
        before = [w.copy() for w in net.weights], [b.copy() for b in net.biases]
        out = nudge_step(net, X, Y, self.settings.loss, self._nudge)
        self._nudge = out.next_step
        self.update_w = [w - w0 for w, w0 in zip(net.weights, before[0])]
        self.update_b = [b - b0 for b, b0 in zip(net.biases, before[1])]
        if self._health_due:
            self.history.record_health(self.iteration + 1, np.full(net.n_layers, np.nan),
                                       _layer_norms(self.update_w, self.update_b))
        self.message = ("" if out.accepted else
                        f"Applying every nudge at once raised the loss, so it was undone; "
                        f"the step is now {out.next_step:g}.")
        return out.result.base_loss

    def _layer_batch(self, X: np.ndarray, Y: np.ndarray) -> float:
        """One gradient iteration of a LayerNetwork: its backprop, then the shared descent."""
        s = self.settings
        loss, dW, db = self.network.gradients(X, Y, s.loss, dropout=s.dropout, rng=self._rng)
        grads_w, grads_b = self._grad_buffers()
        for g, d in zip(grads_w + grads_b, dW + db):
            np.copyto(g, d)
        self._descend(grads_w, grads_b)
        return loss

    def _gradient_batch(self, X: np.ndarray, Y: np.ndarray) -> float:
        net, s = self.network, self.settings
        if not net.is_plain:  # the fused path below is written for Network's dense layers
            return self._layer_batch(X, Y)
        n = X.shape[0]
        buf = self._buffers.get(n)
        if buf is None:
            buf = self._buffers[n] = _Buffers(net, n)
        L = net.n_layers
        W, B, acts = net.weights, net.biases, buf.acts
        keep = 1.0 - s.dropout
        # forward: acts[i] becomes layer i+1's activation, in place; reads[i] what layer i reads
        a = X if net.transform is None else net.transform.apply(X, net.input_shape)
        reads = [a]
        for i in range(L):
            z = acts[i]
            np.matmul(a, W[i].T, out=z)
            if net.bias:
                z += B[i]
            if i == L - 1:
                break
            if buf.zs[i] is not None:
                np.copyto(buf.zs[i], z)
            ACTIVATIONS[net.hidden](z)
            a = z
            if s.dropout:
                mask = (self._rng.random(z.shape, dtype=np.float32) < keep).astype(z.dtype)
                mask /= keep  # inverted dropout: no rescaling needed at test time
                # the activation itself stays: its derivative is f'(z), not one of the dropped value
                a = np.multiply(z, mask, out=buf.dropped[i])
                buf.masks[i] = mask
            reads.append(a)
        # output layer: fused softmax + cross-entropy in place, else the general rule
        zL = acts[-1]
        if net.output == "softmax" and s.loss == "cross_entropy":
            zL -= zL.max(axis=1, keepdims=True)
            zy = zL[buf.rows, Y]
            np.exp(zL, out=zL)
            total = zL.sum(axis=1)
            loss = float(np.mean(np.log(total) - zy))
            zL /= total[:, None]
            zL[buf.rows, Y] -= 1
            zL *= 1.0 / n
            delta = zL
        else:
            z_copy = zL.copy()
            ACTIVATIONS[net.output](zL)
            loss, delta = output_loss_and_delta(net.output, s.loss, z_copy, zL, Y)
        # backward: gradients overwrite the update buffers the optimizer then fills in
        grads_w, grads_b = self._grad_buffers()
        for i in range(L - 1, -1, -1):
            np.matmul(delta.T, reads[i], out=grads_w[i])
            if net.bias:
                np.matmul(buf.ones, delta, out=grads_b[i])
            if i:
                d = buf.deltas[i - 1]
                np.matmul(delta, W[i], out=d)
                if s.dropout:
                    d *= buf.masks[i - 1]
                DERIVATIVES[net.hidden](acts[i - 1], d, z=buf.zs[i - 1])
                delta = d
        self._descend(grads_w, grads_b)
        return loss

    def _descend(self, grads_w: list[np.ndarray], grads_b: list[np.ndarray]) -> None:
        """L2, then the optimizer step; grads_w/grads_b (the update buffers) become ΔW/Δb."""
        net, s = self.network, self.settings
        W, B = net.weights, net.biases
        if s.l2:
            for w, g, t in zip(W, grads_w, self._l2_tmp()):
                np.multiply(w, s.l2, out=t)
                g += t
        params = W + B if net.bias else W
        grads = grads_w + grads_b if net.bias else grads_w
        if self._health_due:
            g_norm = _layer_norms(grads_w, grads_b if net.bias else None)
        self._optimizer.step(params, grads)
        if self._health_due:
            self.history.record_health(self.iteration + 1, g_norm,
                                       _layer_norms(grads_w, grads_b if net.bias else None))

    def _grad_buffers(self):
        if self.update_w is None or [g.shape for g in self.update_w] != [w.shape for w in self.network.weights]:
            self.update_w = [np.zeros_like(w) for w in self.network.weights]
            self.update_b = [np.zeros_like(b) for b in self.network.biases]
        return self.update_w, self.update_b

    def _l2_tmp(self):
        if self._l2_buf is None or len(self._l2_buf) != self.network.n_layers:
            self._l2_buf = [np.empty_like(w) for w in self.network.weights]
        return self._l2_buf

    # -- measuring ------------------------------------------------------------------

    def evaluate(self, split: str = "test", limit: bool = False) -> tuple[float, float]:
        """(mean loss, accuracy) on a split; ``limit`` uses the fixed cheap subset."""
        x, y = self.dataset.split(split)
        if len(x) == 0:
            return math.nan, math.nan
        if limit:
            x, y = self._eval_subset(split, x, y)
        z, out = self.network.output_full(x)
        loss, _ = output_loss_and_delta(self.network.output, self.settings.loss, z, out, y)
        return loss, float(correct(self.dataset.task, out, y).mean())

    def record_evaluation(self) -> None:
        with np.errstate(all="ignore"):  # a diverged net evaluates to nan, not a warning storm
            tr_loss, tr_acc = self.evaluate("train", limit=True)
            te_loss, te_acc = self.evaluate("test", limit=True)
        with np.errstate(all="ignore"):
            quantiles = np.array([np.quantile(w, QUANTILES) if np.isfinite(w).all()
                                  else np.full(len(QUANTILES), np.nan) for w in self.network.weights])
        self.history.record_eval(iteration=self.iteration, epoch=self.epoch_progress,
                                 train_loss=tr_loss, train_accuracy=tr_acc,
                                 test_loss=te_loss, test_accuracy=te_acc, weight_quantiles=quantiles)

    def snapshot(self, lesson: str = "", generation: int = 0) -> Snapshot:
        """Frozen copies of everything a view needs (cheap: the nets are small)."""
        net = self.network
        return Snapshot(
            iteration=self.iteration, epoch=self.epoch, epoch_progress=self.epoch_progress,
            **layout(net), weights=tuple(frozen_copy(w) for w in net.weights),
            biases=tuple(frozen_copy(b) for b in net.biases),
            update_w=None if self.update_w is None else tuple(frozen_copy(u) for u in self.update_w),
            update_b=None if self.update_b is None else tuple(frozen_copy(u) for u in self.update_b),
            loss=self.last_loss, history=self.history.frozen(), settings=self.settings.to_dict(),
            lesson=lesson, seed=self.seed, generation=generation, message=self.message,
            nudge_step_now=self._nudge,
        )

    def snapshot_at(self, state: TrainerState, previous: TrainerState | None = None, lesson: str = "",
                    generation: int = 0) -> Snapshot:
        """A snapshot of a past ``state`` (from the timeline) while training stands where it is.

        Its history is the full current one (views draw a cursor at the past iteration);
        ΔW is the change from ``previous`` when that is the iteration just before.
        """
        net = self.network
        prev_ok = previous is not None and previous.iteration == state.iteration - 1
        return Snapshot(
            iteration=state.iteration, epoch=state.epoch,
            epoch_progress=state.epoch + state.cursor / max(1, len(state.order)),
            **layout(net), weights=tuple(frozen_copy(w) for w in state.weights),
            biases=tuple(frozen_copy(b) for b in state.biases),
            update_w=tuple(frozen_copy(w - p) for w, p in zip(state.weights, previous.weights)) if prev_ok else None,
            update_b=tuple(frozen_copy(b - p) for b, p in zip(state.biases, previous.biases)) if prev_ok else None,
            loss=state.loss, history=self.history.frozen(), settings=self.settings.to_dict(),
            lesson=lesson, seed=self.seed, generation=generation, live_iteration=self.iteration,
            nudge_step_now=state.nudge_step,
        )
