"""The pixel grid's painting logic: which cells a stroke inks, the brush, undo."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nnviz.model.canvas import Canvas, cells_on_segment
from nnviz.model.errors import SettingsError


def stroke(canvas: Canvas, points, erase: bool = False) -> None:
    (r, c), *rest = points
    canvas.begin_stroke(r, c, erase=erase)
    for r, c in rest:
        canvas.stroke_to(r, c)
    canvas.end_stroke()


def ones_at(shape, cells) -> np.ndarray:
    out = np.zeros(shape, dtype=np.float32)
    for r, c in cells:
        out[r, c] = 1.0
    return out


# ----------------------------------------------------------- stroke geometry


def test_horizontal_stroke_sets_exactly_one_row():
    canvas = Canvas(8, 8, binary=True)
    stroke(canvas, [(2.5, 0.5), (2.5, 7.5)])
    expected = np.zeros((8, 8), dtype=np.float32)
    expected[2, :] = 1.0
    assert np.array_equal(canvas.image, expected)


def test_diagonal_stroke_sets_exactly_the_diagonal():
    canvas = Canvas(8, 8, binary=True)
    stroke(canvas, [(0.5, 0.5), (7.5, 7.5)])
    assert np.array_equal(canvas.image, np.eye(8, dtype=np.float32))


def test_anti_diagonal_stroke_backwards():
    canvas = Canvas(8, 8, binary=True)
    stroke(canvas, [(7.5, 0.5), (0.5, 7.5)])
    assert np.array_equal(canvas.image, np.fliplr(np.eye(8, dtype=np.float32)))


def test_shallow_stroke_leaves_no_gaps_between_cells():
    # From cell (0, 0) to cell (3, 7): the line visits a 4-connected chain of cells.
    canvas = Canvas(8, 8, binary=True)
    stroke(canvas, [(0.5, 0.5), (3.5, 7.5)])
    expected = ones_at((8, 8), [(0, 0), (0, 1), (1, 1), (1, 2), (1, 3), (2, 4), (2, 5), (2, 6), (3, 6), (3, 7)])
    assert np.array_equal(canvas.image, expected)


@given(
    st.floats(0, 16, allow_nan=False), st.floats(0, 16, allow_nan=False),
    st.floats(0, 16, allow_nan=False), st.floats(0, 16, allow_nan=False),
)
def test_segment_cells_are_connected_and_cover_dense_samples(r0, c0, r1, c1):
    rows, cols = cells_on_segment(r0, c0, r1, c1)
    cells = set(zip(rows, cols))
    # Every point of the segment lies in one of the returned cells.
    for t in np.linspace(0.0, 1.0, 401):
        point = (int(np.floor(r0 + t * (r1 - r0))), int(np.floor(c0 + t * (c1 - c0))))
        if point not in cells:
            # Only a sample landing exactly on a grid corner/line may round the other way.
            assert any(abs(p - round(p)) < 1e-9 for p in (r0 + t * (r1 - r0), c0 + t * (c1 - c0)))
    # No stray cells: each is within one cell of the segment's bounding box.
    assert all(min(r0, r1) - 1 <= r <= max(r0, r1) and min(c0, c1) - 1 <= c <= max(c0, c1) for r, c in cells)


def test_fast_soft_stroke_leaves_no_gaps():
    # One mouse move jumping across the grid still inks every cell on the way.
    canvas = Canvas(28, 28, brush_radius=0.5)
    stroke(canvas, [(3.5, 2.5), (24.5, 25.5)])
    img = canvas.image
    for t in np.linspace(0.0, 1.0, 200):
        r, c = int(3.5 + t * 21), int(2.5 + t * 23)
        assert img[r, c] == 1.0


def test_stroke_outside_the_grid_paints_only_the_inside_part():
    canvas = Canvas(4, 4, binary=True)
    stroke(canvas, [(1.5, -5.0), (1.5, 10.0)])
    expected = np.zeros((4, 4), dtype=np.float32)
    expected[1, :] = 1.0
    assert np.array_equal(canvas.image, expected)
    assert Canvas(4, 4).begin_stroke(-3.0, -3.0) is False


def test_stroke_to_without_begin_does_nothing():
    canvas = Canvas(4, 4)
    assert canvas.stroke_to(1.5, 1.5) is False
    assert not canvas.image.any()
    assert not canvas.can_undo


def test_non_finite_position_is_rejected():
    with pytest.raises(ValueError):
        Canvas(4, 4).begin_stroke(float("nan"), 1.0)


# --------------------------------------------------------------------- brush


def test_soft_brush_centre_is_full_and_falls_off_smoothly():
    canvas = Canvas(7, 7, brush_radius=1.0)
    canvas.begin_stroke(3.5, 3.5)
    img = canvas.image
    assert img[3, 3] == 1.0
    # Orthogonal neighbours are half a cell beyond the full-ink zone: half ink.
    assert img[2, 3] == img[4, 3] == img[3, 2] == img[3, 4] == pytest.approx(0.5)
    assert 0.0 < img[2, 2] < img[2, 3] < img[3, 3]
    assert img[1, 3] == 0.0 and img[3, 5] == 0.0  # beyond the radius
    assert np.array_equal(img, img.T)  # round brush, symmetric


def test_one_cell_pen_fills_the_cell_under_the_cursor_anywhere_in_it():
    for r, c in [(3.5, 3.5), (3.01, 3.99), (3.99, 3.99), (3.0, 3.0)]:
        canvas = Canvas(7, 7, brush_radius=0.5)
        canvas.begin_stroke(r, c)
        img = canvas.image
        assert img[3, 3] == 1.0
        assert img.sum() < 3.0  # and not much else
    centred = Canvas(7, 7, brush_radius=0.5)
    centred.begin_stroke(3.5, 3.5)
    assert np.array_equal(centred.image, ones_at((7, 7), [(3, 3)]))


def test_repeated_passes_never_exceed_one():
    canvas = Canvas(10, 10, brush_radius=2.0)
    for _ in range(5):
        stroke(canvas, [(5.2, 1.0), (5.2, 9.0), (5.7, 1.0)])
    img = canvas.image
    assert img.max() == 1.0 and img.min() >= 0.0


def test_erase_removes_ink():
    canvas = Canvas(8, 8, brush_radius=1.0)
    stroke(canvas, [(4.5, 0.5), (4.5, 7.5)])
    assert canvas.image[4].sum() == 8.0
    assert canvas.image[3].sum() == pytest.approx(4.0)  # soft edges at half ink
    stroke(canvas, [(4.5, 0.5), (4.5, 7.5)], erase=True)
    img = canvas.image
    assert not img[4].any()
    # The same profile leaves the half-inked edges at min(0.5, 1 - 0.5) = 0.5 ...
    assert np.allclose(img[3], 0.5) and np.allclose(img[5], 0.5)
    # ... and passing the eraser over them removes them.
    stroke(canvas, [(3.5, 0.5), (3.5, 7.5), (5.5, 7.5), (5.5, 0.5)], erase=True)
    assert not canvas.image.any()


def test_soft_erase_lowers_by_the_same_profile():
    canvas = Canvas(7, 7)
    canvas.set_image(np.ones((7, 7)))
    canvas.begin_stroke(3.5, 3.5, erase=True)
    img = canvas.image
    assert img[3, 3] == 0.0
    assert img[2, 3] == pytest.approx(0.5)
    assert img[0, 0] == 1.0


def test_binary_erase_and_binary_values():
    canvas = Canvas(3, 4, binary=True, brush_radius=3.0)  # radius unused in binary mode
    stroke(canvas, [(1.5, 0.5), (1.5, 3.5)])
    assert np.array_equal(canvas.image, ones_at((3, 4), [(1, 0), (1, 1), (1, 2), (1, 3)]))
    stroke(canvas, [(1.5, 1.5), (1.5, 2.5)], erase=True)
    assert np.array_equal(canvas.image, ones_at((3, 4), [(1, 0), (1, 3)]))
    canvas.set_image(np.full((3, 4), 0.7))
    assert set(np.unique(canvas.image)) == {1.0}


segment_points = st.tuples(st.floats(-3, 15, allow_nan=False), st.floats(-3, 15, allow_nan=False))


@given(
    strokes=st.lists(
        st.tuples(st.booleans(), st.lists(segment_points, min_size=1, max_size=6)),
        min_size=1, max_size=8,
    ),
    radius=st.floats(0.3, 4.0),
)
def test_soft_brush_values_stay_in_unit_interval(strokes, radius):
    canvas = Canvas(12, 12, brush_radius=radius)
    for erase, points in strokes:
        stroke(canvas, points, erase=erase)
        img = canvas.image
        assert img.dtype == np.float32 and img.shape == (12, 12)
        assert img.min() >= 0.0 and img.max() <= 1.0


def test_bad_brush_radius_is_refused():
    canvas = Canvas(4, 4)
    canvas.brush_radius = 2.5
    assert canvas.brush_radius == 2.5
    for bad in (0.0, -1.0, float("inf")):
        with pytest.raises(SettingsError):
            canvas.brush_radius = bad


# ---------------------------------------------------------- change reporting


def test_return_values_and_revision_report_changes():
    canvas = Canvas(6, 6, binary=True)
    assert canvas.begin_stroke(2.5, 2.5) is True
    assert canvas.stroke_to(2.6, 2.6) is False  # same cell, already inked
    assert canvas.stroke_to(2.5, 4.5) is True
    canvas.end_stroke()
    revision = canvas.revision
    assert canvas.clear() is True and canvas.revision == revision + 1
    assert canvas.clear() is False and canvas.revision == revision + 1


# ---------------------------------------------------------------------- undo


def test_one_stroke_is_one_undo_step():
    canvas = Canvas(8, 8)
    stroke(canvas, [(1.5, 1.5), (1.5, 6.5), (6.5, 6.5), (6.5, 1.5)])
    assert canvas.can_undo
    assert canvas.undo() is True
    assert not canvas.image.any()
    assert not canvas.can_undo


def test_undo_redo_restore_exact_grids_across_edits():
    canvas = Canvas(8, 8, brush_radius=1.3)
    states = [canvas.image]
    stroke(canvas, [(1.2, 1.7), (6.3, 2.9)])
    states.append(canvas.image)
    stroke(canvas, [(4.1, 0.2), (4.4, 7.9), (0.5, 5.5)])
    states.append(canvas.image)
    stroke(canvas, [(4.0, 4.0), (5.0, 5.0)], erase=True)
    states.append(canvas.image)
    canvas.invert()
    states.append(canvas.image)
    canvas.toggle(0, 0)
    states.append(canvas.image)
    canvas.clear()
    states.append(canvas.image)
    assert all(not np.array_equal(a, b) for a, b in zip(states, states[1:]))

    for expected in reversed(states[:-1]):
        assert canvas.undo() is True
        assert np.array_equal(canvas.image, expected)
    assert not canvas.can_undo and canvas.undo() is False
    for expected in states[1:]:
        assert canvas.redo() is True
        assert np.array_equal(canvas.image, expected)
    assert not canvas.can_redo and canvas.redo() is False


def test_new_edit_after_undo_clears_redo():
    canvas = Canvas(5, 5, binary=True)
    canvas.toggle(1, 1)
    canvas.toggle(2, 2)
    canvas.undo()
    assert canvas.can_redo
    stroke(canvas, [(4.5, 0.5), (4.5, 4.5)])
    assert not canvas.can_redo
    assert np.array_equal(canvas.image, ones_at((5, 5), [(1, 1)] + [(4, c) for c in range(5)]))


def test_no_op_edits_push_no_undo_step():
    canvas = Canvas(5, 5, binary=True)
    assert canvas.clear() is False
    stroke(canvas, [(2.5, 2.5), (2.5, 3.5)], erase=True)  # erasing nothing
    assert canvas.set_image(np.zeros((5, 5))) is False
    assert not canvas.can_undo
    stroke(canvas, [(2.5, 2.5), (2.5, 3.5)])
    stroke(canvas, [(2.5, 2.5), (2.5, 3.5)])  # same cells again: no change
    canvas.undo()
    assert not canvas.image.any() and not canvas.can_undo


def test_toggle_flips_one_cell_and_is_one_step():
    canvas = Canvas(3, 4, binary=True)
    assert canvas.toggle(1, 2) is True
    assert np.array_equal(canvas.image, ones_at((3, 4), [(1, 2)]))
    canvas.toggle(1, 2)
    assert not canvas.image.any()
    canvas.undo()
    assert np.array_equal(canvas.image, ones_at((3, 4), [(1, 2)]))
    with pytest.raises(IndexError):
        canvas.toggle(3, 0)
    with pytest.raises(IndexError):
        canvas.toggle(-1, 0)


def test_invert_and_set_image():
    canvas = Canvas(2, 3)
    image = np.array([[0.0, 0.25, 1.0], [0.5, 0.75, 0.1]])
    assert canvas.set_image(image) is True
    assert np.array_equal(canvas.image, image.astype(np.float32))
    canvas.invert()
    assert np.allclose(canvas.image, 1.0 - image)
    canvas.undo()
    canvas.undo()
    assert not canvas.image.any()
    assert canvas.set_image(image, record=False) is True
    assert not canvas.can_undo
    with pytest.raises(ValueError):
        canvas.set_image(np.zeros((3, 2)))
    assert canvas.image.dtype == np.float32


def test_image_is_a_copy():
    canvas = Canvas(3, 3)
    canvas.image[1, 1] = 1.0
    assert not canvas.image.any()


def test_undo_during_a_stroke_ends_it():
    canvas = Canvas(5, 5, binary=True)
    canvas.begin_stroke(0.5, 0.5)
    canvas.stroke_to(0.5, 4.5)
    assert canvas.undo() is True
    assert not canvas.image.any() and not canvas.stroking
    assert canvas.stroke_to(4.5, 4.5) is False


def test_history_is_bounded():
    canvas = Canvas(4, 4, binary=True, history=5)
    for i in range(12):
        canvas.toggle(i % 4, (i // 4) % 4)
    undos = 0
    while canvas.undo():
        undos += 1
    assert undos == 5
    # The oldest reachable state is the one 5 steps back, not the empty grid.
    assert np.array_equal(canvas.image, ones_at((4, 4), [(i % 4, (i // 4) % 4) for i in range(7)]))


def test_default_history_holds_100_steps():
    canvas = Canvas(3, 3, binary=True)
    for _ in range(150):
        canvas.toggle(0, 0)
    assert sum(1 for _ in iter(canvas.undo, False)) == 100


# ---------------------------------------------------------------------- speed


@pytest.mark.timing
def test_stroke_to_is_fast_on_28x28():
    # The GUI calls stroke_to on every mouse move; keep it far below a frame.
    canvas = Canvas(28, 28, brush_radius=1.5)
    rng = np.random.default_rng(0)
    points = 14.0 + np.cumsum(rng.uniform(-1.0, 1.0, size=(2000, 2)), axis=0) % 12.0
    canvas.begin_stroke(14.0, 14.0)
    start = time.perf_counter()
    for r, c in points:
        canvas.stroke_to(r, c)
    per_call = (time.perf_counter() - start) / len(points)
    canvas.end_stroke()
    assert per_call < 1e-3
