"""Graphics items for cells and bars: a layer's neurons as one opaque image of discs, output
bars that work out their bounding rect once per change and carry their percentages, and
numbers printed over an image's cells in a font that fits them."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFont, QFontMetrics, QFontMetricsF

from .lut_image import LutImageItem, argb32
from .tiles import cell_outline

CELL_BACKING, CELL_RIM = (28, 32, 48, 255), (150, 155, 170, 255)


class CellImage(LutImageItem):
    """A layer's neurons: each disc's value through the lookup table, drawn together with the
    dark backing between the discs and their light rims into ONE opaque image — three
    pictures for Qt to blend per frame become one it copies. ``image`` keeps the values
    (NaN off the discs), as for any ImageItem."""

    _rim: np.ndarray | None = None  # the discs' rims, once set_cells has run (until then: a plain LutImageItem)

    def set_cells(self, index_map: np.ndarray) -> None:
        """``index_map`` (h, w) int: the neuron at each pixel, −1 between the discs (tiles.cell_index_map)."""
        self._rim = cell_outline(index_map)
        self._backing, self._rim_colour = np.uint32(argb32(CELL_BACKING)), np.uint32(argb32(CELL_RIM))

    def _finish(self, pixels, nan) -> bool:
        if self._rim is None:
            return super()._finish(pixels, nan)
        if nan is not None:
            pixels[nan] = self._backing  # between the discs (and a diverged, NaN neuron: see the flags)
        pixels[self._rim] = self._rim_colour
        return True


class Bars(pg.BarGraphItem):
    """BarGraphItem whose bounding rect is worked out once per change, not on each of the
    several times Qt asks for it while painting (pyqtgraph recomputes it in Python, pixel
    padding and all, every time)."""

    _rect = None

    def setOpts(self, **opts):
        self._rect = None
        super().setOpts(**opts)

    def viewTransformChanged(self):
        self._rect = None  # the pixel padding is in data units
        super().viewTransformChanged()

    def boundingRect(self):
        if self._rect is None:
            self._rect = super().boundingRect()
        return self._rect


def percent(v: float) -> str:
    """A probability as the bars print it: "97%", "3%", "<1%", "0%"."""
    return f"{v:.0%}" if v >= 0.005 else "<1%" if v > 0 else "0%" if v == 0 else "—"


class BarLabels:
    """Every output bar's probability at its top — a 3% second guess matters too. Upright when
    the bars are wide enough for "100%", else turned to read upwards; inside a tall bar (white),
    above a short one, so the y range need not grow."""

    INSIDE_FROM = 0.72  # bars taller than this carry their number inside

    def __init__(self, plot, n: int):
        self.plot, self.n = plot, n
        self.items = []
        font = QFont()
        font.setPointSizeF(7.0)
        for _ in range(n):
            t = pg.TextItem("", color=(60, 60, 60))
            t.setFont(font)
            t.setZValue(3)
            plot.addItem(t, ignoreBounds=True)
            self.items.append(t)
        self._metrics = QFontMetrics(font)
        self._vertical = None
        self._shown = None
        plot.vb.sigResized.connect(self._orient)
        self._orient()

    def texts(self) -> list[str]:
        return [t.textItem.toPlainText() for t in self.items]

    def show(self, values) -> None:
        """``values``: (n,) probabilities, or None to hide the numbers (pre-activations, a sign)."""
        texts = None if values is None else tuple(percent(float(v)) for v in values)
        if texts == self._shown:
            return
        self._shown = texts
        for i, t in enumerate(self.items):
            t.setVisible(texts is not None)
            if texts is not None:
                t.setText(texts[i])
        if texts is not None:
            self._values = np.clip(np.nan_to_num(np.asarray(values, np.float64)), 0, 1)
            self._place()

    def _orient(self) -> None:
        slot = self.plot.vb.width() / max(self.n, 1)
        vertical = slot < self._metrics.horizontalAdvance("100%") + 4
        if vertical != self._vertical:
            self._vertical = vertical
            for t in self.items:
                t.setAngle(90 if vertical else 0)
            if self._shown is not None:
                self._place()

    def _place(self) -> None:
        for i, (t, v) in enumerate(zip(self.items, self._values)):
            inside = v > self.INSIDE_FROM
            t.setColor((255, 255, 255) if inside else (60, 60, 60))
            if self._vertical:  # reading upwards: the text's start sits at the bar top
                t.setAnchor((1.0, 0.5) if inside else (0.0, 0.5))
            else:
                t.setAnchor((0.5, 0.0) if inside else (0.5, 1.0))
            t.setPos(i, v)


class CellNumbers:
    """A number over each cell of an image plot (row-major ``shape``, cell (r, c) centred at
    (c + 0.5, r + 0.5)), in a font that fits the cells — smaller as they shrink, and none
    once even MIN_PT would overlap its neighbours (a hover or a table has them then)."""

    PT, MIN_PT = 8.0, 6.0

    def __init__(self, plot, shape, color):
        self.plot = plot
        self.shape = tuple(shape)
        self.items = []
        for y in range(self.shape[0]):
            for x in range(self.shape[1]):
                t = pg.TextItem("", color=color, anchor=(0.5, 0.5))
                t.textItem.document().setDocumentMargin(0)  # its box is the text: fitted to the cell
                t.setPos(x + 0.5, y + 0.5)
                plot.addItem(t)
                self.items.append(t)
        plot.vb.sigTransformChanged.connect(self.fit)  # resized or re-ranged: the cells changed size

    def set_texts(self, texts) -> None:
        for t, text in zip(self.items, texts):
            if t.textItem.toPlainText() != text:
                t.setText(text)
        self.fit()

    def clear(self) -> None:
        """Every cell's number blank (the items stay, to be given numbers again)."""
        for t in self.items:
            if t.textItem.toPlainText():
                t.setText("")

    def fit(self) -> None:
        h, w = self.shape
        vb = self.plot.vb
        xs, ys = vb.viewPixelSize()  # data units per pixel: the cells' size on screen
        cell_w = 1 / xs if xs > 0 else vb.width() / w
        cell_h = 1 / ys if ys > 0 else vb.height() / h
        font = QFont()
        font.setPointSizeF(self.PT)
        widest = max((QFontMetricsF(font).horizontalAdvance(t.textItem.toPlainText()) for t in self.items),
                     default=0.0)
        size = self.PT * min(1.0, (cell_w - 3) / max(widest, 1.0), (cell_h - 2) / (1.6 * self.PT))
        font.setPointSizeF(max(size, self.MIN_PT))
        for t in self.items:
            t.setFont(font)
            t.setVisible(size >= self.MIN_PT)

    def shown(self) -> bool:
        return any(t.isVisible() for t in self.items)

    def remove(self) -> None:
        self.plot.vb.sigTransformChanged.disconnect(self.fit)
        for t in self.items:
            self.plot.removeItem(t)
