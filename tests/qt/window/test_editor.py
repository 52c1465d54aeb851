"""Painting with the mouse on the real window, and the network answering at once."""

import numpy as np
from PySide6.QtCore import Qt

from tests.qt.conftest import wait_iteration


def drag(qtbot, grid, cells, button=Qt.LeftButton):
    pts = [grid.cell_center(r, c) for r, c in cells]
    qtbot.mousePress(grid, button, pos=pts[0])
    for p in pts[1:]:
        qtbot.mouseMove(grid, pos=p)
    qtbot.mouseRelease(grid, button, pos=pts[-1])


def test_a_drag_paints_exactly_the_cells_it_crosses(qtbot, make_window):
    win = make_window("digits")
    ed = win.pixel_editor
    ed.set_brush_radius(0.5)  # a one-cell pen
    drag(qtbot, ed.grid, [(2, 0), (2, 7)])  # a fast stroke: only two mouse positions
    img = ed.image()
    assert img.shape == (8, 8) and img.dtype == np.float32
    np.testing.assert_array_equal(img[2], 1.0)  # no gaps
    # the soft pen's edge may leave a trace next to the line, never real ink
    assert np.delete(img, 2, axis=0).max() < 0.1


def test_right_drag_erases_and_undo_redo_restore_exact_grids(qtbot, make_window):
    win = make_window("digits")
    ed = win.pixel_editor
    ed.set_brush_radius(0.5)
    drag(qtbot, ed.grid, [(0, 3), (7, 3)])
    painted = ed.image()
    assert (painted[:, 3] == 1).all()
    drag(qtbot, ed.grid, [(4, 3), (7, 3)], Qt.RightButton)
    erased = ed.image()
    assert (erased[:4, 3] > 0.9).all() and (erased[4:, 3] < 0.1).all()
    ed.undo_action.trigger()
    np.testing.assert_array_equal(ed.image(), painted)
    ed.redo_action.trigger()
    np.testing.assert_array_equal(ed.image(), erased)
    ed.clear_action.trigger()
    assert not ed.image().any()


def test_smile_cells_toggle_on_click(qtbot, make_window):
    win = make_window("smile")
    ed = win.pixel_editor
    grid = ed.grid
    qtbot.mouseClick(grid, Qt.LeftButton, pos=grid.cell_center(3, 1))
    expected = np.zeros((4, 3), np.float32)
    expected[3, 1] = 1
    np.testing.assert_array_equal(ed.image(), expected)
    qtbot.mouseClick(grid, Qt.LeftButton, pos=grid.cell_center(3, 1))
    assert not ed.image().any()


def test_painting_updates_the_activation_view_and_the_answer(qtbot, make_window):
    win = make_window("mnist")
    win.controller.step(200)
    wait_iteration(qtbot, win, 200, timeout=20000)
    before = win.readout.text()
    changes = []
    win.pixel_editor.imageChanged.connect(lambda: changes.append(1))
    drag(qtbot, win.pixel_editor.grid, [(5, 14), (12, 14), (20, 14), (24, 14)])  # a "1"
    assert len(changes) >= 3  # live during the drag, not only at release
    shown = win.activation_view.displayed_activations()
    np.testing.assert_array_equal(shown[0], win.pixel_editor.image().ravel())
    assert shown[0].sum() > 10
    assert win.readout.text() != before


def test_smile_readout_says_smile_or_not(qtbot, make_window):
    from nnviz.model.data.datasets import face

    win = make_window("smile")
    win.controller.step(12)
    wait_iteration(qtbot, win, 12)
    win.pixel_editor.set_image(face("#.#", "...", "#.#", ".#.").reshape(4, 3))
    assert win.readout.text().startswith("smile")
    win.pixel_editor.set_image(face("#.#", "...", "###", "...").reshape(4, 3))
    assert win.readout.text().startswith("not a smile")


