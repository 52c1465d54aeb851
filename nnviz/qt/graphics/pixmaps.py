"""Arrays as pictures: grey or RGB images blown up with crisp cells, on a grey frame.

One place for every array → QImage / QPixmap conversion the views make: the editor's
grid and preview, the browser's thumbnails, the Explore tabs' framed pictures.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap

THUMB = 48  # pixels per side of a thumbnail
FRAME = QColor(118, 118, 118)  # grey around each image: its white ink must not melt into the view


def gray_image(values: np.ndarray) -> QImage:
    """(h, w) floats in [0, 1] -> 8-bit grayscale QImage, 1 = white (a copy: Qt owns its memory)."""
    v = np.clip(np.nan_to_num(values), 0, 1)
    g = np.round(v * 255)
    g = np.ascontiguousarray(g.astype(np.uint8))
    h, w = g.shape
    return QImage(g.data, w, h, w, QImage.Format_Grayscale8).copy()


def rgb_image(rgb: np.ndarray) -> QImage:
    """(h, w, 3) 0..255 -> RGB888 QImage (a copy)."""
    h, w, _ = rgb.shape
    data = np.ascontiguousarray(np.round(np.clip(rgb, 0, 255)).astype(np.uint8))
    return QImage(data.data, w, h, 3 * w, QImage.Format_RGB888).copy()


def blown_up(img: QImage, width: int, height: int) -> QImage:
    """``img`` scaled to fit width × height, keeping its aspect, each cell a crisp block."""
    return img.scaled(width, height, Qt.KeepAspectRatio, Qt.FastTransformation)


def centred(picture: QImage | QPixmap, width: int, height: int, color: QColor = FRAME) -> QPixmap:
    """A width × height pixmap of ``color`` with ``picture`` in its middle."""
    out = QPixmap(width, height)
    out.fill(color)
    p = QPainter(out)
    x, y = (width - picture.width()) // 2, (height - picture.height()) // 2
    if isinstance(picture, QImage):
        p.drawImage(x, y, picture)
    else:
        p.drawPixmap(x, y, picture)
    p.end()
    return out


def framed(picture: QImage | QPixmap, color: QColor = FRAME, width: int = 3) -> QPixmap:
    """``picture`` inside a ``width``-pixel border of ``color`` (e.g. green = called a smile)."""
    return centred(picture, picture.width() + 2 * width, picture.height() + 2 * width, color)


def thumbnail(values: np.ndarray) -> QPixmap:
    """(h, w) image in [0, 1] -> a THUMB-sized pixmap, cells as crisp blocks, on a grey frame."""
    return centred(blown_up(gray_image(values), THUMB - 2, THUMB - 2), THUMB, THUMB)


def rgb_pixmap(rgb: np.ndarray, height: int, frame: int = 2) -> QPixmap:
    """(h, w, 3) 0..255 -> a ``height``-high pixmap of crisp cells inside a ``frame``-pixel grey
    frame (so black cells do not melt into a dark background)."""
    h, w, _ = rgb.shape
    inner = height - 2 * frame
    return framed(blown_up(rgb_image(rgb), max(1, round(inner * w / h)), inner), FRAME, frame)
