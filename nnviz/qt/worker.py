"""The training thread: a worker QObject that owns the live network and trainer.

Threading contract (design notes): the GUI never touches the trainer. It sends
commands through queued signals to the worker's slots and renders the immutable
snapshots the worker publishes — at most ~60 per second while running, and after
every command, never one per iteration at full speed. While running, the worker
trains in chunks of a few milliseconds and returns to its event loop in between,
so a pause (or any command) takes effect within one chunk.
"""

from __future__ import annotations

import math
import time

import numpy as np
from dataclasses import replace

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from ..model.errors import NNVizError
from ..model.lessons import get_lesson
from ..model.modelfile import SavedModel, load_model, save_model
from ..model.timeline import CHECKPOINT_EVERY, Timeline

CHUNK_SECONDS = 0.008  # one chunk of training before returning to the event loop
PUBLISH_SECONDS = 1 / 60  # coalesce snapshots to the display rate
FILL_SECONDS = 0.15  # at most this long replaying a run's skipped states when it stops (newest first)
SPARSE_CHUNK = 16  # record only checkpoints when a chunk fits this many iterations (a state copy matters)


class TrainingWorker(QObject):
    """Lives in the training thread; every public slot is a command from the GUI."""

    snapshotReady = Signal(object)  # Snapshot
    lessonLoaded = Signal(object, object)  # (Lesson, Dataset)
    runningChanged = Signal(bool)
    failed = Signal(str)  # a command could not be carried out; state unchanged
    saved = Signal(str)
    diverged = Signal(dict)  # {"iteration", "loss", "kept", "rollback"}: training paused, weights kept finite
    framesReady = Signal(object)  # list of Snapshots of kept past iterations (for an animation)

    def __init__(self):
        super().__init__()  # no parent: it is moved to its own thread
        self.trainer = None
        self.lesson = None
        self.generation = 0
        self.speed = 0.0  # iterations per second; 0 = as fast as possible
        self._running = False
        self._last_publish = 0.0
        self._rate_mark = (0.0, 0)
        self._rate = 0.0
        self._timer = QTimer(self)  # a child, so moveToThread takes it along
        self._timer.timeout.connect(self._tick)
        self.timeline = Timeline()
        self.record_timeline = True  # off only to measure what keeping it costs
        self._viewing = None  # iteration of a past state being shown, or None for live
        self._gaps = False  # states were skipped at full speed; Timeline.fill recreates them
        self._chunk_iterations = 0  # iterations the last chunk of training ran

    def _new_trainer(self, trainer) -> None:
        """A different network or a fresh start: new generation, timeline from its first state."""
        self.trainer = trainer
        self.generation += 1
        self._viewing = None
        self._gaps = False
        self.timeline.clear()
        self.timeline.record(trainer.state())

    # -- commands ------------------------------------------------------------------

    @Slot(str, object)
    def load_lesson(self, name: str, seed=None) -> None:
        try:
            lesson = get_lesson(name)
            trainer = lesson.build(seed=seed)
        except (NNVizError, OSError) as e:
            self.failed.emit(f"Could not open the lesson {name!r}: {e}")
            return
        self._set_running(False, complete=False)  # a new timeline follows: no fill
        self.lesson = lesson
        self._new_trainer(trainer)
        self.lessonLoaded.emit(lesson, trainer.dataset)
        self._publish()

    @Slot(int)
    def step(self, n: int = 1) -> None:
        if self.trainer is None:
            return
        self._set_running(False)
        self._train(max(1, int(n)), deadline=math.inf)
        self._publish()

    @Slot()
    def run(self) -> None:
        if self.trainer is not None:
            self._set_running(True)

    @Slot()
    def pause(self) -> None:
        self._set_running(False)
        self._publish()

    @Slot(object)
    def reset(self, seed=None) -> None:
        if self.trainer is None:
            return
        self._set_running(False, complete=False)
        self.trainer.reset(self.trainer.seed if seed is None else int(seed))
        self._new_trainer(self.trainer)
        self._publish()

    @Slot(dict)
    def change_settings(self, changes: dict) -> None:
        if self.trainer is None:
            return
        try:
            self.trainer.apply_settings(**changes)
        except NNVizError as e:
            self.failed.emit(str(e))
        self._checkpoint()
        self._publish()

    @Slot(object, str, object)
    def rebuild(self, hidden_sizes, hidden: str, seed=None) -> None:
        """New architecture (same lesson and dataset), freshly seeded."""
        if self.trainer is None:
            return
        try:
            trainer = self.lesson.build(seed=self.trainer.seed if seed is None else seed,
                                        hidden_sizes=tuple(hidden_sizes), hidden=hidden,
                                        data=self.trainer.dataset)
            trainer.apply_settings(**self.trainer.settings.to_dict())
        except NNVizError as e:
            self.failed.emit(f"Could not rebuild the network: {e}")
            return
        self._set_running(False, complete=False)
        self._new_trainer(trainer)
        self._publish()

    @Slot(object)
    def set_dataset(self, dataset) -> None:
        if self.trainer is None:
            return
        try:
            self.trainer.set_dataset(dataset)
        except NNVizError as e:
            self.failed.emit(str(e))
        self._checkpoint()
        self._publish()

    @Slot(float)
    def set_speed(self, iterations_per_second: float) -> None:
        self.speed = max(0.0, float(iterations_per_second))
        if self._running:
            self._timer.start(self._interval())

    @Slot(str)
    def save_model(self, path: str) -> None:
        t = self.trainer
        if t is None:
            return
        try:
            save_model(path, SavedModel(t.network.copy(), self.lesson.name, t.iteration, t.epoch, t.seed,
                                        t.settings.to_dict(), t.history))
        except (OSError, NNVizError) as e:
            self.failed.emit(f"Could not save {path}: {e}")
            return
        self.saved.emit(path)

    @Slot(str)
    def load_model(self, path: str) -> None:
        try:
            saved = load_model(path)
        except (NNVizError, OSError) as e:
            self.failed.emit(str(e))
            return
        self.install(saved, path)

    @Slot(object, str)
    def install(self, saved, path: str = "") -> None:
        """Make a SavedModel (from a model or lesson file) the live network, switching lesson if needed."""
        try:
            lesson = get_lesson(saved.lesson) if saved.lesson else self.lesson
            same = self.trainer is not None and self.lesson is not None and lesson.name == self.lesson.name
            trainer = lesson.build(seed=saved.seed, hidden_sizes=tuple(saved.network.sizes[1:-1]),
                                   hidden=saved.network.hidden,
                                   data=self.trainer.dataset if same else None)  # keeps the user's examples
            if trainer.network.sizes != saved.network.sizes:
                raise NNVizError(f"{path}: its {'-'.join(map(str, saved.network.sizes))} network does not "
                                 f"fit the {lesson.name} lesson's data")
            trainer.network.set_parameters(saved.network.weights, saved.network.biases)
            if saved.settings:
                trainer.apply_settings(**{k: v for k, v in saved.settings.items()})
        except (NNVizError, OSError) as e:
            self.failed.emit(str(e))
            return
        self._set_running(False, complete=False)
        trainer.iteration, trainer.epoch, trainer.history = saved.iteration, saved.epoch, saved.history
        changed_lesson = lesson is not self.lesson
        self.lesson = lesson
        self._new_trainer(trainer)
        if changed_lesson:
            self.lessonLoaded.emit(lesson, trainer.dataset)
        self._publish()

    @Slot(int, int, int)
    def frames(self, first: int, last: int, max_frames: int) -> None:
        """Snapshots of the kept iterations in [first, last], at most ``max_frames`` evenly picked."""
        if self.trainer is None:
            return
        self._complete_timeline()  # a run's skipped states, so the animation has every frame
        its = [i for i in self.timeline.iterations().tolist() if first <= i <= last]
        if len(its) > max_frames:
            its = [its[round(k * (len(its) - 1) / (max_frames - 1))] for k in range(max_frames)]
        out = []
        for i in its:
            st = self.timeline.get(i)
            out.append(self.trainer.snapshot_at(st, self.timeline.previous(i), lesson=self.lesson.name,
                                                generation=self.generation))
        self.framesReady.emit(out)

    @Slot(int)
    def preview(self, iteration: int) -> None:
        """Show the kept state nearest ``iteration`` without touching training (the scrubber)."""
        if self.trainer is None:
            return
        self._set_running(False)
        state = self.timeline.nearest(int(iteration))
        if state is None or state.iteration == self.trainer.iteration:
            self._viewing = None
        else:
            self._viewing = state.iteration
        self._publish()

    @Slot(int)
    def resume_from(self, iteration: int) -> None:
        """Continue from the kept state nearest ``iteration``: the later states are dropped, the
        current settings kept. With unchanged settings the run repeats exactly."""
        if self.trainer is None:
            return
        self._set_running(False)  # first: stopping fills the run's skipped states
        state = self.timeline.nearest(int(iteration))
        if state is None:
            return
        self.trainer.restore(state)
        self.timeline.truncate_after(state.iteration)
        self._viewing = None
        self.generation += 1  # the history was cut back: curves redraw from scratch
        self._publish()

    @Slot()
    def stop(self) -> None:
        """Last command before the thread ends: stop training and leave the event loop."""
        self._set_running(False, complete=False)
        QThread.currentThread().quit()

    # -- running -------------------------------------------------------------------

    def _interval(self) -> int:
        return 0 if self.speed <= 0 else max(1, int(1000 / self.speed))

    def _set_running(self, running: bool, complete: bool = True) -> None:
        """Start or stop the chunk timer. Stopping fills the timeline's skipped states unless
        ``complete`` is False (the caller is about to start a new timeline)."""
        if running == self._running:
            return
        self._running = running
        if running:
            self._rate_mark = (time.perf_counter(), self.trainer.iteration)
            self._timer.start(self._interval())
        else:
            self._timer.stop()
        self.runningChanged.emit(running)  # before the fill, so the Run button flips at once
        if not running and complete:
            self._complete_timeline()
        elif not running:
            self._gaps = False

    def _checkpoint(self) -> None:
        """Record the live state now (replacing one of the same iteration): the settings or data
        changed, and a later replay of the gap before it must use the old ones."""
        t = self.trainer
        # a state kept at this iteration (e.g. just installed, loss not yet known) is replaced;
        # otherwise only a finite one is recorded (not the iteration that diverged)
        if self.record_timeline and (math.isfinite(t.last_loss) or self.timeline.get(t.iteration) is not None):
            self.timeline.record(t.state())

    def _complete_timeline(self) -> None:
        """After a full-speed run: keep the live state and replay the skipped recent ones."""
        if not self._gaps or self.trainer is None:
            return
        self._gaps = False
        t = self.trainer
        finite = math.isfinite(t.last_loss)
        its = self.timeline.iterations()
        if finite and (not len(its) or its[-1] != t.iteration):
            self.timeline.record(t.state())
        self.timeline.fill(t.replayer(), t.iteration if finite else t.iteration - 1,
                           deadline=time.perf_counter() + FILL_SECONDS)

    def _tick(self) -> None:
        if not self._running:
            return
        if self.speed > 0:
            self._train(1, deadline=math.inf)
        else:
            self._train(10**9, deadline=time.perf_counter() + CHUNK_SECONDS)
        now = time.perf_counter()
        if now - self._last_publish >= PUBLISH_SECONDS or self.speed > 0:
            self._publish()

    def _train(self, n: int, deadline: float) -> None:
        t, line = self.trainer, self.timeline
        self._viewing = None  # training always continues from the live network
        record = self.record_timeline
        with np.errstate(over="ignore", invalid="ignore"):  # near divergence; caught below
            self._train_loop(t, line, n, deadline, record)

    def _train_loop(self, t, line, n, deadline, record) -> None:
        # At full speed only checkpoints are recorded; stopping fills the gaps (Timeline docs).
        # Slow iterations (big batches) record every state: the copy is then a small share.
        fast = self._running and self.speed <= 0 and self._chunk_iterations >= SPARSE_CHUNK
        every = CHECKPOINT_EVERY if fast else 1
        self._gaps = self._gaps or (record and every > 1)
        done = 0
        for _ in range(n):
            loss = t.step()
            done += 1
            if not math.isfinite(loss):
                self._diverged(loss)
                return
            if record and t.iteration % every == 0:
                line.record(t.state())
            if time.perf_counter() >= deadline:
                break
        self._chunk_iterations = done

    def _diverged(self, loss: float) -> None:
        """Pause at the first non-finite loss and go back to the newest finite weights kept."""
        t = self.trainer
        self._set_running(False)
        at = t.iteration
        kept = self.timeline.latest_finite(before=at)
        if kept is not None:
            t.restore(kept)
            self.timeline.truncate_after(kept.iteration)
            self.generation += 1
        finite = [s for s in (self.timeline.get(i) for i in self.timeline.iterations())
                  if s is not None and math.isfinite(s.loss)]
        best = min(finite, key=lambda s: (s.loss, -s.iteration)) if finite else None
        self.diverged.emit({"iteration": at, "loss": float(loss),
                            "kept": None if kept is None else kept.iteration,
                            "rollback": None if best is None else best.iteration})

    def _publish(self) -> None:
        t = self.trainer
        if t is None:
            return
        now = time.perf_counter()
        t0, i0 = self._rate_mark
        if self._running and now - t0 >= 0.5:
            self._rate = (t.iteration - i0) / (now - t0)
            self._rate_mark = (now, t.iteration)
        elif not self._running:
            self._rate = 0.0
        self._last_publish = now
        past = self.timeline.get(self._viewing) if self._viewing is not None else None
        if past is not None:
            snap = t.snapshot_at(past, self.timeline.previous(past.iteration), lesson=self.lesson.name,
                                 generation=self.generation)
        else:
            snap = t.snapshot(lesson=self.lesson.name, generation=self.generation)
        kept = tuple(self.timeline.iterations().tolist()) if not self._running else ()
        self.snapshotReady.emit(replace(snap, steps_per_second=self._rate, timeline=kept,
                                        live_iteration=t.iteration))


