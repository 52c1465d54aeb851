"""The words for where training stands, shared by the status bar and the training panel."""

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
