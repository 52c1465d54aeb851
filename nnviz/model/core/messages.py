"""The words the app says about training: where it stands (status bar and training panel alike)
and what happened when it diverged."""

from __future__ import annotations

import math


def counter_texts(snap) -> dict[str, str]:
    """{"iteration", "epoch", "loss", "accuracy"}: one short phrase each for a Snapshot.

    Test accuracy is the newest evaluation in the history (on the trainer's fixed test
    subset), or a dash before the first one.
    """
    h = snap.history
    acc = h["test_accuracy"][-1] if len(h["test_accuracy"]) else float("nan")
    return {
        "iteration": f"iteration {snap.iteration:,}",
        "epoch": f"epoch {snap.epoch_progress:.2f}",
        "loss": "loss —" if not math.isfinite(snap.loss) else f"loss {snap.loss:.4f}",
        "accuracy": "test accuracy —" if not math.isfinite(acc) else f"test accuracy {acc:.1%}",
    }


def divergence_message(info: dict) -> tuple[str, str]:
    """(notice as rich text, one short line) for the worker's ``diverged`` info
    {"iteration", "loss", "kept", "rollback"}."""
    loss = "infinite" if info["loss"] in (float("inf"), float("-inf")) else "not a number (NaN)"
    kept = info.get("kept")
    text = (f"<b>Training diverged at iteration {info['iteration']:,}</b>: the loss became {loss}, "
            f"so training is paused. ")
    text += (f"The weights shown are the last finite ones (iteration {kept:,}). " if kept is not None
             else "No finite weights were kept. ")
    text += "The learning rate is probably too large: lower it, then roll back or reset."
    return text, f"Diverged at iteration {info['iteration']:,}: lower the learning rate."
