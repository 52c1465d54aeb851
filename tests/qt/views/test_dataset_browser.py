"""Browsing a lesson's examples and loading one into the editor."""

import time

import numpy as np
import pytest
from PySide6.QtCore import Qt

from nnviz.model.lessons import load_dataset
from nnviz.qt.views.dataset_browser import DatasetBrowser

from tests.qt.conftest import shown


@pytest.fixture
def browser(qtbot):
    return shown(qtbot, DatasetBrowser(), 420, 500)


def click_row(qtbot, browser, row):
    view = browser.view
    rect = view.visualRect(browser.model.index(row, 0))
    assert rect.isValid() and view.viewport().rect().contains(rect.center())
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=rect.center())


def test_clicking_the_third_thumbnail_emits_that_example(qtbot, browser):
    ds = load_dataset("digits")
    browser.set_dataset(ds)
    qtbot.wait(50)  # batched icon layout
    got = []
    browser.exampleChosen.connect(lambda x, label: got.append((x, label)))
    click_row(qtbot, browser, 2)
    assert len(got) == 1
    x, label = got[0]
    assert x.shape == (8, 8) and x.dtype == np.float32
    np.testing.assert_array_equal(x, ds.x_train[2].reshape(8, 8))
    assert label == ds.label_name(ds.y_train[2])


def test_the_test_split_and_labels(qtbot, browser):
    ds = load_dataset("smile")
    browser.set_dataset(ds)
    browser.split_combo.setCurrentText("test")
    assert browser.model.rowCount() == len(ds.x_test)
    shown = [browser.model.data(browser.model.index(i, 0)) for i in range(len(ds.x_test))]
    assert shown == [ds.label_name(y) for y in ds.y_test]
    qtbot.wait(50)
    got = []
    browser.exampleChosen.connect(lambda x, label: got.append((x, label)))
    click_row(qtbot, browser, 4)
    np.testing.assert_array_equal(got[0][0], ds.x_test[4].reshape(4, 3))
    assert got[0][1] == "not a smile"


def test_marks_and_mistakes_only(qtbot, browser):
    ds = load_dataset("digits")
    browser.set_dataset(ds)
    pred = ds.y_train.copy()
    wrong = [1, 5, 40]
    pred[wrong] = (pred[wrong] + 1) % 10
    browser.set_predictions("train", pred)
    model = browser.model
    assert model.data(model.index(0, 0)).endswith("✓")
    assert model.data(model.index(5, 0)).endswith("✗")
    browser.mistakes_box.setChecked(True)
    assert model.rowCount() == 3
    assert [model.data(model.index(i, 0), Qt.UserRole) for i in range(3)] == wrong
    assert all(model.data(model.index(i, 0)).endswith("✗") for i in range(3))
    assert browser.count_label.text() == f"3 of {len(ds.x_train):,}"
    # clicking a filtered thumbnail loads *that* example, not the row's position in the full list
    qtbot.wait(50)
    got = []
    browser.exampleChosen.connect(lambda x, label: got.append(x))
    click_row(qtbot, browser, 1)
    np.testing.assert_array_equal(got[0], ds.x_train[5].reshape(8, 8))
    browser.mistakes_box.setChecked(False)
    assert model.rowCount() == len(ds.x_train)


def test_sign_marks(browser):
    ds = load_dataset("smile")
    browser.set_dataset(ds)
    outputs = ds.y_train[:, 0] * np.array([2.0, 0.5, 3.0, -1.0])  # the last one has the wrong sign
    browser.set_predictions("train", outputs)
    lines = [browser.model.data(browser.model.index(i, 0)).split("\n") for i in range(4)]
    assert [first[-1] for first, _ in lines] == ["✓", "✓", "✓", "✗"]
    # the lesson's moment: each output beside its target, and "exactly right" beside the sign count
    assert list(ds.y_train[:, 0]) == [1, 1, -1, -1]
    assert [second for _, second in lines] == ["+2, wanted +1", "+0.5, wanted +1", "−3, wanted −1", "+1, wanted −1"]
    assert "0 exactly right, 3 by sign" in browser.count_label.text()
    browser.set_predictions("train", ds.y_train[:, 0] * np.array([1.0, 1.0, 3.0, 1.0]))  # lesson, iteration 1
    assert "3 exactly right, 4 by sign" in browser.count_label.text()


def test_new_marks_keep_the_scroll_position(qtbot, browser):
    ds = load_dataset("digits")
    browser.set_dataset(ds)
    qtbot.wait(50)
    bar = browser.view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    bar.setValue(bar.maximum() // 2)
    before = bar.value()
    browser.set_predictions("train", ds.y_train)  # e.g. after a training step
    qtbot.wait(50)
    assert bar.value() == before


@pytest.mark.timing
def test_thousands_of_examples_open_at_once(qtbot, browser):
    ds = load_dataset("mnist")
    t = time.perf_counter()
    browser.set_dataset(ds)
    qtbot.wait(1)
    browser.repaint()
    assert time.perf_counter() - t < 1.0
    assert browser.model.rowCount() == len(ds.x_train) >= 4000
    assert len(browser.model._cache) < 500  # thumbnails are made only for what is seen


def test_an_output_beside_its_target_is_shown_whole(qtbot, browser):
    """"−0.934, wanted…": the grid was sized for a fixed sample text, not for what the outputs read."""
    ds = load_dataset("smile")
    browser.set_dataset(ds)
    browser.set_predictions("train", np.array([-0.934, 0.000012345, -1.5e-5, 0.25]))
    qtbot.wait(20)
    fm = browser.view.fontMetrics()
    for i in range(browser.model.rowCount()):
        index = browser.model.index(i, 0)
        rect = browser.view.visualRect(index)
        for line in browser.model.data(index).split("\n"):
            assert fm.horizontalAdvance(line) + 6 <= rect.width(), line  # the delegate's margins, 3 a side


def test_the_answers_that_mark_the_examples_are_computed_off_the_gui_thread(qtbot):
    """A conv net's answers for 4,000 examples took ~0.34 s of the GUI thread on every paused step."""
    from nnviz.model.lessons import get_lesson

    t = get_lesson("conv").build(seed=0)
    t.step()
    browser = shown(qtbot, DatasetBrowser(), 300, 400)
    browser.set_dataset(t.dataset)
    first = t.snapshot(lesson="conv")
    browser.show_snapshot(first)
    assert browser.is_marking() and "train" not in browser.predictions  # returned at once
    t.step()
    newest = t.snapshot(lesson="conv")
    browser.show_snapshot(newest)  # a newer one asked for meanwhile: only its answers are shown
    qtbot.waitUntil(lambda: not browser.is_marking(), timeout=20000)
    want = newest.network().predict(t.dataset.x_train).argmax(axis=1)
    np.testing.assert_array_equal(browser.predictions["train"], want)
