"""The timeline scrubber: move every view to a past iteration, then continue from there.

The worker keeps past trainer states (nnviz.model.core.timeline); each paused snapshot
lists the kept iterations. The slider is an iteration axis, like the curves' (40% of the
way is 40% of the training), so after a long run the densely kept recent states share a
few pixels: the keys step through *kept* states one by one — ← and → (or , and .) — and
clicking a curve jumps to the kept iteration nearest the click. "Continue from here"
makes the shown state the live network (later states are dropped).

Keys: → is also the window's Step. While the learner looks at the past (rewound) or the
slider has the focus, → goes one kept state forward — at the live end it is Step again —
so walking back and forth never trains by surprise; ← always goes one kept state back
(while paused). A text or number field keeps its arrow keys.
"""

from __future__ import annotations

import bisect

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QColor, QKeySequence, QPainter, QPen, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView, QAbstractSpinBox, QApplication, QComboBox, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit,
    QPushButton, QSizePolicy, QSlider, QStyle, QStyleOptionSlider, QTextEdit, QToolTip, QWidget,
)

from ..graphics.view_protocol import LessonView

MIN_SLIDER = 200  # pixels: the scrubber stays long enough to aim at
MARK = QColor(200, 100, 0)
#: widgets whose arrow keys are their own (moving a text cursor, a selection, a value)
OWN_ARROWS = (QLineEdit, QAbstractSpinBox, QTextEdit, QPlainTextEdit, QAbstractItemView, QComboBox)
SLIDER_KEYS = {Qt.Key_Left: -1, Qt.Key_Right: 1, Qt.Key_Comma: -1, Qt.Key_Period: 1, Qt.Key_PageUp: -10,
               Qt.Key_PageDown: 10, Qt.Key_Home: -10**9, Qt.Key_End: 10**9}
SETTING_NAMES = {"learning_rate": "learning rate", "batch_size": "batch size", "nudge_step": "nudge step"}


def settings_change(old: dict, new: dict) -> str:
    """One line naming what changed between two settings dicts, e.g. "learning rate 0.01 → 0.1"."""
    parts = [f"{SETTING_NAMES.get(k, k)} {old.get(k)} → {new[k]}" for k in new if old.get(k) != new[k]]
    return ", ".join(parts)


class KeptSlider(QSlider):
    """The scrubber: its keys and wheel move by kept states (``TimelineBar.step_kept``), it claims
    the arrow keys from the window's shortcuts while focused, and it marks settings changes."""

    def __init__(self, bar: "TimelineBar"):
        super().__init__(Qt.Horizontal, bar)
        self.bar = bar
        self.setMinimumWidth(MIN_SLIDER)
        self.setFocusPolicy(Qt.StrongFocus)

    def event(self, e):
        if e.type() == QEvent.ShortcutOverride and e.key() in SLIDER_KEYS and not _modified(e):
            e.accept()  # the key comes here as a key press, not to the Step shortcut
            return True
        if e.type() == QEvent.ToolTip:
            mark = self.mark_at(e.pos().x())
            QToolTip.showText(e.globalPos(), mark or self.toolTip(), self)
            return True
        return super().event(e)

    def keyPressEvent(self, e):
        if e.key() in SLIDER_KEYS and not _modified(e):
            self.bar.step_kept(SLIDER_KEYS[e.key()])
        else:
            super().keyPressEvent(e)

    def wheelEvent(self, e):
        if self.isEnabled() and e.angleDelta().y():
            self.bar.step_kept(-1 if e.angleDelta().y() > 0 else 1)
        e.accept()

    def x_of(self, iteration: int) -> int:
        """Pixel column of an iteration on the groove."""
        opt = QStyleOptionSlider()
        self.initStyleOption(opt)
        groove = self.style().subControlRect(QStyle.CC_Slider, opt, QStyle.SC_SliderGroove, self)
        handle = self.style().subControlRect(QStyle.CC_Slider, opt, QStyle.SC_SliderHandle, self)
        span = groove.width() - handle.width()
        pos = QStyle.sliderPositionFromValue(self.minimum(), self.maximum(), int(iteration), span)
        return groove.x() + handle.width() // 2 + pos

    def mark_at(self, x: float) -> str:
        """The settings change drawn within a few pixels of column x, or ''."""
        near = [(abs(self.x_of(i) - x), text) for i, text in self.bar.marks.items()
                if self.minimum() <= i <= self.maximum()]
        near = [n for n in near if n[0] <= 4]
        return f"settings changed: {min(near)[1]}" if near else ""

    def paintEvent(self, e):
        super().paintEvent(e)
        if not self.bar.marks:
            return
        p = QPainter(self)
        p.setPen(QPen(MARK, 2))
        for i in self.bar.marks:
            if self.minimum() <= i <= self.maximum():
                x = self.x_of(i)
                p.drawLine(x, self.height() - 5, x, self.height() - 1)
                p.drawLine(x, 0, x, 3)
        p.end()


def _modified(e) -> bool:
    return bool(e.modifiers() & ~Qt.KeypadModifier)


