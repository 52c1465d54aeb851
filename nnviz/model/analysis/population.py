"""The smile lesson's population: every possible 3×4 picture, and what the network calls it.

The training sample is four faces; the population is all 2^12 = 4,096 black-and-white
3×4 images (``datasets.smile_population``). Grouping them by their *mouth* — the
bottom two rows, 64 possible patterns, each shared by 64 pictures (every pair of eye
rows) — shows whether the network learned "mouth shape" or something the sample
happened to share: the lesson's point that a sample must reflect the population.

The 64 mouths fall into five kinds a learner can name, read column by column (each
column of the two mouth rows is lit high, low, both or neither):

- **smiling**: both corners lit high (alone or with the low cell too), the middle low only
  — ``#.#`` over ``.#.`` and the grin ``#.#`` over ``###``;
- **frowning**: the mirror image — the middle high only, both corners low;
- **straight**: one full row of three and nothing in the other;
- **no mouth**: both rows dark;
- **other**: every remaining scribble.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data.datasets import SMILE_SHAPE, smile_population

MOUTH_ROWS = 2  # the bottom rows of the 4×3 picture
N_MOUTHS = 1 << (MOUTH_ROWS * SMILE_SHAPE[1])  # 64
KINDS = ("smiling", "frowning", "straight", "no mouth", "other")
KIND_DESCRIPTIONS = (
    "corners up, middle down",
    "corners down, middle up",
    "one flat line",
    "both mouth rows dark",
    "any other pattern",
)


def mouth_rows(mouth_id: int) -> np.ndarray:
    """(MOUTH_ROWS, 3) int picture of a mouth pattern (bit j of the id = mouth pixel j, row-major)."""
    w = SMILE_SHAPE[1]
    return ((int(mouth_id) >> np.arange(MOUTH_ROWS * w)) & 1).reshape(MOUTH_ROWS, w)


def mouth_kind(mouth_id: int) -> int:
    """Index into KINDS of one of the 64 mouth patterns (see the module note)."""
    hi, lo = mouth_rows(mouth_id)
    corners_hi, corners_lo = hi[0] and hi[2], lo[0] and lo[2]
    if not hi.any() and not lo.any():
        return KINDS.index("no mouth")
    if corners_hi and not hi[1] and lo[1]:
        return KINDS.index("smiling")
    if corners_lo and not lo[1] and hi[1]:
        return KINDS.index("frowning")
    if (hi.all() and not lo.any()) or (lo.all() and not hi.any()):
        return KINDS.index("straight")
    return KINDS.index("other")


MOUTH_KIND = np.array([mouth_kind(m) for m in range(N_MOUTHS)], dtype=np.int64)  # (64,)


def mouth_ids(images: np.ndarray) -> np.ndarray:
    """(n,) mouth pattern id 0..63 of 3×4 images (n, 12) (a pixel counts as lit when > 0.5)."""
    h, w = SMILE_SHAPE
    bits = (np.asarray(images).reshape(-1, h, w)[:, h - MOUTH_ROWS:, :].reshape(-1, MOUTH_ROWS * w) > 0.5)
    return (bits.astype(np.int64) << np.arange(MOUTH_ROWS * w)).sum(axis=1)


@dataclass(frozen=True, eq=False)
class Population:
    """The network on all 4,096 pictures.

    images (4096, 12) float32; outputs (4096,) float64; smile (4096,) bool (output > 0);
    mouth (4096,) mouth pattern id 0..63; kind (4096,) index into KINDS.
    """

    images: np.ndarray
    outputs: np.ndarray
    smile: np.ndarray
    mouth: np.ndarray

    @property
    def count(self) -> int:
        """How many of the 4,096 pictures the network calls a smile."""
        return int(self.smile.sum())

    @property
    def kind(self) -> np.ndarray:
        return MOUTH_KIND[self.mouth]

    def group_share(self) -> np.ndarray:
        """(64,) share of each mouth pattern's 64 pictures called a smile."""
        return np.bincount(self.mouth, weights=self.smile, minlength=N_MOUTHS) / np.bincount(self.mouth,
                                                                                              minlength=N_MOUTHS)

    def group(self, mouth_id: int) -> np.ndarray:
        """Indices of the 64 pictures with this mouth."""
        return np.flatnonzero(self.mouth == mouth_id)

    def kind_mouths(self, kind: int) -> np.ndarray:
        """The mouth ids of KINDS[kind], most often called a smile first."""
        share = self.group_share()
        mouths = np.flatnonzero(MOUTH_KIND == kind)
        return mouths[np.argsort(-share[mouths], kind="stable")]

    def kind_table(self) -> list[dict]:
        """Per kind: {"kind", "mouths", "images", "smiles"} (how many pictures called a smile)."""
        kind = self.kind
        return [{"kind": k, "mouths": int((MOUTH_KIND == i).sum()), "images": int((kind == i).sum()),
                 "smiles": int(self.smile[kind == i].sum())} for i, k in enumerate(KINDS)]


def run_population(net) -> Population:
    """The network's verdict on all 4,096 pictures (output > 0 = smile)."""
    images = smile_population()
    with np.errstate(all="ignore"):
        outputs = net.predict(images)[:, 0].astype(np.float64)
    return Population(images, outputs, outputs > 0, mouth_ids(images))


def sample_kinds(x: np.ndarray, y: np.ndarray) -> list[dict]:
    """The training sample by mouth kind: per kind {"kind", "smiles", "not"} — how many sample
    pictures of that kind are labelled smile (+1) and not (−1). x: (n, 12); y: (n,) or (n, 1) ±1."""
    kinds = MOUTH_KIND[mouth_ids(x)]
    label = np.asarray(y).reshape(len(kinds), -1)[:, 0] > 0
    return [{"kind": k, "smiles": int((label & (kinds == i)).sum()), "not": int((~label & (kinds == i)).sum())}
            for i, k in enumerate(KINDS)]
