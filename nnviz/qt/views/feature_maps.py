"""Feature maps: each conv / pool / batch-norm layer's output for one input, one small grey picture
per channel, live while painting and while training; a flatten of maps is one strip of its values
(so every layer number named in the conv views has a picture).

Layer numbers count activations (input = 0): layer L is ``layers[L − 1]`` and its maps
are ``activations[L]`` of the forward pass. Each layer is ONE MosaicPlot (one ImageItem
holding all its channels), built on ``set_layout`` and redrawn in place, so
``show_maps`` costs one ``setImage`` per layer that changed — cheap enough for every frame.

Levels: ReLU maps run from black (0) to white at the layer's largest value (a
StableLevel, shared by the layer's channels so they compare), sigmoid maps 0..1; signed
maps (tanh, linear, and the activations that go below 0: leaky ReLU, ELU, GELU, SiLU) use
the diverging palette around 0. A pooling layer reads like the layer before it.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import QPainterPath
from PySide6.QtWidgets import QGraphicsPathItem, QLabel, QSizePolicy, QVBoxLayout, QWidget

from ..graphics.palettes import GRAY, StableLevel, lookup_table
from ..graphics.redraw_memo import RedrawMemo
from ..graphics.tiles import fit_grid
from .health_legend import DEAD_RGBA, SATURATED_RGBA
from .kernel_grid import MosaicColumn, MosaicPlot, as_layers

BOX = (330, 150)  # the room a layer's channels are laid out for (fit_grid): wide rows in a narrow dock
SIGNED = ("tanh", "linear", "leaky_relu", "elu", "gelu", "silu")  # maps with negative values
#: the longest line hovering writes (hover_text_at), for the label's height
LONGEST_HOVER = "layer 10 (flatten), value 1023 = layer 9's map 15, row 23, column 23: -0.0000"
PATCH_PEN = pg.mkPen(0, 170, 255, width=2, cosmetic=True)  # the patch the next layer reads


def flatten_layer(layers, layer: int) -> bool:
    """True when layer ``layer`` (counting activations) flattens maps into one vector: drawn as a
    strip, so the layer numbers shown run on without a gap (1, 2, 3 = flatten, 4 = dense)."""
    lay = layers[layer - 1]
    return lay.type == "flatten" and len(lay.in_shape) == 3


def units_layer(layers, layer: int) -> bool:
    """True when layer ``layer`` is a hidden layer of units (dense, or a batch norm of a vector)
    after the maps: drawn as a strip of its activations, as the flatten is, so a model with hidden
    dense layers (32 → 16 before its 10 answers) shows every layer. The output is the answer's."""
    lay = layers[layer - 1]
    return layer < len(layers) and len(lay.out_shape) == 1 and lay.type in ("dense", "batchnorm")


