"""The centre view for a convolution net: the painted input, every conv / pool / batch-norm
layer's feature maps, and how the selected feature-map pixel is made (CNN Explainer's
view) with the patch it reads outlined on the input or on the previous layer's maps. (The
answer is the editor's readout, beside it: the centre is short on a laptop screen.)

``NetworkStack`` switches between this view and the activation view (dense nets) by
``snap.is_mlp``, so the frame renderer sees one centre view.

Layer numbers count activations (input = 0): layer L is ``net.layers[L − 1]``. A frame
reuses every item: the maps are one ``setImage`` a layer, the breakdown is recomputed
from the frame's forward pass (``Frame.forward``, shared with the other views).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QSplitter, QStackedWidget, QVBoxLayout, QWidget

from ...model.analysis.feature_pixel import feature_pixel, field_rect, receptive_field
from ...model.core.health import channel_health
from ..graphics.lut_image import LutImageItem
from ..graphics.palettes import GRAY
from ..graphics.plot_style import fit_title, lighten_plot, style_image_plot
from ..graphics.redraw_memo import RedrawMemo, running_snapshot
from ..graphics.view_protocol import LessonView
from .activation_view import ActivationView
from .feature_maps import FeatureMaps, map_function
from .feature_pixel import FeaturePixelView, outline_patch
from .health_legend import HealthLegend
from .weights_stack import StackPage, conv_layout_key, show_page

pg.setConfigOptions(imageAxisOrder="row-major")

FIELD_PEN = pg.mkPen(255, 170, 0, width=2, style=Qt.DashLine, cosmetic=True)  # the whole receptive field
INPUT_W = 104  # the input's column beside the maps: a digit reads at ~90 pixels, the maps need the rest
#: two lines in the ~170 px the maps' column gets at 1366×768 (the longer wording was cut off)
HINT = "Click a pixel to see how it is made (dashed: all it sees)."
#: the same two, for a model with no maps (dense layers with batch norm): its layers are strips
UNITS_HINT = "Hover over a layer's strip to read one unit's value."
UNITS_NOTE = ("This model has no convolution: each strip is one layer's units, left to right (hover to "
              "read one). Each neuron's weights are pictures in the Weights panel.")
#: what the breakdown says until the learner picks a pixel
PIXEL_HINT = ("No pixel chosen yet. Click a pixel of a layer-1 map: here you will see the input patch "
              "under its kernel, the kernel, their products and the sum that makes the pixel.")


def input_map_shape(snap, dataset) -> tuple[int, int, int]:
    """(C, H, W) of the input picture: the spec's input shape, or for a stack that starts with a
    dense layer on a flat input (a dense model with batch norm) the lesson's image, one channel."""
    shape = tuple(snap.shapes[0]) if snap.shapes else ()
    return shape if len(shape) == 3 else (1, *dataset.image_shape)


def map_layer(layers, layer: int) -> bool:
    """True when layer ``layer`` (counting activations) has feature maps the view draws."""
    return 1 <= layer <= len(layers) and len(layers[layer - 1].out_shape) == 3


def pool_text(layers, acts, layer: int, channel: int, row: int, col: int) -> tuple[str, tuple]:
    """The sentence for a max- or average-pool pixel, and its window (row0, col0, h, w) on
    layer − 1's maps. ``acts``: the forward pass of one input, input first."""
    lay = layers[layer - 1]
    size = lay.size
    r0, c0 = row * size, col * size
    src = np.asarray(acts[layer - 1], dtype=np.float64).reshape(lay.in_shape)
    window = src[channel, r0:r0 + size, c0:c0 + size]
    value = float(np.asarray(acts[layer]).reshape(lay.out_shape)[channel, row, col])
    where = "the input" if layer == 1 else f"layer {layer - 1}'s map {channel}"
    values = ", ".join(f"{v:.3f}" for v in window.ravel())
    kind, fn, keeps = (("an average-pooling", "mean", "averages each window (a blur that keeps where a "
                        "response is, roughly)") if lay.type == "avgpool"
                       else ("a max-pooling", "max", "keeps each window's strongest response"))
    what = "the mean" if lay.type == "avgpool" else "the largest value"
    return (f"layer {layer}, channel {channel}, pixel (row {row}, column {col}) is {kind} pixel: "
            f"it is {what} of its {size}×{size} window — rows {r0}–{r0 + size - 1}, columns "
            f"{c0}–{c0 + size - 1} of {where} (outlined): {fn}({values}) = {value:.4f}.\n"
            f"Pooling has no weights and learns nothing; it {keeps}, "
            f"so the maps get {size}× smaller. Click a conv layer's pixel to see a kernel at work.",
            (r0, c0, size, size))


