"""The Explore dock's tabs: features that show *how* the network learns.

Every tab is an ``ExplorePanel``: a view with the four hooks of
``graphics.view_protocol`` (``set_lesson``, ``show_snapshot``, ``select_neuron``,
``set_palette``). ``ExploreTabs`` calls ``show_snapshot(snap, frame)`` on the current tab
only, when it is on screen and the snapshot or the painted input (``frame.painted``)
changed — every frame while paused, at most ``LIVE_HZ`` times a second while training
runs, and only if ``live`` is True; ``frame`` may be None (nothing painted). Its
``set_lesson(dataset)`` also comes when the learner's examples change the data.

A panel is built the first time its tab is drawn, and is then given the current lesson,
neuron and palette.

A tab that cannot work for the network shown says why in one sentence (``show_note``):
everything else on it is hidden, so no picture of another lesson stays on screen.

Panels emit ``loadInput`` with an ``(n_inputs,)`` image to put into the editor
and ``statusMessage`` for one-line feedback; they never talk to the worker.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QLayout, QWidget

from ..graphics.view_protocol import LessonView

LIVE_HZ = 4  # refreshes per second of a live tab while training runs


def _layout_widgets(layout: QLayout):
    """The widgets in ``layout`` and in its nested layouts, in order."""
    for i in range(layout.count()):
        item = layout.itemAt(i)
        if item.widget() is not None:
            yield item.widget()
        elif item.layout() is not None:
            yield from _layout_widgets(item.layout())


class ExplorePanel(LessonView, QWidget):
    """Base class of the Explore tabs; subclasses override the hooks they need."""

    title = ""  # the tab's label
    live = True  # refresh while training runs (at LIVE_HZ); False: only when paused

    loadInput = Signal(object)  # (n_inputs,) float32 image for the editor
    statusMessage = Signal(str)

    @staticmethod
    def applies_to(dataset) -> bool:
        """Whether the tab belongs in a lesson on ``dataset`` (ExploreTabs shows it only there)."""
        return True

    _note: QLabel | None = None
    _hidden_by_note: list | None = None  # what the note hides while it shows (None: no note)

    def show_note(self, text: str | None) -> None:
        """Say in a sentence why this tab shows nothing here, hiding the rest of it (None: show it
        all again)."""
        if text is None:
            if self._hidden_by_note is not None:
                self._note.setVisible(False)
                for w in self._hidden_by_note:
                    w.setVisible(True)
                self._hidden_by_note = None
            return
        if self._note is None:
            self._note = QLabel()
            self._note.setObjectName("exploreNote")
            self._note.setWordWrap(True)
            self._note.setTextFormat(Qt.RichText)
            self._note.setStyleSheet("padding: 8px; color: #333;")
            self._note.setAlignment(Qt.AlignLeft | Qt.AlignTop)
            self.layout().insertWidget(0, self._note)
        if self._hidden_by_note is None:
            self._hidden_by_note = [w for w in _layout_widgets(self.layout()) if w is not self._note
                                    and not w.isHidden()]
            for w in self._hidden_by_note:
                w.setVisible(False)
            self._note.setVisible(True)
        if self._note.text() != text:
            self._note.setText(text)
        # room to spare goes under the sentence, not around it
        self.layout().setStretchFactor(self._note, 1)

    def note_text(self) -> str | None:
        """The sentence shown instead of the tab's content, or None when the tab works here."""
        return self._note.text() if self._hidden_by_note is not None else None
