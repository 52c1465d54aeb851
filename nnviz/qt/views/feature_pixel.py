"""How one feature-map pixel is made, CNN Explainer's view: for each input channel (one
row each) the input patch under the kernel, the kernel, and their element-wise products,
as small heatmaps with the numbers written in the cells; then Σ, the bias and the
activation as text with the numbers filled in.

The numbers come from ``nnviz.model.analysis.feature_pixel.feature_pixel``; this view
only draws them; ``outline_patch`` outlines the patch's place (the FeaturePixel's ``rect``)
on any pyqtgraph ImageItem (e.g. the input image).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QGraphicsRectItem, QLabel, QSizePolicy, QStyle, QVBoxLayout, QWidget

from ...model.core.functions import FORMULAS
from ..graphics.cell_items import CellNumbers
from ..graphics.lut_image import LutImageItem
from ..graphics.palettes import GRAY, LEVEL_FLOOR, lookup_table, symmetric_level
from ..graphics.plot_style import fit_title, lighten_plot, style_image_plot
from ..graphics.redraw_memo import RedrawMemo
from ..graphics.scrolling import scrolling_column
from ..graphics.spares import add_plot

pg.setConfigOptions(imageAxisOrder="row-major")

PATCH_PEN = pg.mkPen(0, 170, 255, width=2, cosmetic=True)  # the feature maps' patch outline too
PAD_TEXT = (120, 120, 120)  # "0" of a padding cell, on the background
NAMES = {"relu": "ReLU", "sigmoid": "σ", "tanh": "tanh", "linear": "linear (no squashing)"}
ROW_MAX = 150  # pixels: a 3×3 kernel drawn any larger only costs scrolling
LABEL_W = 20  # the "ch c" column
SHORT_BELOW = 34  # pixels a cell: narrower ones write their numbers short (".38", not "0.38")


def outline_patch(image_item, rect, outline: QGraphicsRectItem | None = None) -> QGraphicsRectItem:
    """Outline ``rect`` (row0, col0, height, width; FeaturePixel.rect) on ``image_item``, a
    pyqtgraph ImageItem that shows the layer's input one pixel per value (row-major).

    The outline is a child of the image, in its pixel coordinates, so it follows the image
    wherever its plot puts it. Pass the returned item back as ``outline`` to move it rather
    than add another; ``rect`` None hides it.
    """
    if outline is None:
        outline = QGraphicsRectItem(image_item)
        outline.setPen(PATCH_PEN)
        outline.setZValue(5)
    if rect is None:
        outline.setVisible(False)
        return outline
    r0, c0, h, w = rect
    outline.setRect(c0, r0, w, h)
    outline.setVisible(True)
    return outline


def cell_text(v: float, short: bool) -> str:
    """A cell's number: 2 decimals, or with ``short`` (5×5 cells) at most 4 characters:
    ".12", "-.30", "1.3", "-12"."""
    if not np.isfinite(v):
        return str(v)
    if v == 0:
        return "0"
    if not short:
        return f"{v:.2f}"
    a = abs(v)
    return f"{v:.2f}".replace("0.", ".", 1) if a < 0.995 else f"{v:.1f}" if a < 9.95 else f"{v:.0f}"


def text_colours(values: np.ndarray, lut: np.ndarray, levels) -> list[tuple]:
    """Black on light cells, white on dark ones: the colour each cell gets under ``levels``."""
    lo, hi = levels
    idx = np.clip(np.floor((np.nan_to_num(values) - lo) * 256.0 / (hi - lo)), 0, 255).astype(np.intp)
    rgb = lut[idx.ravel(), :3].astype(np.float64)
    light = rgb @ np.array([0.299, 0.587, 0.114]) > 140
    return [(0, 0, 0) if is_light else (255, 255, 255) for is_light in light]


class FeaturePixelView(QWidget):
    """objectName ``featurePixel``: ``plots[c]`` (patch, kernel, products) PlotItems of input
    channel c, ``images[c]`` their LutImageItems, ``formula`` the text (objectName
    ``featurePixelFormula``)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("featurePixel")
        self.palette_name = "green-red"
        self._memo = RedrawMemo()
        self._shape = None  # (C_in, k) the items are built for
        self._short = False  # cells too narrow for "-0.38": numbers as "-.38"
        self._pixel = None
        self.plots, self.images, self.numbers = [], [], []
        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground((245, 245, 245))
        self.view.wheelEvent = lambda ev: ev.ignore()  # the scroll area scrolls, nothing zooms
        self.formula = QLabel("Click a feature-map pixel to see how it is made.")
        self.formula.setObjectName("featurePixelFormula")
        self.formula.setWordWrap(True)
        self.formula.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.formula.setStyleSheet("font-family: monospace; font-size: 11px;")
        # the sum and the answer stay in sight above the heatmaps, which scroll (8 channels: 8 rows)
        self.formula.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.area = scrolling_column([self.view], name="featurePixelScroll")
        self.area.viewport().installEventFilter(self)
        self.view.setVisible(False)
        self.view.ci.layout.setSpacing(1)  # every pixel to the heatmaps: 5×5 numbers need ~20 a cell
        self.view.ci.setContentsMargins(0, 0, 0, 0)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.formula)
        lay.addWidget(self.area, 1)

    # -- items (once per kernel shape) ------------------------------------------------

    def _build(self, channels: int, k: int) -> None:
        self._shape = (channels, k)
        self._pixel = None  # of another shape: nothing to redraw in the new items
        self._memo.forget()
        self.view.clear()
        self.plots, self.images, self.numbers = [], [], []
        luts = (GRAY, lookup_table(self.palette_name), lookup_table(self.palette_name))
        for c in range(channels):
            if channels > 1:
                self.view.addLabel(f"ch {c}", row=c, col=0, angle=-90, size="8pt")
            row_plots, row_images, row_numbers = [], [], []
            for j, lut in enumerate(luts):
                p = add_plot(self.view, row=c, col=j + 1)
                if c == 0:
                    fit_title(p)  # a title must not make its column wider than the other two
                style_image_plot(p)
                p.setMouseEnabled(False, False)
                p.layout.setContentsMargins(1, 1, 1, 1)
                if c == 0:
                    p.setTitle(("input patch", "kernel", "patch × kernel")[j], size="8pt")
                img = LutImageItem(lut=lut)
                p.addItem(img)
                p.vb.setRange(pg.QtCore.QRectF(0, 0, k, k), padding=0.0)
                row_numbers.append(CellNumbers(p, (k, k), (255, 255, 255)))
                lighten_plot(p)
                row_plots.append(p)
                row_images.append(img)
            self.plots.append(row_plots)
            self.images.append(row_images)
            self.numbers.append(row_numbers)
        if channels > 1:
            self.view.ci.layout.setColumnFixedWidth(0, LABEL_W)
        self.view.setVisible(True)
        self._fit()

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Resize:
            self._fit()
        return False

    def _fit(self) -> None:
        """Rows as tall as a third of the width makes the heatmaps square, up to ROW_MAX."""
        if self._shape is None:
            return
        channels = self._shape[0]
        # the width less a scroll bar, shown or not: else its coming and going resizes the rows for ever
        bar = self.area.style().pixelMetric(QStyle.PM_ScrollBarExtent)
        width = self.area.width() - bar - (LABEL_W if channels > 1 else 0) - 4
        row = min(max(width // 3, 50), ROW_MAX)
        for j in range(3):  # three equal columns, whatever their titles say
            self.view.ci.layout.setColumnFixedWidth(j + 1, row)
        short = row / self._shape[1] < SHORT_BELOW
        if short != self._short:
            self._short = short
            if self._pixel is not None:
                self._memo.forget()
                self.show_pixel(self._pixel)
        height = channels * row + 18  # the titles above the first row
        if self.view.height() != height:
            self.view.setFixedHeight(height)

    # -- data -------------------------------------------------------------------------------

    def show_pixel(self, d, running: bool = False) -> None:
        """Draw ``d``, a FeaturePixel. While training runs (``running``), the numbers follow a
        few times a second."""
        channels, k = d.patch.shape[0], d.patch.shape[1]
        if self._shape != (channels, k):
            self._build(channels, k)
        if self._pixel is None:  # after a note: the heatmaps and the numbers come back
            self.view.setVisible(True)
            self._memo.forget()
        self._pixel = d
        patch = np.where(d.inside, d.patch, np.nan).astype(np.float32)  # padding: a gap, not a black 0
        lo = min(0.0, float(np.nanmin(patch))) if np.isfinite(patch).any() else 0.0
        hi = max(float(np.nanmax(patch)) if np.isfinite(patch).any() else 0.0, 1.0 if d.layer == 1 else 0.0)
        patch_levels = (lo, max(hi, lo + LEVEL_FLOOR))
        kl, pl = symmetric_level(d.kernel), symmetric_level(d.products)
        arrays = ((patch, patch_levels), (d.kernel.astype(np.float32), (-kl, kl)),
                  (d.products.astype(np.float32), (-pl, pl)))
        for j, (a, levels) in enumerate(arrays):
            for c in range(channels):
                self.images[c][j].setImage(a[c], levels=levels, autoLevels=False)
        if self._memo.text_due("numbers", running):
            self._write_numbers(d, arrays)
            self._memo.set_if_changed("formula", self.formula_text(d), self.formula.setText)

    def _write_numbers(self, d, arrays) -> None:
        short = d.patch.shape[1] >= 5 or self._short
        for j, (a, levels) in enumerate(arrays):
            lut = GRAY if j == 0 else lookup_table(self.palette_name)
            for c, numbers in enumerate(n[j] for n in self.numbers):
                values = (d.patch, d.kernel, d.products)[j][c]
                texts = [cell_text(float(v), short) for v in values.ravel()]
                colours = text_colours(a[c], lut, levels)
                if j == 0:  # padding cells are gaps: their 0 in grey on the background
                    colours = [col if inside else PAD_TEXT for col, inside in zip(colours, d.inside.ravel())]
                if self._memo.changed(f"t{c}.{j}", (texts, colours)):
                    for t, col in zip(numbers.items, colours):
                        t.setColor(col)
                    numbers.set_texts(texts)

    @staticmethod
    def formula_text(d) -> str:
        """The sum, the bias and the activation with the numbers filled in."""
        channels, k = d.patch.shape[0], d.patch.shape[1]
        r0, c0, h, w = d.rect
        src = "the input" if d.layer == 1 else f"layer {d.layer - 1}'s maps"
        lines = [f"layer {d.layer}, filter {d.channel}, pixel (row {d.row}, column {d.col}): "
                 f"reads rows {r0}–{r0 + h - 1}, columns {c0}–{c0 + w - 1} of {src}"
                 + (f" (padding {d.padding})" if d.padding else "") + (f", stride {d.stride}" if d.stride > 1 else ""),
                 f"Σ (patch × kernel) = {d.sum:+.4f}   over {channels} × {k}×{k} products"]
        if channels > 1:
            lines.append("   per channel: " + ", ".join(f"{v:+.3f}" for v in d.channel_sums))
        lines.append(f"+ b = {d.sum:+.4f} + ({d.bias:+.4f}) = {d.z:+.4f}" if d.has_bias
                     else f"z = Σ = {d.z:+.4f}   (no bias in this net)")
        name = NAMES.get(d.function, d.function)
        lines.append(f"{name} → {d.activation:.4f}   ({FORMULAS[d.function]})")
        return "\n".join(lines)

    def show_note(self, text: str) -> None:
        """A sentence instead of a breakdown (e.g. for a pooling pixel, which has no kernel):
        the heatmaps are hidden, so no other pixel's numbers stay on screen."""
        self._pixel = None
        self.view.setVisible(False)
        self._memo.set_if_changed("formula", text, self.formula.setText)

    def pixel(self):
        """The FeaturePixel shown, or None."""
        return self._pixel

    def set_palette(self, name: str) -> None:
        """The kernel's and the products' diverging palette (the patch stays grey)."""
        self.palette_name = name
        for row in self.images:
            for img in row[1:]:
                img.setLookupTable(lookup_table(name))
        if self._pixel is not None:
            self._memo.forget()
            self.show_pixel(self._pixel)
