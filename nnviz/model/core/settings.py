"""Training settings: one validated, immutable record the app and CLI share."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace

from ..errors import SettingsError
from .functions import LOSSES
from .optimizers import OPTIMIZERS

METHODS = ("gradient", "nudge")
#: the largest learning rate the app's setting takes (the learning-rate probe stops there too)
MAX_LEARNING_RATE = 10.0


@dataclass(frozen=True)
class TrainSettings:
    """What one iteration does. Changing any of these never resets the weights."""

    learning_rate: float = 0.01
    batch_size: int = 32
    optimizer: str = "sgd"
    momentum: float = 0.9
    l2: float = 0.0
    dropout: float = 0.0
    method: str = "gradient"
    nudge_step: float = 1.0
    loss: str = "cross_entropy"

    def __post_init__(self):
        problems = []
        if not (math.isfinite(self.learning_rate) and self.learning_rate > 0):
            problems.append(f"learning rate must be a positive number (got {self.learning_rate})")
        if int(self.batch_size) != self.batch_size or self.batch_size < 1:
            problems.append(f"batch size must be a whole number ≥ 1 (got {self.batch_size})")
        if self.optimizer not in OPTIMIZERS:
            problems.append(f"optimizer must be one of {', '.join(OPTIMIZERS)} (got {self.optimizer!r})")
        if not 0 <= self.momentum < 1:
            problems.append(f"momentum must be in [0, 1) (got {self.momentum})")
        if not (math.isfinite(self.l2) and self.l2 >= 0):
            problems.append(f"L2 strength must be ≥ 0 (got {self.l2})")
        if not 0 <= self.dropout < 1:
            problems.append(f"dropout must be in [0, 1) (got {self.dropout})")
        if self.method not in METHODS:
            problems.append(f"training method must be one of {', '.join(METHODS)} (got {self.method!r})")
        if not (math.isfinite(self.nudge_step) and self.nudge_step > 0):
            problems.append(f"nudge step must be a positive number (got {self.nudge_step})")
        if self.loss not in LOSSES:
            problems.append(f"loss must be one of {', '.join(LOSSES)} (got {self.loss!r})")
        if problems:
            raise SettingsError("; ".join(problems))

    def changed(self, **changes) -> "TrainSettings":
        """A validated copy with some fields replaced; unknown names are an error."""
        names = {f.name for f in fields(self)}
        unknown = set(changes) - names
        if unknown:
            raise SettingsError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return replace(self, **changes)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "TrainSettings":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})
