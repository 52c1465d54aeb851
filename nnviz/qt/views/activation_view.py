"""Every layer's response to the current input: the input image, each hidden layer's
neurons as discs whose brightness is the activation (3Blue1Brown's circles), the
outputs as labelled bars; and for a selected neuron, how its activation is made
from weights and inputs (``neuron_panel.NeuronPanel``).

Layer numbers count activations: input = 0, output = len(sizes) − 1. Each layer is
one ImageItem updated in place, so a frame never rebuilds anything.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from ...model.data.datasets import SIGN, answer_name, signed
from ...model.analysis.neuron_math import neuron_breakdown
from ..graphics.cell_items import BarLabels, Bars, CellImage
from ..graphics.lut_image import LutImageItem, flag_overlay
from .neuron_panel import NeuronPanel
from ..graphics.palettes import GRAY, StableLevel, lookup_table
from ..graphics.plot_style import cache_static, fit_title, lighten_plot, one_layout_pass, skip_when_clean, style_image_plot
from ..graphics.redraw_memo import RedrawMemo, running_snapshot
from ..graphics.spares import add_plot
from ..graphics.tiles import GAP, cell_grid, cell_index_map, paint_cells
from ..graphics.view_protocol import LessonView
from .health_legend import DEAD_HTML, DEAD_RGBA, SATURATED_HTML, SATURATED_RGBA, HealthLegend, health_rims

pg.setConfigOptions(imageAxisOrder="row-major")

CELL = 9  # pixels per neuron disc in the layer image (enough for a round disc)
ANSWER, OTHER = (40, 160, 70), (150, 160, 175)
SELECTED_PEN = pg.mkPen(255, 190, 0, width=2.5, cosmetic=True)
NO_PEN = pg.mkPen(None)
UNLIMITED = (1 << 24) - 1  # Qt's QWIDGETSIZE_MAX, which PySide6 does not export: no maximum width


HOVER_HINT = "Hover over a neuron to read its activation; click it to see how it is made."


class ActivationView(LessonView, QWidget):
    """objectName ``activationView``."""

    follows_input = True

    neuronSelected = Signal(int, int)  # (layer, neuron), input = 0

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("activationView")
        self._memo = RedrawMemo()
        self.palette_name = "green-red"
        self.show_pre = False
        self.sizes: list[int] = []
        self.task = "classification"
        self._shown: list[np.ndarray] = []
        self._state = None  # (zs, acts, snapshot) of the last input
        self._selected = None
        self._layout_key = None  # the frame layout last drawn in (sizes, activation, data)
        self._items_for = None  # what the items were built for (``_item_key``)
        self._hovered = None  # (layer, neuron) under the mouse: its text follows what is shown
        self._out_brushes = {}
        # the items, one per layer, built by set_layout (empty until the first architecture)
        self._levels, self.plots, self.images, self.flags, self.boxes, self.maps = [], [], [], [], [], []
        self.health_items, self.health, self.out_plot = [], None, None
        self._columns: list[tuple] = []  # every picture column ever laid out (see _column)
        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground((245, 245, 245))
        self.view.setMinimumHeight(110)  # the network row is never crushed by the panels around it
        self.pre_box = QCheckBox("pre-activations z")
        self.pre_box.setToolTip("Show z = w·a + b, what each neuron computes before its activation function")
        self.pre_box.toggled.connect(self.set_show_preactivations)
        self.info = QLabel(HOVER_HINT)
        self.info.setWordWrap(True)
        self.info.setObjectName("activationInfo")
        # two lines, whatever the hover says: a label that grows with its text moves the network
        self.info.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)
        self.info.setFixedHeight(2 * self.info.fontMetrics().lineSpacing() + 2)
        self.neuron_panel = NeuronPanel()  # how the selected neuron's activation is made
        self.health_legend = HealthLegend()
        top = QHBoxLayout()
        top.addWidget(self.info, 1)
        top.addWidget(self.health_legend)
        top.addWidget(self.pre_box)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addWidget(self.view, 3)
        lay.addWidget(self.neuron_panel, 1)
        self.view.installEventFilter(self)  # resized: the pictures' columns follow the row's height
        self.view.scene().sigMouseMoved.connect(self._on_hover)
        self.view.scene().sigMouseClicked.connect(self._on_click)

    # -- layout ---------------------------------------------------------------------

    def set_layout(self, sizes, image_shape, class_names, task) -> None:
        """Build the items for a net of ``sizes`` (input first); task is "classification" or "sign";
        then start them as a fresh window's (``restart``)."""
        self.sizes, self.image_shape = list(sizes), tuple(image_shape)
        self.class_names, self.task = tuple(class_names), task
        for item in list(self.view.ci.items):  # the picture columns are kept for the next net
            self.view.ci.removeItem(item)
        self.plots, self.images, self.flags, self.boxes, self.maps = [], [], [], [], []
        self.health_items = []
        n_layers = len(sizes)
        with one_layout_pass(self.view):
            for layer in range(n_layers - 1):
                p, img, flags, health, box = self._column(layer)
                self.view.addItem(p, row=0, col=layer)
                if layer == 0:
                    h, w = self.image_shape
                    p.setTitle(self._layer_title(0), size="9pt")  # the hidden layers' titles: restart
                    index_map = np.arange(h * w).reshape(h, w)
                else:
                    index_map = cell_index_map(sizes[layer], *cell_grid(sizes[layer]), size=CELL)
                    img.set_cells(index_map)
                self.plots.append(p)
                self.images.append(img)
                self.flags.append(flags)
                self.health_items.append(health)
                self.boxes.append(box)
                self.maps.append(index_map)
            # outputs as bars
            self.out_plot = add_plot(self.view, row=0, col=n_layers - 1)
            fit_title(self.out_plot)
            self.out_plot.setMenuEnabled(False)
            self.out_plot.hideButtons()
            self.out_plot.setMouseEnabled(False, False)
            k = sizes[-1]
            self.out_bars = Bars(x=np.arange(k), height=np.zeros(k), width=0.7, brush=OTHER)
            self.out_plot.addItem(self.out_bars)
            self.out_labels = BarLabels(self.out_plot, k)
            self.out_plot.setXRange(-0.5, k - 0.5, padding=0.02)  # fixed: no auto-range pass on every frame
            names = [f"+ {class_names[-1]}, − {class_names[0]}" if len(class_names) > 1 else "output"] \
                if task == SIGN else list(class_names)
            self.out_plot.getAxis("bottom").setTicks([[(i, n) for i, n in enumerate(names)]])
            self.out_plot.setLabel("left", "output" if task == SIGN else "probability", **{"font-size": "8pt"})
            if task == SIGN:
                self.out_plot.addLine(y=0, pen=pg.mkPen((80, 80, 80)))
            else:
                self.out_plot.setYRange(0, 1.05)
            # equal shares: the pictures are the network (the answer's bars are under the canvas too);
            # a column's picture is capped at the row's height, the bars get what that leaves
            for col in range(n_layers):
                self.view.ci.layout.setColumnStretchFactor(col, 1)
            self.out_plot.setMinimumWidth(120)
            self._fit_columns()
        self.neuron_panel.set_layout(self.image_shape, self.palette_name)
        lighten_plot(self.out_plot)
        self._items_for = self._item_key(sizes, image_shape, class_names, task)
        self.restart()

    def _column(self, layer: int) -> tuple:
        """Picture column ``layer``'s (plot, image, flags, health rims, selection box), made the first
        time a net has it and kept: a lesson switch made every column again (~20 ms each)."""
        while len(self._columns) <= layer:
            col = len(self._columns)
            p = add_plot(self.view, row=0, col=col)
            self.view.ci.removeItem(p)  # placed by set_layout
            fit_title(p)  # a long title wraps in its column instead of pushing the answer out of view
            style_image_plot(p)
            # no auto-range margin: pyqtgraph pads a small box up to 10% a side (1/√pixels), and a
            # 107 px column drew its picture 90 px wide; the columns' spacing keeps them apart
            p.vb.setDefaultPadding(0.0)
            img, flags = (CellImage if col else LutImageItem)(lut=GRAY), pg.ImageItem()
            if col:  # 3Blue1Brown's look: discs with a light rim on a dark ground, so 0 and 1 both show
                flags.setZValue(1)  # magenta over NaN discs
            health = pg.ImageItem()  # coloured rims on dead / saturated units
            health.setZValue(1.5)
            cache_static(health)  # changes a few times a second at most
            p.addItem(health)
            box = pg.QtWidgets.QGraphicsRectItem(0, 0, 1, 1)
            box.setPen(SELECTED_PEN)
            box.setZValue(2)  # above the rims
            for item in (img, flags, box):
                p.addItem(item)
            lighten_plot(p)
            skip_when_clean(p)
            self._columns.append((p, img, flags, health, box))
        return self._columns[layer]

    @staticmethod
    def _item_key(sizes, image_shape, class_names, task) -> tuple:
        """What the items depend on: not the hidden activation (a rebuild changing only that
        keeps them: ``restart``)."""
        return tuple(sizes), tuple(image_shape), tuple(class_names), task

    def _layer_title(self, layer: int) -> str:
        if layer == 0:
            h, w = self.image_shape
            return f"input ({w} wide × {h} tall = {self.sizes[0]})"
        return f"layer {layer}: {self.sizes[layer]} neurons"

    def restart(self) -> None:
        """The items as a fresh window has them: nothing drawn, selected, hovered or flagged,
        levels fitted anew; the next frame draws everything."""
        self._selected, self._shown, self._hovered = None, [], None
        self.info.setText(HOVER_HINT)
        self._levels = [StableLevel() for _ in self.sizes]
        self._memo.forget()  # nothing drawn or set on the items for this network yet
        self.health = None
        self.health_legend.setVisible(False)
        for layer, (p, img, flags, health, box) in enumerate(zip(self.plots, self.images, self.flags,
                                                                 self.health_items, self.boxes)):
            if layer:
                p.setTitle(self._layer_title(layer), size="9pt")  # health notes set on the network before
            img.clear()
            for item in (flags, health, box):
                item.setVisible(False)
        self.out_plot.setTitle("answer", size="9pt")
        self.out_labels.show(None)  # the network before's numbers: none until this one's
        self.neuron_panel.restart()
        if self.sizes[1:] == [1]:
            self._selected = (1, 0)  # one neuron (the smile): show how its output is made from the start

    def eventFilter(self, obj, event):
        if obj is self.view and event.type() == QEvent.Resize:
            self._fit_columns()
        return False

    def _fit_columns(self) -> None:
        """No picture's column wider than the picture at the row's height: the room left over
        goes to the answer's bars."""
        h = max(self.view.height() - 44, 20)  # less the titles and margins
        for col, m in enumerate(self.maps):
            self.view.ci.layout.setColumnMaximumWidth(col, h * m.shape[1] / m.shape[0] + 12)
        for col in range(len(self.maps), len(self._columns) + 1):  # the answer's, and a longer net's
            self.view.ci.layout.setColumnMaximumWidth(col, UNLIMITED)

    # -- data -------------------------------------------------------------------------

    def set_lesson(self, dataset) -> None:
        """Nothing of the previous lesson stays: no hover text, no health legend, no selection."""
        self._hovered, self._selected, self._shown, self._state = None, None, [], None
        self._layout_key = self._items_for = None  # a lesson's first frame builds its own items
        self.info.setText(HOVER_HINT)
        self.health_legend.setVisible(False)

    def show_snapshot(self, snap, frame=None) -> None:
        """The frame's painted input through ``snap``; unit health on the frames that judge it."""
        if frame is None:
            return
        if frame.dataset is not None and frame.layout_key != self._layout_key:
            self._layout_key, ds = frame.layout_key, frame.dataset  # a rebuild or a lesson
            if self._item_key(snap.sizes, ds.image_shape, ds.class_names, ds.task) == self._items_for:
                self.restart()  # only the activation changed: the same items, started afresh
            else:
                self.set_layout(list(snap.sizes), ds.image_shape, ds.class_names, ds.task)
        zs, acts = frame.forward
        if acts:
            self.show_activations(zs, acts, snap)
        if frame.slow and not frame.input_only:
            self.set_health(frame.health)

    def show_activations(self, zs, activations, snapshot) -> None:
        """zs, activations: lists from ``Network.forward_full(x[None])`` (batch of 1):
        zs[i] (1, sizes[i+1]); activations[i] (1, sizes[i]), input first."""
        self._state = (zs, activations, snapshot)
        if not self.sizes or [a.shape[1] for a in activations] != self.sizes:
            return
        acts = [np.asarray(a[0], dtype=np.float32) for a in activations]
        pres = [np.asarray(z[0], dtype=np.float32) for z in zs]
        shown = [acts[0]] + (pres if self.show_pre else acts[1:])
        self._shown = shown
        hidden = snapshot.hidden
        for layer, (img, flags, index_map) in enumerate(zip(self.images, self.flags, self.maps)):
            v = shown[layer]
            if layer == 0:
                lut, levels = "gray", (0, 1)
            elif self.show_pre or hidden in ("tanh", "linear"):  # signed: diverging around 0
                L = self._levels[layer].update(v)
                lut, levels = self.palette_name, (-L, L)
            else:  # sigmoid in 0..1; ReLU from 0 to its (stable) largest value
                lut = "gray"
                levels = (0, 1.0 if hidden == "sigmoid" else self._levels[layer].update(v))
            # the input rarely changes while training runs, and late in training the activations
            # barely do: within half a colour step of the picture shown, keep it (no repaint)
            if self._memo.unchanged(f"layer{layer}", v, levels[1] - levels[0], (lut, levels)):
                continue
            self._memo.set_if_changed(f"lut{layer}", lut,
                                      lambda name, img=img: img.setLookupTable(GRAY if name == "gray" else lookup_table(name)))
            img.setImage(paint_cells(v, index_map), levels=levels, autoLevels=False)
            self._flag(flags, v, index_map)
        self._show_output(shown[-1])
        self._update_detail()
        if self._hovered is not None:  # the mouse rests on a neuron: read it in what is shown now
            self.info.setText(self.hover_text(*self._hovered))

    @staticmethod
    def _flag(flags, v, index_map):
        """Magenta over NaN/±inf neurons (a diverged net), hidden otherwise."""
        if np.isfinite(v).all():
            if flags.isVisible():
                flags.setVisible(False)
            return
        bad = np.append(~np.isfinite(v), False)[index_map]
        flags.setImage(flag_overlay(bad), autoLevels=False)
        flags.setVisible(True)

    def set_health(self, health) -> None:
        """Flag units that stopped learning: ``health`` is one LayerHealth per hidden layer
        (nnviz.model.core.health, judged on a fixed sample of training images), or None to clear.
        Dead ReLU units get an orange rim, saturated sigmoid/tanh units a cyan one; the layer
        title counts them, a legend explains the colours and hovering a unit says which."""
        self.health = health
        kinds = set()
        for layer, item in enumerate(self.health_items):
            h = health[layer - 1] if health and 1 <= layer <= len(health) else None
            if 1 <= layer < len(self.sizes) - 1:
                notes = []
                if h is not None and h.dead.any():
                    notes.append(f"<span style='color:{DEAD_HTML}'>{h.n_dead} dead</span>")
                    kinds.add("dead")
                if h is not None and h.saturated.any():
                    notes.append(f"<span style='color:{SATURATED_HTML}'>{h.n_saturated} saturated</span>")
                    kinds.add("saturated")
                title = f"layer {layer}: {self.sizes[layer]} neurons" + (" · " + ", ".join(notes) if notes else "")
                self._memo.set_if_changed(f"title{layer}", title,
                                          lambda t, p=self.plots[layer]: p.setTitle(t, size="9pt"))
            if h is None or not (h.dead.any() or h.saturated.any()):
                if item.isVisible():
                    item.setVisible(False)
                self._memo.forget(f"health{layer}")
                continue
            marks = (h.dead.tobytes(), h.saturated.tobytes())
            if not self._memo.changed(f"health{layer}", marks) and item.isVisible():
                continue  # the same units as last time: keep the picture (and its cache)
            img = health_rims(self.maps[layer], ((h.dead, DEAD_RGBA), (h.saturated, SATURATED_RGBA)))
            item.setImage(img, levels=(0, 255))
            item.setVisible(True)
        self._memo.set_if_changed("health_legend", tuple(sorted(kinds)), self.health_legend.show_kinds)

    def _show_output(self, out):
        sel = self._selected[1] if self._selected and self._selected[0] == len(self.sizes) - 1 else None
        if self.task == SIGN:
            v = float(out[0])
            name = answer_name(SIGN, self.class_names, out)  # 0 is no answer, as the readout says
            colours = (ANSWER if v > 0 else (210, 60, 60) if v < 0 else OTHER,)
            L = max(1.0, abs(v)) if np.isfinite(v) else 1.0
            self._memo.set_if_changed("yrange", (-L, L), lambda r: self.out_plot.setYRange(*r))
            if self._memo.text_due("answer", running_snapshot(self._state[2] if self._state else None)):
                self._memo.set_if_changed("answer", f"output {signed(v)} → {name}",
                                          lambda t: self.out_plot.setTitle(t, size="9pt"))
        else:
            answer = int(np.nanargmax(out)) if np.isfinite(out).any() else -1
            colours = tuple(ANSWER if i == answer else OTHER for i in range(len(out)))
            title = f"answer: {self.class_names[answer]}" if answer >= 0 else "answer: —"
            self._memo.set_if_changed("answer", title, lambda t: self.out_plot.setTitle(t, size="9pt"))
            self._memo.set_if_changed("ylabel", "z" if self.show_pre else "probability",
                                      lambda t: self.out_plot.setLabel("left", t, **{"font-size": "8pt"}))
            if self.show_pre:
                self.out_plot.enableAutoRange("y")
                self._memo.forget("yrange")
            else:
                self._memo.set_if_changed("yrange", (0, 1.05), lambda r: self.out_plot.setYRange(*r))
        height = np.nan_to_num(out)
        probabilities = self.task != SIGN and not self.show_pre
        if not probabilities or self._memo.text_due("bar_labels", running_snapshot(self._state[2] if self._state
                                                                                 else None)):
            self.out_labels.show(out if probabilities else None)
        span = float(np.abs(height).max(initial=0.0)) if self.show_pre else 1.0
        unchanged = self._memo.unchanged("out_bars", height, span, self.show_pre)
        if not self._memo.changed("bar_colours", (colours, sel)):  # most frames: only the heights move
            if not unchanged:
                self.out_bars.setOpts(height=height)
            return
        brushes = [self._brush(c) for c in colours]
        pens = [SELECTED_PEN if i == sel else NO_PEN for i in range(len(out))]
        self.out_bars.setOpts(height=height, brushes=brushes, pens=pens)

    def _brush(self, rgb):
        if rgb not in self._out_brushes:
            self._out_brushes[rgb] = pg.mkBrush(*rgb)
        return self._out_brushes[rgb]

    def cell_rect(self, layer: int, neuron: int) -> tuple[float, float, float, float]:
        """(x, y, w, h) of a neuron's pixel / disc in its layer plot's coordinates."""
        if layer == 0:
            r, c = divmod(neuron, self.image_shape[1])
            return c, r, 1, 1
        rows, _ = cell_grid(self.sizes[layer])
        c, r = divmod(neuron, rows)
        return c * (CELL + GAP), r * (CELL + GAP), CELL, CELL

    # -- selection and the "how it is made" panel -------------------------------------------

    def select_neuron(self, layer: int, neuron: int) -> None:
        """Select neuron ``neuron`` of activation layer ``layer`` (≥ 1) and emit neuronSelected."""
        if not 1 <= layer < len(self.sizes) or not 0 <= neuron < self.sizes[layer]:
            return
        self._selected = (layer, neuron)
        for b in self.boxes:
            b.setVisible(False)
        if layer < len(self.boxes):
            x, y, w, h = self.cell_rect(layer, neuron)
            self.boxes[layer].setRect(x - 0.5, y - 0.5, w + 1, h + 1)
            self.boxes[layer].setVisible(True)
        if self._shown:
            self._show_output(self._shown[-1])
        self._update_detail(force=True)
        self.neuronSelected.emit(layer, neuron)

    def selected_neuron(self):
        return self._selected

    def neuron_breakdown(self, layer: int, neuron: int) -> dict:
        """How neuron ``neuron`` of ``layer`` gets its value for the current input
        (see nnviz.model.analysis.neuron_math.neuron_breakdown)."""
        zs, acts, snap = self._state
        return neuron_breakdown(snap, zs, acts, layer, neuron)

    def _update_detail(self, force: bool = False):
        if self._selected is None or self._state is None:
            return
        layer, k = self._selected
        self.neuron_panel.show_breakdown(self.neuron_breakdown(layer, k), layer, k,
                                         running_snapshot(self._state[2]), force)

    # -- settings ---------------------------------------------------------------------------

    def set_show_preactivations(self, on: bool) -> None:
        self.show_pre = bool(on)
        if self.pre_box.isChecked() != self.show_pre:
            self.pre_box.setChecked(self.show_pre)
        for lv in self._levels:
            lv.reset()
        if self._state is not None:
            self.show_activations(*self._state)

    def set_palette(self, name: str) -> None:
        self.palette_name = name
        if self.sizes:
            self.neuron_panel.set_palette(name)
            if self._state is not None:
                self.show_activations(*self._state)

    # -- hover / click ----------------------------------------------------------------------------

    def _locate(self, scene_pos):
        """(layer, neuron) under a scene position, or None."""
        for layer, p in enumerate(self.plots):
            if p.vb.sceneBoundingRect().contains(scene_pos):
                q = p.vb.mapSceneToView(scene_pos)
                x, y = int(math.floor(q.x())), int(math.floor(q.y()))
                m = self.maps[layer]
                if 0 <= y < m.shape[0] and 0 <= x < m.shape[1] and m[y, x] >= 0:
                    return layer, int(m[y, x])
                return None
        if self.out_plot is not None and self.out_plot.vb.sceneBoundingRect().contains(scene_pos):
            k = int(round(self.out_plot.vb.mapSceneToView(scene_pos).x()))
            if 0 <= k < self.sizes[-1]:
                return len(self.sizes) - 1, k
        return None

    def hover_text(self, layer: int, neuron: int) -> str:
        v = self._shown[layer][neuron]
        if layer == 0:
            r, c = divmod(neuron, self.image_shape[1])
            return f"input pixel (row {r}, column {c}): {v:.3f}"
        kind = "pre-activation z" if self.show_pre else "activation"
        last = layer == len(self.sizes) - 1 and self.task != SIGN
        name = f" (class {self.class_names[neuron]})" if last else ""
        text = f"layer {layer}, neuron {neuron}{name}: {kind} {v:.4f}"
        h = self.health[layer - 1] if self.health and 1 <= layer <= len(self.health) else None
        sample = f"the {h.examples} sampled training images" if h is not None and h.examples else "the sample"
        if h is not None and h.dead[neuron]:
            text += f" — dead: never fires on {sample} (outputs 0, so its gradient is 0 and it no longer learns)"
        elif h is not None and h.saturated[neuron]:
            text += (f" — saturated on {h.share[neuron]:.0%} of {sample}: stuck near its limit, where its "
                     "gradient is nearly 0")
        return text

    def _on_hover(self, pos):
        hit = self._locate(pos)
        if hit is not None and self._shown:  # kept when the mouse moves on: the text goes on naming it
            self._hovered = hit
            self.info.setText(self.hover_text(*hit))

    def _on_click(self, ev):
        hit = self._locate(ev.scenePos())
        if hit is not None and hit[0] >= 1:
            self.select_neuron(*hit)

    # -- for tests and tools -------------------------------------------------------------

    def view_point(self, layer: int, neuron: int):
        """QPoint in ``self.view`` at the centre of a neuron, for real mouse events."""
        if layer == len(self.sizes) - 1:
            vb, p = self.out_plot.vb, QPointF(neuron, 0.02 if self.task != SIGN else 0.0)
        else:
            x, y, w, h = self.cell_rect(layer, neuron)
            vb, p = self.plots[layer].vb, QPointF(x + w / 2, y + h / 2)
        return self.view.mapFromScene(vb.mapViewToScene(p))

    def displayed_activations(self) -> list[np.ndarray]:
        """What is drawn, one 1-D array per layer, input first (z for layers ≥ 1 when
        pre-activations are on)."""
        return [a.copy() for a in self._shown]
