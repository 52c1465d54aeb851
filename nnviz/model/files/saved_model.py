"""What a model file holds, whichever format it came from: a network, its lesson, counters,
settings and history (``modelfile.py`` writes and reads nnviz's own; ``foreign`` reads others')."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core.history import History
from ..core.networks import NetworkLike


@dataclass
class SavedModel:
    """What a model file holds, ready to drive a trainer again."""

    network: NetworkLike
    lesson: str = ""
    iteration: int = 0
    epoch: int = 0
    seed: int = 0
    settings: dict = field(default_factory=dict)
    history: History = field(default_factory=History)
    epoch_fraction: float = 0.0  # of the current epoch done: epoch_progress = epoch + epoch_fraction

    @classmethod
    def of_trainer(cls, trainer, lesson: str = "") -> "SavedModel":
        """A trainer's network (a copy), counters with the epoch's progress, settings and history:
        what the app's Save and ``nnviz train --save`` write."""
        t = trainer
        return cls(t.network.copy(), lesson, t.iteration, t.epoch, t.seed, t.settings.to_dict(), t.history,
                   t.epoch_progress - t.epoch)
