"""The Mistakes, What a neuron wants and Smile population tabs: what they show equals the model's numbers."""

import numpy as np
import pytest
from PySide6.QtCore import Qt

from nnviz.model.lessons import get_lesson
from nnviz.model.mistakes import confusion_matrix
from nnviz.model.wants import input_gradient, saliency
from nnviz.qt.mistakes_view import MistakesView
from nnviz.qt.population_view import PopulationView
from nnviz.qt.wants_view import WantsView
from tests.qt.conftest import shown


def trained(lesson, n):
    t = get_lesson(lesson).build(seed=0)
    for _ in range(n):
        t.step()
    return t, t.snapshot(lesson=lesson)


def test_mistakes_table_equals_the_confusion_matrix_and_a_click_loads_the_image(qtbot):
    t, snap = trained("digits", 80)
    v = shown(qtbot, MistakesView(), 520, 700)
    v.set_lesson(t.dataset)
    v.show_snapshot(snap, None)
    d = t.dataset
    counts, _, _ = confusion_matrix(snap.network(), d.x_test, d.y_test, d.task, 10)
    shown_counts = np.array([[int(v.table.item(i, j).text()) for j in range(10)] for i in range(10)])
    np.testing.assert_array_equal(shown_counts, counts)
    assert shown_counts.sum() == len(d.x_test)
    i, j = np.argwhere(counts - np.diag(np.diag(counts)) == (counts - np.diag(np.diag(counts))).max())[0]
    v.choose_cell(int(i), int(j))
    assert v.images.count() == counts[i, j]
    got = []
    v.loadInput.connect(got.append)
    item = v.images.item(0)
    qtbot.mouseClick(v.images.viewport(), Qt.LeftButton, pos=v.images.visualItemRect(item).center())
    k = int(item.data(Qt.UserRole))
    np.testing.assert_array_equal(got[0], d.x_test[k])
    assert d.y_test[k] == i and snap.network().predict(d.x_test[k:k + 1])[0].argmax() == j


def test_wants_finds_a_more_exciting_input_and_shows_the_saliency(qtbot):
    t, snap = trained("mnist", 100)
    v = shown(qtbot, WantsView(), 520, 600)
    v.set_lesson(t.dataset)
    painted = t.dataset.x_test[0]
    v.show_snapshot(snap, painted)
    top, g = saliency(snap.network(), painted)
    np.testing.assert_allclose(v.saliency, g)
    assert f"“{top}”" in v.sal_text.text()
    v.select_neuron(1, 5)
    v.show_snapshot(snap, painted)
    v.steps.setValue(40)
    qtbot.mouseClick(v.from_blank, Qt.LeftButton)
    x, trace = v.result
    before = input_gradient(snap.network(), np.zeros(784), 1, 5)[0]
    after = input_gradient(snap.network(), x, 1, 5)[0]
    assert after > before and f"{before:.3f} → {after:.3f}" in v.best_text.text()
    got = []
    v.loadInput.connect(got.append)
    qtbot.mouseClick(v.load, Qt.LeftButton)
    np.testing.assert_array_equal(got[0], x)


def test_population_counts_all_4096_and_groups_browse(qtbot):
    t, snap = trained("smile", 12)
    v = shown(qtbot, PopulationView(), 520, 700)
    v.set_lesson(t.dataset)
    v.show_snapshot(snap, None)
    from nnviz.model.datasets import smile_population
    direct = int((snap.network().predict(smile_population())[:, 0] > 0).sum())
    assert f"{direct:,} of 4,096" in v.header.text()
    assert v.groups.count() == 64
    m = int(v.groups.item(0).data(Qt.UserRole))
    v.choose_group(m)
    assert v.faces.count() == 64
    got = []
    v.loadInput.connect(got.append)
    item = v.faces.item(5)
    qtbot.mouseClick(v.faces.viewport(), Qt.LeftButton, pos=v.faces.visualItemRect(item).center())
    np.testing.assert_array_equal(got[0], v.population.images[int(item.data(Qt.UserRole))])


def test_population_explains_itself_outside_the_smile_lesson(qtbot):
    t, snap = trained("digits", 1)
    v = shown(qtbot, PopulationView(), 400, 300)
    v.set_lesson(t.dataset)
    v.show_snapshot(snap, None)
    assert "smile lesson" in v.header.text() and v.groups.count() == 0
