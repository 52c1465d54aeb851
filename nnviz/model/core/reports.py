"""What training tells the learner: one frozen dataclass per kind of report.

The session queues them (``TrainingSession.take_reports``), the worker sends them to the GUI
on one stream (``TrainingWorker.reported``), and the window's controllers match on the type.
``core/messages.py`` words them. Iterations are the trainer's counters; a ``what`` names the
command that replaced a run ("reset", "rebuild", "open", "continue", "restart").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Report:
    """Base of every report (so a stream can be typed by it)."""


@dataclass(frozen=True)
class UndoAvailable(Report):
    """What Undo would do now: bring back the run ``what`` replaced (None: nothing to undo),
    or, when ``redo``, swap back to the run an undo set aside."""

    what: str | None
    redo: bool = False


@dataclass(frozen=True)
class Replaced(Report):
    """A command replaced the run; the one before (at ``iteration``) is kept when ``undo``."""

    what: str
    iteration: int
    undo: bool


@dataclass(frozen=True)
class Undone(Report):
    """Undo (or redo, when ``redo``) brought back the run from before/after ``what``."""

    what: str
    redo: bool
    iteration: int


@dataclass(frozen=True)
class Continued(Report):
    """Training went on from an earlier ``iteration``; the ``dropped`` later ones are kept for undo."""

    iteration: int
    dropped: int


@dataclass(frozen=True)
class Edited(Report):
    """A weight (or a bias, when ``bias``) set by hand, or that edit ``undone``; ``undo`` / ``redo``:
    whether there is an edit to undo / redo now (hand_edits.py)."""

    layer: int
    neuron: int
    index: int
    bias: bool
    old: float
    new: float
    iteration: int
    undone: bool
    undo: bool
    redo: bool


@dataclass(frozen=True)
class LessonChanged(Report):
    """The lesson ``name`` is on, ``restored`` as the learner left it (at ``iteration``) or fresh."""

    name: str
    restored: bool
    iteration: int


@dataclass(frozen=True)
class BlowUp(Report):
    """Training paused with the loss finite but the network wrecked (blowup_watch.py).

    ``how``: "jumped" (the loss far above its level) or "undone" (back at the untrained level);
    ``loss``: the loss that fired; ``reference``: the level before the change (None: unknown);
    ``start``: the first loss after it; ``cause``: {"iteration", "changes", "settings"} of the
    settings change that armed the watch, or None; ``chance``: the loss of equal odds, when that
    is the level compared with; ``rollback``: the iteration to go back to (None: none kept).
    """

    how: str
    iteration: int
    loss: float
    reference: float | None
    start: float
    cause: dict | None
    chance: float | None = None
    rollback: int | None = None


@dataclass(frozen=True)
class Diverged(Report):
    """Training paused at a non-finite ``loss`` at ``iteration``; the weights went back to the newest
    finite ones kept (``kept``, None: none); ``rollback`` has the lowest loss kept (None: none)."""

    iteration: int
    loss: float
    kept: int | None
    rollback: int | None


@dataclass(frozen=True)
class Opened(Report):
    """A model file at ``path`` was installed."""

    path: str


@dataclass(frozen=True)
class OpenFailed(Report):
    """A model file at ``path`` could not be installed (a Refused report says why)."""

    path: str


@dataclass(frozen=True)
class Refused(Report):
    """A command could not be carried out: ``message`` says why, for the learner; nothing changed."""

    message: str


@dataclass(frozen=True)
class Saved(Report):
    """The model was written to ``path``."""

    path: str
