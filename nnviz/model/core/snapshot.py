"""Immutable snapshots: what the training thread publishes and every view renders."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def frozen_copy(a: np.ndarray) -> np.ndarray:
    """A private, read-only copy: safe to hand to another thread."""
    c = np.array(a, copy=True)
    c.flags.writeable = False
    return c


@dataclass(frozen=True, eq=False)
class Snapshot:
    """The network and training state after some iteration, frozen.

    weights[i]: (sizes[i+1], sizes[i]); biases[i]: (sizes[i+1],); ``update_w`` /
    ``update_b`` are what the last iteration changed (ΔW, same shapes) or None before
    the first step. ``history`` holds read-only column views (see History.frozen).
    """

    iteration: int
    epoch: int
    epoch_progress: float  # completed epochs as a float, e.g. 2.5
    sizes: tuple[int, ...]
    hidden: str
    output: str
    bias: bool
    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]
    update_w: tuple[np.ndarray, ...] | None
    update_b: tuple[np.ndarray, ...] | None
    loss: float  # loss of the last iteration's batch (nan before the first)
    history: dict
    settings: dict
    lesson: str = ""
    seed: int = 0
    generation: int = 0  # bumps on reset / rebuild / load, so views know history restarted
    message: str = ""  # something the learner should read (e.g. "nudge undone, step halved")
    steps_per_second: float = 0.0  # measured by the training thread while running
    live_iteration: int | None = None  # set when this is a past state: where training actually stands
    timeline: tuple = ()  # iterations the timeline keeps (ascending), for the scrubber
    nudge_step_now: float | None = None  # the nudge method's current step (halves after an undo)

    @property
    def rewound(self) -> bool:
        """True when this snapshot shows a past iteration, not the live network."""
        return self.live_iteration is not None and self.live_iteration != self.iteration

    def network(self):
        """A Network sharing this snapshot's (read-only) arrays, for inference on the GUI thread."""
        from .network import Network

        return Network.from_parameters(self.weights, self.biases, self.hidden, self.output, self.bias)
