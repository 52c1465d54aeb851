"""The weight panel's other parts: the deeper layers' weight matrices, stacked — one heatmap
per matrix, rows = receiving neuron, columns = sending neuron of the layer before, each with
its own colour bar —, the selected neuron's weights enlarged, and the page controls.

Matrix j of the stack draws ``weights[j + 1]``, the weights into activation layer j + 2.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QGridLayout, QLabel, QPushButton, QWidget

from ..graphics.lut_image import LutImageItem, draw_heatmap
from ..graphics.palettes import colormap, lookup_table
from ..graphics.plot_style import (
    fit_image, fit_title, lighten_plot, one_layout_pass, room_for_end_labels, skip_when_clean, style_image_plot,
)
from ..graphics.redraw_memo import RedrawMemo
from ..graphics.spares import add_plot, color_bar
from ..graphics.tiles import GAP


def index_ticks(n: int, names=None) -> list[list[tuple[float, str]]]:
    """Tick levels at pixel centres (k + 0.5): every s-th entry with ≤ 2 labels, then s/2, s/4, s/8.
    pyqtgraph draws a finer level only when its labels fit, but the first always: four labels
    there ran together ("0 4 8 12" on top of each other) on a matrix 30 pixels tall."""
    step = 1
    while n / step > 2:
        step *= 2
    levels, done = [], set()
    for s in (step, step // 2, step // 4, step // 8):
        if s >= 1:
            ks = [k for k in range(0, n, s) if k not in done]
            done.update(ks)
            levels.append([(k + 0.5, names[k] if names else str(k)) for k in ks])
    return levels


class MatrixStack(pg.GraphicsLayoutWidget):
    """Heatmaps of weights[1:], built once per architecture, redrawn in place."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._memo = RedrawMemo()
        self._rows: list[tuple] = []  # (plot, image, flags, bar) per matrix ever shown
        self._palette = None
        self.plots, self.images, self.flags, self.bars = [], [], [], []

    def build(self, sizes, class_names, palette: str) -> None:
        """sizes: activation layer sizes, input first; the last rows get class names. A row's
        plot, image and bar once made are kept for the next net (taken out of the grid when it
        has fewer matrices): making them held a lesson switch ~25 ms a row."""
        for item in list(self.ci.items):
            self.ci.removeItem(item)
        self.set_palette(palette)
        n = len(sizes) - 1
        with one_layout_pass(self):
            while len(self._rows) < n - 1:
                self._rows.append(self._make_row(palette))
            for i in range(1, n):
                p, img, flags, bar = self._rows[i - 1]
                names = list(class_names) if i == n - 1 and len(class_names) == sizes[-1] else None
                self.addItem(p, row=i - 1, col=0)
                self.addItem(bar, row=i - 1, col=1)
                p.getAxis("left").setTicks(index_ticks(sizes[i + 1], names))
                p.getAxis("bottom").setTicks(index_ticks(sizes[i]))
                p.setLabel("left", "class" if names else f"to (layer {i + 1})", **{"font-size": "8pt"})
                p.setTitle(f"into layer {i + 1}: row = to, column = from layer {i}", size="8pt")
            if n > 1:
                self.ci.layout.setColumnFixedWidth(1, 44)  # room for the bars' numbers
        self.plots, self.images, self.flags, self.bars = (list(x) for x in zip(*self._rows[:n - 1])) \
            if n > 1 else ([], [], [], [])
        self.setVisible(n > 1)
        self.setMinimumHeight(90 * (n - 1))
        self.restart()

    def _make_row(self, palette: str) -> tuple:
        """A matrix's plot (row 0 on top, as in the matrix), its image, NaN/inf flags and bar."""
        p = add_plot(self, row=0, col=0)
        fit_title(p)  # the long title wraps rather than widen the weights dock
        p.setMenuEnabled(False)
        p.hideButtons()
        p.invertY(True)
        p.getAxis("left").setWidth(34)
        img, flags = LutImageItem(lut=lookup_table(palette)), pg.ImageItem()  # flags: magenta over NaN/inf
        p.addItem(img)
        p.addItem(flags)
        bar = color_bar(palette, 10)
        bar.setImageItem(img)
        room_for_end_labels(bar)
        lighten_plot(p)
        lighten_plot(bar)
        skip_when_clean(bar)
        self.ci.removeItem(p)  # placed by build
        return p, img, flags, bar

    def restart(self) -> None:
        """As built: no picture, nothing set on the items yet (the next ``draw`` sets it all)."""
        self._memo.forget()
        for img, flags in zip(self.images, self.flags):
            img.clear()
            flags.setVisible(False)

    def draw(self, matrices, levels, skip_unchanged: bool = False) -> None:
        """matrices: (to, from) float32 arrays; levels: L per matrix for (−L, L).
        ``skip_unchanged``: keep a matrix whose picture would look the same (RedrawMemo.unchanged)."""
        for j, (img, flags, bar, m, L) in enumerate(zip(self.images, self.flags, self.bars, matrices, levels)):
            if not self._memo.unchanged(f"m{j}", m, 2 * L, L, allow=skip_unchanged):
                draw_heatmap(img, flags, m, L, None if np.isfinite(m).all() else ~np.isfinite(m))
            self._memo.set_if_changed(f"bar{j}", (-L, L), bar.setLevels)

    def fit(self) -> None:
        for p, img in zip(self.plots, self.images):
            p.disableAutoRange()
            p.vb.autoRange(items=[img], padding=0.02)

    def set_palette(self, name: str) -> None:
        if name != self._palette:
            self._palette = name
            for _, _, _, bar in self._rows:  # the bar hands its colours to its image
                bar.setColorMap(colormap(name))

    def locate(self, scene_pos):
        """(activation layer, to, from) under a scene position, or None."""
        for j, (p, img) in enumerate(zip(self.plots, self.images)):
            if p.vb.sceneBoundingRect().contains(scene_pos) and img.image is not None:
                q = p.vb.mapSceneToView(scene_pos)
                x, y = int(math.floor(q.x())), int(math.floor(q.y()))
                if 0 <= y < img.image.shape[0] and 0 <= x < img.image.shape[1]:
                    return j + 2, y, x
        return None

    def view_point(self, layer: int, to: int, frm: int):
        """QPoint in this widget at the centre of weight (to, frm) of activation layer ``layer``."""
        vb = self.plots[layer - 2].vb
        return self.mapFromScene(vb.mapViewToScene(pg.QtCore.QPointF(frm + 0.5, to + 0.5)))


