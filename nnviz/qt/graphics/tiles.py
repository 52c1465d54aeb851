"""Pixel layouts shared by the weight panel and the activation view (NumPy only).

Both views draw many small things — one tile of weights per neuron, one cell per
neuron — into ONE image, so a frame is a single ``setImage``. These functions say
where each thing goes; NaN pixels are gaps (pyqtgraph draws NaN transparent).
"""

from __future__ import annotations

import math

import numpy as np

GAP = 1  # pixels of background between tiles / cells


def mosaic_grid(n: int, tile_h: int, tile_w: int) -> tuple[int, int]:
    """(rows, cols) of n tiles of tile_h × tile_w pixels: roughly square on screen."""
    cols = max(1, math.ceil(math.sqrt(n * tile_h / max(tile_w, 1))))
    return max(1, math.ceil(n / cols)), cols


def fit_grid(n: int, tile_h: int, tile_w: int, box_w: float, box_h: float, gap: int = GAP) -> tuple[int, int]:
    """(rows, cols) that make n tiles largest in a box_w × box_h area (ties: fewest empty slots);
    the square-ish ``mosaic_grid`` when the box has no size yet."""
    if box_w < 10 or box_h < 10:
        return mosaic_grid(n, tile_h, tile_w)
    best = None
    for cols in range(1, n + 1):
        rows = math.ceil(n / cols)
        scale = min(box_w / (cols * (tile_w + gap)), box_h / (rows * (tile_h + gap)))
        key = (round(scale, 3), -(rows * cols - n))
        if best is None or key > best[0]:
            best = (key, (rows, cols))
    return best[1]


def tile_mosaic(tiles: np.ndarray, cols: int, gap: int = GAP) -> np.ndarray:
    """Tiles (n, h, w) → one float32 image (rows·(h+gap)−gap, cols·(w+gap)−gap), row by row,
    NaN in the gaps and in unused slots. One reshape, no Python loop over tiles."""
    n, h, w = tiles.shape
    rows = max(1, math.ceil(n / cols))
    padded = np.full((rows * cols, h + gap, w + gap), np.nan, dtype=np.float32)
    padded[:n, :h, :w] = tiles
    out = padded.reshape(rows, cols, h + gap, w + gap).transpose(0, 2, 1, 3)
    return out.reshape(rows * (h + gap), cols * (w + gap))[: rows * (h + gap) - gap, : cols * (w + gap) - gap]


def tile_at(y: int, x: int, h: int, w: int, cols: int, gap: int = GAP):
    """(slot, row, col) of mosaic pixel (y, x), or None on a gap / outside."""
    if y < 0 or x < 0:
        return None
    r, rr = divmod(y, h + gap)
    c, cc = divmod(x, w + gap)
    if rr >= h or cc >= w or c >= cols:
        return None
    return r * cols + c, rr, cc


def cell_grid(n: int) -> tuple[int, int]:
    """(rows, cols) for n neuron cells: near-square, so 16, 32 or 128 neurons all get
    cells big enough to see in a short view (a single column of 32 would be slivers)."""
    rows = max(1, math.ceil(math.sqrt(n)))
    return rows, max(1, math.ceil(n / rows))


def disc_mask(size: int) -> np.ndarray:
    """(size, size) bool: a filled circle, 3Blue1Brown's neuron."""
    c = (size - 1) / 2
    yy, xx = np.mgrid[:size, :size]
    return (yy - c) ** 2 + (xx - c) ** 2 <= (c + 0.45) ** 2


def cell_index_map(n: int, rows: int, cols: int, size: int = 5, gap: int = GAP) -> np.ndarray:
    """(rows·(size+gap)−gap, cols·(size+gap)−gap) int: the neuron drawn at each pixel, −1 for
    background. Neurons run down the columns (k → row k % rows, column k // rows), as in
    3Blue1Brown's vertical layers."""
    mask = disc_mask(size)
    step = size + gap
    out = np.full((rows * step - gap, cols * step - gap), -1, dtype=np.intp)
    for k in range(n):
        c, r = divmod(k, rows)
        block = out[r * step:r * step + size, c * step:c * step + size]
        block[mask] = k
    return out


def cell_outline(index_map: np.ndarray) -> np.ndarray:
    """bool mask like ``index_map``: the edge pixels of each cell (a neighbour lies outside it)."""
    padded = np.pad(index_map, 1, constant_values=-1)
    inner = index_map >= 0
    for dy, dx in ((0, 1), (2, 1), (1, 0), (1, 2)):
        inner &= padded[dy:dy + index_map.shape[0], dx:dx + index_map.shape[1]] == index_map
    return (index_map >= 0) & ~inner


def paint_cells(values: np.ndarray, index_map: np.ndarray) -> np.ndarray:
    """values (n,) → float32 image shaped like ``index_map``, NaN on the background."""
    lookup = np.append(np.asarray(values, dtype=np.float32), np.float32(np.nan))
    return lookup[index_map]  # index −1 picks the trailing NaN
