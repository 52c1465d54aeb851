"""The lessons' datasets as one small type, plus the smile lesson's 3×4 images.

Inputs are float32 rows in [0, 1] (``(n, height*width)``, row-major like the image);
classification labels are int64 ``(n,)``; the smile lesson's targets are float32
``(n, 1)`` holding +1 (smile) or −1 (not a smile).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import SettingsError

CLASSIFICATION = "classification"  # labels 0..k-1, answer = brightest output
SIGN = "sign"  # one output, target ±1, answer = sign of the output
DIGIT_NAMES = tuple(str(d) for d in range(10))


@dataclass(frozen=True, eq=False)
class Dataset:
    """A train/test split of images with labels, and how to read them.

    x_train: (n, h*w) float32 in [0, 1]; y_train: (n,) int64 or (n, 1) float32 (SIGN).
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    image_shape: tuple[int, int]
    class_names: tuple[str, ...]
    task: str = CLASSIFICATION
    source: str = ""
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        h, w = self.image_shape
        for split, x, y in (("train", self.x_train, self.y_train), ("test", self.x_test, self.y_test)):
            if x.ndim != 2 or x.shape[1] != h * w:
                raise SettingsError(f"{self.name} {split} inputs {x.shape} do not fit images of {h}×{w}")
            if len(y) != len(x):
                raise SettingsError(f"{self.name} {split}: {len(x)} images but {len(y)} labels")

    @property
    def n_inputs(self) -> int:
        return self.image_shape[0] * self.image_shape[1]

    @property
    def n_outputs(self) -> int:
        return 1 if self.task == SIGN else len(self.class_names)

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) of "train" or "test"."""
        return (self.x_train, self.y_train) if name == "train" else (self.x_test, self.y_test)

    def label_name(self, y) -> str:
        """Readable label of one target (an int class, or ±1 for SIGN)."""
        if self.task == SIGN:
            return self.class_names[1] if float(np.ravel(y)[0]) > 0 else self.class_names[0]
        return self.class_names[int(y)]

    def target_for(self, label: int) -> np.ndarray:
        """The y entry for class index ``label`` (for SIGN: 0 -> −1, 1 -> +1)."""
        if self.task == SIGN:
            return np.array([1.0 if label else -1.0], dtype=np.float32)
        return np.int64(label)

    def with_train_examples(self, x: np.ndarray, y: np.ndarray) -> "Dataset":
        """A copy whose training split ends with the given extra examples. x: (m, h*w)."""
        x = np.asarray(x, dtype=np.float32).reshape(-1, self.n_inputs)
        y = np.asarray(y, dtype=self.y_train.dtype).reshape((-1,) + self.y_train.shape[1:])
        return replace(self, x_train=np.concatenate([self.x_train, x]),
                       y_train=np.concatenate([self.y_train, y]))


def answer_name(task: str, class_names, output) -> str:
    """What the network says for one output vector (k,): the brightest class, or for SIGN the
    sign's class — an output of exactly 0 is no answer ("undecided"), as ``correct`` counts it."""
    out = np.ravel(output)
    if task == SIGN:
        v = float(out[0])
        return class_names[1] if v > 0 else class_names[0] if v < 0 else "undecided"
    return str(class_names[int(np.argmax(out))])


EXACT_TOL = 5e-4  # "exactly": equal to three significant digits, the precision the app prints


def exactly_right(outputs: np.ndarray, y: np.ndarray, tol: float = EXACT_TOL) -> np.ndarray:
    """Boolean (n,) for SIGN tasks: is each output its target (±1), as the smile lesson counts —
    not just on the right side of 0? outputs: (n, 1); y: (n,) or (n, 1) of ±1. The nudge method
    halves its step after an undone round, so outputs approach ±1 rather than land on it."""
    return np.abs(np.asarray(outputs, np.float64).reshape(-1) - np.asarray(y, np.float64).reshape(-1)) <= tol


def signed(v: float) -> str:
    """+3, −1, 0.5 with a real minus sign (it reads better than a hyphen)."""
    return "0" if v == 0 else f"{float(v):+.3g}".replace("-", "−")


