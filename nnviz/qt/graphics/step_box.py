"""A number field for a step that halves: 1, 0.5, … 6.10352e-05, written as the lesson writes it."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QDoubleSpinBox

#: the widest text a value can have: ``%g`` keeps six digits and a two-digit exponent
WIDEST = "-8.88888e-88"


class StepBox(QDoubleSpinBox):
    """A step written as the lesson writes it (1, 0.5, 6.10352e-05): halved steps soon need
    more than a fixed number of decimals, and rounding them showed another step than the one used."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setDecimals(20)  # the value is kept exactly; the text is textFromValue's

    def minimumSizeHint(self) -> QSize:
        # Qt sizes the box for its range's ends ("-1e+06"): −6.10352e-05 was cut to "-6.1035",
        # which reads as −6.1
        hint = super().minimumSizeHint()
        fm = self.fontMetrics()
        ends = max(fm.horizontalAdvance(self.textFromValue(v) + " ") for v in (self.minimum(), self.maximum()))
        return hint + QSize(max(0, fm.horizontalAdvance(WIDEST + " ") - ends), 0)

    def sizeHint(self) -> QSize:
        return super().sizeHint().expandedTo(self.minimumSizeHint())

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
