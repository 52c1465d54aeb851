"""The training thread on its own: commands in, snapshots out, clean shutdown."""

import numpy as np
import pytest

from nnviz.model.core.reports import BlowUp, Diverged, OpenFailed, Refused
from nnviz.qt.worker import TrainingController, TrainingWorker


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
    controller.reported.connect(lambda r: isinstance(r, Refused) and messages.append(r.message))
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


def test_a_full_speed_run_keeps_every_recent_iteration_exactly(qtbot, controller, monkeypatch):
    """At full speed only every 8th state is recorded; pausing replays the rest, so the
    scrubber still offers each recent iteration, with exactly the weights training had.
    The replay goes a slice at a time until done: on a busy machine one slice (FILL_SECONDS)
    once left most of them out for good. Here each slice is a single gap."""
    from nnviz.model import session
    from nnviz.model.lessons import get_lesson
    from nnviz.model.core.timeline import CHECKPOINT_EVERY, DEFAULT_RECENT

    monkeypatch.setattr(session, "FILL_SECONDS", 0.0)
    loaded(qtbot, controller, "digits")
    controller.set_speed(0)
    controller.run()
    qtbot.waitUntil(lambda: controller.latest.iteration > 400, timeout=20000)
    controller.pause()
    qtbot.waitUntil(lambda: not controller.running and controller.latest.iteration > 400, timeout=5000)
    n = controller.latest.iteration
    recent = set(range(n - DEFAULT_RECENT + CHECKPOINT_EVERY, n + 1))
    qtbot.waitUntil(lambda: recent <= set(controller.latest.timeline), timeout=10000)
    snap = controller.latest
    assert snap.iteration == n
    reference = get_lesson("digits").build(seed=snap.seed)
    states = {}
    for _ in range(n):
        reference.step()
        if reference.iteration >= n - 20:
            states[reference.iteration] = [w.copy() for w in reference.network.weights]
    for k in (n - 13, n - 1):  # off the checkpoint grid
        controller.preview(k)
        qtbot.waitUntil(lambda k=k: controller.latest.iteration == k, timeout=5000)
        for a, b in zip(controller.latest.weights, states[k]):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(controller.latest.update_w[0], states[k][0] - states[k - 1][0])


def test_shutdown_deletes_the_worker_and_keeps_the_thread_object_usable(qtbot):
    """thread.finished → worker.deleteLater runs in the ending thread; the QThread itself lives
    on with the controller, so asking it isRunning() (or shutting down twice) stays safe."""
    import shiboken6

    c = TrainingController()
    loaded(qtbot, c)
    worker = c.worker
    assert c.shutdown() and not c.thread.isRunning()
    qtbot.waitUntil(lambda: not shiboken6.isValid(worker), timeout=5000)
    assert shiboken6.isValid(c.thread) and c.shutdown()
    c.step()  # a command after the end goes nowhere, and nothing crashes
    qtbot.wait(50)
    assert c.latest.iteration == 0


# The worker on the test's thread, no QThread: what the thread adds to the session's policy.


def test_divergence_while_running_flips_running_before_the_fill_then_reports(qtbot):
    from nnviz.model.core.timeline import CHECKPOINT_EVERY

    w = TrainingWorker()
    w.load_lesson("smile", 0)
    w.session.detect_blowups = False  # the non-finite path on its own (the watch stops it earlier)
    w.change_settings({"method": "gradient", "learning_rate": 10.0})
    events = []
    w.runningChanged.connect(lambda r: events.append((r, w.session.timeline.iterations().tolist())))
    w.reported.connect(lambda r: isinstance(r, Diverged) and events.append(r))
    w.session._chunk_iterations = 10**6  # as after a chunk of fast iterations: checkpoints only
    w.run()
    for _ in range(1000):  # the timer's ticks, by hand (no event loop runs here)
        if not w._running:
            break
        # every chunk counts as a long one: on a loaded machine a chunk of 8 ms can be short, and
        # the session then (rightly) records every state — not what this test is about
        w.session._chunk_iterations = 10**6
        w._tick()
    (on, _), (off, kept_then), info = events
    assert on is True and off is False
    assert set(kept_then) <= set(range(0, info.iteration, CHECKPOINT_EVERY))  # not filled yet
    assert info.kept == info.iteration - 1 == w.session.trainer.iteration and w.session.generation == 2


