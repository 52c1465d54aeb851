"""Diverging palettes with 0 at the exact centre, as 256-entry lookup tables.

Green positive / red negative is 3Blue1Brown's convention; blue/orange is the
colour-blind-safe alternative. Levels are always symmetric (−L, +L), so the
centre entry — the neutral colour — is exactly weight 0. Also the colour maths the
views share: the entry a value gets, its QColor, symmetric levels and levels that
stay put (``StableLevel``).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

#: name -> (negative end, neutral centre, positive end) as RGB
PALETTES = {
    "green-red": ((220, 40, 40), (24, 24, 24), (40, 210, 70)),
    "blue-orange": ((230, 120, 20), (24, 24, 24), (40, 140, 240)),
}
#: (256, 4) uint8 grey ramp, 0 = black, 255 = white: for values in 0..1 (inputs, sigmoid units)
GRAY = np.stack([np.arange(256)] * 3 + [np.full(256, 255)], axis=1).astype(np.uint8)
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


OUTLIER_FACTOR = 4.0  # a layer's level stops at this many times its 99th-percentile magnitude
ROBUST_MIN = 100  # layers smaller than this show every value within the level (each one is looked at)


def robust_level(*arrays) -> float:
    """Like ``symmetric_level``, but a few values far beyond the rest (one weight typed in as 5
    among ±0.3) do not set it: the level stops at OUTLIER_FACTOR × the 99th percentile of |x|, and
    those values are drawn at full colour (``beyond`` counts them). Normal spreads are untouched:
    the largest of 10,000 Gaussian draws is ~1.5× their 99th percentile."""
    top = symmetric_level(*arrays)
    flat = [np.asarray(a) for a in _leaves(arrays)]
    mags = np.abs(np.concatenate([a.ravel() for a in flat])) if flat else np.zeros(0)
    mags = mags[np.isfinite(mags)]
    if mags.size < ROBUST_MIN:
        return top
    k = int(0.99 * (mags.size - 1))
    q = float(np.partition(mags, k)[k])
    return top if q <= LEVEL_FLOOR else min(top, max(OUTLIER_FACTOR * q, LEVEL_FLOOR))


def beyond(level: float, *arrays) -> int:
    """How many finite values lie outside (−level, level): drawn saturated, worth saying."""
    return sum(int(np.count_nonzero(np.abs(np.asarray(a)[np.isfinite(a)]) > level)) for a in _leaves(arrays))


def _leaves(arrays):
    for a in arrays:
        if isinstance(a, (list, tuple)):
            yield from _leaves(a)
        elif np.asarray(a).size:
            yield a


#: a weight level's marks: ten per decade, each ≤ 26% above the one before (1, 1.25, 1.6, 2, …)
LEVEL_MARKS = (1.0, 1.25, 1.6, 2.0, 2.5, 3.2, 4.0, 5.0, 6.4, 8.0)


def level_mark(x: float) -> float:
    """The smallest LEVEL_MARKS value (times a power of ten) at or above ``x`` > 0."""
    decade = 10.0 ** math.floor(math.log10(x))
    for mark in LEVEL_MARKS:
        if mark * decade >= x * (1 - 1e-12):
            return float(f"{mark * decade:.6g}")  # 0.16, not 0.16000000000000003
    return float(f"{10.0 * decade:.6g}")


class StableLevel:
    """A level that only moves when the data's range grows past it or shrinks well below it.

    Re-fitting every frame would make the colours lie (the same weight changing colour
    while it stands still); never re-fitting would wash out a shrinking layer.

    ``marks``: the level is the mark just above the range (``level_mark``) instead: it still
    moves only when the range crosses a mark (steps of at most 26%), and it is the same for the
    same weights whatever came before, so a window opened on them shows the same colour bar.
    """

    def __init__(self, shrink_below: float = 0.5, headroom: float = 1.25, robust: bool = False,
                 marks: bool = False):
        """``robust``: a few far outliers do not set the level (``robust_level``; weights)."""
        self.value = None
        self.shrink_below, self.headroom, self.marks = shrink_below, headroom, marks
        self._fit = robust_level if robust else symmetric_level

    def update(self, *arrays) -> float:
        m = self._fit(*arrays)
        if m <= LEVEL_FLOOR:  # nothing but zeros (the smile's start, a ΔW before any step): a bar of ±1,
            return self.value or 1.0  # not ±1e-06, and no range to fit yet
        if self.marks:
            self.value = level_mark(m * self.headroom)
        elif self.value is None or m > self.value or m < self.shrink_below * self.value:
            self.value = m * self.headroom
        return self.value

    def reset(self):
        self.value = None