def correct(task: str, outputs: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Boolean (n,) — is each answer right? outputs: (n, k) network outputs."""
    if task == SIGN:
        # An output of exactly 0 is no answer at all, so it counts as wrong.
        return np.sign(outputs[:, 0]) == np.sign(np.asarray(y).reshape(-1))
    return outputs.argmax(axis=1) == y


# --- the smile lesson: 3 wide × 4 tall, 1 where "something is going on" ------------

SMILE_SHAPE = (4, 3)


def face(*rows: str) -> np.ndarray:
    """A 3×4 image from four 3-character rows ('#' = 1), flattened to (12,) float32."""
    if len(rows) != 4 or any(len(r) != 3 for r in rows):
        raise ValueError("a smile-lesson face is 4 rows of 3 characters")
    return np.array([[c == "#" for c in r] for r in rows], dtype=np.float32).reshape(-1)


# Chosen so that one nudge iteration from zero weights re-enacts the lesson: three
# outputs hit their targets and the grin gives 3 where 1 was wanted.
SMILE_TRAIN = (
    (face("#.#", "...", "#.#", ".#."), +1),  # smile: corners up, middle down
    (face("#.#", "...", "#.#", "###"), +1),  # big grin
    (face("#.#", "...", "###", "..."), -1),  # straight mouth
    (face("#..", "...", "###", "..."), -1),  # straight mouth, one eye shut
)
SMILE_TEST = (
    (face("...", "...", "#.#", ".#."), +1),  # smile, eyes closed
    (face("#..", "...", "#.#", ".#."), +1),  # winking smile
    (face("#.#", "...", ".#.", "#.#"), -1),  # frown
    (face("#.#", "...", ".#.", ".#."), -1),  # surprised "o"
    (face("#.#", "...", "...", "###"), -1),  # flat mouth, low: unlike any training face
)


def smile() -> Dataset:
    """The 3×4 smile detector's four training images and five test images."""
    def stack(pairs):
        x = np.stack([p for p, _ in pairs])
        y = np.array([[t] for _, t in pairs], dtype=np.float32)
        return x, y

    x_tr, y_tr = stack(SMILE_TRAIN)
    x_te, y_te = stack(SMILE_TEST)
    return Dataset("smile", x_tr, y_tr, x_te, y_te, SMILE_SHAPE, ("not a smile", "smile"), SIGN,
                   source="Hard Parts of AI: Neural Networks (Frontend Masters) — 3×4 smile detector")


def smile_population() -> np.ndarray:
    """All 2^12 = 4,096 possible 3×4 binary images, (4096, 12) float32; image i has bit j of i at pixel j."""
    i = np.arange(4096)[:, None]
    return ((i >> np.arange(12)) & 1).astype(np.float32)


def images_to_dataset(name: str, images: np.ndarray, labels: np.ndarray, test_index: np.ndarray,
                      scale: float, source: str = "") -> Dataset:
    """uint8 images (n, h, w) + labels (n,) + test indices -> a float32 Dataset in [0, 1]."""
    n, h, w = images.shape
    x = images.reshape(n, h * w).astype(np.float32) / np.float32(scale)
    y = labels.astype(np.int64)
    test = np.zeros(n, dtype=bool)
    test[np.asarray(test_index, dtype=np.int64)] = True
    return Dataset(name, x[~test], y[~test], x[test], y[test], (h, w), DIGIT_NAMES, source=source)


#: the panels' fixed training samples are drawn with this seed, so they never change
SAMPLE_SEED = 0
#: training examples the Nudge tab compares on, and the loss shown before any step is measured on
FIXED_SAMPLE = 256


def training_sample(dataset: Dataset, n: int, seed: int = SAMPLE_SEED) -> tuple[np.ndarray, np.ndarray]:
    """A fixed, seeded sample of at most ``n`` training examples (all of them when fewer).

    Returns (X (m, n_inputs), Y (m,) or (m, 1)), in dataset order; the same call gives
    the same sample, so numbers computed on it are comparable from frame to frame.
    """
    x, y = dataset.x_train, dataset.y_train
    if len(x) <= n:
        return x, y
    idx = np.sort(np.random.default_rng(seed).choice(len(x), size=n, replace=False))
    return x[idx], y[idx]
