"""One Edit ▸ Undo for everything the learner does, newest first, as desktop programs have.

Four owners keep their own undo steps: the pixel editor's canvas (strokes, clear, invert, a
loaded image), the learner's examples (add, remove), the training session's hand edits (a
weight or bias set by hand) and its runs (a reset, rebuild, opened model or continue-from-here
set the previous run aside). ``EditHistory`` only remembers *which* owner did the learner's
last actions, in order, and hands Undo (Ctrl+Z) and Redo (Ctrl+Shift+Z) to that owner.

A step is tagged with its lesson: each lesson has its own canvas, examples and session, so
Undo in one lesson never reaches into another, and coming back to a lesson finds its steps.
An owner that has dropped a step (a new grid, a new run) makes that entry stale: it is skipped.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from ...model.core.reports import Edited, Replaced, Undone, UndoAvailable
from ...model.core.messages import UNDO_NAMES

#: what the Edit menu calls each owner's step
KIND_NAMES = {"stroke": "drawing", "example": "example change", "weight": "weight set by hand"}


class EditHistory(QObject):
    """``editor``: the PixelEditor; ``examples``: the ExamplesController; ``controller``: the
    TrainingController; ``undo`` / ``redo``: the Edit menu's QActions it drives and names."""

    def __init__(self, editor, examples, controller, undo, redo, parent=None):
        super().__init__(parent)
        self.editor, self.examples, self.controller = editor, examples, controller
        self.undo_action, self.redo_action = undo, redo
        self._done: list[tuple[str, str]] = []  # (kind, lesson), oldest first
        self._undone: list[tuple[str, str]] = []
        self._run: tuple[str | None, bool] = (None, False)  # the session's UndoAvailable: (what, redo)
        self._seen: dict[str, tuple[int, int]] = {}  # kind -> (id of the owner's stack, its pushes)
        self._redoing_weight = 0  # our own redo_edit calls whose Edited report is still to come
        editor.imageChanged.connect(lambda: self._saw_push("stroke", editor.canvas))
        examples.undoStateChanged.connect(lambda *_: self._saw_push("example", examples.examples))
        controller.reported.connect(self._on_report)
        undo.triggered.connect(self.undo)
        redo.triggered.connect(self.redo)
        self._sync()

    # -- what happened ----------------------------------------------------------------------

    def _lesson(self) -> str:
        lesson = self.controller.lesson
        return lesson.name if lesson is not None else ""

    def _saw_push(self, kind: str, owner) -> None:
        """The owner changed: a new step when its count of recorded steps went up (an undo or a
        redo moves steps without recording one; a new owner object starts its own count)."""
        key = (id(owner), owner.pushes)
        last = self._seen.get(kind)
        self._seen[kind] = key
        if owner.pushes and (last is None or last[0] != key[0] or key[1] > last[1]):
            self._record(kind)

    def _on_report(self, report) -> None:
        match report:
            case Edited(undone=False) if self._redoing_weight:
                self._redoing_weight -= 1
            case Edited(undone=False):
                self._record("weight")
            case Replaced(undo=True) if report.iteration:
                self._record("run")
            case UndoAvailable(what=what, redo=redo):
                self._run = (what, redo)
                self._sync()
            case Undone():
                self._sync()

    def _record(self, kind: str) -> None:
        self._done.append((kind, self._lesson()))
        self._undone.clear()  # a new action makes what was undone unreachable, as in any editor
        self._sync()

    # -- Undo and Redo -----------------------------------------------------------------------

    def undo(self) -> bool:
        """Take back the learner's last action in this lesson; False when there is none."""
        return self._move(self._done, self._undone, redo=False)

    def redo(self) -> bool:
        return self._move(self._undone, self._done, redo=True)

    def _move(self, source: list, target: list, redo: bool) -> bool:
        entry = self._last(source, redo)
        if entry is None:
            return False
        source.remove(entry)
        target.append(entry)
        kind = entry[0]
        if kind == "stroke":
            (self.editor.redo if redo else self.editor.undo)()
        elif kind == "example":
            (self.examples.redo if redo else self.examples.undo)()
        elif kind == "weight":
            if redo:
                self._redoing_weight += 1
            self.controller.undo_edit(redo)
        else:
            self.controller.undo()  # the session swaps the runs: the same call undoes and redoes
        self._sync()
        return True

    def _last(self, entries: list, redo: bool, drop: bool = True):
        """The newest entry of this lesson whose owner can still take it; stale ones are dropped
        (when ``drop``: the menu's name only looks)."""
        lesson = self._lesson()
        for entry in reversed(list(entries)):
            if entry[1] != lesson:
                continue
            if self._available(entry[0], redo):
                return entry
            if drop:
                entries.remove(entry)
        return None

    def _available(self, kind: str, redo: bool) -> bool:
        if kind == "stroke":
            canvas = self.editor.canvas
            return canvas.can_redo if redo else canvas.can_undo
        if kind == "example":
            ex = self.examples.examples
            return ex.can_redo if redo else ex.can_undo
        if kind == "run":
            what, swapped = self._run
            return what is not None and swapped == redo
        return True  # hand edits live in the worker's session: their order here is the truth

    def refresh(self) -> None:
        """Name and enable Undo / Redo for the lesson shown (call when it changes)."""
        self._sync()

    def _sync(self) -> None:
        for action, entries, redo, verb in ((self.undo_action, self._done, False, "Undo"),
                                            (self.redo_action, self._undone, True, "Redo")):
            entry = self._last(entries, redo, drop=False)
            kind = entry[0] if entry else None
            action.setEnabled(kind is not None)
            name = UNDO_NAMES.get(self._run[0], self._run[0]) if kind == "run" else KIND_NAMES.get(kind)
            action.setText(f"&{verb} {name}" if name else f"&{verb}")
