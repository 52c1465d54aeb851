"""The Mistakes tab: a live confusion matrix of the test split, drawn as a heatmap with the
counts written in its cells. Clicking a cell lists those test images; clicking an image puts
it into the editor, where the learner can change it and watch the answer change."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QLabel, QSizePolicy, QToolTip, QVBoxLayout, QWidget

from ...model.analysis.confusion import UNDECIDED, cell_indices, class_names, confusion_from_outputs, outputs_of
from ...model.data.datasets import SIGN
from .panel import ExplorePanel
from ..graphics.background import Background
from ..graphics.image_lists import ImageList
from ..graphics.palettes import lookup_table, lut_index
from ..graphics.redraw_memo import running_snapshot

MAX_LISTED = 300  # thumbnails listed for one cell
SELECTED = QColor(255, 210, 40)  # frame of the chosen cell
ZERO_TEXT = QColor(105, 105, 105)  # an empty mistake cell's 0: there, but quiet


def _text_color(bg: QColor) -> QColor:
    """Black on light cells, white on dark ones."""
    luma = 0.299 * bg.red() + 0.587 * bg.green() + 0.114 * bg.blue()
    return QColor(0, 0, 0) if luma > 140 else QColor(255, 255, 255)


class ConfusionGrid(QWidget):
    """objectName ``confusionGrid``: the matrix as coloured cells with their counts.

    Right answers (the diagonal) are green, brighter the larger the share of their row;
    mistakes are red, brighter the more there are (relative to the largest mistake
    cell); empty mistake cells stay the palette's neutral dark. ``cellClicked(row, col)``
    on a click; ``cell_rect(row, col)`` is where a cell is drawn (widget coordinates).
    """

    cellClicked = Signal(int, int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("confusionGrid")
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.counts = np.zeros((0, 0), np.int64)
        self.names: list[str] = []
        self.selected: tuple[int, int] | None = None
        self.palette_name = "green-red"
        self._colors = None  # (counts, palette, (C, C, 4) uint8 RGBA) last worked out: see cell_color

    def sizeHint(self) -> QSize:
        return QSize(420, 380)

    def minimumSizeHint(self) -> QSize:
        return QSize(200, 180)

    def set_counts(self, counts: np.ndarray, names) -> None:
        self.counts = np.asarray(counts)
        self.names = list(names)
        self.update()

    def set_selected(self, cell) -> None:
        self.selected = cell
        self.update()

    # -- geometry -------------------------------------------------------------------

    def _margins(self) -> tuple[float, float]:
        """(left, top): room for the row names + "true label", and the column names + "answer"."""
        fm = self.fontMetrics()
        widest = max([fm.horizontalAdvance(n) for n in self.names] + [10])
        line = fm.height()
        vertical = len(self.names) > 2 and widest > 2.2 * line  # long column names: not across the top
        return widest + line + 14, (widest + line + 12 if vertical else 2 * line + 10)

    def _cell_size(self) -> tuple[float, float, float]:
        """(left, top, side) of the square cells."""
        left, top = self._margins()
        n = max(1, len(self.names))
        side = max(4.0, min((self.width() - left - 4) / n, (self.height() - top - 4) / n))
        left += max(0.0, (self.width() - left - n * side) / 2)  # the block of names + cells, centred
        return left, top, side

    def cell_rect(self, row: int, col: int) -> QRectF:
        left, top, side = self._cell_size()
        return QRectF(left + col * side, top + row * side, side, side)

    def cell_at(self, pos) -> tuple[int, int] | None:
        left, top, side = self._cell_size()
        n = len(self.names)
        c, r = int((pos.x() - left) // side), int((pos.y() - top) // side)
        if n and 0 <= r < n and 0 <= c < n and pos.x() >= left and pos.y() >= top:
            return r, c
        return None

    # -- colours --------------------------------------------------------------------

    def _rgba(self) -> np.ndarray:
        """(C, C, 4) uint8: every cell's colour, worked out once per matrix and palette (a paint
        did it cell by cell, with the row sums and the largest mistake for each)."""
        c = self.counts
        if self._colors is None or self._colors[0] is not c or self._colors[1] != self.palette_name:
            n = c.astype(np.float64)
            diagonal = np.eye(len(c), dtype=bool)
            biggest_mistake = max(1, int(np.where(diagonal, 0, c).max(initial=0)))
            share = n / np.maximum(1, c.sum(axis=1, keepdims=True))
            value = np.where(diagonal, share, -n / biggest_mistake)  # levels (−1, +1)
            self._colors = (c, self.palette_name, lookup_table(self.palette_name)[lut_index(value, 1.0)])
        return self._colors[2]

    def cell_color(self, row: int, col: int) -> QColor:
        """Right answers: the share of their row (green); mistakes: their count against the
        largest mistake cell's (red)."""
        return QColor(*(int(v) for v in self._rgba()[row, col]))

    # -- Qt -------------------------------------------------------------------------

    def paintEvent(self, event):
        if not self.names or self.counts.shape != (len(self.names),) * 2:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing, False)
        left, top, side = self._cell_size()
        n = len(self.names)
        fm = self.fontMetrics()
        line = fm.height()
        text = self.palette().windowText().color()
        bold = QFont(self.font())
        bold.setBold(True)
        big = QFont(self.font())
        big.setPointSizeF(max(6.0, min(self.font().pointSizeF() * 1.15, side * 0.32)))
        rgba = self._rgba()
        p.setFont(big)
        for r in range(n):
            for c in range(n):
                rect = QRectF(left + c * side, top + r * side, side, side)  # as cell_rect, margins measured once
                bg = QColor(*(int(v) for v in rgba[r, c]))
                p.fillRect(rect.adjusted(0, 0, -1, -1), bg)
                count = int(self.counts[r, c])
                p.setPen(_text_color(bg) if count or r == c else ZERO_TEXT)
                p.drawText(rect, Qt.AlignCenter, str(count))
        # names and axis titles
        p.setPen(text)
        p.setFont(self.font())
        margin, top_margin = self._margins()
        vertical = top_margin > 2 * line + 10
        for i, name in enumerate(self.names):
            rr = QRectF(left, top + i * side, side, side)
            p.drawText(QRectF(left - margin + line + 4, rr.top(), margin - line - 10, side),
                       Qt.AlignRight | Qt.AlignVCenter, name)
            cr = QRectF(left + i * side, top, side, side)
            if vertical:
                p.save()
                p.translate(cr.center().x() + line / 2 - 2, top - 4)
                p.rotate(-90)
                p.drawText(QRectF(0, 0, top - line - 10, line), Qt.AlignLeft | Qt.AlignVCenter, name)
                p.restore()
            else:
                p.drawText(QRectF(cr.left(), top - line - 4, side, line), Qt.AlignCenter, name)
        p.setFont(bold)
        p.drawText(QRectF(left, 2, n * side, line), Qt.AlignCenter, "the network's answer →")
        p.save()
        p.translate(left - margin + 2, top + n * side / 2)
        p.rotate(-90)
        p.drawText(QRectF(-n * side / 2, 0, n * side, line), Qt.AlignCenter, "true label →")
        p.restore()
        if self.selected is not None:
            p.setPen(QPen(SELECTED, 3))
            p.setBrush(Qt.NoBrush)
            p.drawRect(self.cell_rect(*self.selected).adjusted(1.5, 1.5, -2.5, -2.5))
        p.end()

    def mousePressEvent(self, event):
        cell = self.cell_at(event.position())
        if event.button() == Qt.LeftButton and cell is not None:
            self.cellClicked.emit(*cell)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event):
        cell = self.cell_at(event.position())
        if cell is None or not self.names:
            QToolTip.hideText()
        else:
            QToolTip.showText(event.globalPosition().toPoint(), self.describe(*cell), self)
        super().mouseMoveEvent(event)

    def describe(self, row: int, col: int) -> str:
        n = int(self.counts[row, col])
        what = "right" if row == col else "mistakes"
        return f"{n} test image{'s' * (n != 1)} labelled {self.names[row]} that the network called " \
               f"{self.names[col]} ({what})"


