"""Weights set by hand: the learner changes one weight or bias, as the smile lesson does.

An edit is a session command like a step, carried out between two iterations:

- it changes the live network (a past iteration shown is continued from first, as a step
  would: the later iterations are dropped and kept for undo);
- it is recorded on the timeline at its iteration, replacing the state kept there, so
  rewinding shows the edited network and training on from it includes the edit (the replay
  of the gap after it starts from the edited state);
- it is one undo step (``undo_edit``; ``redo_edit``). The edits of a run are kept with its
  trainer (``trainer.hand_edits``), so they leave and come back with its lesson;
- the loss shown becomes the loss of the edited network on the training set (no iteration
  ran, so none is added to the curves); undoing it before training on puts back the loss shown
  before the edit, not a re-measure of it (which would read differently from what was there).

Reports: ``Edited`` (core/reports.py), after each edit and each undo or redo of one.
``layer`` counts weight layers from 0; ``index`` is the flat index into that neuron's incoming
weights (conv: into its (C, k, k) kernel); for a bias, ``index`` is 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import NNVizError
from .reports import Edited


@dataclass(frozen=True)
class HandEdit:
    layer: int
    neuron: int
    index: int
    bias: bool
    old: float
    new: float
    iteration: int
    loss_before: float = math.nan  # the loss shown before the edit and after it: what undo / redo show again
    loss_after: float = math.nan


def _edits(trainer) -> tuple[list, list]:
    """(done, undone) edits of a trainer's run."""
    return trainer.hand_edits, trainer.hand_redo


def parameter_row(net, layer: int, neuron: int, bias: bool = False) -> np.ndarray:
    """The live, writable flat view of neuron ``neuron``'s incoming weights in weight layer
    ``layer`` (``bias``: its bias, shape (1,)); NNVizError naming what is out of range."""
    n_layers = len(net.weights)
    if not 0 <= layer < n_layers:
        raise NNVizError(f"There is no weight layer {layer}: this network has {n_layers} (0 to {n_layers - 1}).")
    if bias and not net.bias:
        raise NNVizError("This network has no biases (output = Σ wᵢ·xᵢ), so there is none to set.")
    arr = (net.biases if bias else net.weights)[layer]
    if not 0 <= neuron < arr.shape[0]:
        raise NNVizError(f"Layer {layer} has {arr.shape[0]} neurons (0 to {arr.shape[0] - 1}), not {neuron}.")
    return arr[neuron:neuron + 1] if bias else arr[neuron].reshape(-1)


class HandEdits:
    """TrainingSession's commands for setting parameters by hand (see the module docstring)."""

    def set_weight(self, layer: int, neuron: int, index: int, value: float, bias: bool = False) -> None:
        if self.trainer is None:
            return
        value = float(value)
        if not math.isfinite(value):
            raise NNVizError(f"A weight must be a finite number, not {value}.")
        row = parameter_row(self.trainer.network, layer, neuron, bias)  # checked before anything changes
        if not 0 <= index < row.size:
            raise NNVizError(f"Neuron {neuron} of layer {layer} has {row.size} incoming weights "
                             f"(0 to {row.size - 1}), not {index}.")
        if self.viewing is not None:
            self.resume_from(self.viewing)  # edit the network shown, as a step trains on from it
        done, undone = _edits(self.trainer)
        before = self.trainer.last_loss
        old = float(self._write(layer, neuron, index, bias, value))
        edit = HandEdit(layer, neuron, index, bias, old, value, self.trainer.iteration,
                        _as_float(before), _as_float(self.trainer.last_loss))
        done.append(edit)
        undone.clear()
        self._report_edit(edit)

    def undo_edit(self) -> bool:
        """Put back the weight the last edit changed; False when there is none (nothing changes)."""
        return self._swap(undoing=True)

    def redo_edit(self) -> bool:
        return self._swap(undoing=False)

    @property
    def hand_edits(self) -> int:
        """How many edits the live run holds (for the views: a guide step, the timeline's marks)."""
        return len(_edits(self.trainer)[0]) if self.trainer is not None else 0

    def _swap(self, undoing: bool) -> bool:
        if self.trainer is None or not _edits(self.trainer)[0 if undoing else 1]:
            return False
        if self.viewing is not None:
            self.resume_from(self.viewing)  # a new run from the past: its own (empty) edits
        done, undone = _edits(self.trainer)
        source, target = (done, undone) if undoing else (undone, done)
        if not source:
            return False
        edit = source.pop()
        self._write(edit.layer, edit.neuron, edit.index, edit.bias, edit.old if undoing else edit.new,
                    (edit.loss_before if undoing else edit.loss_after) if edit.iteration == self.trainer.iteration
                    else math.nan)
        target.append(edit)
        self._report_edit(edit, undone=undoing)
        return True

    def _write(self, layer, neuron, index, bias, value, loss: float = math.nan) -> float:
        """Set one parameter of the live network and record the state; returns the old value.
        ``loss``: the loss this network showed before (an undo or redo with no iteration trained
        since the edit); NaN: measure it."""
        t = self.trainer
        row = parameter_row(t.network, layer, neuron, bias)
        old = row[index]
        row[index] = value
        if math.isnan(loss):
            with np.errstate(all="ignore"):
                loss = t.evaluate("train", limit=True)[0]
        t.last_loss = loss
        t.update_w = t.update_b = None  # ΔW is what an iteration changed; none ran
        self.checkpoint()
        return old

    def _report_edit(self, edit: HandEdit, undone: bool = False) -> None:
        done, redo = _edits(self.trainer)
        self._report(Edited(edit.layer, edit.neuron, edit.index, edit.bias, edit.old, edit.new, edit.iteration,
                            undone, bool(done), bool(redo)))


def _as_float(loss) -> float:
    return math.nan if loss is None else float(loss)
