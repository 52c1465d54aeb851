"""The pixel editor on its own: mouse drags become exactly the expected cells."""

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from nnviz.qt.views.pixel_editor import PixelEditor

from tests.qt.conftest import shown


@pytest.fixture
def editor(qtbot):
    return shown(qtbot, PixelEditor(), 420, 520)


def send(widget, kind, pos, button, buttons):
    """A mouse event with the held buttons set explicitly (what a real drag delivers)."""
    ev = QMouseEvent(kind, QPointF(pos), QPointF(widget.mapToGlobal(pos)), button, buttons, Qt.NoModifier)
    QApplication.sendEvent(widget, ev)


def drag(editor, cells, button=Qt.LeftButton):
    grid = editor.grid
    pts = [grid.cell_center(r, c) for r, c in cells]
    send(grid, QEvent.MouseButtonPress, pts[0], button, button)
    for p in pts[1:]:
        send(grid, QEvent.MouseMove, p, Qt.NoButton, button)
    send(grid, QEvent.MouseButtonRelease, pts[-1], button, Qt.NoButton)


def test_cell_center_maps_back_to_its_cell(editor):
    editor.set_grid(28, 28, binary=False)
    grid = editor.grid
    for r, c in [(0, 0), (13, 7), (27, 27)]:
        row, col = grid.to_cell(QPointF(grid.cell_center(r, c)))
        assert (int(row), int(col)) == (r, c)
    # square cells, centred in the widget
    s = grid.cell_size()
    assert grid.cell_center(0, 1).x() - grid.cell_center(0, 0).x() == pytest.approx(s, abs=1)
    assert grid.cell_center(1, 0).y() - grid.cell_center(0, 0).y() == pytest.approx(s, abs=1)


def test_a_drag_paints_exactly_the_crossed_cells_binary(editor):
    editor.set_grid(8, 8, binary=True)
    drag(editor, [(1, 1), (1, 6), (5, 6)])  # an "L" rotated: right along row 1, down column 6
    expected = np.zeros((8, 8), np.float32)
    expected[1, 1:7] = 1
    expected[1:6, 6] = 1
    img = editor.image()
    assert img.shape == (8, 8) and img.dtype == np.float32
    np.testing.assert_array_equal(img, expected)


def test_a_drag_on_mnist_inks_the_line_fully_and_stays_in_range(editor):
    editor.set_grid(28, 28, binary=False)
    editor.set_brush_radius(1.5)
    drag(editor, [(4, 14), (23, 14)])  # a fast vertical stroke: two mouse positions only
    img = editor.canvas.image  # the painting (image() is what the network sees after preprocessing)
    assert img.shape == (28, 28) and img.dtype == np.float32
    np.testing.assert_array_equal(img[4:24, 14], 1.0)  # no gaps along the path
    assert img.min() >= 0 and img.max() <= 1
    assert 0 < img[10, 15] < 1  # the soft edge
    # nothing beyond radius + half a cell (up to the mouse position's rounding to whole pixels)
    assert img[:, :12].max() < 0.01 and img[:, 17:].max() < 0.01
    assert img[:3].max() < 0.01 and img[25:].max() < 0.01


def test_right_drag_erases(editor):
    editor.set_grid(8, 8, binary=True)
    editor.set_image(np.ones((8, 8)))
    drag(editor, [(3, 0), (3, 7)], Qt.RightButton)
    expected = np.ones((8, 8), np.float32)
    expected[3] = 0
    np.testing.assert_array_equal(editor.image(), expected)


