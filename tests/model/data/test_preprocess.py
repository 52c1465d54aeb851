"""MNIST's normalisation of a painted digit: crop, scale to 20 px, centre by mass."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nnviz.model.canvas import Canvas
from nnviz.model.data.preprocess import center_of_mass, mnist_preprocess, preprocess_steps, resize


def ink_bbox(image: np.ndarray) -> tuple[int, int]:
    rows = np.flatnonzero(image.any(axis=1))
    cols = np.flatnonzero(image.any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def small_seven_in_a_corner() -> np.ndarray:
    """A 7-ish digit painted small (about 8×6 px) near the top-left corner."""
    canvas = Canvas(28, 28, brush_radius=0.8)
    canvas.begin_stroke(2.5, 2.5)
    canvas.stroke_to(2.5, 7.5)
    canvas.stroke_to(9.5, 4.0)
    canvas.end_stroke()
    return canvas.image


def test_off_centre_small_digit_is_scaled_and_centred():
    image = small_seven_in_a_corner()
    out = mnist_preprocess(image)
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    com_r, com_c = center_of_mass(out)
    assert abs(com_r - 14.0) <= 1.0 and abs(com_c - 14.0) <= 1.0
    # Before: far from the centre; after: the larger side of the ink is ~20 px.
    before = center_of_mass(image)
    assert before[0] < 8.0 and before[1] < 8.0
    assert max(ink_bbox(out > 0)) in (20, 21)  # bilinear edges may touch one more pixel
    assert max(ink_bbox(out > 0.05)) == pytest.approx(20, abs=1)


def test_steps_report_bbox_scale_and_centre():
    image = np.zeros((28, 28), dtype=np.float32)
    image[3:13, 20:25] = 1.0  # a 10×5 block, right of centre and high up
    steps = preprocess_steps(image)
    assert steps["bbox"] == (3, 13, 20, 25)
    assert steps["cropped"].shape == (10, 5)
    assert steps["scaled"].shape == (20, 10)  # aspect ratio kept
    assert steps["scale"] == 2.0
    assert steps["center_of_mass"] == pytest.approx((10.0, 5.0))
    assert steps["offset"] == (4, 9)
    # A solid block stays solid; it now sits in the middle of the frame.
    expected = np.zeros((28, 28), dtype=np.float32)
    expected[4:24, 9:19] = 1.0
    assert np.allclose(steps["centred"], expected)
    assert np.array_equal(mnist_preprocess(image), steps["centred"])


def test_big_digit_is_shrunk_to_20px():
    image = np.zeros((28, 28), dtype=np.float32)
    image[1:27, 10:14] = 1.0  # a tall "1": 26×4 px
    steps = preprocess_steps(image)
    assert steps["scaled"].shape == (20, 3)  # 4 * 20/26 = 3.08 -> 3 px
    # Area-averaging a solid block gives a solid block.
    assert np.allclose(steps["scaled"], 1.0)
    assert ink_bbox(steps["centred"] > 0) == (20, 3)


def test_centre_of_mass_clamped_so_ink_stays_inside():
    # Lopsided ink: a heavy blob at one end of a long thin line. Centring the mass
    # would push the line out of the frame; the shift is clamped instead.
    image = np.zeros((28, 28), dtype=np.float32)
    image[10, 0:28] = 0.05
    image[8:13, 24:28] = 1.0
    out = mnist_preprocess(image)
    assert ink_bbox(out > 0)[1] == 20
    assert out.sum() == pytest.approx(preprocess_steps(image)["scaled"].sum(), rel=1e-5)


def test_empty_image_stays_zeros():
    empty = np.zeros((28, 28), dtype=np.float32)
    out = mnist_preprocess(empty)
    assert out.shape == (28, 28) and not out.any()
    steps = preprocess_steps(empty)
    assert steps["bbox"] is None and steps["center_of_mass"] is None
    assert not steps["centred"].any()


def test_input_is_not_modified():
    image = small_seven_in_a_corner()
    copy = image.copy()
    mnist_preprocess(image)
    assert np.array_equal(image, copy)


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        mnist_preprocess(np.zeros(784))
    bad = np.zeros((28, 28))
    bad[3, 3] = np.nan
    with pytest.raises(ValueError):
        mnist_preprocess(bad)


@pytest.mark.parametrize("n_in, n_out", [(5, 20), (20, 20), (26, 20), (3, 1), (1, 20), (7, 3)])
def test_resize_keeps_constant_images_constant(n_in, n_out):
    # Weights are non-negative and sum to 1, so values never leave [0, 1].
    out = resize(np.full((n_in, n_in), 0.6), n_out, n_out)
    assert out.shape == (n_out, n_out)
    assert np.allclose(out, 0.6)


def test_area_averaging_shrink_keeps_mean_ink():
    rng = np.random.default_rng(1)
    image = rng.uniform(0.0, 1.0, size=(25, 25))
    assert resize(image, 20, 20).mean() == pytest.approx(image.mean(), rel=1e-9)


@given(
    top=st.integers(0, 20), left=st.integers(0, 20),
    h=st.integers(1, 8), w=st.integers(1, 8),
    value=st.floats(0.1, 1.0),
)
def test_any_block_ends_centred_with_larger_side_20(top, left, h, w, value):
    image = np.zeros((28, 28), dtype=np.float32)
    image[top:top + h, left:left + w] = value
    out = mnist_preprocess(image)
    com_r, com_c = center_of_mass(out)
    assert abs(com_r - 14.0) <= 1.0 and abs(com_c - 14.0) <= 1.0
    assert max(ink_bbox(out > 0)) == 20
    assert out.min() >= 0.0 and out.max() <= value + 1e-6
