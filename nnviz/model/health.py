"""Neuron health: hidden units that stopped learning.

A ReLU unit that outputs 0 for every example is *dead*: its gradient is 0 too, so
nothing will revive it. A sigmoid (or tanh) unit pinned near its limits for almost
every example is *saturated*: σ'(z) ≈ 0 there, so it learns very slowly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEAD_TOL = 1e-6
SATURATION = 0.99  # sigmoid above 0.99 or below 0.01; |tanh| above 0.99
SHARE = 0.95  # saturated on at least this share of the examples


@dataclass(frozen=True, eq=False)
class LayerHealth:
    """One hidden layer on a sample: ``dead`` and ``saturated`` bool masks (units,), and the
    share of examples on which each unit was inactive (ReLU) or saturated (sigmoid/tanh)."""

    dead: np.ndarray
    saturated: np.ndarray
    share: np.ndarray


def unit_health(hidden_acts, hidden: str) -> list[LayerHealth]:
    """hidden_acts: one (n, units) activation array per hidden layer; hidden: the activation name."""
    out = []
    for a in hidden_acts:
        a = np.asarray(a, dtype=np.float64)
        if hidden == "relu":
            off = (a <= DEAD_TOL).mean(axis=0)
            out.append(LayerHealth(off >= 1.0, np.zeros(a.shape[1], bool), off))
        elif hidden in ("sigmoid", "tanh"):
            lo = 1 - SATURATION if hidden == "sigmoid" else -SATURATION
            sat = ((a > SATURATION) | (a < lo)).mean(axis=0)
            out.append(LayerHealth(np.zeros(a.shape[1], bool), sat >= SHARE, sat))
        else:
            out.append(LayerHealth(np.zeros(a.shape[1], bool), np.zeros(a.shape[1], bool), np.zeros(a.shape[1])))
    return out


def network_health(net, x: np.ndarray) -> list[LayerHealth]:
    """unit_health of every hidden layer of ``net`` on the sample x (n, inputs)."""
    _, acts = net.forward_full(x)
    return unit_health(acts[1:-1], net.hidden)
