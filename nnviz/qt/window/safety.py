"""Nothing a learner did is lost: the notices and the Undo action for what the session reports.

The training session decides (nnviz.model.session: runs kept per lesson and for undo, the
blow-up watch, continuing from a past iteration); this controller words its reports
(nnviz.model.core.messages) and offers the way back:

- after a reset or a rebuild, the notice bar offers **Undo**; Training ▸ Undo (Shift+R, next
  to R for Reset) does the same at any time, and again swaps back; Edit ▸ Undo (Ctrl+Z,
  window/edit_history.py) reaches it too, in the order of everything the learner did;
- a blow-up (the loss finite but the network wrecked) or a divergence pauses training and
  the notice names it and offers to roll back;
- the status bar says when Step continued from an earlier iteration (and how many later
  ones were dropped), when an undo brought a run back, and when a lesson came back as left.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from ...model.core.messages import (
    blowup_message, continued_message, divergence_message, edited_message, replaced_message, undo_text,
    undone_message,
)
from ...model.core.reports import (
    BlowUp, Continued, Diverged, Edited, LessonChanged, Replaced, Report, UndoAvailable, Undone,
)
from ...model.lessons import LESSONS

NOTICE_MS = 10000  # how long a status line about what happened stays


class SafetyController(QObject):
    """``controller``: the TrainingController; ``notice``: the NoticeBar; ``undo_action``: the
    Training ▸ Undo QAction; ``say(text, ms)``: the status bar; ``tell(text, error)``: the
    training panel's message line; ``reset()``: the window's Reset (with the panel's seed)."""

    def __init__(self, controller, notice, undo_action, say, tell, reset, parent=None):
        super().__init__(parent)
        self.controller, self.notice, self.undo_action = controller, notice, undo_action
        self.say, self.tell, self.reset = say, tell, reset
        self._told = False  # the panel's line says training blew up or diverged
        undo_action.setEnabled(False)  # until the session says there is something to undo
        controller.reported.connect(self.on_report)

    def on_report(self, report: Report) -> None:
        if self._told and isinstance(report, (Continued, Undone, Replaced, LessonChanged)):
            self.tell("", False)  # that run is not the one on screen any more: its alarm is stale
            self._told = False
        match report:
            case UndoAvailable(what=what, redo=redo):
                self.undo_action.setText(undo_text(what, redo))
                self.undo_action.setEnabled(what is not None)
            case Replaced(undo=True) if report.iteration:  # a trained run was replaced
                if report.what in ("reset", "rebuild"):
                    self.notice.show_notice(replaced_message(report), [(f"Undo {report.what}", self.controller.undo)])
                else:  # an opened file has its own notice (a lesson file's note): the status bar says it
                    self.say(replaced_message(report), NOTICE_MS)
            case Undone():
                self.notice.hide()
                self.say(undone_message(report), NOTICE_MS)
            case Edited():
                self.say(edited_message(report), NOTICE_MS)
            case Continued():
                self.say(continued_message(report), NOTICE_MS)
            case LessonChanged(restored=True):
                self.say(f"Back to {LESSONS[report.name].title} at iteration {report.iteration:,}, as you left it",
                         NOTICE_MS)
            case BlowUp():
                self.on_blowup(report)
            case Diverged():
                self.on_diverged(report)

    def on_blowup(self, info: BlowUp) -> None:
        """Training paused with the network wrecked: offer the state just before the change."""
        text, short, label = blowup_message(info)
        actions = [(label, lambda: self.roll_back(info))] if label else []
        self.notice.show_notice(text, actions + [("Reset", self.reset)])
        self.tell(short, True)
        self._told = True
        self.say(f"Training blew up at iteration {info.iteration:,}", NOTICE_MS)

    def roll_back(self, info: BlowUp) -> None:
        """Back to the state at the change, with the settings from before it (undoable)."""
        self.controller.resume_from(info.rollback)
        self.controller.change_settings(**info.cause["settings"])

    def on_diverged(self, info: Diverged) -> None:
        """Training paused at a non-finite loss; the worker went back to the last finite weights."""
        text, short = divergence_message(info)
        kept, back = info.kept, info.rollback
        actions = [(f"Roll back to iteration {back:,} (lowest loss)", lambda: self.controller.resume_from(back))
                   ] if back is not None and back != kept else []
        self.notice.show_notice(text, actions + [("Reset", self.reset)])
        self.tell(short, True)
        self._told = True
        self.say(f"Training diverged at iteration {info.iteration:,}", NOTICE_MS)
