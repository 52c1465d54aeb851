"""Learning-rate probe: how far along the negative gradient is a good step?

At the current weights, on a fixed batch, take the gradient g of the loss with
respect to every trainable parameter once, then evaluate the loss at
θ − rate·g for a log-spaced range of rates. A tiny rate barely moves (the loss falls
by about rate·|g|², the first-order prediction), a good one drops the loss most, a
huge one overshoots — the loss rises or overflows to inf/NaN, which is kept as such.

This is one plain gradient step (no momentum, no Adam state, no L2 penalty, no
dropout): it shows what the learning rate means for the very next step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .nudge_vs_gradient import training_sample
from ..data.datasets import Dataset
from ..core.networks import NetworkLike
from ..core.settings import MAX_LEARNING_RATE

#: mnist-sized datasets are probed on a fixed sample of this many training examples
PROBE_SAMPLE = 512
#: ... and a conv stack on fewer: its 32 forward passes on 512 mnist images held the window ~1.3 s
CONV_PROBE_SAMPLE = 128
#: up to the largest rate the setting takes: a best step of 100 was one the learner could not set
RATE_RANGE = (1e-4, MAX_LEARNING_RATE)
PER_DECADE = 5

#: a rate whose loss decrease is below this share of the best decrease found "crawls"
CRAWL_SHARE = 0.1

VERDICTS = {
    "explodes": "explodes",
    "overshoots": "overshoots: the loss goes up",
    "crawls": "crawls",
    "good": "a good step",
    "flat": "nothing to learn here: the gradient is zero",
}


def default_rates(lo: float = RATE_RANGE[0], hi: float = RATE_RANGE[1], per_decade: int = PER_DECADE) -> np.ndarray:
    """Log-spaced rates from lo to hi inclusive, ``per_decade`` per factor of ten."""
    n = int(round(math.log10(hi / lo) * per_decade)) + 1
    return np.logspace(math.log10(lo), math.log10(hi), n)


@dataclass(frozen=True)
class LrProbe:
    """Loss after one gradient step of each size. rates, losses: float64 (n,)."""

    rates: np.ndarray
    losses: np.ndarray  # inf / NaN where the step blew the network up
    base_loss: float  # loss at the current weights
    grad_norm_sq: float  # |g|², over all trainable parameters
    current_rate: float
    current_loss: float  # loss after one step of the current rate
    n_examples: int = 0  # the batch the losses are measured on

    @property
    def best_index(self) -> int | None:
        """Index of the lowest finite loss, or None when every step blew up."""
        finite = np.isfinite(self.losses)
        if not finite.any():
            return None
        return int(np.flatnonzero(finite)[np.argmin(self.losses[finite])])

    @property
    def best_rate(self) -> float:
        i = self.best_index
        return math.nan if i is None else float(self.rates[i])

    @property
    def best_loss(self) -> float:
        i = self.best_index
        return math.nan if i is None else float(self.losses[i])

    def verdict(self) -> str:
        """A key of VERDICTS for the current rate: explodes, overshoots, crawls, good (or flat)."""
        if not (self.grad_norm_sq > 0):
            return "flat" if self.grad_norm_sq == 0 else "explodes"
        if not math.isfinite(self.current_loss):
            return "explodes"
        if self.current_loss > self.base_loss:
            return "overshoots"
        best_drop = self.base_loss - min(self.best_loss, self.current_loss)
        drop = self.base_loss - self.current_loss
        if best_drop > 0 and drop < CRAWL_SHARE * best_drop:
            return "crawls"
        return "good"


def _parameters(net: NetworkLike) -> list[np.ndarray]:
    return list(net.weights) + (list(net.biases) if net.bias else [])


def loss_after_step(net: NetworkLike, grads: list[np.ndarray], X, Y, loss: str, rate: float) -> float:
    """Loss of ``net`` with every parameter moved by −rate·gradient (``net`` itself unchanged)."""
    moved = net.copy()
    with np.errstate(all="ignore"):
        for p, g in zip(_parameters(moved), grads):
            p -= np.asarray(rate * g.astype(np.float64), dtype=p.dtype)
        value = float(moved.loss(X, Y, loss))
    return value


def probe_learning_rates(net: NetworkLike, X: np.ndarray, Y: np.ndarray, loss: str, current_rate: float,
                         rates: np.ndarray | None = None) -> LrProbe:
    """The loss along the negative gradient at each rate. X: (n, sizes[0]); Y as the loss wants.

    Never raises on overflow: a step that blows up records inf or NaN. ``net`` is unchanged.
    """
    rates = default_rates() if rates is None else np.asarray(rates, dtype=np.float64)
    with np.errstate(all="ignore"):
        base, dW, db = net.gradients(X, Y, loss)
    grads = list(dW) + (list(db) if net.bias else [])
    norm_sq = float(sum(np.sum(np.square(g, dtype=np.float64)) for g in grads))
    losses = np.array([loss_after_step(net, grads, X, Y, loss, r) for r in rates], dtype=np.float64)
    current = loss_after_step(net, grads, X, Y, loss, float(current_rate))
    return LrProbe(rates, losses, float(base), norm_sq, float(current_rate), current, len(X))


def probe_sample(snap) -> int:
    """How many training examples the probe of ``snap`` uses: PROBE_SAMPLE, CONV_PROBE_SAMPLE for a conv stack."""
    return PROBE_SAMPLE if snap.is_mlp else CONV_PROBE_SAMPLE


def probe_snapshot(snap, dataset: Dataset, rates: np.ndarray | None = None,
                   sample: int | None = None) -> LrProbe:
    """:func:`probe_learning_rates` for a frozen snapshot on a fixed sample of its training data
    (``probe_sample(snap)`` examples unless ``sample`` says)."""
    X, Y = training_sample(dataset, probe_sample(snap) if sample is None else sample)
    s = snap.settings
    return probe_learning_rates(snap.network(), X, Y, s.get("loss", "cross_entropy"),
                                float(s.get("learning_rate", 0.01)), rates)
