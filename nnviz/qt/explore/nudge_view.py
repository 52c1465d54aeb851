"""Explore tab "Nudge vs gradient": the smile lesson's nudge method next to backprop.

For the selected neuron (default: layer 1, neuron 0 — the smile's single output
neuron, whose 12 weights are the whole network; elsewhere the first hidden neuron)
it shows, per incoming weight and the bias: the loss after nudging that one weight
up and down, the change the nudge method keeps, the gradient from backpropagation
and the step gradient descent would take. Three maps in the input's shape show the
nudge, the gradient step and where they disagree; a table lists every number.

Everything is computed on a copy of the snapshot's network (nnviz.model.analysis.nudge_vs_gradient);
the panel never touches the trainer. ``applyRequested("nudge" | "gradient")`` asks
the main window for one real iteration of that method.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QAbstractTableModel, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QAbstractItemView, QGridLayout, QHeaderView, QLabel, QPushButton,
                               QSizePolicy, QSplitter, QTableView, QVBoxLayout, QWidget)

from ...model.analysis.nudge_vs_gradient import (Comparison, compare_snapshot, kernel_index, kernel_map,
                                                 kernel_map_shape, map_shape, neuron_name, parameter_name,
                                                 training_sample)

from ...model.core.messages import LOSS_NAMES
from ...model.data.datasets import FIXED_SAMPLE
from ..graphics.background import Background
from ..graphics.step_box import StepBox
from .panel import ExplorePanel
from .unit_picker import UnitPicker, stack_units
from ..graphics.scrolling import scrolling_column
from ..graphics.cell_items import CellNumbers
from ..graphics.palettes import PALETTES, lookup_table, symmetric_level
from ..graphics.plot_style import style_image_plot

pg.setConfigOptions(imageAxisOrder="row-major")

SAMPLE = FIXED_SAMPLE  # training examples the comparison uses (all of them when fewer: the smile's 4)
VALUES_UP_TO = 48  # weights per map small enough to print their numbers (the smile's 12)
BACKGROUND = (235, 235, 235)
COLUMNS = ("weight", "loss +step", "loss −step", "nudge keeps", "∂L/∂w", "−lr·∂L/∂w", "agree?")
TOOLTIPS = ("which weight (or the bias)", "the loss with this one weight moved up by the step",
            "the loss with this one weight moved down by the step",
            "the change the nudge method keeps: the direction that lowered the loss, or 0",
            "the gradient from backpropagation: how fast the loss rises as this weight grows",
            "the step gradient descent takes: −learning rate × ∂L/∂w",
            "did the nudge go the same way as the gradient step?")
AGREE_ROW = QColor(214, 240, 214)  # the nudge went the way −gradient points
DISAGREE_ROW = QColor(255, 214, 170)  # the nudge went the other way
#: the agreement map: stayed put (neutral dark), same way (light), opposite ways (yellow)
AGREEMENT_LUT = np.array([[24, 24, 24, 255], [225, 225, 225, 255], [255, 200, 0, 255]], dtype=np.uint8)
STAYED, SAME, OPPOSITE = 0, 1, 2
#: training examples a layer stack's comparison uses: each of a 5×5 kernel's 52 probes runs the
#: layers above it on every example (~0.6 s for 64 on mnist-conv's first layer, in the background)
CONV_SAMPLE = 64
AGREEMENT_MARKS = ("", "✓", "✗")


def _num(v: float) -> str:
    """A loss: five decimals while it is of ordinary size, so nudged losses can be compared."""
    if not math.isfinite(v):
        return str(v)
    return f"{v:.5f}" if abs(v) < 1000 else f"{v:.6g}"


def _signed(v: float) -> str:
    if v == 0:
        return "0"
    return f"{v:+.4g}" if math.isfinite(v) else str(v)


def cell_text(v: float) -> str:
    """A number short enough for a map cell: "+0.53", "−1.2", "+6.1e-6" (three significant
    digits at most, the exponent without its padding zero), "0"."""
    if v == 0:
        return "0"
    if not math.isfinite(v):
        return str(v)
    if 0.01 <= abs(v) < 100:
        return f"{v:+.2f}" if abs(v) < 10 else f"{v:+.1f}"
    mantissa, exponent = f"{v:+.1e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"


class NudgeView(ExplorePanel):
    """objectName ``nudgeView``."""

    title = "Nudge vs gradient"
    live = False  # probing a 784-weight neuron takes a few tenths of a second: only when paused

    applyRequested = Signal(str)  # "nudge" or "gradient": one real iteration of that method

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("nudgeView")
        self.dataset = None
        self.layer, self.neuron = 1, 0
        self.comparison: Comparison | None = None
        self.palette_name = "green-red"
        self._snap = None
        self._computed_for = None
        self._lesson_step = None
        self._revealed = False
        self._map_shape = None  # the maps' shape while they show a comparison (None: cleared)
        self._value_items: list[CellNumbers] = []  # the small maps' numbers, one per map
        self._items_for = None  # the (shape, numbered) the number items were made for
        self._undrawn = None  # (snapshot, comparison) computed while the tab was hidden: drawn once shown
        # a layer stack's comparison runs on a background thread (a kernel's probes take ~1 s)
        self._comparing = Background("nudge-vs-gradient", self)
        self._comparing.done.connect(self._on_computed)
        self.picker = UnitPicker()
        self.picker.setToolTip("A conv net has no neurons to click: pick a filter (its kernel) or a neuron here")
        self.picker.changed.connect(self._pick)
        self.picker.setVisible(False)

        self.header = QLabel("Open a lesson and pause training to compare.")
        self.header.setObjectName("nudgeHeader")
        self.header.setWordWrap(True)
        self.explain = QLabel(
            "<b>Nudge</b> (the smile lesson's method): move one weight by ±step, all others held, and keep "
            "the direction that lowers the loss. <b>Gradient</b>: backpropagation says how steeply the loss "
            "rises with each weight (∂L/∂w); gradient descent moves every weight by −lr·∂L/∂w.")
        self.explain.setWordWrap(True)
        self.explain.setStyleSheet("color: #444;")

        self.step_box = StepBox()
        self.step_box.setRange(1e-9, 100.0)
        self.step_box.setSingleStep(0.1)
        self.step_box.setValue(1.0)
        self.step_box.setToolTip("How far each weight is nudged up and down. Starts at the lesson's nudge "
                                 "step; change it to see how the choice depends on the step.")
        self.step_box.valueChanged.connect(lambda _: self._refresh())
        self.apply_button = QPushButton("Apply all at once")
        self.apply_button.setToolTip("Add every chosen nudge together (on a copy) and evaluate again — "
                                     "next to one gradient step on the same weights")
        self.apply_button.clicked.connect(self.reveal_apply_all)
        self.real_nudge = QPushButton("1 nudge iteration")
        self.real_gradient = QPushButton("1 gradient step")
        for b, method in ((self.real_nudge, "nudge"), (self.real_gradient, "gradient")):
            b.setToolTip(f"Ask the trainer for one real iteration of the {method} method on the whole "
                         "network (the next mini-batch)")
            b.clicked.connect(lambda _=False, m=method: self.applyRequested.emit(m))
        controls = QGridLayout()  # short rows: the Explore dock is a third of a 1280-pixel screen
        controls.addWidget(QLabel("step ±"), 0, 0)
        controls.addWidget(self.step_box, 0, 1)
        controls.addWidget(self.apply_button, 0, 2)
        train = QLabel("for real:")
        train.setToolTip("One real iteration of the trainer, on the whole network")
        controls.addWidget(train, 1, 0)
        controls.addWidget(self.real_nudge, 1, 1)
        controls.addWidget(self.real_gradient, 1, 2)
        controls.setColumnStretch(3, 1)
        self.apply_label = QLabel("")
        self.apply_label.setObjectName("applyAllResult")
        self.apply_label.setWordWrap(True)
        self.summary = QLabel("")
        self.summary.setObjectName("nudgeSummary")
        self.summary.setWordWrap(True)

        self.maps = pg.GraphicsLayoutWidget()
        self.maps.setBackground(BACKGROUND)
        self.maps.setMinimumHeight(110)
        self.map_plots, self.map_images = [], []
        for col in range(3):
            p = self.maps.addPlot(row=0, col=col)
            style_image_plot(p)
            img = pg.ImageItem()
            p.addItem(img)
            self.map_plots.append(p)
            self.map_images.append(img)
        self.map_images[2].setLookupTable(AGREEMENT_LUT)
        for col in range(3):  # three equal columns, whatever the titles' lengths
            self.maps.ci.layout.setColumnStretchFactor(col, 1)
            self.maps.ci.layout.setColumnPreferredWidth(col, 10)
        self.map_legend = QLabel()
        self.map_legend.setWordWrap(True)
        self.map_legend.setStyleSheet("color: #444;")
        self._set_map_titles()
        self.maps.scene().sigMouseMoved.connect(self._on_hover)
        self.hover = QLabel("Hover over a map to read one weight.")
        self.hover.setObjectName("nudgeHover")
        self.hover.setWordWrap(True)
        self.hover.setStyleSheet("color: #444;")

        # A view over the comparison's arrays: rows are formatted only when drawn, and the columns
        # are sized once. A QTableWidget with ResizeToContents re-measured every column on each of
        # mnist's 785 × 7 cells, and held the window for minutes.
        self.rows = ComparisonRows(self)
        self.table = QTableView()
        self.table.setModel(self.rows)
        self.table.setObjectName("nudgeTable")
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 6)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.Interactive)
        for col, sample in enumerate(("pixel row 27, col 27", "0.00000", "0.00000", "+0.0000", "+0.0000e-00",
                                      "+0.0000e-00", "✓ same way")):
            header.resizeSection(col, max(self.table.fontMetrics().horizontalAdvance(text) for text in
                                          (sample, COLUMNS[col])) + 18)
        header.setStretchLastSection(True)
        self.table.setAlternatingRowColors(False)
        self.table.setWordWrap(False)

        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.maps, 1)
        tl.addWidget(self.hover)
        self.table_note = QLabel("")
        self.table_note.setStyleSheet("color: #444;")
        self.table_note.setWordWrap(True)
        tl.addWidget(self.table_note)
        for lab, lines in ((self.hover, 3), (self.table_note, 2)):
            # a fixed height: a wrapping label's minimum is guessed too small, and the splitter then
            # squeezed the maps under it
            lab.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)
            lab.setFixedHeight(lines * lab.fontMetrics().lineSpacing() + 2)
            lab.setAlignment(Qt.AlignLeft | Qt.AlignTop)
        split = QSplitter(Qt.Vertical)
        split.addWidget(top)
        split.addWidget(self.table)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setChildrenCollapsible(False)
        # the sentences scroll in a short dock; the controls, maps and table keep their room
        self.notes = scrolling_column((self.header, self.explain, self.apply_label, self.summary, self.map_legend),
                                      min_height=90)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.notes, 2)
        lay.addWidget(self.picker)
        lay.addLayout(controls)
        lay.addWidget(split, 3)

    # -- hooks --------------------------------------------------------------------

    def set_lesson(self, dataset) -> None:
        self.dataset = dataset
        self.layer, self.neuron = 1, 0
        self.comparison = None
        self._computed_for = None
        self._lesson_step = None
        self._revealed = False
        self._comparing.forget()  # a comparison still running for the old lesson is dropped when it ends
        self._clear_drawing()
        self.header.setText("Nothing compared yet in this lesson.")
        if self._on_screen():  # hidden: the next show_snapshot computes (2·P loss evaluations are not free)
            self._refresh()

    def show_snapshot(self, snap, frame=None) -> None:
        self._snap = snap
        self._refresh()

    def select_neuron(self, layer: int, neuron: int) -> None:
        if layer < 1:
            return  # input pixels have no incoming weights
        if self._snap is not None and not self._snap.is_mlp and not self.picker.select(layer, neuron):
            return  # not a filter or neuron of this stack (a pooled map's pixel)
        self.layer, self.neuron = int(layer), int(neuron)
        if self._on_screen():
            self._refresh()

    def _on_screen(self) -> bool:
        # a tab behind another dock tab is "visible" to Qt but moved off screen
        return self.isVisible() and not self.visibleRegion().isEmpty()

    def set_palette(self, name: str) -> None:
        if name in PALETTES:
            self.palette_name = name
            self._set_map_titles()
            if self.comparison is not None:
                self._draw_maps(self.comparison)

    # -- computing ----------------------------------------------------------------

    def _fits(self, snap) -> bool:
        d = self.dataset
        return (d is not None and snap is not None and snap.sizes[0] == d.n_inputs
                and snap.sizes[-1] == d.n_outputs)

    def _refresh(self) -> None:
        snap = self._snap
        if not self._fits(snap):
            self.picker.setVisible(False)
            self.header.setText("Waiting for the lesson's network…" if self.dataset is not None
                                else "Open a lesson to compare the nudge with the gradient.")
            return
        stack = not snap.is_mlp
        if stack:
            net = snap.network()
            self.picker.set_choices(stack_units(net.layers), self.layer, self.neuron)
            self.layer, self.neuron = self.picker.unit()
            self.picker.setVisible(True)
        else:
            self.picker.setVisible(False)
            if not (1 <= self.layer < len(snap.sizes) and 0 <= self.neuron < snap.sizes[self.layer]):
                self.layer, self.neuron = 1, 0
        lesson_step = float(snap.nudge_step_now or snap.settings.get("nudge_step", 1.0))
        if lesson_step != self._lesson_step:  # the lesson's step changed: follow it
            self._lesson_step = lesson_step
            self.step_box.blockSignals(True)
            self.step_box.setValue(lesson_step)
            self.step_box.blockSignals(False)
        step = self.step_box.value()
        key = (self.layer, self.neuron, step)
        if self._computed_for is not None and self._computed_for[0] is snap and self._computed_for[1] == key:
            if self._undrawn is not None and self._on_screen():
                (done_for, c), self._undrawn = self._undrawn, None
                self._draw(done_for, c)
            return
        self._computed_for = (snap, key)
        if not stack:
            self.comparison = compare_snapshot(snap, self.dataset, self.layer, self.neuron, step, sample=SAMPLE)
            self._draw(snap, self.comparison)
            return
        # nothing of another snapshot or unit stays on screen while this one is computed
        self.comparison = None
        self._clear_drawing()
        self.header.setText(f"Comparing {self._unit_name(snap, self.layer, self.neuron)}: every one of its "
                            "weights nudged up and down on its own, on a fixed sample of "
                            f"{CONV_SAMPLE} training examples…")
        job = (snap, key, self.dataset)
        (layer, unit, step), dataset = key, self.dataset
        self._comparing.ask(job, lambda: compare_snapshot(snap, dataset, layer, unit, step, sample=CONV_SAMPLE))

    def _on_computed(self, job, result) -> None:
        snap, key, dataset = job
        current = (self._computed_for is not None and self._computed_for[0] is snap
                   and self._computed_for[1] == key and dataset is self.dataset and snap is self._snap)
        if current:  # else stale: another snapshot, unit, step or lesson was asked for since
            if isinstance(result, Exception):
                self.header.setText(f"Could not compare: {result}")
            elif not self._on_screen():  # the tab went behind another: drawn when it comes back
                self.comparison, self._undrawn = result, (snap, result)
            else:
                self.comparison = result
                self._draw(snap, result)

    def is_computing(self) -> bool:
        """True while a comparison is being computed in the background (or waits to be)."""
        return self._comparing.busy()

    def _pick(self, layer: int, unit: int) -> None:
        self.layer, self.neuron = layer, unit
        self._revealed = False
        self.apply_label.setText("")
        self._refresh()

    def _clear_drawing(self) -> None:
        for img in self.map_images:
            img.clear()
        for numbers in self._value_items:  # blank, kept: making ~75 text items again cost ~0.1 s a draw
            numbers.clear()
        self._map_shape = None
        self._undrawn = None
        self.rows.show(None, np.zeros(0, int), np.zeros(0, int), None)
        self.summary.setText("")
        self.apply_label.setText("")
        self.table_note.setText("")
        self.hover.setText("Hover over a map to read one weight.")

    def _unit_name(self, snap, layer: int, unit: int) -> str:
        if snap.is_mlp:
            return neuron_name(snap.sizes, self.dataset.class_names, self.dataset.task, layer, unit)
        lay = snap.network().layers[layer - 1]
        if lay.type == "conv":
            c = lay.in_shape[0]
            on = "the input" if layer == 1 else f"{c} maps of layer {layer - 1}"
            return f"filter {unit} of conv layer {layer} (a {lay.kernel}×{lay.kernel} kernel on {on})"
        if layer == len(snap.sizes) - 1:
            return neuron_name(snap.sizes, self.dataset.class_names, self.dataset.task, layer, unit)
        return f"dense layer {layer}, neuron {unit}"

    def reveal_apply_all(self) -> None:
        """Show the loss before → after applying every nudge at once (and the gradient step)."""
        self._revealed = True
        self._update_apply_label()

    # -- drawing ------------------------------------------------------------------

    def _draw(self, snap, c: Comparison) -> None:
        d = self.dataset
        n_sample = len(training_sample(d, SAMPLE if snap.is_mlp else CONV_SAMPLE)[0])
        batch = (f"all {n_sample} training examples" if n_sample == len(d.x_train)
                 else f"a fixed sample of {n_sample} of the {len(d.x_train)} training examples")
        if c.kernel_shape is not None:
            ch, k, _ = c.kernel_shape
            what = (f"{k}×{k}" + (f"×{ch}" if ch > 1 else "") + f" = {c.n_weights} kernel weights"
                    + (" + its bias" if c.has_bias else "") + ", shared by every position of its map, so one "
                    "nudge moves the whole map and the gradient adds up what every position asks")
        else:
            what = f"{c.n_weights} incoming weights" + (" + its bias" if c.has_bias else "")
        whole = " — the whole network" if len(snap.sizes) == 2 and snap.sizes[-1] == 1 else ""
        who = self._unit_name(snap, c.layer, c.neuron)
        loss = snap.settings.get("loss", "")
        self.header.setText(
            f"<b>{who[0].upper() + who[1:]}</b>: {what}{whole}. "
            f"Batch: {batch}. Iteration {snap.iteration}; {LOSS_NAMES.get(loss, loss)} loss now "
            f"<b>{_num(c.base_loss)}</b>; learning rate {c.learning_rate:g}. "
            + ("Pick another unit below." if c.kernel_shape is not None or not snap.is_mlp
               else "Click a neuron in the weight panel to compare another."))
        stayed = c.n_params - c.n_moved
        disagree = c.n_moved - c.n_agree
        opposite = (f" and the <b>opposite</b> way for <b>{disagree}</b> (yellow: over a step this big the loss "
                    "curve bends, so the far nudge and the local slope can differ)" if disagree else "")
        self.summary.setText(
            f"The nudge moved <b>{c.n_moved}</b> of {c.n_params} parameters; it went the way the gradient "
            f"points for <b>{c.n_agree}</b>{opposite}"
            + (f"; {stayed} stayed put (neither +step nor −step lowered the loss)." if stayed else "."))
        self._update_apply_label()
        self._draw_maps(c)
        self._fill_table(c)

    def _update_apply_label(self) -> None:
        c = self.comparison
        if c is None or not self._revealed:
            self.apply_label.setText("")
            return
        verdict = ("worse: the trainer would undo this and halve the step" if c.nudges_raise_loss
                   else "better" if c.loss_after_nudges < c.base_loss else "no better, no worse")
        self.apply_label.setText(
            f"All {c.n_moved} nudges at once: loss <b>{_num(c.base_loss)} → {_num(c.loss_after_nudges)}</b> "
            f"({verdict}). One gradient step (lr {c.learning_rate:g}) on the same parameters: "
            f"<b>{_num(c.base_loss)} → {_num(c.loss_after_gradient)}</b>.")

    def _set_map_titles(self) -> None:
        pos, neg = ("green", "red") if self.palette_name == "green-red" else ("blue", "orange")
        for p, t in zip(self.map_plots, ("nudge keeps", "gradient step", "do they agree?")):
            p.setTitle(t, size="9pt")
        # equal minimum widths keep the three maps the same size whatever their titles
        widest = max(p.titleLabel.minimumWidth() for p in self.map_plots)
        for p in self.map_plots:
            p.setMinimumWidth(widest)
            p.setPreferredWidth(widest)
        self.map_legend.setText(
            f"Gradient step = −lr·∂L/∂w. Left and middle: <b>{pos}</b> = the weight goes up, "
            f"<b>{neg}</b> = down, dark = stays. "
            "Right: <b>light</b> = both go the same way, <b style='color:#b08000'>yellow</b> = opposite ways, "
            "dark = the nudge stayed put.")

    def agreement(self, c: Comparison) -> np.ndarray:
        """(P,) STAYED / SAME / OPPOSITE per parameter, as the third map shows it."""
        out = np.full(c.n_params, STAYED, dtype=np.intp)
        out[c.agree] = SAME
        out[c.moved & ~c.agree] = OPPOSITE
        return out

    def _draw_maps(self, c: Comparison) -> None:
        n = c.n_weights
        if c.kernel_shape is not None:  # a filter: its channels' k×k kernels in a grid
            shape = kernel_map_shape(c.kernel_shape)
            gap = np.isnan(kernel_map(np.zeros(n), c.kernel_shape))
            as_map = lambda v: kernel_map(v[:n], c.kernel_shape)  # noqa: E731
        else:
            shape = map_shape(c.layer, n, self.dataset.image_shape)
            gap = np.zeros(shape, bool)
            as_map = lambda v: v[:n].reshape(shape)  # noqa: E731
        lut = lookup_table(self.palette_name)
        nudge = as_map(c.nudge).astype(np.float32)
        grad_step = as_map(c.gradient_step).astype(np.float32)
        self._levels = (c.step, symmetric_level(grad_step[~gap]))
        for img, data, level in ((self.map_images[0], nudge, c.step),
                                 (self.map_images[1], grad_step, self._levels[1])):
            img.setLookupTable(lut)
            shown = np.nan_to_num(data, nan=0.0, posinf=level, neginf=-level)
            shown[gap] = np.nan  # between the kernels: see-through
            img.setImage(shown, levels=(-level, level), autoLevels=False)
        agree = as_map(self.agreement(c)).astype(np.float32)
        self.map_images[2].setImage(agree, levels=(0, 2), autoLevels=False)
        if shape != self._map_shape:
            self._map_shape = shape
            if (shape, n <= VALUES_UP_TO) != self._items_for:
                self._items_for = (shape, n <= VALUES_UP_TO)
                self._make_value_items(shape if n <= VALUES_UP_TO else None)
            for p in self.map_plots:
                p.setRange(xRange=(0, shape[1]), yRange=(0, shape[0]), padding=0.02)
        if self._value_items:
            cells = gap.ravel()
            for numbers, values in ((self._value_items[0], nudge), (self._value_items[1], grad_step)):
                numbers.set_texts(["" if g else cell_text(float(v)) for v, g in zip(values.ravel(), cells)])
            self._value_items[2].set_texts(["" if g else AGREEMENT_MARKS[int(a)] for a, g in zip(agree.ravel(), cells)])

    def values_shown(self) -> bool:
        """True when the maps print their numbers (small maps with room for them)."""
        return any(n.shown() for n in self._value_items)

    def _make_value_items(self, shape) -> None:
        for numbers in self._value_items:
            numbers.remove()
        self._value_items = [] if shape is None else [
            CellNumbers(p, shape, (40, 40, 40) if i == 2 else (255, 255, 255)) for i, p in enumerate(self.map_plots)]

    def _fill_table(self, c: Comparison) -> None:
        # a big neuron (784 weights) lists its steepest weights first; a small one in order
        order = (np.arange(c.n_params) if c.n_params <= VALUES_UP_TO
                 else np.argsort(-np.nan_to_num(np.abs(c.gradient), nan=np.inf), kind="stable"))
        self.table_note.setText("Every parameter, in order:" if c.n_params <= VALUES_UP_TO else
                                f"All {c.n_params} parameters, steepest gradient (largest |∂L/∂w|) first:")
        self.rows.show(c, order, self.agreement(c), self.dataset.image_shape)

    # -- reading back (tests, hover) ----------------------------------------------

    def table_rows(self) -> list[tuple[int, list[str]]]:
        """(parameter index, the row's texts) for every table row, top to bottom."""
        return [(self.rows.parameter(r), self.rows.texts(r)) for r in range(self.rows.rowCount())]

    def _on_hover(self, pos) -> None:
        c = self.comparison
        if c is None or self._map_shape is None:
            return
        h, w = self._map_shape
        for p in self.map_plots:
            if not p.sceneBoundingRect().contains(pos):
                continue
            pt = p.vb.mapSceneToView(pos)
            x, y = int(math.floor(pt.x())), int(math.floor(pt.y()))
            if 0 <= x < w and 0 <= y < h:
                ks = c.kernel_shape
                j = kernel_index(y, x, ks) if ks is not None else y * w + x
                if j is not None:  # not a gap between two kernels
                    self.hover.setText(self.describe(j))
            return

    def describe(self, j: int) -> str:
        """One parameter's numbers in a sentence."""
        c = self.comparison
        name = parameter_name(c.layer, j, c.n_weights, self.dataset.image_shape, c.kernel_shape)
        a = self.agreement(c)[j]
        how = ("same way as the gradient" if a == SAME else "opposite to the gradient" if a == OPPOSITE
               else "neither direction lowered the loss, so it stays")
        return (f"{name}: loss {_num(c.loss_up[j])} if +{c.step:g}, {_num(c.loss_down[j])} if −{c.step:g} "
                f"(now {_num(c.base_loss)}) → nudge keeps {_signed(c.nudge[j])}; "
                f"∂L/∂w = {_signed(c.gradient[j])}, "
                f"gradient step {_signed(c.gradient_step[j])} — {how}.")


class ComparisonRows(QAbstractTableModel):
    """The table's rows: one per parameter of the compared neuron, in ``order``, each formatted
    only when the view asks for it (what is on screen), never all 785 up front."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._c, self._order, self._agree, self._shape = None, np.zeros(0, int), np.zeros(0, int), None

    def show(self, c: Comparison | None, order: np.ndarray, agree: np.ndarray, image_shape) -> None:
        self.beginResetModel()
        self._c, self._order, self._agree, self._shape = c, np.asarray(order), agree, image_shape
        self.endResetModel()

    def rowCount(self, parent=None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self._order)

    def columnCount(self, parent=None) -> int:
        return 0 if parent is not None and parent.isValid() else len(COLUMNS)

    def parameter(self, row: int) -> int:
        return int(self._order[row])

    def texts(self, row: int) -> list[str]:
        c, j = self._c, self.parameter(row)
        a = self._agree[j]
        return [parameter_name(c.layer, j, c.n_weights, self._shape, c.kernel_shape), _num(c.loss_up[j]), _num(c.loss_down[j]),
                _signed(c.nudge[j]), _signed(c.gradient[j]), _signed(c.gradient_step[j]),
                "✓ same way" if a == SAME else "✗ opposite" if a == OPPOSITE else "— stayed"]

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid() or self._c is None:
            return None
        row, col = index.row(), index.column()
        if role == Qt.DisplayRole:
            return self.texts(row)[col]
        if role == Qt.UserRole:
            return self.parameter(row)
        if role == Qt.TextAlignmentRole and 1 <= col <= 5:
            return int(Qt.AlignRight | Qt.AlignVCenter)
        if role == Qt.BackgroundRole:
            a = self._agree[self.parameter(row)]
            return QBrush(AGREE_ROW) if a == SAME else QBrush(DISAGREE_ROW) if a == OPPOSITE else None
        return None

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if orientation != Qt.Horizontal:
            return None
        if role == Qt.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ToolTipRole:
            return TOOLTIPS[section]
        return None
