"""Convolution weights as pictures: each conv layer's kernels as small heatmaps, one per
filter × input channel (rows = filters, columns = channels), and for a dense layer after
flatten each neuron's weights as its C channel pictures (H×W each) — the layout the
weight panel uses for image-shaped tiles, one level up.

Layer numbers count activations (input = 0): layer L is ``layers[L − 1]`` and its
weights are ``weights[i]`` for the i-th layer with parameters. Levels are the weight
panel's: symmetric (0 is the neutral colour), per layer, weights and ΔW kept apart,
held by ``StableLevel`` so a weight keeps its colour while the range stays about the same.

``MosaicPlot`` (one mosaic image, optional colour bar, hover/click as (tile, row, col))
is shared with the feature-map view.
"""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, QRectF, QSignalBlocker, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSizePolicy, QStyle, QVBoxLayout, QWidget

from ...model.core.layers import parse_spec
from ..graphics.lut_image import LutImageItem, draw_heatmap, flag_overlay
from ..graphics.palettes import PALETTES, StableLevel, colormap, lookup_table
from ..graphics.plot_style import fit_title, lighten_plot, room_for_end_labels, skip_when_clean, style_image_plot
from ..graphics.redraw_memo import RedrawMemo
from ..graphics.scrolling import scrolling_column
from ..graphics.spares import add_plot, color_bar
from ..graphics.tiles import GAP, fit_grid, tile_at, tile_mosaic

pg.setConfigOptions(imageAxisOrder="row-major")

BACKGROUND = (235, 235, 235)
BOX = (330, 120)  # the dock's room a mosaic of single-channel tiles is wrapped for (fit_grid)
MAX_PX = 14  # screen pixels per value at most: a 3×3 kernel stays a kernel, not a poster
BAR_W = 50  # colour bar and its numbers
TITLE_H = 30
HINT = "Hover over a kernel to read its weights."  # also what the line says once the pointer leaves


def as_layers(layers):
    """``net.layers``, or the layer list of a spec (a dict)."""
    return parse_spec(layers)[1] if isinstance(layers, Mapping) else list(layers)


