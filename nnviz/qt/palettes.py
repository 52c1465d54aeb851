"""Diverging palettes with 0 at the exact centre, as 256-entry lookup tables.

Green positive / red negative is 3Blue1Brown's convention; blue/orange is the
colour-blind-safe alternative. Levels are always symmetric (−L, +L), so the
centre entry — the neutral colour — is exactly weight 0.
"""

from __future__ import annotations

import functools
import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QGraphicsItem, QLabel

#: name -> (negative end, neutral centre, positive end) as RGB
PALETTES = {
    "green-red": ((220, 40, 40), (24, 24, 24), (40, 210, 70)),
    "blue-orange": ((230, 120, 20), (24, 24, 24), (40, 140, 240)),
}
NAN_RGBA = (255, 0, 255, 255)  # magenta: "this number is not a number"
LEVEL_FLOOR = 1e-6
GAMMA = 0.8  # < 1 lifts small magnitudes off the dark centre; the colour bar uses the same table


def lut_index(values, level: float) -> np.ndarray:
    """Entry of the 256-entry table pyqtgraph picks for ``values`` under levels (−level, +level).

    pyqtgraph maps v to floor((v + L) · 256 / 2L), clipped to 0..255, so 0 lands on 128 and
    the smallest negatives on 127; both entries are the neutral colour.
    """
    L = max(float(level), LEVEL_FLOOR)
    v = np.nan_to_num(np.asarray(values, dtype=np.float64), nan=0.0)
    return np.clip(np.floor((v / L + 1.0) * 128.0), 0, 255).astype(np.intp)


@functools.lru_cache(maxsize=None)
def lookup_table(name: str) -> np.ndarray:
    """(256, 4) uint8 RGBA, read-only and shared: entry 0 = −L, 127 and 128 = 0 (neutral), 255 = +L."""
    neg, mid, pos = (np.array(c, dtype=np.float64) for c in PALETTES[name])
    i = np.arange(256)
    t = np.where(i >= 128, (i - 128) / 127.0, (i - 127) / 127.0)[:, None]  # −1 … 0, 0 … 1
    m = np.abs(t) ** GAMMA
    rgb = np.where(t < 0, mid + (neg - mid) * m, mid + (pos - mid) * m)
    lut = np.concatenate([np.round(rgb), np.full((256, 1), 255)], axis=1).astype(np.uint8)
    lut.setflags(write=False)
    return lut


def colormap(name: str) -> pg.ColorMap:
    """The same 256 colours as ``lookup_table`` for a ColorBarItem, so bar and image agree."""
    return pg.ColorMap(np.linspace(0.0, 1.0, 256), lookup_table(name))


def color_for(value: float, level: float, name: str) -> QColor:
    """The colour a value gets under symmetric levels (−level, +level); non-finite → NAN_RGBA."""
    if not np.isfinite(value):
        return QColor(*NAN_RGBA)
    return QColor(*(int(c) for c in lookup_table(name)[lut_index(value, level)]))


def symmetric_level(*arrays) -> float:
    """max |x| over the finite entries of one or more arrays (or lists of arrays); ≥ LEVEL_FLOOR."""
    m = 0.0
    for a in arrays:
        if isinstance(a, (list, tuple)):
            m = max(m, symmetric_level(*a))
            continue
        a = np.asarray(a)
        if not a.size:
            continue
        top = float(np.abs(a).max())  # the usual case, all finite: one pass, no copy
        if not np.isfinite(top):
            finite = a[np.isfinite(a)]
            top = float(np.abs(finite).max()) if finite.size else 0.0
        m = max(m, top)
    return max(m, LEVEL_FLOOR)


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
        if getattr(self, "_bgra_of", None) is not lut:  # Qt's native pixel: 0xAARRGGBB as one uint32
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


class StableLevel:
    """A level that only moves when the data's range grows past it or shrinks well below it.

    Re-fitting every frame would make the colours lie (the same weight changing colour
    while it stands still); never re-fitting would wash out a shrinking layer.
    """

    def __init__(self, shrink_below: float = 0.5, headroom: float = 1.25):
        self.value = None
        self.shrink_below, self.headroom = shrink_below, headroom

    def update(self, *arrays) -> float:
        m = symmetric_level(*arrays)
        if self.value is None or m > self.value or m < self.shrink_below * self.value:
            self.value = m * self.headroom
        return self.value

    def reset(self):
        self.value = None


def style_image_plot(p, axes: bool = False) -> None:
    """A pyqtgraph PlotItem set up to show an image: square pixels, row 0 on top, no menu."""
    p.setAspectLocked(True)
    p.invertY(True)
    p.setMenuEnabled(False)
    p.hideButtons()
    if not axes:
        p.hideAxis("left")
        p.hideAxis("bottom")


