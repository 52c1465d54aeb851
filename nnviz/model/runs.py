"""Runs of training kept while the app runs: each lesson left, and the run an undo brings back.

``RunKeeping`` is the part of TrainingSession (nnviz.model.session) that keeps them; the
session's live attributes (``trainer``, ``timeline``, ``viewing``, ``watch``) are the live run.

A lesson left keeps its run (trainer, history, timeline, the iteration shown, its blow-up
watch) and gets it back as it was: same weights and iteration, and training on repeats what
it would have done (the run's trainer is set aside untouched). A reset, a rebuild, a model
opened or continuing from a past iteration replaces the live trainer with a new one and keeps
the old run for ``undo`` (one per lesson; undoing again swaps back).

Memory: a run set aside keeps its live state exactly, and its whole timeline (every state
the learner can rewind to, as it was) moved to a file the system maps back in when it is read
(``Timeline.spill``; core/mapped_arrays.py): nothing is thinned by a switch or an undo, and
it costs no resident memory until the learner rewinds there. Only when that file cannot be
written (a full disk) is the timeline thinned to RUN_BUDGET = 6 MiB in memory instead
(``Timeline.shrink``; the newest PARKED_RECENT iterations all, older ones spaced out). At
most 2·lessons − 1 runs are set aside at once — each lesson left and its undo, and the live
lesson's undo — so **their in-memory timelines together hold at most PARKED_BUDGET** = 9 × 6
= 54 MiB with the five lessons (30 MiB with the first three; test_runs.py checks it). The
convolution lessons' states are small (1,370 and 5,994 parameters), so their runs rarely
fill their share. Beyond its timeline a run holds its trainer, its history (as
while it was live: ~70 bytes per iteration trained) and, when the learner's examples are
in it, its own copy of the training set. Measured with digits left at iteration 45,377 and
mnist at 20,000 (with 20 examples of the learner's), each with an undo (continued from an
earlier iteration), and smile live with a reset to undo: 32.6 MiB in all — timeline states
12.0 MiB, histories 8.1 MiB, mnist's training set with the examples 12.0 MiB (its run and
undo share it), trainers 0.5 MiB.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import NNVizError
from .lessons import LESSONS
from .core.timeline import Timeline
from .core.blowup_watch import BlowupWatch
from .core.reports import Replaced, Report, UndoAvailable, Undone

RUN_BUDGET = 6 * 2**20  # bytes: the timeline of one run set aside
PARKED_BUDGET = RUN_BUDGET * (2 * len(LESSONS) - 1)  # each lesson left and its undo, the live lesson's undo
PARKED_RECENT = 32  # a run set aside keeps its newest iterations all (as the budget allows)


@dataclass
class Run:
    """One run of training: the trainer, its timeline, the past iteration shown, its watch."""

    trainer: object
    timeline: Timeline
    viewing: int | None
    watch: BlowupWatch


@dataclass
class LessonLeft:
    """A lesson left while the app runs: its data without the learner's examples, run and undo."""

    lesson: object
    base: object
    run: Run
    undo: tuple | None  # (run, what replaced it, redo)


def same_data(a, b) -> bool:
    """True when two datasets hold the same images and labels (a lesson's data and the learner's
    examples put together again when it comes back): training on needs no new shuffle."""
    return a is b or all(np.array_equal(x, y) for x, y in ((a.x_train, b.x_train), (a.y_train, b.y_train),
                                                            (a.x_test, b.x_test), (a.y_test, b.y_test)))


