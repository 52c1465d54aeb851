"""The pixel-grid editor: the network's input layer made touchable.

The widget only maps mouse positions to continuous cell coordinates; strokes,
the soft brush and undo live in the Qt-free ``nnviz.model.canvas.Canvas``.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QKeySequence, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QCheckBox, QDoubleSpinBox, QHBoxLayout, QLabel, QSizePolicy, QToolButton, QVBoxLayout, QWidget,
)

from ...model.canvas import Canvas, Painting
from ...model.data.datasets import SIGN
from ...model.data.preprocess import mnist_preprocess
from .actions import make_action
from ..graphics.pixmaps import gray_image
from ..graphics.view_protocol import LessonView

GRID_LINES_UP_TO = 16  # cells per side; beyond this, lines would hide the drawing
#: the "network sees" preview: 2 screen pixels per MNIST pixel, so the editor with the guide open
#: fits a 1280×720 laptop without scrolling (3 per pixel did not)
PREVIEW_PX = 56


class GridCanvas(QWidget):
    """Draws the grid scaled to fit with square cells, and turns drags into strokes."""

    edited = Signal()
    hovered = Signal(str)

    def __init__(self, editor: "PixelEditor"):
        super().__init__(editor)
        self.editor = editor
        self.setMouseTracking(True)
        self.setMinimumSize(160, 160)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setCursor(Qt.CrossCursor)
        # A click must focus the grid: the editor's shortcuts (Delete, Ctrl+Z…) are
        # WidgetWithChildrenShortcut and only fire with the focus inside the editor.
        self.setFocusPolicy(Qt.StrongFocus)
        self._press_cell = None
        self._pending = None  # binary mode: press position until the drag leaves the cell

    # geometry: widget pixels <-> continuous cell coordinates
    def cell_size(self) -> float:
        h, w = self.editor.canvas.shape
        return max(1.0, min(self.width() / w, self.height() / h))

    def origin(self) -> QPointF:
        h, w = self.editor.canvas.shape
        s = self.cell_size()
        return QPointF((self.width() - w * s) / 2, (self.height() - h * s) / 2)

    def to_cell(self, pos) -> tuple[float, float]:
        o, s = self.origin(), self.cell_size()
        return (pos.y() - o.y()) / s, (pos.x() - o.x()) / s

    def cell_center(self, row: int, col: int) -> QPoint:
        o, s = self.origin(), self.cell_size()
        return QPoint(round(o.x() + (col + 0.5) * s), round(o.y() + (row + 0.5) * s))

    def paintEvent(self, _):
        ed = self.editor
        h, w = ed.canvas.shape
        s, o = self.cell_size(), self.origin()
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(70, 70, 70))
        target = QRectF(o.x(), o.y(), w * s, h * s)
        p.drawImage(target, gray_image(ed.canvas.image))  # 1 = bright, as in every view
        if max(h, w) <= GRID_LINES_UP_TO:
            p.setPen(QPen(QColor(118, 118, 118), 1))  # mid grey: visible on white and black cells
            for r in range(h + 1):
                p.drawLine(QPointF(o.x(), o.y() + r * s), QPointF(o.x() + w * s, o.y() + r * s))
            for c in range(w + 1):
                p.drawLine(QPointF(o.x() + c * s, o.y()), QPointF(o.x() + c * s, o.y() + h * s))
        p.end()

    def _cell_int(self, rc):
        h, w = self.editor.canvas.shape
        r, c = int(np.floor(rc[0])), int(np.floor(rc[1]))
        return (r, c) if 0 <= r < h and 0 <= c < w else None

    def mousePressEvent(self, ev):
        if ev.button() not in (Qt.LeftButton, Qt.RightButton):
            return
        rc = self.to_cell(ev.position())
        erase = ev.button() == Qt.RightButton
        cv = self.editor.canvas
        if cv.binary and not erase:
            # a click toggles; the stroke starts only once the drag leaves the cell
            self._pending = rc
            self._press_cell = self._cell_int(rc)
            return
        if cv.begin_stroke(*rc, erase=erase):
            self.edited.emit()
        self._say_cell(self._cell_int(rc))  # the value the brush just gave it

    def _say_cell(self, cell) -> None:
        if cell is not None:
            self.hovered.emit(f"row {cell[0]}, column {cell[1]}: {self.editor.canvas.image[cell]:.2f}")

    def mouseMoveEvent(self, ev):
        rc = self.to_cell(ev.position())
        cell = self._cell_int(rc)
        if not ev.buttons() & (Qt.LeftButton | Qt.RightButton):
            self._say_cell(cell)
            return
        cv = self.editor.canvas
        if self._pending is not None:
            if cell == self._press_cell:
                self._say_cell(cell)
                return
            cv.begin_stroke(*self._pending, erase=False)
            self._pending = None
        if cv.stroking and cv.stroke_to(*rc):
            self.update()
            self.edited.emit()
        # read after the stroke: read before, the line under the grid lagged one move behind the ink
        self._say_cell(cell)

    def mouseReleaseEvent(self, ev):
        cv = self.editor.canvas
        if self._pending is not None:
            self._pending = None
            if self._press_cell is not None and cv.toggle(*self._press_cell):
                self.update()
                self.edited.emit()
                self._say_cell(self._press_cell)  # the cell's new value, not the one before the click
            return
        if cv.stroking:
            cv.end_stroke()
            self.editor._sync_actions()

    def leaveEvent(self, _):
        self.hovered.emit("")


class PixelEditor(LessonView, QWidget):
    """objectName ``pixelEditor``: paint the input; ``image()`` is what the network sees."""

    imageChanged = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("pixelEditor")
        self.canvas = Canvas(28, 28, binary=False, brush_radius=1.2)
        # 28×28 lessons paint through MNIST's preprocessing by default: the network was trained on
        # digits cropped, scaled and centred that way, and reads raw strokes badly (a 7 as "2")
        self._preprocess = True
        self._back_on_clear = False  # load_input switched preprocessing off; clear() switches it on
        self._last_revision = -1
        self._lesson_key, self._kept = None, {}  # each lesson's canvas while another is shown
        self._cached = None
        # bumps on every edit, grid switch and preprocessing toggle; with the canvas's own revision
        # (a stroke sent to the canvas directly) it is the key of ``painting()``
        self._edits = 0
        self._painting: Painting | None = None

        self.grid = GridCanvas(self)
        self.grid.edited.connect(self._on_edit)
        ctx = Qt.WidgetWithChildrenShortcut
        self.clear_action = make_action(self, "&Clear drawing", self.clear, QKeySequence.Delete,
                                        "Erase the whole grid")
        self.invert_action = make_action(self, "&Invert drawing", self.invert, QKeySequence("I"),
                                         "Swap ink and background (1 − x)")
        self.undo_action = make_action(self, "&Undo stroke", self.undo, QKeySequence.Undo, "Undo the last edit")
        self.redo_action = make_action(self, "&Redo stroke", self.redo,
                                       [QKeySequence("Ctrl+Shift+Z"), QKeySequence.Redo], "Redo")
        bar = QHBoxLayout()
        for act, short in ((self.undo_action, "Undo"), (self.redo_action, "Redo"),
                           (self.clear_action, "Clear"), (self.invert_action, "Invert")):
            act.setIconText(short)  # short on the buttons, the full text in the Edit menu
            act.setShortcutContext(ctx)
            self.addAction(act)
            b = QToolButton()
            b.setDefaultAction(act)
            b.setToolButtonStyle(Qt.ToolButtonTextOnly)
            bar.addWidget(b)
        self.brush_spin = QDoubleSpinBox()
        self.brush_spin.setRange(0.5, 4.0)
        self.brush_spin.setSingleStep(0.25)
        self.brush_spin.setValue(1.2)
        self.brush_spin.setPrefix("brush ")
        self.brush_spin.setToolTip("Brush radius in cells (soft edge, like a pen stroke in MNIST)")
        self.brush_spin.valueChanged.connect(self.set_brush_radius)
        bar.addWidget(self.brush_spin)
        bar.addStretch(1)
        self.preprocess_box = QCheckBox("MNIST preprocessing")
        self.preprocess_box.setToolTip("Crop to the ink, scale to 20×20 and centre by centre of mass in "
                                       "28×28 — how MNIST's digits were prepared")
        self.preprocess_box.setChecked(True)
        self.preprocess_box.toggled.connect(self.set_preprocess)
        self.preview = QLabel()
        self.preview.setFixedSize(PREVIEW_PX, PREVIEW_PX)
        self.preview.setToolTip("What the network sees after preprocessing")
        self.preview_note = QLabel()
        self.preview_note.setStyleSheet("color: #555; font-size: 11px;")
        self.hint = QLabel("Left button paints, right button erases.")
        self.hint.setWordWrap(True)  # the smile grid's longer hint must not make the editor scroll sideways
        self.hint.setStyleSheet("color: #555;")
        self.grid.hovered.connect(lambda t: self.hint.setText(t or self._default_hint()))
        pre_row = QHBoxLayout()
        pre_row.addWidget(self.preprocess_box)
        pre_row.addStretch(1)
        pre_row.addWidget(self.preview_note)
        pre_row.addWidget(self.preview)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(bar)
        lay.addWidget(self.grid, 1)
        lay.addWidget(self.hint)
        lay.addLayout(pre_row)
        self.set_grid(28, 28, binary=False)

    # -- API -------------------------------------------------------------------------

    def set_lesson(self, dataset) -> None:
        """The lesson's grid; a lesson opened before gets its drawing back, undo history and all."""
        h, w = dataset.image_shape
        key = (dataset.name, h, w, dataset.task == SIGN)
        if self._lesson_key is not None:
            self._kept[self._lesson_key] = self.canvas
        self._lesson_key = key
        kept = self._kept.pop(key, None)
        if kept is None:
            self.set_grid(h, w, binary=key[3])
        else:
            kept.brush_radius = self.brush_spin.value()
            self._use(kept)

    def drawings(self) -> dict[tuple, np.ndarray]:
        """Each lesson grid's drawing with ink on it, the one shown included: {(dataset name,
        height, width, binary): (height, width) float32} (``drawings_file`` keeps them)."""
        canvases = dict(self._kept)
        if self._lesson_key is not None:
            canvases[self._lesson_key] = self.canvas
        images = {key: c.image for key, c in canvases.items()}  # (each a copy)
        return {key: image for key, image in images.items() if image.any()}

    def restore_drawings(self, drawings: dict[tuple, np.ndarray]) -> None:
        """Drawings from the last start, each back on its lesson's grid when that lesson opens
        (one step of undo clears it again)."""
        for key, image in drawings.items():
            _, h, w, binary = key
            if key == self._lesson_key:
                self.set_image(image)
                continue
            canvas = Canvas(h, w, binary=binary, brush_radius=self.brush_spin.value())
            canvas.set_image(image)
            self._kept[key] = canvas

    def set_grid(self, height: int, width: int, binary: bool) -> None:
        """A fresh, empty grid for a lesson's input shape (undo history starts over)."""
        self._use(Canvas(height, width, binary=binary, brush_radius=self.brush_spin.value()))

    def _use(self, canvas: Canvas) -> None:
        self.canvas = canvas
        binary = canvas.binary
        self._cached = None  # the new canvas counts revisions from 0 again
        self.brush_spin.setVisible(not binary)
        self.preprocess_box.setVisible(self._mnist_grid())
        self._preprocess = self.preprocess_box.isChecked() and self._mnist_grid()
        self._update_preview()
        self.hint.setText(self._default_hint())
        self._fit_hint()
        self._on_edit()

    def image(self) -> np.ndarray:
        """The network input, (height, width) float32: preprocessed when that is switched on."""
        if not self._preprocess:
            return self.canvas.image
        if self._cached is None or self._last_revision != self.canvas.revision:
            self._cached = mnist_preprocess(self.canvas.image).astype(np.float32)
            self._last_revision = self.canvas.revision
        return self._cached.copy()

    def painting(self) -> Painting:
        """What is painted now, as an immutable value (the same object until the next edit)."""
        key = (self._edits, self.canvas.revision)
        if self._painting is None or self._painting.key != key:
            pixels = self.image()
            pixels.flags.writeable = False
            self._painting = Painting(pixels, key, not self.canvas.image.any())
        return self._painting

    def cell_center(self, row: int, col: int) -> QPoint:
        """Centre of a cell in this widget's coordinates (for tests and benchmarks)."""
        return self.grid.mapTo(self, self.grid.cell_center(row, col))

    def set_image(self, arr) -> None:
        arr = np.asarray(arr, dtype=np.float32).reshape(self.canvas.shape)
        if self.canvas.set_image(np.clip(arr, 0, 1)):
            self._on_edit()

    def load_input(self, arr) -> bool:
        """An image the network must read exactly as it is (a dataset image, already prepared the
        way its dataset's are): put on the grid with MNIST preprocessing switched off, else it would
        be cropped and centred a second time. Clearing the grid to paint afresh switches it back on.
        True when preprocessing was on (the caller says so)."""
        was = self._preprocess
        if was:
            self.set_preprocess(False)
            self._back_on_clear = True
        self.set_image(arr)
        return was

    def clear(self):
        if self._back_on_clear:  # a fresh drawing: preprocessed again, as before the image came in
            self.set_preprocess(True)
        self._apply(self.canvas.clear)

    def invert(self):
        self._apply(self.canvas.invert)

    def undo(self):
        self._apply(self.canvas.undo)

    def redo(self):
        self._apply(self.canvas.redo)

    def set_brush_radius(self, radius: float):
        self.canvas.brush_radius = float(radius)
        if self.brush_spin.value() != radius:
            self.brush_spin.setValue(radius)

    def set_preprocess(self, on: bool):
        """MNIST preprocessing of the network input; only meaningful (and allowed) on 28×28."""
        self._back_on_clear = False  # the learner's choice (or the grid's) stands from now on
        self._preprocess = bool(on) and self._mnist_grid()
        if self.preprocess_box.isChecked() != self._preprocess:
            self.preprocess_box.setChecked(self._preprocess)
        self._on_edit()

    # -- internals ----------------------------------------------------------------------

    def _mnist_grid(self) -> bool:
        return self.canvas.shape == (28, 28) and not self.canvas.binary

    def _fit_hint(self) -> None:
        """The hint line as tall as the lesson's own hint needs at this width, whatever it says
        now: a hover reading is one line, the smile's hint two, and a label that changed height
        with its text resized the grid under the pointer (quick clicks landed on other cells)."""
        w = max(self.hint.width() if self.hint.width() > 10 else self.width(), 50)
        metrics = self.hint.fontMetrics()
        need = metrics.boundingRect(QRect(0, 0, w, 10_000), Qt.TextWordWrap, self._default_hint()).height()
        self.hint.setFixedHeight(max(need, metrics.lineSpacing()) + 2)

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._fit_hint()

    def _default_hint(self):
        if self.canvas.binary:
            return "Click a cell to switch it on or off; drag to paint, right-drag to erase."
        return "Left button paints, right button erases."

    def _apply(self, op):
        if op():
            self._on_edit()

    def _on_edit(self):
        self._edits += 1
        self.grid.update()
        self._sync_actions()
        self._update_preview()
        self.imageChanged.emit()

    def _sync_actions(self):
        self.undo_action.setEnabled(self.canvas.can_undo)
        self.redo_action.setEnabled(self.canvas.can_redo)

    def _update_preview(self):
        # on 28×28 the preview is always there (ticking the box must not resize the editor)
        show = self._mnist_grid()
        self.preview.setVisible(show)
        self.preview_note.setVisible(show)
        if show:
            self.preview_note.setText("network sees →\n(cropped to the ink,\nscaled to 20×20,\ncentred by mass)"
                                      if self._preprocess else "network sees →\n(your drawing\nas it is)")
            img = gray_image(self.image()).scaled(PREVIEW_PX, PREVIEW_PX, Qt.IgnoreAspectRatio, Qt.FastTransformation)
            self.preview.setPixmap(QPixmap.fromImage(img))
