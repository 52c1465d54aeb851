"""Spin boxes that clamp an out-of-range entry and say so, instead of silently reverting it.

Qt's own spin boxes refuse keys that cannot lead to a valid number and quietly
restore the old value on anything out of range, so typing "0" as a batch size or
"-1" as a learning rate seems to do nothing. These accept the text while it is
typed, then clamp it to the nearest allowed value and emit ``clamped`` with a
sentence the window shows.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QDoubleSpinBox, QSpinBox


class _Clamping:
    """Mixed into a spin box class that defines ``clamped = Signal(str)``."""

    what = "this value"  # the setting's name, used in the message

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
            self.clamped.emit(f"{self.what[:1].upper()}{self.what[1:]} must be between "
                              f"{self.textFromValue(self.minimum())} and {self.textFromValue(self.maximum())}: "
                              f"{v:g} was changed to {shown}.")
            return self.prefix() + shown + self.suffix()
        return text


class ClampingSpinBox(_Clamping, QSpinBox):
    """QSpinBox that clamps with feedback (``clamped``)."""

    clamped = Signal(str)


class ClampingDoubleSpinBox(_Clamping, QDoubleSpinBox):
    """QDoubleSpinBox that clamps with feedback (``clamped``)."""

    clamped = Signal(str)