def test_binary_click_toggles_and_a_drag_does_not(qtbot, editor):
    editor.set_grid(4, 3, binary=True)
    grid = editor.grid
    qtbot.mouseClick(grid, Qt.LeftButton, pos=grid.cell_center(2, 1))
    expected = np.zeros((4, 3), np.float32)
    expected[2, 1] = 1
    np.testing.assert_array_equal(editor.image(), expected)
    # a drag over inked cells keeps them inked (paints, never toggles)
    drag(editor, [(2, 0), (2, 2)])
    expected[2] = 1
    np.testing.assert_array_equal(editor.image(), expected)
    qtbot.mouseClick(grid, Qt.LeftButton, pos=grid.cell_center(2, 1))
    expected[2, 1] = 0
    np.testing.assert_array_equal(editor.image(), expected)


def test_one_drag_is_one_undo_step_and_redo_reapplies(editor):
    editor.set_grid(8, 8, binary=True)
    drag(editor, [(0, 0), (0, 7)])
    first = editor.image()
    drag(editor, [(0, 4), (7, 4), (7, 0)])  # many cells, several moves
    second = editor.image()
    assert editor.undo_action.isEnabled() and not editor.redo_action.isEnabled()
    editor.undo_action.trigger()
    np.testing.assert_array_equal(editor.image(), first)
    assert editor.redo_action.isEnabled()
    editor.redo_action.trigger()
    np.testing.assert_array_equal(editor.image(), second)
    editor.undo()
    editor.undo()
    assert not editor.image().any() and not editor.undo_action.isEnabled()


def test_image_changed_fires_on_every_move_that_changes_cells(editor):
    editor.set_grid(8, 8, binary=True)
    fired = []
    editor.imageChanged.connect(lambda: fired.append(editor.image().sum()))
    drag(editor, [(4, 0), (4, 2), (4, 4), (4, 6)])
    # binary: the press waits (it may be a toggling click) until the drag leaves the cell;
    # from then on each move adds two cells and the readout sees the stroke grow
    assert fired == [3, 5, 7]
    fired.clear()
    drag(editor, [(4, 0), (4, 2)])  # over ink already there: nothing changes, nothing fires
    assert fired == []


def test_delete_clears_ctrl_z_undoes_with_focus_in_the_grid(qtbot, editor):
    editor.set_grid(8, 8, binary=False)
    grid = editor.grid
    drag(editor, [(2, 2), (5, 5)])
    painted = editor.image()
    assert painted.any()
    qtbot.mouseClick(grid, Qt.LeftButton, pos=grid.cell_center(2, 2))  # clicking gives the grid focus
    assert grid.hasFocus()
    qtbot.keyClick(grid, Qt.Key_Delete)
    assert not editor.image().any()
    qtbot.keyClick(grid, Qt.Key_Z, Qt.ControlModifier)
    np.testing.assert_array_equal(editor.image(), painted)
    qtbot.keyClick(grid, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert not editor.image().any()


def test_invert_set_image_and_set_grid(editor):
    editor.set_grid(8, 8, binary=False)
    x = np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8)
    editor.set_image(x)
    np.testing.assert_array_equal(editor.image(), x)
    editor.invert_action.trigger()
    np.testing.assert_allclose(editor.image(), 1 - x)
    editor.set_grid(4, 3, binary=True)  # a new lesson: empty grid, no history
    assert editor.image().shape == (4, 3) and not editor.image().any()
    assert not editor.undo_action.isEnabled() and not editor.redo_action.isEnabled()


def test_controls_follow_the_grid(editor):
    editor.set_grid(4, 3, binary=True)
    assert not editor.brush_spin.isVisible() and not editor.preprocess_box.isVisible()
    editor.set_grid(8, 8, binary=False)
    assert editor.brush_spin.isVisible() and not editor.preprocess_box.isVisible()
    editor.set_grid(28, 28, binary=False)
    assert editor.brush_spin.isVisible() and editor.preprocess_box.isVisible()
    for act, key in [(editor.clear_action, "Del"), (editor.invert_action, "I"), (editor.undo_action, "Ctrl+Z")]:
        assert act.shortcutContext() == Qt.WidgetWithChildrenShortcut
        assert act.shortcut().toString() == key and key in act.toolTip()


