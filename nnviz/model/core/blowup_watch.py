"""The blow-up watch: a settings change that wrecks the network, caught while the loss is finite.

A learning rate of 10 sends digits' batch loss to ~1e9 for a few iterations, then leaves it at
chance level (~2.3) with most ReLU units dead; on mnist the loss goes from 0.2 to ~20 and
back to ~2.4, test accuracy from 90% to 10%. Nothing is infinite, so the divergence check
(non-finite loss) never fires. Each settings change therefore *arms* a watch with two levels
taken before it:

- ``reference``: the median batch loss of the last WINDOW iterations before the change (a
  median, so one unlucky batch does not move it; None with fewer than MIN_LOSSES of them);
- ``start``: the run's first batch loss, the untrained network's level (or, when the loss
  function itself changed, the first loss after the change); for a softmax with cross-entropy
  at least ln(classes), guessing's loss, which a trained model opened starts far below.

It fires (once per change) when

- **jumped**: of the last n batch losses, n = SPIKE_RUN batches or as many as hold
  SPIKE_EXAMPLES examples (at most SPIKE_RUN passes over the training set), at least
  SPIKE_SHARE exceed max(SPIKE × reference, START_SPIKE × start) — far above both where
  training was and where it started. At batch size 1 a batch
  is one example: four misread digits in a row are bad luck, not a blow-up (mnist at batch
  size 1 stopped at iteration 18,822 on 4.5), while a net wrecked at lr 10 still reads one
  example in ten right, so it is a share, not a run; or
- **undone**: every WINDOW iterations, the median of the last WINDOW losses is back at
  UNTRAINED × start or above although the reference was at most LEARNED × start — the
  network had learned and is now no better than untrained. With a softmax and
  cross-entropy, ``start`` here is at most ln(classes), the loss of guessing: the conv
  lessons start at ~2.7, above ln 10 ≈ 2.3, and a net wrecked later settles at 2.3–2.4
  (Adam at 0.5, or SGD at 10, after 3 epochs of the conv lesson), which 0.9 × 2.7 missed.

Measured (seed 0, tests/model/core/test_blowup_watch.py): the three lessons' defaults for several
epochs and moderate changes (digits lr ×10 and ×30, batch size 1, mnist lr ×4, Adam at
0.01, another loss) never fire; lr 10 on digits (fresh or trained) jumps within ~5
iterations, on mnist (trained) within ~6, and lr 1 on digits or Adam at 0.5 on mnist are
caught as undone after WINDOW iterations. A new run (reset, rebuild, a model opened) arms it
with no cause, so only a jump against its start can fire. Cost per iteration: a comparison,
and a median of WINDOW numbers every WINDOW iterations.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import fields

import numpy as np

from .reports import BlowUp

WINDOW = 32
MIN_LOSSES = 8
SPIKE = 10.0
START_SPIKE = 2.0
SPIKE_RUN = 4
SPIKE_EXAMPLES = 64
SPIKE_SHARE = 0.75  # of the last n batches above the limit: 3 of 4 at the lessons' batch sizes
LEARNED = 0.6
UNTRAINED = 0.9


def settings_change(old, new) -> dict:
    """{field: (old value, new value)} for the TrainSettings fields that differ."""
    if old is None or new is None:
        return {}
    return {f.name: (getattr(old, f.name), getattr(new, f.name)) for f in fields(new)
            if getattr(old, f.name) != getattr(new, f.name)}


class BlowupWatch:
    """Armed by ``arm`` at a settings change or a new run; ``check`` after each iteration."""

    def __init__(self):
        self.cause = None  # {"iteration", "changes", "settings"} of the change watched, or None
        self.armed = False
        self.reference = self.start = None
        self._limit = math.inf
        self._above: deque[bool] = deque(maxlen=SPIKE_RUN)  # the last n batches: above the limit?
        self._next_median = 0
        self._chance = math.inf

    def arm(self, trainer, old=None, new=None) -> None:
        """Watch ``trainer`` from now on. ``old``/``new``: the TrainSettings before and after a
        change (None for a new run, which has no cause to name)."""
        changes = settings_change(old, new)
        if old is not None and not changes:
            return  # the same settings again: nothing new to watch
        losses = np.asarray(trainer.history.frozen()["loss"], dtype=np.float64)
        recent = losses[-WINDOW:]
        recent = recent[np.isfinite(recent)]
        fresh_units = "loss" in changes  # the levels before were in another loss's units
        self.reference = None if fresh_units or len(recent) < MIN_LOSSES else float(np.median(recent))
        first = trainer.history.first_loss
        self.start = None if fresh_units or not len(trainer.history) or not math.isfinite(first) else float(first)
        self.cause = None if old is None else {"iteration": int(trainer.iteration), "changes": changes,
                                               "settings": old.to_dict()}
        # Softmax + cross-entropy: guessing scores ln(classes). A net can start above that (the
        # conv lessons start at ~2.7 against ln 10 ≈ 2.3), and one wrecked later sits at it.
        n_out = trainer.network.sizes[-1]
        chance = (trainer.settings.loss == "cross_entropy" and trainer.network.output == "softmax"
                  and n_out > 1)
        self._chance = math.log(n_out) if chance else math.inf
        # examples, not batches, but no more than SPIKE_RUN passes over a small training set: the
        # smile's batch is all 4 faces, its loss has no noise to wait out
        n_train = len(trainer.dataset.x_train)
        batch = max(1, min(trainer.settings.batch_size, n_train))
        examples = min(SPIKE_EXAMPLES, SPIKE_RUN * n_train)
        self.armed, self._above = True, deque(maxlen=max(SPIKE_RUN, math.ceil(examples / batch)))
        self._next_median = trainer.iteration + WINDOW
        self._set_limit()

    def _set_limit(self) -> None:
        levels = [SPIKE * self.reference] if self.reference is not None else []
        if self.start is not None:
            # never below twice guessing's loss: a trained model opened starts at ~0.0002, and
            # twice that is any batch's noise (it "blew up" at its fourth iteration)
            floor = self._chance if math.isfinite(self._chance) else 0.0
            levels.append(START_SPIKE * max(self.start, floor))
        self._limit = max(levels) if levels else math.inf

    def check(self, trainer, loss: float) -> BlowUp | None:
        """After an iteration with batch ``loss``: None, or (once, then disarmed) a ``BlowUp``
        without its ``rollback`` (the session adds it); its ``chance`` is ln(classes) when "undone"
        fired at that level, below UNTRAINED × start, else None."""
        if not self.armed:
            return None
        if self.start is None:
            self.start = loss  # the first loss after the change is the level it starts from
            self._set_limit()
        above = self._above
        above.append(loss > self._limit)
        if len(above) == above.maxlen and sum(above) >= SPIKE_SHARE * above.maxlen:
            return self._fire(trainer, "jumped", loss)
        if trainer.iteration >= self._next_median:
            self._next_median = trainer.iteration + WINDOW
            untrained = min(self.start, self._chance)
            if self.reference is not None and self.reference <= LEARNED * untrained:
                level = float(np.median(trainer.history.frozen()["loss"][-WINDOW:]))
                if level >= UNTRAINED * untrained:
                    return self._fire(trainer, "undone", level)
        return None

    def _fire(self, trainer, how: str, loss: float) -> BlowUp:
        self.armed = False
        return BlowUp(how, int(trainer.iteration), float(loss), self.reference, self.start, self.cause,
                      self._chance if how == "undone" and loss < UNTRAINED * self.start else None)
