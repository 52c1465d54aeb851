"""MNIST's own normalisation, applied to a digit the learner painted.

MNIST digits were cropped to their ink, scaled (keeping the aspect ratio) so the
larger side is 20 px, then placed in a 28×28 frame with the ink's centre of mass
at the frame's centre. A network trained on MNIST expects exactly that, so a
digit painted small or in a corner is recognised only after the same steps.

Positions are cell coordinates as in :mod:`nnviz.model.canvas`: pixel (r, c)
covers [r, r+1) × [c, c+1), so the centre of a 28×28 frame is (14.0, 14.0).
"""

from __future__ import annotations

import numpy as np

BOX = 20  # the larger side of the digit after scaling, in pixels
FRAME = 28  # the side of the output image


def _resample_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) weights resampling one axis; every row is >= 0 and sums to 1.

    Shrinking averages the input pixels each output pixel covers, weighted by the
    overlap (area averaging, so thin strokes fade instead of vanishing). Enlarging
    interpolates linearly between pixel centres (bilinear, smoother than blocks).
    """
    scale = n_in / n_out  # input pixels per output pixel
    if n_out <= n_in:
        lo = np.arange(n_out) * scale
        hi = lo + scale
        edges = np.arange(n_in + 1, dtype=np.float64)
        # Overlap of output cell [lo, hi) with input cell [j, j+1).
        overlap = np.minimum(hi[:, None], edges[None, 1:]) - np.maximum(lo[:, None], edges[None, :-1])
        weights = np.maximum(overlap, 0.0) / scale
    else:
        # Output pixel centre mapped into input index space, clamped at the edges.
        x = np.clip((np.arange(n_out) + 0.5) * scale - 0.5, 0.0, n_in - 1)
        left = np.floor(x).astype(np.intp)
        right = np.minimum(left + 1, n_in - 1)
        frac = x - left
        weights = np.zeros((n_out, n_in), dtype=np.float64)
        rows = np.arange(n_out)
        np.add.at(weights, (rows, left), 1.0 - frac)
        np.add.at(weights, (rows, right), frac)
    return weights


def resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resample (h, w) ``image`` to (height, width), separably along each axis."""
    rows = _resample_matrix(image.shape[0], height)
    cols = _resample_matrix(image.shape[1], width)
    return rows @ image @ cols.T


def center_of_mass(image: np.ndarray) -> tuple[float, float]:
    """Intensity-weighted centre (row, col) of ``image`` in cell coordinates.

    Pixel (r, c) counts at its centre (r + 0.5, c + 0.5). Raises ValueError when
    there is no ink (the centre is undefined).
    """
    total = float(image.sum())
    if total <= 0.0:
        raise ValueError("the image has no ink: its centre of mass is undefined")
    rows = np.arange(image.shape[0]) + 0.5
    cols = np.arange(image.shape[1]) + 0.5
    return float(image.sum(axis=1) @ rows) / total, float(image.sum(axis=0) @ cols) / total


def preprocess_steps(image: np.ndarray, box: int = BOX, frame: int = FRAME) -> dict:
    """Every intermediate of :func:`mnist_preprocess`, for showing a learner.

    ``image``: (h, w) floats in [0, 1] (a 28×28 canvas). Returns a dict:

    * ``'bbox'``: (row0, row1, col0, col1) of the ink, end-exclusive like a slice,
      or None for an empty image;
    * ``'cropped'``: (row1 - row0, col1 - col0) float32, the ink's bounding box;
    * ``'scaled'``: float32 with the larger side ``box`` (aspect ratio kept);
    * ``'scale'``: the factor applied (scaled side / cropped side);
    * ``'center_of_mass'``: (row, col) of the scaled digit in its own coordinates;
    * ``'offset'``: (top, left) where the scaled digit sits in the frame;
    * ``'centred'``: (frame, frame) float32, the network's input.

    For an empty image every step is the (zero) image itself and the geometric
    entries are None.
    """
    img = np.asarray(image, dtype=np.float64)
    if img.ndim != 2:
        raise ValueError(f"expected a 2-D image, got shape {img.shape}")
    if not np.isfinite(img).all():
        raise ValueError("image contains NaN or infinite values")
    if not 1 <= box <= frame:
        raise ValueError(f"box must be between 1 and frame ({frame}), got {box}")

    ink_rows = np.flatnonzero((img > 0).any(axis=1))
    if ink_rows.size == 0:
        # Nothing to crop or centre: pass the (empty) image through untouched.
        same = img.astype(np.float32)
        return {
            "bbox": None, "cropped": same, "scaled": same, "scale": None,
            "center_of_mass": None, "offset": None, "centred": same.copy(),
        }
    ink_cols = np.flatnonzero((img > 0).any(axis=0))
    r0, r1 = int(ink_rows[0]), int(ink_rows[-1]) + 1
    c0, c1 = int(ink_cols[0]), int(ink_cols[-1]) + 1
    cropped = img[r0:r1, c0:c1]

    # Larger side -> box pixels; the other side keeps the aspect ratio (>= 1 px).
    h, w = cropped.shape
    scale = box / max(h, w)
    sh, sw = max(1, round(h * scale)), max(1, round(w * scale))
    scaled = np.clip(resize(cropped, sh, sw), 0.0, 1.0)

    # Integer shift putting the centre of mass on the frame centre; clamped so
    # no ink falls outside (there is always room: box < frame).
    com_r, com_c = center_of_mass(scaled)
    top = min(max(round(frame / 2 - com_r), 0), frame - sh)
    left = min(max(round(frame / 2 - com_c), 0), frame - sw)
    centred = np.zeros((frame, frame), dtype=np.float32)
    centred[top:top + sh, left:left + sw] = scaled

    return {
        "bbox": (r0, r1, c0, c1),
        "cropped": cropped.astype(np.float32),
        "scaled": scaled.astype(np.float32),
        "scale": scale,
        "center_of_mass": (com_r, com_c),
        "offset": (top, left),
        "centred": centred,
    }


def mnist_preprocess(image: np.ndarray) -> np.ndarray:
    """Crop, scale to 20 px and centre by mass: (28, 28) in [0, 1] -> (28, 28) float32.

    An empty image is returned unchanged (all zeros).
    """
    return preprocess_steps(image)["centred"]
