"""The training session without a thread or display: commands, timeline policy, the past, divergence."""

import math
import time

import numpy as np
import pytest

from nnviz.model.core.reports import Continued, Diverged
from nnviz.model.errors import NNVizError, SettingsError
from nnviz.model.lessons import get_lesson
from nnviz.model.files.modelfile import SavedModel
from nnviz.model.core.network import Network
from nnviz.model.session import SPARSE_CHUNK, TrainingSession
from nnviz.model.core.timeline import CHECKPOINT_EVERY, DEFAULT_RECENT

from tests.parameters import weights


def session(lesson="digits", seed=0) -> TrainingSession:
    s = TrainingSession()
    s.load_lesson(lesson, seed)
    return s


def full_speed(s: TrainingSession, until: int) -> None:
    """Train as the worker's running timer does, checkpoints only, then stop (which fills the gaps)."""
    s._chunk_iterations = 10**6  # as after a chunk of fast iterations
    while s.trainer.iteration < until:
        s.step(until - s.trainer.iteration, fast=True)
    s.complete_timeline(deadline=math.inf)


def same_state(s: TrainingSession):
    """What a refused command must leave alone."""
    return (s.trainer, s.lesson, s.generation, s.trainer.iteration, tuple(s.timeline.iterations().tolist()),
            weights(s.trainer), s.trainer.dataset)


def assert_unchanged(s: TrainingSession, before) -> None:
    trainer, lesson, generation, iteration, kept, w, dataset = before
    assert s.trainer is trainer and s.lesson is lesson and s.generation == generation
    assert s.trainer.iteration == iteration and tuple(s.timeline.iterations().tolist()) == kept
    assert s.trainer.dataset is dataset
    for a, b in zip(weights(s.trainer), w):
        np.testing.assert_array_equal(a, b)


# -- commands ------------------------------------------------------------------------------


def test_before_a_lesson_the_commands_do_nothing():
    s = TrainingSession()
    assert s.step(5) is None and s.snapshot() is None and s.frames(0, 10, 5) == []
    s.reset(), s.change_settings({"batch_size": 0}), s.preview(3), s.checkpoint(), s.complete_timeline()
    assert s.resume_from(3) is False and s.trainer is None and s.generation == 0 and len(s.timeline) == 0


def test_load_lesson_starts_a_timeline_and_a_generation():
    s = session("smile")
    assert s.lesson.name == "smile" and s.generation == 1 and s.viewing is None
    assert s.timeline.iterations().tolist() == [0]
    s.load_lesson("digits", 4)
    assert s.lesson.name == "digits" and s.trainer.seed == 4 and s.generation == 2


def test_an_unknown_lesson_is_refused_in_words_and_nothing_changes():
    s = session()
    before = same_state(s)
    with pytest.raises(NNVizError, match=r"^Could not open the lesson 'nope': no lesson called 'nope'"):
        s.load_lesson("nope")
    assert_unchanged(s, before)


def test_step_records_every_state_and_a_new_generation_comes_only_with_a_new_network():
    s = session()
    assert s.step(5) is None
    assert s.trainer.iteration == 5 and s.timeline.iterations().tolist() == [0, 1, 2, 3, 4, 5]
    s.change_settings({"learning_rate": 0.2})
    assert s.generation == 1 and s.trainer.settings.learning_rate == 0.2
    s.reset()
    assert s.generation == 2 and s.trainer.iteration == 0 and s.timeline.iterations().tolist() == [0]
    s.rebuild([7], "relu")
    assert s.generation == 3 and s.trainer.network.sizes[1:-1] == [7] and s.trainer.settings.learning_rate == 0.2


def test_step_stops_at_the_deadline():
    s = session()
    s.step(10**9, deadline=0.0)  # already passed: one iteration, then stop
    assert s.trainer.iteration == 1


def test_reset_with_a_seed_repeats_that_seeds_run():
    s = session(seed=0)
    s.step(3)
    s.reset(7)
    s.step(3)
    ref = get_lesson("digits").build(seed=7)
    for _ in range(3):
        ref.step()
    for a, b in zip(weights(s.trainer), weights(ref)):
        np.testing.assert_array_equal(a, b)


