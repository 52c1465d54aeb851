"""The Explore dock's tabs: features that show *how* the network learns.

Every tab is an ``ExplorePanel``: a view with the four hooks of
``render.view_protocol`` (``set_lesson``, ``show_snapshot``, ``select_neuron``,
``set_palette``). ``ExploreTabs`` calls ``show_snapshot(snap, frame)`` on the current tab
only, when it is on screen and the snapshot or the painted input (``frame.painted``)
changed — every frame while paused, at most ``LIVE_HZ`` times a second while training
runs, and only if ``live`` is True; ``frame`` may be None (nothing painted). Its
``set_lesson(dataset)`` also comes when the learner's examples change the data.

A panel is built the first time its tab is drawn, and is then given the current lesson,
neuron and palette.

Panels emit ``loadInput`` with an ``(n_inputs,)`` image to put into the editor
and ``statusMessage`` for one-line feedback; they never talk to the worker.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from ..render.view_protocol import LessonView

LIVE_HZ = 4  # refreshes per second of a live tab while training runs


class ExplorePanel(LessonView, QWidget):
    """Base class of the Explore tabs; subclasses override the hooks they need."""

    title = ""  # the tab's label
    live = True  # refresh while training runs (at LIVE_HZ); False: only when paused

    loadInput = Signal(object)  # (n_inputs,) float32 image for the editor
    statusMessage = Signal(str)
