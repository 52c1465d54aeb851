"""The training thread: a worker QObject that owns the live training session.

The threading contract: the GUI never touches the trainer. It sends commands through a
queued signal to the worker and renders the immutable snapshots the worker publishes — at most ~60
per second while running, and after every command, never one per iteration at full speed. While
running, the worker trains in chunks of a few milliseconds and returns to its event loop in between,
so a pause (or any command) takes effect within one chunk. What a command does to the trainer and
timeline is TrainingSession's (model). Everything the learner should hear of travels on one stream,
``reported``, as frozen dataclasses (``model/core/reports.py``): what the session reports (divergence
included), a refused command (``Refused``) and a finished save (``Saved``). Commands are the worker's
own methods, sent as function objects (``TrainingController._send``), never names looked up.
"""

from __future__ import annotations

import math
import time

from PySide6.QtCore import QObject, QStandardPaths, QThread, QTimer, Signal, Slot

from ..malloc_settings import fit_to_network, give_back_free_pages
from ..model.core.reports import Refused, Saved
from ..model.errors import NNVizError
from ..model.session import TrainingSession
from .gui_collector import collect_on_gui_thread

CHUNK_SECONDS = 0.008  # one chunk of training before returning to the event loop
PUBLISH_SECONDS = 1 / 60  # coalesce snapshots to the display rate