class EnlargedNeuron(pg.GraphicsLayoutWidget):
    """The selected neuron's incoming weights drawn large (``image``), titled with its bias."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._memo = RedrawMemo()
        self.setMinimumHeight(90)

    def build(self, palette: str) -> None:
        self.clear()
        self.plot = add_plot(self)
        fit_title(self.plot)
        style_image_plot(self.plot)
        self.image = LutImageItem(lut=lookup_table(palette))
        self.plot.addItem(self.image)
        self.restart()
        lighten_plot(self.plot)

    def restart(self) -> None:
        """As built: no neuron drawn, asking for a click, square pixels (a deeper neuron's strip
        was stretched), fitted anew when one is drawn."""
        self._memo.forget()
        self.image.clear()
        self.plot.setAspectLocked(True)
        self.plot.setTitle("click a neuron", size="8pt")

    def draw(self, data: np.ndarray, L: float, which: tuple, title: str, running: bool) -> None:
        """``data``: (h, w) weights in the input's shape, or (1, n) for a deeper neuron's row;
        levels (−L, L); ``which`` (layer, neuron) refits the view when it changes."""
        self.image.setImage(data, levels=(-L, L), autoLevels=False)
        self._memo.set_if_changed("fit", (which, data.shape),  # a deeper neuron's row is a strip
                                  lambda _: fit_image(self.plot, self.image, which[0] == 1))
        # a new title re-lays-out the plot: while training runs, the bias is refreshed a few times a second
        same_but_bias = self._memo.last("title", "").split(" · bias")[0] == title.split(" · bias")[0]
        if not same_but_bias or self._memo.text_due("title", running):
            self._memo.set_if_changed("title", title, lambda t: self.plot.setTitle(t, size="8pt"))

    def grow_in(self, splitter, wanted: float, shape: tuple | None = None) -> None:
        """Be about ``wanted`` pixels tall, taking the room from the mosaic's share of ``splitter``
        (the mosaic, the matrices, this), so the tiles shrink as it grows; at most half of it.
        ``shape``: (h, w) of a neuron not drawn yet (room reserved before one is selected)."""
        missing, sizes = wanted - (self.pixels() if shape is None else self.room_for(shape)), splitter.sizes()
        if missing <= 4 or len(sizes) != 3:
            return
        # taking d pixels from the mosaic also shrinks its tiles: solve roughly for both at once
        step = int(min(missing / 1.6, sizes[0] - 120, sum(sizes) // 2 - sizes[2]))
        if step > 0:
            splitter.setSizes([sizes[0] - step, sizes[1], sizes[2] + step])

    def room_for(self, shape: tuple) -> float:
        """How tall an (h, w) neuron would be drawn in the plot as it is now, in pixels."""
        vb = self.plot.vb
        h, w = shape[0], shape[1] if len(shape) > 1 else 1
        return float(min(vb.height(), vb.width() * h / max(1, w)))

    def pixels(self) -> float:
        """How tall the neuron is drawn, in pixels."""
        per_unit = self.plot.vb.viewPixelSize()[1]
        rows = 1 if self.image.image is None else self.image.image.shape[0]
        return rows / per_unit if per_unit > 0 else 0.0

    def set_palette(self, name: str) -> None:
        self.image.setLookupTable(lookup_table(name))


class PageNav(QWidget):
    """Page controls for a wide first layer in two short rows (the weights dock shares a 1280-pixel
    screen with four others): ◀ page ▶ and the page size; "strongest first"."""

    def __init__(self, page_size: int, parent=None):
        super().__init__(parent)
        self.prev_button, self.next_button = QPushButton("◀"), QPushButton("▶")
        for b in (self.prev_button, self.next_button):
            b.setFixedWidth(32)
        self.page_label = QLabel()
        self.page_combo = QComboBox()
        self.page_combo.addItems([f"{page_size} per page", "all"])
        self.sort_box = QCheckBox("strongest first")
        self.sort_box.setToolTip("Order the tiles by the size of their weights (‖w‖), largest first.\n"
                                 "The order is taken when you tick this or turn the page, so tiles\n"
                                 "do not jump around while training runs.")
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(2)
        for col, w in enumerate((self.prev_button, self.page_label, self.next_button)):
            grid.addWidget(w, 0, col)
        grid.addWidget(self.sort_box, 1, 0, 1, 2)
        grid.addWidget(self.page_combo, 1, 2, 1, 3, Qt.AlignLeft)
        grid.setColumnStretch(4, 1)


class TileNumbers:
    """Each weight's value printed on its pixel, when a page holds only a few (the smile's 12)."""

    def __init__(self, plot, up_to: int):
        self.plot, self.up_to, self.items = plot, up_to, []

    def place(self, n_tiles: int, h: int, w: int, cols: int) -> None:
        """One text per pixel of ``n_tiles`` h×w tiles laid out ``cols`` to a row (none past ``up_to``)."""
        for t in self.items:
            self.plot.removeItem(t)
        self.items = []
        if n_tiles * h * w > self.up_to:
            return
        for slot in range(n_tiles):
            r, c = divmod(slot, cols)
            for y in range(h):
                for x in range(w):
                    t = pg.TextItem("", color=(255, 255, 255), anchor=(0.5, 0.5))
                    t.setPos(c * (w + GAP) + x + 0.5, r * (h + GAP) + y + 0.5)
                    self.plot.addItem(t)
                    self.items.append(t)

    def show(self, page: np.ndarray) -> None:
        """``page``: (tiles, h, w) values, in slot order."""
        for t, v in zip(self.items, page.ravel()):
            text = ("0" if v == 0 else f"{v:+.2f}") if np.isfinite(v) else str(v)
            if t.textItem.toPlainText() != text:
                t.setText(text)
