"""Optimizers: turn gradients into parameter updates, in place.

Each ``step(params, grads)`` **overwrites grads with the update it applied** and
returns them: the update is what the app shows as ΔW ("what this iteration
changed"), and reusing the gradient buffers saves an allocation per layer per step.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np


class SGD:
    """Plain gradient descent: p ← p − lr·g."""

    name = "sgd"

    def __init__(self, learning_rate: float = 0.01, **_):
        self.learning_rate = float(learning_rate)

    def state(self) -> dict:
        """Copies of everything the next step depends on besides the parameters (for rewinding)."""
        return {}

    def set_state(self, state: dict) -> None:
        """Restore what :meth:`state` returned."""

    def step(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> Sequence[np.ndarray]:
        lr = -self.learning_rate
        for p, g in zip(params, grads):
            np.multiply(g, lr, out=g)
            p += g
        return grads


class Momentum:
    """SGD with (heavy-ball) momentum: v ← μ·v − lr·g; p ← p + v."""

    name = "momentum"

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.9, **_):
        self.learning_rate = float(learning_rate)
        self.momentum = float(momentum)
        self._velocity: list[np.ndarray] | None = None

    def state(self) -> dict:
        return {"velocity": None if self._velocity is None else [v.copy() for v in self._velocity]}

    def set_state(self, state: dict) -> None:
        v = state.get("velocity")
        self._velocity = None if v is None else [a.copy() for a in v]

    def step(self, params, grads):
        if self._velocity is None or any(v.shape != p.shape for v, p in zip(self._velocity, params)):
            self._velocity = [np.zeros_like(p) for p in params]
        lr = -self.learning_rate
        for p, g, v in zip(params, grads, self._velocity):
            v *= self.momentum
            np.multiply(g, lr, out=g)
            v += g
            g[...] = v
            p += v
        return grads


class Adam:
    """Adam (Kingma & Ba): per-parameter steps from running moments of the gradient."""

    name = "adam"

    def __init__(self, learning_rate: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, **_):
        self.learning_rate = float(learning_rate)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self._m: list[np.ndarray] | None = None
        self._v: list[np.ndarray] = []
        self._t = 0

    def state(self) -> dict:
        return {"m": None if self._m is None else [a.copy() for a in self._m],
                "v": [a.copy() for a in self._v], "t": self._t}

    def set_state(self, state: dict) -> None:
        m = state.get("m")
        self._m = None if m is None else [a.copy() for a in m]
        self._v = [a.copy() for a in state.get("v", [])]
        self._t = int(state.get("t", 0))

    def step(self, params, grads):
        if self._m is None or any(m.shape != p.shape for m, p in zip(self._m, params)):
            self._m = [np.zeros_like(p) for p in params]
            self._v = [np.zeros_like(p) for p in params]
            self._t = 0
        self._t += 1
        b1, b2 = self.beta1, self.beta2
        # Bias corrections folded into the step size: one scalar instead of two arrays.
        lr = self.learning_rate * np.sqrt(1 - b2**self._t) / (1 - b1**self._t)
        for p, g, m, v in zip(params, grads, self._m, self._v):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            np.multiply(g, g, out=g)
            g *= 1 - b2
            v += g
            np.sqrt(v, out=g)
            g += self.eps
            np.divide(m, g, out=g)
            g *= -lr
            p += g
        return grads


#: setting name -> optimizer class
OPTIMIZERS: dict[str, Callable[..., object]] = {"sgd": SGD, "momentum": Momentum, "adam": Adam}


def make_optimizer(name: str, learning_rate: float, momentum: float = 0.9):
    """Build the optimizer a settings name refers to."""
    return OPTIMIZERS[name](learning_rate=learning_rate, momentum=momentum)
