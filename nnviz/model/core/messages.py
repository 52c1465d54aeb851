"""The words the app says about training: where it stands (status bar and training panel alike)
and what happened when it diverged."""

from __future__ import annotations

import math
from typing import Mapping

from ..data.datasets import signed
from .reports import BlowUp, Continued, Diverged, Edited, Replaced, Undone


#: said wherever a model with batch norm is described: what training does to its statistics
BATCHNORM_NOTE = ("BatchNorm uses the running statistics from the file; they stay fixed while you train "
                  "(γ and β train)")


def model_notes(spec) -> str:
    """What the model description adds for a spec (layers.py): its input transform and, with a
    batchnorm layer, how training treats the running statistics; one line each, "" for neither."""
    if not spec:
        return ""
    from .input_transform import transform_of  # a sibling: the core floor

    lines = []
    transform = transform_of(spec)
    if transform is not None:
        lines.append(transform.describe())
    if any(isinstance(e, dict) and e.get("type") == "batchnorm" for e in spec.get("layers", ())):
        lines.append(BATCHNORM_NOTE)
    return "\n".join(lines)


def loss_text(loss: float) -> str:
    """A loss in at most 8 characters: four decimals below 1000, else three significant digits
    ("7.71e+05"). A blown-up loss of 770959.7500 ran out of its counter's box, cut to "770959.7"."""
    return f"{loss:.4f}" if abs(loss) < 999.99995 else f"{loss:.3g}"


def counter_texts(snap) -> dict[str, str]:
    """{"iteration", "epoch", "loss", "accuracy"}: one short phrase each for a Snapshot.

    Before any step the loss is the snapshot's ``start_loss`` (the Nudge tab's number), so every
    place shows the same one. Test accuracy is the newest evaluation in the history (on the trainer's fixed test
    subset), or a dash before the first one.
    """
    h = snap.history
    acc = h["test_accuracy"][-1] if len(h["test_accuracy"]) else float("nan")
    start = getattr(snap, "start_loss", None)
    return {
        "iteration": f"iteration {snap.iteration:,}",
        "epoch": f"epoch {snap.epoch_progress:.2f}",
        "loss": (f"loss {loss_text(snap.loss)}" if math.isfinite(snap.loss) else
                 f"loss {loss_text(start)}" if start is not None and math.isfinite(start) else "loss —"),
        "accuracy": "test accuracy —" if not math.isfinite(acc) else f"test accuracy {acc:.1%}",
    }


def divergence_message(info: Diverged) -> tuple[str, str]:
    """(notice as rich text, one short line) for a ``Diverged`` report."""
    loss = "infinite" if info.loss in (float("inf"), float("-inf")) else "not a number (NaN)"
    kept = info.kept
    text = (f"<b>Training diverged at iteration {info.iteration:,}</b>: the loss became {loss}, "
            f"so training is paused. ")
    text += (f"The weights shown are the last finite ones (iteration {kept:,}). " if kept is not None
             else "No finite weights were kept. ")
    text += "The learning rate is probably too large: lower it, then roll back or reset."
    return text, f"Diverged at iteration {info.iteration:,}: lower the learning rate."


#: a setting's name in a sentence ("… after the learning rate went from 0.01 to 10")
SETTING_NAMES = {"learning_rate": "the learning rate", "batch_size": "the batch size", "optimizer": "the optimizer",
                 "momentum": "the momentum", "l2": "the L2 strength", "dropout": "dropout",
                 "method": "the training method", "nudge_step": "the nudge step", "loss": "the loss function"}
#: a loss setting's name in a sentence ("… cross-entropy loss now 2.41")
LOSS_NAMES = {"cross_entropy": "cross-entropy", "mse": "mean squared error"}
#: what replaced a run that Undo brings back, for "Undo …" / "Redo …"
UNDO_NAMES = {"reset": "reset", "rebuild": "rebuild", "open": "opening the file",
              "continue": "continuing from an earlier iteration", "restart": "starting afresh"}
UNDO_KEY, REDO_KEY = "Ctrl+Z", "Ctrl+Shift+Z"  # Edit ▸ Undo / Redo, which reach every kind of change


def _value(v, key: str = "") -> str:
    """A setting's value in a sentence: a loss by its name ("cross-entropy", not "cross_entropy")."""
    if key == "loss":
        return LOSS_NAMES.get(v, str(v))
    return f"{v:g}" if isinstance(v, float) else str(v)


def change_text(changes: dict) -> str:
    """``{name: (old, new)}`` -> "the learning rate went from 0.01 to 10 (and …)"."""
    parts = [f"{SETTING_NAMES.get(k, k)} {'went ' if not i else ''}from {_value(a, k)} to {_value(b, k)}"
             for i, (k, (a, b)) in enumerate(changes.items())]
    return " and ".join(parts)