def test_bad_settings_are_refused_in_words_training_continues_and_the_state_is_checkpointed():
    s = session()
    s._chunk_iterations = 10**6
    s.step(13, fast=True)  # kept: 0, 8
    batch = s.trainer.settings.batch_size
    with pytest.raises(SettingsError, match="batch size"):
        s.change_settings({"batch_size": 0})
    assert s.trainer.settings.batch_size == batch and s.timeline.iterations().tolist() == [0, 8, 13]
    assert s.step(1) is None and s.trainer.iteration == 14


def test_a_settings_change_checkpoints_the_live_state_so_a_gap_never_spans_two_settings():
    s = session()
    s._chunk_iterations = 10**6
    s.step(13, fast=True)  # kept: 0, 8
    assert s.timeline.iterations().tolist() == [0, 8]
    s.change_settings({"learning_rate": 0.5})
    assert s.timeline.iterations().tolist() == [0, 8, 13]
    assert s.timeline.get(13).settings.learning_rate == 0.5


def test_a_refused_rebuild_names_the_problem_and_nothing_changes():
    s = session()
    s.step(2)
    before = same_state(s)
    with pytest.raises(NNVizError, match=r"^Could not rebuild the network: "):
        s.rebuild([3], "no-such-activation")
    assert_unchanged(s, before)


def test_a_dataset_of_another_shape_is_refused_and_checkpointed():
    s = session()
    s._chunk_iterations = 10**6
    s.step(11, fast=True)  # kept: 0, 8
    other = get_lesson("smile").build(seed=0).dataset
    with pytest.raises(SettingsError, match="shape"):
        s.set_dataset(other)
    assert s.trainer.dataset.n_inputs == 64 and s.timeline.iterations().tolist() == [0, 8, 11]


# -- install / files -------------------------------------------------------------------------


def test_settings_changed_right_after_installing_a_model_are_replayed_with_the_new_ones():
    """An installed model has no loss yet; a settings change then must still mark the gap's start."""
    base = get_lesson("digits").build(seed=3)
    for _ in range(20):
        base.step()
    saved = SavedModel(base.network.copy(), "digits", iteration=1001, epoch=0, seed=3,
                       settings=base.settings.to_dict())
    sparse, dense = TrainingSession(), TrainingSession()
    for s in (sparse, dense):
        s.load_lesson("digits", 3)
        s.install(saved)
        s.change_settings({"learning_rate": 0.5})
    full_speed(sparse, 1060)
    dense.step(59)
    assert sparse.timeline.get(1001).settings.learning_rate == 0.5
    assert sparse.timeline.get(1003) is not None  # replayed by the fill, not recorded
    for i in range(1002, 1061):
        for a, b in zip(sparse.timeline.get(i).weights, dense.timeline.get(i).weights):
            np.testing.assert_array_equal(a, b)


def test_installing_a_model_of_the_same_lesson_keeps_the_learners_examples():
    s = session()
    ds = s.trainer.dataset
    s.set_dataset(ds.with_train_examples(np.zeros((2, ds.n_inputs), np.float32), np.zeros(2, ds.y_train.dtype)))
    n = len(s.trainer.dataset.x_train)
    changed = s.install(SavedModel(s.trainer.network.copy(), "digits", iteration=5, epoch=0, seed=0, settings={}))
    assert changed is False
    assert s.trainer.iteration == 5 and len(s.trainer.dataset.x_train) == n == len(ds.x_train) + 2


def test_installing_a_model_of_another_lesson_switches_lesson_and_restarts_the_timeline():
    s = session("smile")
    s.step(4)
    other = get_lesson("digits").build(seed=2)
    for _ in range(3):
        other.step()
    changed = s.install(SavedModel(other.network.copy(), "digits", iteration=3, epoch=0, seed=2,
                                   settings={"learning_rate": 0.3}))
    assert changed is True and s.lesson.name == "digits" and s.generation == 2
    assert s.trainer.iteration == 3 and s.trainer.settings.learning_rate == 0.3
    assert s.timeline.iterations().tolist() == [3] and s.viewing is None
    for a, b in zip(weights(s.trainer), weights(other)):
        np.testing.assert_array_equal(a, b)


def test_a_model_that_does_not_fit_the_lesson_is_refused_naming_the_file_and_nothing_changes():
    s = session()
    s.step(3)
    s.preview(1)
    before, viewing = same_state(s), s.viewing
    wrong = Network([12, 7, 10], hidden="relu", output="softmax")
    with pytest.raises(NNVizError, match=r"^models/wrong\.npz: its 12-7-10 network does not fit the digits"):
        s.install(SavedModel(wrong, "digits", iteration=9, epoch=0, seed=0), "models/wrong.npz")
    assert_unchanged(s, before)
    assert s.viewing == viewing == 1


