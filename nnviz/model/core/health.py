"""Neuron health: hidden units that stopped learning.

A ReLU unit that outputs 0 for every example is *dead*: its gradient is 0 too, so
nothing will revive it. A sigmoid (or tanh) unit pinned near its limits for almost
every example is *saturated*: σ'(z) ≈ 0 there, so it learns very slowly.

NumPy and the standard library only (no Qt): the activation view draws the result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEAD_TOL = 1e-6  # a ReLU output at or below this counts as "did not fire"
SATURATION = 0.99  # sigmoid above 0.99 or below 0.01; |tanh| above 0.99
SHARE = 0.95  # saturated on at least this share of the examples


@dataclass(frozen=True, eq=False)
class LayerHealth:
    """One hidden layer judged on a sample of n examples.

    dead: (units,) bool — ReLU units whose output is ≤ dead_tol on every example.
    saturated: (units,) bool — sigmoid/tanh units saturated on ≥ ``share`` of the examples.
    share: (units,) float in [0, 1] — for ReLU the share of examples on which the unit did
        not fire; for sigmoid/tanh the share on which it was saturated; 0 otherwise.
    examples: n, the number of examples judged.
    """

    dead: np.ndarray
    saturated: np.ndarray
    share: np.ndarray
    examples: int = 0

    @property
    def n_dead(self) -> int:
        return int(self.dead.sum())

    @property
    def n_saturated(self) -> int:
        return int(self.saturated.sum())


def unit_health(acts_list, hidden: str, dead_tol: float = DEAD_TOL, saturation: float = SATURATION,
                share: float = SHARE) -> list[LayerHealth]:
    """Dead and saturated units of each hidden layer.

    acts_list: one (n, units) array of activations per hidden layer, for the same n
        examples (n ≥ 1); hidden: the hidden activation's name ("relu", "sigmoid",
        "tanh", "linear").
    A ReLU unit is dead when its output is ≤ ``dead_tol`` on all n examples. A sigmoid
    unit is saturated when its output is > ``saturation`` or < 1 − ``saturation`` on at
    least ``share`` of the examples; a tanh unit when |output| > ``saturation`` there.
    NaN outputs (a diverged net) count as neither firing nor saturated. Linear units are
    never flagged. Returns one LayerHealth per layer, in order.
    """
    out = []
    for a in acts_list:
        a = np.asarray(a, dtype=np.float64)
        if a.ndim != 2:
            raise ValueError(f"activations must be (examples, units), got shape {a.shape}")
        units, n = a.shape[1], a.shape[0]
        none = np.zeros(units, dtype=bool)
        if n == 0:
            out.append(LayerHealth(none, none.copy(), np.zeros(units), 0))
            continue
        with np.errstate(invalid="ignore"):
            if hidden == "relu":
                off = (a <= dead_tol).mean(axis=0)
                out.append(LayerHealth(off >= 1.0, none, off, n))
            elif hidden in ("sigmoid", "tanh"):
                pinned = np.abs(a) > saturation if hidden == "tanh" else (a > saturation) | (a < 1.0 - saturation)
                sat = pinned.mean(axis=0)
                out.append(LayerHealth(none, sat >= share, sat, n))
            else:
                out.append(LayerHealth(none, none.copy(), np.zeros(units), n))
    return out


def _hidden_activations(net) -> list[str]:
    """The activation each hidden layer's output went through: an MLP's ``hidden`` for all; in a
    layer stack, maxpool and flatten pass on the one of the layer below (ReLU after a ReLU conv)."""
    names, last = [], "linear"
    for layer in net.spec["layers"][:-1]:
        last = layer.get("activation") or last
        names.append(last)
    return names


def network_health(net, x: np.ndarray, **limits) -> list[LayerHealth]:
    """unit_health of every hidden layer of ``net`` on the sample x (n, inputs); ``limits`` are
    unit_health's dead_tol / saturation / share. A feature map (n, C, H, W) is judged as C·H·W
    units in C, H, W order (each pixel of each map; ``Snapshot.sizes`` counts them the same)."""
    _, acts = net.forward_full(x)
    return [unit_health([a.reshape(len(a), -1)], name, **limits)[0]
            for a, name in zip(acts[1:-1], _hidden_activations(net))]


def channel_health(h: LayerHealth, shape, hidden: str, share: float = SHARE) -> LayerHealth:
    """A feature-map layer's health per channel, from its per-pixel ``h`` (``network_health``;
    shape (C, H, W)). A channel is dead when every pixel of its map is dead (it outputs 0 at
    every position for every example: its kernel gets no gradient at all); saturated when its
    pixels are pinned on at least ``share`` of (example, position) pairs. ``share`` per channel:
    the mean of its pixels' shares — the share of (example, position) pairs that are off / pinned."""
    c = shape[0]
    shares = h.share.reshape(c, -1).mean(axis=1)
    dead = h.dead.reshape(c, -1).all(axis=1)
    saturated = shares >= share if hidden in ("sigmoid", "tanh") else np.zeros(c, dtype=bool)
    return LayerHealth(dead, saturated, shares, h.examples)
