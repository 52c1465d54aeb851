"""Spin boxes that clamp an out-of-range entry and say so, instead of silently reverting it.

Qt's own spin boxes refuse keys that cannot lead to a valid number and quietly
restore the old value on anything out of range, so typing "0" as a batch size or
"-1" as a learning rate seems to do nothing. These accept the text while it is
typed, then clamp it to the nearest allowed value and emit ``clamped`` with a
sentence the window shows, in words and with numbers as a learner writes them
("1,000,000", not "1e+06").
"""

from __future__ import annotations

import math

from PySide6.QtCore import Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QDoubleSpinBox, QSpinBox


def readable(v: float) -> str:
    """``v`` as a learner writes it: 1000000 -> "1,000,000", 1e-07 -> "0.0000001", 2.5 -> "2.5"."""
    if not math.isfinite(v):
        return "infinite" if math.isinf(v) else "not a number"
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v):,}"
    if abs(v) >= 1e15:
        return f"{v:.3g}".replace("e+", " × 10^")
    digits = max(0, -math.floor(math.log10(abs(v)))) + 5  # five significant digits after the zeros
    whole, _, frac = f"{v:,.{min(digits, 20)}f}".partition(".")
    frac = frac.rstrip("0")
    return f"{whole}.{frac}" if frac else whole


def clamp_message(what: str, typed: float, lo: float, hi: float, shown: str) -> str:
    """The sentence for ``typed`` set to ``shown`` (the nearest of ``lo`` .. ``hi``), in words."""
    if typed > hi:
        return f"{readable(typed)} is more than the largest {what}, {readable(hi)}; it is set to {shown}."
    return f"{readable(typed)} is less than the smallest {what}, {readable(lo)}; it is set to {shown}."


class _Clamping:
    """Mixed into a spin box class that defines ``clamped = Signal(str)``."""

    what = "value"  # the setting's name, used in the message ("the largest {what}")

    def _number(self, text: str):
        body = text
        if self.prefix() and body.startswith(self.prefix()):
            body = body[len(self.prefix()):]
        if self.suffix() and body.endswith(self.suffix()):
            body = body[: -len(self.suffix())]
        body = body.strip().replace(",", ".")
        try:
            return float(body)
        except ValueError:
            return None

    def validate(self, text, pos):
        v = self._number(text)
        if v is None:
            bare = text[len(self.prefix()):].strip() if text.startswith(self.prefix()) else text.strip()
            if bare in ("", "-", "+", ".", "-.", "+."):
                return QValidator.Intermediate, text, pos
            return QValidator.Invalid, text, pos
        if not self.minimum() <= v <= self.maximum():
            return QValidator.Intermediate, text, pos
        return super().validate(text, pos)

    def fixup(self, text):
        v = self._number(text)
        if v is None:
            return text
        ok = min(max(v, self.minimum()), self.maximum())
        if ok != v:
            shown = self.textFromValue(ok)
            self.clamped.emit(clamp_message(self.what, v, self.minimum(), self.maximum(), readable(ok)))
            return self.prefix() + shown + self.suffix()
        return text


class ClampingSpinBox(_Clamping, QSpinBox):
    """QSpinBox that clamps with feedback (``clamped``)."""

    clamped = Signal(str)


class ClampingDoubleSpinBox(_Clamping, QDoubleSpinBox):
    """QDoubleSpinBox that clamps with feedback (``clamped``)."""

    clamped = Signal(str)