def test_save_then_load_model_round_trips_and_a_bad_path_names_it(tmp_path):
    s = session()
    s.change_settings({"learning_rate": 0.25})
    s.step(6)
    s.save_model(str(tmp_path / "m.npz"))
    again = session("smile")
    assert again.load_model(str(tmp_path / "m.npz")) is True
    assert again.lesson.name == "digits" and again.trainer.iteration == 6
    assert again.trainer.settings.learning_rate == 0.25
    for a, b in zip(weights(again.trainer), weights(s.trainer)):
        np.testing.assert_array_equal(a, b)
    before = same_state(again)
    with pytest.raises(NNVizError, match="missing.npz"):
        again.load_model(str(tmp_path / "missing.npz"))
    assert_unchanged(again, before)
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    with pytest.raises(NNVizError, match=r"^Could not save .*a-file.*m\.npz: "):
        s.save_model(str(blocked / "m.npz"))


# -- full speed and the fill -----------------------------------------------------------------


def test_full_speed_records_checkpoints_and_stopping_replays_the_recent_ones_exactly():
    s = session()
    s._chunk_iterations = 10**6
    s.step(300, fast=True)
    kept = set(s.timeline.iterations().tolist())
    assert kept == set(range(0, 301, CHECKPOINT_EVERY))
    s.complete_timeline(deadline=math.inf)  # the default stops after FILL_SECONDS: not a test of speed
    n, kept = s.trainer.iteration, set(s.timeline.iterations().tolist())
    assert n == 300 and set(range(n - DEFAULT_RECENT + CHECKPOINT_EVERY, n + 1)) <= kept
    ref = get_lesson("digits").build(seed=0)
    for _ in range(n - 13):
        ref.step()
    for a, b in zip(s.timeline.get(n - 13).weights, ref.network.weights):
        np.testing.assert_array_equal(a, b)


def test_a_fill_cut_short_goes_on_where_it_stopped_one_gap_at_least_per_call():
    s = session()
    s._chunk_iterations = 10**6
    s.step(300, fast=True)
    missing = [s.timeline.missing(300)]
    while s.complete_timeline(deadline=0.0):  # past already: each call replays one gap, the newest left
        kept = s.timeline.iterations().tolist()
        lowest_filled = min(i for i in kept if i % CHECKPOINT_EVERY and i > 0)
        assert set(range(lowest_filled, 301)) <= set(kept)
        missing.append(s.timeline.missing(300))
        assert 0 < missing[-2] - missing[-1] < CHECKPOINT_EVERY
    n, kept = s.trainer.iteration, set(s.timeline.iterations().tolist())
    assert set(range(n - DEFAULT_RECENT + CHECKPOINT_EVERY, n + 1)) <= kept
    assert missing[0] > 200 and len(missing) > 25 and not s.gaps_left
    assert s.timeline.missing(n) == 0 and not s.complete_timeline()


def test_a_run_set_aside_or_saved_for_the_next_start_first_gets_every_recent_state_back(tmp_path):
    """The fill goes on a slice at a time after a stop; a lesson left (or a quit) before it was
    done kept the gaps for good, as a run set aside is never replayed."""
    s = session()
    s._chunk_iterations = 10**6
    s.step(300, fast=True)
    assert s.complete_timeline(deadline=0.0)  # one slice: most are still missing
    s.load_lesson("smile")
    s.load_lesson("digits")  # back: its run as it was left
    n, kept = s.trainer.iteration, set(s.timeline.iterations().tolist())
    assert n == 300 and set(range(n - DEFAULT_RECENT + CHECKPOINT_EVERY, n + 1)) <= kept
    s._chunk_iterations = 10**6  # (coming back started the chunk count over)
    s.step(300, fast=True)
    assert s.complete_timeline(deadline=0.0)
    assert "digits" in s.save_rewinds(tmp_path)
    assert s.timeline.missing(s.trainer.iteration) == 0


def test_a_chunk_of_few_slow_iterations_records_every_state_even_at_full_speed():
    s = session()
    s._chunk_iterations = SPARSE_CHUNK - 1
    s.step(5, fast=True)
    assert s.timeline.iterations().tolist() == [0, 1, 2, 3, 4, 5]
    assert s._chunk_iterations == 5  # the next chunk too, as this one fitted few iterations


