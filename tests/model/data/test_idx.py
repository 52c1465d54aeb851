"""IDX loader: exact round trips, every malformed file is a DataFormatError naming it, fuzzed."""

import gzip
import struct

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nnviz.model.errors import DataFormatError
from nnviz.model.data.idx import find_idx_files, load_idx_pair, read_idx, write_idx


def _pair(n=7, h=5, w=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, h, w), dtype=np.uint8), rng.integers(0, 10, n, dtype=np.uint8)


def _valid_bytes() -> bytes:
    """A small, valid uint8 (2, 3, 4) IDX file."""
    return struct.pack(">HBB3I", 0, 0x08, 3, 2, 3, 4) + bytes(range(24))


def _expect_error(path, *words):
    with pytest.raises(DataFormatError) as e:
        read_idx(path)
    assert path.name in str(e.value)
    for w in words:
        assert w in str(e.value)
    return e.value


# --- round trips ------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_pair_round_trips_exactly(tmp_path, suffix):
    imgs, labs = _pair()
    ip, lp = tmp_path / f"train-images-idx3-ubyte{suffix}", tmp_path / f"train-labels-idx1-ubyte{suffix}"
    write_idx(ip, imgs)
    write_idx(lp, labs)
    assert (ip.read_bytes()[:2] == b"\x1f\x8b") == (suffix == ".gz")
    x, y = load_idx_pair(ip, lp)
    assert x.dtype == np.uint8 and y.dtype == np.uint8
    np.testing.assert_array_equal(x, imgs)
    np.testing.assert_array_equal(y, labs)


def test_header_is_the_mnist_layout(tmp_path):
    p = tmp_path / "x-images-idx3-ubyte"
    write_idx(p, np.zeros((3, 28, 28), np.uint8))
    raw = p.read_bytes()
    assert raw[:4] == b"\x00\x00\x08\x03"
    assert struct.unpack(">3I", raw[4:16]) == (3, 28, 28) and len(raw) == 16 + 3 * 28 * 28


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64,
                                   ">i2", ">f8"])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_every_spec_dtype_round_trips(tmp_path, dtype, suffix):
    a = (np.arange(-12, 12).reshape(2, 3, 4) * 3).astype(dtype)
    p = tmp_path / f"a.idx{suffix}"
    write_idx(p, a)
    back = read_idx(p)
    assert back.dtype == np.dtype(dtype).newbyteorder("=") and back.dtype.isnative
    np.testing.assert_array_equal(back, a)


def test_gzip_is_sniffed_not_trusted_from_the_name(tmp_path):
    # a gzipped file without .gz, and a plain file that kept a .gz name (browsers do this)
    (tmp_path / "zipped").write_bytes(gzip.compress(_valid_bytes()))
    (tmp_path / "plain.gz").write_bytes(_valid_bytes())
    want = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    np.testing.assert_array_equal(read_idx(tmp_path / "zipped"), want)
    np.testing.assert_array_equal(read_idx(tmp_path / "plain.gz"), want)


def test_multi_member_gzip_is_one_stream(tmp_path):
    raw = _valid_bytes()
    p = tmp_path / "multi.gz"
    p.write_bytes(gzip.compress(raw[:10]) + gzip.compress(raw[10:]))
    np.testing.assert_array_equal(read_idx(p), np.arange(24, dtype=np.uint8).reshape(2, 3, 4))


def test_write_idx_rejects_what_idx_cannot_hold(tmp_path):
    for bad in (np.zeros((2, 2), np.float16), np.zeros((1,) * 5, np.uint8), np.array(3, np.uint8),
                np.zeros(2, bool)):
        with pytest.raises(DataFormatError, match="out.idx"):
            write_idx(tmp_path / "out.idx", bad)
    assert not (tmp_path / "out.idx").exists()


# --- malformed files --------------------------------------------------------------------------