def norm_text(net, acts, layer: int, channel: int, row: int, col: int) -> tuple[str, tuple]:
    """The sentence for a batch-norm pixel (eval mode: its statistics are frozen in the model),
    and the one pixel (row, col, 1, 1) it reads on layer − 1's map ``channel``."""
    lay = net.layers[layer - 1]
    p = net._param_of[layer - 1]
    gamma = float(net.weights[p][channel])
    beta = float(net.biases[p][channel]) if net.bias else 0.0
    x = float(np.asarray(acts[layer - 1], dtype=np.float64).reshape(lay.in_shape)[channel, row, col])
    m, v = float(lay.mean[channel]), float(lay.var[channel])
    z = gamma * (x - m) / np.sqrt(v + lay.eps) + beta
    a = float(np.asarray(acts[layer]).reshape(lay.out_shape)[channel, row, col])
    where = "the input" if layer == 1 else f"layer {layer - 1}'s map {channel}"
    then = "" if lay.activation == "linear" else f", then {lay.activation}: {a:.4f}"
    return (f"layer {layer}, channel {channel}, pixel (row {row}, column {col}) is a batch-norm pixel: "
            f"γ·(x − mean)/√(var + ε) + β with x = {x:.4f} from {where} (outlined), the running mean "
            f"{m:.3f} and variance {v:.3f} frozen in the model, γ = {gamma:.3f}, β = {beta:.3f}: "
            f"{z:.4f}{then}.\nBatch norm rescales each whole map by its channel's own γ and β (the "
            "two numbers it learns); it reads only this one pixel, no neighbours.",
            (row, col, 1, 1))


