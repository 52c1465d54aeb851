"""The four hooks every panel implements, so the frame renderer draws them all in one loop.

The window and the frame renderer call them on the GUI thread:

- ``set_lesson(dataset)`` when a lesson opens: forget everything that belonged to the one
  before — hover readouts, warnings, plot ranges, selections — so nothing stale stays on
  screen. (The Explore tabs are also told when the learner's examples change the data.)
- ``show_snapshot(snap, frame)``: draw ``snap``, a frozen ``Snapshot`` (possibly a rewound past
  one: everything shown, hovers included, must belong to it). ``frame`` is the ``Frame`` the
  renderer built once for all views, or None (tests, a view drawn on its own).
- ``select_neuron(layer, neuron)``: the learner picked a neuron (layer ≥ 1 as in the weight
  panel: ``weights[layer - 1][neuron]`` are its incoming weights).
- ``set_palette(name)``: another diverging palette (see graphics.palettes.PALETTES).

``follows_input``: the view draws the painted input too; when the learner paints, the
renderer calls its ``show_snapshot`` again with the same snapshot and ``frame.input_only``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(eq=False)
class Frame:
    """What one display frame knows, computed once for every view.

    ``painted``: the editor's image as the network sees it, ``(n_inputs,)`` float32, or None;
    ``painted_key`` changes whenever the painting does; ``slow``: curves and unit health are
    redrawn this frame (every frame while paused, a few times a second while running);
    ``health``: the hidden units' health (core.health), meaningful when ``slow``;
    ``test_accuracy``: of the shown weights on the test split (None while running);
    ``exact``: (exactly right, of) training examples for a lesson with exact targets.
    """

    snap: object
    dataset: object = None
    running: bool = False
    slow: bool = True
    input_only: bool = False
    painted: np.ndarray | None = None
    painted_key: object = None
    blank: bool = False
    steps_per_epoch: float = 1.0
    health: object = None
    test_accuracy: float | None = None
    exact: tuple[int, int] | None = None

    @property
    def layout_key(self) -> tuple:
        """What a view's items are built for: a new one means new items (a rebuild, a lesson)."""
        return tuple(self.snap.sizes), self.snap.hidden, getattr(self.dataset, "name", None)

    @cached_property
    def forward(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """(zs, activations) of the painted image under ``snap`` (batch of 1, input first),
        computed at most once per frame; empty lists when nothing fits the network."""
        if self.painted is None or self.painted.size != self.snap.sizes[0]:
            return [], []
        return self.snap.network().forward_full(self.painted.reshape(1, -1))


class LessonView:
    """Mixin with the four hooks as no-ops; a panel overrides those it needs."""

    follows_input = False

    def set_lesson(self, dataset) -> None:
        """A lesson opened: forget what belonged to the previous one."""

    def show_snapshot(self, snap, frame: Frame | None = None) -> None:
        """Draw this snapshot."""

    def select_neuron(self, layer: int, neuron: int) -> None:
        """The learner selected a neuron elsewhere."""

    def set_palette(self, name: str) -> None:
        """The learner chose another diverging palette."""
