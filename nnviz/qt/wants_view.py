"""The "What a neuron wants" tab: the input that excites a chosen neuron most (gradient ascent
on the pixels, from blank or from the drawing) and, for the painted input, a saliency map."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import (
    QDoubleSpinBox, QGridLayout, QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout,
)

from ..model.datasets import SIGN
from ..model.wants import input_gradient, maximize, saliency
from .explore import ExplorePanel
from .image_lists import heat_pixmap
from .palettes import symmetric_level

SIZE = 168


class WantsView(ExplorePanel):
    """objectName ``wantsView``."""

    title = "What a neuron wants"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("wantsView")
        self.dataset = None
        self.snap = None
        self.painted = None
        self.layer = self.neuron = None  # None: the top answer's output neuron
        self.palette_name = "green-red"
        self.result = None  # (x (n_inputs,), trace)
        self.header = QLabel("Select a neuron (click it in the weights or activations).")
        self.header.setWordWrap(True)
        self.steps = QSpinBox()
        self.steps.setRange(1, 2000)
        self.steps.setValue(100)
        self.steps.setToolTip("Gradient-ascent steps on the pixels")
        self.step_size = QDoubleSpinBox()
        self.step_size.setRange(0.001, 1.0)
        self.step_size.setDecimals(3)
        self.step_size.setValue(0.05)
        self.step_size.setToolTip("How far each step moves the brightest-changing pixel")
        self.from_blank = QPushButton("Find it from blank")
        self.from_drawing = QPushButton("…from my drawing")
        self.load = QPushButton("Load into editor")
        self.load.setEnabled(False)
        self.from_blank.clicked.connect(lambda: self.run(blank=True))
        self.from_drawing.clicked.connect(lambda: self.run(blank=False))
        self.load.clicked.connect(lambda: self.result is not None and self.loadInput.emit(self.result[0]))
        self.best = QLabel()
        self.best_text = QLabel()
        self.best_text.setWordWrap(True)
        self.sal = QLabel()
        self.sal_text = QLabel()
        self.sal_text.setWordWrap(True)
        controls = QHBoxLayout()
        for w in (QLabel("steps"), self.steps, QLabel("step"), self.step_size, self.from_blank,
                  self.from_drawing):
            controls.addWidget(w)
        controls.addStretch(1)
        grid = QGridLayout()
        grid.addWidget(QLabel("<b>The input it likes most</b>"), 0, 0)
        grid.addWidget(QLabel("<b>Saliency of your drawing</b>"), 0, 1)
        grid.addWidget(self.best, 1, 0)
        grid.addWidget(self.sal, 1, 1)
        grid.addWidget(self.best_text, 2, 0)
        grid.addWidget(self.sal_text, 2, 1)
        grid.addWidget(self.load, 3, 0)
        lay = QVBoxLayout(self)
        lay.addWidget(self.header)
        lay.addLayout(controls)
        lay.addLayout(grid)
        lay.addStretch(1)

    def set_lesson(self, dataset) -> None:
        self.dataset = dataset
        self.layer = self.neuron = None
        self.result = None
        self.best.clear()
        self.best_text.setText("")
        self.load.setEnabled(False)

    def select_neuron(self, layer: int, neuron: int) -> None:
        if layer >= 1:
            self.layer, self.neuron = int(layer), int(neuron)
            self.result = None
            self.best.clear()
            self.best_text.setText("")

    def set_palette(self, name: str) -> None:
        self.palette_name = name
        if self.snap is not None:
            self._show_saliency()

    def _fits(self) -> bool:
        d, s = self.dataset, self.snap
        return d is not None and s is not None and s.sizes[0] == d.n_inputs and s.sizes[-1] == d.n_outputs

    def _target(self):
        s = self.snap
        if self.layer is not None and self.layer < len(s.sizes) and self.neuron < s.sizes[self.layer]:
            return self.layer, self.neuron
        top, _ = saliency(s.network(), self.painted if self.painted is not None else np.zeros(s.sizes[0]))
        return len(s.sizes) - 1, top

    def _name(self, layer, neuron) -> str:
        s, d = self.snap, self.dataset
        if layer == len(s.sizes) - 1:
            return ("the output (smile > 0)" if d.task == SIGN else f"output “{d.class_names[neuron]}”")
        return f"neuron {neuron} of hidden layer {layer}"

    def show_snapshot(self, snap, painted=None) -> None:
        self.snap, self.painted = snap, painted
        if not self._fits():
            return
        layer, neuron = self._target()
        self.header.setText(f"Iteration {snap.iteration:,}. Chosen: <b>{self._name(layer, neuron)}</b> (click "
                            "another neuron to change). Gradient ascent changes the pixels, not the weights.")
        self._show_saliency()

    def _show_saliency(self) -> None:
        if not self._fits() or self.painted is None:
            return
        d = self.dataset
        top, g = saliency(self.snap.network(), self.painted)
        self.sal.setPixmap(heat_pixmap(g.reshape(d.image_shape), symmetric_level(g), self.palette_name, SIZE))
        who = "the smile output" if d.task == SIGN else f"the top answer “{d.class_names[top]}”"
        self.sal_text.setText(f"How brightening each pixel would move {who}: green raises it, red lowers it.")
        self.saliency = g

    def run(self, blank: bool) -> None:
        """Gradient ascent from a blank grid or from the painted input; shows the result."""
        if not self._fits():
            return
        layer, neuron = self._target()
        n = self.snap.sizes[0]
        start = np.zeros(n, np.float32) if blank or self.painted is None else self.painted
        net = self.snap.network()
        x, trace = maximize(net, layer, neuron, start, self.steps.value(), self.step_size.value())
        self.result = (x, trace)
        self.best.setPixmap(_gray_pixmap(x.reshape(self.dataset.image_shape)))
        self.best_text.setText(f"{self._name(layer, neuron)}: activation {trace[0]:.3f} → "
                               f"{trace.max():.3f} after {len(trace) - 1} steps "
                               f"({'from blank' if blank else 'from your drawing'}).")
        self.load.setEnabled(True)


def _gray_pixmap(values: np.ndarray):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QPixmap

    from .pixel_editor import gray_image

    img = gray_image(values)
    return QPixmap.fromImage(img.scaled(max(1, round(SIZE * values.shape[1] / values.shape[0])), SIZE,
                                        Qt.KeepAspectRatio, Qt.FastTransformation))
