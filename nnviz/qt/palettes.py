"""Diverging palettes with 0 at the exact centre, as 256-entry lookup tables.

Green positive / red negative is 3Blue1Brown's convention; blue/orange is the
colour-blind-safe alternative. Levels are always symmetric (−L, +L), so the
centre entry — the neutral colour — is exactly weight 0.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

#: name -> (negative end, neutral centre, positive end) as RGB
PALETTES = {
    "green-red": ((220, 40, 40), (24, 24, 24), (40, 210, 70)),
    "blue-orange": ((230, 120, 20), (24, 24, 24), (40, 140, 240)),
}
NAN_RGBA = (255, 0, 255, 255)  # magenta: "this number is not a number"
LEVEL_FLOOR = 1e-6


def lookup_table(name: str) -> np.ndarray:
    """(256, 4) uint8 RGBA: entry 0 = most negative, 255 = most positive, 127.5 = 0."""
    neg, mid, pos = (np.array(c, dtype=np.float64) for c in PALETTES[name])
    t = np.linspace(-1, 1, 256)[:, None]
    rgb = np.where(t < 0, mid + (neg - mid) * (-t), mid + (pos - mid) * t)
    return np.concatenate([np.round(rgb), np.full((256, 1), 255)], axis=1).astype(np.uint8)


def colormap(name: str) -> pg.ColorMap:
    neg, mid, pos = PALETTES[name]
    return pg.ColorMap([0.0, 0.5, 1.0], [neg, mid, pos])


def color_for(value: float, level: float, name: str) -> QColor:
    """The colour a value gets under symmetric levels (−level, +level)."""
    if not np.isfinite(value):
        return QColor(*NAN_RGBA)
    lut = lookup_table(name)
    i = int(np.clip(np.round((value / max(level, LEVEL_FLOOR) + 1) * 127.5), 0, 255))
    return QColor(*lut[i])


def symmetric_level(*arrays: np.ndarray) -> float:
    """max |x| over the finite entries (at least LEVEL_FLOOR)."""
    m = 0.0
    for a in arrays:
        a = np.asarray(a)
        finite = a[np.isfinite(a)]
        if finite.size:
            m = max(m, float(np.abs(finite).max()))
    return max(m, LEVEL_FLOOR)


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


def set_if_changed(owner, key: str, value, setter) -> None:
    """Call ``setter(value)`` only when ``value`` differs from the last one set under ``key``.

    Titles, ranges and colour-bar levels make pyqtgraph re-lay-out and repaint axes;
    doing that every frame with the same value is most of a frame's cost.
    """
    cache = owner.__dict__.setdefault("_last_set", {})
    if cache.get(key, object()) != value:
        cache[key] = value
        setter(value)
