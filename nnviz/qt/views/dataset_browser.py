"""Thumbnails of the lesson's training and test examples; click one to paint on it.

A list model renders each thumbnail only when the view asks for it, so 4,000
MNIST images cost nothing until scrolled into sight.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QAbstractListModel, QElapsedTimer, QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPixmap
from PySide6.QtWidgets import (
    QApplication, QCheckBox, QComboBox, QHBoxLayout, QLabel, QListView, QSizePolicy, QVBoxLayout, QWidget,
)

from ...model.data.datasets import SIGN, exactly_right, signed
from ..graphics.background import Background
from ..graphics.pixmaps import THUMB, thumbnail
from ..graphics.view_protocol import LessonView

MINE = "my examples"


class ExamplesModel(QAbstractListModel):
    def __init__(self):
        super().__init__()
        self.x = np.zeros((0, 1), np.float32)
        self.labels: list[str] = []
        self.marks: list[str] = []
        self.details: list[str] = []  # a second line per example (smile: "+3, wanted +1")
        self.rows = np.zeros(0, dtype=np.int64)  # which examples are shown (after filtering)
        self.shape = (1, 1)
        self._cache: dict[int, QPixmap] = {}

    def set_examples(self, x, labels, shape, marks=None, rows=None, details=None):
        marks = marks or [""] * len(labels)
        self.details = details or []
        rows = np.arange(len(x)) if rows is None else rows
        if x is self.x and shape == self.shape and np.array_equal(rows, self.rows):
            # Only the right/wrong marks changed (after a training step): update them in
            # place, so the view keeps its scroll position and its thumbnails.
            self.labels, self.marks = labels, marks
            if len(rows):
                self.dataChanged.emit(self.index(0), self.index(len(rows) - 1),
                                      [Qt.DisplayRole, Qt.ForegroundRole, Qt.ToolTipRole])
            return
        self.beginResetModel()
        if x is not self.x or shape != self.shape:
            self._cache = {}
        self.x, self.labels, self.shape, self.marks, self.rows = x, labels, shape, marks, rows
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()):  # noqa: B008 - Qt's own signature; an invalid index is immutable
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index, role=Qt.DisplayRole):
        i = int(self.rows[index.row()])
        if role == Qt.DisplayRole:
            line = f"{self.labels[i]} {self.marks[i]}".strip()
            return line + f"\n{self.details[i]}" if i < len(self.details) else line
        if role == Qt.DecorationRole:
            if i not in self._cache:
                self._cache[i] = thumbnail(self.x[i].reshape(self.shape))
            return self._cache[i]
        if role == Qt.ForegroundRole and self.marks[i]:
            return QColor(30, 130, 50) if self.marks[i] == "✓" else QColor(190, 30, 30)
        if role == Qt.ToolTipRole:
            return f"example {i}: label {self.labels[i]}" + (" — predicted right" if self.marks[i] == "✓"
                                                             else " — predicted wrong" if self.marks[i] else "")
        if role == Qt.UserRole:
            return i
        return None


class DatasetBrowser(LessonView, QWidget):
    """objectName ``datasetBrowser``; emits ``exampleChosen(x (h, w) float32, label name)``."""

    exampleChosen = Signal(object, str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("datasetBrowser")
        self.dataset = None
        self._snap = None  # the snapshot shown: its predictions mark the examples
        # a conv net answers 4,000 examples in ~0.3 s: never on the GUI thread
        self._predicting = Background("example-marks", self)
        self._predicting.done.connect(self._marked)
        self.predictions: dict[str, np.ndarray] = {}
        self._labels: dict[str, list[str]] = {}
        self._last_choice = None  # (split, example) and a timer: one click may also "activate"
        self._choice_timer = QElapsedTimer()
        self.split_combo = QComboBox()
        self.split_combo.addItems(["train", "test", MINE])
        self.user_count = 0  # the last user_count training examples are the learner's own
        self.split_combo.setToolTip("Which examples to browse")
        self.mistakes_box = QCheckBox("mistakes only")
        self.mistakes_box.setToolTip("Show only examples the network currently gets wrong "
                                     "(available once the examples are marked ✓/✗)")
        self.mistakes_box.setEnabled(False)
        self.count_label = QLabel()
        # the count grows a summary on the smile lesson: it must never widen the dock
        self.count_label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.model = ExamplesModel()
        self.view = QListView()
        self.view.setViewMode(QListView.IconMode)
        self.view.setIconSize(QSize(THUMB, THUMB))
        self.view.setGridSize(QSize(THUMB + 16, THUMB + 22))
        self.view.setResizeMode(QListView.Adjust)
        self.view.setUniformItemSizes(True)
        self.view.setMovement(QListView.Static)
        self.view.setLayoutMode(QListView.Batched)
        self.view.setModel(self.model)
        self.view.clicked.connect(self._chosen)
        self.view.activated.connect(self._chosen)
        self.split_combo.currentTextChanged.connect(lambda _: (self._refresh(), self._mark()))
        self.mistakes_box.toggled.connect(lambda _: self._refresh())
        top = QHBoxLayout()
        top.addWidget(self.split_combo)
        top.addWidget(self.mistakes_box)
        top.addStretch(1)
        top.addWidget(self.count_label)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addWidget(QLabel("Click an example to load it into the editor."))
        lay.addWidget(self.view, 1)

    @property
    def split(self) -> str:
        return self.split_combo.currentText()

    def arrays(self):
        """(x, y) of what is browsed: a split, or the learner's own examples."""
        if self.split == MINE:
            n = self.user_count
            return self.dataset.x_train[len(self.dataset.x_train) - n:], self.dataset.y_train[len(self.dataset.y_train) - n:]
        return self.dataset.split(self.split)

    def selected_example(self) -> int | None:
        """Row (within the browsed set) of the current item, or None."""
        index = self.view.currentIndex()
        return None if not index.isValid() else self.model.data(index, Qt.UserRole)

    def set_dataset(self, dataset, user_count: int = 0) -> None:
        self.user_count = user_count
        self.dataset = dataset
        self.predictions = {}
        self._labels = {}
        self._refresh()

    def set_lesson(self, dataset) -> None:
        self._snap, self.predictions = None, {}

    def show_snapshot(self, snap, frame=None) -> None:
        """Mark the browsed examples right/wrong under ``snap`` (not while training runs)."""
        self._snap = snap
        if not (frame is not None and (frame.running or frame.input_only)):
            self._mark()

    def showEvent(self, event):
        super().showEvent(event)
        self._mark()

    def _mark(self) -> None:
        snap, ds = self._snap, self.dataset
        if snap is None or ds is None or not self.isVisible() or snap.sizes[0] != ds.n_inputs:
            return
        x, _ = self.arrays()
        if not len(x):
            return
        sign, net = ds.task == SIGN, snap.network()

        def answers():
            out = net.predict(x)
            return out[:, 0] if sign else out.argmax(axis=1)

        self._predicting.ask((snap, ds, self.split), answers)

    def _marked(self, key, predicted) -> None:
        snap, ds, split = key
        if snap is self._snap and ds is self.dataset and not isinstance(predicted, Exception):
            self.set_predictions(split, predicted)  # else the answers of a snapshot no longer shown

    def is_marking(self) -> bool:
        """True while the examples' answers are computed in the background."""
        return self._predicting.busy()

    def set_predictions(self, split: str, predicted) -> None:
        """Mark each example of ``split`` right (✓) or wrong (✗); predicted: (n,) labels or ±1."""
        self.predictions[split] = np.asarray(predicted)
        if split == self.split:
            self._refresh()

    def _refresh(self):
        ds = self.dataset
        if ds is None:
            return
        x, y = self.arrays()
        if self.split not in self._labels:
            self._labels[self.split] = [ds.label_name(t) for t in y]
        labels = self._labels[self.split]
        pred = self.predictions.get(self.split)
        marks, rows, details, summary = None, None, None, ""
        if pred is not None and len(pred) == len(y):
            truth = np.sign(y.reshape(-1)) if ds.task == SIGN else y
            right = np.sign(pred.reshape(-1)) == truth if ds.task == SIGN else pred == truth
            marks = ["✓" if r else "✗" for r in right]
            if ds.task == SIGN:  # the lesson counts an output right only when it is the target exactly
                exact = exactly_right(pred, y)
                details = [f"{signed(o)}, wanted {signed(t)}" for o, t in zip(pred.reshape(-1), y.reshape(-1))]
                summary = f" · {int(exact.sum())} exactly right, {int(right.sum())} by sign"
            if self.mistakes_box.isChecked():
                rows = np.flatnonzero(~right)
        self.mistakes_box.setEnabled(marks is not None)
        # wide enough for the longest label ("not a smile ✗") and output line ("−1.23e-05, wanted +1")
        # shown, never elided: a width for a sample line cut "−0.934, wanted +1" to "−0.934, wanted…"
        fm = self.view.fontMetrics()
        longest = max(fm.horizontalAdvance(text) for text in
                      [max(ds.class_names, key=len) + " ✗", "−0.125, wanted +1", *(details or [])])
        width = max(THUMB + 16, longest + 2 * self.view.spacing() + 16)  # the item's text margins too
        height = THUMB + (36 if ds.task == SIGN else 22)  # SIGN: a second line with the output
        if self.view.gridSize() != QSize(width, height):  # a new grid size relays out (and scrolls) the view
            self.view.setGridSize(QSize(width, height))
        # one size for all (quick for 4,000 MNIST images) is measured once, before the outputs were
        # shown: the smile's few examples are each measured, so their output lines are not cut
        self.view.setUniformItemSizes(ds.task != SIGN)
        self.model.set_examples(x, labels, ds.image_shape, marks, rows, details)
        shown = self.model.rowCount()
        self.count_label.setText(f"{shown:,} of {len(x):,}{summary}")

    def _chosen(self, index):
        i = self.model.data(index, Qt.UserRole)
        # Styles that activate on a single click emit clicked and activated for one click.
        choice = (self.split, i)
        if choice == self._last_choice and self._choice_timer.elapsed() < QApplication.doubleClickInterval():
            return
        self._last_choice = choice
        self._choice_timer.start()
        x, y = self.arrays()
        self.exampleChosen.emit(x[i].reshape(self.dataset.image_shape).astype(np.float32),
                                self.dataset.label_name(y[i]))
