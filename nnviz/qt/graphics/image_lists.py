"""The thumbnail list the Explore tabs share: a grid of images, optionally framed."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QListView, QListWidget, QListWidgetItem

from .pixmaps import THUMB, framed, thumbnail


class ImageList(QListWidget):
    """Icon grid of images; clicking one emits ``chosen(index)`` with the caller's index."""

    chosen = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setViewMode(QListView.IconMode)
        self.setResizeMode(QListView.Adjust)
        self.setMovement(QListView.Static)
        self.setIconSize(QSize(THUMB + 6, THUMB + 6))
        self.setSpacing(2)
        self.setUniformItemSizes(True)
        self.itemClicked.connect(lambda it: self.chosen.emit(int(it.data(Qt.UserRole))))

    def show_images(self, images: np.ndarray, indices, shape, borders=None, tips=None) -> None:
        """images[(i)] reshaped to ``shape`` for each i in ``indices``; optional border colours/tooltips."""
        self.clear()
        for k, i in enumerate(indices):
            pix = thumbnail(np.asarray(images[i]).reshape(shape))
            if borders is not None:
                pix = framed(pix, borders[k])
            item = QListWidgetItem(QIcon(pix), "")
            item.setData(Qt.UserRole, int(i))
            if tips is not None:
                item.setToolTip(tips[k])
            self.addItem(item)