class TrainingController(QObject):
    """GUI-side handle: owns the QThread, forwards commands, keeps the latest snapshot."""

    # commands, delivered to the worker's thread by queued connections
    _load_lesson = Signal(str, object)
    _step = Signal(int)
    _run = Signal()
    _pause = Signal()
    _reset = Signal(object)
    _settings = Signal(dict)
    _rebuild = Signal(object, str, object)
    _dataset = Signal(object)
    _speed = Signal(float)
    _save = Signal(str)
    _load = Signal(str)
    _preview = Signal(int)
    _resume = Signal(int)
    _install = Signal(object, str)
    _frames = Signal(int, int, int)
    _stop = Signal()

    snapshotArrived = Signal()
    lessonLoaded = Signal(object, object)
    runningChanged = Signal(bool)
    failed = Signal(str)
    saved = Signal(str)
    diverged = Signal(dict)
    framesReady = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.latest = None
        self.lesson = None
        self.dataset = None
        self.running = False
        self.thread = QThread()
        self.thread.setObjectName("nnviz-training")
        self.worker = TrainingWorker()
        self.worker.moveToThread(self.thread)
        w = self.worker
        for sig, slot in ((self._load_lesson, w.load_lesson), (self._step, w.step), (self._run, w.run),
                          (self._pause, w.pause), (self._reset, w.reset), (self._settings, w.change_settings),
                          (self._rebuild, w.rebuild), (self._dataset, w.set_dataset), (self._speed, w.set_speed),
                          (self._save, w.save_model), (self._load, w.load_model), (self._preview, w.preview),
                          (self._resume, w.resume_from), (self._install, w.install), (self._frames, w.frames),
                          (self._stop, w.stop)):
            sig.connect(slot)
        w.snapshotReady.connect(self._on_snapshot)
        w.lessonLoaded.connect(self._on_lesson)
        w.runningChanged.connect(self._on_running)
        w.failed.connect(self.failed)
        w.saved.connect(self.saved)
        w.diverged.connect(self.diverged)
        w.framesReady.connect(self.framesReady)
        self.thread.start()

    # the GUI's vocabulary
    def load_lesson(self, name: str, seed=None): self._load_lesson.emit(name, seed)
    def step(self, n: int = 1): self._step.emit(int(n))
    def run(self): self._run.emit()
    def pause(self): self._pause.emit()
    def reset(self, seed=None): self._reset.emit(seed)
    def change_settings(self, **changes): self._settings.emit(changes)
    def rebuild(self, hidden_sizes, hidden, seed=None): self._rebuild.emit(list(hidden_sizes), hidden, seed)
    def set_dataset(self, dataset): self._dataset.emit(dataset)
    def set_speed(self, ips: float): self._speed.emit(float(ips))
    def save_model(self, path): self._save.emit(str(path))
    def load_model(self, path): self._load.emit(str(path))
    def preview(self, iteration: int): self._preview.emit(int(iteration))
    def resume_from(self, iteration: int): self._resume.emit(int(iteration))
    def install(self, saved, path: str = ""): self._install.emit(saved, str(path))
    def frames(self, first: int, last: int, max_frames: int = 60): self._frames.emit(first, last, max_frames)

    def toggle_run(self):
        self.pause() if self.running else self.run()

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        """Stop training and join the thread; True when it has ended."""
        if not self.thread.isRunning():
            return True
        self._stop.emit()
        return self.thread.wait(timeout_ms)

    def _on_snapshot(self, snap):
        self.latest = snap
        self.snapshotArrived.emit()

    def _on_lesson(self, lesson, dataset):
        self.lesson, self.dataset = lesson, dataset
        self.lessonLoaded.emit(lesson, dataset)

    def _on_running(self, running: bool):
        self.running = running
        self.runningChanged.emit(running)
