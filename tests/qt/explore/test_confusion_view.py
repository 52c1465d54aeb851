"""The Mistakes tab: the cells show the model's confusion matrix; clicks list and load the right images."""

import numpy as np
import pytest
from PySide6.QtCore import Qt

from nnviz.model.analysis.confusion import confusion_from_outputs, outputs_of
from nnviz.model.lessons import get_lesson
from nnviz.qt.explore.confusion_view import ConfusionView
from tests.qt.conftest import shown


def trained(lesson, n):
    t = get_lesson(lesson).build(seed=0)
    for _ in range(n):
        t.step()
    return t, t.snapshot(lesson=lesson)


def test_grid_shows_the_confusion_matrix_and_the_accuracy(qtbot):
    t, snap = trained("digits", 80)
    v = shown(qtbot, ConfusionView(), 520, 720)
    v.set_lesson(t.dataset)
    v.show_snapshot(snap, None)
    d = t.dataset
    counts, _ = confusion_from_outputs(d.task, outputs_of(snap.network(), d.x_test), d.y_test, 10)
    np.testing.assert_array_equal(v.grid.counts, counts)
    np.testing.assert_array_equal(v.counts, counts)
    right = int(np.trace(counts))
    assert f"{right:,} of {len(d.x_test):,}" in v.header.text()
    assert f"({t.evaluate('test')[1]:.1%})" in v.header.text()
    assert v.grid.names == [str(i) for i in range(10)]
    # right answers are drawn green, mistakes red, empty mistake cells neutral
    i, j = np.unravel_index(np.argmax(counts - np.diag(np.diag(counts))), counts.shape)
    green, red = v.grid.cell_color(3, 3), v.grid.cell_color(int(i), int(j))
    assert green.green() > green.red() and red.red() > red.green()
    zero = np.argwhere(counts == 0)[0]
    assert v.grid.cell_color(*map(int, zero)).getRgb()[:3] == (24, 24, 24)
    assert v.grid.describe(int(i), int(j)).startswith(f"{counts[i, j]} test images labelled {i}")


def test_clicking_a_cell_lists_its_images_and_clicking_one_loads_it(qtbot):
    t, snap = trained("digits", 80)
    v = shown(qtbot, ConfusionView(), 520, 720)
    v.set_lesson(t.dataset)
    v.show_snapshot(snap, None)
    d = t.dataset
    counts = v.counts
    off = counts - np.diag(np.diag(counts))
    i, j = map(int, np.unravel_index(np.argmax(off), off.shape))
    qtbot.mouseClick(v.grid, Qt.LeftButton, pos=v.grid.cell_rect(i, j).center().toPoint())
    assert v.cell == (i, j) and v.grid.selected == (i, j)
    assert v.images.count() == counts[i, j] == len(v.listed)
    out = snap.network().predict(d.x_test)
    assert all(d.y_test[k] == i and out[k].argmax() == j for k in v.listed)
    assert list(out[v.listed].max(axis=1)) == sorted(out[v.listed].max(axis=1), reverse=True)  # surest first
    assert f"{counts[i, j]}</b> test images labelled <b>{i}</b>" in v.cell_label.text()
    got, status = [], []
    v.loadInput.connect(got.append)
    v.statusMessage.connect(status.append)
    item = v.images.item(1)
    qtbot.mouseClick(v.images.viewport(), Qt.LeftButton, pos=v.images.visualItemRect(item).center())
    k = int(item.data(Qt.UserRole))
    assert k == v.listed[1]
    np.testing.assert_array_equal(got[0], d.x_test[k])
    assert got[0].dtype == np.float32 and got[0].shape == (64,)
    assert f"#{k}" in status[0]


def test_the_chosen_cell_follows_training(qtbot):
    t, snap = trained("digits", 10)
    v = shown(qtbot, ConfusionView(), 520, 720)
    v.set_lesson(t.dataset)
    v.show_snapshot(snap, None)
    v.choose_cell(2, 2)
    for _ in range(100):
        t.step()
    later = t.snapshot(lesson="digits")
    v.show_snapshot(later, None)
    d = t.dataset
    counts, _ = confusion_from_outputs("classification", outputs_of(later.network(), d.x_test), d.y_test, 10)
    assert v.cell == (2, 2) and v.images.count() == counts[2, 2]


