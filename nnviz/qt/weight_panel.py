"""Weight heatmaps: each first-layer neuron's incoming weights in the input's shape,
deeper layers as matrices; symmetric, stable levels so 0 is always the neutral colour.

Layer numbers count activations (input = 0): neuron k of layer i+1 is row k of
``weights[i]``. One ImageItem draws the whole first-layer mosaic, so a refresh
while training is a handful of ``setImage`` calls, never a rebuild.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from .palettes import PALETTES, StableLevel, colormap, lookup_table, set_if_changed, style_image_plot

pg.setConfigOptions(imageAxisOrder="row-major")

GAP = 1  # pixels of background between tiles


def mosaic_grid(n: int, tile_h: int, tile_w: int) -> tuple[int, int]:
    """(rows, cols) of tiles: roughly square on screen."""
    cols = max(1, math.ceil(math.sqrt(n * tile_h / max(tile_w, 1))))
    return math.ceil(n / cols), cols


class WeightPanel(QWidget):
    """objectName ``weightPanel``."""

    neuronSelected = Signal(int, int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("weightPanel")
        self.palette_name = "green-red"
        self.show_delta = False
        self._needs_range = True
        self.sizes: list[int] = []
        self.image_shape = (1, 1)
        self.class_names: tuple[str, ...] = ()
        self._snapshot = None
        self._shown: list[np.ndarray] = []
        self._levels: list[StableLevel] = []
        self._delta_levels: list[StableLevel] = []
        self._selected = None
        self._biases: list[np.ndarray] = []

        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground((235, 235, 235))
        self.info = QLabel("Hover over a weight to read it; click a neuron to enlarge it.")
        self.info.setObjectName("weightInfo")
        self.info.setWordWrap(True)
        self.delta_box = QCheckBox("show last change (ΔW)")
        self.delta_box.setToolTip("Show what the last iteration changed instead of the weights themselves")
        self.delta_box.toggled.connect(self.set_show_delta)
        self.legend = QLabel()
        self.legend.setStyleSheet("color: #444;")
        top = QHBoxLayout()
        top.addWidget(self.legend, 1)
        top.addWidget(self.delta_box)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        self.matrix_view = pg.GraphicsLayoutWidget()
        self.matrix_view.setBackground((235, 235, 235))
        self.detail_view = pg.GraphicsLayoutWidget()
        self.detail_view.setBackground((235, 235, 235))
        self.detail_view.setFixedHeight(130)
        bottom = QHBoxLayout()
        bottom.addWidget(self.info, 1)
        bottom.addWidget(self.detail_view, 1)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.matrix_view)
        lay.addLayout(bottom)
        for v in (self.view, self.matrix_view):
            v.scene().sigMouseMoved.connect(lambda pos, v=v: self._on_hover(pos, v))
            v.scene().sigMouseClicked.connect(lambda ev, v=v: self._on_click(ev, v))
        self._update_legend()

    # -- layout (once per architecture) ---------------------------------------------

    def set_layout(self, sizes, image_shape, class_names) -> None:
        self.sizes, self.image_shape, self.class_names = list(sizes), tuple(image_shape), tuple(class_names)
        n_layers = len(sizes) - 1
        self._levels = [StableLevel() for _ in range(n_layers)]
        self._delta_levels = [StableLevel() for _ in range(n_layers)]
        self._selected = None
        self._shown = []
        self._needs_range = True
        self._last_set = {}  # new items: nothing has been set on them yet
        self.view.clear()
        self.matrix_view.clear()
        self.matrix_view.setFixedHeight(115 * (n_layers - 1))
        self.matrix_view.setVisible(n_layers > 1)
        lut = lookup_table(self.palette_name)
        h, w = self.image_shape
        n = sizes[1]
        self.grid_rows, self.grid_cols = mosaic_grid(n, h, w)
        # first layer mosaic
        self.mosaic_plot = self.view.addPlot(row=0, col=0)
        self.mosaic_plot.setTitle(f"layer 1: {n} neurons, each one's {h * w} weights "
                                  f"as a {h}×{w} image", size="9pt")
        style_image_plot(self.mosaic_plot)
        self.mosaic = pg.ImageItem(lut=lut)
        self.mosaic_plot.addItem(self.mosaic)
        self.select_box = pg.QtWidgets.QGraphicsRectItem()
        self.select_box.setPen(QPen(pg.mkColor(255, 215, 0), 0.25 if h * w > 12 else 0.08))
        self.select_box.setVisible(False)
        self.mosaic_plot.addItem(self.select_box)
        self.mosaic_bar = pg.ColorBarItem(colorMap=colormap(self.palette_name), interactive=False, width=12)
        self.mosaic_bar.setImageItem(self.mosaic)
        self.view.addItem(self.mosaic_bar, row=0, col=1)
        self.bars = [self.mosaic_bar]
        # deeper layers as matrices, stacked under the mosaic (they are wide, not tall)
        self.matrices, self.matrix_plots = [], []
        for i in range(1, n_layers):
            p = self.matrix_view.addPlot(row=i - 1, col=0)
            style_image_plot(p, axes=True)
            p.hideAxis("bottom")
            p.setMaximumHeight(100)  # the first layer's mosaic gets the room
            last = i == n_layers - 1
            p.setTitle(f"layer {i + 1}: rows = {sizes[i + 1]} {'classes' if last else 'neurons'}, "
                       f"columns = {sizes[i]} inputs from layer {i}", size="9pt")
            if last and len(self.class_names) == sizes[-1] and sizes[-1] > 1:
                p.getAxis("left").setTicks([[(k + 0.5, name) for k, name in enumerate(self.class_names)]])
            img = pg.ImageItem(lut=lut)
            p.addItem(img)
            bar = pg.ColorBarItem(colorMap=colormap(self.palette_name), interactive=False, width=8)
            bar.setImageItem(img, insert_in=p)
            self.bars.append(bar)
            self.matrices.append(img)
            self.matrix_plots.append(p)
        # the selected neuron, enlarged, in its own small view beside the hover text
        self.detail_view.clear()
        self.detail_plot = self.detail_view.addPlot()
        style_image_plot(self.detail_plot)
        self.detail_plot.setTitle("click a neuron", size="9pt")
        self.detail = pg.ImageItem(lut=lut)
        self.detail_plot.addItem(self.detail)
        if self._snapshot is not None and tuple(self._snapshot.sizes) == tuple(self.sizes):
            self.show_snapshot(self._snapshot)

    def resizeEvent(self, ev):
        # fit again once the new size is laid out (aspect-locked views keep stale ranges)
        super().resizeEvent(ev)
        self._needs_range = True
        if self._snapshot is not None:
            from PySide6.QtCore import QTimer

            QTimer.singleShot(0, lambda: self._snapshot is not None and self.show_snapshot(self._snapshot))

    # -- data (every frame) ------------------------------------------------------------

    def show_snapshot(self, snap) -> None:
        self._snapshot = snap
        if not self.sizes or tuple(snap.sizes) != tuple(self.sizes):
            return
        if self.show_delta:
            src = snap.update_w or tuple(np.zeros_like(w) for w in snap.weights)
            levels = self._delta_levels
        else:
            src = snap.weights
            levels = self._levels
        self._biases = list(snap.biases)
        h, w = self.image_shape
        n = self.sizes[1]
        first = np.asarray(src[0], dtype=np.float32).reshape(n, h, w)
        self._shown = [first] + [np.asarray(m, dtype=np.float32) for m in src[1:]]
        self._lv = [levels[i].update(a) for i, a in enumerate(self._shown)]
        self.mosaic.setImage(self._mosaic(first), levels=(-self._lv[0], self._lv[0]), autoLevels=False)
        set_if_changed(self, "bar0", (-self._lv[0], self._lv[0]), self.mosaic_bar.setLevels)
        for i, (img, m) in enumerate(zip(self.matrices, self._shown[1:]), start=1):
            img.setImage(m, levels=(-self._lv[i], self._lv[i]), autoLevels=False)
            set_if_changed(self, f"bar{i}", (-self._lv[i], self._lv[i]), self.bars[i].setLevels)
        if self._needs_range:
            # fit each view to its image once per layout; later frames keep the user's zoom
            self._needs_range = False
            self.mosaic_plot.disableAutoRange()
            self.mosaic_plot.vb.autoRange(items=[self.mosaic], padding=0.02)
            for p, img in zip(self.matrix_plots, self.matrices):
                p.disableAutoRange()
                p.vb.autoRange(items=[img], padding=0.02)
        self._update_detail()

    def _mosaic(self, tiles: np.ndarray) -> np.ndarray:
        n, h, w = tiles.shape
        R, C = self.grid_rows, self.grid_cols
        out = np.full((R * (h + GAP) - GAP, C * (w + GAP) - GAP), np.nan, dtype=np.float32)
        for k in range(n):
            r, c = divmod(k, C)
            out[r * (h + GAP):r * (h + GAP) + h, c * (w + GAP):c * (w + GAP) + w] = tiles[k]
        return out

    def tile_origin(self, neuron: int) -> tuple[int, int]:
        """(y, x) of a neuron's tile's top-left corner in mosaic pixels."""
        h, w = self.image_shape
        r, c = divmod(neuron, self.grid_cols)
        return r * (h + GAP), c * (w + GAP)

    def _update_detail(self):
        if self._selected is None or not self._shown:
            return
        layer, k = self._selected
        what = "ΔW" if self.show_delta else "weights"
        if layer == 1:
            self.detail.setImage(self._shown[0][k], levels=(-self._lv[0], self._lv[0]), autoLevels=False)
            set_if_changed(self, "detail_fit", (layer, k, self.detail.image.shape),
                           lambda _: self.detail_plot.vb.autoRange(items=[self.detail], padding=0.02))
            b = self._biases[0][k]
            set_if_changed(self, "title", f"neuron {k} of layer 1: {what}, bias {b:+.3f}",
                           lambda t: self.detail_plot.setTitle(t, size="9pt"))
        else:
            row = self._shown[layer - 1][k][None, :]
            self.detail.setImage(row, levels=(-self._lv[layer - 1], self._lv[layer - 1]), autoLevels=False)
            set_if_changed(self, "detail_fit", (layer, k, self.detail.image.shape),
                           lambda _: self.detail_plot.vb.autoRange(items=[self.detail], padding=0.02))
            set_if_changed(self, "title", f"neuron {k} of layer {layer}: {what} from layer {layer - 1}, "
                                          f"bias {self._biases[layer - 1][k]:+.3f}",
                           lambda t: self.detail_plot.setTitle(t, size="9pt"))

    # -- interaction ------------------------------------------------------------------

    def select_neuron(self, layer: int, neuron: int) -> None:
        if layer < 1 or layer >= len(self.sizes) or not 0 <= neuron < self.sizes[layer]:
            return
        self._selected = (layer, neuron)
        if layer == 1:
            y, x = self.tile_origin(neuron)
            h, w = self.image_shape
            self.select_box.setRect(x - 0.5, y - 0.5, w + 1, h + 1)
            self.select_box.setVisible(True)
        else:
            self.select_box.setVisible(False)
        self._update_detail()
        self.neuronSelected.emit(layer, neuron)

    def selected_neuron(self):
        return self._selected

    def set_show_delta(self, on: bool) -> None:
        self.show_delta = bool(on)
        if self.delta_box.isChecked() != self.show_delta:
            self.delta_box.setChecked(self.show_delta)
        self._update_legend()
        if self._snapshot is not None:
            self.show_snapshot(self._snapshot)

    def set_palette(self, name: str) -> None:
        self.palette_name = name if name in PALETTES else "green-red"
        lut = lookup_table(self.palette_name)
        if self.sizes:
            for img in [self.mosaic, self.detail, *self.matrices]:
                img.setLookupTable(lut)
            for bar in self.bars:
                bar.setColorMap(colormap(self.palette_name))
        self._update_legend()

    def _update_legend(self):
        pos, neg = ("green", "red") if self.palette_name == "green-red" else ("blue", "orange")
        what = "change in each weight during the last iteration" if self.show_delta else "weights"
        self.legend.setText(f"{what}: <b>{pos}</b> positive, <b>{neg}</b> negative, dark = 0")

    def hover_text_at(self, layer: int, neuron: int, row: int, col: int | None = None) -> str:
        """Text for one weight. layer ≥ 1; for layer 1 (row, col) is the input pixel;
        deeper layers: ``row`` is the from-neuron."""
        name = "ΔW" if self.show_delta else "weight"
        if layer == 1:
            v = self._shown[0][neuron, row, col]
            return (f"layer 1, neuron {neuron}: {name} {v:+.4f} from input pixel (row {row}, column {col}); "
                    f"bias {self._biases[0][neuron]:+.4f}")
        v = self._shown[layer - 1][neuron, row]
        to = (f"class {self.class_names[neuron]}" if layer == len(self.sizes) - 1 and self.class_names
              and len(self.class_names) == self.sizes[-1] else f"neuron {neuron}")
        return f"layer {layer}, {to}: {name} {v:+.4f} from neuron {row} of layer {layer - 1}"

    def _locate(self, scene_pos, source=None):
        """(layer, neuron, row, col) under a position in ``source``'s scene, or None."""
        if not self._shown:
            return None
        source = source or self.view
        if source is self.view and self.mosaic_plot.sceneBoundingRect().contains(scene_pos):
            p = self.mosaic_plot.vb.mapSceneToView(scene_pos)
            x, y = int(math.floor(p.x())), int(math.floor(p.y()))
            h, w = self.image_shape
            r, rr = divmod(y, h + GAP)
            c, cc = divmod(x, w + GAP)
            k = r * self.grid_cols + c
            if y >= 0 and x >= 0 and rr < h and cc < w and c < self.grid_cols and k < self.sizes[1]:
                return 1, k, rr, cc
            return None
        for i, p in enumerate(self.matrix_plots, start=2):
            if source is self.matrix_view and p.sceneBoundingRect().contains(scene_pos):
                q = p.vb.mapSceneToView(scene_pos)
                x, y = int(math.floor(q.x())), int(math.floor(q.y()))
                m = self._shown[i - 1]
                if 0 <= y < m.shape[0] and 0 <= x < m.shape[1]:
                    return i, y, x, None
        return None

    def _on_hover(self, pos, source=None):
        hit = self._locate(pos, source)
        if hit is not None:
            self.info.setText(self.hover_text_at(*hit))

    def _on_click(self, ev, source=None):
        hit = self._locate(ev.scenePos(), source)
        if hit is not None:
            self.select_neuron(hit[0], hit[1])

    # -- for tests and tools -------------------------------------------------------------

    def displayed_weights(self) -> list[np.ndarray]:
        """What is drawn: first layer (neurons, height, width), deeper ones (to, from)."""
        return [a.copy() for a in self._shown]

    def levels(self) -> list[float]:
        return list(self._lv) if self._shown else []