def test_a_new_timeline_forgets_the_gaps_instead_of_replaying_them():
    s = session()
    s._chunk_iterations = 10**6
    s.step(30, fast=True)
    s.complete_timeline(replay=False)
    s.complete_timeline()  # nothing left to replay
    assert s.timeline.iterations().tolist() == [0, 8, 16, 24]


def test_the_fill_keeps_the_live_state_even_off_the_checkpoint_grid():
    s = session()
    s._chunk_iterations = 10**6
    s.step(21, fast=True)
    s.complete_timeline()
    assert s.timeline.iterations().tolist() == list(range(22))


# -- the past ---------------------------------------------------------------------------------


def test_preview_shows_a_past_state_without_touching_training():
    s = session()
    s.step(10)
    live = weights(s.trainer)
    s.preview(4)
    assert s.viewing == 4
    snap = s.snapshot()
    assert snap.iteration == 4 and snap.live_iteration == 10 and snap.rewound
    np.testing.assert_array_equal(snap.update_w[0], s.timeline.get(4).weights[0] - s.timeline.get(3).weights[0])
    for a, b in zip(weights(s.trainer), live):
        np.testing.assert_array_equal(a, b)
    s.preview(10)  # the live iteration: live again
    assert s.viewing is None and not s.snapshot().rewound
    s.preview(3)
    s.step(1)  # training continues from the iteration shown (test_step_while_rewound_…)
    assert s.viewing is None and s.trainer.iteration == 4


def test_preview_then_resume_from_truncates_the_timeline_and_bumps_the_generation():
    s = session()
    s.step(12)
    at5 = [w.copy() for w in s.timeline.get(5).weights]
    s.preview(5)
    assert s.resume_from(5) is True
    assert s.viewing is None and s.generation == 2 and s.trainer.iteration == 5
    assert s.timeline.iterations().tolist() == [0, 1, 2, 3, 4, 5]
    for a, b in zip(s.trainer.network.weights, at5):
        np.testing.assert_array_equal(a, b)
    assert len(s.trainer.history) == 5
    s.step(7)  # with unchanged settings the run repeats exactly
    ref = get_lesson("digits").build(seed=0)
    for _ in range(12):
        ref.step()
    for a, b in zip(weights(s.trainer), weights(ref)):
        np.testing.assert_array_equal(a, b)


def test_continue_from_here_while_running_uses_the_iteration_asked_for():
    s = session()
    s._chunk_iterations = 10**6
    s.step(60, fast=True)  # running: only 0, 8, …, 56 kept so far
    assert s.resume_from(53) is True  # the skipped states are replayed first
    assert s.trainer.iteration == 53


def test_frames_are_evenly_picked_kept_iterations_with_both_ends():
    s = session()
    s.step(30)
    frames = s.frames(5, 25, 5)
    assert [f.iteration for f in frames] == [5, 10, 15, 20, 25]
    assert all(f.generation == s.generation and f.lesson == "digits" for f in frames)
    assert [f.iteration for f in s.frames(28, 99, 60)] == [28, 29, 30]


def test_frames_fill_a_runs_skipped_states_first():
    s = session()
    s._chunk_iterations = 10**6
    s.step(40, fast=True)
    assert [f.iteration for f in s.frames(30, 40, 60)] == list(range(30, 41))


def test_the_snapshot_lists_the_timeline_only_when_paused_and_carries_the_rate():
    s = session()
    s.step(3)
    paused, running = s.snapshot(), s.snapshot(running=True, rate=123.0)
    assert paused.timeline == (0, 1, 2, 3) and paused.steps_per_second == 0.0
    assert running.timeline == () and running.steps_per_second == 123.0
    assert paused.live_iteration == 3 and not paused.rewound and paused.generation == 1


# -- divergence -------------------------------------------------------------------------------


def _diverging(lesson="smile"):
    """lr 10 on the smile: the loss is infinite at iteration 12 (the blow-up watch, which would
    stop it at iteration 5, is off: these tests are about the non-finite path)."""
    s = session(lesson)
    s.detect_blowups = False
    s.change_settings({"method": "gradient", "learning_rate": 10.0})
    return s