class RunKeeping:
    """TrainingSession's runs set aside: ``_parked`` lessons, ``_undo``, and the reports queue."""

    #: where a lesson left keeps its timeline (None: the system's temporary folder); the app
    #: sets its cache folder, as the temporary folder may live in memory (tmpfs)
    spill_dir = None

    def _init_runs(self) -> None:
        self._bounds = (self.timeline.budget, self.timeline.recent, self.timeline.max_states)
        self._undo = None  # (run, what replaced it, redo): what ``undo`` brings back
        self._parked: dict[str, LessonLeft] = {}
        self._reports: list[Report] = []

    def take_reports(self) -> list[Report]:
        """The reports (core/reports.py) queued since the last call, oldest first."""
        out, self._reports = self._reports, []
        return out

    def _report(self, report: Report) -> None:
        self._reports.append(report)

    def _report_undo(self) -> None:
        what, redo = (None, False) if self._undo is None else self._undo[1:]
        self._report(UndoAvailable(what, redo))

    # -- runs: the live one and the ones set aside ------------------------------------------

    def _run(self) -> Run:
        return Run(self.trainer, self.timeline, self.viewing, self.watch)

    def _enter(self, run: Run) -> None:
        """``run`` becomes the live one, in a new generation (views redraw it from scratch)."""
        self.trainer, self.timeline, self.viewing, self.watch = run.trainer, run.timeline, run.viewing, run.watch
        if self.viewing is not None and self.timeline.get(self.viewing) is None:
            self.viewing = None
        self.generation += 1
        self._gaps = False
        self._chunk_iterations = 0

    def _new_trainer(self, trainer) -> None:
        """A different network or a fresh start: new generation, timeline from its first state."""
        line = self.timeline if self.trainer is None and not len(self.timeline) else Timeline(*self._bounds)
        line.clear()
        self._enter(Run(trainer, line, None, BlowupWatch()))
        self.timeline.record(trainer.state())
        self.watch.arm(trainer)

    def _set_aside(self) -> Run:
        """The live run, its live state the trainer itself; its timeline kept whole in a file
        mapped from disk, or (that file cannot be written) shrunk to RUN_BUDGET in memory."""
        self.complete_timeline(deadline=math.inf)  # the recent states a run skipped: none replays them later
        run, t = self._run(), self.trainer
        if run.timeline.get(t.iteration) is None and math.isfinite(t.last_loss):
            run.timeline.record(t.state())  # so its timeline reaches where it stood
        try:
            run.timeline.spill(self.spill_dir)
            return run
        except OSError:
            pass  # a full disk: thinned in memory instead
        run.timeline.shrink(RUN_BUDGET, PARKED_RECENT, keep=() if run.viewing is None else (run.viewing,))
        return run

    def _keep_for_undo(self, what: str) -> None:
        """Before ``what`` replaces the live run: keep it for ``undo`` — unless it never trained,
        so two resets in a row still leave the trained run to come back to."""
        if self.trainer is not None and self.trainer.iteration > 0:
            self._undo = (self._set_aside(), what, False)

    def _replace(self, trainer, what: str) -> None:
        was = 0 if self.trainer is None else self.trainer.iteration
        self._keep_for_undo(what)
        self._new_trainer(trainer)
        self._report(Replaced(what, was, self._undo is not None))
        self._report_undo()

    def runs_by_lesson(self):
        """(lesson name, (trainer, timeline)) of the live run and of each lesson left."""
        if self.trainer is not None and self.lesson is not None:
            yield self.lesson.name, (self.trainer, self.timeline)
        for name, left in self._parked.items():
            yield name, (left.run.trainer, left.run.timeline)

    def _park(self) -> None:
        """Set the live lesson aside (another one opens)."""
        if self.trainer is not None:
            self._parked[self.lesson.name] = LessonLeft(self.lesson, self.base, self._set_aside(), self._undo)
        self.trainer, self._undo = None, None

    def _unpark(self, name: str) -> None:
        left = self._parked.pop(name)
        self.lesson, self.base, self._undo = left.lesson, left.base, left.undo
        self._enter(left.run)

    def undo(self) -> bool:
        """Swap the live run with the one the last reset, rebuild, model opened or continue from
        the past replaced (weights, iteration, history, timeline, settings); again swaps back.
        It trains on the current data. False before a lesson; NNVizError when there is none."""
        if self.trainer is None:
            return False
        if self._undo is None:
            raise NNVizError("Nothing to undo: Undo brings back the run that a reset, a rebuild, an opened "
                             "model or continuing from an earlier iteration replaced.")
        run, what, redo = self._undo
        data = self.trainer.dataset
        self._undo = (self._set_aside(), what, not redo)
        self._enter(run)
        if not same_data(self.trainer.dataset, data):  # the learner's examples changed meanwhile
            self.trainer.set_dataset(data)
            self.checkpoint()
        self._report(Undone(what, redo, self.trainer.iteration))
        self._report_undo()
        return False  # the lesson is the same
