"""Arrays as pictures: crisp cells, 1 = white, on a grey frame of the promised size."""

import numpy as np
from PySide6.QtGui import QColor

from nnviz.qt.graphics.pixmaps import FRAME, THUMB, framed, gray_image, rgb_pixmap, thumbnail


def _rgb(img, x, y):
    c = img.pixelColor(x, y)
    return c.red(), c.green(), c.blue()


def test_gray_image_is_one_byte_per_cell_white_for_one(qapp):
    v = np.array([[0.0, 1.0, 0.5], [np.nan, 2.0, -1.0]])
    img = gray_image(v)
    assert (img.width(), img.height()) == (3, 2)
    assert [img.pixelColor(x, 0).red() for x in range(3)] == [0, 255, 128]
    assert [img.pixelColor(x, 1).red() for x in range(3)] == [0, 255, 0]  # NaN → 0, clipped to [0, 1]


def test_a_thumbnail_is_a_square_of_crisp_cells_on_the_grey_frame(qapp):
    v = np.zeros((3, 4))
    v[0, 0] = 1.0
    img = thumbnail(v).toImage()
    assert (img.width(), img.height()) == (THUMB, THUMB)
    assert _rgb(img, 0, 0) == _rgb(img, THUMB - 1, THUMB - 1) == (FRAME.red(), FRAME.green(), FRAME.blue())
    cell = (THUMB - 2) // 4  # 4 columns fill the width; the 3 rows are centred
    top = (THUMB - 3 * cell) // 2
    assert _rgb(img, 1 + cell // 2, top + cell // 2) == (255, 255, 255)
    assert _rgb(img, 1 + cell + cell // 2, top + cell // 2) == (0, 0, 0)


def test_framed_and_rgb_pictures_keep_their_cells_inside_the_border(qapp):
    rgb = np.zeros((2, 4, 3))
    rgb[..., 0] = 200
    pix = rgb_pixmap(rgb, 60, frame=2)
    img = pix.toImage()
    assert img.height() == 60 and img.width() == 2 * 2 + 4 * 28  # inner height 56: 28 per cell
    assert _rgb(img, 0, 0) == (FRAME.red(), FRAME.green(), FRAME.blue())
    assert _rgb(img, 2, 2) == (200, 0, 0)
    out = framed(pix, QColor(0, 200, 0), 3).toImage()
    assert (out.width(), out.height()) == (img.width() + 6, 66)
    assert _rgb(out, 1, 1) == (0, 200, 0) and _rgb(out, 5, 5) == _rgb(img, 2, 2)
