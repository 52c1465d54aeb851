"""The Explore dock: the ExplorePanel tabs, refreshed only when visible and only as often as useful.

A tab's panel is built the first time it is drawn on screen: the window then starts without
paying for six panels of plots (about a quarter of a second) that most sessions open later.
The tabs wrap onto a second (third) row in a narrow dock: behind scroll arrows a learner
never found "Learning-rate probe"."""

from __future__ import annotations

import time

from typing import Callable

from PySide6.QtCore import QPoint, QSize, Qt, Signal
from PySide6.QtWidgets import QButtonGroup, QLabel, QSizePolicy, QTabBar, QTabWidget, QToolButton, QVBoxLayout, QWidget

from ..graphics.view_protocol import LessonView
from .confusion_view import ConfusionView
from .health_view import HealthView
from .lr_probe_view import LrProbeView
from .neuron_input_view import NeuronInputView
from .nudge_view import NudgeView
from .panel import LIVE_HZ, ExplorePanel
from .population_view import PopulationView


TAB_STYLE = ("QToolButton { padding: 2px 7px; border: 1px solid #c8c8c8; border-radius: 3px; background: #f4f4f4; }"
             "QToolButton:checked { background: #dbe6f4; border-color: #7f9cc4; color: #123; }"
             "QToolButton:hover:!checked { background: #ebebeb; }")
GAP = 3  # pixels between the tabs
PAUSED_ONLY = ("Training is running: this tab is worked out when you pause (Space). Until then it "
               "shows the last pause's result, if any.")