def test_a_refused_install_is_reported_with_the_file_named_and_nothing_is_published(qtbot):
    from nnviz.model.files.modelfile import SavedModel
    from nnviz.model.core.network import Network

    w = TrainingWorker()
    w.load_lesson("digits", 0)
    w.step(3)
    out = []
    for sig in (w.reported, w.snapshotReady, w.lessonLoaded, w.runningChanged):
        sig.connect(lambda *a, sig=sig: out.append((sig, a)))
    w.install(SavedModel(Network([12, 7, 10], hidden="relu", output="softmax"), "digits"), "wrong.npz")
    assert len(out) == 1 and isinstance(refused := out[0][1][0], Refused)
    assert refused.message.startswith("wrong.npz: its 12-7-10 network does not fit")
    assert w.session.trainer.iteration == 3 and w.session.generation == 1


def test_commands_keep_their_order_and_a_refused_setting_still_publishes(qtbot):
    w = TrainingWorker()
    snaps, failed = [], []
    w.snapshotReady.connect(snaps.append)
    w.reported.connect(lambda r: isinstance(r, Refused) and failed.append(r.message))
    w.command(TrainingWorker.load_lesson, ("smile", 0))
    w.command(TrainingWorker.step, (2,))
    w.command(TrainingWorker.change_settings, ({"batch_size": 0},))
    assert [s.iteration for s in snaps] == [0, 2, 2] and "batch size" in failed[0]
    assert snaps[-1].timeline == (0, 1, 2) and w.session.record_timeline


def test_a_blow_up_while_running_pauses_and_is_reported_with_the_network_kept(qtbot):
    w = TrainingWorker()
    w.load_lesson("digits", 0)
    w.step(170)
    w.change_settings({"learning_rate": 10.0})
    events = []
    w.runningChanged.connect(lambda r: events.append(("running", r)))
    w.reported.connect(lambda report: events.append(type(report)))
    w.run()
    for _ in range(1000):  # the timer's ticks, by hand
        if not w._running:
            break
        w._tick()
    assert events == [("running", True), ("running", False), BlowUp]  # and no Diverged
    assert 170 < w.session.trainer.iteration < 200 and w.session.generation == 1  # paused where it blew up, nothing restored


def test_what_a_refused_command_reports_goes_out_though_nothing_is_published(qtbot, tmp_path):
    w = TrainingWorker()
    w.command(TrainingWorker.load_lesson, ("smile", 0))
    out = []
    w.reported.connect(out.append)
    w.snapshotReady.connect(out.append)
    w.command(TrainingWorker.load_model, (str(tmp_path / "missing.npz"),))
    refused, failed = out
    assert isinstance(refused, Refused) and "missing.npz" in refused.message
    assert failed == OpenFailed(str(tmp_path / "missing.npz"))  # the recent list forgets it


def test_a_run_told_to_stop_at_an_epoch_pauses_exactly_there_however_busy_the_window(qtbot, controller):
    """A guide step's "let it run for two epochs": the training thread pauses at the boundary; the
    window, judging from its frames, once let a busy run go on an epoch past it."""
    loaded(qtbot, controller, "digits")
    controller.change_settings(batch_size=100)  # 1,347 training images: 14 iterations an epoch
    controller.set_speed(0)
    controller.stop_at_epoch(2)
    controller.run()
    qtbot.waitUntil(lambda: controller.latest.epoch >= 2 and not controller.running, timeout=20000)
    snap = controller.latest
    assert snap.epoch == 2 and snap.iteration == 28 and not controller.running
    controller.run()  # the stop was used up: a run goes on
    qtbot.waitUntil(lambda: controller.latest.iteration > 40, timeout=20000)
    controller.pause()


def test_the_allocator_follows_the_network_being_trained(qtbot, controller, monkeypatch):
    """A dense net holds glibc's mmap threshold low (memory that levels off), a conv net high
    (its few-MiB temporaries stay in the heap: fresh mappings cost it a quarter of its speed)."""
    from nnviz.qt import worker

    seen = []
    monkeypatch.setattr(worker, "fit_to_network", seen.append)
    loaded(qtbot, controller, "mnist")
    assert seen and set(seen) == {True}
    loaded(qtbot, controller, "conv")
    assert seen[-1] is False
