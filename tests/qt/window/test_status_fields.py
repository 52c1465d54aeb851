"""A transient status message is read whole: the permanent fields step aside while it is long."""

from PySide6.QtWidgets import QMainWindow

from nnviz.qt.window.frame_renderer import StatusFields

from tests.qt.conftest import shown

LONG = "Back to the run from before the reset, at iteration 117 (Ctrl+Z again swaps back); Redo takes it again"


def test_a_long_message_is_not_drawn_under_the_fields_and_they_come_back(qtbot):
    win = QMainWindow()
    fields = StatusFields(win.statusBar())
    shown(qtbot, win, 1216, 300)  # the window's first-start width on a 1280×720 screen
    bar = win.statusBar()
    for lab in fields.labels.values():
        lab.setText("x")
    qtbot.wait(20)
    bar.showMessage(LONG)
    qtbot.wait(20)
    fields_left = min((lab.geometry().left() for lab in fields.labels.values() if lab.isVisible()),
                      default=bar.width())
    assert bar.fontMetrics().horizontalAdvance(LONG) < fields_left  # the whole sentence before the fields
    assert fields.labels["accuracy"].isVisible()  # the one field not shown elsewhere stays
    bar.clearMessage()
    qtbot.wait(20)
    assert all(lab.isVisible() for key, lab in fields.labels.items() if key != "exact")


def test_a_short_message_moves_no_field(qtbot):
    win = QMainWindow()
    fields = StatusFields(win.statusBar())
    shown(qtbot, win, 1216, 300)
    win.statusBar().showMessage("Saved")
    qtbot.wait(20)
    assert all(lab.isVisible() for key, lab in fields.labels.items() if key != "exact")