class ElidedLabel(QLabel):
    """A one-line label that never asks for more width: it shows the first of its texts that fits
    (``set_texts``: the full one, then shorter ones), else the shortest ended with "…"."""

    def __init__(self, text="", parent=None):
        super().__init__(text, parent)
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)
        self.setMinimumWidth(110)
        self._shorter: tuple = ()

    def set_texts(self, full: str, *shorter: str) -> None:
        self._shorter = shorter
        self.setText(full)  # text() stays the full sentence (the tooltip shows it too)
        self.update()

    def minimumSizeHint(self):
        return self.minimumSize().expandedTo(super().minimumSizeHint().boundedTo(self.minimumSize()))

    def shown_text(self) -> str:
        """What is painted at the label's current width."""
        width, m = self.contentsRect().width(), self.fontMetrics()
        texts = (self.text(), *self._shorter)
        fitting = [t for t in texts if m.horizontalAdvance(t) <= width]
        return fitting[0] if fitting else m.elidedText(texts[-1], Qt.ElideRight, width)

    def paintEvent(self, _):
        p = QPainter(self)
        p.drawText(self.contentsRect(), Qt.AlignLeft | Qt.AlignVCenter, self.shown_text())
        p.end()


class TimelineBar(LessonView, QWidget):
    """objectName ``timelineBar``: slider over the kept iterations, Live and Continue buttons,
    orange marks where the settings changed."""

    previewRequested = Signal(int)  # show this past iteration
    resumeRequested = Signal(int)  # continue training from it

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("timelineBar")
        self.iterations: tuple = ()
        self._timeline = None  # the snapshot timeline ``iterations`` was read from
        self._styled_rewound = None  # the label's style is for this rewound state (None: not styled yet)
        self.marks: dict[int, str] = {}  # iteration -> what changed there (seen in the live snapshots)
        self.live_iteration = 0
        self.shown_iteration = 0
        self.rewound = False
        self._updating = False
        self._requested = None
        self._seen = None  # ((lesson, sizes), generation, settings, iteration, hand edits) last seen live
        self.slider = KeptSlider(self)
        self.slider.setObjectName("timelineSlider")
        self.slider.setToolTip("Rewind: drag to a past iteration, or click the curves; ← and → (or , and .) "
                               "step through the kept states one by one. Orange marks: settings changed. "
                               "Every view follows.")
        self.slider.valueChanged.connect(self._moved)
        self.label = ElidedLabel("timeline")
        self.label.setMinimumWidth(100)
        self.live_button = QPushButton("Live")
        self.live_button.setToolTip("Back to the network as training left it")
        self.live_button.clicked.connect(lambda: self._request(self.live_iteration, force=True))
        self.resume_button = QPushButton("Continue from here")
        self.resume_button.setObjectName("resumeButton")
        self.resume_button.setToolTip("Make this past iteration the live network and train on from it "
                                      "(with the current settings); later iterations are forgotten")
        self.resume_button.clicked.connect(lambda: self.resumeRequested.emit(self.shown_iteration))
        self.live_button.setMinimumWidth(self.live_button.fontMetrics().horizontalAdvance("Live") + 24)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 2, 8, 2)
        lay.addWidget(self.slider, 1)  # no "Timeline" word: the room is the slider's; its tooltip says it
        lay.addWidget(self.label)
        lay.addWidget(self.live_button)
        lay.addWidget(self.resume_button)
        for key, step in ((Qt.Key_Left, -1), (Qt.Key_Comma, -1), (Qt.Key_Period, 1)):
            QShortcut(QKeySequence(key), self, lambda s=step: self.step_kept(s), context=Qt.WindowShortcut)
        self._keys = RewoundKeys(self)

    def set_lesson(self, dataset) -> None:
        """A new lesson: no marks or kept iterations of the previous one."""
        self.marks, self._seen, self.iterations, self._timeline, self._requested = {}, None, (), None, None
        self.update()

    def show_snapshot(self, snap, frame=None, *, running: bool = False) -> None:
        """Reflect the kept iterations and which one is shown (no signals echo back);
        ``running`` is the frame's when there is one."""
        running = frame.running if frame is not None else running
        if frame is not None and frame.input_only:
            return
        self.live_iteration = snap.live_iteration if snap.live_iteration is not None else snap.iteration
        self.shown_iteration = snap.iteration
        self.rewound = rewound = snap.rewound
        self._note_settings(snap)
        if self._requested == snap.iteration or running or not rewound:
            self._requested = None  # arrived (or given up: training went on)
        if running or not snap.timeline:
            self.slider.setEnabled(False)
            self.iterations, self._timeline = (), None
            # while running, no number: the counters show it, and a label changing every frame costs
            self._say("pause to rewind" if running else f"iteration {snap.iteration:,}")
        else:
            if snap.timeline is not self._timeline:
                self._timeline, self.iterations = snap.timeline, tuple(snap.timeline)
            self._updating = True
            try:
                self.slider.setRange(self.iterations[0], max(self.iterations[-1], self.live_iteration))
                if self._requested is None:  # else a key or drag is ahead of the snapshots: keep its place
                    self.slider.setValue(snap.iteration)
            finally:
                self._updating = False
            self.slider.setEnabled(len(self.iterations) > 1)
            if self._requested is None:
                self._say(*self._texts(snap.iteration))
        if rewound != self._styled_rewound:  # a new style sheet re-polishes the label
            self._styled_rewound = rewound
            self.label.setStyleSheet("color: #8a4b00;" if rewound else "")
        self.live_button.setEnabled(rewound)
        self.resume_button.setEnabled(rewound and not running)
        self._keys.active = rewound and not running

    def _say(self, text: str, *shorter: str) -> None:
        if self.label.text() != text:
            self.label.set_texts(text, *shorter)
            self.label.setToolTip(text)

    def _note_settings(self, snap) -> None:
        """Marks where the settings changed or a weight was set by hand, read off the live snapshots."""
        if snap.rewound:
            return
        seen, key = self._seen, (snap.lesson, tuple(snap.sizes))
        if seen is None or seen[0] != key:
            self.marks = {}
        elif seen[1] != snap.generation:
            # a new history: continuing from a past state keeps the marks before it; reset, rebuild
            # or a loaded model start afresh
            kept = 0 < snap.iteration <= seen[3]
            self.marks = {i: t for i, t in self.marks.items() if kept and i <= snap.iteration}
        elif seen[2] != snap.settings or seen[4] != snap.hand_edits:
            change = settings_change(seen[2], snap.settings) if seen[2] != snap.settings else ""
            if snap.hand_edits != seen[4]:  # a weight set by hand is marked like a settings change
                change = "; ".join(filter(None, (change, "a weight set by hand")))
            if change:
                self.marks[snap.iteration] = change
                self.slider.update()
        self._seen = (key, snap.generation, dict(snap.settings), snap.iteration, snap.hand_edits)

    # -- moving -----------------------------------------------------------------------------

    def _nearest(self, iteration: int) -> int | None:
        its = self.iterations
        if not its:
            return None
        j = bisect.bisect_left(its, iteration)
        return min((k for k in (j - 1, j) if 0 <= k < len(its)), key=lambda k: abs(its[k] - iteration))

    def go_to(self, iteration: int) -> int | None:
        """Show the kept iteration nearest ``iteration`` (paused only); returns it, or None."""
        if not self.slider.isEnabled():
            return None
        k = self._nearest(int(iteration))
        if k is None:
            return None
        self._show(self.iterations[k])
        return self.iterations[k]

    def step_kept(self, steps: int) -> None:
        """``steps`` kept states later (negative: earlier) than the one shown."""
        if not self.slider.isEnabled():
            return
        k = self._nearest(self._requested if self._requested is not None else self.shown_iteration)
        self._show(self.iterations[min(max(k + steps, 0), len(self.iterations) - 1)])

    def _show(self, iteration: int) -> None:
        self._updating = True
        try:
            self.slider.setValue(iteration)
        finally:
            self._updating = False
        self._request(iteration)

    def _moved(self, value: int) -> None:
        if not self._updating:
            k = self._nearest(value)
            if k is not None:
                self._request(self.iterations[k])

    def _request(self, iteration: int, force: bool = False) -> None:
        pending = self._requested if self._requested is not None else self.shown_iteration
        if iteration == pending and not force:
            return
        self._requested = iteration
        self._say(*self._texts(iteration))
        self.previewRequested.emit(int(iteration))

    def _texts(self, iteration: int) -> tuple[str, ...]:
        """What the label says, then shorter forms for a narrow window."""
        if iteration != self.live_iteration:
            return (f"viewing iteration {iteration:,} of {self.live_iteration:,}",
                    f"viewing {iteration:,} of {self.live_iteration:,}", f"{iteration:,} of {self.live_iteration:,}")
        return f"live · {len(self.iterations):,} kept", "live"  # the counters say which iteration


class RewoundKeys(QObject):
    """While rewound, → moves one kept state forward instead of training a step (see the module
    doc). An application event filter, installed only while rewound: training is paused then,
    so looking at every event costs nothing that matters."""

    def __init__(self, bar: TimelineBar):
        super().__init__(bar)
        self.bar = bar
        self._active = False

    @property
    def active(self) -> bool:
        return self._active

    @active.setter
    def active(self, on: bool) -> None:
        if on != self._active:
            self._active = on
            app = QApplication.instance()
            (app.installEventFilter if on else app.removeEventFilter)(self)

    def eventFilter(self, obj, event):
        kind = event.type()
        if kind not in (QEvent.ShortcutOverride, QEvent.KeyPress) or event.key() != Qt.Key_Right or _modified(event):
            return False
        if not isinstance(obj, QWidget) or obj.window() is not self.bar.window() or isinstance(obj, OWN_ARROWS):
            return False
        if obj is self.bar.slider:
            return False  # it handles its keys itself
        if kind == QEvent.ShortcutOverride:
            event.accept()  # not the Step shortcut: the key press follows, and is ours
        else:
            self.bar.step_kept(1)
        return True