@pytest.mark.parametrize("blob,words", [
    (b"", ["too short"]),
    (b"\x00\x00\x08", ["too short"]),
    (b"\x00\x01" + _valid_bytes()[2:], ["not an IDX file"]),
    (b"P\x03\x04\x14" + b"\x00" * 40, ["not an IDX file"]),                      # a zip, say
    (b"hello, this is a text file, not an IDX file at all\n", ["not an IDX file"]),
    (b"\x00\x00\x0a\x03" + _valid_bytes()[4:], ["data type code 0x0a"]),         # 0x0A is undefined
    (b"\x00\x00\x08\x00" + _valid_bytes()[4:], ["0 dimensions"]),
    (b"\x00\x00\x08\x09" + _valid_bytes()[4:], ["9 dimensions"]),
    (_valid_bytes()[:10], ["header"]),
    (_valid_bytes()[:-1], ["truncated", "24 bytes", "has 23"]),
    (_valid_bytes()[:16], ["truncated"]),
    (_valid_bytes() + b"\x00", ["extra bytes"]),
    (_valid_bytes() + b"trailing junk", ["extra bytes"]),
    (struct.pack(">HBB3I", 0, 8, 3, 60000, 65535, 65535), ["too large"]),
    (struct.pack(">HBB4I", 0, 8, 4, 65536, 65536, 65536, 65536), ["too large"]),  # overflows int64
    (struct.pack(">HBB1I", 0, 0x0E, 1, 1 << 30), ["too large"]),                  # 8 GiB of float64
])
def test_malformed_files_are_named_and_explained(tmp_path, blob, words):
    for name, data in (("bad-idx3-ubyte", blob), ("bad-idx3-ubyte.gz", gzip.compress(blob))):
        p = tmp_path / name
        p.write_bytes(data)
        _expect_error(p, *words)


@pytest.mark.parametrize("mutate,word", [
    (lambda gz: gz[:-10], "ends early"),               # cut inside the stream
    (lambda gz: gz[:-4], "ends early"),                # trailer incomplete
    (lambda gz: gz[:12] + bytes(b ^ 0xFF for b in gz[12:20]) + gz[20:], "damaged gzip"),
    (lambda gz: gz[:-8] + b"\0\0\0\0" + gz[-4:], "damaged gzip"),   # wrong CRC
    (lambda gz: b"\x1f\x8b" + b"garbage" * 3, "gzip"),
    (lambda gz: gz + b"not gzip", "not gzip"),
])
def test_broken_gzip_is_our_error_not_a_crash(tmp_path, mutate, word):
    p = tmp_path / "broken-idx1-ubyte.gz"
    p.write_bytes(mutate(gzip.compress(_valid_bytes())))
    _expect_error(p, word)


def test_zero_padding_after_gzip_is_tolerated(tmp_path):
    p = tmp_path / "padded.gz"
    p.write_bytes(gzip.compress(_valid_bytes()) + b"\0" * 512)
    assert read_idx(p).shape == (2, 3, 4)


def test_gzip_bomb_behind_a_small_header_is_not_inflated(tmp_path):
    # header says 24 bytes; 50 MB of zeros follow: reported as extra data, never fully inflated
    p = tmp_path / "bomb.gz"
    p.write_bytes(gzip.compress(_valid_bytes() + bytes(50_000_000), compresslevel=1))
    _expect_error(p, "extra bytes")


def test_missing_file_and_folder(tmp_path):
    _expect_error(tmp_path / "nope-idx3-ubyte", "does not exist")
    d = tmp_path / "adir"
    d.mkdir()
    _expect_error(d, "folder")


# --- pairs ------------------------------------------------------------------------------------

def test_count_mismatch_names_both_files(tmp_path):
    write_idx(tmp_path / "imgs", np.zeros((3, 2, 2), np.uint8))
    write_idx(tmp_path / "labs", np.zeros(4, np.uint8))
    with pytest.raises(DataFormatError, match="labs: has 4 labels but imgs has 3 images"):
        load_idx_pair(tmp_path / "imgs", tmp_path / "labs")


def test_ndim_and_dtype_mismatches(tmp_path):
    write_idx(tmp_path / "imgs", np.zeros((3, 2, 2), np.uint8))
    write_idx(tmp_path / "labs", np.zeros(3, np.uint8))
    write_idx(tmp_path / "flat", np.zeros(3, np.uint8))
    write_idx(tmp_path / "floats", np.zeros((3, 2, 2), np.float32))
    write_idx(tmp_path / "labs2d", np.zeros((3, 1), np.uint8))
    with pytest.raises(DataFormatError, match="flat: .*not uint8 images"):
        load_idx_pair(tmp_path / "flat", tmp_path / "labs")
    with pytest.raises(DataFormatError, match="floats: holds float32"):
        load_idx_pair(tmp_path / "floats", tmp_path / "labs")
    with pytest.raises(DataFormatError, match="labs: .*not uint8 images.*labels file"):  # swapped
        load_idx_pair(tmp_path / "labs", tmp_path / "imgs")
    with pytest.raises(DataFormatError, match="labs2d: .*not uint8 labels"):
        load_idx_pair(tmp_path / "imgs", tmp_path / "labs2d")


