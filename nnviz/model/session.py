"""The training session: the live trainer, its lesson and timeline, and which iteration is shown.

What each command does to the trainer and the timeline lives here, as plain calls, so
it is tested without a display; the Qt worker (nnviz.qt.worker) owns one session and
adds only the thread's side — the timer that runs it in chunks, the measured rate,
the coalescing of snapshots, and signals.

Timeline policy (nnviz.model.core.timeline): stepping records every state; a full-speed
run records only every CHECKPOINT_EVERY-th and ``complete_timeline`` replays the
skipped ones when it stops; a change of settings or data records a checkpoint, so no
gap spans two settings. A new network (lesson, reset, rebuild, install) starts a new
timeline and a new ``generation``, and so does cutting the history back (divergence,
resume_from): a view seeing a new generation redraws its curves from scratch.

Nothing a learner did is lost while the app runs (nnviz.model.runs): each lesson keeps
its run when another opens, and a reset, rebuild, model opened or continuing from the past
keeps the run it replaced for ``undo``; runs set aside share a fixed memory budget.

A settings change arms a BlowupWatch (nnviz.model.core.blowup_watch): when the loss jumps far above
its level before the change, or a network that had learned is back at the untrained level,
training stops, and a report names the change and the iteration to roll back to.

What the learner should hear of is queued as reports (``core/reports.py``: Replaced, Undone,
UndoAvailable, Continued, Edited, LessonChanged, BlowUp, Diverged, Opened, OpenFailed), which
the worker sends on after each command and each chunk of training (``take_reports``).

Commands that cannot be carried out raise NNVizError with a message for the user and
leave the session as it was (a refused setting or dataset still records a checkpoint).
Before a lesson is loaded, the commands that need a trainer do nothing.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from .errors import NNVizError
from .lessons import get_lesson
from .files.modelfile import SavedModel, load_model, save_model
from .core.hand_edits import HandEdits
from .runs import Run, RunKeeping, same_data
from .core.snapshot import Snapshot
from .data.datasets import FIXED_SAMPLE, correct, training_sample
from .core.timeline import CHECKPOINT_EVERY, Timeline
from .core.blowup_watch import BlowupWatch
from .files.rewind_file import load_rewind, rewind_path, save_rewind
from .core.health import network_health
from .core.reports import BlowUp, Continued, Diverged, LessonChanged, Opened, OpenFailed

FILL_SECONDS = 0.15  # at most this long replaying a run's skipped states when it stops (newest first)
HEALTH_SAMPLE = 256  # training images on which dead / saturated units are judged
#: while running, judging unit health takes at most this share of the training thread's time (a
#: published-size conv net needs ~0.2 s per judgement; mnist's MLP under 1 ms, so every publish)
HEALTH_SHARE = 0.1
HEALTH_EVERY = 0.2  # and at most this often (s): the window draws it at ~5 Hz while running
MEASURED_KEPT = 12  # (measure, data) pairs kept: both measures of every lesson, ~0.5 MB each at most
SPARSE_CHUNK = 16  # record only checkpoints when a chunk fits this many iterations (a state copy matters)


class TrainingSession(RunKeeping, HandEdits):
    """Owns the trainer, lesson, timeline and generation; ``viewing`` is the past iteration
    shown instead of the live one (None: live); ``base`` the lesson's data without the
    learner's examples (handed back when the lesson comes back)."""

    def __init__(self, timeline: Timeline | None = None):
        self.trainer = None
        self.lesson = None
        self.base = None
        self.generation = 0
        self.timeline = Timeline() if timeline is None else timeline
        self.record_timeline = True  # off only to measure what keeping it costs
        self.detect_blowups = True  # off only to test the non-finite path on its own
        self.viewing = None
        self.watch = BlowupWatch()
        self._init_runs()
        self._gaps = False  # states were skipped at full speed; complete_timeline recreates them
        self._chunk_iterations = 0  # iterations the last call of step ran (without diverging)
        #: what was measured of the last weights shown per measure and data (so per lesson: a
        #: lesson switched back to is not measured again): (name, id(data)) -> (the data array,
        #: the weights' digest, the value); see _kept_or_measured
        self._measured: dict[tuple[str, int], tuple] = {}
        self._health_due = 0.0  # while running, the next judgement waits until then

    # -- commands that replace the network ----------------------------------------------

    def load_lesson(self, name: str, seed=None) -> None:
        """The lesson ``name`` on its own dataset: the run it was left with earlier, as it was,
        else a fresh network. ``seed`` asks for a fresh one (the run there is kept for undo);
        the live lesson without a seed changes nothing."""
        same = self.lesson is not None and self.trainer is not None and name == self.lesson.name
        if same and seed is None:
            return
        left = None if same else self._parked.get(name)
        if left is None or seed is not None:
            try:
                lesson = get_lesson(name)
                data = self.trainer.dataset if same else None if left is None else left.run.trainer.dataset
                trainer = lesson.build(seed=seed, data=data)
            except (NNVizError, OSError) as e:
                raise NNVizError(f"Could not open the lesson {name!r}: {e}") from e
        if not same:
            self._park()
            if left is not None:
                self._unpark(name)
            else:
                self.lesson, self.base = lesson, trainer.dataset
        if (left is None or seed is not None) and self.trainer is not None:
            self._replace(trainer, "restart")
        elif left is None or seed is not None:
            self._new_trainer(trainer)
        self._report(LessonChanged(name, left is not None and seed is None, self.trainer.iteration))
        self._report_undo()

    def reset(self, seed=None) -> None:
        """Start over with fresh weights (the same seed unless ``seed`` is given); undoable."""
        if self.trainer is None:
            return
        fresh = self.trainer.fork()  # a new trainer: the old one is kept for undo
        fresh.reset(self.trainer.seed if seed is None else int(seed))
        self._replace(fresh, "reset")

    def rebuild(self, hidden_sizes=None, hidden: str | None = None, seed=None, spec=None) -> None:
        """New architecture (same lesson, dataset and settings), freshly seeded; undoable: an MLP of
        ``hidden_sizes``/``hidden``, or any layer stack given as a ``spec``."""
        if self.trainer is None:
            return
        try:
            trainer = self.lesson.build(seed=self.trainer.seed if seed is None else seed,
                                        hidden_sizes=None if hidden_sizes is None else tuple(hidden_sizes),
                                        hidden=hidden, data=self.trainer.dataset, spec=spec)
            trainer.apply_settings(**self.trainer.settings.to_dict())
        except NNVizError as e:
            raise NNVizError(f"Could not rebuild the network: {e}") from e
        self._replace(trainer, "rebuild")

    def install(self, saved: SavedModel, path: str = "") -> bool:
        """Make a SavedModel (from a model or lesson file) the live network, switching lesson if
        it names another; the run it replaces there is kept for undo. True when the lesson
        changed. ``path`` names the file in errors."""
        try:
            lesson = get_lesson(saved.lesson) if saved.lesson else self.lesson
            same = self.trainer is not None and self.lesson is not None and lesson.name == self.lesson.name
            left = None if same else self._parked.get(lesson.name)
            data = self.trainer.dataset if same else None if left is None else left.run.trainer.dataset
            if saved.network.is_plain:
                trainer = lesson.build(seed=saved.seed, hidden_sizes=tuple(saved.network.sizes[1:-1]),
                                       hidden=saved.network.hidden, data=data)  # keeps the user's examples
            else:
                try:
                    trainer = lesson.build(seed=saved.seed, spec=saved.network.spec, data=data)
                except NNVizError as e:
                    raise NNVizError(f"{path}: {e}") from e
            if trainer.network.sizes != saved.network.sizes:
                raise NNVizError(f"{path}: its {'-'.join(map(str, saved.network.sizes))} network does not "
                                 f"fit the {lesson.name} lesson's data")
            trainer.network.set_parameters(saved.network.weights, saved.network.biases)
            if saved.settings:
                trainer.apply_settings(**{k: v for k, v in saved.settings.items()})
        except OSError as e:
            raise NNVizError(str(e)) from e
        trainer.iteration, trainer.epoch, trainer.history = saved.iteration, saved.epoch, saved.history
        trainer.continue_epoch(saved.epoch_fraction)
        losses = saved.history.frozen()["loss"] if saved.history is not None else ()
        if saved.iteration and len(saved.history or ()) == saved.iteration and len(losses):
            trainer.last_loss = float(losses[-1])  # the loss shown when it was saved, not "—"
        if not same:
            self._park()
            if left is not None:
                self._unpark(lesson.name)
            else:
                self.lesson, self.base = lesson, trainer.dataset
        self._replace(trainer, "open")
        return not same

    def save_rewinds(self, folder) -> list[str]:
        """Write each lesson's rewind history — the live run's and every lesson left's — into
        ``folder`` (``rewind_file.rewind_path``; a normal quit: the next start scrubs back as far as it did).
        A run with nothing to rewind to (one state) gets none, and an old file of it goes.
        Returns the lessons written."""
        self.complete_timeline(deadline=math.inf)  # every recent state, not only those replayed so far
        runs = dict(self.runs_by_lesson())
        written = []
        for name, (trainer, timeline) in runs.items():
            states = timeline.states()
            if not states or states[-1].iteration != trainer.iteration:
                states.append(trainer.state())  # the timeline reaches where the run stands
            path = rewind_path(folder, name)
            if len(states) < 2:
                path.unlink(missing_ok=True)
                continue
            save_rewind(path, name, states)
            written.append(name)
        return written

    def restore_rewind(self, path) -> int:
        """Give the live run (just resumed from its session file) the rewind history kept at
        ``path``, when that file ends exactly where this run stands; the run then continues from
        its last state (the same shuffle, random stream and optimizer memory as before the quit,
        so training on repeats what it would have done). Returns the states kept (0: none,
        the file being absent, damaged or another run's, which is never an error to the learner)."""
        t = self.trainer
        if t is None or not Path(path).exists():
            return 0
        try:
            states = load_rewind(path, self.lesson.name, t.network.weights, t.network.biases, t.iteration,
                                 t.settings, t.dataset)
        except NNVizError:
            return 0
        t.restore(states[-1])
        self.timeline.load(states)
        self.viewing = None
        return len(self.timeline)

    def load_model(self, path: str) -> bool:
        """Install the model file at ``path``; True when the lesson changed. Reports ``Opened`` or
        ``OpenFailed`` with the path (the recent-files list keeps only files that opened)."""
        try:
            changed = self.install(load_model(path), path)
        except (OSError, NNVizError) as e:
            self._report(OpenFailed(path))
            raise NNVizError(str(e)) from e
        self._report(Opened(path))
        return changed

    def save_model(self, path: str) -> None:
        """Write the live network, its lesson, counters (with the epoch's progress), settings and
        history to ``path``."""
        t = self.trainer
        if t is None:
            return
        try:
            save_model(path, SavedModel.of_trainer(t, self.lesson.name))
        except (OSError, NNVizError) as e:
            raise NNVizError(f"Could not save {path}: {e}") from e

    # -- commands between two iterations -------------------------------------------------

    def change_settings(self, changes: dict) -> None:
        """Apply setting changes (keys of TrainSettings) and checkpoint, even when refused; the
        blow-up watch then watches what the change does."""
        if self.trainer is None:
            return
        old = self.trainer.settings
        try:
            self.trainer.apply_settings(**changes)
        except NNVizError:
            self.checkpoint()
            raise
        self.checkpoint()
        self.watch.arm(self.trainer, old, self.trainer.settings)

    def set_dataset(self, dataset, base=None) -> None:
        """Train on ``dataset`` (same shape, e.g. with the learner's examples) from now on; one
        equal to the data trained on changes nothing (the same shuffle goes on). ``base``: the
        lesson's data without the learner's examples (default ``dataset``)."""
        if self.trainer is None:
            return
        if not same_data(dataset, self.trainer.dataset):
            try:
                self.trainer.set_dataset(dataset)
            except NNVizError:
                self.checkpoint()
                raise
            self.checkpoint()
        self.base = dataset if base is None else base

    def checkpoint(self) -> None:
        """Record the live state now (replacing one of the same iteration): the settings or data
        changed, and a later replay of the gap before it must use the old ones."""
        t = self.trainer
        if t is None:
            return
        # a state kept at this iteration (e.g. just installed, loss not yet known) is replaced;
        # otherwise only a finite one is recorded (not the iteration that diverged)
        if self.record_timeline and (math.isfinite(t.last_loss) or self.timeline.get(t.iteration) is not None):
            self.timeline.record(t.state())

    # -- training ------------------------------------------------------------------------

    def step(self, n: int = 1, deadline: float = math.inf, fast: bool = False, stopping=None) -> Diverged | None:
        """Train ``n`` iterations, or fewer once ``time.perf_counter()`` passes ``deadline``.

        Training goes on from the iteration shown: while a past one is viewed, it first
        continues from there (``resume_from``: the later iterations are dropped, kept for undo,
        and a ``Continued`` report says so). ``fast``: running at full speed, so when the previous
        call ran SPARSE_CHUNK iterations or more only checkpoints are recorded
        (``complete_timeline`` replays the rest when it stops). At the first non-finite loss
        training stops: ``stopping()`` is called first (the worker flips its Run button before
        the fill), the timeline is completed and the newest finite state kept is restored.
        That is reported and returned as a ``Diverged`` (otherwise None comes back). A blow-up
        (BlowupWatch) stops training the same way, without restoring anything, and is reported
        (``BlowUp``).
        """
        if self.trainer is None:
            return None
        if self.viewing is not None:
            self.resume_from(self.viewing)
        with np.errstate(over="ignore", invalid="ignore"):  # near divergence; caught below
            return self._train(self.trainer, self.timeline, n, deadline, fast, stopping)

    def _train(self, t, line, n, deadline, fast, stopping) -> Diverged | None:
        # At full speed only checkpoints are recorded; stopping fills the gaps (Timeline docs).
        # Slow iterations (big batches) record every state: the copy is then a small share.
        record = self.record_timeline
        every = CHECKPOINT_EVERY if fast and self._chunk_iterations >= SPARSE_CHUNK else 1
        self._gaps = self._gaps or (record and every > 1)
        watch = self.watch if self.detect_blowups else None
        done = 0
        for _ in range(n):
            loss = t.step()
            done += 1
            if not math.isfinite(loss):
                return self._diverged(loss, stopping)
            if record and t.iteration % every == 0:
                line.record(t.state())
            if watch is not None and (info := watch.check(t, loss)) is not None:
                self._blew_up(info, stopping)
                break
            if time.perf_counter() >= deadline:
                break
        self._chunk_iterations = done
        return None

    def _blew_up(self, info: BlowUp, stopping) -> None:
        """Stop as at a divergence, but keep the network as it is: the learner decides (the
        report offers the state at the change, before any iteration with the new settings)."""
        if stopping is not None:
            stopping()
        self.complete_timeline()
        cause, kept = info.cause, None
        if cause is not None:
            kept = self.timeline.previous(cause["iteration"] + 1)  # at the change, or the nearest before it
        self._report(replace(info, rollback=None if kept is None else kept.iteration))

    def _diverged(self, loss: float, stopping) -> Diverged:
        """Go back to the newest finite weights kept; the info for the learner."""
        t = self.trainer
        if stopping is not None:
            stopping()
        self.complete_timeline()
        at = t.iteration
        kept = self.timeline.latest_finite(before=at)
        if kept is not None:
            t.restore(kept)
            self.timeline.truncate_after(kept.iteration)
            self.generation += 1
        finite = [s for s in (self.timeline.get(i) for i in self.timeline.iterations())
                  if s is not None and math.isfinite(s.loss)]
        best = min(finite, key=lambda s: (s.loss, -s.iteration)) if finite else None
        info = Diverged(at, float(loss), None if kept is None else kept.iteration,
                        None if best is None else best.iteration)
        self._report(info)
        return info

    def complete_timeline(self, deadline: float | None = None, replay: bool = True) -> bool:
        """After a full-speed run: keep the live state and replay the skipped recent ones, newest
        first, until ``deadline`` (default FILL_SECONDS from now). True while some are left for
        a later call (``gaps_left``). ``replay=False`` forgets them instead (a new timeline follows)."""
        if not replay:
            self._gaps = False
        if not self.gaps_left:
            return False
        t = self.trainer
        finite = math.isfinite(t.last_loss)
        newest = t.iteration if finite else t.iteration - 1
        its = self.timeline.iterations()
        if finite and (not len(its) or its[-1] != t.iteration):
            self.timeline.record(t.state())
        added = self.timeline.fill(t.replayer(), newest,
                                   deadline=time.perf_counter() + FILL_SECONDS if deadline is None else deadline)
        self._gaps = added > 0 and self.timeline.missing(newest) > 0  # each call makes progress, or stops
        return self._gaps

    @property
    def gaps_left(self) -> bool:
        """States a full-speed run skipped are still to be replayed (``complete_timeline``)."""
        return self._gaps and self.trainer is not None

    # -- the past --------------------------------------------------------------------------

    def preview(self, iteration: int) -> None:
        """Show the kept state nearest ``iteration`` without touching training (the scrubber)."""
        if self.trainer is None:
            return
        self.complete_timeline()
        state = self.timeline.nearest(int(iteration))
        if state is None or state.iteration == self.trainer.iteration:
            self.viewing = None
        else:
            self.viewing = state.iteration

    def resume_from(self, iteration: int) -> bool:
        """Continue from the kept state nearest ``iteration``: the later states are dropped (the
        run as it was is kept for undo), the current settings kept. With unchanged settings the
        run repeats exactly. False when nothing is kept (nothing changed)."""
        if self.trainer is None:
            return False
        self.complete_timeline(deadline=math.inf)  # first: the run's skipped states are candidates too
        state = self.timeline.nearest(int(iteration))
        if state is None:
            return False
        live = self.trainer.iteration
        if state.iteration == live:
            self.viewing = None
            return True
        line = self.timeline.copy()  # before the run is set aside, which thins its own
        line.truncate_after(state.iteration)
        fork = self.trainer.fork(state)
        self._keep_for_undo("continue")
        self._enter(Run(fork, line, None, BlowupWatch()))
        self.watch.arm(fork)
        self.watch.arm(fork, state.settings, fork.settings)  # settings changed since: that is watched
        self._report(Continued(state.iteration, live - state.iteration))
        self._report_undo()
        return True

    def frames(self, first: int, last: int, max_frames: int) -> list[Snapshot]:
        """Snapshots of the kept iterations in [first, last], at most ``max_frames`` evenly picked."""
        if self.trainer is None:
            return []
        self.complete_timeline()  # a run's skipped states, so the animation has every frame
        its = [i for i in self.timeline.iterations().tolist() if first <= i <= last]
        if len(its) > max_frames:
            its = [its[round(k * (len(its) - 1) / (max_frames - 1))] for k in range(max_frames)]
        return [self.trainer.snapshot_at(self.timeline.get(i), self.timeline.previous(i),
                                         lesson=self.lesson.name, generation=self.generation) for i in its]

    def _kept_or_measured(self, name: str, data: np.ndarray, digest: bytes, measure):
        """``measure()`` of the snapshot's weights on ``data``, or the value measured last under
        ``name`` when both are the same (a publish after a setting changed or a command was
        refused): the key is the weights' bytes and the data array itself (held, so its id is
        never reused)."""
        key = (name, id(data))
        kept = self._measured.get(key)
        if kept is not None and kept[0] is data and kept[1] == digest:
            return kept[2]
        value = measure()
        self._measured.pop(key, None)  # newest last: the oldest go first past MEASURED_KEPT
        self._measured[key] = (data, digest, value)
        while len(self._measured) > MEASURED_KEPT:
            del self._measured[next(iter(self._measured))]
        return value

    def _test_scores(self, snap: Snapshot, data, digest: bytes) -> tuple[float | None, np.ndarray | None]:
        """(the share of the whole test split the snapshot's weights answer right, their outputs
        on it (n_test, outputs) float, read-only); (None, None) with no test split.
        Measured here, on the training thread, when paused: on mnist-conv it takes ~0.2 s, which the
        window once spent on every paused frame (the Mistakes tab still did, for its outputs)."""
        if not len(data.x_test):
            return None, None

        def measure():
            with np.errstate(all="ignore"):  # a diverged network answers NaN: wrong, not a warning
                outputs = snap.network().predict(data.x_test)
                right = correct(data.task, outputs, data.y_test)
            outputs = np.array(outputs, copy=True)  # its own memory, never a network's scratch buffer
            outputs.flags.writeable = False  # handed to the GUI thread with the snapshot
            return float(right.mean()), outputs
        return self._kept_or_measured("test", data.x_test, digest, measure)

    def _unit_health(self, snap: Snapshot, data, digest: bytes):
        """Dead / saturated hidden units of the snapshot's weights on a fixed sample of HEALTH_SAMPLE
        training images (``health.network_health``; None: no hidden layer). Judged here, on the
        training thread: a published-size conv net takes ~0.2 s, which the window once spent on
        every fifth frame while training (``snapshot`` says when a running publish is judged)."""
        if len(snap.sizes) < 3 or not len(data.x_train):
            return None

        def measure():
            start = time.perf_counter()
            idx = np.random.default_rng(0).permutation(len(data.x_train))[:HEALTH_SAMPLE]
            with np.errstate(all="ignore"):
                value = network_health(snap.network(), data.x_train[idx])
            cost = time.perf_counter() - start
            self._health_due = time.perf_counter() + max(HEALTH_EVERY, cost * (1 / HEALTH_SHARE - 1))
            return value
        return self._kept_or_measured("health", data.x_train, digest, measure)

    def snapshot(self, running: bool = False, rate: float = 0.0) -> Snapshot | None:
        """The state to show: the past one being viewed, else the live one. ``timeline`` lists the
        kept iterations when paused (empty while ``running``); ``rate`` is iterations/s."""
        t = self.trainer
        if t is None:
            return None
        past = self.timeline.get(self.viewing) if self.viewing is not None else None
        if past is not None:
            snap = t.snapshot_at(past, self.timeline.previous(past.iteration), lesson=self.lesson.name,
                                 generation=self.generation)
        else:
            snap = t.snapshot(lesson=self.lesson.name, generation=self.generation)
        kept = tuple(self.timeline.iterations().tolist()) if not running else ()
        # paused: measured for every publish; running: unit health alone, at most HEALTH_SHARE of
        # the time and every HEALTH_EVERY at most
        judged = not running or time.perf_counter() >= self._health_due
        digest = _weights_digest(snap) if judged else b""
        accuracy, outputs = (None, None) if running else self._test_scores(snap, t.dataset, digest)
        return replace(snap, steps_per_second=rate, timeline=kept, live_iteration=t.iteration,
                       hand_edits=self.hand_edits, accuracy=accuracy, test_outputs=outputs,
                       health=self._unit_health(snap, t.dataset, digest) if judged else None,
                       start_loss=None if running else self._start_loss(snap, t.dataset))

    def _start_loss(self, snap: Snapshot, data) -> float | None:
        """While no step's loss is known (before the first, or a run opened from a file), the loss of
        the weights on the Nudge tab's fixed sample: the counters said "loss —" while that tab said
        1.00000. None once a step gave its batch's loss."""
        if math.isfinite(snap.loss) or not len(data.x_train):
            return None
        X, Y = training_sample(data, FIXED_SAMPLE)
        with np.errstate(all="ignore"):
            return float(snap.network().loss(X, Y, snap.settings.get("loss", "cross_entropy")))


def _weights_digest(snap: Snapshot) -> bytes:
    """A digest of the snapshot's weights and biases: the key a measurement of them is kept under."""
    digest = hashlib.blake2b(digest_size=16)
    for a in snap.weights + snap.biases:
        digest.update(np.ascontiguousarray(a).data)
    return digest.digest()