class WrappingTabBar(QTabBar):
    """A tab bar whose tabs flow onto more rows when the bar is narrow, never behind scroll
    arrows. Each tab is drawn as a checkable button (``buttons``); the QTabBar underneath
    keeps the index, the texts and the signals, so QTabWidget works as ever."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setUsesScrollButtons(False)
        self.setDrawBase(False)
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)
        self.buttons: list[QToolButton] = []
        self._group = QButtonGroup(self)
        self._group.idClicked.connect(self.setCurrentIndex)
        self.currentChanged.connect(self._check)

    def tabInserted(self, index):
        super().tabInserted(index)
        self._sync()

    def tabRemoved(self, index):
        super().tabRemoved(index)
        self._sync()

    def tabLayoutChange(self):
        super().tabLayoutChange()
        self._sync()

    def _sync(self) -> None:
        """One button per tab, with its text and tooltip."""
        while len(self.buttons) < self.count():
            b = QToolButton(self)
            b.setCheckable(True)
            b.setStyleSheet(TAB_STYLE)
            b.setFocusPolicy(Qt.TabFocus)
            self._group.addButton(b, len(self.buttons))
            b.show()
            self.buttons.append(b)
        while len(self.buttons) > self.count():
            b = self.buttons.pop()
            self._group.removeButton(b)
            b.hide()
            b.deleteLater()
        for i, b in enumerate(self.buttons):
            if b.text() != self.tabText(i):
                b.setText(self.tabText(i))
            b.setToolTip(self.tabToolTip(i) or self.tabText(i))
            b.setVisible(self.isTabVisible(i))
        self._check(self.currentIndex())
        self._place()
        self.updateGeometry()

    def _check(self, index: int) -> None:
        if 0 <= index < len(self.buttons):
            self.buttons[index].setChecked(True)

    def flow(self, width: int) -> list[QPoint]:
        """Top-left corner of each tab when the bar is ``width`` pixels wide."""
        x = y = 0
        row_h = max((b.sizeHint().height() for b in self.buttons), default=0)
        out = []
        for b in self.buttons:
            if b.isHidden():  # a tab of another lesson: no room kept for it
                out.append(QPoint(x, y))
                continue
            w = b.sizeHint().width()
            if x and x + w > width:
                x, y = 0, y + row_h + GAP
            out.append(QPoint(x, y))
            x += w + GAP
        return out

    def height_for(self, width: int) -> int:
        if not self.buttons:
            return 0
        return self.flow(width)[-1].y() + max(b.sizeHint().height() for b in self.buttons) + GAP

    def _width(self) -> int:
        parent = self.parentWidget()  # QTabWidget gives the bar its whole width (document mode)
        return max(1, parent.width() if parent is not None else self.width())

    def sizeHint(self) -> QSize:
        return QSize(self._width(), self.height_for(self._width()))

    def minimumSizeHint(self) -> QSize:
        widest = max((b.sizeHint().width() for b in self.buttons), default=0)
        return QSize(widest, self.height_for(self._width()))

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._place()

    def _place(self) -> None:
        for b, p in zip(self.buttons, self.flow(self.width())):
            b.setGeometry(p.x(), p.y(), b.sizeHint().width(), b.sizeHint().height())

    def paintEvent(self, event):
        pass  # the buttons are the tabs

    def mousePressEvent(self, event):
        event.ignore()  # between the buttons: QTabBar's own (hidden) tabs must not take the click

    def wheelEvent(self, event):
        event.ignore()


class ExploreTabs(LessonView, QTabWidget):
    """objectName ``exploreTabs``: one tab per ExplorePanel; forwards their signals."""

    follows_input = True  # "what a neuron wants" compares with the painting

    loadInput = Signal(object)
    statusMessage = Signal(str)

    def __init__(self, entries: list[tuple[str, Callable[[], ExplorePanel]]], parent=None):
        """``entries``: (tab title, factory) per tab; a factory builds its panel on first show."""
        super().__init__(parent)
        self.setObjectName("exploreTabs")
        self.setTabBar(WrappingTabBar())
        self.setDocumentMode(True)
        self._factories = [factory for _, factory in entries]
        self._applies = [getattr(factory, "applies_to", None) for factory in self._factories]
        self._panels: list[ExplorePanel | None] = [None] * len(entries)
        self._holders = []
        for title, _ in entries:
            holder = QWidget()
            QVBoxLayout(holder).setContentsMargins(0, 0, 0, 0)
            self._holders.append(holder)
            self.setTabToolTip(self.addTab(holder, title), title)
        self._lesson = self._neuron = self._palette = None  # replayed into panels built later
        self._shown: dict[int, tuple] = {}  # panel index -> (snapshot, painted revision) last drawn
        # True while the window is still placing this dock: on a first start it shows beside the
        # weights for one event-loop pass before it is tabbed behind them, and drawing a tab then
        # (building it, comparing every weight's nudge) cost ~0.7 s before the first paint
        self.held = False
        self._last_live = 0.0
        self._pause_notes: dict[int, QLabel] = {}  # tab index -> its "worked out when you pause" line
        self.currentChanged.connect(lambda _: self._shown.clear())

    def _show_tabs_for(self, dataset) -> None:
        """Only the tabs that belong in this lesson (a factory's ``applies_to``; none: every
        lesson); the current tab moves to the first one shown when its own goes."""
        for i, applies in enumerate(self._applies):
            self.setTabVisible(i, applies is None or bool(applies(dataset)))
        if not self.isTabVisible(self.currentIndex()):
            self.setCurrentIndex(next((i for i in range(self.count()) if self.isTabVisible(i)), 0))

    def shown_titles(self) -> list[str]:
        """The titles of the tabs this lesson shows, in order."""
        return [self.tabText(i) for i in range(self.count()) if self.isTabVisible(i)]

    @property
    def panels(self) -> list[ExplorePanel]:
        """The panels built so far, in tab order."""
        return [p for p in self._panels if p is not None]

    def panel(self, i: int) -> ExplorePanel:
        """Tab ``i``'s panel, built now if it was not yet (with the lesson, neuron and palette)."""
        p = self._panels[i]
        if p is None:
            p = self._panels[i] = self._factories[i]()
            p.loadInput.connect(self.loadInput)
            p.statusMessage.connect(self.statusMessage)
            if self._palette is not None:
                p.set_palette(self._palette)
            if self._lesson is not None:
                p.set_lesson(self._lesson)
            if self._neuron is not None:
                p.select_neuron(*self._neuron)
            self._holders[i].layout().addWidget(p)
        return p

    def on_screen(self) -> bool:
        """Really visible: a dock behind another tab counts as visible to Qt but is moved off screen."""
        return self.isVisible() and not self.visibleRegion().isEmpty()

    def set_lesson(self, dataset) -> None:
        self._shown.clear()
        self._lesson, self._neuron = dataset, None
        self._show_tabs_for(dataset)
        for p in self.panels:
            p.set_lesson(dataset)

    def select_neuron(self, layer: int, neuron: int) -> None:
        self._shown.clear()
        self._neuron = (layer, neuron)
        for p in self.panels:
            p.select_neuron(layer, neuron)

    def set_palette(self, name: str) -> None:
        self._shown.clear()
        self._palette = name
        for p in self.panels:
            p.set_palette(name)

    def show_snapshot(self, snap, frame=None) -> None:
        """Draw the current tab if it is on screen and its inputs changed (rate-limited while running)."""
        i = self.currentIndex()
        if i < 0 or snap is None or self.held or not self.on_screen():
            return
        panel = self.panel(i)
        running = frame is not None and frame.running
        self._say_paused_only(i, running and not panel.live)
        key = (snap, frame.painted_key if frame is not None else None)
        if self._shown.get(i) == key:
            return
        if running:
            now = time.perf_counter()
            if not panel.live or now - self._last_live < 1.0 / LIVE_HZ:
                return
            self._last_live = now
        self._shown[i] = key
        panel.show_snapshot(snap, frame)

    def _say_paused_only(self, i: int, say: bool) -> None:
        """A tab worked out only when training pauses says so while it runs: it shows the last
        pause's network meanwhile (or nothing yet), never as if it were the live one."""
        note = self._pause_notes.get(i)
        if note is None:
            if not say:
                return
            note = self._pause_notes[i] = QLabel(PAUSED_ONLY)
            note.setObjectName("explorePausedOnly")
            note.setWordWrap(True)
            note.setStyleSheet("padding: 3px 8px; background: #f3efe0; color: #333;")
            self._holders[i].layout().insertWidget(0, note)
        note.setVisible(say)


def standard_tabs(train_one_by) -> list[tuple[str, Callable[[], ExplorePanel]]]:
    """The six Explore tabs as (title, factory); ``train_one_by(method)`` runs one real iteration
    (the Nudge vs gradient tab's buttons)."""
    def nudge_view():
        view = NudgeView()
        view.applyRequested.connect(train_one_by)
        return view

    return [(NudgeView.title, nudge_view)] + [(cls.title, cls) for cls in
                                              (HealthView, ConfusionView, NeuronInputView, PopulationView,
                                               LrProbeView)]