class TrainingWorker(QObject):
    """Lives in the training thread; its public methods are the GUI's commands, delivered by
    ``command`` (they can also be called directly, e.g. by tests, on the thread that owns it)."""

    snapshotReady = Signal(object)  # Snapshot
    lessonLoaded = Signal(object, object)  # (Lesson, Dataset)
    runningChanged = Signal(bool)
    framesReady = Signal(object)  # list of Snapshots of kept past iterations (for an animation)
    reported = Signal(object)  # a Report (model/core/reports.py): what the learner should hear of

    def __init__(self):
        super().__init__()  # no parent: it is moved to its own thread
        self.session = TrainingSession()
        # runs set aside keep their timelines in the cache folder (the temporary one may be in memory)
        cache = QStandardPaths.writableLocation(QStandardPaths.CacheLocation)
        self.session.spill_dir = f"{cache}/runs" if cache else None
        self.speed = 0.0  # iterations per second; 0 = as fast as possible
        # running; when the last snapshot went out; (time, iteration) the rate is measured from; the rate
        self._running, self._last_publish, self._rate_mark, self._rate = False, 0.0, (0.0, 0), 0.0
        self.stop_epoch = None  # a run pauses once this many epochs are complete (a guide step's)
        self._timer = QTimer(self)  # a child, so moveToThread takes it along
        self._timer.timeout.connect(self._tick)
        # a stopped run's skipped states are replayed a slice at a time, so commands wait at most one
        self._fill_timer = QTimer(self)
        self._fill_timer.setSingleShot(True)
        self._fill_timer.timeout.connect(self._fill_more)

    @Slot(object, object)
    def command(self, method, args: tuple) -> None:
        """A queued command from the GUI (TrainingController): ``method``, one of this class's
        command methods (the function, e.g. ``TrainingWorker.step``), called on ``args``."""
        method(self, *args)
        self._report()  # also what a refused command reported (a model that did not open)

    # -- commands (TrainingSession documents each), carried out between two iterations -------

    # replacing the network, and the lesson when the session returns True: a new timeline, no fill
    def load_lesson(self, name: str, seed=None): self._replace(lambda: self.session.load_lesson(name, seed) or True)
    def reset(self, seed=None): self._replace(self.session.reset, seed)
    def rebuild(self, sizes, hidden: str, seed=None): self._replace(self.session.rebuild, sizes, hidden, seed)
    def load_model(self, path: str): self._replace(self.session.load_model, path)
    def install(self, saved, path: str = ""): self._replace(self.session.install, saved, path)
    def undo(self): self._replace(self.session.undo)

    # pausing first, which fills the run's skipped states (so they can be stepped past or chosen);
    # a weight set by hand too (hand_edits.py), its undo or redo
    def step(self, n: int = 1): self._paused(self._train, max(1, int(n)), math.inf)
    def set_weight(self, *where_and_value): self._paused(self.session.set_weight, *where_and_value)
    def undo_edit(self, redo=False): self._paused(self.session.redo_edit if redo else self.session.undo_edit)
    def pause(self): self._paused(lambda: None)
    def preview(self, iteration: int): self._paused(self.session.preview, iteration)
    def resume_from(self, iteration: int): self._paused(self.session.resume_from, iteration)

    def restore_rewind(self, path: str): self._paused(self.session.restore_rewind, path)
    def stop_at_epoch(self, epoch): self.stop_epoch = None if epoch is None else int(epoch)

    def save_rewinds(self, folder: str) -> None:
        """A normal quit: every lesson's rewind history kept in ``folder`` for the next start."""
        self._set_running(False)  # stopping fills the run's skipped states first
        try:
            self.session.save_rewinds(folder)
        except (OSError, NNVizError):
            pass  # insurance, as the session autosave is: a quit is never held up by it

    # changes that are reported when refused; the state is published either way
    def change_settings(self, changes: dict): self._attempt(self.session.change_settings, changes, publish=True)
    def set_dataset(self, dataset, base=None): self._attempt(self.session.set_dataset, dataset, base, publish=True)

    def save_model(self, path: str) -> None:
        if self.session.trainer is not None and self._attempt(self.session.save_model, path):
            self.reported.emit(Saved(path))

    def frames(self, first: int, last: int, max_frames: int) -> None:  # none before a lesson
        self.framesReady.emit(self.session.frames(first, last, max_frames))

    def run(self) -> None:
        if self.session.trainer is not None:
            self._set_running(True)

    def set_speed(self, iterations_per_second: float) -> None:
        self.speed = max(0.0, float(iterations_per_second))
        if self._running:
            self._timer.start(self._interval())

    def stop(self) -> None:
        """Last command before the thread ends: stop training and leave the event loop."""
        self._set_running(False, complete=False)
        QThread.currentThread().quit()

    def _attempt(self, command, *args, publish: bool = False) -> tuple | None:
        """(command's result,), or None once its NNVizError is reported (the session is unchanged)."""
        try:
            done = (command(*args),)
        except NNVizError as e:
            self.reported.emit(Refused(str(e)))
            done = None
        if publish:
            self._publish()
        return done

    def _replace(self, command, *args) -> None:
        if done := self._attempt(command, *args):
            self._set_running(False, complete=False)
            if done[0]:  # the lesson's data without the learner's examples (the window adds them)
                self.lessonLoaded.emit(self.session.lesson, self.session.base)
            self._publish()

    def _paused(self, command, *args) -> None:
        self._set_running(False)
        if (done := self._attempt(command, *args)) and done[0] is not False:  # False: nothing changed
            self._publish()

    # -- running -------------------------------------------------------------------

    def _interval(self) -> int:
        return 0 if self.speed <= 0 else max(1, int(1000 / self.speed))

    def _set_running(self, running: bool, complete: bool = True) -> None:
        """Start or stop the chunk timer; stopping fills the skipped states unless ``complete`` is False."""
        if running == self._running:
            return
        self._running = running
        if running:
            self._rate_mark = (time.perf_counter(), self.session.trainer.iteration)
            self._timer.start(self._interval())
        else:
            self._timer.stop()
        self.runningChanged.emit(running)  # before the fill, so the Run button flips at once
        if not running and self.session.complete_timeline(replay=complete):
            self._fill_timer.start(0)

    def _fill_more(self) -> None:
        if self._running:
            return  # running again: it fills when it stops
        if self.session.complete_timeline():
            self._fill_timer.start(0)
        else:  # done, here or by a command's own fill (frames, say, publishes nothing)
            self._publish()  # the scrubber offers every recent iteration now

    def _tick(self) -> None:
        if not self._running:
            return
        fast = self.speed <= 0  # a chunk of CHUNK_SECONDS, else one iteration per tick of the timer
        n = 10**9 if fast else 1
        if self.stop_epoch is not None and self.session.trainer is not None:
            # here, not from the window's frames: a busy window saw the epoch late and ran past it
            n = min(n, self.session.trainer.iterations_to_epoch(self.stop_epoch))
            if n <= 0:
                self.stop_epoch = None
                self._set_running(False)
                self._publish()
                return
        self._train(n, time.perf_counter() + CHUNK_SECONDS if fast else math.inf)
        # a divergence stopped the run: its rolled-back state is shown at once
        if not self._running or time.perf_counter() - self._last_publish >= PUBLISH_SECONDS or self.speed > 0:
            self._publish()

    def _train(self, n: int, deadline: float) -> None:
        # at a non-finite loss the session has us pause (before its fill), rolls back and reports it
        self.session.step(n, deadline, fast=self._running and self.speed <= 0, stopping=lambda: self._set_running(False))

    def _publish(self) -> None:
        t = self.session.trainer
        if t is None:
            return
        now = time.perf_counter()
        t0, i0 = self._rate_mark
        if self._running and now - t0 >= 0.5:
            self._rate = max(0.0, (t.iteration - i0) / (now - t0))  # < 0 once: Run went on from the past
            self._rate_mark = (now, t.iteration)
        elif not self._running:
            self._rate = 0.0
        self._last_publish = now
        snap = self.session.snapshot(self._running, self._rate)
        if snap is not None:
            fit_to_network(snap.is_mlp)  # memory that levels off on a long run (see malloc_settings)
            give_back_free_pages()
        self.snapshotReady.emit(snap)
        self._report()

    def _report(self): list(map(self.reported.emit, self.session.take_reports()))


