"""The Guide panel: a lesson's steps (nnviz.model.guide), the current one open, done ones ticked.

It knows nothing of the main window. It asks for things through signals — ``actionRequested``
(a guide action dict, e.g. {"do": "step", "n": 1}, for "Show me") and ``highlightRequested``
(the objectName the current step points at, "" for none; graphics.highlight draws it) — and
learns what the learner did from ``update_facts(facts)``, called every frame: an unchanged
facts dict costs one comparison. ``progressChanged`` fires when the step or a tick changes, so
the app can save ``progress().to_dict()`` per lesson.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from ...model.guide import VIEWED, Guide, GuideProgress
from ..graphics.scrolling import scrolling_column

DONE_COLOUR, CURRENT_COLOUR, TODO_COLOUR = "#2a8a3e", "#123d73", "#555"
STEP_STYLE = "QLabel { padding: 1px 2px; }"
BODY_STYLE = ("#guideBody { background: #eef3fa; border: 1px solid #c5d3e8; border-radius: 4px; }"
              "#guideBody QLabel { color: #1b1b1b; }")


class LessonGuide(QWidget):
    """objectName ``lessonGuide``: ``set_guide``, ``update_facts``, ``show_me``, ``steps``,
    ``progress``; Back / Show me / Next / Restart buttons do the same as ``back``, ``show_me``,
    ``next_step`` and ``restart``."""

    actionRequested = Signal(dict)
    highlightRequested = Signal(str)
    progressChanged = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("lessonGuide")
        self._guide: Guide | None = None
        self._progress: GuideProgress | None = None
        self._facts: dict | None = None
        self._shown_state = None  # (current, done) last drawn
        self._rows: list[QLabel] = []

        self.title_label = QLabel("No guide for this lesson.")
        self.title_label.setObjectName("guideTitle")
        self.title_label.setWordWrap(True)
        self.title_label.setStyleSheet("font-weight: 600;")
        self.progress_label = QLabel("")
        self.progress_label.setObjectName("guideProgress")
        self.progress_label.setStyleSheet("color: #555;")
        self.restart_button = self._button("↺ Restart", "Start the guide again from step 1", self.restart)
        self.restart_button.setFlat(True)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.progress_label, 1)
        top.addWidget(self.restart_button)

        # the open step: its text and whether it is done; moved under the current step's title
        self.body = QWidget()
        self.body.setObjectName("guideBody")
        self.body.setAttribute(Qt.WA_StyledBackground)
        self.body.setStyleSheet(BODY_STYLE)
        self.text_label = QLabel("")
        self.text_label.setObjectName("guideText")
        self.text_label.setWordWrap(True)
        # a step's text is plain prose: escaped into a label that guesses the format, an apostrophe
        # showed as "&#x27;"
        self.text_label.setTextFormat(Qt.PlainText)
        self.text_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.status_label = QLabel("")
        self.status_label.setObjectName("guideStatus")
        self.status_label.setWordWrap(True)
        body_lay = QVBoxLayout(self.body)
        body_lay.setContentsMargins(8, 6, 8, 6)
        body_lay.setSpacing(4)
        body_lay.addWidget(self.text_label)
        body_lay.addWidget(self.status_label)
        self.scroll = scrolling_column([self.body], name="guideSteps")
        self._list = self.scroll.widget().layout()
        self._list.setSpacing(2)

        self.back_button = self._button("Back", "The step before", self.back)
        self.show_button = self._button("Show me", "Let the app do this step", self.show_me)
        self.show_button.setObjectName("guideShowMe")
        self.next_button = self._button("Next", "Skip to the next step", self.next_step)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for b in (self.back_button, self.show_button, self.next_button):
            buttons.addWidget(b)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(4)
        lay.addWidget(self.title_label)
        lay.addLayout(top)
        lay.addWidget(self.scroll, 1)
        lay.addLayout(buttons)
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Expanding)
        self._redraw()

    def _button(self, text: str, tip: str, slot) -> QPushButton:
        b = QPushButton(text)
        b.setToolTip(tip)
        b.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)
        b.clicked.connect(lambda: slot())
        return b

    # -- the public API --------------------------------------------------------------------------

    def set_guide(self, guide: Guide | None, progress: GuideProgress | dict | None = None) -> None:
        """Show ``guide`` (None: no guide), at ``progress`` — a GuideProgress of this guide, or a
        dict saved from ``progress().to_dict()`` (one that does not fit starts afresh)."""
        self._guide, self._facts = guide, None
        if guide is None:
            self._progress = None
        elif isinstance(progress, GuideProgress) and progress.guide == guide:
            self._progress = progress
        else:
            self._progress = GuideProgress.from_dict(guide, progress or {})
        for row in self._rows:
            self._list.removeWidget(row)
            row.deleteLater()
        self._rows = []
        for i, step in enumerate(guide.steps if guide else ()):
            row = QLabel()
            row.setObjectName(f"guideStep{i + 1}")
            row.setWordWrap(True)
            row.setStyleSheet(STEP_STYLE)
            row.setTextFormat(Qt.RichText)
            row.setToolTip(step.text)
            row.linkActivated.connect(lambda _=None, i=i: self.go(i))
            self._list.insertWidget(i, row)
            self._rows.append(row)
        self.title_label.setText(guide.title if guide else "No guide for this lesson.")
        self._shown_state = None
        self._redraw()
        self._point()

    def update_facts(self, facts: dict) -> None:
        """What the learner has done (nnviz.model.guide FACTS); ticks and moves on as checks hold."""
        if self._progress is None or facts == self._facts:
            return
        # a copy one level deep: the app may reuse and mutate its settings dict in place
        self._facts = {k: dict(v) if isinstance(v, dict) else v for k, v in facts.items()}
        self._judge()

    def steps(self) -> list[dict]:
        """Per step: title, text, target (objectName or None), done (bool), current (bool)."""
        if self._progress is None:
            return []
        p = self._progress
        return [{"title": s.title, "text": s.text, "target": s.target, "done": p.done[i], "current": i == p.current}
                for i, s in enumerate(self._guide.steps)]

    def progress(self) -> GuideProgress | None:
        """Where the learner is (``.to_dict()`` to save it); None without a guide."""
        return self._progress

    def current(self) -> int:
        """Index of the current step (len(steps) once the guide is over; -1 without a guide)."""
        return -1 if self._progress is None else self._progress.current

    def show_me(self) -> bool:
        """Perform the current step's action (emit actionRequested); False when it has none."""
        step = None if self._progress is None else self._progress.step
        if step is None or step.action is None:
            return False
        self.highlightRequested.emit(step.target or "")
        self.actionRequested.emit(dict(step.action))
        return True

    def go(self, index: int) -> None:
        if self._progress is not None:
            self._progress.go(index)
            self._moved()

    def next_step(self) -> None:
        if self._progress is not None:
            self._progress.next()
            self._moved()

    def back(self) -> None:
        if self._progress is not None:
            self._progress.back()
            self._moved()

    def restart(self) -> None:
        if self._progress is not None:
            self._progress.restart()
            self._moved()

    # -- drawing ---------------------------------------------------------------------------------

    def _moved(self) -> None:
        """The learner changed the step: judge the new one, redraw, point at its widget."""
        self._judge(moved=True)

    def _judge(self, moved: bool = False) -> None:
        before = self._progress.current
        changed = self._facts is not None and self._progress.advance(self._facts)
        if changed or moved:
            self._redraw()
            self.progressChanged.emit()
        if moved or self._progress.current != before:
            self._point()

    def _point(self) -> None:
        step = None if self._progress is None else self._progress.step
        self.highlightRequested.emit((step.target or "") if step is not None else "")

    def _redraw(self) -> None:
        p = self._progress
        state = None if p is None else p.state()
        if state == self._shown_state and p is not None:
            return
        self._shown_state = state
        n = 0 if p is None else len(p.done)
        for i, row in enumerate(self._rows):
            row.setText(self._row_html(i))
        self.body.setVisible(p is not None)
        self.scroll.setVisible(p is not None)
        for b in (self.back_button, self.show_button, self.next_button, self.restart_button):
            b.setEnabled(p is not None)
        if p is None:
            self.progress_label.setText("")
            return
        done = sum(p.done)
        self.progress_label.setText(f"all {n} steps done" if done == n else
                                    f"step {min(p.current + 1, n)} of {n} · {done} done" if not p.finished else
                                    f"end of the guide · {done} of {n} done")
        self._list.removeWidget(self.body)
        self._list.insertWidget(min(p.current + 1, n), self.body)  # under its title; at the end: last
        step = p.step
        if step is None:
            self.text_label.setText("That was the last step. Restart to go through it again, or click any "
                                    "step to read it once more.")
            self.status_label.setText("")
        else:
            self.text_label.setText(step.text)
            self.status_label.setText(self._status(step, p.done[p.current]))
        self.status_label.setVisible(bool(self.status_label.text()))
        self.back_button.setEnabled(p.current > 0)
        self.show_button.setEnabled(step is not None and step.action is not None)
        self.next_button.setEnabled(not p.finished)
        self.next_button.setText("Finish" if p.current == n - 1 else "Next")
        self._scroll_to_step()

    def _scroll_to_step(self) -> None:
        """The open step's text in view (after the layout has settled), and its title above it:
        scrolled only to the text, the title of a tall step went off the top of the list."""
        QTimer.singleShot(0, self.scroll, self._show_step)

    def _show_step(self) -> None:
        self.scroll.ensureWidgetVisible(self.body, 0, 8)
        p = self._progress
        if p is not None and p.current < len(self._rows):
            self.scroll.ensureWidgetVisible(self._rows[p.current], 0, 4)  # the title wins when both cannot fit

    def showEvent(self, event):
        super().showEvent(event)
        self._scroll_to_step()  # opened on a step far down the list (progress kept from before): its text, not step 1

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._scroll_to_step()

    def _row_html(self, i: int) -> str:
        p, step = self._progress, self._guide.steps[i]
        current = i == p.current
        mark = "✓" if p.done[i] else "▸" if current else "&nbsp;&nbsp;"
        colour = CURRENT_COLOUR if current else DONE_COLOUR if p.done[i] else TODO_COLOUR
        weight = "600" if current else "400"
        return (f"<a href='{i}' style='color:{colour}; text-decoration:none; font-weight:{weight};'>"
                f"{mark} {i + 1}. {html.escape(step.title)}</a>")

    @staticmethod
    def _status(step, done: bool) -> str:
        if (step.check or VIEWED) == VIEWED:
            return ""
        if done:
            return f"<span style='color:{DONE_COLOUR};'>✓ Done.</span> Press Next when you are ready."
        return "Try it yourself" + (", or press Show me." if step.action is not None else ".")