def test_adding_an_example_grows_the_training_set_with_its_label(qtbot, make_window):
    win = make_window("smile")
    n = len(win.controller.dataset.x_train)
    win.pixel_editor.set_image(np.eye(4, 3, dtype=np.float32))
    win.add_drawing_to_training_set(label=1)
    ds = win.controller.dataset
    assert len(ds.x_train) == n + 1
    np.testing.assert_array_equal(ds.x_train[-1], np.eye(4, 3).ravel())
    assert ds.y_train[-1, 0] == 1.0
    # and the worker trains on it: one nudge round now sees 5 examples
    win.controller.step(1)
    wait_iteration(qtbot, win, 1)


def test_clicking_an_example_loads_it_into_the_editor(qtbot, make_window):
    win = make_window("digits")
    got = []
    win.browser.exampleChosen.connect(lambda x, label: got.append((x, label)))
    view = win.browser.view
    win.docks["datasetBrowser"].raise_()
    qtbot.waitUntil(lambda: view.isVisible(), timeout=5000)
    qtbot.wait(100)  # let the (batched) icon layout settle after the right/wrong marks arrive
    index = win.browser.model.index(2, 0)
    rect = view.visualRect(index)
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=rect.center())
    assert len(got) == 1
    ds = win.controller.dataset
    np.testing.assert_array_equal(got[0][0], ds.x_train[2].reshape(8, 8))
    assert got[0][1] == str(ds.y_train[2])
    np.testing.assert_array_equal(win.pixel_editor.image(), ds.x_train[2].reshape(8, 8))


def test_the_browser_marks_mistakes_under_the_current_weights(qtbot, make_window):
    win = make_window("smile")
    win.controller.step(12)
    snap = wait_iteration(qtbot, win, 12)
    win.docks["datasetBrowser"].raise_()
    qtbot.waitUntil(lambda: win.browser.isVisible(), timeout=5000)
    win.browser.split_combo.setCurrentText("test")
    qtbot.waitUntil(lambda: not win.browser.is_marking() and "test" in win.browser.predictions, timeout=5000)
    ds = win.controller.dataset
    right = np.sign(snap.network().predict(ds.x_test)[:, 0]) == ds.y_test[:, 0]
    marks = [win.browser.model.data(win.browser.model.index(i, 0)) for i in range(len(ds.x_test))]
    assert [m.split("\n")[0].endswith("✓") for m in marks] == right.tolist()  # line 2: output, target
    win.browser.mistakes_box.setChecked(True)
    assert win.browser.model.rowCount() == int((~right).sum())


def test_removing_an_example_is_undoable_and_examples_survive_a_restart(qtbot, make_window, tmp_path):
    from nnviz.qt.window.main_window import MainWindow

    win = make_window("smile")
    n = len(win.controller.dataset.x_train)
    win.pixel_editor.set_image(np.eye(4, 3, dtype=np.float32))
    win.add_drawing_to_training_set(label=1)
    win.pixel_editor.set_image(np.ones((4, 3), np.float32))
    win.add_drawing_to_training_set(label=0)
    assert len(win.controller.dataset.x_train) == n + 2
    # browse "my examples", select the first, remove it
    win.browser.split_combo.setCurrentText("my examples")
    assert win.browser.model.rowCount() == 2
    win.browser.view.setCurrentIndex(win.browser.model.index(0, 0))
    win.actions["remove_example"].trigger()
    ds = win.controller.dataset
    assert len(ds.x_train) == n + 1 and ds.y_train[-1, 0] == -1.0
    win.actions["undo_example"].trigger()
    ds = win.controller.dataset
    assert len(ds.x_train) == n + 2
    np.testing.assert_array_equal(ds.x_train[-2], np.eye(4, 3).ravel())
    # export, then a fresh window on the same settings restores them from the autosave
    win.examples.import_file(str(tmp_path / "missing.npz"))  # a bad file: clear message, nothing lost
    assert "missing.npz" in win.training_panel.message_label.text()
    assert len(win.controller.dataset.x_train) == n + 2
    again = MainWindow(lesson="smile", settings=win.settings)
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: again.controller.dataset is not None and len(again.examples) == 2, timeout=10000)
    assert len(again.controller.dataset.x_train) == n + 2
    again.close()
