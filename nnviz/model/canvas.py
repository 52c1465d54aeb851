"""The pixel grid's painting logic: brush, stroke interpolation and undo — no Qt.

Coordinates are continuous *cell coordinates* ``(row, col)`` as floats: cell
``(r, c)`` covers ``[r, r+1) × [c, c+1)``, so its centre is ``(r + 0.5, c + 0.5)``.
The Qt editor only maps mouse positions to these and calls :class:`Canvas`;
everything that decides which cells change lives here, so it is testable without
a display.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass

import numpy as np

from .errors import SettingsError
from .undo import Undoable, UndoStack

@dataclass(frozen=True, eq=False)
class Painting:
    """What is painted, frozen: the value the editor hands to whoever draws from it.

    ``pixels``: (height, width) float32, read-only — the network's input (preprocessed when the
    editor says so); ``key``: equal for two paintings exactly when nothing changed in between;
    ``blank``: nothing is painted (the grid itself, before any preprocessing, is all zero).
    """

    pixels: np.ndarray
    key: tuple
    blank: bool


# Crossing parameters closer than this are one crossing (a stroke through a grid
# corner crosses a row line and a column line "at once", up to rounding).
_SAME_T = 1e-9


def cells_on_segment(r0: float, c0: float, r1: float, c1: float) -> tuple[list[int], list[int]]:
    """Every cell the segment (r0, c0) → (r1, c1) passes through, exactly.

    Returns ``(rows, cols)``, two lists of ints of equal length (duplicates and
    cells outside any grid possible; the caller filters). Cells are half-open, so
    a segment passing exactly through a grid corner visits only the cells it
    enters, not the two it merely touches at that point: a 45° stroke is a clean
    diagonal. Plain Python on purpose: a mouse move crosses a handful of cells,
    and for that few NumPy's per-call overhead costs more than the loop.
    """
    dr, dc = r1 - r0, c1 - c0
    # Parameters t in [0, 1] where the segment crosses a grid line; between two
    # consecutive crossings it stays inside one cell, whose index the midpoint gives.
    ts = [0.0, 1.0]
    if dr != 0.0:
        ts.extend((k - r0) / dr for k in range(math.floor(min(r0, r1)) + 1, math.ceil(max(r0, r1))))
    if dc != 0.0:
        ts.extend((k - c0) / dc for k in range(math.floor(min(c0, c1)) + 1, math.ceil(max(c0, c1))))
    ts.sort()
    # The endpoints too: the cell under the cursor is always inked, even when the
    # cursor sits exactly on a grid line.
    rows = [math.floor(r0), math.floor(r1)]
    cols = [math.floor(c0), math.floor(c1)]
    floor = math.floor
    prev = ts[0]
    for t in ts[1:]:
        if t - prev > _SAME_T:
            mid = 0.5 * (prev + t)
            rows.append(floor(r0 + mid * dr))
            cols.append(floor(c0 + mid * dc))
            prev = t
    return rows, cols


class Canvas(Undoable):
    """An editable (height, width) float32 image in [0, 1] with a brush and undo.

    * Soft mode (default, MNIST-like pen): a cell whose centre is within half a
      cell of the pen's path gets full ink, and so does every cell the path passes
      through (the cell under the cursor is always fully inked, so a radius of 0.5
      is a clean "1-cell pen"). Beyond that, ink falls off smoothly (smoothstep) to
      0 over ``brush_radius`` cells. Painting combines by ``max`` (passes never
      exceed 1), erasing by ``min`` with ``1 - profile``.
    * Binary mode (the 3×4 smile lesson): cells are 0 or 1; a stroke sets exactly
      the cells its path passes through (``brush_radius`` is not used).

    Undo: a whole stroke (``begin_stroke`` … ``end_stroke``), ``clear``, ``invert``,
    ``toggle`` and a recorded ``set_image`` are one step each; edits that change
    nothing push no step; the history keeps the last ``history`` steps (full-image
    snapshots: 28×28 float32 is 3 KB, so 100 steps are ~300 KB).

    Every method that may edit returns True iff the image changed, and
    ``revision`` counts changes, so a view can redraw only when needed.
    """

    def __init__(
        self,
        height: int,
        width: int,
        binary: bool = False,
        brush_radius: float = 1.0,
        history: int = 100,
    ):
        height, width, history = operator.index(height), operator.index(width), operator.index(history)
        if height < 1 or width < 1:
            raise SettingsError(f"canvas size must be at least 1×1, got {height}×{width}")
        if history < 0:
            raise SettingsError(f"undo history must be >= 0 steps, got {history}")
        self._img = np.zeros((height, width), dtype=np.float32)
        self._binary = bool(binary)
        self._radius = 1.0
        self.brush_radius = brush_radius
        self._history: UndoStack[np.ndarray] = UndoStack(history)  # full-image snapshots
        self._revision = 0
        # Stroke state: pen position, erase flag, and whether this stroke has
        # already pushed its (single) undo step.
        self._pen: tuple[float, float] | None = None
        self._erase = False
        self._stroke_recorded = False

    # ------------------------------------------------------------------ state

    @property
    def height(self) -> int:
        return self._img.shape[0]

    @property
    def width(self) -> int:
        return self._img.shape[1]

    @property
    def shape(self) -> tuple[int, int]:
        return self._img.shape

    @property
    def binary(self) -> bool:
        return self._binary

    @property
    def image(self) -> np.ndarray:
        """A copy of the grid, (height, width) float32 in [0, 1]."""
        return self._img.copy()

    @property
    def brush_radius(self) -> float:
        return self._radius

    @brush_radius.setter
    def brush_radius(self, value: float) -> None:
        value = float(value)
        if not (math.isfinite(value) and value > 0.0):
            raise SettingsError(f"brush radius must be a positive number of cells, got {value}")
        self._radius = value

    @property
    def revision(self) -> int:
        """Increases by one on every change of the image (edits, undo, redo)."""
        return self._revision

    @property
    def stroking(self) -> bool:
        return self._pen is not None

    # ---------------------------------------------------------------- strokes

    def begin_stroke(self, row: float, col: float, erase: bool = False) -> bool:
        """Put the pen down at (row, col) (cell coordinates) and ink/erase there."""
        self.end_stroke()
        row, col = _finite(row, col)
        self._pen = (row, col)
        self._erase = bool(erase)
        self._stroke_recorded = False
        return self._paint_segment(row, col, row, col)

    def stroke_to(self, row: float, col: float) -> bool:
        """Drag the pen to (row, col), inking the whole segment from the last position.

        Without a stroke in progress this does nothing and returns False (a stray
        mouse-move must not paint).
        """
        if self._pen is None:
            return False
        row, col = _finite(row, col)
        r0, c0 = self._pen
        self._pen = (row, col)
        return self._paint_segment(r0, c0, row, col)

    def end_stroke(self) -> None:
        """Lift the pen. The stroke's changes already form one undo step."""
        self._pen = None
        self._stroke_recorded = False

    # ----------------------------------------------------------- whole-grid edits

    def set_image(self, arr, record: bool = True) -> bool:
        """Replace the grid with ``arr`` (height, width); clipped to [0, 1].

        In binary mode values are thresholded at 0.5. ``record=False`` replaces the
        image without an undo step (the existing history is kept).
        """
        new = np.array(arr, dtype=np.float32)
        if new.shape != self._img.shape:
            raise ValueError(f"image must have shape {self._img.shape}, got {new.shape}")
        if not np.isfinite(new).all():
            raise ValueError("image contains NaN or infinite values")
        np.clip(new, 0.0, 1.0, out=new)
        if self._binary:
            new = (new >= 0.5).astype(np.float32)
        return self._replace(new, record)

    def clear(self) -> bool:
        """Erase everything (one undo step, none if already empty)."""
        return self._replace(np.zeros_like(self._img), True)

    def invert(self) -> bool:
        """Every cell becomes 1 - x (one undo step)."""
        return self._replace(1.0 - self._img, True)

    def toggle(self, row: int, col: int) -> bool:
        """Flip one cell (integer indices): ink (>= 0.5) becomes 0, otherwise 1."""
        row, col = operator.index(row), operator.index(col)
        if not (0 <= row < self.height and 0 <= col < self.width):
            raise IndexError(f"cell ({row}, {col}) is outside the {self.height}×{self.width} grid")
        new = self._img.copy()
        new[row, col] = 0.0 if new[row, col] >= 0.5 else 1.0
        return self._replace(new, True)

    # ------------------------------------------------------------------- undo

    def undo(self) -> bool:
        self.end_stroke()
        if not self._history.undo(self._swap):
            return False
        self._revision += 1
        return True

    def redo(self) -> bool:
        self.end_stroke()
        if not self._history.redo(self._swap):
            return False
        self._revision += 1
        return True

    # -------------------------------------------------------------- internals

    def _swap(self, img: np.ndarray) -> np.ndarray:
        """Show ``img``; return the grid it replaces, the step back the other way."""
        previous = self._img.copy()
        self._img[...] = img
        return previous

    def _push_undo(self) -> None:
        # Called just before a change: the snapshot is the state to go back to.
        self._history.push(self._img.copy())

    def _replace(self, new: np.ndarray, record: bool) -> bool:
        self.end_stroke()
        if np.array_equal(new, self._img):
            return False
        if record:
            self._push_undo()
        self._img[...] = new
        self._revision += 1
        return True

    def _record_stroke_change(self) -> None:
        if not self._stroke_recorded:
            self._push_undo()
            self._stroke_recorded = True
        self._revision += 1

    def _paint_segment(self, r0: float, c0: float, r1: float, c1: float) -> bool:
        if self._binary:
            return self._paint_binary(r0, c0, r1, c1)
        return self._paint_soft(r0, c0, r1, c1)

    def _paint_binary(self, r0: float, c0: float, r1: float, c1: float) -> bool:
        h, w = self._img.shape
        cells = [(r, c) for r, c in zip(*cells_on_segment(r0, c0, r1, c1)) if 0 <= r < h and 0 <= c < w]
        if not cells:
            return False
        rows, cols = zip(*cells)
        value = 0.0 if self._erase else 1.0
        if not np.any(self._img[rows, cols] != value):
            return False
        self._record_stroke_change()
        self._img[rows, cols] = value
        return True

    def _paint_soft(self, r0: float, c0: float, r1: float, c1: float) -> bool:
        h, w = self._img.shape
        radius = self._radius
        reach = radius + 0.5  # beyond this distance from a cell centre: no ink
        # Only a small window around the segment can change: work there alone.
        top = max(0, math.floor(min(r0, r1) - reach))
        bottom = min(h, math.floor(max(r0, r1) + reach) + 1)
        left = max(0, math.floor(min(c0, c1) - reach))
        right = min(w, math.floor(max(c0, c1) + reach) + 1)
        if top >= bottom or left >= right:
            return False

        # Distance from each cell centre in the window to the segment (closed form).
        dr, dc = r1 - r0, c1 - c0
        py = (np.arange(top, bottom, dtype=np.float64) + (0.5 - r0))[:, None]
        px = (np.arange(left, right, dtype=np.float64) + (0.5 - c0))[None, :]
        length2 = dr * dr + dc * dc
        if length2 > 0.0:
            t = np.clip((py * dr + px * dc) / length2, 0.0, 1.0)
            dist = np.hypot(py - t * dr, px - t * dc)
        else:
            dist = np.hypot(py, px)

        # Full ink within half a cell, then a smoothstep falloff to 0 over `radius`.
        x = np.clip((dist - 0.5) / radius, 0.0, 1.0)
        profile = 1.0 - x * x * (3.0 - 2.0 * x)
        # A cursor near a cell's corner is ~0.7 from its centre: the cells the path
        # passes through are inked fully anyway, so the pen never "misses" a cell.
        cells = [
            (r - top, c - left)
            for r, c in zip(*cells_on_segment(r0, c0, r1, c1))
            if top <= r < bottom and left <= c < right
        ]
        if cells:
            rows, cols = zip(*cells)
            profile[rows, cols] = 1.0
        profile = np.clip(profile, 0.0, 1.0).astype(np.float32)

        win = self._img[top:bottom, left:right]
        if self._erase:
            new = np.minimum(win, 1.0 - profile)
        else:
            new = np.maximum(win, profile)
        if np.array_equal(new, win):
            return False
        self._record_stroke_change()
        win[...] = new
        return True


def _finite(row: float, col: float) -> tuple[float, float]:
    row, col = float(row), float(col)
    if not (math.isfinite(row) and math.isfinite(col)):
        raise ValueError(f"pen position must be finite, got ({row}, {col})")
    return row, col
