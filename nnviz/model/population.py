"""The smile lesson's population: every possible 3×4 picture, and what the network calls it.

The training sample is four faces; the population is all 2^12 = 4,096 black-and-white
3×4 images. Grouping them by their mouth (the bottom two rows: 64 patterns, each with
64 pairs of eye rows) shows whether the network learned "mouth shape" or something the
sample happened to share — the lesson's point that a sample must reflect the population.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .datasets import SMILE_SHAPE, smile_population

MOUTH_ROWS = 2  # the bottom rows of the 4×3 picture


@dataclass(frozen=True, eq=False)
class Population:
    """images (4096, 12); outputs (4096,); smile (4096,) bool; mouth (4096,) group id 0..63;
    groups: mouth id -> indices, ordered by how often the network says smile."""

    images: np.ndarray
    outputs: np.ndarray
    smile: np.ndarray
    mouth: np.ndarray

    @property
    def count(self) -> int:
        return int(self.smile.sum())

    def group_share(self) -> np.ndarray:
        """(64,) share of each mouth pattern's 64 images called a smile."""
        return np.bincount(self.mouth, weights=self.smile, minlength=64) / np.bincount(self.mouth, minlength=64)

    def group(self, mouth_id: int) -> np.ndarray:
        return np.flatnonzero(self.mouth == mouth_id)

    def mouth_image(self, mouth_id: int) -> np.ndarray:
        """(MOUTH_ROWS, 3) float32 picture of a mouth pattern."""
        return ((mouth_id >> np.arange(MOUTH_ROWS * SMILE_SHAPE[1])) & 1).astype(np.float32).reshape(MOUTH_ROWS, -1)


def run_population(net) -> Population:
    """The network's verdict on all 4,096 pictures (output > 0 = smile)."""
    images = smile_population()
    outputs = net.predict(images)[:, 0].astype(np.float64)
    h, w = SMILE_SHAPE
    bits = images.reshape(-1, h, w)[:, h - MOUTH_ROWS:, :].reshape(len(images), -1).astype(np.int64)
    mouth = (bits << np.arange(bits.shape[1])).sum(axis=1)
    return Population(images, outputs, outputs > 0, mouth)