def test_preprocessing_centres_the_input_and_shows_a_preview(editor):
    editor.set_grid(28, 28, binary=False)
    editor.set_brush_radius(0.5)
    drag(editor, [(1, 2), (6, 2)])  # a small "1" in the top-left corner
    raw = editor.canvas.image
    editor.set_preprocess(True)
    assert editor.preview.isVisible()
    img = editor.image()
    np.testing.assert_array_equal(editor.canvas.image, raw)  # the painting itself is untouched
    rows, cols = np.indices(img.shape) + 0.5
    assert (img * rows).sum() / img.sum() == pytest.approx(14, abs=0.5)
    assert (img * cols).sum() / img.sum() == pytest.approx(14, abs=0.5)
    assert np.flatnonzero(img.any(axis=1)).size == 20  # scaled so the tall side is 20 cells
    editor.set_preprocess(False)
    np.testing.assert_array_equal(editor.image(), raw)
    assert editor.preview.isVisible() and "as it is" in editor.preview_note.text()  # both always shown


def test_28x28_paints_through_mnist_preprocessing_by_default_and_toggling_keeps_the_size(editor):
    editor.set_grid(28, 28, binary=False)
    assert editor.preprocess_box.isChecked()
    editor.set_brush_radius(0.5)
    drag(editor, [(1, 2), (6, 2)])
    assert not np.array_equal(editor.image(), editor.canvas.image)  # the network sees it centred
    before = editor.minimumSizeHint()
    editor.preprocess_box.setChecked(False)
    assert editor.minimumSizeHint() == before
    np.testing.assert_array_equal(editor.image(), editor.canvas.image)
    editor.set_grid(8, 8, binary=False)  # another lesson: no preprocessing there …
    assert not editor.preprocess_box.isVisible() and editor.image().shape == (8, 8)
    editor.set_grid(28, 28, binary=False)  # … and the learner's choice is kept for 28×28
    assert not editor.preprocess_box.isChecked()


def test_preprocessing_is_only_for_28x28(editor):
    editor.set_grid(8, 8, binary=False)
    editor.set_preprocess(True)
    assert editor.image().shape == (8, 8)


def test_hover_reports_cell_and_value(editor):
    editor.set_grid(8, 8, binary=True)
    editor.set_image(np.eye(8))
    grid = editor.grid
    send(grid, QEvent.MouseMove, grid.cell_center(3, 3), Qt.NoButton, Qt.NoButton)
    assert "row 3, column 3: 1" in editor.hint.text()
    send(grid, QEvent.MouseMove, grid.cell_center(3, 5), Qt.NoButton, Qt.NoButton)
    assert "row 3, column 5: 0" in editor.hint.text()
    assert editor.image()[3, 5] == 0  # hovering never paints