class TrainingController(QObject):
    """GUI-side handle: owns the QThread, forwards commands, keeps the latest snapshot."""

    _command = Signal(object, object)  # (TrainingWorker method, args), queued to the worker's thread
    snapshotArrived = Signal()  # on the GUI thread, once ``latest`` is new (for tools that wait for one)
    lessonLoaded = Signal(object, object)
    runningChanged = Signal(bool)
    framesReady = Signal(object)
    reported = Signal(object)  # a Report, relayed from the worker

    def __init__(self, parent=None):
        super().__init__(parent)
        collect_on_gui_thread()  # before the training thread starts: a collection there can hang both
        self.latest = self.lesson = self.dataset = None
        self.running = False
        # A child, so Qt frees it with the controller, after shutdown() has joined it: no
        # deleteLater on finished, as self.thread is still asked isRunning() once it has ended.
        self.thread = QThread(self)
        self.thread.setObjectName("nnviz-training")
        self.worker = w = TrainingWorker()
        w.moveToThread(self.thread)
        self.thread.finished.connect(w.deleteLater)  # in its own thread, as the thread ends (Qt docs)
        self._command.connect(w.command)
        w.snapshotReady.connect(self._on_snapshot)
        w.lessonLoaded.connect(self._on_lesson)
        w.runningChanged.connect(self._on_running)
        w.framesReady.connect(self.framesReady)
        w.reported.connect(self.reported)
        self.thread.start()

    # the GUI's vocabulary, each queued to the worker's method of the same name
    def _send(self, command, *args): self._command.emit(command, args)
    def load_lesson(self, name: str, seed=None): self._send(TrainingWorker.load_lesson, name, seed)
    def step(self, n: int = 1): self._send(TrainingWorker.step, int(n))
    def run(self): self._send(TrainingWorker.run)
    def pause(self): self._send(TrainingWorker.pause)
    def reset(self, seed=None): self._send(TrainingWorker.reset, seed)
    def change_settings(self, **changes): self._send(TrainingWorker.change_settings, changes)
    def rebuild(self, hidden_sizes, hidden, seed=None): self._send(TrainingWorker.rebuild, list(hidden_sizes), str(hidden), seed)
    def set_dataset(self, dataset, base=None):  # trained on from the next iteration, shown by the views from now
        self.dataset = dataset  # base: the lesson's data without the learner's examples
        self._send(TrainingWorker.set_dataset, dataset, base)
    def set_speed(self, ips: float): self._send(TrainingWorker.set_speed, float(ips))
    def save_model(self, path): self._send(TrainingWorker.save_model, str(path))
    def load_model(self, path): self._send(TrainingWorker.load_model, str(path))
    def preview(self, iteration: int): self._send(TrainingWorker.preview, int(iteration))
    def resume_from(self, iteration: int): self._send(TrainingWorker.resume_from, int(iteration))
    def install(self, saved, path: str = ""): self._send(TrainingWorker.install, saved, str(path))
    def save_rewinds(self, folder): self._send(TrainingWorker.save_rewinds, str(folder))
    def stop_at_epoch(self, epoch): self._send(TrainingWorker.stop_at_epoch, epoch)  # None: run on
    def restore_rewind(self, path): self._send(TrainingWorker.restore_rewind, str(path))
    def undo(self): self._send(TrainingWorker.undo)  # the run the last reset, rebuild, open or continue replaced
    def set_weight(self, layer: int, neuron: int, index: int, value: float, bias: bool = False):
        self._send(TrainingWorker.set_weight, int(layer), int(neuron), int(index), float(value), bool(bias))
    def undo_edit(self, redo: bool = False): self._send(TrainingWorker.undo_edit, bool(redo))  # the last weight set by hand
    def frames(self, first: int, last: int, max_frames: int = 60): self._send(TrainingWorker.frames, first, last, max_frames)
    def toggle_run(self): self.pause() if self.running else self.run()

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        """Stop training and join the thread; True when it has ended."""
        if self.thread.isRunning():
            self._send(TrainingWorker.stop)
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
