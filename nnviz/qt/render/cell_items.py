"""The activation view's graphics items: a layer's neurons as one opaque image of discs,
and output bars that work out their bounding rect once per change."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from .lut_image import LutImageItem, argb32
from .tiles import cell_outline

CELL_BACKING, CELL_RIM = (28, 32, 48, 255), (150, 155, 170, 255)


class CellImage(LutImageItem):
    """A layer's neurons: each disc's value through the lookup table, drawn together with the
    dark backing between the discs and their light rims into ONE opaque image — three
    pictures for Qt to blend per frame become one it copies. ``image`` keeps the values
    (NaN off the discs), as for any ImageItem."""

    def set_cells(self, index_map: np.ndarray) -> None:
        """``index_map`` (h, w) int: the neuron at each pixel, −1 between the discs (tiles.cell_index_map)."""
        self._rim = cell_outline(index_map)
        self._backing, self._rim_colour = np.uint32(argb32(CELL_BACKING)), np.uint32(argb32(CELL_RIM))

    def _finish(self, pixels, nan) -> bool:
        if not hasattr(self, "_rim"):
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
