"""The convolution lessons through the timeline, the session, runs kept and the blow-up watch:
the MLP tests of test_timeline, test_session, test_runs and test_blowup_watch, on conv nets."""

import math

import numpy as np
import pytest

from nnviz.model.core.reports import BlowUp
from nnviz.model.core.layer_network import LayerNetwork
from nnviz.model.core.network import Network
from nnviz.model.session import TrainingSession
from nnviz.model.core.timeline import DEFAULT_RECENT, Timeline
from nnviz.model.lessons import CONV_SPEC, get_lesson

from tests.parameters import assert_same, weights


def session(lesson="conv", seed=0) -> TrainingSession:
    s = TrainingSession()
    s.load_lesson(lesson, seed)
    return s


def full_speed(s: TrainingSession, until: int) -> None:
    s._chunk_iterations = 10**6  # as the worker's running timer does: checkpoints only, then the fill
    while s.trainer.iteration < until:
        s.step(until - s.trainer.iteration, fast=True)
    s.complete_timeline(deadline=math.inf)


def reference(lesson="conv", seed=0, n=0, **settings):
    t = get_lesson(lesson).build(seed=seed)
    if settings:
        t.apply_settings(**settings)
    for _ in range(n):
        t.step()
    return t


# -- timeline ----------------------------------------------------------------------------------


@pytest.mark.parametrize("lesson, optimizer", [("conv", "adam"), ("conv", "momentum"), ("mnist-conv", "sgd")])
def test_continue_from_k_matches_the_original_conv_run(lesson, optimizer):
    t = get_lesson(lesson).build(seed=3)
    t.apply_settings(optimizer=optimizer, dropout=0.2, l2=1e-4)
    line = Timeline()
    line.record(t.state())
    original = {}
    n = 40 if lesson == "conv" else 12
    for _ in range(n):
        t.step()
        line.record(t.state())
        original[t.iteration] = weights(t)
    losses = np.array(t.history.frozen()["loss"])
    t.restore(line.get(7))
    assert t.iteration == 7 and len(t.history) == 7
    assert_same(weights(t), original[7])
    for _ in range(n - 7):
        t.step()
    assert_same(weights(t), original[n])
    np.testing.assert_array_equal(t.history.frozen()["loss"], losses)


def test_conv_checkpoints_then_fill_recreate_every_recent_state_exactly():
    dense, sparse = (get_lesson("conv").build(seed=5) for _ in range(2))
    for t in (dense, sparse):
        t.apply_settings(dropout=0.2)
    full, line = {0: dense.state()}, Timeline(recent=64)
    line.record(sparse.state())
    for i in range(1, 101):
        if i == 46:  # a settings change off the checkpoint grid
            for t in (dense, sparse):
                t.apply_settings(optimizer="momentum", learning_rate=0.05)
            line.record(sparse.state())
        dense.step()
        full[i] = dense.state()
        sparse.step()
        if i % 8 == 0:
            line.record(sparse.state())
    line.record(sparse.state())
    added = line.fill(sparse.replayer(), newest=100)
    assert added == 51 and set(range(40, 101)) <= set(line.iterations().tolist())
    for i in range(40, 101):
        got, want = line.get(i), full[i]
        assert_same(got.weights + got.biases, want.weights + want.biases)
        assert got.rng == want.rng and got.cursor == want.cursor and got.loss == want.loss
    dense.step(), sparse.step()
    assert_same(weights(sparse), weights(dense))


# -- session -----------------------------------------------------------------------------------


def test_the_conv_lesson_at_full_speed_fills_its_timeline_exactly_and_snapshots_show_its_layers():
    s = session()
    assert type(s.trainer.network) is LayerNetwork and s.trainer.network.n_parameters == 1370
    full_speed(s, 150)
    kept = set(s.timeline.iterations().tolist())
    assert DEFAULT_RECENT > 150 and set(range(151)) == kept  # every state, the skipped ones replayed
    ref = get_lesson("conv").build(seed=0)
    for i in range(1, 151):
        ref.step()
        if i in (97, 150):
            got = s.timeline.get(i)
            assert_same(list(got.weights) + list(got.biases), weights(ref))
    snap = s.snapshot()
    assert snap.lesson == "conv" and snap.iteration == 150 and snap.shapes[1] == (8, 8, 8)
    past = s.frames(140, 150, 3)
    assert [f.iteration for f in past] == [140, 145, 150] and all(f.layer_types[1] == "conv" for f in past)


def test_preview_then_step_continues_from_the_past_conv_state_and_undo_brings_the_later_one_back():
    s = session()
    s.step(30)
    live = weights(s.trainer)
    s.preview(12)
    assert s.snapshot().iteration == 12 and s.snapshot().rewound
    s.step(4)
    assert s.trainer.iteration == 16
    assert_same(weights(s.trainer), weights(reference(n=16)))
    s.undo()
    assert s.trainer.iteration == 30
    assert_same(weights(s.trainer), live)


def test_reset_and_rebuild_of_a_conv_lesson_are_undoable():
    s = session()
    s.step(10)
    trained = weights(s.trainer)
    s.reset()
    assert s.trainer.iteration == 0 and type(s.trainer.network) is LayerNetwork
    assert_same(weights(s.trainer), weights(reference()))
    s.undo()
    assert_same(weights(s.trainer), trained)
    wider = dict(CONV_SPEC, layers=[dict(CONV_SPEC["layers"][0], filters=4)] + CONV_SPEC["layers"][1:])
    s.rebuild(spec=wider)
    assert s.trainer.network.spec["layers"][0]["filters"] == 4 and s.trainer.network.weights[0].shape == (4, 1, 3, 3)
    s.step(3)  # a run that never trained is not kept for undo
    s.rebuild((32,), "relu")  # the architecture editor's MLP, on the conv lesson's digits
    assert type(s.trainer.network) is Network and s.trainer.network.sizes == [64, 32, 10]
    s.step(2)
    s.undo()
    assert s.trainer.network.weights[0].shape == (4, 1, 3, 3)


