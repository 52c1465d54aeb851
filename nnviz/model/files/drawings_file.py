"""The learner's drawings on the paint grid, one per lesson grid, kept from one start to the next.

A drawing is what the learner was asking the network about when they quit; the next start puts
it back on its lesson's grid, as the run itself is resumed. The file is an nnviz ``.npz``
(``meta`` lists each drawing's lesson grid, ``d0``, ``d1``, … hold the images). Insurance
only: a file that cannot be read gives no drawings back, never an error the learner must answer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import NNVizError
from ..storage.npzfile import meta_array, meta_json, read_npz, write_npz

FORMAT, VERSION = "nnviz-drawings", 1
MAX_SIDE = 4096  # cells: far beyond any lesson's grid

#: a lesson grid: (dataset name, height, width, binary: the smile's on/off cells)
Grid = tuple[str, int, int, bool]


def save_drawings(path: str | Path, drawings: dict[Grid, np.ndarray]) -> Path:
    """Write ``drawings`` ({grid: (height, width) image in [0, 1]}) atomically."""
    grids = list(drawings)
    meta = {"format": FORMAT, "version": VERSION,
            "grids": [[str(n), int(h), int(w), bool(b)] for n, h, w, b in grids]}
    arrays = {"meta": meta_array(meta)}
    arrays.update({f"d{i}": np.asarray(drawings[g], dtype=np.float32) for i, g in enumerate(grids)})
    return write_npz(path, arrays)


def load_drawings(path: str | Path) -> dict[Grid, np.ndarray]:
    """The drawings ``save_drawings`` wrote; none from a missing or damaged file, and none whose
    image does not fit its grid."""
    path = Path(path)
    if not path.exists():
        return {}
    try:
        arrays = read_npz(path, "an nnviz drawings file")
        meta = meta_json(path, arrays, "an nnviz drawings")
    except NNVizError:
        return {}
    if meta.get("format") != FORMAT or meta.get("version") != VERSION or not isinstance(meta.get("grids"), list):
        return {}
    out = {}
    for i, grid in enumerate(meta["grids"]):
        image = arrays.get(f"d{i}")
        if (not isinstance(grid, list) or len(grid) != 4 or not isinstance(grid[0], str)
                or not all(isinstance(n, int) and 0 < n <= MAX_SIDE for n in grid[1:3])
                or not isinstance(grid[3], bool)):
            continue
        name, h, w, binary = grid
        if (image is None or image.shape != (h, w) or image.dtype.kind != "f" or not np.isfinite(image).all()
                or image.min() < 0 or image.max() > 1):
            continue
        out[(name, h, w, binary)] = image.astype(np.float32)
    return out