def strip_thickness(n: int) -> int:
    """Rows the flatten strip repeats its n values over: about a 16th of its length, so it is
    drawn as a bar ~20 pixels thick rather than a hairline (the repeats are one value each)."""
    return max(2, n // 16)


def map_function(layers, layer: int) -> str:
    """The activation function whose output layer ``layer``'s maps show (pooling: the one before)."""
    for lay in reversed(layers[:layer]):
        if lay.activation is not None:
            return lay.activation
    return "linear"  # pooling the raw input


def _what(layer) -> str:
    """A map layer's kind for its title: ``conv 8@3×3``, ``max-pool 2×2``, ``batch norm, relu``."""
    if layer.type == "conv":
        return f"conv {layer.filters}@{layer.kernel}×{layer.kernel}"
    if layer.type == "batchnorm":
        return "batch norm" + ("" if layer.activation == "linear" else f", {layer.activation}")
    if layer.type == "dense":
        return "dense" + ("" if layer.activation == "linear" else f", {layer.activation}")
    return f"{layer.type[:3]}-pool {layer.size}×{layer.size}"


class FeatureMaps(QWidget):
    """objectName ``featureMaps``; ``plots``: layer -> MosaicPlot (tile = channel)."""

    pixelClicked = Signal(int, int, int, int)  # (layer, channel, row, col), layer counts activations

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("featureMaps")
        self.palette_name = "green-red"
        self._memo = RedrawMemo()
        self.layers: list = []
        self.plots: dict[int, MosaicPlot] = {}
        self.strips: dict[int, MosaicPlot] = {}  # flatten layer -> its one-row strip (not selectable)
        self._shown: dict[int, np.ndarray] = {}
        self._strip_shown: dict[int, np.ndarray] = {}  # flatten layer -> (n,) drawn
        self._layer_of: dict[int, int] = {}  # id(plot) -> the layer it draws
        self._levels: dict[int, StableLevel] = {}
        self._selected = None
        self._read = None  # (layer, channel, row, col) the line above the maps reads: hovered or selected
        self._outline = None  # (layer, QGraphicsPathItem) of the patch shown on a layer's maps
        self._rims: list = []  # (plot, item) of the health rims drawn (dead / saturated channels)
        self.flagged: dict[int, dict[str, list[int]]] = {}  # layer -> {"dead": [channels], "saturated": …}
        self._hint = "Hover over a feature map to read it; click a pixel to see how it is made."
        self.info = QLabel(self._hint)
        self.info.setObjectName("featureMapInfo")
        self.info.setWordWrap(True)
        self.info.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)  # hovering never moves the maps
        self.info.setFixedHeight(2 * self.info.fontMetrics().lineSpacing() + 2)
        self.column = MosaicColumn()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.info)
        lay.addWidget(self.column, 1)

    def show_hint(self, text: str) -> None:
        """The sentence shown until the learner hovers (and again when the pointer leaves with
        no pixel selected); the label is as tall as it needs."""
        self._hint = text
        self.info.setText(text)
        self._fit_info()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_info()

    def _fit_info(self) -> None:
        """The label's height for the column's width: enough for the hint and for the longest
        hover line, so hovering never moves the maps, and nothing is cut off in a narrow
        column (~150 px on a 1280×720 screen)."""
        fm, width = self.info.fontMetrics(), max(40, self.info.width())
        texts = (self.info.text(), LONGEST_HOVER)
        lines = max(fm.boundingRect(QRect(0, 0, width, 10_000), Qt.TextWordWrap, t).height() // fm.lineSpacing()
                    for t in texts)
        self.info.setFixedHeight(max(2, lines) * fm.lineSpacing() + 2)

    def set_layout(self, layers) -> None:
        """One mosaic per layer with maps (conv, pooling, batch norm); ``layers``: ``net.layers``
        or a spec."""
        self.show_patch(None)  # the plots are kept for the new layout: nothing of the old one drawn on them
        self.show_health({})
        self.layers = as_layers(layers)
        self._memo.forget()
        self._shown, self._levels, self._selected, self._read = {}, {}, None, None
        self._levels_used: dict[int, tuple] = {}  # layer -> (lo, hi) its maps were drawn with
        self.info.setText(self._hint)  # no reading of the previous layout's pixels
        plots, strips, column = {}, {}, []
        self._strip_shown, self._layer_of = {}, {}

        def take(L, n, h, w, cols, signed, title):
            plot = self.column.take(len(column), n, h, w, cols, lookup_table(self.palette_name) if signed else GRAY,
                                    None, title, self._connect)
            self._layer_of[id(plot)] = L
            column.append(plot)
            return plot

        for L, layer in enumerate(self.layers, start=1):
            if flatten_layer(self.layers, L):
                n = int(np.prod(layer.in_shape))
                signed = map_function(self.layers, L) in SIGNED
                title = f"layer {L}: flatten → layer {L - 1}'s {n} values in one row, map after map"
                strips[L] = take(L, 1, strip_thickness(n), n, 1, signed, title)
                continue
            if units_layer(self.layers, L):
                n = layer.out_shape[0]
                signed = map_function(self.layers, L) in SIGNED
                strips[L] = take(L, 1, strip_thickness(n), n, 1, signed, f"layer {L}: {_what(layer)} → {n} units")
                self._levels[L] = StableLevel()
                continue
            if len(layer.out_shape) != 3:  # conv, pooling, batch norm after a conv: maps
                continue
            c, h, w = layer.out_shape
            what = _what(layer)
            title = f"layer {L}: {what} → {c} maps, {w} wide × {h} tall"
            signed = map_function(self.layers, L) in SIGNED
            plots[L] = take(L, c, h, w, fit_grid(c, h, w, *BOX)[1], signed, title)
            self._levels[L] = StableLevel()
        self.plots, self.strips = plots, strips
        self.column.set_plots(column)

    def _connect(self, plot: MosaicPlot) -> None:
        """A new plot's handlers, for every layout it will show: a strip reads a value (no channel,
        nothing to select), a layer's maps a pixel (``_layer_of``: the layer it draws now)."""
        def hovered(t, r, q):
            L = self._layer_of[id(plot)]
            if L in self.strips:
                t, r = 0, 0  # the strip's one tile and row: its column is the value
            self._on_hover(L, t, r, q)

        def clicked(t, r, q):
            L = self._layer_of[id(plot)]
            if L in self.plots:
                self.select_pixel(L, t, r, q)
        plot.hovered.connect(hovered)
        plot.unhovered.connect(self._on_unhover)
        plot.clicked.connect(clicked)

    # -- data (every frame) -------------------------------------------------------------

    def show_maps(self, activations, running: bool = False) -> None:
        """Draw every conv / pool layer's maps. ``activations``: the forward pass of ONE input,
        input first (``net.forward(x[None])`` or ``forward_full``'s second list): activations[L]
        (1, C, H, W) or (C, H, W). ``running``: training runs, so a layer within half a grey
        step of the picture shown is left alone (no new image, no repaint)."""
        for L, plot in self.plots.items():
            shape = self.layers[L - 1].out_shape
            a = np.asarray(activations[L], dtype=np.float32).reshape(shape)
            self._shown[L] = a
            f = map_function(self.layers, L)
            if f in SIGNED:
                top = self._levels[L].update(a)
                levels = (-top, top)
            else:
                levels = (0.0, 1.0 if f == "sigmoid" else self._levels[L].update(a))
            if not self._memo.unchanged(f"L{L}", a, levels[1] - levels[0], levels, allow=running):
                plot.draw(a, levels)
            self._levels_used[L] = levels
        for L, strip in self.strips.items():
            v = np.asarray(activations[L], dtype=np.float32).reshape(-1)
            self._strip_shown[L] = v
            if L in self._levels:  # a layer of units: its own level, as a map's
                f = map_function(self.layers, L)
                top = self._levels[L].update(v)
                levels = (-top, top) if f in SIGNED else (0.0, 1.0 if f == "sigmoid" else top)
            else:  # the maps' own values, so the same colours as the layer it flattens
                levels = self._levels_used.get(L - 1, (0.0, max(float(v.max(initial=0.0)), 1e-6)))
            if not self._memo.unchanged(f"S{L}", v, levels[1] - levels[0], levels, allow=running):
                strip.draw(np.broadcast_to(v, (1, strip.tile_h, v.size)), levels)
        self._read_out()  # the value read above the maps is this frame's, not the one hovered earlier

    # -- hover, click, selection ----------------------------------------------------------

    def hover_text_at(self, layer: int, channel: int, row: int, col: int) -> str:
        """A map pixel's value; for a flatten strip (``col`` = the index in the vector) which map
        pixel of the layer before it is."""
        if layer in self.strips and units_layer(self.layers, layer):
            kind = self.layers[layer - 1].type
            return f"layer {layer} ({kind}), unit {col}: {self._strip_shown[layer][col]:.4f}"
        if layer in self.strips:
            c, h, w = self.layers[layer - 1].in_shape
            src_c, rest = divmod(col, h * w)
            return (f"layer {layer} (flatten), value {col} = layer {layer - 1}'s map {src_c}, row {rest // w}, "
                    f"column {rest % w}: {self._strip_shown[layer][col]:.4f}")
        v = self._shown[layer][channel, row, col]
        kind = self.layers[layer - 1].type
        return f"layer {layer} ({kind}), channel {channel}, row {row}, column {col}: {v:.4f}"

    def _on_hover(self, layer, channel, row, col):
        if layer in self._shown or layer in self._strip_shown:
            self._read = (layer, channel, row, col)
            self._read_out()

    def _on_unhover(self) -> None:
        """The pointer left the maps: the line reads the selected pixel again, or the hint."""
        self._read = self._selected
        if self._read is None:
            self.info.setText(self._hint)
        self._read_out()

    def _read_out(self) -> None:
        if self._read is not None and (self._read[0] in self._shown or self._read[0] in self._strip_shown):
            self.info.setText(self.hover_text_at(*self._read))

    def select_pixel(self, layer: int, channel: int, row: int, col: int, emit: bool = True) -> None:
        """Outline one pixel (the one whose making is shown) and emit ``pixelClicked``."""
        if layer not in self.plots:
            return
        self._selected = self._read = (layer, channel, row, col)
        self._read_out()
        for L, plot in self.plots.items():
            plot.select(channel if L == layer else None, row, col)
        if emit:
            self.pixelClicked.emit(layer, channel, row, col)

    def selected_pixel(self):
        """(layer, channel, row, col) of the selected pixel, or None."""
        return self._selected

    def show_patch(self, layer: int | None, rect=None, channel: int | None = None) -> None:
        """Outline ``rect`` (row0, col0, height, width) on every channel of layer ``layer``'s
        maps — the patch a pixel of the next conv layer reads (feature_pixel's ``rect``);
        ``layer`` None or not drawn here (e.g. 0, the input image): no outline. ``channel``: on that
        map only (a pooling window reads one channel), None: on all of them."""
        if self._outline is not None:
            self.plots[self._outline[0]].plot.removeItem(self._outline[1])
            self._outline = None
        if layer not in self.plots or rect is None:
            return
        plot = self.plots[layer]
        r0, c0, h, w = rect
        path = QPainterPath()
        for tile in range(plot.n) if channel is None else (channel,):  # a kernel reads every channel
            y, x = plot.origin(tile)
            path.addRect(x + c0, y + r0, w, h)
        item = QGraphicsPathItem(path)
        item.setPen(PATCH_PEN)
        item.setZValue(2)
        plot.plot.addItem(item)
        self._outline = (layer, item)

    def show_health(self, health: dict) -> set:
        """Rim the maps of channels that stopped learning, in the dense view's colours: ``health``
        maps a layer to its per-channel LayerHealth (``core.health.channel_health``); layers
        not in it get no rims. Returns the kinds on screen ({"dead", "saturated"}) for the legend."""
        flagged = {L: {"dead": np.flatnonzero(h.dead).tolist(), "saturated": np.flatnonzero(h.saturated).tolist()}
                   for L, h in health.items() if L in self.plots}
        flagged = {L: f for L, f in flagged.items() if f["dead"] or f["saturated"]}
        if flagged == self.flagged:
            return {k for f in flagged.values() for k, v in f.items() if v}
        for plot, item in self._rims:
            plot.plot.removeItem(item)
        self._rims, self.flagged = [], flagged
        for L, kinds in flagged.items():
            plot = self.plots[L]
            for kind, rgba in (("dead", DEAD_RGBA), ("saturated", SATURATED_RGBA)):
                if not kinds[kind]:
                    continue
                path = QPainterPath()
                for tile in kinds[kind]:
                    y, x = plot.origin(tile)
                    path.addRect(x - 0.5, y - 0.5, plot.tile_w + 1, plot.tile_h + 1)  # just outside the map
                item = QGraphicsPathItem(path)
                item.setPen(pg.mkPen(rgba[:3], width=2.5, cosmetic=True))
                item.setZValue(3)
                plot.plot.addItem(item)
                self._rims.append((plot, item))
        return {k for f in flagged.values() for k, v in f.items() if v}

    def set_palette(self, name: str) -> None:
        """The diverging palette of signed (tanh / linear) maps; ReLU and sigmoid maps stay grey."""
        self.palette_name = name
        for L, plot in (*self.plots.items(), *self.strips.items()):
            if map_function(self.layers, L) in SIGNED:
                plot.image.setLookupTable(lookup_table(name))

    # -- for tests and tools -------------------------------------------------------------

    def view_point(self, layer: int, channel: int, row: int, col: int):
        """(widget, QPoint) at the centre of one map pixel, for a real mouse event."""
        plot = self.plots[layer]
        return plot, plot.point(channel, row, col)

    def displayed(self) -> dict[int, np.ndarray]:
        """What is drawn, layer -> (C, H, W)."""
        return {L: a.copy() for L, a in self._shown.items()}

    def displayed_strips(self) -> dict[int, np.ndarray]:
        """The flatten strips drawn, layer -> (n,) values in order."""
        return {L: v.copy() for L, v in self._strip_shown.items()}