LINEAR_CONV = dict(CONV_SPEC, layers=[dict(CONV_SPEC["layers"][0], activation="linear")] + CONV_SPEC["layers"][1:],
                   output="linear")


def test_a_diverging_conv_net_is_rolled_back_to_its_last_finite_weights():
    """ReLU conv nets die and a softmax saturates rather than overflow, so a linear conv stack
    with a linear output, the squared error and a huge step is what goes to infinity here."""
    s = session()
    s.detect_blowups = False
    s.rebuild(spec=LINEAR_CONV)
    s.change_settings({"optimizer": "sgd", "learning_rate": 50.0, "loss": "mse"})
    info = s.step(200)
    at = info.iteration
    assert not math.isfinite(info.loss) and info.kept == at - 1 == s.trainer.iteration
    assert all(np.isfinite(w).all() for w in s.trainer.network.weights)
    ref = get_lesson("conv").build(seed=0, spec=LINEAR_CONV)
    ref.apply_settings(optimizer="sgd", learning_rate=50.0, loss="mse")
    with np.errstate(all="ignore"):
        for _ in range(at - 1):
            ref.step()
    assert_same(weights(s.trainer), weights(ref))


def test_a_wrecking_learning_rate_on_the_conv_lesson_is_caught_as_undone():
    s = session()
    full_speed(s, 129)  # three epochs of 43 mini-batches
    s.change_settings({"learning_rate": 5.0})  # Adam at 5: every ReLU unit dies, chance level
    s._chunk_iterations = 10**6
    s.step(300, fast=True)
    (info,) = [r for r in s.take_reports() if isinstance(r, BlowUp)]
    assert info.how == "undone" and info.cause["changes"] == {"learning_rate": (0.01, 5.0)}
    assert info.rollback == 129 and s.trainer.iteration < 200


@pytest.mark.slow
def test_the_conv_lessons_own_settings_raise_no_alarm():
    for lesson, n in (("conv", 5 * 43), ("mnist-conv", 2 * 125)):
        s = session(lesson)
        full_speed(s, n)
        assert [r for r in s.take_reports() if isinstance(r, BlowUp)] == [] and s.trainer.iteration == n


# -- runs kept and model files through the session -----------------------------------------------


def test_switching_from_conv_and_back_restores_the_run_exactly_and_training_repeats_itself():
    s = session()
    full_speed(s, 100)
    s.change_settings({"learning_rate": 0.005})
    s.step(10)
    before = (weights(s.trainer), np.array(s.trainer.history.frozen()["loss"]), s.trainer.epoch_progress)
    s.load_lesson("digits")
    s.step(3)
    s.load_lesson("mnist-conv")
    s.step(2)
    s.load_lesson("conv")
    assert s.trainer.iteration == 110 and s.trainer.epoch_progress == before[2]
    assert_same(weights(s.trainer), before[0])
    np.testing.assert_array_equal(s.trainer.history.frozen()["loss"], before[1])
    s.step(20)
    ref = reference(n=100)
    ref.apply_settings(learning_rate=0.005)
    for _ in range(30):
        ref.step()
    assert_same(weights(s.trainer), weights(ref))


def test_saving_and_opening_a_conv_model_keeps_weights_spec_settings_and_epoch_progress(tmp_path):
    s = session()
    s.change_settings({"learning_rate": 0.003})
    s.step(60)  # an epoch of 43 iterations and 17 into the next
    s.save_model(str(tmp_path / "c.npz"))
    again = session("digits")
    assert again.load_model(str(tmp_path / "c.npz")) is True
    t = again.trainer
    assert again.lesson.name == "conv" and type(t.network) is LayerNetwork and t.network.spec == CONV_SPEC
    assert t.iteration == 60 and t.settings.learning_rate == 0.003
    assert t.epoch == 1 and t.epoch_progress == pytest.approx(s.trainer.epoch_progress)
    assert_same(weights(t), weights(s.trainer))
    np.testing.assert_array_equal(t.history.frozen()["loss"], s.trainer.history.frozen()["loss"])


@pytest.mark.parametrize("changes", [{"learning_rate": 0.5}, {"optimizer": "sgd", "learning_rate": 10.0}])
def test_a_conv_net_wrecked_to_guessing_is_caught_though_it_started_above_it(changes):
    """The conv lesson's untrained loss (~2.7) is above guessing's ln 10 ≈ 2.3; a net wrecked
    after learning settles at ~2.35, which 0.9 × its start would miss."""
    from nnviz.model.core.messages import blowup_message

    s = session()
    full_speed(s, 129)
    s.change_settings(changes)
    s._chunk_iterations = 10**6
    s.step(300, fast=True)
    (info,) = [r for r in s.take_reports() if isinstance(r, BlowUp)]
    assert info.how == "undone" and info.start > 2.6 and info.chance == pytest.approx(math.log(10))
    assert 0.9 * math.log(10) <= info.loss < 0.9 * info.start
    assert "no better than guessing (2.3" in blowup_message(info)[0]
