"""Edit ▸ Undo (Ctrl+Z anywhere) takes back the learner's last action whatever it was — a stroke,
an example, a weight set by hand, a reset — newest first, and Redo does it again."""

import numpy as np
from PySide6.QtCore import Qt

from tests.qt.conftest import wait_iteration


def weight(win, layer, neuron, index):
    return float(np.asarray(win.controller.latest.weights[layer][neuron]).reshape(-1)[index])


def paint(qtbot, win, row, col):
    widget, point = win.pixel_editor.grid, win.pixel_editor.grid.cell_center(row, col)
    qtbot.mouseClick(widget, Qt.LeftButton, pos=point)


def ctrl_z(qtbot, widget, shift=False):
    qtbot.keyClick(widget, Qt.Key_Z, Qt.ControlModifier | (Qt.ShiftModifier if shift else Qt.NoModifier))


def test_ctrl_z_anywhere_undoes_the_last_action_of_any_kind_newest_first(qtbot, make_window):
    win = make_window("smile")
    undo = win.actions["undo"]
    assert not undo.isEnabled()
    paint(qtbot, win, 1, 1)  # 1. a stroke
    assert win.pixel_editor.image()[1, 1] == 1 and undo.text() == "&Undo drawing"
    old = weight(win, 0, 0, 4)
    win.weight_panel.set_weight(0, 0, 4, 3.0)  # 2. a weight set by hand
    qtbot.waitUntil(lambda: abs(weight(win, 0, 0, 4) - 3.0) < 1e-9, timeout=5000)
    qtbot.waitUntil(lambda: undo.text() == "&Undo weight set by hand", timeout=5000)

    ctrl_z(qtbot, win.pixel_editor.grid)  # the focus in the drawing: still the weight goes back first
    qtbot.waitUntil(lambda: abs(weight(win, 0, 0, 4) - old) < 1e-9, timeout=5000)
    assert win.pixel_editor.image()[1, 1] == 1  # the stroke is still there
    ctrl_z(qtbot, win.weight_panel)  # the focus in the weights: now the stroke
    assert win.pixel_editor.image()[1, 1] == 0
    assert not undo.isEnabled() and win.actions["redo"].text() == "&Redo drawing"

    ctrl_z(qtbot, win.pixel_editor.grid, shift=True)  # Redo: the stroke, then the weight
    assert win.pixel_editor.image()[1, 1] == 1
    ctrl_z(qtbot, win.pixel_editor.grid, shift=True)
    qtbot.waitUntil(lambda: abs(weight(win, 0, 0, 4) - 3.0) < 1e-9, timeout=5000)


def test_undo_brings_back_a_reset_run_and_a_removed_example_in_order(qtbot, make_window):
    win = make_window("digits")
    win.controller.step(5)
    wait_iteration(qtbot, win, 5)
    win.pixel_editor.set_image(win.controller.dataset.x_train[0].reshape(8, 8))  # loaded into the editor
    win.examples.add(win.pixel_editor.image(), 3)
    assert len(win.examples) == 1
    win.controller.reset()
    wait_iteration(qtbot, win, 0)
    qtbot.waitUntil(lambda: win.actions["undo"].text() == "&Undo reset", timeout=5000)

    win.actions["undo"].trigger()  # the reset: iteration 5 again
    wait_iteration(qtbot, win, 5)
    qtbot.waitUntil(lambda: win.actions["undo"].text() == "&Undo example change", timeout=5000)
    win.actions["undo"].trigger()  # the example
    assert len(win.examples) == 0
    win.actions["redo"].trigger()
    assert len(win.examples) == 1


def test_each_lesson_undoes_only_its_own_actions(qtbot, make_window):
    win = make_window("smile")
    paint(qtbot, win, 0, 0)
    assert win.actions["undo"].isEnabled()
    win.choose_lesson("digits")
    qtbot.waitUntil(lambda: win.controller.lesson.name == "digits", timeout=10000)
    assert not win.actions["undo"].isEnabled()  # nothing done here yet: Ctrl+Z must not reach the smile
    paint(qtbot, win, 2, 2)
    assert win.actions["undo"].text() == "&Undo drawing"
    win.actions["undo"].trigger()
    assert not win.pixel_editor.image().any() and not win.actions["undo"].isEnabled()
