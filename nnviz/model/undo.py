"""Undo/redo bookkeeping, for whatever a "step" is: a saved image, an edit to replay.

The owner pushes a step before (or as) it changes something; ``undo`` and ``redo`` hand
the step to a function that applies it and returns the step that goes the other way.
"""

from __future__ import annotations

from collections import deque
from typing import Callable, Generic, TypeVar

Step = TypeVar("Step")


class UndoStack(Generic[Step]):
    """Two stacks of steps; ``limit`` keeps only that many on each (None: no limit, 0: none)."""

    def __init__(self, limit: int | None = None):
        self._undo: deque[Step] = deque(maxlen=limit)
        self._redo: deque[Step] = deque(maxlen=limit)
        self.pushes = 0  # new steps ever recorded: how a window tells a new edit from an undo or a redo

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def push(self, step: Step) -> None:
        """Record a new step; a new edit makes the undone ones unreachable, so redo is cleared."""
        self._undo.append(step)
        self._redo.clear()
        self.pushes += 1

    def undo(self, apply: Callable[[Step], Step]) -> bool:
        """Take back the last step: ``apply(step)`` undoes it and returns what redo needs.
        False when there is nothing to undo."""
        return self._move(self._undo, self._redo, apply)

    def redo(self, apply: Callable[[Step], Step]) -> bool:
        """Do the last undone step again: ``apply(step)`` redoes it and returns what undo needs."""
        return self._move(self._redo, self._undo, apply)

    @staticmethod
    def _move(source: deque, target: deque, apply) -> bool:
        if not source:
            return False
        target.append(apply(source.pop()))
        return True


class Undoable:
    """Mixin for an owner that keeps its UndoStack in ``_history``: what its undo / redo
    buttons need to know."""

    _history: UndoStack

    @property
    def can_undo(self) -> bool:
        return self._history.can_undo

    @property
    def can_redo(self) -> bool:
        return self._history.can_redo

    @property
    def pushes(self) -> int:
        return self._history.pushes