class ConfusionView(ExplorePanel):
    """objectName ``confusionView``: the test split's confusion matrix (rows = true, columns = answer).

    Signals (from ExplorePanel): ``loadInput(x (n_inputs,) float32)`` when a listed image is
    clicked; ``statusMessage(str)``. ``choose_cell(row, col)`` is what a click on a cell does.
    Attributes tests read: ``counts`` (C, C), ``listed`` (test indices in the list, in order).

    The test split's outputs come with a paused snapshot (``Snapshot.test_outputs``, measured on
    the training thread with its accuracy); a running one's are worked out on a thread of its own
    (on mnist-conv a pass over the test split holds the GUI thread ~0.1–0.2 s) and drawn when
    they come, unless a newer snapshot was asked for since. A snapshot from elsewhere (a test, a
    tool) is measured here and now.
    """

    title = "Mistakes"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("confusionView")
        self.dataset = None
        self.counts = None
        self.predicted = None
        self.outputs = None
        self.cell = None
        self._snap = None
        self.listed = np.zeros(0, np.int64)
        self._measuring = Background("nnviz-confusion", self)
        self._measuring.done.connect(self._on_measured)
        self._wanted = None  # (snapshot, dataset) whose outputs were asked for last
        self.header = QLabel("Open a lesson to see where its network goes wrong.")
        self.header.setWordWrap(True)
        self.grid = ConfusionGrid()
        self.grid.cellClicked.connect(self.choose_cell)
        self.cell_label = QLabel("Click a cell to list its test images; click an image to load it into the editor.")
        self.cell_label.setWordWrap(True)
        self.images = ImageList()
        self.images.setObjectName("confusionImages")
        self.images.chosen.connect(self._image_chosen)
        lay = QVBoxLayout(self)
        lay.addWidget(self.header)
        lay.addWidget(self.grid, 3)
        lay.addWidget(self.cell_label)
        lay.addWidget(self.images, 2)

    def names(self) -> list[str]:
        return list(class_names(self.dataset)) if self.dataset is not None else []

    def set_palette(self, name: str) -> None:
        self.grid.palette_name = name
        self.grid.update()
        if self._snap is not None:
            self._show(self._snap, self.outputs)  # the header names the colours

    def set_lesson(self, dataset) -> None:
        self.dataset = dataset
        self.counts = self.predicted = self.outputs = None
        self.cell = self._snap = self._wanted = None
        self._measuring.forget()  # a pass still running for the old lesson is dropped when it ends
        self.listed = np.zeros(0, np.int64)
        self.grid.set_selected(None)
        self.grid.set_counts(np.zeros((0, 0), np.int64), [])
        self.images.clear()
        self.cell_label.setText("Click a cell to list its test images; click an image to load it into the editor.")

    def show_snapshot(self, snap, frame=None) -> None:
        d = self.dataset
        if d is None or snap is None or snap.sizes[0] != d.n_inputs or snap.sizes[-1] != d.n_outputs:
            return
        self._wanted = (snap, d)
        outputs = getattr(snap, "test_outputs", None)
        if outputs is not None and len(outputs) == len(d.x_test):
            self._measuring.forget()
            self._show(snap, outputs)
        elif running_snapshot(snap) or (frame is not None and frame.running):
            net = snap.network()
            self._measuring.ask((snap, d), lambda: outputs_of(net, d.x_test))
        else:
            self._show(snap, outputs_of(snap.network(), d.x_test))

    def is_computing(self) -> bool:
        """True while the test split's outputs are being worked out off the GUI thread."""
        return self._measuring.busy()

    def _on_measured(self, key, result) -> None:
        snap, dataset = key
        if self._wanted is None or snap is not self._wanted[0] or dataset is not self.dataset:
            return  # stale: a newer snapshot or another lesson was asked for since
        if isinstance(result, Exception):
            self.header.setText(f"Could not count the test images: {result}")
        else:
            self._show(snap, result)

    def _show(self, snap, outputs: np.ndarray) -> None:
        """Draw ``snap``'s matrix from its outputs on the test split (n_test, outputs)."""
        d = self.dataset
        self._snap = snap
        names = self.names()
        self.outputs = outputs
        self.counts, self.predicted = confusion_from_outputs(d.task, self.outputs, d.y_test, len(names))
        c = self.counts
        total, right = int(c.sum()), int(np.trace(c))
        undecided = int((self.predicted == UNDECIDED).sum())
        note = (f" {undecided} gave an output of exactly 0 — no answer — and count as mistakes."
                if undecided else "")
        good, bad = ("Green", "red") if self.grid.palette_name == "green-red" else ("Blue", "orange")
        self.header.setText(
            f"Iteration {snap.iteration:,}: <b>{right:,} of {total:,}</b> test images right "
            f"({right / max(1, total):.1%}). Rows: the true label; columns: the network's answer. "
            f"{good} diagonal = right, {bad} = mistakes (brighter = more).{note}")
        self.grid.set_counts(c, names)
        if self.cell is not None:
            self.choose_cell(*self.cell)

    def confidence(self, indices: np.ndarray) -> np.ndarray:
        """How sure the network is of its answer for these test images: the top output
        (a probability with softmax), or |output| for the smile lesson."""
        o = self.outputs[indices]
        return np.abs(o[:, 0]) if self.dataset.task == SIGN else o.max(axis=1)

    def choose_cell(self, row: int, col: int) -> None:
        """List the test images of cell (row = true class, col = answer), surest answers first."""
        if self.counts is None:
            return
        d = self.dataset
        self.cell = (int(row), int(col))
        self.grid.set_selected(self.cell)
        idx = cell_indices(d.y_test, self.predicted, row, col)
        sure = self.confidence(idx)
        order = np.argsort(-sure, kind="stable")
        self.listed = idx[order][:MAX_LISTED]
        names = self.names()
        kind = "right answers" if row == col else "mistakes"
        first = "surest" if row == col else "most confident mistakes"
        self.cell_label.setText(
            f"<b>{len(idx)}</b> test image{'s' * (len(idx) != 1)} labelled <b>{names[row]}</b>, answered "
            f"<b>{names[col]}</b> ({kind}){f', {first} first' if len(idx) > 1 else ''}"
            + (f"; showing {MAX_LISTED}" if len(idx) > MAX_LISTED else "")
            + (". Click one to load it into the editor." if len(idx) else "."))
        sure_of = dict(zip(idx.tolist(), sure.tolist()))

        def tip(i):
            value = f"output {self.outputs[i, 0]:+.2f}" if d.task == SIGN else f"probability {sure_of[i]:.2f}"
            return f"test image #{i}: labelled {names[row]}, answered {names[col]} ({value})"

        tips = [tip(int(i)) for i in self.listed]
        self.images.show_images(d.x_test, self.listed, d.image_shape, tips=tips)
        self.images.selectionModel().clearCurrentIndex()  # no highlighted "current" image until one is picked

    def _image_chosen(self, i: int) -> None:
        d = self.dataset
        self.loadInput.emit(np.array(d.x_test[i], dtype=np.float32))
        self.statusMessage.emit(f"Test image #{i} ({d.label_name(d.y_test[i])}) loaded into the editor")
