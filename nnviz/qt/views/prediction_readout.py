"""The network's answer for the painted input: headline plus the full distribution."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ...model.data.datasets import SIGN, answer_name, signed
from ..graphics.redraw_memo import RedrawMemo
from ..graphics.view_protocol import LessonView


class _Bars(QWidget):
    """Horizontal bar per class, the top one highlighted."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.values = np.zeros(0)
        self.labels: list[str] = []
        self.setMinimumHeight(64)  # two text lines and a 28 px bar: the editor fits a laptop with the guide open

    def paintEvent(self, _):
        n = len(self.values)
        if not n:
            return
        p = QPainter(self)
        w, h = self.width(), self.height()
        slot = w / n
        top = int(np.argmax(self.values))
        for i, (v, lab) in enumerate(zip(self.values, self.labels)):
            bar_h = max(0.0, min(1.0, float(v))) * (h - 36)
            color = QColor(40, 160, 70) if i == top else QColor(150, 160, 175)
            p.fillRect(QRectF(i * slot + 3, h - 16 - bar_h, slot - 6, bar_h), color)
            p.setPen(QColor(30, 30, 30))
            p.drawText(QRectF(i * slot, h - 16, slot, 16), Qt.AlignCenter, lab)
            p.setPen(QColor(90, 90, 90))  # every bar's number: a 3% second guess matters too
            p.drawText(QRectF(i * slot, h - 34 - bar_h, slot, 16), Qt.AlignHCenter | Qt.AlignBottom,
                       f"{v:.0%}" if v >= 0.005 else "<1%" if v > 0 else "0%")
        p.end()


class PredictionReadout(LessonView, QWidget):
    """objectName ``predictionReadout``."""

    follows_input = True

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("predictionReadout")
        self.task = "classification"
        self.class_names: tuple[str, ...] = ()
        self.blank = False
        self._memo = RedrawMemo()
        self.headline = QLabel("—")
        f = QFont()
        f.setPointSize(15)
        f.setBold(True)
        self.headline.setFont(f)
        self.detail = QLabel("")
        self.detail.setStyleSheet("color: #444;")
        self.detail.setWordWrap(True)  # long explanations wrap inside the dock instead of being cut
        self.bars = _Bars()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.headline)
        lay.addWidget(self.detail)
        lay.addWidget(self.bars, 1)
        lay.addStretch(0)  # takes the room only while the bars are hidden (smile): text stays on top

    def set_labels(self, class_names, task: str) -> None:
        """A new lesson: its class names and task; the previous answer is cleared."""
        self.class_names, self.task = tuple(class_names), task
        self.bars.setVisible(task != SIGN)
        self.bars.labels = list(class_names)
        self._show("—", "", np.zeros(0))

    def set_lesson(self, dataset) -> None:
        self.set_labels(dataset.class_names, dataset.task)

    def show_snapshot(self, snap, frame=None) -> None:
        """The answer for the frame's painted input."""
        acts = frame.forward[1] if frame is not None else []
        # while training runs, the answer follows a few times a second: its headline, detail and ten
        # bars repainted every frame held the GIL the trainer needs (~5% of the GUI thread)
        if acts and (frame.input_only or self._memo.text_due("answer", frame.running)):
            self.set_output(acts[-1][0], blank=frame.blank)

    def set_output(self, output: np.ndarray, blank: bool = False) -> None:
        """The answer for one output vector (k,); ``blank``: the painted input is empty."""
        self.blank = blank
        out = np.asarray(output, dtype=np.float64).ravel()
        blank = self.blank
        if self.task == SIGN:
            v = float(out[0])
            answer = answer_name(SIGN, self.class_names, out)
            self._show(f"{answer}  (output {signed(v)})",
                       "nothing painted: every pixel is 0, so the output is 0" if blank else
                       "output = Σ wᵢ·xᵢ; its sign is the answer (+ smile, − not a smile, 0 no answer)")
            return
        if not np.all(np.isfinite(out)):
            self._show("no answer (the outputs are not finite)", "the weights have diverged", np.zeros(0))
            return
        k = int(np.argmax(out))
        total = out.sum()
        p = out / total if total > 0 and abs(total - 1) > 1e-3 else out  # sigmoid outputs: normalise
        second = int(np.argsort(p)[-2]) if len(p) > 1 else k
        if blank:  # an empty grid still gets an answer; say it is not about a drawing
            self._show("nothing painted yet", f"paint a digit; for an empty image the network says "
                       f"{self._name(k)} ({p[k]:.0%})", p)
            return
        self._show(f"{self._name(k)} — {p[k]:.0%}",
                   f"the brightest output neuron; next: {self._name(second)} ({p[second]:.0%})", p)

    def _name(self, k: int) -> str:
        return self.class_names[k] if k < len(self.class_names) else str(k)

    def _show(self, headline: str, detail: str, values=None) -> None:
        self.headline.setText(headline)
        self.detail.setText(detail)
        if values is not None:
            self.bars.values = values  # any repaint shows the current answer
            v = np.asarray(values, dtype=np.float64)
            # what the bars print: the highlighted class and each label; heights under 1/512 are no pixel
            shown = (len(v), int(np.argmax(v)) if len(v) else -1, tuple(f"{x:.0%}" for x in v))
            if not self._memo.unchanged("bars", v, 1.0, shown):
                self.bars.update()

    def text(self) -> str:
        return self.headline.text()