class ConvNetworkView(LessonView, QWidget):
    """objectName ``convNetworkView``: ``input_image`` (LutImageItem), ``feature_maps``
    and ``pixel_view`` (FeaturePixelView)."""

    follows_input = True

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("convNetworkView")
        self._memo = RedrawMemo()
        self.layers: list = []
        self._layout_key = None
        self._selected = None  # (layer, channel, row, col) whose making is shown
        self._state = None  # (snapshot, zs, acts) last shown
        self._patch = None  # (map layer, rect) outlined now
        self.input_view = pg.GraphicsLayoutWidget()
        self.input_view.setBackground((245, 245, 245))
        self.input_view.setFixedSize(INPUT_W, INPUT_W + 22)  # + its title
        self.input_plot = self.input_view.addPlot(row=0, col=0, enableMenu=False)
        fit_title(self.input_plot)
        style_image_plot(self.input_plot)
        self.input_plot.setMouseEnabled(False, False)
        self.input_image = LutImageItem(lut=GRAY)
        self.input_plot.addItem(self.input_image)
        self.input_outline = outline_patch(self.input_image, None)
        # every input pixel the selected pixel depends on, through all the layers below it
        self.field_outline = outline_patch(self.input_image, None)
        self.field_outline.setPen(FIELD_PEN)
        self.field = None  # (rows, cols) of the selected pixel's receptive field on the input
        lighten_plot(self.input_plot)
        self.feature_maps = FeatureMaps()
        self.feature_maps.show_hint(HINT)
        self.feature_maps.setToolTip("A feature map: where its filter finds its pattern in the input "
                                     "(white = strongly, black = not at all)")
        self.feature_maps.pixelClicked.connect(self.select_pixel)
        self.health_legend = HealthLegend()  # dead / saturated channels: the dense view's rims and words
        self.feature_maps.layout().insertWidget(1, self.health_legend)
        # input → its maps, left to right (the centre is short on a laptop: the maps get its height)
        left = QWidget()
        ll = QHBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.setSpacing(2)
        ll.addWidget(self.input_view, 0, Qt.AlignTop)
        ll.addWidget(self.feature_maps, 1)
        self.pixel_view = FeaturePixelView()
        # the learner trades room between the maps and the breakdown
        self.splitter = QSplitter(Qt.Horizontal)
        for w in (left, self.pixel_view):
            self.splitter.addWidget(w)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([520, 480])  # relative: the breakdown's numbers need the width too
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.splitter, 1)

    # -- layout (once per lesson / architecture) ---------------------------------------------

    def set_layout(self, snap, dataset) -> None:
        self.feature_maps.set_layout(snap.spec)
        self.layers = self.feature_maps.layers
        self._memo.forget()
        self._patch = None
        outline_patch(self.input_image, None, self.input_outline)
        outline_patch(self.input_image, None, self.field_outline)
        self.field = None
        self.health_legend.show_kinds(())
        c, h, w = self._input_shape = input_map_shape(snap, dataset)
        self.input_plot.setTitle(f"input {w}×{h}", size="9pt")
        self.input_plot.vb.setRange(pg.QtCore.QRectF(0, 0, w, h), padding=0.02)
        # nothing selected until the learner clicks (a pixel chosen for them read as their own choice)
        self._selected = None
        maps = bool(self.feature_maps.plots)
        self.feature_maps.show_hint(HINT if maps else UNITS_HINT)
        self.pixel_view.show_note(PIXEL_HINT if maps else UNITS_NOTE)

    # -- the hooks -------------------------------------------------------------------------------

    def set_lesson(self, dataset) -> None:
        self._layout_key, self._state, self._selected = None, None, None

    def show_snapshot(self, snap, frame=None) -> None:
        if frame is None or snap.is_mlp:
            return
        key = conv_layout_key(snap, frame)
        if key != self._layout_key:
            self._layout_key = key
            self.set_layout(snap, frame.dataset)
        zs, acts = frame.forward
        if acts:
            self._state = (snap, zs, acts)
            self._draw(running_snapshot(snap) or frame.running)
        if frame.health is not None:
            self.show_health(frame.health)

    def show_health(self, health) -> None:
        """Dead / saturated channels rimmed on their maps: ``health`` is one per-pixel LayerHealth
        per hidden layer (the frame's, ``network_health``), judged per channel here."""
        per_channel = {L: channel_health(health[L - 1], self.layers[L - 1].out_shape, map_function(self.layers, L))
                       for L in self.feature_maps.plots if L - 1 < len(health)}
        self.health_legend.show_kinds(self.feature_maps.show_health(per_channel))

    def set_palette(self, name: str) -> None:
        self.feature_maps.set_palette(name)
        self.pixel_view.set_palette(name)

    # -- drawing ------------------------------------------------------------------------------------

    def _draw(self, running: bool) -> None:
        snap, _, acts = self._state
        x = np.asarray(acts[0], dtype=np.float32).reshape(self._input_shape)[0]
        if not self._memo.unchanged("input", x, 1.0, None, allow=running):
            self.input_image.setImage(x, levels=(0.0, 1.0), autoLevels=False)
        self.feature_maps.show_maps(acts, running)
        self._show_pixel(snap, acts, running)

    def _show_pixel(self, snap, acts, running: bool) -> None:
        if self._selected is None:
            return
        L, channel, row, col = self._selected
        self._outline_field(L, row, col)
        kind = self.layers[L - 1].type
        if kind == "conv":
            d = feature_pixel(snap.network(), acts[0][0], L, channel, row, col, activations=acts)
            self.pixel_view.show_pixel(d, running)
            self._outline(L - 1, d.rect)
            return
        if kind == "batchnorm":
            text, rect = norm_text(snap.network(), acts, L, channel, row, col)
        else:
            text, rect = pool_text(self.layers, acts, L, channel, row, col)
        if self._memo.text_due("pool", running):
            self.pixel_view.show_note(text)
        self._outline(L - 1, rect, channel)

    def _outline_field(self, layer: int, row: int, col: int) -> None:
        """Outline on the input every pixel the selected one depends on (dashed), when it reaches
        further than the patch the layer reads (any layer above the first)."""
        field = receptive_field(self.layers, layer, row, col)
        if self.field is not None and all(np.array_equal(a, b) for a, b in zip(field, self.field)):
            return
        self.field = field
        outline_patch(self.input_image, field_rect(*field) if layer > 1 else None, self.field_outline)

    def _outline(self, layer: int, rect, channel: int | None = None) -> None:
        """The patch the selected pixel reads, on the input (layer 0) or on a layer's maps (on
        map ``channel`` only for a pooling window; None: a kernel's patch, on every map)."""
        if self._patch == (layer, rect, channel):
            return
        self._patch = (layer, rect, channel)
        outline_patch(self.input_image, rect if layer == 0 else None, self.input_outline)
        self.feature_maps.show_patch(layer if layer > 0 else None, rect, channel)

    # -- selection ----------------------------------------------------------------------------------

    def select_pixel(self, layer: int, channel: int, row: int, col: int, draw: bool = True) -> bool:
        """Show how pixel (row, col) of channel ``channel`` of conv / pool layer ``layer`` is made;
        False (nothing changed) when there is no such pixel."""
        if not map_layer(self.layers, layer):
            return False
        channels, height, width = self.layers[layer - 1].out_shape
        if not (0 <= channel < channels and 0 <= row < height and 0 <= col < width):
            return False
        self._selected = (layer, channel, row, col)
        self.feature_maps.select_pixel(layer, channel, row, col, emit=False)
        self._memo.forget("pool")
        if draw and self._state is not None:
            self._show_pixel(self._state[0], self._state[2], running=False)
        return True

    def selected_pixel(self):
        """(layer, channel, row, col) whose making is shown, or None."""
        return self._selected


