"""Redraw skipping: what a view last drew and set, so a frame can leave alone what would
look the same. Each view owns one ``RedrawMemo`` and calls ``forget()`` when it builds
new items (new items have had nothing drawn or set on them)."""

from __future__ import annotations

import math
import time

import numpy as np

TEXT_SECONDS = 0.25  # while training runs, numbers in titles and labels change at most this often

_NOTHING = object()  # "never set": differs from every value


def running_snapshot(snap) -> bool:
    """True for a snapshot published while training runs (it carries a measured speed)."""
    return snap is not None and bool(getattr(snap, "steps_per_second", 0.0)) and not getattr(snap, "rewound", False)


class RedrawMemo:
    """Per key: the values last drawn (with their context), the value last set, the time a
    text was last set."""

    def __init__(self):
        self._drawn: dict[str, tuple] = {}  # key -> (context, float64 copy of the values drawn)
        self._set: dict[str, object] = {}
        self._text_at: dict[str, float] = {}

    def forget(self, *keys: str) -> None:
        """Forget what was drawn and set under ``keys`` — under every key when none are given.
        The text clock keeps running: it limits how often a text changes, not what it shows."""
        if not keys:
            self._drawn.clear()
            self._set.clear()
        for key in keys:
            self._drawn.pop(key, None)
            self._set.pop(key, None)

    def unchanged(self, key: str, values, span: float, context=None, allow: bool = True) -> bool:
        """Would drawing ``values`` look the same as what was last drawn under ``key``?

        True when ``context`` (levels, palette, …) is the same and every value is within half a
        step of a 256-colour table spread over ``span`` of the values last *drawn* (so skipped
        changes never add up past that). Late in training a fixed input's activations move by
        less than that from frame to frame: skipping them saves the image, and its repaint.
        A False answer records ``values`` as drawn, so call it only right before drawing.
        ``allow=False`` (e.g. paused: draw every step) answers False and forgets the record.
        """
        if not allow:
            self._drawn.pop(key, None)
            return False
        v = np.asarray(values, dtype=np.float64)
        prev = self._drawn.get(key)
        if (prev is not None and prev[0] == context and prev[1].shape == v.shape and np.isfinite(v).all()
                and np.isfinite(span) and np.abs(v - prev[1]).max(initial=0.0) < span / 512):
            return True
        self._drawn[key] = (context, v.copy())
        return False

    def changed(self, key: str, value) -> bool:
        """Record ``value`` under ``key``; True when it differs from the one recorded before."""
        if self._set.get(key, _NOTHING) != value:
            self._set[key] = value
            return True
        return False

    def last(self, key: str, default=None):
        """The value last recorded under ``key`` (``changed`` / ``set_if_changed``), or ``default``."""
        return self._set.get(key, default)

    def set_if_changed(self, key: str, value, setter) -> None:
        """Call ``setter(value)`` only when ``value`` differs from the last one set under ``key``.

        Titles, ranges and colour-bar levels make pyqtgraph re-lay-out and repaint axes;
        doing that every frame with the same value is most of a frame's cost.
        """
        if self.changed(key, value):
            setter(value)

    def text_due(self, key: str, running: bool, seconds: float = TEXT_SECONDS) -> bool:
        """May a text that changes every frame be set again? Always when training is paused;
        while it runs, at most every ``seconds``: a new title re-lays-out its plot and a new
        label text its whole window (Qt propagates the size hint up to the top), which at
        30 frames a second costs more than the drawing — and nobody reads digits that fast."""
        if not running:
            return True
        now = time.perf_counter()
        if now - self._text_at.get(key, -math.inf) < seconds:
            return False
        self._text_at[key] = now
        return True
