"""Runs kept while the app runs: each lesson's when another opens, and the run an undo brings back."""

import math

import numpy as np
import pytest

from nnviz.model.core.reports import LessonChanged, Opened, Replaced, UndoAvailable, Undone
from nnviz.model.errors import NNVizError
from nnviz.model.lessons import get_lesson
from nnviz.model.runs import PARKED_BUDGET, RUN_BUDGET
from nnviz.model.session import TrainingSession

from tests.parameters import assert_same, weights


def full_speed(s: TrainingSession, until: int) -> None:
    s._chunk_iterations = 10**6  # as the worker's running timer does: checkpoints only, then the fill
    while s.trainer.iteration < until:
        s.step(until - s.trainer.iteration, fast=True)
    s.complete_timeline(deadline=math.inf)


def test_switching_lessons_and_back_restores_the_run_exactly_and_training_repeats_itself():
    s = TrainingSession()
    s.load_lesson("digits", 0)
    full_speed(s, 300)
    s.change_settings({"learning_rate": 0.02})
    s.step(20)
    s.preview(310)
    before = (weights(s.trainer), s.trainer.iteration, np.array(s.trainer.history.frozen()["loss"]),
              s.trainer.settings, s.trainer.epoch_progress)
    s.take_reports()
    s.load_lesson("smile")
    s.step(3)
    assert s.lesson.name == "smile" and s.trainer.iteration == 3
    s.load_lesson("digits")
    assert s.take_reports()[-2] == LessonChanged("digits", True, 320)
    assert_same(weights(s.trainer), before[0])
    assert s.trainer.iteration == 320 and s.trainer.settings == before[3] and s.trainer.epoch_progress == before[4]
    np.testing.assert_array_equal(s.trainer.history.frozen()["loss"], before[2])
    assert s.viewing == 310 and s.snapshot().iteration == 310  # what was shown comes back too
    assert s.generation == 3  # digits, smile, digits again: views redraw it from scratch
    its = s.timeline.iterations().tolist()
    assert its[0] == 0 and its[-1] == 320 and set(range(290, 321)) <= set(its)  # thinned, newest all kept
    s.preview(320)
    s.step(30)  # training on repeats what it would have done without the detour
    ref = get_lesson("digits").build(seed=0)
    for _ in range(300):
        ref.step()
    ref.apply_settings(learning_rate=0.02)
    for _ in range(50):
        ref.step()
    assert_same(weights(s.trainer), weights(ref))
    assert s.load_lesson("digits") is None and s.generation == 3  # the lesson open already: nothing happens


def test_the_learners_examples_come_back_with_the_lesson_without_a_new_shuffle():
    s = TrainingSession()
    s.load_lesson("digits", 0)
    base = s.trainer.dataset
    mine = base.with_train_examples(np.ones((2, 64), np.float32), np.array([3, 4]))
    s.set_dataset(mine, base)
    s.step(40)
    s.load_lesson("mnist")
    assert s.base is not base
    s.load_lesson("digits")
    assert s.base is base  # the window adds the examples to this again …
    again = base.with_train_examples(np.ones((2, 64), np.float32), np.array([3, 4]))
    order = s.trainer._order
    s.set_dataset(again, base)  # … and sends the same training set: the shuffle goes on
    assert s.trainer._order is order and len(s.trainer.dataset.x_train) == len(base.x_train) + 2
    s.step(10)
    ref = TrainingSession()
    ref.load_lesson("digits", 0)
    ref.set_dataset(mine, base)
    ref.step(50)
    assert_same(weights(s.trainer), weights(ref.trainer))


def test_reset_is_undone_exactly_and_undoing_again_swaps_back():
    s = session_at("digits", 60)
    before = (weights(s.trainer), s.trainer.iteration, len(s.trainer.history), s.trainer.settings)
    s.take_reports()
    s.reset(7)
    replaced, undo = s.take_reports()
    assert replaced == Replaced("reset", 60, True)
    assert undo == UndoAvailable("reset", False)
    assert s.trainer.iteration == 0 and s.trainer.seed == 7
    s.step(4)
    assert s.undo() is False  # False: the lesson is the same
    assert s.take_reports()[0] == Undone("reset", False, 60)
    assert_same(weights(s.trainer), before[0])
    assert (s.trainer.iteration, len(s.trainer.history), s.trainer.settings) == before[1:]
    assert s.timeline.iterations().tolist()[-1] == 60 and s.trainer.seed == 0
    s.step(5)  # and training on repeats what it would have done
    ref = get_lesson("digits").build(seed=0)
    for _ in range(65):
        ref.step()
    assert_same(weights(s.trainer), weights(ref))
    s.undo()  # Redo: the reset run, as the learner left it (4 steps from seed 7)
    assert s.trainer.iteration == 4 and s.trainer.seed == 7
    assert s.take_reports()[-1] == UndoAvailable("reset", False)


def session_at(lesson, n, seed=0):
    s = TrainingSession()
    s.load_lesson(lesson, seed)
    s.step(n)
    return s