def test_divergence_is_reported_and_restores_the_last_finite_weights():
    s = _diverging()
    s.take_reports()
    info = s.step(200)
    assert isinstance(info, Diverged) and s.take_reports() == [info]  # the one stream carries it too
    at = info.iteration
    assert not math.isfinite(info.loss) and info.kept == at - 1 == s.trainer.iteration
    assert s.generation == 2 and s.timeline.iterations().tolist()[-1] == at - 1
    assert all(np.isfinite(w).all() for w in s.trainer.network.weights) and math.isfinite(s.trainer.last_loss)
    losses = {i: s.timeline.get(i).loss for i in s.timeline.iterations().tolist()[1:]}
    assert info.rollback == min(losses, key=lambda i: (losses[i], -i))
    ref = get_lesson("smile").build(seed=0)  # the restored weights are those training had then
    ref.apply_settings(method="gradient", learning_rate=10.0)
    for _ in range(at - 1):
        ref.step()
    for a, b in zip(weights(s.trainer), weights(ref)):
        np.testing.assert_array_equal(a, b)


def test_divergence_at_full_speed_pauses_first_then_fills_then_rolls_back():
    """The caller is told to stop (its Run button flips) before the slow fill; the fill makes the
    iteration just before the divergence the one restored, not the checkpoint before it."""
    s = _diverging()
    s._chunk_iterations = 10**6
    seen = []
    info = s.step(200, fast=True,
                  stopping=lambda: seen.append((s.trainer.iteration, s.timeline.iterations().tolist())))
    at = info.iteration
    assert len(seen) == 1 and seen[0][0] == at  # called once, before the fill and the rollback
    assert set(seen[0][1]) <= set(range(0, at, CHECKPOINT_EVERY))  # checkpoints only at that moment
    assert info.kept == at - 1 == s.trainer.iteration


def test_divergence_with_nothing_finite_kept_leaves_the_iteration_and_says_so():
    s = _diverging()
    s.record_timeline = False
    s.timeline.clear()
    info = s.step(200)
    assert info.kept is None and info.rollback is None and s.generation == 1
    assert s.trainer.iteration == info.iteration  # nothing to go back to


# -- stepping while rewound, epoch progress in files ------------------------------------------------


def test_step_while_rewound_continues_from_the_iteration_shown_and_says_so():
    s = session()
    s.step(20)
    live = weights(s.trainer)
    s.preview(12)
    s.take_reports()
    assert s.step(1) is None
    assert s.viewing is None and s.trainer.iteration == 13 and s.timeline.iterations().tolist()[-1] == 13
    assert s.take_reports()[0] == Continued(12, 8)
    ref = get_lesson("digits").build(seed=0)
    for _ in range(13):
        ref.step()
    for a, b in zip(weights(s.trainer), weights(ref)):
        np.testing.assert_array_equal(a, b)
    s.undo()  # the 8 later iterations were kept for undo
    assert s.trainer.iteration == 20
    for a, b in zip(weights(s.trainer), live):
        np.testing.assert_array_equal(a, b)


def test_saving_then_opening_a_model_keeps_the_epoch_progress(tmp_path):
    s = session()
    s.step(130)  # 1 epoch of 85 iterations, and 45 iterations into the next
    assert 1.5 < s.trainer.epoch_progress < 1.6
    s.save_model(str(tmp_path / "m.npz"))
    again = session("smile")
    again.load_model(str(tmp_path / "m.npz"))
    assert again.trainer.epoch == 1 and again.trainer.epoch_progress == pytest.approx(s.trainer.epoch_progress)
    assert again.snapshot().epoch_progress == pytest.approx(s.trainer.epoch_progress, abs=1e-12)


def test_a_paused_snapshot_carries_its_test_accuracy_measured_on_the_training_thread():
    s = session("digits")
    s.step(30)
    snap = s.snapshot()
    ds = s.trainer.dataset
    right = np.argmax(snap.network().predict(ds.x_test), axis=1) == ds.y_test
    assert snap.accuracy == pytest.approx(right.mean(), abs=1e-12) and 0.1 < snap.accuracy <= 1
    assert s.snapshot(running=True).accuracy is None  # while running the window shows no stale number


def test_a_paused_snapshot_carries_its_outputs_on_the_test_split_and_a_running_one_none():
    s = session("digits")
    s.step(30)
    snap = s.snapshot()
    ds = s.trainer.dataset
    np.testing.assert_allclose(snap.test_outputs, snap.network().predict(ds.x_test), rtol=1e-6, atol=1e-7)
    assert not snap.test_outputs.flags.writeable  # shared with the GUI thread
    right = np.argmax(snap.test_outputs, axis=1) == ds.y_test
    assert snap.accuracy == pytest.approx(right.mean(), abs=1e-12)  # the same pass as the accuracy
    assert s.snapshot(running=True).test_outputs is None


