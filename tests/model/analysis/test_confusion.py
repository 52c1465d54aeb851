"""The confusion matrix against a brute-force count and the trainer's own accuracy."""

import numpy as np
import pytest

from nnviz.model.analysis.confusion import (UNDECIDED, cell_indices, class_names, confusion_from_outputs,
                                            outputs_of)
from nnviz.model.data.datasets import SIGN
from nnviz.model.lessons import get_lesson


def trained(lesson, steps):
    t = get_lesson(lesson).build(seed=0)
    for _ in range(steps):
        t.step()
    return t


def brute_force(net, x, y, task, c):
    """A double loop over (true, answer) cells, each counting the examples one by one."""
    out = net.predict(x)
    counts = np.zeros((c, c), dtype=int)
    for i in range(c):
        for j in range(c):
            for o, label in zip(out, y):
                if task == SIGN:
                    t = 1 if float(label[0]) > 0 else 0
                    answer = 1 if o[0] > 0 else 0 if o[0] < 0 else 1 - t  # 0 = no answer = a mistake
                else:
                    t, answer = int(label), int(np.argmax(o))
                counts[i, j] += (t == i and answer == j)
    return counts


@pytest.mark.parametrize("lesson, steps", [("digits", 0), ("digits", 40), ("smile", 0), ("smile", 1), ("smile", 12)])
def test_counts_match_brute_force_the_test_count_and_the_accuracy(lesson, steps):
    t = trained(lesson, steps)
    d = t.dataset
    c = 2 if d.task == SIGN else len(d.class_names)
    counts, predicted = confusion_from_outputs(d.task, outputs_of(t.network, d.x_test), d.y_test, c)
    assert counts.shape == (c, c) and counts.dtype.kind == "i" and predicted.shape == (len(d.x_test),)
    assert counts.sum() == len(d.x_test)
    np.testing.assert_array_equal(counts, brute_force(t.network, d.x_test, d.y_test, d.task, c))
    _, accuracy = t.evaluate("test")
    assert np.trace(counts) / counts.sum() == pytest.approx(accuracy, abs=1e-12)


def test_smile_before_training_has_no_answers_and_counts_them_as_mistakes():
    t = trained("smile", 0)  # every weight 0: every output is exactly 0
    d = t.dataset
    counts, predicted = confusion_from_outputs(d.task, outputs_of(t.network, d.x_test), d.y_test, 2)
    assert (predicted == UNDECIDED).all()
    assert np.trace(counts) == 0 and counts.sum() == 5
    assert counts[1, 0] == int((d.y_test[:, 0] > 0).sum()) and counts[0, 1] == int((d.y_test[:, 0] < 0).sum())
    assert class_names(d) == ("not a smile", "smile")


@pytest.mark.parametrize("lesson, steps", [("digits", 40), ("smile", 1), ("smile", 0)])
def test_cell_indices_fill_each_cell_and_partition_the_split(lesson, steps):
    t = trained(lesson, steps)
    d = t.dataset
    c = 2 if d.task == SIGN else 10
    counts, predicted = confusion_from_outputs(d.task, outputs_of(t.network, d.x_test), d.y_test, c)
    out = t.network.predict(d.x_test)
    seen = []
    for i in range(c):
        for j in range(c):
            idx = cell_indices(d.y_test, predicted, i, j)
            assert len(idx) == counts[i, j]
            for k in idx:
                if d.task == SIGN:
                    truth = int(d.y_test[k, 0] > 0)
                    assert truth == i and (np.sign(out[k, 0]) == (1 if j else -1) or (out[k, 0] == 0 and j != i))
                else:
                    assert d.y_test[k] == i and out[k].argmax() == j
            seen.extend(idx.tolist())
    assert sorted(seen) == list(range(len(d.x_test)))


def test_empty_split():
    t = trained("digits", 0)
    outputs = outputs_of(t.network, np.zeros((0, 64), np.float32))
    counts, predicted = confusion_from_outputs("classification", outputs, np.zeros(0, np.int64), 10)
    assert counts.shape == (10, 10) and counts.sum() == 0 and len(predicted) == 0
