"""Every layer's response to the current input: the input image, each hidden layer's
neurons as cells whose brightness is the activation, the outputs as labelled bars;
and for a selected neuron, how its activation is made from weights and inputs.

Layer numbers count activations: input = 0, output = len(sizes) − 1.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ..model.datasets import SIGN
from ..model.functions import FORMULAS
from .palettes import StableLevel, lookup_table, set_if_changed, style_image_plot

pg.setConfigOptions(imageAxisOrder="row-major")

GRAY = np.stack([np.arange(256)] * 3 + [np.full(256, 255)], axis=1).astype(np.uint8)
COLUMN_UP_TO = 32  # neurons; a bigger layer is drawn as a grid of cells


def cell_grid(n: int) -> tuple[int, int]:
    """(rows, cols) to draw n neurons: one column (3Blue1Brown) when few, a grid when many."""
    if n <= COLUMN_UP_TO:
        return n, 1
    cols = math.ceil(math.sqrt(n / 2))
    return math.ceil(n / cols), cols


class ActivationView(QWidget):
    """objectName ``activationView``."""

    neuronSelected = Signal(int, int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("activationView")
        self._last_set = {}
        self.palette_name = "green-red"
        self.show_pre = False
        self.sizes: list[int] = []
        self.task = "classification"
        self._shown: list[np.ndarray] = []
        self._state = None  # (zs, acts, snapshot) of the last input
        self._selected = None
        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground((245, 245, 245))
        self.pre_box = QCheckBox("show pre-activations z = w·a + b")
        self.pre_box.toggled.connect(self.set_show_preactivations)
        self.info = QLabel("Hover over a neuron to read its activation; click it to see how it is made.")
        self.info.setWordWrap(True)
        self.info.setObjectName("activationInfo")
        self.detail_view = pg.GraphicsLayoutWidget()
        self.detail_view.setBackground((245, 245, 245))
        self.detail_view.setMaximumHeight(190)
        self.formula = QLabel("")
        self.formula.setObjectName("neuronFormula")
        self.formula.setWordWrap(True)
        self.formula.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.formula.setStyleSheet("font-family: monospace; font-size: 12px;")
        detail = QHBoxLayout()
        detail.addWidget(self.detail_view, 1)
        detail.addWidget(self.formula, 2)
        top = QHBoxLayout()
        top.addWidget(self.info, 1)
        top.addWidget(self.pre_box)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addWidget(self.view, 3)
        lay.addLayout(detail, 1)
        self.view.scene().sigMouseMoved.connect(self._on_hover)
        self.view.scene().sigMouseClicked.connect(self._on_click)

    # -- layout ---------------------------------------------------------------------

    def set_layout(self, sizes, image_shape, class_names, task) -> None:
        self.sizes, self.image_shape = list(sizes), tuple(image_shape)
        self.class_names, self.task = tuple(class_names), task
        self._selected = None
        self._shown = []
        self._levels = [StableLevel() for _ in sizes]
        self._last_set = {}  # new items: nothing has been set on them yet
        self.view.clear()
        self.plots, self.images, self.grids, self.boxes = [], [], [], []
        n_layers = len(sizes)
        for layer in range(n_layers - 1):
            p = self.view.addPlot(row=0, col=layer)
            style_image_plot(p)
            if layer == 0:
                h, w = self.image_shape
                p.setTitle(f"input ({h}×{w} = {sizes[0]})", size="9pt")
                grid = (h, w)
            else:
                grid = cell_grid(sizes[layer])
                p.setTitle(f"layer {layer}: {sizes[layer]} neurons", size="9pt")
            img = pg.ImageItem(lut=GRAY)
            p.addItem(img)
            box = pg.QtWidgets.QGraphicsRectItem(0, 0, 1, 1)
            box.setPen(QPen(pg.mkColor(255, 190, 0), 0.15))
            box.setVisible(False)
            p.addItem(box)
            self.plots.append(p)
            self.images.append(img)
            self.grids.append(grid)
            self.boxes.append(box)
        # outputs as bars
        self.out_plot = self.view.addPlot(row=0, col=n_layers - 1)
        self.out_plot.setMenuEnabled(False)
        self.out_plot.hideButtons()
        self.out_plot.setMouseEnabled(False, False)
        k = sizes[-1]
        self.out_bars = pg.BarGraphItem(x=np.arange(k), height=np.zeros(k), width=0.7, brush=(150, 160, 175))
        self.out_plot.addItem(self.out_bars)
        names = ["output"] if task == SIGN else list(class_names)
        self.out_plot.getAxis("bottom").setTicks([[(i, n) for i, n in enumerate(names)]])
        self.out_plot.setTitle("answer" if task != SIGN else "output: + smile, − not a smile", size="9pt")
        if task == SIGN:
            self.out_plot.addLine(y=0, pen=pg.mkPen((80, 80, 80)))
        else:
            self.out_plot.setYRange(0, 1.05)
        for col in range(n_layers):
            self.view.ci.layout.setColumnStretchFactor(col, {0: 3, n_layers - 1: 5}.get(col, 1))
        self.detail_view.clear()
        self.detail_plot = self.detail_view.addPlot()
        style_image_plot(self.detail_plot)
        self.detail_img = pg.ImageItem(lut=lookup_table(self.palette_name))
        self.detail_plot.addItem(self.detail_img)
        self.formula.setText("Click a neuron to see how its activation is made.")

    # -- data -------------------------------------------------------------------------

    def show_activations(self, zs, activations, snapshot) -> None:
        """zs, activations: lists from ``Network.forward_full(x[None])`` (batch of 1)."""
        self._state = (zs, activations, snapshot)
        if not self.sizes or [a.shape[1] for a in activations] != self.sizes:
            return
        acts = [np.asarray(a[0], dtype=np.float32) for a in activations]
        pres = [np.asarray(z[0], dtype=np.float32) for z in zs]
        shown = [acts[0]] + (pres if self.show_pre else acts[1:])
        self._shown = shown
        hidden = snapshot.hidden
        for layer, (img, grid) in enumerate(zip(self.images, self.grids)):
            v = shown[layer]
            data = np.full(grid[0] * grid[1], np.nan, dtype=np.float32)
            data[: v.size] = v
            data = data.reshape(grid[1], grid[0]).T if layer and grid[1] > 1 else data.reshape(grid)
            if layer == 0:
                img.setLookupTable(GRAY)
                img.setImage(data, levels=(0, 1), autoLevels=False)
            elif self.show_pre or hidden in ("tanh", "linear"):
                L = self._levels[layer].update(v)
                img.setLookupTable(lookup_table(self.palette_name))
                img.setImage(data, levels=(-L, L), autoLevels=False)
            else:
                top = 1.0 if hidden == "sigmoid" else self._levels[layer].update(v)
                img.setLookupTable(GRAY)
                img.setImage(data, levels=(0, top), autoLevels=False)
        out = shown[-1]
        answer = int(np.argmax(out)) if self.task != SIGN else 0
        brushes = [pg.mkBrush(40, 160, 70) if i == answer and self.task != SIGN else pg.mkBrush(150, 160, 175)
                   for i in range(len(out))]
        if self.task == SIGN:
            brushes = [pg.mkBrush(40, 160, 70) if out[0] > 0 else pg.mkBrush(210, 60, 60)]
            L = max(1.0, float(np.nanmax(np.abs(out))) if np.isfinite(out).all() else 1.0)
            set_if_changed(self, "yrange", (-L, L), lambda r: self.out_plot.setYRange(*r))
        elif self.show_pre:
            self.out_plot.enableAutoRange("y")
            self._last_set.pop("yrange", None)
        else:
            set_if_changed(self, "yrange", (0, 1.05), lambda r: self.out_plot.setYRange(*r))
        self.out_bars.setOpts(height=np.nan_to_num(out), brushes=brushes)
        self._update_detail()

    def _cell_rect(self, layer: int, neuron: int):
        rows, cols = self.grids[layer]
        if layer == 0:
            r, c = divmod(neuron, cols)
        else:
            c, r = divmod(neuron, rows)
        return c, r

    # -- selection and the "how it is made" panel -------------------------------------------

    def select_neuron(self, layer: int, neuron: int) -> None:
        if not 1 <= layer < len(self.sizes) or not 0 <= neuron < self.sizes[layer]:
            return
        self._selected = (layer, neuron)
        for b in self.boxes:
            b.setVisible(False)
        if layer < len(self.boxes):
            c, r = self._cell_rect(layer, neuron)
            self.boxes[layer].setRect(c, r, 1, 1)
            self.boxes[layer].setVisible(True)
        self._update_detail()
        self.neuronSelected.emit(layer, neuron)

    def selected_neuron(self):
        return self._selected

    def neuron_breakdown(self, layer: int, neuron: int) -> dict:
        """How neuron ``neuron`` of ``layer`` gets its value for the current input.

        Returns products w·a (n_prev,), their sum, the bias, z, the activation and its name.
        """
        zs, acts, snap = self._state
        w = np.asarray(snap.weights[layer - 1][neuron], dtype=np.float64)
        a_prev = np.asarray(acts[layer - 1][0], dtype=np.float64)
        products = w * a_prev
        bias = float(snap.biases[layer - 1][neuron]) if snap.bias else 0.0
        fname = snap.output if layer == len(self.sizes) - 1 else snap.hidden
        return {"products": products, "sum": float(products.sum()), "bias": bias,
                "z": float(zs[layer - 1][0][neuron]), "activation": float(acts[layer][0][neuron]),
                "function": fname}

    def _update_detail(self):
        if self._selected is None or self._state is None:
            return
        layer, k = self._selected
        d = self.neuron_breakdown(layer, k)
        prod = d["products"].astype(np.float32)
        img = prod.reshape(self.image_shape) if layer == 1 else prod[None, :]
        L = max(float(np.nanmax(np.abs(prod))) if np.isfinite(prod).any() else 0.0, 1e-6)
        self.detail_img.setImage(img, levels=(-L, L), autoLevels=False)
        set_if_changed(self, "title", f"input × weight, neuron {k}", lambda t: self.detail_plot.setTitle(t, size="9pt"))
        up = int((prod > 0).sum())
        down = int((prod < 0).sum())
        f = d["function"]
        squash = {"sigmoid": "σ", "relu": "ReLU", "tanh": "tanh", "linear": "", "softmax": "softmax"}[f]
        out_line = (f"{squash}({d['z']:.3f}) = {d['activation']:.3f}" if squash and f != "softmax"
                    else f"softmax over all outputs → {d['activation']:.3f}" if f == "softmax"
                    else f"output = z = {d['activation']:.3f}")
        self.formula.setText(
            f"neuron {k} of layer {layer}\n"
            f"Σ wᵢ·aᵢ = {d['sum']:+.3f}   ({up} inputs pushed it up, {down} pulled it down)\n"
            f"z = Σ wᵢ·aᵢ + b = {d['sum']:+.3f} + ({d['bias']:+.3f}) = {d['z']:+.3f}\n"
            f"{out_line}\n{FORMULAS[f]}")

    # -- settings ---------------------------------------------------------------------------

    def set_show_preactivations(self, on: bool) -> None:
        self.show_pre = bool(on)
        if self.pre_box.isChecked() != self.show_pre:
            self.pre_box.setChecked(self.show_pre)
        for lv in getattr(self, "_levels", []):
            lv.reset()
        if self._state is not None:
            self.show_activations(*self._state)

    def set_palette(self, name: str) -> None:
        self.palette_name = name
        if self.sizes:
            self.detail_img.setLookupTable(lookup_table(name))
            if self._state is not None:
                self.show_activations(*self._state)

    # -- hover / click ----------------------------------------------------------------------------

    def _locate(self, scene_pos):
        for layer, p in enumerate(getattr(self, "plots", [])):
            if p.sceneBoundingRect().contains(scene_pos):
                q = p.vb.mapSceneToView(scene_pos)
                c, r = int(math.floor(q.x())), int(math.floor(q.y()))
                rows, cols = self.grids[layer]
                if not (0 <= r < rows and 0 <= c < cols):
                    return None
                k = r * cols + c if layer == 0 else c * rows + r
                return (layer, k) if k < self.sizes[layer] else None
        if hasattr(self, "out_plot") and self.out_plot.sceneBoundingRect().contains(scene_pos):
            q = self.out_plot.vb.mapSceneToView(scene_pos)
            k = int(round(q.x()))
            if 0 <= k < self.sizes[-1]:
                return len(self.sizes) - 1, k
        return None

    def _on_hover(self, pos):
        hit = self._locate(pos)
        if hit is None or not self._shown:
            return
        layer, k = hit
        v = self._shown[layer][k]
        if layer == 0:
            r, c = divmod(k, self.image_shape[1])
            self.info.setText(f"input pixel (row {r}, column {c}): {v:.3f}")
        else:
            kind = "pre-activation z" if self.show_pre else "activation"
            name = f" ({self.class_names[k]})" if layer == len(self.sizes) - 1 and self.task != SIGN else ""
            self.info.setText(f"layer {layer}, neuron {k}{name}: {kind} {v:.4f}")

    def _on_click(self, ev):
        hit = self._locate(ev.scenePos())
        if hit is not None and hit[0] >= 1:
            self.select_neuron(*hit)

    def displayed_activations(self) -> list[np.ndarray]:
        """What is drawn, one 1-D array per layer, input first."""
        return [a.copy() for a in self._shown]