class MosaicPlot(pg.GraphicsLayoutWidget):
    """n equal tiles (h, w) in ONE LutImageItem, ``cols`` tiles a row (tiles.tile_mosaic),
    with a colour bar when given a palette's name. ``hovered`` / ``clicked`` (tile, row, col);
    ``unhovered``: the pointer left the tiles (off the mosaic or out of the widget)."""

    hovered = Signal(int, int, int)
    clicked = Signal(int, int, int)
    unhovered = Signal()

    def __init__(self, n: int, tile_h: int, tile_w: int, cols: int, lut, palette: str | None = None, title: str = "",
                 parent=None):
        super().__init__(parent)
        self.setBackground(BACKGROUND)
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)
        self.plot = add_plot(self, row=0, col=0)  # from the spares: a conv lesson lays out ~10 of these
        fit_title(self.plot)  # a long title wraps instead of widening the dock
        style_image_plot(self.plot)
        self.plot.setMouseEnabled(False, False)  # the scroll area scrolls; nothing zooms by accident
        self.image = LutImageItem(lut=lut)
        self.flags = pg.ImageItem()  # magenta over NaN/±inf, usually hidden
        self.flags.setVisible(False)
        self.box = pg.QtWidgets.QGraphicsRectItem()  # the selected value
        self.box.setPen(pg.mkPen(255, 190, 0, width=2.5, cosmetic=True))
        self.box.setZValue(3)
        self.box.setVisible(False)
        for item in (self.image, self.flags, self.box):
            self.plot.addItem(item)
        self.bar = None
        if palette is not None:
            self.bar = color_bar(palette, 12)
            self.bar.setImageItem(self.image)
            self.addItem(self.bar, row=0, col=1)
            self.ci.layout.setColumnFixedWidth(1, BAR_W - 4)
            room_for_end_labels(self.bar)
            lighten_plot(self.bar)
            skip_when_clean(self.bar)
        lighten_plot(self.plot)
        self._over = False  # the pointer is on a tile (``unhovered`` is due when it leaves)
        self.scene().sigMouseMoved.connect(self._moved)
        self.scene().sigMouseClicked.connect(lambda ev: self._emit(self.clicked, ev.scenePos()))
        self.configure(n, tile_h, tile_w, cols, lut, title)

    def configure(self, n: int, tile_h: int, tile_w: int, cols: int, lut, title: str = "") -> None:
        """Lay the plot out for another mosaic, as a new one would be (nothing drawn, nothing
        selected): a lesson switch re-uses the widgets (MosaicColumn.take) instead of making
        each again (~20 ms a plot)."""
        self.n, self.tile_h, self.tile_w, self.cols = n, tile_h, tile_w, cols
        self.rows = max(1, math.ceil(n / cols))
        self.mosaic_w, self.mosaic_h = cols * (tile_w + GAP) - GAP, self.rows * (tile_h + GAP) - GAP
        self.plot.setTitle(title, size="8pt")
        self.image.clear()
        self.image.setLookupTable(lut)
        self.flags.clear()
        self.flags.setVisible(False)
        self.box.setVisible(False)
        self.plot.vb.setRange(QRectF(0, 0, self.mosaic_w, self.mosaic_h), padding=0.02)

    def height_for(self, width: int) -> int:
        """The height that shows the mosaic as large as ``width`` allows (≤ MAX_PX a value)."""
        room = width - (BAR_W if self.bar is not None else 0) - 14
        scale = min(max(room, 10) / self.mosaic_w, MAX_PX)
        return max(int(self.mosaic_h * scale) + TITLE_H + 8, 60)

    def draw(self, tiles: np.ndarray, levels: tuple[float, float]) -> None:
        """tiles (n, h, w) float32 with fixed ``levels`` (lo, hi); NaN/±inf flagged magenta."""
        img = tile_mosaic(tiles, self.cols)
        bad = None if np.isfinite(tiles).all() else tile_mosaic((~np.isfinite(tiles)).astype(np.float32),
                                                                self.cols) == 1
        if levels[0] == -levels[1]:
            draw_heatmap(self.image, self.flags, img, levels[1], bad)
            return
        # one-sided levels (grey maps): draw_heatmap's steps with (lo, hi)
        self.image.setImage(img if bad is None else np.where(bad, np.float32(np.nan), img), levels=levels,
                            autoLevels=False)
        if bad is not None:
            self.flags.setImage(flag_overlay(bad), autoLevels=False)
        if self.flags.isVisible() != (bad is not None):
            self.flags.setVisible(bad is not None)

    def origin(self, tile: int) -> tuple[int, int]:
        """(y, x) of a tile's top-left pixel in the mosaic."""
        r, c = divmod(tile, self.cols)
        return r * (self.tile_h + GAP), c * (self.tile_w + GAP)

    def select(self, tile: int | None, row: int = 0, col: int = 0) -> None:
        """Outline one value (None: no outline)."""
        self.box.setVisible(tile is not None)
        if tile is not None:
            y, x = self.origin(tile)
            self.box.setRect(x + col, y + row, 1, 1)

    def locate(self, scene_pos):
        """(tile, row, col) under a scene position, or None."""
        if not self.plot.vb.sceneBoundingRect().contains(scene_pos):
            return None
        p = self.plot.vb.mapSceneToView(scene_pos)
        hit = tile_at(int(math.floor(p.y())), int(math.floor(p.x())), self.tile_h, self.tile_w, self.cols)
        return hit if hit is not None and hit[0] < self.n else None

    def _emit(self, signal, scene_pos):
        hit = self.locate(scene_pos)
        if hit is not None:
            signal.emit(*hit)
        return hit

    def _moved(self, scene_pos) -> None:
        over = self._emit(self.hovered, scene_pos) is not None
        if self._over and not over:
            self.unhovered.emit()
        self._over = over

    def leaveEvent(self, ev):
        super().leaveEvent(ev)
        if self._over:
            self._over = False
            self.unhovered.emit()

    def point(self, tile: int, row: int, col: int):
        """QPoint in this widget at the centre of one value, for real mouse events in tests."""
        y, x = self.origin(tile)
        return self.mapFromScene(self.plot.vb.mapViewToScene(QPointF(x + col + 0.5, y + row + 0.5)))

    def wheelEvent(self, ev):
        ev.ignore()  # to the scroll area around us