def blowup_message(info: BlowUp) -> tuple[str, str, str | None]:
    """(notice as rich text, one short line, roll-back button label or None) for a ``BlowUp``
    report (nnviz.model.core.blowup_watch)."""
    at, loss, ref, start, cause = info.iteration, info.loss, info.reference, info.start, info.cause
    after = f" after {change_text(cause['changes'])} at iteration {cause['iteration']:,}" if cause else ""
    before = f" (it was about {ref:.3g} before{' the change' if cause else ''})" if ref is not None else ""
    if info.how == "undone":
        chance = info.chance
        level = (f"guessing ({chance:.3g}, the loss of equal odds for every class)"
                 if chance is not None else f"the untrained network's {start:.3g}")
        text = (f"<b>Training undid what the network had learned{after}</b>: the batch loss is back at "
                f"{loss:.3g}, no better than {level}{before}. ")
    else:
        text = f"<b>Training blew up{after}</b>: the batch loss jumped to {loss:.3g}{before}. "
    text += f"Training is paused at iteration {at:,}, with the network as it is now. "
    back = info.rollback
    label = None
    if cause and back is not None:
        old = ", ".join(f"{SETTING_NAMES.get(k, k).removeprefix('the ')} {_value(a)}"
                        for k, (a, _) in cause["changes"].items())
        label = f"Roll back to iteration {back:,} ({old})"
        text += f"Roll back to iteration {back:,}, just before the change, with the settings it had then."
    else:
        text += "The learning rate is probably too large: lower it, or reset."
    what = "Undid its learning" if info.how == "undone" else "Blew up"
    short = f"{what}{' after ' + change_text(cause['changes']) if cause else ''}: training is paused."
    return text, short, label


def undo_text(what: str | None, redo: bool = False) -> str:
    """The Undo action's text: "Undo reset", "Redo rebuild" …, or "Undo reset or rebuild" for none."""
    if what is None:
        return "&Undo reset or rebuild"
    return f"&{'Redo' if redo else 'Undo'} {UNDO_NAMES.get(what, what)}"


def replaced_message(info: Replaced) -> str:
    """One sentence for a ``Replaced`` report: what came in, and that the run before is kept."""
    kept = (f" The run you had (iteration {info.iteration:,}) is kept: Undo ({UNDO_KEY}) brings it back."
            if info.undo and info.iteration else "")
    head = {"reset": "Reset: fresh weights from the seed.", "rebuild": "Rebuilt the network: fresh weights.",
            "open": "Opened the model.", "restart": "Started the lesson afresh."}.get(info.what, "")
    return head + kept


def continued_message(info: Continued) -> str:
    """The status line when training went on from an earlier iteration (``Continued`` report)."""
    m = info.dropped
    return (f"Continued from iteration {info.iteration:,}; the {m:,} later iteration{'s were' if m != 1 else ' was'} "
            f"dropped (Undo, {UNDO_KEY}, brings {'them' if m != 1 else 'it'} back)")


def undone_message(info: Undone) -> str:
    """The status line after an undo (``Undone`` report)."""
    when = "after" if info.redo else "before"
    return (f"Back to the run from {when} {UNDO_NAMES.get(info.what, info.what)}, at iteration "
            f"{info.iteration:,} ({UNDO_KEY if info.redo else REDO_KEY} swaps back)")


def edited_message(info: Edited) -> str:
    """The status line after a weight was set by hand, or that edit undone (``Edited`` report)."""
    where = f"the bias of neuron {info.neuron}" if info.bias else f"weight {info.index} of neuron {info.neuron}"
    old, new = (info.new, info.old) if info.undone else (info.old, info.new)
    return (f"{'Undid: ' if info.undone else ''}{where} (layer {info.layer + 1}) {signed(old)} → {signed(new)} "
            f"at iteration {info.iteration:,}"
            f"{' — Ctrl+Z in the weights undoes it' if info.undo and not info.undone else ''}")


def describe_spec(spec: Mapping) -> str:
    """One line: ``1×8×8 → conv 8@3×3 pad 1 relu → maxpool 2 → flatten → dense 10``."""
    parts = ["×".join(map(str, spec["input_shape"]))]
    for e in spec["layers"]:
        if e["type"] == "conv":
            parts.append(f"conv {e['filters']}@{e['kernel']}×{e['kernel']} pad {e.get('padding', 0)} "
                         f"{e.get('activation', 'relu')}")
        elif e["type"] in ("maxpool", "avgpool"):
            parts.append(f"{e['type']} {e['size']}")
        elif e["type"] == "batchnorm":
            act = e.get("activation", "linear")
            parts.append("batchnorm" + ("" if act == "linear" else f" {act}"))
        else:
            parts.append(e["type"] if e["type"] == "flatten" else f"dense {e['units']}")
    return " → ".join(parts)


ACTIVATION_WORDS = {"relu": "ReLU", "leaky_relu": "leaky ReLU", "elu": "ELU", "gelu": "GELU", "silu": "SiLU"}


def network_description(title: str, own_sizes, own_hidden: str, own_spec, sizes, hidden: str, spec,
                        parameters: int) -> str | None:
    """The lesson line for a network that is not the lesson's own (a model opened, a rebuild), or
    None when it is: the lesson's description is about its own network, and kept its numbers
    ("128 and 32 ReLU units") for a 64-32-10 model opened from a file."""
    def words(sizes_, hidden_, spec_):
        if spec_:
            return describe_spec(spec_)
        return " → ".join(map(str, sizes_)) + f", {ACTIVATION_WORDS.get(hidden_, hidden_)} hidden units"

    own, shown = words(own_sizes, own_hidden, own_spec), words(sizes, hidden, spec)
    if shown == own:
        return None
    return (f"<b>{title}</b> — the network shown is <b>yours: {shown}</b> ({parameters:,} parameters), on this "
            f"lesson's data. The lesson's own network is {own}.")
