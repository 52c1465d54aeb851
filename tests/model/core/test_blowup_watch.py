"""The blow-up watch: a learning rate that wrecks the network is caught while the loss is finite;
the lessons' own settings and sensible changes never raise a false alarm."""

import math

import numpy as np
import pytest

from nnviz.model.core.reports import BlowUp
from nnviz.model.lessons import get_lesson
from nnviz.model.core.messages import blowup_message
from nnviz.model.session import TrainingSession


def session(lesson, seed=0):
    s = TrainingSession()
    s.load_lesson(lesson, seed)
    return s


def train(s, n):
    """``n`` iterations as a run does (checkpoints, then the fill); the blow-up reports."""
    s._chunk_iterations = 10**6
    target = s.trainer.iteration + n
    while s.trainer.iteration < target:
        before = s.trainer.iteration
        s.step(target - before, fast=True)
        if any(isinstance(r, BlowUp) for r in s._reports):
            break
    s.complete_timeline(deadline=math.inf)
    return [r for r in s.take_reports() if isinstance(r, BlowUp)]


def epochs(s, k):
    return int(k * s.trainer.steps_per_epoch)


@pytest.mark.parametrize("lesson, k", [("smile", 200), ("digits", 5), ("mnist", 4)])
def test_each_lessons_own_settings_for_a_few_epochs_raise_no_alarm(lesson, k):
    s = session(lesson)
    assert train(s, epochs(s, k)) == []
    assert s.trainer.iteration == epochs(s, k)


@pytest.mark.parametrize("lesson, changes", [
    ("digits", {"learning_rate": 0.1}), ("digits", {"learning_rate": 0.3}), ("digits", {"batch_size": 1}),
    ("digits", {"optimizer": "adam", "learning_rate": 0.001}), ("digits", {"loss": "mse"}),
    ("mnist", {"learning_rate": 2.0}), ("mnist", {"optimizer": "adam", "learning_rate": 0.01}),
    ("smile", {"method": "gradient"}), ("smile", {"nudge_step": 100.0}),
])
def test_sensible_changes_after_some_training_raise_no_alarm(lesson, changes):
    s = session(lesson)
    train(s, epochs(s, 2 if lesson != "smile" else 20))
    s.change_settings(changes)
    assert train(s, epochs(s, 2 if lesson != "smile" else 100)) == []


def test_single_examples_misread_in_a_row_are_no_alarm_and_lr_10_at_batch_size_1_still_is():
    """At batch size 1 a batch loss is one example's: mnist paused at iteration 18,822 when four
    in a row scored above twice the untrained loss."""
    s = session("mnist")
    s.change_settings({"batch_size": 1})
    assert train(s, 20_000) == []
    fresh = session("mnist")  # untrained: only a jump can tell (the "undone" check needs a net that had learned)
    fresh.change_settings({"batch_size": 1, "learning_rate": 10.0})
    (info,) = train(fresh, 3000)
    assert info.how == "jumped" and fresh.trainer.iteration <= 200


def test_a_trained_model_opened_at_a_tiny_loss_trains_on_without_an_alarm():
    """Its first batch loss was 0.0002 and twice that the limit: the next three batches' noise
    "blew up" at iteration 4."""
    from pathlib import Path

    from nnviz.model.files.foreign import load_foreign

    s = session("digits")
    s.install(load_foreign(Path(__file__).parents[2] / "fixtures" / "foreign" / "mlp.onnx"))
    assert train(s, 300) == []
    s.change_settings({"learning_rate": 10.0})  # and a real blow-up of it still is one
    (info,) = train(s, 300)
    assert info.cause["changes"] == {"learning_rate": (0.01, 10.0)}


def test_a_blow_up_on_the_smiles_four_faces_is_caught_as_soon_as_at_a_full_batch():
    """The smile's batch size is 4 and so is its training set: every batch is the whole set,
    with no noise to wait out."""
    s = session("smile")
    s.change_settings({"method": "gradient", "learning_rate": 1.0})
    (info,) = train(s, 200)
    assert info.how == "jumped" and s.trainer.iteration <= 10


def test_lr_10_on_digits_is_caught_names_the_change_and_rolls_back_to_just_before_it():
    s = session("digits")
    train(s, 170)
    at_change = [w.copy() for w in s.trainer.network.weights]
    s.change_settings({"learning_rate": 10.0})
    (info,) = train(s, 500)
    assert info.how == "jumped" and info.loss > 100 * info.reference and info.reference < 3
    assert info.cause["changes"] == {"learning_rate": (0.01, 10.0)} and info.cause["iteration"] == 170
    assert info.rollback == 170 and s.trainer.iteration == info.iteration < 180  # paused at once
    text, short, label = blowup_message(info)
    assert "after the learning rate went from 0.01 to 10 at iteration 170" in text
    assert label == "Roll back to iteration 170 (learning rate 0.01)"
    s.resume_from(info.rollback)  # what the notice's button does
    s.change_settings(info.cause["settings"])
    assert s.trainer.iteration == 170 and s.trainer.settings.learning_rate == 0.01
    for a, b in zip(s.trainer.network.weights, at_change):
        np.testing.assert_array_equal(a, b)
    assert train(s, 100) == []  # training goes on as before the change
    ref = get_lesson("digits").build(seed=0)
    for _ in range(270):
        ref.step()
    for a, b in zip(s.trainer.network.weights, ref.network.weights):
        np.testing.assert_array_equal(a, b)


def test_lr_10_on_a_fresh_digits_network_is_caught():
    s = session("digits")
    s.change_settings({"learning_rate": 10.0})
    (info,) = train(s, 300)
    assert info.cause["iteration"] == 0 and info.rollback == 0 and s.trainer.iteration < 10


def test_lr_10_on_a_trained_mnist_network_is_caught_while_the_loss_stays_finite():
    s = session("mnist")
    train(s, epochs(s, 3))
    s.change_settings({"learning_rate": 10.0})
    (info,) = train(s, 300)
    assert math.isfinite(info.loss) and info.cause["changes"] == {"learning_rate": (0.5, 10.0)}
    assert s.trainer.iteration - info.cause["iteration"] < 40


def test_a_network_back_at_the_untrained_level_is_caught_as_undone():
    s = session("digits")
    train(s, epochs(s, 3))
    s.change_settings({"learning_rate": 1.0})  # no lasting jump, but the ReLU units die: 10% accuracy
    (info,) = train(s, 300)
    assert info.how == "undone" and info.loss >= 0.9 * info.start
    assert "no better than the untrained network" in blowup_message(info)[0]


def test_it_fires_once_per_change_and_the_next_change_watches_again():
    s = session("digits")
    s.change_settings({"learning_rate": 10.0})
    assert len(train(s, 100)) == 1
    assert train(s, 100) == []  # the learner chose to go on: no second alarm for the same change
    s.change_settings({"learning_rate": 20.0})
    assert s.watch.armed


def test_without_it_the_non_finite_path_stays_as_it_was():
    s = session("smile")
    s.detect_blowups = False
    s.change_settings({"method": "gradient", "learning_rate": 10.0})
    info = s.step(200)
    assert info is not None and not math.isfinite(info.loss)