def test_labels_outside_the_classes_are_reported(tmp_path):
    write_idx(tmp_path / "imgs", np.zeros((3, 2, 2), np.uint8))
    write_idx(tmp_path / "letters", np.array([1, 26, 5], np.uint8))
    with pytest.raises(DataFormatError, match=r"letters: has labels up to 26.*0\.\.9"):
        load_idx_pair(tmp_path / "imgs", tmp_path / "letters")
    _, y = load_idx_pair(tmp_path / "imgs", tmp_path / "letters", num_classes=27)
    assert y.tolist() == [1, 26, 5]


def test_empty_set_is_reported(tmp_path):
    write_idx(tmp_path / "imgs", np.zeros((0, 28, 28), np.uint8))
    write_idx(tmp_path / "labs", np.zeros(0, np.uint8))
    with pytest.raises(DataFormatError, match="imgs: holds no images"):
        load_idx_pair(tmp_path / "imgs", tmp_path / "labs")


# --- finding files in a folder ----------------------------------------------------------------

def _write_pair(folder, images_name, labels_name, seed=0):
    imgs, labs = _pair(seed=seed)
    write_idx(folder / images_name, imgs)
    write_idx(folder / labels_name, labs)
    return imgs, labs


def test_finds_train_and_test_pairs(tmp_path):
    _write_pair(tmp_path, "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")
    test_imgs, _ = _write_pair(tmp_path, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", seed=1)
    found = find_idx_files(tmp_path)
    assert found["shared"] is False
    assert [p.name for p in found["train"]] == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
    assert [p.name for p in found["test"]] == ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
    np.testing.assert_array_equal(load_idx_pair(*found["test"])[0], test_imgs)


def test_dot_spelling_and_case_are_accepted(tmp_path):
    _write_pair(tmp_path, "train-images.idx3-ubyte", "TRAIN-LABELS.IDX1-UBYTE")
    _write_pair(tmp_path, "t10k-images.idx3-ubyte.gz", "t10k-labels-idx1-ubyte")
    found = find_idx_files(tmp_path)
    assert found["train"][1].name == "TRAIN-LABELS.IDX1-UBYTE"
    assert found["test"][0].name == "t10k-images.idx3-ubyte.gz" and not found["shared"]


@pytest.mark.parametrize("prefix", ["train", "t10k"])
def test_one_pair_stands_in_for_both_splits(tmp_path, prefix):
    _write_pair(tmp_path, f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte")
    found = find_idx_files(tmp_path)
    assert found["shared"] is True and found["train"] == found["test"]
    assert found["train"][0].name == f"{prefix}-images-idx3-ubyte"


def test_folder_without_pairs_names_folder_and_expected_files(tmp_path):
    (tmp_path / "readme.txt").write_text("hi")
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((1, 2, 2), np.uint8))  # no labels
    with pytest.raises(DataFormatError) as e:
        find_idx_files(tmp_path)
    msg = str(e.value)
    assert str(tmp_path) in msg
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte", ".gz", "without its partner"):
        assert name in msg
    with pytest.raises(DataFormatError, match="not a folder"):
        find_idx_files(tmp_path / "readme.txt")


# --- fuzzing ----------------------------------------------------------------------------------

_VALID = _valid_bytes()
_VALID_GZ = gzip.compress(_VALID, mtime=0)


@given(data=st.data())
def test_fuzzed_files_only_ever_raise_our_error(tmp_path, data):
    kind = data.draw(st.sampled_from(["random", "random-idx-head", "truncate", "truncate-gz",
                                      "flip", "flip-gz", "append"]))
    if kind == "random":
        blob = data.draw(st.binary(max_size=300))
    elif kind == "random-idx-head":  # passes the magic check, so the rest of the parser runs
        blob = b"\x00\x00" + data.draw(st.binary(max_size=300))
    elif kind in ("truncate", "truncate-gz"):
        base = _VALID if kind == "truncate" else _VALID_GZ
        blob = base[: data.draw(st.integers(0, len(base)))]
    elif kind == "append":
        blob = _VALID + data.draw(st.binary(min_size=1, max_size=50))
    else:
        base = bytearray(_VALID_GZ if kind == "flip-gz" else _VALID)
        for _ in range(data.draw(st.integers(1, 4))):
            i = data.draw(st.integers(0, len(base) - 1))
            base[i] ^= 1 << data.draw(st.integers(0, 7))
        blob = bytes(base)
    p = tmp_path / "fuzz-idx3-ubyte"
    p.write_bytes(blob)
    try:
        arr = read_idx(p)
    except DataFormatError as e:
        assert "fuzz-idx3-ubyte" in str(e)
    else:
        # whatever parsed really was in the file: no allocation beyond what it holds
        assert isinstance(arr, np.ndarray) and arr.dtype.isnative
        assert arr.nbytes <= max(len(blob), 1) * 1100