class MosaicColumn(QWidget):
    """A scrolling column of MosaicPlots whose heights follow the column's width. The column keeps
    the plots it made (``take``) for the next layout; the ones a layout does not use are hidden."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plots: list[MosaicPlot] = []
        self._made: list[MosaicPlot] = []  # every plot made here, in the column's order
        self.area = scrolling_column([], name="mosaicColumn")
        self.area.viewport().installEventFilter(self)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.area)

    def take(self, i: int, n: int, tile_h: int, tile_w: int, cols: int, lut, palette: str | None,
             title: str, connect) -> MosaicPlot:
        """The column's i-th plot laid out for a mosaic (MosaicPlot's arguments), made the first
        time. ``connect(plot)`` is called once, when it is made: its handlers stay for the
        plot's life, so they read what the plot shows now from the view (not from the call)."""
        if i < len(self._made):
            plot = self._made[i]
            plot.configure(n, tile_h, tile_w, cols, lut, title)
            return plot
        plot = MosaicPlot(n, tile_h, tile_w, cols, lut, palette, title)
        connect(plot)
        self._made.append(plot)
        self.area.widget().layout().insertWidget(i, plot)
        return plot

    def set_plots(self, plots) -> None:
        """Show ``plots`` (taken from this column, in order) and hide the rest."""
        self.plots = list(plots)
        used = set(map(id, self.plots))
        for p in self._made:
            p.setVisible(id(p) in used)
        self._fit()

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Resize:
            self._fit()
        return False

    def _fit(self):
        # the width less a scroll bar, whether it shows or not: sized to the viewport, the plots grew
        # when the bar went and shrank when it came, for ever (a narrow column at the edge of fitting)
        width = self.area.width() - self.area.style().pixelMetric(QStyle.PM_ScrollBarExtent)
        for p in self.plots:
            if p.height() != p.height_for(width):
                p.setFixedHeight(p.height_for(width))


