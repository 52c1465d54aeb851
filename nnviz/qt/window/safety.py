"""Nothing a learner did is lost: the notices and the Undo action for what the session reports.

The training session decides (nnviz.model.session: runs kept per lesson and for undo, the
blow-up watch, continuing from a past iteration); this controller words its reports
(nnviz.model.core.messages) and offers the way back:

- after a reset or a rebuild, the notice bar offers **Undo**; Training ▸ Undo (Shift+R, next
  to R for Reset — Ctrl+Z is the pixel editor's Undo stroke) does the same at any time, and
  again swaps back;
- a blow-up (the loss finite but the network wrecked) or a divergence pauses training and
  the notice names it and offers to roll back;
- the status bar says when Step continued from an earlier iteration (and how many later
  ones were dropped), when an undo brought a run back, and when a lesson came back as left.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot

from ...model.core.messages import (
    blowup_message, continued_message, divergence_message, replaced_message, undo_text, undone_message,
)
from ...model.data.datasets import signed
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
        undo_action.setEnabled(False)  # until the session says there is something to undo
        controller.reported.connect(self.on_report)
        controller.diverged.connect(self.on_diverged)

    @Slot(dict)
    def on_report(self, info: dict) -> None:
        kind = info["kind"]
        if kind == "undo":
            self.undo_action.setText(undo_text(info["what"], info["redo"]))
            self.undo_action.setEnabled(info["what"] is not None)
        elif kind == "replaced" and info["undo"] and info["iteration"]:  # a trained run was replaced
            if info["what"] in ("reset", "rebuild"):
                self.notice.show_notice(replaced_message(info), [(f"Undo {info['what']}", self.controller.undo)])
            else:  # an opened file has its own notice (a lesson file's note): the status bar says it
                self.say(replaced_message(info), NOTICE_MS)
        elif kind == "undone":
            self.notice.hide()
            self.say(undone_message(info), NOTICE_MS)
        elif kind == "edited":
            where = f"the bias of neuron {info['neuron']}" if info["bias"] else \
                f"weight {info['index']} of neuron {info['neuron']}"
            old, new = (info["new"], info["old"]) if info["undone"] else (info["old"], info["new"])
            self.say(f"{'Undid: ' if info['undone'] else ''}{where} (layer {info['layer'] + 1}) "
                     f"{signed(old)} → {signed(new)} at iteration {info['iteration']:,}"
                     f"{' — Ctrl+Z in the weights undoes it' if info['undo'] and not info['undone'] else ''}",
                     NOTICE_MS)
        elif kind == "continued":
            self.say(continued_message(info), NOTICE_MS)
        elif kind == "lesson" and info["restored"]:
            self.say(f"Back to {LESSONS[info['name']].title} at iteration {info['iteration']:,}, as you left it",
                     NOTICE_MS)
        elif kind == "blowup":
            self.on_blowup(info)

    def on_blowup(self, info: dict) -> None:
        """Training paused with the network wrecked: offer the state just before the change."""
        text, short, label = blowup_message(info)
        actions = [(label, lambda: self.roll_back(info))] if label else []
        self.notice.show_notice(text, actions + [("Reset", self.reset)])
        self.tell(short, True)
        self.say(f"Training blew up at iteration {info['iteration']:,}", NOTICE_MS)

    def roll_back(self, info: dict) -> None:
        """Back to the state at the change, with the settings from before it (undoable)."""
        self.controller.resume_from(info["rollback"])
        self.controller.change_settings(**info["cause"]["settings"])

    @Slot(dict)
    def on_diverged(self, info: dict) -> None:
        """Training paused at a non-finite loss; the worker went back to the last finite weights."""
        text, short = divergence_message(info)
        kept, back = info.get("kept"), info.get("rollback")
        actions = [(f"Roll back to iteration {back:,} (lowest loss)", lambda: self.controller.resume_from(back))
                   ] if back is not None and back != kept else []
        self.notice.show_notice(text, actions + [("Reset", self.reset)])
        self.tell(short, True)
        self.say(f"Training diverged at iteration {info['iteration']:,}", NOTICE_MS)
