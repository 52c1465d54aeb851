"""A number field for a step that halves: 1, 0.5, … 6.10352e-05, written as the lesson writes it."""

from __future__ import annotations

from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QDoubleSpinBox

class StepBox(QDoubleSpinBox):
    """A step written as the lesson writes it (1, 0.5, 6.10352e-05): halved steps soon need
    more than a fixed number of decimals, and rounding them showed another step than the one used."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setDecimals(20)  # the value is kept exactly; the text is textFromValue's

    def textFromValue(self, value: float) -> str:
        return f"{value:g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text.replace(",", "."))
        except ValueError:
            return self.value()

    def validate(self, text, pos):
        try:
            float(text.replace(",", "."))
            return QValidator.Acceptable, text, pos
        except ValueError:
            return QValidator.Intermediate, text, pos
