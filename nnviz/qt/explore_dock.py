"""The Explore dock: the ExplorePanel tabs, refreshed only when visible and only as often as useful."""

from __future__ import annotations

import time

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QTabWidget

from .explore import LIVE_HZ, ExplorePanel


class ExploreTabs(QTabWidget):
    """objectName ``exploreTabs``: one tab per ExplorePanel; forwards their signals."""

    loadInput = Signal(object)
    statusMessage = Signal(str)

    def __init__(self, panels: list[ExplorePanel], parent=None):
        super().__init__(parent)
        self.setObjectName("exploreTabs")
        self.setDocumentMode(True)
        self.panels = list(panels)
        for p in self.panels:
            self.addTab(p, p.title)
            p.loadInput.connect(self.loadInput)
            p.statusMessage.connect(self.statusMessage)
        self._shown: dict[int, tuple] = {}  # panel index -> (snapshot, painted revision) last drawn
        self._last_live = 0.0
        self.currentChanged.connect(lambda _: self._shown.clear())

    def on_screen(self) -> bool:
        """Really visible: a dock behind another tab counts as visible to Qt but is moved off screen."""
        return self.isVisible() and not self.visibleRegion().isEmpty()

    def set_lesson(self, dataset) -> None:
        self._shown.clear()
        for p in self.panels:
            p.set_lesson(dataset)

    def select_neuron(self, layer: int, neuron: int) -> None:
        self._shown.clear()
        for p in self.panels:
            p.select_neuron(layer, neuron)

    def refresh(self, snap, painted, painted_revision, running: bool) -> None:
        """Draw the current tab if it is on screen and its inputs changed (rate-limited while running)."""
        i = self.currentIndex()
        if i < 0 or snap is None or not self.on_screen():
            return
        panel = self.panels[i]
        key = (snap, painted_revision)
        if self._shown.get(i) == key:
            return
        if running:
            now = time.perf_counter()
            if not panel.live or now - self._last_live < 1.0 / LIVE_HZ:
                return
            self._last_live = now
        self._shown[i] = key
        panel.show_snapshot(snap, painted)
