"""The training thread on its own: commands in, snapshots out, clean shutdown."""

import numpy as np
import pytest

from nnviz.qt.worker import TrainingController


@pytest.fixture
def controller(qtbot):
    c = TrainingController()
    yield c
    c.shutdown()


def loaded(qtbot, c, lesson="smile"):
    c.load_lesson(lesson)
    qtbot.waitUntil(lambda: c.latest is not None and c.latest.lesson == lesson, timeout=10000)
    return c.latest


def test_step_advances_by_exactly_one_and_changes_the_weights(qtbot, controller):
    first = loaded(qtbot, controller)
    assert first.iteration == 0 and not first.weights[0].any()
    controller.step()
    qtbot.waitUntil(lambda: controller.latest.iteration == 1, timeout=5000)
    snap = controller.latest
    assert set(np.unique(snap.weights[0])) <= {-1.0, 0.0, 1.0} and snap.weights[0].any()
    np.testing.assert_array_equal(snap.update_w[0], snap.weights[0] - first.weights[0])


def test_snapshots_are_immutable_copies(qtbot, controller):
    snap = loaded(qtbot, controller)
    with pytest.raises(ValueError):
        snap.weights[0][0, 0] = 5.0
    controller.step()
    qtbot.waitUntil(lambda: controller.latest.iteration == 1, timeout=5000)
    assert not snap.weights[0].any()  # the old snapshot did not change under us


def test_run_then_pause_stops_and_the_iteration_stays(qtbot, controller):
    loaded(qtbot, controller, "smile")
    controller.change_settings(method="gradient", learning_rate=0.01)
    controller.run()
    qtbot.waitUntil(lambda: controller.latest.iteration > 50, timeout=10000)
    controller.pause()
    qtbot.waitUntil(lambda: not controller.running, timeout=5000)
    qtbot.wait(100)
    stopped = controller.latest.iteration
    qtbot.wait(300)
    assert controller.latest.iteration == stopped


def test_bad_settings_are_reported_and_training_continues(qtbot, controller):
    loaded(qtbot, controller)
    messages = []
    controller.failed.connect(messages.append)
    controller.change_settings(batch_size=0)
    qtbot.waitUntil(lambda: len(messages) > 0, timeout=5000)
    assert "batch size" in messages[0]
    controller.step()
    qtbot.waitUntil(lambda: controller.latest.iteration == 1, timeout=5000)
    assert controller.latest.settings["batch_size"] == 4


def test_shutdown_while_running_joins_the_thread(qtbot):
    c = TrainingController()
    loaded(qtbot, c)
    c.change_settings(method="gradient")
    c.run()
    qtbot.waitUntil(lambda: c.latest.iteration > 10, timeout=10000)
    assert c.shutdown()
    assert not c.thread.isRunning()


def test_a_full_speed_run_keeps_every_recent_iteration_exactly(qtbot, controller):
    """At full speed only every 8th state is recorded; pausing replays the rest, so the
    scrubber still offers each recent iteration, with exactly the weights training had."""
    from nnviz.model.lessons import get_lesson
    from nnviz.model.timeline import CHECKPOINT_EVERY, DEFAULT_RECENT

    loaded(qtbot, controller, "digits")
    controller.set_speed(0)
    controller.run()
    qtbot.waitUntil(lambda: controller.latest.iteration > 400, timeout=20000)
    controller.pause()
    qtbot.waitUntil(lambda: not controller.running and bool(controller.latest.timeline), timeout=5000)
    snap = controller.latest
    n, kept = snap.iteration, set(snap.timeline)
    assert n in kept and set(range(n - DEFAULT_RECENT + CHECKPOINT_EVERY, n + 1)) <= kept
    reference = get_lesson("digits").build(seed=snap.seed)
    states = {}
    for _ in range(n):
        reference.step()
        if reference.iteration >= n - 20:
            states[reference.iteration] = [w.copy() for w in reference.network.weights]
    for k in (n - 13, n - 1):  # off the checkpoint grid
        controller.preview(k)
        qtbot.waitUntil(lambda: controller.latest.iteration == k, timeout=5000)
        for a, b in zip(controller.latest.weights, states[k]):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(controller.latest.update_w[0], states[k][0] - states[k - 1][0])


def _full_speed(worker, until: int) -> None:
    """Train as the running timer does, checkpoints only, then stop (which fills the gaps)."""
    worker.speed = 0
    worker._set_running(True)
    worker._chunk_iterations = 10**6  # as after a chunk of fast iterations
    while worker.trainer.iteration < until:
        worker._train(until - worker.trainer.iteration, deadline=float("inf"))
    worker._set_running(False)


def test_settings_changed_right_after_installing_a_model_are_replayed_with_the_new_ones(qtbot):
    """An installed model has no loss yet; a settings change then must still mark the gap's start."""
    from nnviz.model.lessons import get_lesson
    from nnviz.model.modelfile import SavedModel
    from nnviz.qt.worker import TrainingWorker

    base = get_lesson("digits").build(seed=3)
    for _ in range(20):
        base.step()
    saved = SavedModel(base.network.copy(), "digits", iteration=1001, epoch=0, seed=3,
                       settings=base.settings.to_dict())
    sparse, dense = TrainingWorker(), TrainingWorker()
    for w in (sparse, dense):
        w.load_lesson("digits", 3)
        w.install(saved)
        w.change_settings({"learning_rate": 0.5})
    _full_speed(sparse, 1060)
    dense.step(59)
    assert sparse.timeline.get(1001).settings.learning_rate == 0.5
    for i in range(1002, 1061):
        for a, b in zip(sparse.timeline.get(i).weights, dense.timeline.get(i).weights):
            np.testing.assert_array_equal(a, b)


def test_installing_a_model_of_the_same_lesson_keeps_the_learners_examples(qtbot):
    from nnviz.model.modelfile import SavedModel
    from nnviz.qt.worker import TrainingWorker

    w = TrainingWorker()
    w.load_lesson("digits", 0)
    ds = w.trainer.dataset
    w.set_dataset(ds.with_train_examples(np.zeros((2, ds.n_inputs), np.float32), np.zeros(2, ds.y_train.dtype)))
    n = len(w.trainer.dataset.x_train)
    w.install(SavedModel(w.trainer.network.copy(), "digits", iteration=5, epoch=0, seed=0, settings={}))
    assert w.trainer.iteration == 5 and len(w.trainer.dataset.x_train) == n == len(ds.x_train) + 2


def test_continue_from_here_while_running_uses_the_iteration_asked_for(qtbot):
    from nnviz.qt.worker import TrainingWorker

    w = TrainingWorker()
    w.load_lesson("digits", 0)
    w.speed = 0
    w._set_running(True)
    w._chunk_iterations = 10**6
    w._train(60, deadline=float("inf"))  # running: only 0, 8, …, 56 kept so far
    w.resume_from(53)
    assert not w._running and w.trainer.iteration == 53