def cache_static(*items) -> None:
    """Let Qt keep each item's picture as a pixmap at screen resolution and repaint it only
    when the item itself calls ``update()`` (a new range, level, text or image).

    Why: every pyqtgraph item paints in Python, and while training runs the GUI thread
    must win the GIL back from the trainer for each such call. Axes, titles, legends and
    colour bars rarely change, yet sit in the region a changing image or curve dirties,
    so without a cache they are re-painted — text, ticks, grid lines — every frame.
    """
    for item in items:
        if item is not None:
            item.setCacheMode(QGraphicsItem.DeviceCoordinateCache)


def lighten_plot(plot) -> None:
    """Cache a PlotItem's axes and title (see ``cache_static``) and tell Qt its
    ViewBox draws nothing itself (no border), so repainting what it holds makes no
    Python call for the box. Idempotent; call after the plot's axes and title are set."""
    cache_static(*(plot.getAxis(name) for name in ("left", "bottom", "top", "right")), plot.titleLabel)
    border = plot.vb.border  # pyqtgraph keeps a NoPen pen for "no border"
    if border is None or border.style() == Qt.NoPen:
        plot.vb.setFlag(QGraphicsItem.ItemHasNoContents, True)


def skip_when_clean(*items) -> None:
    """Clip each item's children to it, so a repaint that does not touch the item skips its
    whole subtree: Qt otherwise asks every descendant (axes, title, images — each a Python
    ``boundingRect``) whether it needs painting. Only for items whose children stay inside
    them (image plots without axes, colour bars)."""
    for item in items:
        item.setFlag(QGraphicsItem.ItemClipsChildrenToShape, True)


TEXT_SECONDS = 0.25  # while training runs, numbers in titles and labels change at most this often


def running_snapshot(snap) -> bool:
    """True for a snapshot published while training runs (it carries a measured speed)."""
    return snap is not None and bool(getattr(snap, "steps_per_second", 0.0)) and not getattr(snap, "rewound", False)


def text_due(owner, key: str, running: bool, seconds: float = TEXT_SECONDS) -> bool:
    """May a text that changes every frame be set again? Always when training is paused;
    while it runs, at most every ``seconds``: a new title re-lays-out its plot and a new
    label text its whole window (Qt propagates the size hint up to the top), which at
    30 frames a second costs more than the drawing — and nobody reads digits that fast."""
    if not running:
        return True
    now = time.perf_counter()
    last = owner.__dict__.setdefault("_text_at", {})
    if now - last.get(key, -math.inf) < seconds:
        return False
    last[key] = now
    return True


def fix_label_size(label: QLabel, widest: str) -> None:
    """Give a counter that changes every frame a fixed size that fits ``widest``: a label whose
    size hint moves with its text makes Qt re-lay-out the whole window each frame."""
    label.ensurePolished()  # the style sheet's font is applied from here on
    m = label.fontMetrics()
    label.setFixedSize(m.horizontalAdvance(widest) + 4, m.height() + 2)
    label.setAutoFillBackground(True)  # opaque: a new number repaints the label, not the dock behind it


def visibly_unchanged(owner, key: str, values, span: float, context=None, allow: bool = True) -> bool:
    """Would drawing ``values`` look the same as what was last drawn under ``key``?

    True when ``context`` (levels, palette, …) is the same and every value is within half a
    step of a 256-colour table spread over ``span`` of the values last *drawn* (so skipped
    changes never add up past that). Late in training a fixed input's activations move by
    less than that from frame to frame: skipping them saves the image, and its repaint.
    A False answer records ``values`` as drawn, so call it only right before drawing.
    ``allow=False`` (e.g. paused: draw every step) answers False and forgets the record.
    """
    last = owner.__dict__.setdefault("_drawn_values", {})
    if not allow:
        last.pop(key, None)
        return False
    v = np.asarray(values, dtype=np.float64)
    prev = last.get(key)
    if (prev is not None and prev[0] == context and prev[1].shape == v.shape and np.isfinite(v).all()
            and np.isfinite(span) and np.abs(v - prev[1]).max(initial=0.0) < span / 512):
        return True
    last[key] = (context, v.copy())
    return False


def set_if_changed(owner, key: str, value, setter) -> None:
    """Call ``setter(value)`` only when ``value`` differs from the last one set under ``key``.

    Titles, ranges and colour-bar levels make pyqtgraph re-lay-out and repaint axes;
    doing that every frame with the same value is most of a frame's cost.
    """
    cache = owner.__dict__.setdefault("_last_set", {})
    if cache.get(key, object()) != value:
        cache[key] = value
        setter(value)
