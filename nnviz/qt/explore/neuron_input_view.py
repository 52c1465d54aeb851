"""The "What a neuron wants" tab.

Top: for the chosen neuron (click one in the weights or activations; by default the
output of the network's top answer), gradient ascent on the *pixels* — the weights
stay as they are — finds an input that lights the neuron up, starting from a blank
grid or from the learner's drawing: start → result, the activation before → after and
its climb step by step. "Load into editor" puts the result into the pixel grid.

Bottom: saliency of the drawing — which pixels, brightened, would raise the top
answer's score (green) or lower it (red), laid over the drawing.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QComboBox, QDoubleSpinBox, QFrame, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSizePolicy,
    QSpinBox, QToolTip, QVBoxLayout, QWidget,
)

from ...model.data.datasets import SIGN
from ...model.analysis.neuron_input import centre_unit, maximize, saliency, top_output
from .panel import ExplorePanel
from .unit_picker import UnitPicker, stack_units
from ..graphics.palettes import PALETTES, lookup_table, lut_index, symmetric_level
from ..graphics.pixmaps import rgb_pixmap
from ..graphics.plot_style import plain_axes

SIZE = 120  # pixels high of each picture
MAX_OVERLAY = 0.85  # opacity of the strongest saliency colour over the drawing
FRAME_W = 2


def gray_rgb(values: np.ndarray) -> np.ndarray:
    """(h, w) brightness in [0, 1] -> (h, w, 3) float RGB 0..255 (1 = white, as in the editor)."""
    v = np.clip(np.nan_to_num(np.asarray(values, dtype=np.float64)), 0, 1) * 255.0
    return np.repeat(v[..., None], 3, axis=2)


def overlay_rgb(drawing: np.ndarray, sal: np.ndarray, level: float, palette: str) -> np.ndarray:
    """The drawing (dimmed) under the saliency: each pixel tinted towards the palette's positive
    (green) or negative (red) end, more opaque the larger |saliency| / level. (h, w, 3) 0..255."""
    base = gray_rgb(drawing) * 0.6
    neg, _, pos = (np.array(c, dtype=np.float64) for c in PALETTES[palette])
    s = np.nan_to_num(np.asarray(sal, dtype=np.float64))
    alpha = (np.clip(np.abs(s) / max(level, 1e-12), 0, 1) ** 0.7 * MAX_OVERLAY)[..., None]
    tint = np.where((s > 0)[..., None], pos, neg)
    return base * (1 - alpha) + tint * alpha


def heat_rgb(values: np.ndarray, level: float, palette: str) -> np.ndarray:
    """(h, w) signed values -> (h, w, 3) in the diverging palette (dark = 0), as the weight heatmaps."""
    return lookup_table(palette)[lut_index(values, level)][..., :3].astype(np.float64)


class PixelPicture(QLabel):
    """An image of the input's shape, blown up with crisp cells; hovering shows each cell's
    numbers (``describe(row, col)`` -> text)."""

    def __init__(self, describe=None, parent=None):
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setAlignment(Qt.AlignCenter)
        self.setMinimumSize(SIZE // 2, SIZE)
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)
        self.shape = None
        self._rgb = self._drawn = None
        self.describe = describe

    def show_rgb(self, rgb: np.ndarray) -> None:
        self.shape, self._rgb = rgb.shape[:2], rgb
        self._render()

    def _render(self) -> None:
        """The picture at SIZE pixels high, or smaller when the label is narrower than that: three
        side by side must fit a narrow dock rather than widen it."""
        h, w = self.shape
        height = max(16, int(min(SIZE, self.width() * h / w))) if self.width() > 16 else SIZE
        pix = self.pixmap()
        if pix is None or pix.isNull() or pix.height() != height or self._drawn is not self._rgb:
            self._drawn = self._rgb
            self.setPixmap(rgb_pixmap(self._rgb, height, FRAME_W))

    def resizeEvent(self, event):
        super().resizeEvent(event)
        if self.shape is not None:
            self._render()

    def sizeHint(self):
        return QSize(SIZE, SIZE)

    def minimumSizeHint(self):
        return QSize(SIZE // 2, SIZE)

    def clear(self) -> None:
        self.shape = None
        super().clear()

    def cell_at(self, pos):
        pix = self.pixmap()
        if self.shape is None or pix is None or pix.isNull():
            return None
        x0 = (self.width() - pix.width()) / 2 + FRAME_W
        y0 = (self.height() - pix.height()) / 2 + FRAME_W
        c = int((pos.x() - x0) * self.shape[1] // (pix.width() - 2 * FRAME_W))
        r = int((pos.y() - y0) * self.shape[0] // (pix.height() - 2 * FRAME_W))
        if 0 <= r < self.shape[0] and 0 <= c < self.shape[1] and pos.x() >= x0 and pos.y() >= y0:
            return r, c
        return None

    def mouseMoveEvent(self, event):
        cell = self.cell_at(event.position())
        if cell is None or self.describe is None:
            QToolTip.hideText()
        else:
            QToolTip.showText(event.globalPosition().toPoint(), self.describe(*cell), self)
        super().mouseMoveEvent(event)


class NeuronInputView(ExplorePanel):
    """objectName ``neuronInputView``.

    Signals (ExplorePanel): ``loadInput(x (n_inputs,) float32)`` from "Load into editor";
    ``statusMessage(str)``. Hooks: ``select_neuron(layer ≥ 1, neuron)`` picks the neuron;
    ``use_top_answer()`` goes back to the default (the output of the drawing's top answer).
    ``run(blank)`` is what the two buttons do. After a run, ``result`` holds
    {"x", "trace", "start", "layer", "neuron", "iteration", "blank"}; ``saliency`` the last map.
    """

    title = "What a neuron wants"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("neuronInputView")
        self.dataset = None
        self.snap = None
        self.painted = None
        self.chosen = None  # (layer, neuron) picked by the learner; None: the top answer's output
        self.palette_name = "green-red"
        self.result = None
        self.saliency = None
        self.saliency_target = None

        self.header = QLabel("Open a lesson, then click a neuron in the weights or activations.")
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.RichText)
        self.top_button = QPushButton("Back to the network's answer")
        self.top_button.setToolTip("Ask again about the output neuron of the network's answer for your drawing "
                                   "(the unit asked when you open this tab)")
        self.top_button.clicked.connect(self.use_top_answer)
        self.top_button.setEnabled(False)
        head = QHBoxLayout()
        head.addWidget(self.header, 1)
        head.addWidget(self.top_button, 0, Qt.AlignTop)
        # a conv net has no neurons to click: its filters (what a whole feature map wants, its mean)
        # and dense units are picked here
        self.picker = UnitPicker()
        self.picker.setToolTip("A filter's value is the mean of its feature map: what the kernel wants to "
                               "see anywhere in the image. A dense unit after the convs reads them all.")
        self.picker.changed.connect(lambda layer, unit: self.select_neuron(layer, unit))
        self.picker.setVisible(False)
        # a channel's value to climb: one pixel in the middle (a localized stroke) or the map's mean
        self.channel_unit = QComboBox()
        self.channel_unit.setObjectName("channelUnit")
        self.channel_unit.addItem("its centre pixel", "centre")
        self.channel_unit.addItem("its whole map (the mean)", "mean")
        self.channel_unit.setToolTip("Which value of a filter's feature map is climbed: the pixel in the middle "
                                     "(it reads the middle of the input: a stroke where you can see it) or the "
                                     "mean of the whole map (the pattern anywhere; from blank it often ends on "
                                     "the border, where the zero padding costs nothing)")
        self.channel_unit.currentIndexChanged.connect(lambda _: (self._clear_result(), self._show_header()))
        self.channel_row = QWidget()
        crow = QHBoxLayout(self.channel_row)
        crow.setContentsMargins(0, 0, 0, 0)
        crow.addWidget(QLabel("climb:"))
        crow.addWidget(self.channel_unit, 1)
        self.channel_row.setVisible(False)

        self.steps = QSpinBox()
        self.steps.setRange(1, 5000)
        self.steps.setValue(100)
        self.steps.setToolTip("At most this many gradient-ascent steps on the pixels "
                              "(it stops earlier at a peak)")
        self.step_size = QDoubleSpinBox()
        self.step_size.setRange(0.001, 1.0)
        self.step_size.setDecimals(3)
        self.step_size.setSingleStep(0.01)
        self.step_size.setValue(0.05)
        self.step_size.setToolTip("How much the most influential pixel's brightness changes per step "
                                  "(0 = black, 1 = white)")
        self.from_blank = QPushButton("From blank")
        self.from_blank.setToolTip("Start from an empty (black) grid")
        self.from_drawing = QPushButton("From my drawing")
        self.from_drawing.setToolTip("Start from what is in the pixel editor")
        self.from_blank.clicked.connect(lambda: self.run(blank=True))
        self.from_drawing.clicked.connect(lambda: self.run(blank=False))
        controls = QGridLayout()  # two short rows: the Explore dock is a third of a 1280-pixel screen
        for col, w in enumerate((QLabel("steps"), self.steps, QLabel("step size"), self.step_size)):
            controls.addWidget(w, 0, col)
        controls.addWidget(self.from_blank, 1, 0, 1, 2)
        controls.addWidget(self.from_drawing, 1, 2, 1, 2)
        controls.setColumnStretch(4, 1)

        self.start_pic = PixelPicture(lambda r, c: self._describe_pixel(self.result and self.result["start"], r, c))
        self.best_pic = PixelPicture(lambda r, c: self._describe_pixel(self.result and self.result["x"], r, c))
        self.start_caption = QLabel()
        self.best_caption = QLabel()
        for lab in (self.start_caption, self.best_caption):
            lab.setAlignment(Qt.AlignCenter | Qt.AlignTop)
        arrow = QLabel("→")
        arrow.setStyleSheet("font-size: 20pt;")
        arrow.setAlignment(Qt.AlignCenter)
        self.trace_plot = pg.PlotWidget()
        self.trace_plot.setBackground("w")
        self.trace_plot.setLabel("left", "activation")
        self.trace_plot.setLabel("bottom", "step")
        plain_axes(self.trace_plot)
        self.trace_plot.showGrid(x=True, y=True, alpha=0.25)
        self.trace_plot.setMenuEnabled(False)
        self.trace_plot.hideButtons()
        self.trace_plot.setMouseEnabled(False, False)
        self.trace_plot.setFixedHeight(SIZE + 24)
        self.trace_plot.setMinimumWidth(150)
        self.trace_curve = self.trace_plot.plot([], [], pen=pg.mkPen((30, 110, 200), width=2))
        self.result_text = QLabel("Press “From blank” or “From my drawing”.")
        self.result_text.setWordWrap(True)
        self.load = QPushButton("Load into editor")
        self.load.setEnabled(False)
        self.load.setToolTip("Put the found input into the pixel editor")
        self.load.clicked.connect(self._load)
        wants = QGroupBox("The input it wants most")
        g = QGridLayout(wants)
        g.addWidget(self.start_pic, 0, 0)
        g.addWidget(arrow, 0, 1)
        g.addWidget(self.best_pic, 0, 2)
        g.addWidget(self.start_caption, 1, 0)
        g.addWidget(self.best_caption, 1, 2)
        g.addWidget(self.trace_plot, 2, 0, 1, 4)  # under the pictures: beside them was too wide a row
        g.addWidget(self.result_text, 3, 0, 1, 4)
        g.addWidget(self.load, 4, 0, 1, 3)
        g.setColumnStretch(3, 1)

        self.drawing_pic = PixelPicture(lambda r, c: self._describe_pixel(self.painted, r, c))
        self.sal_pic = PixelPicture(self._describe_saliency)
        self.heat_pic = PixelPicture(self._describe_saliency)
        self.drawing_caption = QLabel("your drawing")
        self.sal_caption = QLabel("saliency over it")
        self.heat_caption = QLabel("saliency alone")
        for lab in (self.drawing_caption, self.sal_caption, self.heat_caption):
            lab.setAlignment(Qt.AlignCenter)
        self.sal_text = QLabel("Paint something in the editor.")
        self.sal_text.setWordWrap(True)
        self.sal_text.setTextFormat(Qt.RichText)
        sal = QGroupBox("Which pixels drive the answer")
        s = QGridLayout(sal)
        for col, (pic, cap) in enumerate(((self.drawing_pic, self.drawing_caption), (self.sal_pic, self.sal_caption),
                                          (self.heat_pic, self.heat_caption))):
            s.addWidget(pic, 0, col)
            s.addWidget(cap, 1, col)
        s.addWidget(self.sal_text, 2, 0, 1, 4)
        s.setColumnStretch(3, 1)

        body = QWidget()
        inner = QVBoxLayout(body)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addWidget(wants)
        inner.addWidget(sal)
        inner.addStretch(1)
        self.scroll = QScrollArea()  # a short dock scrolls instead of squeezing pictures onto captions
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.NoFrame)
        self.scroll.setWidget(body)
        lay = QVBoxLayout(self)
        lay.addLayout(head)
        lay.addWidget(self.picker)
        lay.addWidget(self.channel_row)
        lay.addLayout(controls)
        lay.addWidget(self.scroll, 1)

    # -- hooks ----------------------------------------------------------------------

    def set_lesson(self, dataset) -> None:
        self.dataset = dataset
        self.chosen = None
        self.top_button.setEnabled(False)
        self._clear_result()
        self.saliency = self.saliency_target = None
        for pic in (self.drawing_pic, self.sal_pic, self.heat_pic):
            pic.clear()

    def select_neuron(self, layer: int, neuron: int) -> None:
        if layer < 1:  # an input pixel: nothing to maximize
            return
        if self.snap is not None and not self.snap.is_mlp and not self.picker.select(layer, neuron):
            return  # not a filter or dense unit of this stack
        self.chosen = (int(layer), int(neuron))
        self.top_button.setEnabled(True)
        self._clear_result()
        self._show_header()

    def use_top_answer(self) -> None:
        self.chosen = None
        self.top_button.setEnabled(False)
        self._clear_result()
        if self.snap is not None and not self.snap.is_mlp and self._fits():
            self.picker.select(*self.target())  # the picker names the unit asked now, not the one before
        self._show_header()

    def set_palette(self, name: str) -> None:
        self.palette_name = name
        self._show_saliency()

    def show_snapshot(self, snap, frame=None) -> None:
        self.snap = snap
        painted = frame.painted if frame is not None else None
        self.painted = None if painted is None else np.asarray(painted, dtype=np.float32).reshape(-1)
        if not self._fits():
            self.picker.setVisible(False)
            self.channel_row.setVisible(False)
            return
        if not snap.is_mlp:  # the picker shows the unit asked: the top answer's output until one is picked
            self.picker.set_choices(stack_units(snap.network().layers, with_norms=True), *self.target())
        self.picker.setVisible(not snap.is_mlp)
        self._show_header()
        self._show_saliency()

    # -- what is chosen -------------------------------------------------------------

    def _fits(self) -> bool:
        d, s = self.dataset, self.snap
        return (d is not None and s is not None and s.sizes[0] == d.n_inputs
                and s.sizes[-1] == d.n_outputs
                and (self.painted is None or self.painted.size == d.n_inputs))

    def _drawing(self) -> np.ndarray:
        return self.painted if self.painted is not None else np.zeros(self.dataset.n_inputs, np.float32)

    def target(self) -> tuple[int, int]:
        """(layer ≥ 1, neuron) to maximize: the chosen one, else the top answer's output neuron."""
        s = self.snap
        if self.chosen is not None:
            layer, neuron = self.chosen
            if layer < len(s.sizes):
                count = s.shapes[layer][0] if self.is_channel(layer) else s.sizes[layer]
                if neuron < count:
                    return layer, neuron
        return len(s.sizes) - 1, top_output(s.network(), self._drawing())

    def climbs_centre(self, layer: int) -> bool:
        """True when the unit climbed for a channel of ``layer`` is its centre pixel (the default)."""
        return self.is_channel(layer) and self.channel_unit.currentData() == "centre"

    def climbed_unit(self, layer: int, neuron: int) -> tuple[int, bool]:
        """(neuron, channel) as ``maximize`` takes them for the unit asked: a channel's centre
        pixel (a flat index into the layer's maps), its mean, or a dense neuron."""
        if self.climbs_centre(layer):
            return centre_unit(self.snap.network(), layer, neuron)[0], False
        return neuron, self.is_channel(layer)

    def is_channel(self, layer: int) -> bool:
        """True when ``layer``'s unit is a feature map (its value the map's mean), not one neuron."""
        return len(self.snap.shapes[layer]) == 3

    def neuron_name(self, layer: int, neuron: int) -> str:
        s, d = self.snap, self.dataset
        lay = None if s.is_mlp else s.network().layers[layer - 1]
        if self.climbs_centre(layer):
            _, row, col = centre_unit(s.network(), layer, neuron)
            _, h, w = s.shapes[layer]
            kind = {"conv": "filter", "batchnorm": "channel"}.get(lay.type, "channel")
            what = {"conv": "conv", "batchnorm": "batch-norm"}.get(lay.type, f"{lay.type[:3]}-pool")
            return (f"{kind} {neuron} of {what} layer {layer}, its centre pixel (row {row}, column {col} of "
                    f"its {w}×{h} map: the one that reads the middle of the input)")
        if self.is_channel(layer):
            if lay.type == "batchnorm":
                return (f"channel {neuron} of batch-norm layer {layer} (map {neuron} of layer {layer - 1} "
                        f"normalised{'' if lay.activation == 'linear' else ', then ' + lay.activation}; "
                        "the mean of its map)")
            if lay.type != "conv":
                return f"channel {neuron} of {lay.type[:3]}-pool layer {layer} (the mean of its map)"
            return f"filter {neuron} of conv layer {layer} (the mean of its feature map)"
        if layer == len(s.sizes) - 1:
            if d.task == SIGN:
                return "the smile output (> 0 = smile)"
            what = " (its probability)" if s.output == "softmax" else ""
            return f"output “{d.class_names[neuron]}”{what}"
        if not s.is_mlp:
            kind = "batch-norm" if lay.type == "batchnorm" else "dense"
            return f"neuron {neuron} of {kind} layer {layer}"
        return f"neuron {neuron} of hidden layer {layer} ({s.hidden})"

    def _show_header(self) -> None:
        if not self._fits():
            return
        layer, neuron = self.target()
        self.channel_row.setVisible(self.is_channel(layer))  # only a feature map has a centre and a mean
        why = ("— you picked it" if self.chosen is not None and self.target() == self.chosen
               else "— the network's only output" if self.snap.sizes[-1] == 1
               else "— the network's answer for your drawing")
        ask = ("Pick a filter or a unit below to ask another one." if not self.snap.is_mlp
               else "Click a neuron in the weights or activations to ask another one.")
        top = ""
        if self.is_channel(layer):
            channel, mean = self.top_channel(layer)
            top = (f" For your drawing the most active map of layer {layer} is <b>{channel}</b> "
                   f"(mean {mean:.3f}).")
        self.header.setText(f"Iteration {self.snap.iteration:,}. Unit: <b>{self.neuron_name(layer, neuron)}</b> "
                            f"{why}.{top} {ask}")

    def top_channel(self, layer: int) -> tuple[int, float]:
        """(channel, its map's mean): the map of layer ``layer`` the drawing lights up most."""
        out = np.asarray(self.snap.network().forward(self._drawing()[None])[layer]).reshape(self.snap.shapes[layer])
        means = out.mean(axis=(1, 2))
        return int(means.argmax()), float(means.max())

    # -- gradient ascent ------------------------------------------------------------

    def _clear_result(self) -> None:
        self.result = None
        self.start_pic.clear()
        self.best_pic.clear()
        self.start_caption.setText("")
        self.best_caption.setText("")
        self.trace_curve.setData([], [])
        self.result_text.setText("Press “From blank” or “From my drawing”: the pixels (not the weights) "
                                 "change step by step to light this neuron up.")
        self.load.setEnabled(False)

    def run(self, blank: bool) -> None:
        """Gradient ascent from a blank grid or from the drawing, for ``target()``; shows the result."""
        if not self._fits():
            return
        d = self.dataset
        layer, neuron = self.target()
        start = np.zeros(d.n_inputs, np.float32) if blank else self._drawing().copy()
        net = self.snap.network()
        unit, channel = self.climbed_unit(layer, neuron)
        x, trace = maximize(net, layer, unit, start, self.steps.value(), self.step_size.value(), channel=channel)
        self.result = {"x": x, "trace": trace, "start": start, "layer": layer, "neuron": neuron,
                       "iteration": self.snap.iteration, "blank": blank}
        before, after = trace[0], trace[-1]
        self.start_pic.show_rgb(gray_rgb(start.reshape(d.image_shape)))
        self.best_pic.show_rgb(gray_rgb(x.reshape(d.image_shape)))
        self.start_caption.setText(f"{'blank' if blank else 'your drawing'}\nactivation {before:.3f}")
        self.best_caption.setText(f"after {len(trace) - 1} steps\nactivation {after:.3f}")
        self.trace_curve.setData(np.arange(len(trace)), trace)
        steps = len(trace) - 1
        if steps == 0:
            why = ("it is switched off here and no pixel change within one step can reach it"
                   if before == 0 else "it is already at a peak")
            text = f"Could not climb: {why}. Try “From my drawing”, another neuron, or a larger step size."
        else:
            bounded = layer == len(self.snap.sizes) - 1 and self.snap.output in ("softmax", "sigmoid") \
                or layer < len(self.snap.sizes) - 1 and self.snap.hidden == "sigmoid"
            stop = ("stopped early at a peak" if steps < self.steps.value() else
                    "practically 1, as high as it can go" if bounded and after > 0.999 else
                    "more steps may climb higher")
            text = (f"<b>{self.neuron_name(layer, neuron)}</b>: activation {before:.3f} → {after:.3f} in "
                    f"{steps} steps ({stop}). Bright pixels are what it wants lit, dark ones off.")
            if d.n_inputs >= 64:
                text += (" If it looks like noise, that is a finding too: the neuron responds to more than the "
                         "shapes it was trained on.")
        self.result_text.setText(text)
        self.load.setEnabled(True)
        self.statusMessage.emit(f"Gradient ascent: {before:.3f} → {after:.3f} in {steps} steps")

    def _load(self) -> None:
        if self.result is not None:
            self.loadInput.emit(self.result["x"].copy())

    # -- saliency -------------------------------------------------------------------

    def _show_saliency(self) -> None:
        if not self._fits():
            return
        d = self.dataset
        drawing = self._drawing()
        target, g = saliency(self.snap.network(), drawing)
        self.saliency, self.saliency_target = g, target
        level = symmetric_level(g)
        self.drawing_pic.show_rgb(gray_rgb(drawing.reshape(d.image_shape)))
        self.sal_pic.show_rgb(overlay_rgb(drawing.reshape(d.image_shape), g.reshape(d.image_shape), level,
                                          self.palette_name))
        self.heat_pic.show_rgb(heat_rgb(g.reshape(d.image_shape), level, self.palette_name))
        who = "the smile output" if d.task == SIGN else f"the score of the top answer “{d.class_names[target]}”"
        pos, neg = ("green", "red") if self.palette_name == "green-red" else ("blue", "orange")
        empty = " Your drawing is empty: this shows which pixels to light first." if not drawing.any() else ""
        why = {"softmax": " It is the score before softmax: unlike the probability, it does not flatten out "
                          "when the network is sure.",
               "sigmoid": " It is the score before the sigmoid, which does not flatten out when the network is "
                          "sure."}.get(self.snap.output, "")
        self.sal_text.setText(
            f"If you brightened a pixel a little, how would {who} move? <b>{pos.capitalize()}</b>: up; "
            f"<b>{neg}</b>: down; dark / no tint: hardly at all. Strongest: ±{level:.3g} per unit of brightness."
            f"{why}{empty} Hover for numbers.")

    # -- hover text -----------------------------------------------------------------

    def _describe_pixel(self, values, r: int, c: int) -> str:
        if values is None:
            return ""
        w = self.dataset.image_shape[1]
        return f"row {r}, column {c}: brightness {float(values[r * w + c]):.2f}"

    def _describe_saliency(self, r: int, c: int) -> str:
        if self.saliency is None:
            return ""
        w = self.dataset.image_shape[1]
        v = float(self.saliency[r * w + c])
        return (f"row {r}, column {c}: brightness {float(self._drawing()[r * w + c]):.2f}; brightening it by "
                f"0.1 would move the score by about {0.1 * v:+.3f}")

