"""A row that picks one unit of a layer stack for an Explore tab: a conv layer's filter (channel)
or a dense layer's neuron — what the weight panel's click picks for a fully connected net, where a
conv net has no neurons to click.

Layers count activations (input = 0), as everywhere; ``choices`` are (layer, label, count) rows.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSpinBox, QWidget


def stack_units(layers, with_pools: bool = False, with_norms: bool = False) -> list[tuple[int, str, int]]:
    """(layer, label, count) for each layer of ``layers`` (``net.layers``) whose units can be
    picked: conv layers' filters and dense layers' neurons (and with ``with_pools`` the pooled
    maps' channels, which want what their conv wants, seen through the pooling; with
    ``with_norms`` batch norm's channels or features — after a linear conv, where its ReLU is)."""
    out = []
    last = len(layers)
    for L, lay in enumerate(layers, start=1):
        if lay.type == "conv":
            out.append((L, f"layer {L}: conv {lay.filters}@{lay.kernel}×{lay.kernel} — filter", lay.filters))
        elif lay.type in ("maxpool", "avgpool") and with_pools:
            out.append((L, f"layer {L}: {lay.type[:3]}-pool — channel", lay.out_shape[0]))
        elif lay.type == "batchnorm" and with_norms:
            what = "channel" if len(lay.out_shape) == 3 else "feature"
            out.append((L, f"layer {L}: batch norm ({lay.activation}) — {what}", lay.out_shape[0]))
        elif lay.type == "dense":
            what = "output" if L == last else "dense"
            out.append((L, f"layer {L}: {what} {lay.units} — neuron", lay.units))
    return out


class UnitPicker(QWidget):
    """objectName ``unitPicker``: ``layer_box`` (QComboBox) and ``unit_box`` (QSpinBox).
    ``changed(layer, unit)`` when the learner picks another unit."""

    changed = Signal(int, int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("unitPicker")
        self.layer_box = QComboBox()
        self.layer_box.setToolTip("Which layer: a conv layer's filters or a dense layer's neurons")
        self.unit_box = QSpinBox()
        self.unit_box.setToolTip("Which filter (one kernel and its feature map) or neuron")
        self._choices: list[tuple[int, str, int]] = []
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(QLabel("unit:"))
        lay.addWidget(self.layer_box, 1)
        lay.addWidget(self.unit_box)
        self.layer_box.currentIndexChanged.connect(self._layer_changed)
        self.unit_box.valueChanged.connect(lambda _: self.changed.emit(*self.unit()))

    def set_choices(self, choices, layer: int | None = None, unit: int = 0) -> None:
        """New rows (a new layer stack); selects (layer, unit), else the first row's unit 0.
        Emits nothing: the tab asking knows what it set."""
        if list(choices) != self._choices:
            self._choices = list(choices)
            with QSignalBlocker(self.layer_box):
                self.layer_box.clear()
                for _, label, _ in self._choices:
                    self.layer_box.addItem(label)
        self.select(layer, unit)

    def select(self, layer: int | None, unit: int = 0) -> bool:
        """Show (layer, unit) if it is a choice (no signal); False if it is not."""
        rows = [i for i, (L, _, n) in enumerate(self._choices) if L == layer and 0 <= unit < n]
        if not rows and layer is not None:
            return False
        row = rows[0] if rows else 0
        if not self._choices:
            return False
        with QSignalBlocker(self.layer_box), QSignalBlocker(self.unit_box):
            self.layer_box.setCurrentIndex(row)
            self.unit_box.setRange(0, self._choices[row][2] - 1)
            self.unit_box.setValue(unit if rows else 0)
        return True

    def unit(self) -> tuple[int, int]:
        """(layer, unit) shown."""
        row = max(0, self.layer_box.currentIndex())
        return self._choices[row][0], self.unit_box.value()

    def _layer_changed(self, row: int) -> None:
        if 0 <= row < len(self._choices):
            with QSignalBlocker(self.unit_box):
                self.unit_box.setRange(0, self._choices[row][2] - 1)
                self.unit_box.setValue(0)
            self.changed.emit(*self.unit())
