"""Weight heatmaps: each first-layer neuron's incoming weights in the input's shape,
deeper layers as matrices; symmetric, stable levels so 0 is always the neutral colour.

Layer numbers count activations (input = 0): neuron k of layer i+1 is row k of
``weights[i]``, and ``neuronSelected`` emits (i+1, k). One ImageItem draws the
first-layer mosaic and one each matrix, so a frame is a handful of ``setImage``
calls, never a rebuild.

Level rule (per layer, weights and ΔW kept apart): L = 1.25 · max|w| over the finite
values, recomputed only when max|w| grows past L or falls below L/2 — so two frames
with about the same range draw the same weight in the same colour.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSizePolicy, QSplitter, QVBoxLayout, QWidget

from ..graphics.lut_image import LutImageItem, draw_heatmap
from ..graphics.palettes import PALETTES, StableLevel, beyond, colormap, lookup_table
from ..graphics.plot_style import (
    fit_title, lighten_plot, one_layout_pass, room_for_end_labels, skip_when_clean, style_image_plot,
)
from ..graphics.redraw_memo import RedrawMemo, running_snapshot
from ..graphics.spares import add_plot, color_bar
from ..graphics.tiles import GAP, fit_grid, tile_at, tile_mosaic
from ..graphics.view_protocol import LessonView
from .weight_editing import WeightEditor, next_in_cycle
from .weight_matrices import EnlargedNeuron, MatrixStack, PageNav, TileNumbers

pg.setConfigOptions(imageAxisOrder="row-major")

ENLARGE = 2.2  # the enlarged neuron is drawn about this many times as tall as its tile (weight_matrices)
VALUES_UP_TO = 48  # weights on a page; fewer than this (the smile's 12) get their numbers printed
PAGE_SIZE = 32  # tiles per page when a layer has more than PAGE_FROM neurons
PAGE_FROM = 36
BACKGROUND = (235, 235, 235)


HOVER_HINT = "Hover over a weight to read it; click a neuron to enlarge it."


class WeightPanel(LessonView, QWidget):
    """objectName ``weightPanel``."""

    neuronSelected = Signal(int, int)  # (layer, neuron), layer counts activations, input = 0
    weightEdited = Signal(int, int, int, float, bool)  # a weight set by hand (weight_editing.py)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("weightPanel")
        self.palette_name = "green-red"
        self.show_delta = False
        self.sizes: list[int] = []
        self.image_shape = (1, 1)
        self.class_names: tuple[str, ...] = ()
        self._snapshot = None
        self._shown: list[np.ndarray] = []
        self._lv: list[float] = []
        self._selected, self._biases = None, []
        self._order = np.zeros(0, dtype=np.intp)  # neuron shown in each tile slot, all pages
        self.page, self.per_page = 0, 1
        self._needs_range = True
        self._memo = RedrawMemo()
        self._layout_key = None  # the frame layout last drawn in (sizes, activation, data)
        self._items_for = None  # what the items were built for (``_item_key``)
        self._hovered = None  # (layer, neuron, row, col) under the mouse: its text follows the snapshot
        self.mosaic_plot = self.select_box = None  # built by set_layout, for the first architecture

        self.legend = QLabel(styleSheet="color: #444;")
        self.legend.setWordWrap(True)  # ΔW's longer legend takes a second line, not a wider dock
        self.legend.setToolTip("Magenta marks a weight that is not a number (NaN or ±inf).")
        self.delta_box = QCheckBox("last change (ΔW)", toolTip="Show what the last iteration changed instead of "
                                   "the weights themselves")
        self.delta_box.toggled.connect(self.set_show_delta)
        top = QHBoxLayout()
        top.addWidget(self.legend, 1)
        top.addWidget(self.delta_box)

        self.nav = PageNav(PAGE_SIZE)  # paging for wide layers (digits: 128 tiles): 32 at a time stay readable
        self.prev_button, self.next_button, self.page_label = self.nav.prev_button, self.nav.next_button, \
            self.nav.page_label
        self.page_combo, self.sort_box = self.nav.page_combo, self.nav.sort_box
        self.prev_button.clicked.connect(lambda: self.set_page(self.page - 1))
        self.next_button.clicked.connect(lambda: self.set_page(self.page + 1))
        self.page_combo.currentIndexChanged.connect(lambda _: self._relayout_tiles())
        self.sort_box.toggled.connect(lambda _: self._relayout_tiles())

        self.view = pg.GraphicsLayoutWidget()
        self.matrix_view = MatrixStack()
        self.detail_view = EnlargedNeuron()
        for v in (self.view, self.matrix_view, self.detail_view):
            v.setBackground(BACKGROUND)
        self.info = QLabel(HOVER_HINT)
        self.info.setObjectName("weightInfo")
        self.info.setWordWrap(True)
        # three lines whatever the hover says (a label growing with its text would move the views)
        self.info.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)
        self.info.setFixedHeight(3 * self.info.fontMetrics().lineSpacing() + 2)
        self.info.setAlignment(Qt.AlignLeft | Qt.AlignTop)
        bottom = QWidget()  # the enlarged neuron gets the full width under the hover text
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.addWidget(self.info)
        self.editor = WeightEditor(self)  # set the selected weight by hand
        self.editor.edited.connect(self.weightEdited)
        bl.addWidget(self.editor)
        bl.addWidget(self.detail_view, 1)
        first = QWidget()
        fl = QVBoxLayout(first)
        fl.setContentsMargins(0, 0, 0, 0)
        fl.addWidget(self.nav)
        fl.addWidget(self.view, 1)
        # the user can trade room between the mosaic, the matrices and the enlarged neuron
        self.splitter = QSplitter(Qt.Vertical)
        for w in (first, self.matrix_view, bottom):
            self.splitter.addWidget(w)
        self.splitter.setChildrenCollapsible(False)
        self._reserved = False  # room kept for the enlarged neuron (see _reserve_detail)
        self._levels, self._delta_levels = [], []  # per weight layer, from set_layout
        self.splitter.splitterMoved.connect(lambda *_: setattr(self, "_reserved", True))  # the learner's sizes
        for i, stretch in enumerate((5, 3, 0)):
            self.splitter.setStretchFactor(i, stretch)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addWidget(self.splitter, 1)
        for v in (self.view, self.matrix_view):
            v.scene().sigMouseMoved.connect(lambda pos, v=v: self._on_hover(pos, v))
            v.scene().sigMouseClicked.connect(lambda ev, v=v: self._on_click(ev, v))
        self._update_legend()

    # -- layout (once per architecture) ---------------------------------------------

    def set_layout(self, sizes, image_shape, class_names) -> None:
        """Lay the items out for a net of ``sizes`` (input first) whose input is an image_shape image,
        and start them as a fresh window's (``restart``). The mosaic, its bar and the enlarged
        neuron do not depend on the net: made once (a lesson switch made them all again, ~0.1 s)."""
        self.sizes, self.image_shape, self.class_names = list(sizes), tuple(image_shape), tuple(class_names)
        if self.mosaic_plot is None:
            self._build_mosaic()
        self.matrix_view.build(sizes, self.class_names, self.palette_name)
        self._items_for = self._item_key(sizes, image_shape, class_names)
        self.restart()

    def _build_mosaic(self) -> None:
        with one_layout_pass(self.view):
            lut = lookup_table(self.palette_name)
            self.mosaic_plot = add_plot(self.view, row=0, col=0)
            fit_title(self.mosaic_plot)
            style_image_plot(self.mosaic_plot)
            self.mosaic_plot.vb.sigResized.connect(self._on_view_resized)
            self.mosaic = LutImageItem(lut=lut)
            self.mosaic_flags = pg.ImageItem()  # magenta over non-finite weights, usually hidden
            self.select_box = pg.QtWidgets.QGraphicsRectItem()
            self.select_box.setPen(pg.mkPen(255, 200, 0, width=2.5, cosmetic=True))
            for item in (self.mosaic, self.mosaic_flags, self.select_box):
                self.mosaic_plot.addItem(item)
            self.mosaic_bar = color_bar(self.palette_name, 12)
            self.mosaic_bar.setImageItem(self.mosaic)
            self.view.addItem(self.mosaic_bar, row=0, col=1)
            self.view.ci.layout.setColumnFixedWidth(1, 48)  # room for the bar's numbers
            room_for_end_labels(self.mosaic_bar)
            lighten_plot(self.mosaic_plot)
            lighten_plot(self.mosaic_bar)
            skip_when_clean(self.mosaic_bar)
        self.detail_view.build(self.palette_name)
        self.detail = self.detail_view.image
        self.numbers = TileNumbers(self.mosaic_plot, VALUES_UP_TO)

    @staticmethod
    def _item_key(sizes, image_shape, class_names) -> tuple:
        """What the items depend on: the layer sizes and the data's shape and names, not the
        hidden activation (a rebuild that changes only that keeps them: ``restart``)."""
        return tuple(sizes), tuple(image_shape), tuple(class_names)

    def restart(self) -> None:
        """The items built as a fresh window has them: no selection, hover, edit or zoom, levels
        fitted anew, the splitter and page back at the start; the next frame draws everything."""
        n_layers = len(self.sizes) - 1
        # robust: one typed-in 5 hides nothing; marks: the same weights, the same colour bar
        self._levels = [StableLevel(robust=True, marks=True) for _ in range(n_layers)]
        self._delta_levels = [StableLevel() for _ in range(n_layers)]
        self._selected, self._shown, self._lv, self.page = None, [], [], 0
        self._hovered = None
        self.info.setText(HOVER_HINT)
        self.editor.clear()
        self._memo.forget()  # nothing drawn or set on the items for this network yet
        self.mosaic.clear()
        self.mosaic_flags.setVisible(False)
        self.select_box.setVisible(False)
        self.matrix_view.restart()
        self.splitter.setSizes([520, 260 * (n_layers > 1), 150])  # relative: the mosaic gets most
        self.detail_view.restart()
        self.nav.setVisible(self.sizes[1] > PAGE_FROM)
        # a one-neuron net (the smile) is its own enlargement: keep it selected, drop the copy
        single = self.sizes[1:] == [1]
        self.detail_view.setVisible(not single)
        if single:
            self._selected = (1, 0)
        self._relayout_tiles()
        self._reserved = False  # until a neuron is selected or the learner moves the splitter
        QTimer.singleShot(0, self, self._reserve_detail)  # once the mosaic has its size

    def _relayout_tiles(self, resort: bool = True) -> None:
        """Tile order and page geometry; on page / sort / page-size / view-shape changes, never per
        frame. ``resort`` takes the "strongest first" order anew (user actions only)."""
        if not self.sizes:
            return
        n = self.sizes[1]
        paged = n > PAGE_FROM and self.page_combo.currentIndex() == 0
        self.per_page = PAGE_SIZE if paged else n
        self.pages = math.ceil(n / self.per_page)
        self.page = min(max(self.page, 0), self.pages - 1)
        if not resort and len(self._order) == n:
            pass
        elif self.sort_box.isChecked() and self._shown:
            self._order = np.argsort(-np.sqrt(np.nansum(self._shown[0].reshape(n, -1) ** 2, axis=1)),
                                     kind="stable")
        else:
            self._order = np.arange(n)
        self.grid_rows, self.grid_cols = self._fitting_grid()
        self.numbers.place(len(self.page_neurons()), *self.image_shape, self.grid_cols)
        self._update_page_label()
        self._needs_range = True
        if self._snapshot is not None and tuple(self._snapshot.sizes) == tuple(self.sizes):
            self.show_snapshot(self._snapshot)
        self._place_select_box()

    def _fitting_grid(self) -> tuple[int, int]:
        """Tile grid for one page that makes tiles largest in the mosaic view as it is now."""
        r = self.mosaic_plot.vb.geometry() if self.mosaic_plot is not None else QRectF()
        return fit_grid(self.per_page, *self.image_shape, r.width(), r.height())

    def page_neurons(self) -> np.ndarray:
        """Neuron numbers in the current page's tile slots, in slot order."""
        return self._order[self.page * self.per_page:(self.page + 1) * self.per_page]

    def set_page(self, page: int) -> None:
        if self.sizes and page != self.page and 0 <= page < self.pages:
            self.page = page
            self._relayout_tiles()

    def _update_page_label(self):
        n, h, w = self.sizes[1], *self.image_shape
        shown = self.page_neurons()
        which = ("strongest " if self.sort_box.isChecked() else "") + (
            f"tiles {self.page * self.per_page + 1}–{self.page * self.per_page + len(shown)} of {n}"
            if self.pages > 1 else f"all {n}")
        self.page_label.setText(f"page {self.page + 1}/{self.pages}: {which}")
        self.prev_button.setEnabled(self.page > 0)
        self.next_button.setEnabled(self.page < self.pages - 1)
        whose = "the neuron's" if n == 1 else "each neuron's"
        self.mosaic_plot.setTitle(f"into layer 1: {whose} {h * w} weights, {w} wide × {h} tall", size="8pt")

    def _on_view_resized(self):
        # window, dock or splitter changed the mosaic's room: refit (and maybe regrid) once laid out
        self._needs_range = True
        QTimer.singleShot(0, self._fit_views)
        if not self._reserved:
            QTimer.singleShot(0, self, self._reserve_detail)

    def _fit_views(self):
        if not self._shown or not self._needs_range:
            return
        if self._fitting_grid() != (self.grid_rows, self.grid_cols):
            self._relayout_tiles(resort=False)  # the view changed shape: another grid makes tiles bigger
            return
        self._needs_range = False  # later frames keep the user's zoom
        self.mosaic_plot.disableAutoRange()
        self.mosaic_plot.vb.autoRange(items=[self.mosaic], padding=0.02)
        self.matrix_view.fit()

    # -- data (every frame) ------------------------------------------------------------

    def set_lesson(self, dataset) -> None:
        """Nothing of the previous lesson stays: no hover text, no selection, no weights."""
        self._snapshot, self._shown, self._selected, self._hovered, self._layout_key = None, [], None, None, None
        self._items_for = None  # a lesson's first frame builds its own
        self.info.setText(HOVER_HINT)
        self.editor.clear()

    def reset_levels(self) -> None:
        """Colour levels fitted afresh on the next frame (see WeightsStack.show_snapshot)."""
        for level in self._levels + self._delta_levels:
            level.reset()

    def show_snapshot(self, snap, frame=None) -> None:
        """Draw ``snap``'s weights (or its ΔW) into the existing items."""
        if frame is not None and frame.dataset is not None and frame.layout_key != self._layout_key:
            self._layout_key, ds = frame.layout_key, frame.dataset  # a rebuild or a lesson
            self._snapshot = None  # the network before is not drawn into the items on the way
            if self._item_key(snap.sizes, ds.image_shape, ds.class_names) == self._items_for:
                self.restart()  # only the activation changed: the same items, started afresh
            else:
                self.set_layout(list(snap.sizes), ds.image_shape, ds.class_names)
        self._snapshot = snap
        if not self.sizes or tuple(snap.sizes) != tuple(self.sizes):
            return
        if self.show_delta:
            src = snap.update_w or tuple(np.zeros_like(w) for w in snap.weights)
            levels = self._delta_levels
        else:
            src, levels = snap.weights, self._levels
        self._biases = list(snap.biases) if snap.bias else []  # a net without biases names none
        first = np.asarray(src[0], dtype=np.float32).reshape(self.sizes[1], *self.image_shape)
        self._shown = [first] + [np.asarray(m, dtype=np.float32) for m in src[1:]]
        self._lv = [levels[i].update(a) for i, a in enumerate(self._shown)]
        idle = HOVER_HINT
        if not self.show_delta:
            n = sum(beyond(lv, a) for lv, a in zip(self._lv, self._shown))
            if n:
                idle += (f" {n:,} weight{'s' if n != 1 else ''} far beyond the rest {'are' if n != 1 else 'is'} drawn "
                         f"at full colour (the colour bar follows the other weights).")
        self._idle = idle
        if self._hovered is None and self.info.text() != idle:
            self.info.setText(idle)
        ids = self.page_neurons()
        page = first[ids]
        # While training runs, a picture within half a colour step of the one shown is kept
        # (no new image, no repaint); paused, every step is drawn.
        running = running_snapshot(snap)
        if not self._memo.unchanged("mosaic", page, 2 * self._lv[0],
                                    (self._lv[0], ids.tobytes(), self.grid_cols, self.show_delta),
                                    allow=running):
            bad = None if np.isfinite(page).all() else tile_mosaic((~np.isfinite(page)).astype(np.float32),
                                                                    self.grid_cols) == 1
            draw_heatmap(self.mosaic, self.mosaic_flags, tile_mosaic(page, self.grid_cols), self._lv[0], bad)
        self.numbers.show(page)
        self._memo.set_if_changed("bar0", (-self._lv[0], self._lv[0]), self.mosaic_bar.setLevels)
        self.matrix_view.draw(self._shown[1:], self._lv[1:], skip_unchanged=running)
        self._fit_views()
        self._update_detail()
        if self._hovered is not None:  # the mouse rests on a weight: read it in the weights now shown
            self.info.setText(self.hover_text_at(*self._hovered))
        self.editor.follow(self._snapshot)

    def tile_origin(self, neuron: int):
        """(y, x) of a neuron's tile's top-left corner in mosaic pixels, or None if not on this page."""
        slots = np.flatnonzero(self.page_neurons() == neuron)
        if not slots.size:
            return None
        h, w = self.image_shape
        r, c = divmod(int(slots[0]), self.grid_cols)
        return r * (h + GAP), c * (w + GAP)

    def tile_rect(self, neuron: int) -> QRectF | None:
        """The neuron's tile in mosaic view coordinates (turns to its page first)."""
        self.show_neuron_page(neuron)
        y, x = self.tile_origin(neuron)
        h, w = self.image_shape
        return QRectF(x, y, w, h)

    def show_neuron_page(self, neuron: int) -> None:
        where = np.flatnonzero(self._order == neuron)
        if where.size:
            self.set_page(int(where[0]) // self.per_page)

    def _update_detail(self):
        if self._selected is None or not self._shown:
            return
        layer, k = self._selected
        data = self._shown[0][k] if layer == 1 else self._shown[layer - 1][k][None, :]
        b = f" · bias {self._biases[layer - 1][k]:+.3f}" if len(self._biases) >= layer else ""
        self.detail_view.draw(data, self._lv[layer - 1], (layer, k), f"layer {layer} · neuron {k}"
                              f"{' · ΔW' * self.show_delta}{b}", running_snapshot(self._snapshot))

    # -- interaction ------------------------------------------------------------------

    def select_neuron(self, layer: int, neuron: int) -> None:
        """Select neuron ``neuron`` of activation layer ``layer`` (≥ 1) and emit neuronSelected."""
        if layer < 1 or layer >= len(self.sizes) or not 0 <= neuron < self.sizes[layer]:
            return
        self._selected, self._reserved = (layer, neuron), True
        if layer == 1:
            self.show_neuron_page(neuron)
        self._place_select_box()
        self._update_detail()
        self._enlarge_detail()
        self.neuronSelected.emit(layer, neuron)

    def tile_pixels(self) -> float:
        """How tall one first-layer tile is on screen, in pixels (0 before the first layout)."""
        if self.mosaic_plot is None:
            return 0.0
        per_unit = self.mosaic_plot.vb.viewPixelSize()[1]
        return self.image_shape[0] / per_unit if per_unit > 0 else 0.0

    def _reserve_detail(self) -> None:
        """Room for the enlarged neuron before one is selected, so that selecting one moves
        nothing (it re-flowed the 16 tiles from 6-6-4 to smaller ones as it grew); followed
        while the window and docks settle, never once the learner has chosen."""
        if (not self._reserved and self._selected is None and self.detail_view.isVisible()
                and self.tile_pixels() > 0 and len(self.sizes) > 1):
            self.detail_view.grow_in(self.splitter, ENLARGE * self.tile_pixels(), self.image_shape)

    def _enlarge_detail(self) -> None:
        if self.detail_view.isVisible() and self._selected is not None and self._selected[0] == 1:
            self.detail_view.grow_in(self.splitter, ENLARGE * self.tile_pixels())

    def _place_select_box(self):
        if self.select_box is None:
            return
        origin = self.tile_origin(self._selected[1]) if self._selected and self._selected[0] == 1 else None
        if origin is None:
            self.select_box.setVisible(False)
            return
        (y, x), (h, w) = origin, self.image_shape
        self.select_box.setRect(x - 0.5, y - 0.5, w + 1, h + 1)
        self.select_box.setVisible(True)

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
        if self.sizes:
            self.detail_view.set_palette(self.palette_name)
            self.mosaic_bar.setColorMap(colormap(self.palette_name))  # the bar hands it to its image
            self.matrix_view.set_palette(self.palette_name)
        self._update_legend()

    def _update_legend(self):
        pos, neg = ("green", "red") if self.palette_name == "green-red" else ("blue", "orange")
        what = "change of each weight in the last iteration" if self.show_delta else "weights"
        self.legend.setText(f"{what}: <b>{pos}</b> positive, <b>{neg}</b> negative, dark = 0")

    def hover_text_at(self, layer: int, neuron: int, row: int, col: int | None = None) -> str:
        """Text for one weight. layer ≥ 1; for layer 1 (row, col) is the input pixel;
        deeper layers: ``row`` is the from-neuron of layer − 1."""
        name = "ΔW" if self.show_delta else "weight"
        bias = f"; bias {self._biases[layer - 1][neuron]:+.4f}" if len(self._biases) >= layer else ""
        if layer == 1:
            v = self._shown[0][neuron, row, col]
            return f"layer 1, neuron {neuron}: {name} {v:+.4f} from input pixel (row {row}, column {col}){bias}"
        v = self._shown[layer - 1][neuron, row]
        last = layer == len(self.sizes) - 1 and len(self.class_names) == self.sizes[-1]
        to = f"class {self.class_names[neuron]} (neuron {neuron})" if last else f"neuron {neuron}"
        return f"layer {layer}, {to}: {name} {v:+.4f} from neuron {row} of layer {layer - 1}{bias}"

    def _locate(self, scene_pos, source=None):
        """(layer, neuron, row, col) under a position in ``source``'s scene, or None."""
        if not self._shown:
            return None
        source = source or self.view
        if source is self.view and self.mosaic_plot.sceneBoundingRect().contains(scene_pos):
            p = self.mosaic_plot.vb.mapSceneToView(scene_pos)
            h, w = self.image_shape
            hit = tile_at(int(math.floor(p.y())), int(math.floor(p.x())), h, w, self.grid_cols)
            neurons = self.page_neurons()
            if hit is None or hit[0] >= len(neurons):
                return None
            return 1, int(neurons[hit[0]]), hit[1], hit[2]
        hit = self.matrix_view.locate(scene_pos) if source is self.matrix_view else None
        return None if hit is None else (*hit, None)

    def _on_hover(self, pos, source=None):
        hit = self._locate(pos, source)
        if hit is not None:  # kept when the mouse moves on: the text goes on naming this weight
            self._hovered = hit
            self.info.setText(self.hover_text_at(*hit))

    def _on_click(self, ev, source=None):
        hit = self._locate(ev.scenePos(), source)
        if hit is None:
            return
        layer, neuron, row, col = hit
        self.select_neuron(layer, neuron)
        index = row * self.image_shape[1] + col if layer == 1 else row
        self.editor.select(layer - 1, neuron, index, f"layer {layer}, neuron {neuron}, weight {index}")
        self.setFocus()  # + / − and Ctrl+Z now act on this weight
        self.editor.follow(self._snapshot)
        if self.sizes[1:] == [1] and not self.editor.on_bias:  # the smile: a click cycles −1 → 0 → +1
            self.editor.set_value(next_in_cycle(self.editor.values[0]))

    def set_weight(self, layer: int, neuron: int, index: int, value: float) -> None:
        """Set a weight by hand, the command a click or typed value sends (undoable, through the
        training thread): ``layer`` counts weight layers from 0, ``index`` is the flat index into
        that neuron's incoming weights."""
        self.weightEdited.emit(int(layer), int(neuron), int(index), float(value), False)

    # -- for tests and tools -------------------------------------------------------------

    def view_point(self, layer: int, neuron: int, row: int, col: int | None = None):
        """(widget, QPoint) at the centre of one weight, for a real mouse event in tests and tools.
        layer 1: (row, col) is the input pixel; deeper: ``row`` is the from-neuron."""
        if layer == 1:
            r = self.tile_rect(neuron)
            vb, p = self.mosaic_plot.vb, QPointF(r.x() + col + 0.5, r.y() + row + 0.5)
            return self.view, self.view.mapFromScene(vb.mapViewToScene(p))
        return self.matrix_view, self.matrix_view.view_point(layer, neuron, row)

    def displayed_weights(self) -> list[np.ndarray]:
        """What is drawn (ΔW when that is on): first layer (neurons, height, width) for all
        neurons (the mosaic shows one page of them), deeper ones (to, from)."""
        return [a.copy() for a in self._shown]

    def levels(self) -> list[float]:
        """Per weight layer, L of the symmetric levels (−L, L) in use."""
        return list(self._lv) if self._shown else []