class KernelGrid(QWidget):
    """objectName ``kernelGrid``: every conv layer's kernels and every dense-after-flatten
    layer's channel pictures, one MosaicPlot each (``plots``: layer -> MosaicPlot)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("kernelGrid")
        self.palette_name = "green-red"
        self.show_delta = False
        self._memo = RedrawMemo()
        self.layers: list = []
        self.plots: dict[int, MosaicPlot] = {}
        self._shape: dict[int, tuple[int, int, int, int]] = {}  # layer -> (units, C, h, w) of its tiles
        self._param: dict[int, int] = {}  # layer -> index into weights
        self._shown: dict[int, np.ndarray] = {}
        self._lv: dict[int, float] = {}
        self._levels: dict[int, tuple] = {}  # layer -> (weights' StableLevel, ΔW's)
        self._biases = None
        self._last = None  # (weights, update, biases, running) of the last show_weights
        self._layer_of: dict[int, int] = {}  # id(plot) -> the layer it draws
        self.legend = QLabel()
        self.legend.setStyleSheet("color: #444;")
        self.legend.setWordWrap(True)
        self.delta_box = QCheckBox("last change (ΔW)")
        self.delta_box.setToolTip("Show what the last iteration changed instead of the weights themselves")
        self.delta_box.toggled.connect(self.set_show_delta)
        top = QHBoxLayout()
        top.addWidget(self.legend, 1)
        top.addWidget(self.delta_box)
        self.info = QLabel(HINT)
        self.info.setObjectName("kernelInfo")
        self.info.setWordWrap(True)
        # two lines whatever the hover says: a label growing with its text would move the plots
        self.info.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)
        self.info.setFixedHeight(2 * self.info.fontMetrics().lineSpacing() + 2)
        self.column = MosaicColumn()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addWidget(self.info)
        lay.addWidget(self.column, 1)
        self._update_legend()

    # -- layout (once per architecture) ---------------------------------------------

    def set_layout(self, layers) -> None:
        """Build one mosaic per conv layer, per dense layer right after a flatten of maps and for a
        dense first layer on a picture input.
        ``layers``: ``net.layers`` or a spec."""
        self.layers = as_layers(layers)
        # a dense first layer reads the input picture (a dense model with batch norm lands here)
        image = tuple(layers.get("input_shape", ())) if isinstance(layers, Mapping) else ()
        self._memo.forget()
        self._shown, self._lv, self._shape, self._param, self._last = {}, {}, {}, {}, None
        self._levels, self._layer_of = {}, {}
        lut = lookup_table(self.palette_name)
        plots, p = {}, 0
        for L, layer in enumerate(self.layers, start=1):
            before = self.layers[L - 2] if L >= 2 else None
            if layer.type == "conv":
                f, c, k, _ = layer.weight_shape
                shape = (f, c, k, k)
                title = (f"layer {L} kernels: {f} filters" + (f" (rows) × {c} input channels (columns)" if c > 1
                                                               else "") + f", {k}×{k} each")
            elif layer.type == "dense" and before is not None and before.type == "flatten" \
                    and len(before.in_shape) == 3:
                c, h, w = before.in_shape
                shape = (layer.units, c, h, w)
                title = (f"into layer {L}: each neuron's weights as its {c} channel pictures "
                         f"({w} wide × {h} tall), rows = neurons" if c > 1 else
                         f"into layer {L}: each neuron's weights, {w} wide × {h} tall")
            elif layer.type == "dense" and L == 1 and len(image) == 3:
                c, h, w = image
                shape = (layer.units, c, h, w)
                title = (f"into layer 1: each neuron's {c * h * w} weights, {w} wide × {h} tall" if c == 1 else
                         f"into layer 1: each neuron's weights as its {c} channel pictures, rows = neurons")
            else:
                p += layer.weight_shape is not None
                continue
            n, c, h, w = shape
            # one channel: wrap the filters; a first layer's input-sized pictures get a square
            # box, as the dense lessons' weights do (in BOX, 16 digits were 1 pixel per weight)
            box = (BOX[0], BOX[0]) if L == 1 and layer.type == "dense" else BOX
            cols = c if c > 1 else fit_grid(n, h, w, *box)[1]
            plot = self.column.take(len(plots), n * c, h, w, cols, lut, self.palette_name, title, self._connect)
            self._layer_of[id(plot)] = L
            plots[L], self._shape[L], self._param[L] = plot, shape, p
            self._levels[L] = (StableLevel(robust=True, marks=True), StableLevel())  # weights, ΔW
            p += 1
        self.plots = plots
        self.column.set_plots(plots.values())

    def _connect(self, plot: MosaicPlot) -> None:
        """A new plot's handlers, for every layout it will show (``_layer_of``: the layer it draws now)."""
        plot.hovered.connect(lambda t, r, q: self._on_hover(self._layer_of[id(plot)], t, r, q))
        plot.unhovered.connect(lambda: self.info.setText(HINT))  # no reading of a kernel no longer pointed at

    def reset_levels(self) -> None:
        """Colour levels fitted afresh on the next frame (see WeightsStack.show_snapshot)."""
        for pair in self._levels.values():
            for level in pair:
                level.reset()

    # -- data (every frame) -------------------------------------------------------------

    def show_weights(self, weights, update=None, delta: bool | None = None, biases=None,
                     running: bool = False) -> None:
        """Draw ``weights`` (``net.weights``: one array per layer with parameters, PyTorch
        layouts) — or, in ΔW mode, ``update`` (same shapes; None: zeros, nothing changed yet).
        ``delta`` switches the mode (None: keep it); ``biases`` go into the hover text;
        ``running``: training runs, so a picture within half a colour step is kept."""
        if delta is not None and bool(delta) != self.show_delta:
            self.set_show_delta(delta, redraw=False)
        self._last = (weights, update, biases, running)
        self._biases = biases
        for L, plot in self.plots.items():
            i = self._param[L]
            src = weights[i] if not self.show_delta else (update[i] if update is not None else None)
            n, c, h, w = self._shape[L]
            a = (np.zeros(self._shape[L], np.float32) if src is None
                 else np.asarray(src, dtype=np.float32).reshape(n, c, h, w))  # dense: (units, C·H·W) → C, H, W
            self._shown[L] = a
            lv = self._lv[L] = self._levels[L][self.show_delta].update(a)
            if not self._memo.unchanged(f"L{L}", a, 2 * lv, (lv, self.show_delta), allow=running):
                plot.draw(a.reshape(n * c, h, w), (-lv, lv))
            self._memo.set_if_changed(f"bar{L}", (-lv, lv), plot.bar.setLevels)

    def set_show_delta(self, on: bool, redraw: bool = True) -> None:
        self.show_delta = bool(on)
        with QSignalBlocker(self.delta_box):
            self.delta_box.setChecked(self.show_delta)
        self._update_legend()
        if redraw and self._last is not None:
            self.show_weights(*self._last[:2], biases=self._last[2], running=self._last[3])

    def set_palette(self, name: str) -> None:
        self.palette_name = name if name in PALETTES else "green-red"
        for plot in self.plots.values():
            plot.bar.setColorMap(colormap(self.palette_name))  # the bar hands it to its image
        self._update_legend()

    def _update_legend(self):
        pos, neg = ("green", "red") if self.palette_name == "green-red" else ("blue", "orange")
        what = "change of each weight in the last iteration" if self.show_delta else "weights"
        self.legend.setText(f"{what}: <b>{pos}</b> positive, <b>{neg}</b> negative, dark = 0")

    # -- hover ------------------------------------------------------------------------------

    def hover_text_at(self, layer: int, unit: int, channel: int, row: int, col: int) -> str:
        """Text for one weight: conv layers name filter ``unit``, dense ones neuron ``unit``."""
        name = "ΔW" if self.show_delta else "weight"
        v = self._shown[layer][unit, channel, row, col]
        i = self._param[layer]
        bias = f"; bias {self._biases[i][unit]:+.4f}" if self._biases is not None else ""
        if self.layers[layer - 1].type == "conv":
            return (f"layer {layer}, filter {unit}, channel {channel}: {name} {v:+.4f} "
                    f"at row {row}, column {col}{bias}")
        return (f"layer {layer}, neuron {unit}: {name} {v:+.4f} from channel {channel}, row {row}, "
                f"column {col} of layer {layer - 2}'s maps{bias}")

    def _on_hover(self, layer, tile, row, col):
        if layer in self._shown:
            unit, channel = divmod(tile, self._shape[layer][1])
            self.info.setText(self.hover_text_at(layer, unit, channel, row, col))

    # -- for tests and tools -------------------------------------------------------------

    def view_point(self, layer: int, unit: int, channel: int, row: int, col: int):
        """(widget, QPoint) at the centre of one weight, for a real mouse event."""
        plot = self.plots[layer]
        return plot, plot.point(unit * self._shape[layer][1] + channel, row, col)

    def displayed(self) -> dict[int, np.ndarray]:
        """What is drawn (ΔW when that is on), layer -> (filters or units, C, h, w)."""
        return {L: a.copy() for L, a in self._shown.items()}

    def levels(self) -> dict[int, float]:
        """Per drawn layer, L of the symmetric levels (−L, L) in use."""
        return dict(self._lv)
