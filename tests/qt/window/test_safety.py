"""The safety controller on its own: what each report makes the notice, the panel line and Undo say."""

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction

from nnviz.model.core.reports import BlowUp, Continued, Diverged, Replaced, UndoAvailable
from nnviz.qt.window.safety import SafetyController


class Reports(QObject):
    reported = Signal(object)

    def undo(self):
        pass


class Notice:
    def __init__(self):
        self.shown = None

    def show_notice(self, text, actions=(), **_):
        self.shown = (text, [label for label, _ in actions])

    def hide(self):
        self.shown = None


def controller(qtbot):
    source, notice, panel = Reports(), Notice(), []
    action = QAction("Undo")
    safety = SafetyController(source, notice, action, lambda text, ms: None,
                              lambda text, error: panel.append((text, error)), lambda: None)
    return source, notice, panel, action, safety


def test_the_alarm_line_goes_once_the_run_on_screen_is_another(qtbot):
    source, notice, panel, _, _ = controller(qtbot)
    cause = {"iteration": 170, "changes": {"learning_rate": (0.01, 10.0)}, "settings": {"learning_rate": 0.01}}
    source.reported.emit(BlowUp("jumped", 175, 1.5e4, 0.06, 0.07, cause, None, 170))
    assert panel[-1][1] is True and "Blew up" in panel[-1][0] and "Roll back to iteration 170" in notice.shown[1][0]
    source.reported.emit(Continued(170, 5))  # the roll-back: training goes on from before the change
    assert panel[-1] == ("", False)
    source.reported.emit(Diverged(40, float("inf"), 39, 12))
    assert "Diverged at iteration 40" in panel[-1][0]
    source.reported.emit(Replaced("reset", 39, True))
    assert panel[-1] == ("", False)
    n = len(panel)
    source.reported.emit(Replaced("reset", 0, False))  # nothing to clear: the line is left alone
    assert len(panel) == n


def test_undo_follows_what_the_session_says(qtbot):
    source, _, _, action, _ = controller(qtbot)
    assert not action.isEnabled()
    source.reported.emit(UndoAvailable("reset"))
    assert action.isEnabled() and action.text() == "&Undo reset"
    source.reported.emit(UndoAvailable(None))
    assert not action.isEnabled()
