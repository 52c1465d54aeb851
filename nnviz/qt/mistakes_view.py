"""The Mistakes tab: a live confusion matrix on the test split; a cell lists its images; an image
goes to the editor, where the learner can change it and watch the answer change."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout

from ..model.datasets import SIGN
from ..model.mistakes import cell_indices, confusion_matrix
from .explore import ExplorePanel
from .image_lists import ImageList

MAX_LISTED = 300


class MistakesView(ExplorePanel):
    """objectName ``mistakesView``: confusion matrix (rows = true, columns = answer)."""

    title = "Mistakes"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("mistakesView")
        self.dataset = None
        self.counts = None
        self._true = self._pred = None
        self.cell = None
        self.header = QLabel("Open a lesson to see its mistakes.")
        self.header.setWordWrap(True)
        self.table = QTableWidget()
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.table.cellClicked.connect(self.choose_cell)
        self.cell_label = QLabel("Click a cell to list its test images; click an image to edit it.")
        self.cell_label.setWordWrap(True)
        self.images = ImageList()
        self.images.chosen.connect(lambda i: self.loadInput.emit(self.dataset.x_test[i]))
        lay = QVBoxLayout(self)
        lay.addWidget(self.header)
        lay.addWidget(self.table, 3)
        lay.addWidget(self.cell_label)
        lay.addWidget(self.images, 2)

    def _names(self):
        d = self.dataset
        return ["not a smile", "smile"] if d.task == SIGN else list(d.class_names)

    def set_lesson(self, dataset) -> None:
        self.dataset = dataset
        names = self._names()
        self.table.setRowCount(len(names))
        self.table.setColumnCount(len(names))
        self.table.setHorizontalHeaderLabels([f"→{n}" for n in names])
        self.table.setVerticalHeaderLabels(names)
        self.cell = None
        self.images.clear()

    def show_snapshot(self, snap, painted=None) -> None:
        d = self.dataset
        if d is None or snap.sizes[0] != d.n_inputs or snap.sizes[-1] != d.n_outputs:
            return
        names = self._names()
        self.counts, self._true, self._pred = confusion_matrix(snap.network(), d.x_test, d.y_test, d.task,
                                                                len(names))
        c = self.counts
        total, right = int(c.sum()), int(np.trace(c))
        self.header.setText(f"Iteration {snap.iteration:,}: {right:,} of {total:,} test images right "
                            f"({right / max(1, total):.1%}). Rows: the true label; columns: the network's "
                            f"answer. Off the diagonal are its mistakes.")
        top = max(1, int((c - np.diag(np.diag(c))).max()))
        for i in range(len(names)):
            for j in range(len(names)):
                n = int(c[i, j])
                item = QTableWidgetItem(str(n))
                item.setTextAlignment(Qt.AlignCenter)
                if i == j:
                    item.setBackground(QBrush(QColor(40, 160, 70, 40 + int(180 * n / max(1, c[i].sum())))))
                elif n:
                    item.setBackground(QBrush(QColor(220, 40, 40, 30 + int(200 * n / top))))
                item.setToolTip(f"{n} test images labelled {names[i]} that the network called {names[j]}")
                self.table.setItem(i, j, item)
        if self.cell is not None:
            self.choose_cell(*self.cell)

    def choose_cell(self, row: int, col: int) -> None:
        if self._true is None:
            return
        self.cell = (row, col)
        idx = cell_indices(self._true, self._pred, row, col)
        names = self._names()
        what = "right" if row == col else "mistakes"
        self.cell_label.setText(f"{len(idx)} test images labelled {names[row]}, answered {names[col]} ({what})"
                                + (f"; showing the first {MAX_LISTED}" if len(idx) > MAX_LISTED else "")
                                + ". Click one to load it into the editor.")
        self.images.show_images(self.dataset.x_test, idx[:MAX_LISTED], self.dataset.image_shape)
