"""The paint grid's drawings kept between starts: exact round trip, and no error from a bad file."""

import numpy as np

from nnviz.model.files.drawings_file import load_drawings, save_drawings


def test_every_lessons_drawing_comes_back_exactly(tmp_path):
    rng = np.random.default_rng(0)
    drawings = {("mnist", 28, 28, False): rng.random((28, 28), dtype=np.float32),
                ("smile", 4, 3, True): (rng.random((4, 3)) > 0.5).astype(np.float32)}

    path = tmp_path / "drawings.npz"
    save_drawings(path, drawings)
    got = load_drawings(path)
    assert set(got) == set(drawings)
    for key, image in drawings.items():
        np.testing.assert_array_equal(got[key], image)


def test_a_missing_damaged_or_mismatched_file_gives_no_drawings_and_no_error(tmp_path):
    path = tmp_path / "drawings.npz"
    assert load_drawings(path) == {}
    save_drawings(path, {("digits", 8, 8, False): np.full((8, 8), 0.5, np.float32)})
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    assert load_drawings(path) == {}
    save_drawings(path, {("digits", 8, 8, False): np.full((4, 4), 0.5, np.float32),  # not its grid's shape
                         ("smile", 4, 3, True): np.full((4, 3), 7.0, np.float32)})  # out of [0, 1]
    assert load_drawings(path) == {}


def test_a_file_with_malformed_grids_gives_no_drawings_and_never_stops_the_start(tmp_path):
    """The window reads this file while it is built: an exception here would end every start."""
    from nnviz.model.files.drawings_file import FORMAT, VERSION
    from nnviz.model.storage.npzfile import meta_array, write_npz

    path = tmp_path / "drawings.npz"
    for grids, image in (([{"a": 1}], np.zeros((8, 8), np.float32)),
                         ([["digits", float("inf"), 8, False]], np.zeros((8, 8), np.float32)),
                         ([["digits", 0, 0, False]], np.zeros((0, 0), np.float32)),
                         ([["digits", 8, 8]], np.zeros((8, 8), np.float32)),
                         ("digits", np.zeros((8, 8), np.float32))):
        write_npz(path, {"meta": meta_array({"format": FORMAT, "version": VERSION, "grids": grids}), "d0": image})
        assert load_drawings(path) == {}, grids
