"""Weights set by hand: exact, undoable, on the timeline (rewind and continue reproduce them)."""

import numpy as np
import pytest

from nnviz.model.core.reports import Continued, Edited
from nnviz.model.session import TrainingSession
from nnviz.model.errors import NNVizError


def session(lesson="smile") -> TrainingSession:
    s = TrainingSession()
    s.load_lesson(lesson)
    return s


def params(t):
    return [w.copy() for w in t.network.weights] + [b.copy() for b in t.network.biases]


def test_an_edit_sets_exactly_that_weight_and_the_loss_follows():
    s = session("smile")
    before = params(s.trainer)
    s.set_weight(0, 0, 1, 1.0)
    after = params(s.trainer)
    assert after[0][0, 1] == 1.0
    changed = [(i, tuple(np.argwhere(a != b)[0])) for i, (a, b) in enumerate(zip(before, after)) if (a != b).any()]
    assert changed == [(0, (0, 1))]  # nothing else moved
    ds = s.trainer.dataset
    assert s.trainer.last_loss == pytest.approx(s.trainer.network.loss(ds.x_train, ds.y_train, "mse"), rel=1e-6)
    snap = s.snapshot()
    assert snap.weights[0][0, 1] == 1.0 and snap.hand_edits == 1 and snap.iteration == 0
    # the smile's output is the weighted sum: pixel 1 lit adds exactly the new weight
    x = np.zeros((1, 12), np.float32)
    x[0, 1] = 1.0
    assert float(snap.network().predict(x)[0, 0]) == 1.0
    report = [r for r in s.take_reports() if isinstance(r, Edited)][-1]
    assert (report.old, report.new, report.undo, report.redo) == (0.0, 1.0, True, False)


def test_undo_puts_it_back_and_redo_again():
    s = session("digits")
    s.step(3)
    w = s.trainer.network.weights[1][5, 7].copy()
    s.set_weight(1, 5, 7, 0.25)
    s.set_weight(1, 5, 7, -0.5)
    assert s.undo_edit() and s.trainer.network.weights[1][5, 7] == np.float32(0.25)
    assert s.undo_edit() and s.trainer.network.weights[1][5, 7] == w
    assert not s.undo_edit()  # nothing more to undo, nothing changes
    assert s.redo_edit() and s.trainer.network.weights[1][5, 7] == np.float32(0.25)
    s.set_weight(1, 5, 7, 2.0)  # a new edit ends the redo
    assert not s.redo_edit()


def test_undoing_an_edit_shows_the_loss_shown_before_it_until_training_moves_on():
    s = session("mnist")
    s.step(5)
    shown = s.snapshot().loss  # the last mini-batch's loss, as the panel shows it
    s.set_weight(0, 3, 400, 5.0)
    edited = s.snapshot().loss
    assert abs(edited - shown) > 1e-6
    assert s.undo_edit()
    assert s.snapshot().loss == pytest.approx(shown, rel=1e-12)  # not a re-measure on another sample
    assert s.redo_edit()
    assert s.snapshot().loss == pytest.approx(edited, rel=1e-12)
    s.step(1)
    assert s.undo_edit()  # after training on, the loss of the network now is measured
    assert np.isfinite(s.snapshot().loss) and s.snapshot().loss != pytest.approx(shown, rel=1e-9)


def test_biases_are_edited_too_where_the_net_has_them():
    s = session("digits")
    s.set_weight(2, 3, 0, 0.75, bias=True)
    assert s.trainer.network.biases[2][3] == 0.75
    with pytest.raises(NNVizError, match="no biases"):
        session("smile").set_weight(0, 0, 0, 1.0, bias=True)


@pytest.mark.parametrize("args, says", [((3, 0, 0), "no weight layer 3"), ((0, 1, 0), "has 1 neurons"),
                                        ((0, 0, 12), "12 incoming weights")])
def test_out_of_range_edits_are_refused_with_a_sentence_and_change_nothing(args, says):
    s = session("smile")
    before = params(s.trainer)
    with pytest.raises(NNVizError, match=says):
        s.set_weight(*args, 1.0)
    with pytest.raises(NNVizError, match="finite"):
        s.set_weight(0, 0, 0, float("nan"))
    assert all((a == b).all() for a, b in zip(before, params(s.trainer))) and s.hand_edits == 0


def test_rewind_past_an_edit_and_continue_reproduces_it():
    s = session("digits")
    s.step(5)
    s.set_weight(0, 2, 10, 0.5)
    s.step(5)
    live = params(s.trainer)
    # the edit is on the timeline: the state kept at its iteration is the edited one
    assert s.timeline.get(5).weights[0][2, 10] == 0.5
    s.preview(3)
    assert s.snapshot().weights[0][2, 10] != 0.5  # before the edit
    s.resume_from(5)
    s.step(5)
    assert all(np.array_equal(a, b) for a, b in zip(params(s.trainer), live))  # bit for bit


def test_an_edit_while_a_past_iteration_is_shown_continues_from_there():
    s = session("smile")
    s.step(4)
    s.preview(2)
    s.set_weight(0, 0, 0, 3.0)
    assert s.viewing is None and s.trainer.iteration == 2 and s.trainer.network.weights[0][0, 0] == 3.0
    assert any(isinstance(r, Continued) for r in s.take_reports())


def test_a_conv_kernel_weight_is_set_by_its_flat_index():
    s = session("conv")
    s.set_weight(0, 3, 4, 1.5)  # filter 3, channel 0, row 1, column 1 of its 1×3×3 kernel
    assert s.trainer.network.weights[0][3, 0, 1, 1] == 1.5