def test_rebuild_is_undoable_with_its_layers():
    s = session_at("digits", 30)
    w = weights(s.trainer)
    s.rebuild([20], "tanh")
    assert s.trainer.network.sizes == [64, 20, 10]
    s.undo()
    assert s.trainer.network.sizes == [64, 128, 32, 10] and s.trainer.network.hidden == "relu"
    assert_same(weights(s.trainer), w)


def test_two_resets_in_a_row_still_undo_to_the_trained_run():
    s = session_at("smile", 6)
    w = weights(s.trainer)
    s.reset()
    s.reset(3)  # nothing trained in between: the trained run stays the one to come back to
    s.undo()
    assert s.trainer.iteration == 6
    assert_same(weights(s.trainer), w)


def test_nothing_to_undo_is_refused_in_words_and_nothing_changes():
    s = session_at("digits", 3)
    with pytest.raises(NNVizError, match="^Nothing to undo"):
        s.undo()
    assert s.trainer.iteration == 3 and s.generation == 1
    assert TrainingSession().undo() is False  # before a lesson: nothing happens


def test_undo_trains_on_the_data_of_now():
    s = session_at("digits", 10)
    base = s.trainer.dataset
    s.reset()
    mine = base.with_train_examples(np.zeros((1, 64), np.float32), np.array([1]))
    s.set_dataset(mine, base)  # an example added after the reset
    s.undo()
    assert s.trainer.iteration == 10 and len(s.trainer.dataset.x_train) == len(base.x_train) + 1


def test_each_lesson_keeps_its_own_undo():
    s = session_at("digits", 12)
    s.reset()
    s.load_lesson("smile")
    with pytest.raises(NNVizError, match="Nothing to undo"):
        s.undo()
    s.load_lesson("digits")
    assert s.take_reports()[-1] == UndoAvailable("reset", False)
    s.undo()
    assert s.trainer.iteration == 12


def test_a_lesson_left_keeps_every_state_of_its_timeline_exactly_and_rewinding_there_trains_on_alike(tmp_path):
    s = TrainingSession()
    s.spill_dir = tmp_path
    s.load_lesson("mnist", 0)
    full_speed(s, 600)
    kept = s.timeline.iterations().copy()
    assert len(kept) > 250  # more than a thinned run would keep (RUN_BUDGET: ~75 mnist states)
    at = int(kept[len(kept) // 3])
    want = s.timeline.get(at)
    want = ([w.copy() for w in want.weights], [b.copy() for b in want.biases])
    s.resume_from(at)
    s.step(7)
    trained_on = weights(s.trainer)
    s.undo()  # back to iteration 600, the run above kept for undo

    s.load_lesson("digits")
    left = s._parked["mnist"].run.timeline
    assert np.array_equal(left.iterations(), kept)  # nothing thinned by the switch
    assert left.footprint() < left.nbytes / 10  # the states are on disk, not in memory
    s.load_lesson("mnist")
    got = s.timeline.get(at)
    assert_same(list(got.weights) + list(got.biases), want[0] + want[1])  # the same bytes come back
    s.resume_from(at)
    s.step(7)
    assert_same(weights(s.trainer), trained_on)  # and training on from there repeats itself


def test_opening_a_model_of_a_lesson_left_keeps_that_lessons_run_for_undo(tmp_path):
    s = session_at("digits", 25)
    s.save_model(str(tmp_path / "m.npz"))
    s.step(5)
    s.load_lesson("smile")
    assert s.load_model(str(tmp_path / "m.npz")) is True and s.trainer.iteration == 25
    assert isinstance(s.take_reports()[-1], Opened)
    s.undo()  # the digits run that was left at iteration 30
    assert s.lesson.name == "digits" and s.trainer.iteration == 30


def test_runs_set_aside_stay_within_the_budget():
    """Every run set aside at once (two lessons left, each with an undo, and the live lesson's
    undo), each with a timeline far over its share: together within PARKED_BUDGET in memory;
    the lessons left keep their whole timelines, on disk."""
    s = TrainingSession()
    for lesson, n in (("digits", 500), ("mnist", 400), ("smile", 40)):
        s.load_lesson(lesson)
        full_speed(s, n)
        assert len(s.timeline) > 250 or lesson == "smile"  # RUN_BUDGET holds ~100 of them
        s.resume_from(n - 100)  # continuing from the past keeps the later run for undo
        s.step(120)
    runs = [r for left in s._parked.values() for r in (left.run, left.undo[0])] + [s._undo[0]]
    assert len(runs) == 5
    sizes = [r.timeline.footprint() for r in runs]
    assert all(size <= RUN_BUDGET for size in sizes) and sum(sizes) <= PARKED_BUDGET
    assert len(runs[0].timeline) > 250 and len(runs[2].timeline) > 250  # whole, on disk (RUN_BUDGET: ~100)
    s.load_lesson("digits")  # and what comes back is still the run, at its live iteration
    assert s.trainer.iteration == 520 and s.timeline.iterations()[-1] == 520
