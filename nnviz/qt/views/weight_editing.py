"""Weights set by hand in the weight panel: the selected weight, a field to type its value, the
wheel and +/− to nudge it by the lesson's step, and on the smile a click that cycles −1 → 0 → +1.

The panel never writes a weight: ``edited(layer, neuron, index, value, bias)`` asks the window
to send the command to the training thread, as a Step does; Edit ▸ Undo (Ctrl+Z anywhere)
takes an edit back. ``layer`` counts weight layers from 0; ``index`` is the flat index into
that neuron's incoming weights.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSizePolicy, QWidget

from ..graphics.step_box import StepBox

NOTHING = "Click a weight to set it by hand."


def next_in_cycle(v: float) -> float:
    """The smile lesson's click: −1 → 0 → +1 → −1 (other values go to the next one up)."""
    return 0.0 if v < -0.5 else 1.0 if v < 0.5 else -1.0


class WeightEditor(QWidget):
    """One row: what is selected, its value (editable), "bias" to edit the neuron's bias instead."""

    edited = Signal(int, int, int, float, bool)

    def __init__(self, shortcuts_on: QWidget, parent=None):
        super().__init__(parent)
        self.selected = None  # (layer, neuron, index) of the weight chosen
        self.values = (0.0, 0.0)  # (the weight, the neuron's bias) in the weights shown
        self.has_bias = True
        self.what = QLabel(NOTHING)
        self.what.setObjectName("weightEditTarget")
        self.what.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)  # never widens the dock
        self.field = StepBox()
        self.field.setObjectName("weightValue")
        self.field.setRange(-1e6, 1e6)
        self.field.setKeyboardTracking(False)  # one edit when typing is done, not one per key
        self.field.setToolTip("Type a value and press Enter, or use the wheel / ↑↓ here (or + and − in the "
                              "weights) to nudge it by the lesson's step. Ctrl+Z undoes it.")
        self.field.setEnabled(False)
        self.field.valueChanged.connect(self._typed)
        self.bias_box = QCheckBox("bias")
        self.bias_box.setToolTip("Set the selected neuron's bias instead of the weight")
        self.bias_box.toggled.connect(lambda _: self._show())
        self.bias_box.setVisible(False)  # until a network with biases is shown
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.what, 1)
        lay.addWidget(self.field)
        lay.addWidget(self.bias_box)
        ctx = Qt.WidgetWithChildrenShortcut
        for keys, slot in ((("+", "="), lambda: self.nudge(+1)), (("-",), lambda: self.nudge(-1))):
            for key in keys:
                QShortcut(QKeySequence(key), shortcuts_on, slot, context=ctx)

    def select(self, layer: int, neuron: int, index: int, name: str) -> None:
        """Choose weight ``index`` of neuron ``neuron`` in weight layer ``layer``; ``name`` says which."""
        self.selected, self._name = (layer, neuron, index), name
        self.field.setEnabled(True)
        self._show()

    def follow(self, snap) -> None:
        """Show the selected weight (and its neuron's bias) as they are in ``snap``, the weights shown."""
        if snap is None or self.selected is None or self.selected[0] >= len(snap.weights):
            return
        layer, neuron, index = self.selected
        w = np.asarray(snap.weights[layer][neuron]).reshape(-1)
        bias = float(snap.biases[layer][neuron]) if snap.bias else None
        self.show_values(float(w[index]), bias, float(snap.settings.get("nudge_step", 0.1)))

    def show_values(self, weight: float, bias: float | None, step: float) -> None:
        """The selected weight and its neuron's bias (None: the net has none) in the weights shown."""
        self.values, self.has_bias = (float(weight), float(bias or 0.0)), bias is not None
        self.field.setSingleStep(step)
        self.bias_box.setVisible(self.has_bias)
        if not self.field.hasFocus():  # not while the learner types
            self._show()

    def clear(self) -> None:
        self.selected = None
        self.field.setEnabled(False)
        self.what.setText(NOTHING)

    @property
    def on_bias(self) -> bool:
        return self.has_bias and self.bias_box.isChecked()

    def nudge(self, sign: int) -> None:
        """+ or −: the selected value moves by one step."""
        if self.selected is not None:
            self.set_value(self.values[self.on_bias] + sign * self.field.singleStep())

    def set_value(self, value: float) -> None:
        if self.selected is not None:
            layer, neuron, index = self.selected
            self.edited.emit(layer, neuron, 0 if self.on_bias else index, float(value), self.on_bias)

    def _typed(self, value: float) -> None:
        if self.field.isEnabled() and value != self.values[self.on_bias]:
            self.set_value(value)

    def _show(self) -> None:
        if self.selected is None:
            return
        layer, neuron, index = self.selected
        self.what.setText(f"bias of neuron {neuron} (layer {layer + 1})" if self.on_bias else self._name)
        self.field.blockSignals(True)  # showing a value is not an edit
        self.field.setValue(self.values[self.on_bias])
        self.field.blockSignals(False)
