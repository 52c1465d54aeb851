"""An ImageItem that paints its usual case fast, and the helpers that feed it heatmaps.

``LutImageItem`` turns a 2-D float image with fixed levels and a 256-entry lookup table
(``palettes.lookup_table``) into Qt's native pixels in a few NumPy calls;
``draw_heatmap`` draws one with symmetric levels and flags NaN/±inf pixels in magenta.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QImage

from .palettes import NAN_RGBA

pg.setConfigOptions(imageAxisOrder="row-major")  # the fast path's order: (rows, columns) as NumPy has it


def flag_overlay(bad: np.ndarray) -> np.ndarray:
    """bool mask (h, w) → (h, w, 4) uint8 image: NAN_RGBA where True, transparent elsewhere.
    Drawn over a heatmap so NaN/±inf weights are flagged instead of passing for 0 or ±L."""
    out = np.zeros(bad.shape + (4,), dtype=np.uint8)
    out[bad] = NAN_RGBA
    return out


def draw_heatmap(img, flags, data: np.ndarray, level: float, bad: np.ndarray | None) -> None:
    """One ``setImage`` with fixed symmetric levels (−level, level). ``bad``: mask of NaN/±inf
    in ``data`` (None when all finite, the fast path); those pixels get the magenta overlay
    ImageItem ``flags`` instead of passing for 0 or ±level."""
    if bad is None:
        img.setImage(data, levels=(-level, level), autoLevels=False)
        if flags.isVisible():
            flags.setVisible(False)
        return
    img.setImage(np.where(bad, np.float32(np.nan), data), levels=(-level, level), autoLevels=False)
    flags.setImage(flag_overlay(bad), autoLevels=False)
    flags.setVisible(True)


class LutImageItem(pg.ImageItem):
    """An ImageItem whose usual case — a 2-D float image, fixed levels (lo, hi), a (256, 4)
    (or (256, 3)) uint8 lookup table — is turned into a QImage by a few NumPy calls in Qt's native
    pixel format, instead of pyqtgraph's general path (several times slower in Python,
    and a format Qt converts again on every paint). The colours are pyqtgraph's to the
    entry: v → lut[clip(floor((v − lo) · 256 / (hi − lo)), 0, 255)], NaN transparent.
    Anything else (RGBA data, no levels, downsampling) goes the general way."""

    # the lookup table in Qt's native pixel order, and the table it was made from (class
    # defaults: the item keeps pyqtgraph's __init__)
    _argb32: np.ndarray | None = None
    _bgra_of: np.ndarray | None = None

    def render(self):
        pixels = self._argb_pixels()
        if pixels is None:
            return super().render()
        pixels, nan = pixels
        opaque = self._finish(pixels, nan)
        fmt = QImage.Format.Format_RGB32 if opaque else QImage.Format.Format_ARGB32_Premultiplied
        self.qimage = pg.functions.ndarray_to_qimage(pixels, fmt)
        self._renderRequired = False
        self._unrenderable = False

    def _argb_pixels(self):
        """(pixels (h, w) uint32 0xAARRGGBB, NaN mask or None), or None if not the usual case."""
        img, lut, levels = self.image, self.lut, self.levels
        if (img is None or img.ndim != 2 or img.size == 0 or img.dtype.kind != "f" or levels is None
                or not isinstance(lut, np.ndarray) or lut.shape not in ((256, 3), (256, 4)) or lut.dtype != np.uint8
                or self.autoDownsample or self.axisOrder != "row-major"):
            return None
        lo, hi = (float(v) for v in np.asarray(levels, dtype=np.float64).ravel()[:2])
        if not hi > lo:
            return None
        if self._bgra_of is not lut:  # Qt's native pixel: 0xAARRGGBB as one uint32
            bgra = np.full((256, 4), 255, np.uint8)
            bgra[:, :3] = lut[:, 2::-1]
            if lut.shape[1] == 4:
                bgra[:, 3] = lut[:, 3]
            self._argb32, self._bgra_of = bgra.view("<u4").ravel(), lut
        with np.errstate(invalid="ignore", over="ignore"):
            idx = (img - lo) * (256.0 / (hi - lo))  # float64, as pyqtgraph and lut_index compute it
            nan = np.isnan(idx)
            if nan.any():
                idx[nan] = 0.0
            else:
                nan = None
            np.minimum(np.maximum(idx, 0.0, out=idx), 255.0, out=idx)
        return self._argb32[idx.astype(np.uint8)], nan

    def _finish(self, pixels: np.ndarray, nan) -> bool:
        """Last touch to the pixels; True when the result is opaque. Here: NaN → transparent."""
        if nan is None:
            return True
        pixels[nan] = 0  # premultiplied transparent
        return False


def argb32(rgba) -> int:
    """An (r, g, b, a) colour as the uint32 Qt stores for one ARGB32 pixel."""
    r, g, b, a = (int(c) for c in rgba)
    return (a << 24) | (r << 16) | (g << 8) | b
