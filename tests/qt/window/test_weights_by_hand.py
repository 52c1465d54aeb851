"""Weights set by hand in the real window: a command through the training thread, exact, undoable,
marked on the timeline, and every view follows."""

import numpy as np
from PySide6.QtCore import Qt

from tests.qt.conftest import wait_iteration


def latest_weight(win, layer, neuron, index):
    return float(np.asarray(win.controller.latest.weights[layer][neuron]).reshape(-1)[index])


def wait_weight(qtbot, win, layer, neuron, index, value):
    qtbot.waitUntil(lambda: latest_weight(win, layer, neuron, index) == value, timeout=5000)
    win.frames.render_latest()


def click_weight(qtbot, win, neuron, row, col):
    widget, point = win.weight_panel.view_point(1, neuron, row, col)
    qtbot.mouseClick(widget.viewport(), Qt.LeftButton, pos=point)


def test_a_smile_click_cycles_the_weight_and_every_view_follows(qtbot, make_window):
    win = make_window("smile")
    face = np.zeros((4, 3), np.float32)
    face[0, 1] = 1.0  # only pixel 1 lit: the output is weight 1 itself
    win.pixel_editor.set_image(face)
    click_weight(qtbot, win, 0, 0, 1)
    wait_weight(qtbot, win, 0, 0, 1, 1.0)  # 0 → +1
    assert win.readout.text().startswith("smile") and "output +1" in win.readout.text()
    assert win.activation_view.displayed_activations()[-1][0] == 1.0
    assert "a weight set by hand" in win.timeline_bar.marks.get(0, "")
    click_weight(qtbot, win, 0, 0, 1)
    wait_weight(qtbot, win, 0, 0, 1, -1.0)  # +1 → −1
    assert win.readout.text().startswith("not a smile")
    # Ctrl+Z in the weights: one edit back
    qtbot.keyClick(win.weight_panel, Qt.Key_Z, Qt.ControlModifier)
    wait_weight(qtbot, win, 0, 0, 1, 1.0)
    assert "Undid" in win.statusBar().currentMessage()


def test_set_weight_is_the_public_command_and_the_arithmetic_follows(qtbot, make_window):
    win = make_window("smile")
    x = win.controller.dataset.x_train[0]
    win.pixel_editor.set_image(x.reshape(4, 3))
    win.weight_panel.set_weight(0, 0, 4, 0.5)
    wait_weight(qtbot, win, 0, 0, 4, 0.5)
    snap = win.controller.latest
    assert snap.hand_edits == 1 and snap.iteration == 0
    lines = win.activation_view.neuron_panel.formula.text().splitlines()
    terms = [ln.strip() for ln in lines if "→" in ln and "·" in ln]
    assert len(terms) == 12  # the smile's twelve terms, in full
    total = float(terms[-1].split("→ ")[1].replace("−", "-"))
    out = float(snap.network().forward(x[None])[-1][0, 0])
    assert abs(total - out) < 5e-3 * max(1.0, abs(out))


def test_typing_a_value_and_plus_minus_nudge_by_the_lessons_step(qtbot, make_window):
    win = make_window("digits")
    click_weight(qtbot, win, 3, 2, 5)
    ed = win.weight_panel.editor
    assert ed.selected == (0, 3, 2 * 8 + 5)
    ed.field.setFocus()
    ed.field.lineEdit().selectAll()
    qtbot.keyClicks(ed.field, "0.25")
    qtbot.keyClick(ed.field, Qt.Key_Return)
    wait_weight(qtbot, win, 0, 3, 21, 0.25)
    step = win.controller.latest.settings["nudge_step"]
    win.weight_panel.setFocus()
    qtbot.keyClick(win.weight_panel, Qt.Key_Plus)
    wait_weight(qtbot, win, 0, 3, 21, float(np.float32(0.25 + step)))
    # the bias of the selected neuron, too
    ed.bias_box.setChecked(True)
    ed.set_value(-0.5)
    qtbot.waitUntil(lambda: win.controller.latest.biases[0][3] == -0.5, timeout=5000)


def test_an_edit_while_training_runs_pauses_first_and_rewinding_keeps_it(qtbot, make_window):
    win = make_window("digits")
    c = win.controller
    c.step(10)
    wait_iteration(qtbot, win, 10)
    c.run()
    qtbot.waitUntil(lambda: c.running, timeout=3000)
    win.weight_panel.set_weight(1, 0, 0, 2.0)
    qtbot.waitUntil(lambda: not c.running and latest_weight(win, 1, 0, 0) == 2.0, timeout=5000)
    edited_at = c.latest.iteration
    c.step(5)
    wait_iteration(qtbot, win, edited_at + 5)
    c.preview(edited_at)
    qtbot.waitUntil(lambda: c.latest.iteration == edited_at, timeout=5000)
    assert latest_weight(win, 1, 0, 0) == 2.0  # the state kept there is the edited one