def test_the_test_accuracy_follows_the_weights_shown_and_no_other_change():
    s = session("digits")
    s.step(30)
    first = s.snapshot().accuracy
    s.change_settings({"learning_rate": 0.02})  # the same weights: the same number
    assert s.snapshot().accuracy == first
    s.set_weight(0, 0, 0, 5.0)
    ds = s.trainer.dataset
    direct = float((np.argmax(s.trainer.network.predict(ds.x_test), axis=1) == ds.y_test).mean())
    assert s.snapshot().accuracy == pytest.approx(direct, abs=1e-12)


def test_a_lesson_switched_back_to_is_not_measured_again_and_new_weights_are():
    """Its test pass (~0.2 s on mnist-conv) is kept per lesson: the return is not held by it."""
    s = session("digits")
    s.step(5)
    outputs = s.snapshot().test_outputs
    s.load_lesson("smile")
    s.snapshot()
    s.load_lesson("digits")
    again = s.snapshot()
    assert again.test_outputs is outputs and again.iteration == 5
    s.step(1)
    ds = s.trainer.dataset
    np.testing.assert_allclose(s.snapshot().test_outputs, s.trainer.network.predict(ds.x_test), rtol=1e-6, atol=1e-7)


def test_unit_health_comes_judged_with_the_snapshot_and_while_running_within_its_share(monkeypatch):
    from nnviz.model import session as module
    from nnviz.model.core.health import network_health

    s = session("digits")
    s.step(20)
    for j in range(64):
        s.set_weight(0, 3, j, -50.0)  # unit 3 of layer 1 never fires again: dead
    snap = s.snapshot()
    ds = s.trainer.dataset
    idx = np.random.default_rng(0).permutation(len(ds.x_train))[:module.HEALTH_SAMPLE]
    direct = network_health(snap.network(), ds.x_train[idx])
    assert [h.dead.tolist() for h in snap.health] == [h.dead.tolist() for h in direct]
    assert snap.health[0].dead[3] and snap.health[0].examples == module.HEALTH_SAMPLE
    # running: judged once, then not again until its share of the time has passed
    clock = [time.perf_counter() + 10.0]
    monkeypatch.setattr(module.time, "perf_counter", lambda: clock[0])
    s.step(1)
    assert s.snapshot(running=True).health is not None
    s.step(1)
    assert s.snapshot(running=True).health is None
    clock[0] += 1.0
    assert s.snapshot(running=True).health is not None
    assert session("smile").snapshot().health is None  # no hidden layer: nothing to judge


def test_a_run_opened_from_a_lesson_file_shows_the_loss_it_was_saved_with(tmp_path):
    from nnviz.model.files.lessonfile import LessonFile, load_lesson_file, save_lesson_file

    s = TrainingSession()
    s.load_lesson("digits")
    s.step(6)
    shown = s.snapshot().loss
    save_lesson_file(tmp_path / "run.nnviz", LessonFile.from_snapshot(s.snapshot()))
    other = TrainingSession()
    other.load_lesson("digits")
    other.install(load_lesson_file(tmp_path / "run.nnviz").saved_model())
    assert other.snapshot().iteration == 6
    assert other.snapshot().loss == pytest.approx(shown, rel=1e-12)  # not "—" (NaN) until the next step


def test_before_any_step_the_loss_shown_is_the_nudge_tabs_on_its_sample():
    """The counters said "loss —" at iteration 0 while the Nudge tab said 1.00000 for the smile."""
    from nnviz.model.analysis.nudge_vs_gradient import compare_snapshot
    from nnviz.model.core.messages import counter_texts

    for lesson in ("smile", "mnist"):
        s = session(lesson)
        snap = s.snapshot()
        assert snap.iteration == 0 and math.isnan(snap.loss)
        tab = compare_snapshot(snap, s.trainer.dataset, 1, 0)  # the Nudge tab's comparison
        assert snap.start_loss == pytest.approx(tab.base_loss, rel=1e-6)
        assert counter_texts(snap)["loss"] == f"loss {tab.base_loss:.4f}"
        if lesson == "smile":
            assert counter_texts(snap)["loss"] == "loss 1.0000"  # every weight 0: each output 0, targets ±1
        s.step(1)
        after = s.snapshot()
        assert after.start_loss is None and counter_texts(after)["loss"] == f"loss {after.loss:.4f}"
