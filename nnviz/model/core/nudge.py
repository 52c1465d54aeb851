"""The smile lesson's training method: nudge each weight on its own, then apply all at once.

"For each weight on its own, nudge it up or down by a step (all others held where
they are) and keep the direction that brings the outputs closer to the targets.
Then apply all those changes at once." No calculus: just 2·P extra loss
evaluations per iteration for P parameters — fine for 12 weights, slow but honest
for 13,002. It needs only ``net.loss``, ``weights``, ``biases`` and ``bias``, so it
nudges every parameter of a layer stack too (each kernel weight of a conv layer).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .networks import NetworkLike


@dataclass(frozen=True)
class NudgeResult:
    """What nudging every parameter taught us, layer by layer.

    ``loss_up[i]`` / ``loss_down[i]`` (shaped like ``weights[i]``) are the loss with
    that one weight moved by +step / −step; ``delta_w[i]`` is the chosen change
    (+step, −step or 0). The ``*_b`` fields are the same for biases (zeros without bias).
    """

    base_loss: float
    loss_up: list[np.ndarray]
    loss_down: list[np.ndarray]
    delta_w: list[np.ndarray]
    loss_up_b: list[np.ndarray]
    loss_down_b: list[np.ndarray]
    delta_b: list[np.ndarray]


def _probe(net: NetworkLike, param: np.ndarray, X, Y, loss: str, step: float):
    """Loss with each entry of ``param`` moved by +step and by −step (others held)."""
    up = np.empty(param.shape, dtype=np.float64)
    down = np.empty(param.shape, dtype=np.float64)
    flat, up_f, down_f = param.reshape(-1), up.reshape(-1), down.reshape(-1)
    for j in range(flat.size):
        old = flat[j]
        flat[j] = old + step
        up_f[j] = net.loss(X, Y, loss)
        flat[j] = old - step
        down_f[j] = net.loss(X, Y, loss)
        flat[j] = old
    return up, down


def _choose(base: float, up: np.ndarray, down: np.ndarray, step: float, dtype) -> np.ndarray:
    # Keep a direction only if it lowers the loss; on a tie between up and down, stay.
    delta = np.zeros(up.shape, dtype=dtype)
    better_up = (up < base) & (up < down)
    better_down = (down < base) & (down < up)
    delta[better_up] = step
    delta[better_down] = -step
    return delta


def nudge_deltas(net: NetworkLike, X: np.ndarray, Y: np.ndarray, loss: str, step: float) -> NudgeResult:
    """Try ±step on every parameter of ``net`` separately; return losses and chosen changes.

    X: (n, sizes[0]) the training sample; Y: its labels/targets. ``net`` is unchanged.
    """
    base = net.loss(X, Y, loss)
    ups, downs, dws, ups_b, downs_b, dbs = [], [], [], [], [], []
    for w, b in zip(net.weights, net.biases):
        up, down = _probe(net, w, X, Y, loss, step)
        ups.append(up), downs.append(down), dws.append(_choose(base, up, down, step, w.dtype))
        if net.bias:
            up_b, down_b = _probe(net, b, X, Y, loss, step)
        else:
            up_b = down_b = np.full(b.shape, base)
        ups_b.append(up_b), downs_b.append(down_b), dbs.append(_choose(base, up_b, down_b, step, b.dtype))
    return NudgeResult(base, ups, downs, dws, ups_b, downs_b, dbs)


@dataclass(frozen=True)
class NudgeStep:
    """Outcome of one nudge iteration.

    ``accepted`` is False when applying every change at once made the loss worse:
    the changes were then undone and the step halved for the next iteration (the
    lesson's "apply them all at once, then evaluate again" — and what to do when
    evaluating again says it was too bold). ``loss_after`` is the loss after the
    iteration (equal to ``result.base_loss`` when not accepted).
    """

    result: NudgeResult
    step: float
    accepted: bool
    loss_after: float
    next_step: float


def nudge_step(net: NetworkLike, X: np.ndarray, Y: np.ndarray, loss: str, step: float,
               backtrack: bool = True) -> NudgeStep:
    """One iteration of the nudge method: decide every change alone, then apply all at once.

    X: (n, sizes[0]) the training sample; Y: its targets. With ``backtrack`` a combined
    move that raises the loss is undone and ``next_step`` is half of ``step``.
    """
    result = nudge_deltas(net, X, Y, loss, step)
    for w, b, dw, db in zip(net.weights, net.biases, result.delta_w, result.delta_b):
        w += dw
        b += db
    after = net.loss(X, Y, loss)
    if backtrack and after > result.base_loss:
        for w, b, dw, db in zip(net.weights, net.biases, result.delta_w, result.delta_b):
            w -= dw
            b -= db
        return NudgeStep(result, step, False, result.base_loss, step / 2)
    return NudgeStep(result, step, True, after, step)