class NetworkStack(LessonView, QStackedWidget):
    """objectName ``networkStack``: the activation view (objectName ``activationView``) for
    dense nets, ``conv_view`` (ConvNetworkView) for convolution nets, by ``snap.is_mlp``.
    ``pixelPicked(layer, channel, row, col)``: the learner clicked a feature-map pixel."""

    follows_input = True
    pixelPicked = Signal(int, int, int, int)

    def __init__(self, activation_view: ActivationView | None = None, parent=None):
        super().__init__(parent)
        self.setObjectName("networkStack")
        self.activation_view = activation_view or ActivationView()
        self.pages = {True: StackPage(self.activation_view)}
        self.addWidget(self.pages[True])
        # the conv view is built when a conv net first shows (not at start-up), then told the rest
        self._conv, self._palette, self._dataset = None, None, None
        self._mlp = True

    @property
    def conv_view(self) -> ConvNetworkView:
        if self._conv is None:
            self._conv = view = ConvNetworkView()
            if self._palette is not None:
                view.set_palette(self._palette)
            view.set_lesson(self._dataset)
            view.feature_maps.pixelClicked.connect(self.pixelPicked)
            self.pages[False] = StackPage(view)
            self.addWidget(self.pages[False])
        return self._conv

    def current(self):
        return self.activation_view if self._mlp else self.conv_view

    def set_lesson(self, dataset) -> None:
        self._dataset = dataset
        self.activation_view.set_lesson(dataset)
        if self._conv is not None:
            self._conv.set_lesson(dataset)

    def show_snapshot(self, snap, frame=None) -> None:
        if snap.is_mlp != self._mlp:
            self._mlp = snap.is_mlp
            if not self._mlp:
                self.activation_view.set_lesson(None)  # nothing of its kind kept: it rebuilds on return
                _ = self.conv_view  # built now, the first time a conv net shows
            show_page(self, self.pages[self._mlp])
        self.current().show_snapshot(snap, frame)

    def select_neuron(self, layer: int, neuron: int) -> None:
        if self._mlp:
            self.activation_view.select_neuron(layer, neuron)

    def select_pixel(self, layer: int, channel: int, row: int, col: int) -> bool:
        """Show how a feature-map pixel is made (ConvNetworkView.select_pixel); False for a dense net."""
        return not self._mlp and self.conv_view.select_pixel(layer, channel, row, col)

    def set_palette(self, name: str) -> None:
        self._palette = name
        self.activation_view.set_palette(name)
        if self._conv is not None:
            self._conv.set_palette(name)
