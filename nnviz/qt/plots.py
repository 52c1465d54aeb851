"""Live training curves: loss per iteration (raw and smoothed) and train/test accuracy.

Curves are redrawn only when the history grew, with pyqtgraph's clip-to-view and
peak downsampling, so 100,000 iterations cost a frame no more than 1,000 do.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

SMOOTH_WINDOW = 50
MAX_SYMBOLS = 60


def smoothed(y: np.ndarray, window: int = SMOOTH_WINDOW) -> np.ndarray:
    """Trailing moving average (n,) -> (n,), exact over the first window-1 points too."""
    if len(y) == 0:
        return y
    c = np.cumsum(np.nan_to_num(y, nan=0.0, posinf=0.0, neginf=0.0))
    out = c.copy()
    out[window:] = c[window:] - c[:-window]
    counts = np.minimum(np.arange(1, len(y) + 1), window)
    return out / counts


class EpochAxis(pg.AxisItem):
    """A top axis labelling iteration positions with the epoch they fall in."""

    def __init__(self):
        super().__init__("top")
        self.iterations_per_epoch = 0.0

    def tickStrings(self, values, scale, spacing):
        if self.iterations_per_epoch <= 0:
            return ["" for _ in values]
        return [f"{v / self.iterations_per_epoch:.3g}" for v in values]


class TrainingPlots(QWidget):
    """Loss and accuracy against iterations, with an epoch axis on top and hover readout."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("trainingPlots")
        self._n_steps = -1
        self._n_evals = -1
        self._generation = None
        pg.setConfigOptions(antialias=False)

        self.loss_plot = pg.PlotWidget(axisItems={"top": EpochAxis()})
        self.acc_plot = pg.PlotWidget()
        for p, title in ((self.loss_plot, "loss"), (self.acc_plot, "accuracy")):
            p.setBackground("w")
            p.showGrid(x=True, y=True, alpha=0.25)
            p.setLabel("left", title)
            p.setLabel("bottom", "iteration")
            p.setClipToView(True)
            p.setDownsampling(auto=True, mode="peak")
            p.addLegend(offset=(-10, 10))
        self.loss_plot.showAxis("top")
        self.loss_plot.setLabel("top", "epoch")
        self.acc_plot.setYRange(0, 1.02)
        self.acc_plot.setXLink(self.loss_plot)
        self.raw = self.loss_plot.plot(pen=pg.mkPen((150, 170, 220), width=1), name="loss (each iteration)")
        self.smooth = self.loss_plot.plot(pen=pg.mkPen((20, 60, 170), width=2), name=f"smoothed ({SMOOTH_WINDOW})")
        self.train_acc = self.acc_plot.plot(pen=pg.mkPen((30, 130, 60), width=2), symbol="o", symbolSize=4,
                                            name="train")
        self.test_acc = self.acc_plot.plot(pen=pg.mkPen((200, 110, 20), width=2), symbol="o", symbolSize=4,
                                           name="test")
        self.readout = QLabel("Hover over a curve to read its values.")
        self.readout.setObjectName("plotReadout")
        self.log_box = QCheckBox("log scale")
        self.log_box.setToolTip("Show the loss on a logarithmic axis, readable as it falls")
        self.log_box.toggled.connect(self._set_log)
        self._hover_proxies = [pg.SignalProxy(p.scene().sigMouseMoved, rateLimit=30,
                                              slot=lambda ev, p=p: self._hover(p, ev[0]))
                               for p in (self.loss_plot, self.acc_plot)]

        top = QHBoxLayout()
        top.addWidget(self.readout, 1)
        top.addWidget(self.log_box)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(top)
        lay.addWidget(self.loss_plot, 3)
        lay.addWidget(self.acc_plot, 2)
        self._history = None
        self._xlim = self._ylim = 0.0

    def _set_log(self, on: bool) -> None:
        self.loss_plot.setLogMode(y=on)
        self._ylim = 0.0
        if on:
            self.loss_plot.enableAutoRange("y")
        self._n_steps = -1  # redraw with the new axis on the next frame

    def show_history(self, history: dict, iterations_per_epoch: float, generation: int) -> bool:
        """Update curves from a snapshot's history; returns False when nothing changed."""
        n_steps, n_evals = len(history["loss"]), len(history["iteration"])
        if generation == self._generation and n_steps == self._n_steps and n_evals == self._n_evals:
            return False
        if generation != self._generation:
            self._xlim = self._ylim = 0.0
        self._generation, self._n_steps, self._n_evals = generation, n_steps, n_evals
        self._history = history
        self.loss_plot.getAxis("top").iterations_per_epoch = iterations_per_epoch
        x = np.arange(1, n_steps + 1, dtype=np.float64)
        loss = np.asarray(history["loss"], dtype=np.float64)
        finite = np.isfinite(loss)
        self.raw.setData(x[finite], loss[finite])
        self.smooth.setData(x[finite], smoothed(loss)[finite])
        self._fit_ranges(n_steps, loss[finite])
        ex = np.asarray(history["iteration"], dtype=np.float64)
        # Dots mark each evaluation while they are few; hundreds of symbols paint slowly.
        symbol = "o" if n_evals <= MAX_SYMBOLS else None
        self.train_acc.setData(ex, np.nan_to_num(history["train_accuracy"]), symbol=symbol)
        self.test_acc.setData(ex, np.nan_to_num(history["test_accuracy"]), symbol=symbol)
        return True

    def _fit_ranges(self, n_steps: int, loss: np.ndarray) -> None:
        # Ranges grow in steps of 1.5× instead of following every new point: a changed
        # range re-lays-out and repaints every axis, which costs more than the curves.
        if n_steps > self._xlim:
            self._xlim = max(10.0, 1.5 * n_steps)
            self.loss_plot.setXRange(0, self._xlim, padding=0.01)
        top = float(loss.max()) if loss.size else 0.0
        if self.log_box.isChecked():
            self.loss_plot.enableAutoRange("y")
        elif top > self._ylim:
            self._ylim = 1.15 * top
            self.loss_plot.setYRange(0, self._ylim, padding=0)

    def curve_data(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """What each curve holds (x, y), for tests and export."""
        return {name: c.getData() for name, c in (("loss", self.raw), ("smoothed", self.smooth),
                                                    ("train_accuracy", self.train_acc),
                                                    ("test_accuracy", self.test_acc))}

    def _hover(self, plot: pg.PlotWidget, pos) -> None:
        h = self._history
        if h is None or not plot.sceneBoundingRect().contains(pos):
            return
        x = plot.getPlotItem().vb.mapSceneToView(pos).x()
        if plot is self.loss_plot and len(h["loss"]):
            i = int(np.clip(round(x), 1, len(h["loss"])))
            self.readout.setText(f"iteration {i}: loss {h['loss'][i - 1]:.4g}, "
                                 f"smoothed {smoothed(np.asarray(h['loss'][:i]))[-1]:.4g}")
        elif len(h["iteration"]):
            j = int(np.argmin(np.abs(np.asarray(h["iteration"]) - x)))
            self.readout.setText(f"iteration {int(h['iteration'][j])} (epoch {h['epoch'][j]:.2f}): "
                                 f"train accuracy {h['train_accuracy'][j]:.1%}, "
                                 f"test accuracy {h['test_accuracy'][j]:.1%}")