def test_a_paused_snapshot_is_drawn_from_the_outputs_it_carries(qtbot):
    from dataclasses import replace

    t, snap = trained("digits", 10)
    d = t.dataset
    v = shown(qtbot, ConfusionView(), 520, 720)
    v.set_lesson(d)
    every_answer_is_3 = np.zeros((len(d.x_test), 10), np.float32)
    every_answer_is_3[:, 3] = 1
    v.show_snapshot(replace(snap, test_outputs=every_answer_is_3), None)  # measured on the training thread
    assert not v.is_computing()
    assert v.counts[:, 3].sum() == len(d.x_test) and v.counts.sum() == len(d.x_test)


def test_a_running_snapshot_is_counted_off_the_gui_thread_and_the_newest_count_stays(qtbot):
    from dataclasses import replace

    t, first = trained("digits", 5)
    d = t.dataset
    v = shown(qtbot, ConfusionView(), 520, 720)
    v.set_lesson(d)
    running = replace(first, steps_per_second=500.0)
    v.show_snapshot(running, None)
    assert v.counts is None and v.is_computing()  # returned at once: the pass is elsewhere
    for _ in range(60):
        t.step()
    newer = replace(t.snapshot(lesson="digits"), steps_per_second=500.0)
    v.show_snapshot(newer, None)  # asked while the first pass runs: only the newest is drawn
    qtbot.waitUntil(lambda: not v.is_computing(), timeout=20000)
    counts, _ = confusion_from_outputs(d.task, outputs_of(newer.network(), d.x_test), d.y_test, 10)
    np.testing.assert_array_equal(v.counts, counts)
    assert f"Iteration {newer.iteration:,}:" in v.header.text()


@pytest.mark.parametrize("steps", [0, 1])
def test_smile_is_two_by_two_and_no_answer_counts_as_a_mistake(qtbot, steps):
    t, snap = trained("smile", steps)
    v = shown(qtbot, ConfusionView(), 420, 500)
    v.set_lesson(t.dataset)
    v.show_snapshot(snap, None)
    d = t.dataset
    counts, predicted = confusion_from_outputs(d.task, outputs_of(snap.network(), d.x_test), d.y_test, 2)
    np.testing.assert_array_equal(v.grid.counts, counts)
    assert v.grid.names == ["not a smile", "smile"]
    assert np.trace(counts) / 5 == pytest.approx(t.evaluate("test")[1])
    if steps == 0:
        assert "5 gave an output of exactly 0" in v.header.text() and np.trace(counts) == 0
    # click the "true smile, answered not a smile" cell and load its first image
    qtbot.mouseClick(v.grid, Qt.LeftButton, pos=v.grid.cell_rect(1, 0).center().toPoint())
    assert v.images.count() == counts[1, 0]
    if counts[1, 0]:
        got = []
        v.loadInput.connect(got.append)
        item = v.images.item(0)
        qtbot.mouseClick(v.images.viewport(), Qt.LeftButton, pos=v.images.visualItemRect(item).center())
        np.testing.assert_array_equal(got[0], d.x_test[int(item.data(Qt.UserRole))])
        assert d.y_test[int(item.data(Qt.UserRole)), 0] > 0


def test_a_snapshot_of_another_shape_is_ignored_and_a_new_lesson_clears(qtbot):
    t, snap = trained("smile", 1)
    v = shown(qtbot, ConfusionView(), 420, 500)
    d, _ = trained("digits", 0)
    v.set_lesson(d.dataset)
    v.show_snapshot(snap, None)  # a smile snapshot arriving after the digits lesson opened
    assert v.counts is None and v.grid.counts.size == 0
    qtbot.mouseClick(v.grid, Qt.LeftButton, pos=v.grid.rect().center())  # nothing to click: no error
    assert v.images.count() == 0


def test_colour_blind_palette(qtbot):
    t, snap = trained("digits", 40)
    v = shown(qtbot, ConfusionView(), 520, 720)
    v.set_lesson(t.dataset)
    v.show_snapshot(snap, None)
    v.set_palette("blue-orange")
    right = v.grid.cell_color(0, 0)
    assert right.blue() > right.red() and "Blue diagonal" in v.header.text()
