"""The deeper layers' weight matrices, stacked: one heatmap per matrix, rows = receiving
neuron, columns = sending neuron of the layer before, each with its own colour bar.

Matrix j of the stack draws ``weights[j + 1]``, the weights into activation layer j + 2.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

from ..render.lut_image import LutImageItem, draw_heatmap
from ..render.palettes import colormap, lookup_table
from ..render.plot_style import lighten_plot, skip_when_clean
from ..render.redraw_memo import RedrawMemo


def index_ticks(n: int, names=None) -> list[list[tuple[float, str]]]:
    """Tick levels at pixel centres (k + 0.5): every s-th entry with ≤ 4 labels, then s/2, s/4.
    pyqtgraph draws a finer level only when its labels fit, so short axes stay legible."""
    step = 1
    while n / step > 4:
        step *= 2
    levels, done = [], set()
    for s in (step, step // 2, step // 4):
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

    def build(self, sizes, class_names, palette: str) -> None:
        """sizes: activation layer sizes, input first; the last rows get class names."""
        self.clear()
        self._memo.forget()  # new items: nothing drawn or set on them yet
        lut, cmap = lookup_table(palette), colormap(palette)
        self.plots, self.images, self.flags, self.bars = [], [], [], []
        n = len(sizes) - 1
        for i in range(1, n):
            names = list(class_names) if i == n - 1 and len(class_names) == sizes[-1] else None
            p = self.addPlot(row=i - 1, col=0, enableMenu=False)
            p.setMenuEnabled(False)
            p.hideButtons()
            p.invertY(True)  # row 0 on top, as in the matrix
            p.getAxis("left").setTicks(index_ticks(sizes[i + 1], names))
            p.getAxis("bottom").setTicks(index_ticks(sizes[i]))
            p.getAxis("left").setWidth(34)
            p.setLabel("left", "class" if names else f"to (layer {i + 1})", **{"font-size": "8pt"})
            p.setTitle(f"into layer {i + 1}: row = to, column = from layer {i}", size="8pt")
            img, flags = LutImageItem(lut=lut), pg.ImageItem()  # flags: magenta over NaN/inf
            flags.setVisible(False)
            p.addItem(img)
            p.addItem(flags)
            bar = pg.ColorBarItem(colorMap=cmap, interactive=False, width=10)
            bar.setImageItem(img)
            self.addItem(bar, row=i - 1, col=1)
            lighten_plot(p)
            lighten_plot(bar)
            skip_when_clean(bar)
            self.plots.append(p)
            self.images.append(img)
            self.flags.append(flags)
            self.bars.append(bar)
        if n > 1:
            self.ci.layout.setColumnFixedWidth(1, 44)  # room for the bars' numbers
        self.setVisible(n > 1)
        self.setMinimumHeight(110 * (n - 1))

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
        for bar in self.bars:  # the bar hands its colours to its image
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
