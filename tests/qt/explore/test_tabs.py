"""The Explore dock's tabs: what a tab worked out only when paused says while training runs."""

from types import SimpleNamespace

from PySide6.QtWidgets import QLabel

from nnviz.qt.explore.panel import ExplorePanel
from nnviz.qt.explore.tabs import PAUSED_ONLY, ExploreTabs


def _panel(live: bool):
    class Panel(ExplorePanel):
        def __init__(self):
            super().__init__()
            self.live, self.drawn = live, []

        def show_snapshot(self, snap, frame=None):
            self.drawn.append(snap)

    return Panel


def _tabs(qtbot):
    tabs = ExploreTabs([("paused only", _panel(False)), ("live", _panel(True))])
    qtbot.addWidget(tabs)
    tabs.resize(400, 300)
    tabs.show()
    qtbot.waitExposed(tabs)
    return tabs




def test_a_tab_worked_out_only_when_paused_says_so_while_training_runs_and_not_after(qtbot):
    tabs = _tabs(qtbot)
    running, paused = SimpleNamespace(running=True, painted_key=1), SimpleNamespace(running=False, painted_key=1)
    tabs.show_snapshot("snap 1", paused)
    panel = tabs.panel(0)
    assert panel.drawn == ["snap 1"] and tabs.findChild(QLabel, "explorePausedOnly") is None
    tabs.show_snapshot("snap 2", running)
    note = tabs.findChild(QLabel, "explorePausedOnly")
    assert panel.drawn == ["snap 1"] and note.isVisible() and note.text() == PAUSED_ONLY
    assert "pause (Space)" in note.text()
    tabs.show_snapshot("snap 3", paused)
    assert panel.drawn == ["snap 1", "snap 3"] and not note.isVisible()


def test_a_live_tab_is_drawn_while_training_runs_with_no_such_line(qtbot):
    tabs = _tabs(qtbot)
    tabs.setCurrentIndex(1)
    tabs.show_snapshot("snap 1", SimpleNamespace(running=True, painted_key=None))
    assert tabs.panel(1).drawn == ["snap 1"] and tabs.findChild(QLabel, "explorePausedOnly") is None