@pytest.mark.timing
def test_repaint_after_a_move_is_fast(editor):
    import time

    editor.set_grid(28, 28, binary=False)
    grid = editor.grid
    times = []
    send(grid, QEvent.MouseButtonPress, grid.cell_center(5, 5), Qt.LeftButton, Qt.LeftButton)
    for i in range(6, 24):
        t = time.perf_counter()
        send(grid, QEvent.MouseMove, grid.cell_center(i, i), Qt.NoButton, Qt.LeftButton)
        grid.repaint()
        times.append(time.perf_counter() - t)
    send(grid, QEvent.MouseButtonRelease, grid.cell_center(23, 23), Qt.LeftButton, Qt.NoButton)
    assert sorted(times)[len(times) // 2] < 0.005


def test_the_hover_text_reads_a_cells_new_value_after_a_click(editor, qtbot):
    editor.set_grid(4, 3, binary=True)
    grid = editor.grid
    qtbot.mouseMove(grid, grid.cell_center(3, 1))
    qtbot.mouseClick(grid, Qt.LeftButton, pos=grid.cell_center(3, 1))
    assert editor.hint.text() == "row 3, column 1: 1.00"


def test_the_painting_is_a_frozen_value_that_changes_only_with_the_drawing(editor):
    editor.set_grid(28, 28, binary=False)
    blank = editor.painting()
    assert blank.blank and blank.pixels.shape == (28, 28) and not blank.pixels.flags.writeable
    assert editor.painting() is blank  # nothing changed: the same value, so views can skip
    drag(editor, [(5, 5), (20, 20)])
    drawn = editor.painting()
    assert not drawn.blank and drawn.key != blank.key and drawn.pixels.any() and not blank.pixels.any()
    np.testing.assert_array_equal(drawn.pixels, editor.image())  # what the network reads
    editor.set_preprocess(not editor.preprocess_box.isChecked())  # same strokes, another input
    assert editor.painting().key != drawn.key
    editor.undo()
    editor.redo()
    assert editor.painting().key not in (blank.key, drawn.key)


def test_a_dataset_image_goes_into_the_network_exactly_and_clearing_paints_afresh(editor):
    from nnviz.model.lessons import load_dataset

    editor.set_grid(28, 28, binary=False)
    assert editor.preprocess_box.isChecked()
    image = load_dataset("mnist").x_test[580].reshape(28, 28)
    assert editor.load_input(image) is True  # it was on: the caller says it went off
    np.testing.assert_array_equal(editor.painting().pixels, image)  # not cropped and centred again
    assert not editor.preprocess_box.isChecked()
    drag(editor, [(3, 3), (3, 8)])  # painting on the loaded image keeps it as it is
    assert not editor.preprocess_box.isChecked()
    editor.clear()  # a fresh drawing: preprocessed, as before the image came in
    assert editor.preprocess_box.isChecked()
    editor.load_input(image)
    editor.set_preprocess(False)  # the learner's own choice stands
    editor.clear()
    assert not editor.preprocess_box.isChecked()


def test_the_line_under_the_grid_reads_the_value_a_stroke_just_painted(editor):
    """It read the cell as it was before the brush reached it (0.52 beside a white cell)."""
    editor.set_grid(8, 8, binary=False)
    grid = editor.grid
    send(grid, QEvent.MouseButtonPress, grid.cell_center(1, 4), Qt.LeftButton, Qt.LeftButton)
    assert editor.hint.text() == f"row 1, column 4: {editor.image()[1, 4]:.2f}" and editor.image()[1, 4] > 0
    for r in range(2, 7):
        send(grid, QEvent.MouseMove, grid.cell_center(r, 4), Qt.NoButton, Qt.LeftButton)
        assert editor.hint.text() == f"row {r}, column 4: {editor.image()[r, 4]:.2f}"
    send(grid, QEvent.MouseButtonRelease, grid.cell_center(6, 4), Qt.LeftButton, Qt.NoButton)
    assert editor.hint.text() == f"row 6, column 4: {editor.image()[6, 4]:.2f}" == "row 6, column 4: 1.00"


def test_the_smile_grid_does_not_move_when_its_hint_line_changes(qtbot):
    """The smile's hint is two lines in a laptop's editor, a hover reading one: the grid kept
    resizing between them, so quick clicks landed on other cells."""
    editor = shown(qtbot, PixelEditor(), 330, 420)
    editor.set_grid(4, 3, binary=True)
    qtbot.wait(20)
    before = editor.grid.geometry()
    assert editor.hint.height() >= 2 * editor.hint.fontMetrics().lineSpacing()  # its own hint, two lines
    send(editor.grid, QEvent.MouseMove, editor.grid.cell_center(1, 1), Qt.NoButton, Qt.NoButton)
    qtbot.wait(20)
    assert editor.hint.text().startswith("row 1, column 1") and editor.grid.geometry() == before
    editor.grid.hovered.emit("")  # the pointer left: the hint again
    qtbot.wait(20)
    assert editor.grid.geometry() == before
