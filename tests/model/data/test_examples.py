import numpy as np
import pytest

from nnviz.model.data.datasets import smile
from nnviz.model.errors import DataFormatError
from nnviz.model.data.examples import UserExamples, load_examples, save_examples
from nnviz.model.lessons import load_dataset


def test_add_remove_undo_redo_restore_the_exact_list():
    ex = UserExamples()
    a, b = np.eye(4, 3).ravel(), np.ones(12)
    ex.add(a, 1)
    ex.add(b, 0)
    ex.remove(0)
    assert len(ex) == 1 and ex.labels == [0]
    assert ex.undo()  # the removal comes back, in its place
    assert ex.labels == [1, 0] and np.array_equal(ex.images[0], a)
    assert ex.redo() and ex.labels == [0]
    ex.undo(), ex.undo(), ex.undo()
    assert len(ex) == 0 and not ex.can_undo and ex.can_redo


def test_examples_join_the_training_split_with_the_right_targets():
    base = smile()
    ex = UserExamples()
    ex.add(np.ones(12), 1)
    ex.add(np.zeros(12), 0)
    ds = ex.appended_to(base)
    assert len(ds.x_train) == len(base.x_train) + 2
    assert ds.y_train[-2:, 0].tolist() == [1.0, -1.0]


def test_round_trip_through_a_file(tmp_path):
    ds = load_dataset("digits")
    ex = UserExamples()
    ex.add(ds.x_test[0], 7)
    ex.add(ds.x_test[1], 3)
    path = save_examples(tmp_path / "mine.npz", ex, ds, "digits")
    x, y = load_examples(path, ds)
    np.testing.assert_array_equal(x, np.stack(ex.images))
    assert y.tolist() == [7, 3]


def test_a_file_for_another_lesson_or_a_foreign_file_is_refused(tmp_path):
    ex = UserExamples()
    ex.add(np.ones(12), 1)
    path = save_examples(tmp_path / "smiles.npz", ex, smile(), "smile")
    with pytest.raises(DataFormatError, match="smiles.npz.*8×8"):
        load_examples(path, load_dataset("digits"))
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(DataFormatError, match="junk.npz"):
        load_examples(junk, smile())


def test_merging_a_files_examples_adds_only_the_ones_not_already_there():
    rng = np.random.default_rng(0)
    one, two = rng.random(64, dtype=np.float32), rng.random(64, dtype=np.float32)
    ex = UserExamples()
    ex.add(one, 1)
    # a session file carries the learner's "1" back, plus a new "2" and the same pixels labelled 7
    assert ex.merge(np.stack([one, two, one]), [1, 2, 7]) == 2
    assert ex.labels == [1, 2, 7]
    assert ex.merge(np.stack([one, two]), [1, 2]) == 0
    assert len(ex) == 3
    assert ex.undo() and ex.labels == [1, 2]  # each one added is an undo step like any other
