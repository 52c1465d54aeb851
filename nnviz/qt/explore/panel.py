"""The Explore dock's tabs: features that show *how* the network learns.

Every tab is an ``ExplorePanel``. The main window owns them and calls, on the GUI
thread:

- ``set_lesson(dataset)`` when a lesson opens or its data changes (a ``Dataset``
  with ``image_shape``, ``class_names``, ``task`` and the train/test splits);
- ``show_snapshot(snap, painted)`` when the tab is visible and the snapshot or the
  painted input changed — every frame while paused, at most ``LIVE_HZ`` times a
  second while training runs, and only if ``live`` is True. ``snap`` is a frozen
  ``Snapshot`` (possibly a rewound past one), ``painted`` the editor's image as a
  float32 ``(n_inputs,)`` array;
- ``select_neuron(layer, neuron)`` when the learner picks a neuron (layer ≥ 1 as in
  the weight panel: ``weights[layer - 1][neuron]`` are its incoming weights);
- ``set_palette(name)`` when the learner picks another palette.

A panel is built the first time its tab is drawn, and is then given the current lesson,
neuron and palette.

Panels emit ``loadInput`` with an ``(n_inputs,)`` image to put into the editor
and ``statusMessage`` for one-line feedback; they never talk to the worker.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

LIVE_HZ = 4  # refreshes per second of a live tab while training runs


class ExplorePanel(QWidget):
    """Base class of the Explore tabs; subclasses override the three hooks."""

    title = ""  # the tab's label
    live = True  # refresh while training runs (at LIVE_HZ); False: only when paused

    loadInput = Signal(object)  # (n_inputs,) float32 image for the editor
    statusMessage = Signal(str)

    def set_lesson(self, dataset) -> None:  # noqa: D401 - hook
        """A lesson opened (or its data changed)."""

    def show_snapshot(self, snap, painted) -> None:
        """Render for this snapshot and painted input."""

    def select_neuron(self, layer: int, neuron: int) -> None:
        """The learner selected a neuron elsewhere."""

    def set_palette(self, name: str) -> None:
        """The learner chose another diverging palette (see palettes.PALETTES)."""
