"""Live training curves: loss per iteration (raw and smoothed) and train/test accuracy.

Curves are redrawn only when the history grew. Long loss histories are reduced in
NumPy to at most ``2·MAX_BUCKETS`` points that keep every bucket's lowest and highest
loss (so each spike still shows) — cheaper than pyqtgraph's own clip-to-view and
downsampling, which also redo their work, and repaint, whenever the range moves. Axes
(with the grid) are cached pixmaps, redrawn only when a range changes (see
``plot_style.cache_static``), and ranges grow in steps of ``RANGE_GROWTH``; the legends
are QLabels.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QStackedWidget, QVBoxLayout, QWidget

from ..graphics.plot_style import fitted_axis_title, lighten_plot, plain_axes
from .timeline_bar import ElidedLabel

SMOOTH_WINDOW = 50
MAX_SYMBOLS = 60
LEFT_AXIS_WIDTH = 52  # pixels: room for tick labels like 0.0001 and the axis title
RANGE_GROWTH = 2.0  # the iteration axis grows to this many times the iterations so far
MAX_BUCKETS = 768  # a longer loss history is drawn as this many (min, max) pairs
SMOOTH_POINTS = 512  # the smoothed loss needs no more points than this to look smooth


def peak_decimate(x: np.ndarray, y: np.ndarray, buckets: int = MAX_BUCKETS) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) of n points → at most 2·buckets points: for each run of ⌈n / buckets⌉ consecutive
    points, its lowest then its highest y at the run's first x. Unchanged when n ≤ 2·buckets."""
    n = len(y)
    if n <= 2 * buckets:
        return x, y
    b = -(-n // buckets)
    m = n // b
    runs = y[: m * b].reshape(m, b)
    lo, hi, xs = runs.min(axis=1), runs.max(axis=1), x[: m * b: b]
    if m * b < n:  # the last, shorter run
        lo, hi = np.append(lo, y[m * b:].min()), np.append(hi, y[m * b:].max())
        xs = np.append(xs, x[m * b])
    return np.repeat(xs, 2), np.column_stack([lo, hi]).ravel()


def thin(x: np.ndarray, y: np.ndarray, buckets: int = MAX_BUCKETS) -> tuple[np.ndarray, np.ndarray]:
    """Every k-th point of a smooth curve (and its last), at most about 2·buckets points."""
    n = len(y)
    if n <= 2 * buckets:
        return x, y
    k = -(-n // (2 * buckets))
    idx = np.append(np.arange(0, n - 1, k), n - 1)
    return x[idx], y[idx]


def iterations_in(history: dict) -> int:
    """Iterations a snapshot's history covers: its loss blocks (a long run's oldest iterations,
    core/history.py) and the losses kept one by one after them."""
    ends = history.get("loss_block_end", ())
    return (int(ends[-1]) if len(ends) else 0) + len(history["loss"])


def _blocks(history: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(first iteration, lowest, highest, mean loss) of each block of older iterations, (m,) each."""
    ends = np.asarray(history.get("loss_block_end", ()), dtype=np.float64)
    if not len(ends):
        return (np.zeros(0),) * 4
    starts = np.concatenate([[1.0], ends[:-1] + 1])
    return starts, *(np.asarray(history[k], dtype=np.float64)
                     for k in ("loss_block_min", "loss_block_max", "loss_block_mean"))


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

    def tickValues(self, minVal, maxVal, size):
        """Round numbers of epochs, spaced for their own labels: placed where the iteration
        axis's ticks are, "0.0016" and "0.0032" ran into each other."""
        ipe = self.iterations_per_epoch
        if ipe <= 0:
            return []
        return [(spacing * ipe, [v * ipe for v in values])
                for spacing, values in super().tickValues(minVal / ipe, maxVal / ipe, size)]

    def tickStrings(self, values, scale, spacing):
        ipe = self.iterations_per_epoch
        if ipe <= 0:
            return ["" for _ in values]
        places = max(0, int(np.ceil(-np.log10(spacing / ipe)))) if spacing > 0 else 0
        return [f"{v / ipe:.{places}f}" for v in values]


CURVE_COLOURS = {"loss": (150, 170, 220), "smoothed": (20, 60, 170), "train": (30, 130, 60), "test": (200, 110, 20)}


def legend_html(entries) -> str:
    """A legend as rich text for a QLabel: a coloured dash before each name. A wrapping label
    breaks it only between entries."""
    return " &nbsp;".join(f"<span style='white-space: nowrap;'><span style='color: rgb{CURVE_COLOURS[key]}; "
                          f"font-weight: 900;'>━</span> {name}</span>" for key, name in entries)


class TrainingPlots(QWidget):
    """Loss and accuracy against iterations, with an epoch axis on top and hover readout.

    The legends are QLabels above the plots rather than pyqtgraph LegendItems: items in a
    plot's scene are asked for their bounds on every repaint of the curves, each a call
    into Python that waits for the trainer to hand over the GIL.
    """

    iterationClicked = Signal(int)  # the learner clicked a curve at this iteration (rewind there)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("trainingPlots")
        self._generation = None
        self._drawn = {"loss": None, "accuracy": None}  # (generation, length) each curve pair shows
        self._last_part = "accuracy"
        pg.setConfigOptions(antialias=False)

        self.loss_plot = pg.PlotWidget(axisItems={"top": EpochAxis()})
        self.acc_plot = pg.PlotWidget()
        for p, title in ((self.loss_plot, "loss"), (self.acc_plot, "accuracy")):
            p.setBackground("w")
            p.showGrid(x=True, y=True, alpha=0.25)
            p.setLabel("bottom", "iteration")
            # fixed: an axis that fits its width to the tick labels re-lays-out the plot (and
            # repaints it all, twice) whenever a label gets a digit longer
            p.getAxis("left").setWidth(LEFT_AXIS_WIDTH)
            plain_axes(p)  # "iteration (x0.001)" read as a different unit
            fitted_axis_title(p, "left", title)  # once its width is fixed: the title fits its height
        self.loss_plot.showAxis("top")
        self.loss_plot.setLabel("top", "epoch")
        # one iteration axis for both (they are linked): the loss plot keeps only its grid lines
        self.loss_plot.setLabel("bottom", None)
        self.loss_plot.getAxis("bottom").setStyle(showValues=False)
        self.loss_plot.getAxis("bottom").setHeight(4)
        self.acc_plot.setYRange(0, 1.02)
        # three ticks: a short plot drew its five labels on top of each other
        self.acc_plot.getAxis("left").setTicks([[(0.0, "0"), (0.5, "0.5"), (1.0, "1")]])
        self.acc_plot.setXLink(self.loss_plot)
        self.raw = self.loss_plot.plot(pen=pg.mkPen(CURVE_COLOURS["loss"], width=1), name="loss (each iteration)")
        self.smooth = self.loss_plot.plot(pen=pg.mkPen(CURVE_COLOURS["smoothed"], width=2),
                                          name=f"smoothed ({SMOOTH_WINDOW})")
        self.train_acc = self.acc_plot.plot(pen=pg.mkPen(CURVE_COLOURS["train"], width=2), symbol="o", symbolSize=4,
                                            name="train")
        self.test_acc = self.acc_plot.plot(pen=pg.mkPen(CURVE_COLOURS["test"], width=2), symbol="o", symbolSize=4,
                                           name="test")
        # the rewind cursor: where the iteration every view shows sits on the curves
        # (in the scenes only while shown: every item there is asked for its bounds on each repaint)
        self.cursors = [pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen((138, 75, 0), width=2, style=Qt.DashLine))
                        for _ in range(2)]
        for line in self.cursors:
            line.setZValue(10)
        self._cursor_at = None  # the iteration the cursor marks, None: not shown
        # The grid is drawn by the axes across the whole plot: replaying it cost ~4 ms per axis on
        # every curve update. Cached, the axes repaint only when a range changes.
        for p in (self.loss_plot, self.acc_plot):
            lighten_plot(p.getPlotItem())
        self.loss_legend = QLabel(legend_html([("loss", "loss"), ("smoothed", f"smoothed ({SMOOTH_WINDOW})")]))
        self.loss_legend.setToolTip(f"The loss of each iteration's mini-batch, and its moving average over "
                                    f"{SMOOTH_WINDOW} iterations")
        self.acc_legend = QLabel(legend_html([("train", "train"), ("test", "test accuracy")]))
        self.acc_legend.setToolTip("Accuracy on the training and the test split, measured a few times per epoch")
        for lab in (self.loss_legend, self.acc_legend):
            lab.setObjectName("plotLegend")
            lab.setStyleSheet("color: #444;")
            lab.setWordWrap(True)  # two lines in a narrow dock rather than a wider one
        # the hover readout takes the legends' place while the mouse is over a curve (one row less
        # in a short dock); shortened with "…", it never widens the panel
        self.readout = ElidedLabel("")
        self.readout.setObjectName("plotReadout")
        self.readout.setMinimumWidth(60)
        legends = QWidget()
        ll = QVBoxLayout(legends)  # one above the other: side by side they widened a narrow dock
        ll.setContentsMargins(0, 0, 0, 0)
        ll.setSpacing(0)
        ll.addWidget(self.loss_legend, 1)
        ll.addWidget(self.acc_legend, 1)
        self.header = QStackedWidget()
        self.header.addWidget(legends)
        self.header.addWidget(self.readout)
        self.header.setToolTip("Hover over a curve to read it; click it to rewind there")
        self.log_box = QCheckBox("log")  # short: the legends beside it keep one line each
        self.log_box.setToolTip("Loss on a logarithmic axis, readable as it falls")
        self.log_box.toggled.connect(self._set_log)
        self._hover_proxies = [pg.SignalProxy(p.scene().sigMouseMoved, rateLimit=30,
                                              slot=lambda ev, p=p: self._hover(p, ev[0]))
                               for p in (self.loss_plot, self.acc_plot)]
        for p in (self.loss_plot, self.acc_plot):
            p.scene().sigMouseClicked.connect(lambda ev, p=p: self._clicked(p, ev))
            p.installEventFilter(self)  # leaving a plot brings the legends back

        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addWidget(self.log_box, 0, Qt.AlignTop)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addLayout(top)
        lay.addWidget(self.loss_plot, 3)
        lay.addWidget(self.acc_plot, 2)
        self._history = None
        self._xlim = self._ylim = 0.0
        self._fitting, self._per_epoch = False, 0.0
        self.loss_plot.getPlotItem().vb.sigXRangeChanged.connect(self._on_x_range)

    def iteration_at(self, plot: pg.PlotWidget, scene_pos) -> int | None:
        """The iteration under a scene position in ``plot``'s curves, or None outside them."""
        vb = plot.getPlotItem().vb
        if self._history is None or not vb.sceneBoundingRect().contains(scene_pos):
            return None
        last = iterations_in(self._history)
        return int(np.clip(round(vb.mapSceneToView(scene_pos).x()), 0, last)) if last else None

    def _clicked(self, plot, ev) -> None:
        if ev.button() != Qt.LeftButton or ev.double():
            return
        i = self.iteration_at(plot, ev.scenePos())
        if i is not None:
            self.iterationClicked.emit(i)

    def _set_log(self, on: bool) -> None:
        self.loss_plot.setLogMode(y=on)
        self._ylim = 0.0
        if on:
            self.loss_plot.enableAutoRange("y")
        self._drawn["loss"] = None  # redraw with the new axis on the next frame

    def clear(self) -> None:
        """A new lesson: no curves, no readout, no cursor, and the axes' starting ranges."""
        self._history, self._generation = None, None
        self._drawn = {"loss": None, "accuracy": None}
        for curve in (self.raw, self.smooth, self.train_acc, self.test_acc):
            curve.setData([], [])
        self.readout.setText("")
        self.header.setCurrentIndex(0)
        self.show_cursor(None)
        self._fit_ranges(0, np.zeros(0), restart=True)

    def show_cursor(self, iteration: int | None) -> None:
        """A dashed line at ``iteration`` on both plots (a rewound view), or none (``None``)."""
        if iteration == self._cursor_at:
            return
        self._cursor_at = iteration
        for plot, line in zip((self.loss_plot, self.acc_plot), self.cursors):
            if iteration is None:
                if line.scene() is not None:
                    plot.removeItem(line)
            else:
                line.setPos(iteration)
                if line.scene() is None:
                    plot.addItem(line, ignoreBounds=True)

    def show_history(self, history: dict, iterations_per_epoch: float, generation: int,
                     alternate: bool = False) -> bool:
        """Update curves from a snapshot's history; returns False when nothing changed.

        ``alternate``: redraw at most one of the two plots per call — the loss first, then the
        accuracy on the next call — so that while training runs no single frame pays for both
        (each repaint of a plot is a long run of GIL hand-overs with the trainer)."""
        n_steps, n_evals = iterations_in(history), len(history["iteration"])
        self._set_epoch_scale(iterations_per_epoch)  # also before the first iteration: a new lesson's epochs
        want = {"loss": (generation, n_steps), "accuracy": (generation, n_evals)}
        stale = [part for part in ("loss", "accuracy") if self._drawn[part] != want[part]]
        if not stale:
            return False
        restart = generation != self._generation
        if restart:
            self._drawn = {"loss": None, "accuracy": None}
            stale = ["loss", "accuracy"]
        if alternate and len(stale) == 2:  # both behind: take turns, loss first after a restart
            stale = ["accuracy" if self._last_part == "loss" and self._drawn["loss"] is not None else "loss"]
        elif alternate:
            stale = stale[:1]
        self._generation, self._history = generation, history
        if "loss" in stale:
            self._draw_loss(history, iterations_per_epoch, restart)
        if "accuracy" in stale:
            self._draw_accuracy(history, n_evals)
        for part in stale:
            self._drawn[part] = want[part]
            self._last_part = part
        return True

    def _set_epoch_scale(self, iterations_per_epoch: float) -> None:
        """The top axis's epochs for this lesson and batch size (it kept the last lesson's: smile's
        iterations read as mnist's 0.02 epochs), redrawn when they change."""
        self._per_epoch = iterations_per_epoch
        axis = self.loss_plot.getAxis("top")
        if axis.iterations_per_epoch != iterations_per_epoch:
            axis.iterations_per_epoch = iterations_per_epoch
            axis.picture = None
            axis.update()

    def _draw_loss(self, history: dict, iterations_per_epoch: float, restart: bool = False) -> None:
        self._set_epoch_scale(iterations_per_epoch)
        n_steps = iterations_in(history)
        loss = np.asarray(history["loss"], dtype=np.float64)
        x = np.arange(n_steps - len(loss) + 1, n_steps + 1, dtype=np.float64)
        finite = np.isfinite(loss)
        if finite.all():
            xf, lf, sf = x, loss, smoothed(loss)
        else:
            xf, lf, sf = x[finite], loss[finite], smoothed(loss)[finite]
        # a long run's oldest iterations, in blocks: each block's lowest and highest loss (every
        # spike drawn, as peak_decimate draws a run of points) and its mean on the smoothed curve
        starts, b_lo, b_hi, b_mean = _blocks(history)
        ok = np.isfinite(b_lo) & np.isfinite(b_hi)
        bx = np.repeat(starts[ok], 2)
        by = np.column_stack([b_lo[ok], b_hi[ok]]).ravel()
        self._fitting = True
        try:
            self._fit_ranges(n_steps, np.concatenate([by, lf]), restart)
        finally:
            self._fitting = False
        # only what is in view, so zooming in on a long run shows every iteration again
        lo, hi = self.loss_plot.getPlotItem().vb.viewRange()[0]
        i0, i1 = np.searchsorted(xf, lo, side="left"), np.searchsorted(xf, hi, side="right")
        i0, i1 = max(0, i0 - 1), min(len(xf), i1 + 1)
        raw_x, raw_y = peak_decimate(xf[i0:i1], lf[i0:i1])
        smooth_x, smooth_y = thin(xf[i0:i1], sf[i0:i1], SMOOTH_POINTS // 2)
        if len(bx):
            j0, j1 = np.searchsorted(bx, lo, side="left"), np.searchsorted(bx, hi, side="right")
            j0, j1 = max(0, j0 - 2), min(len(bx), j1 + 2)
            raw_x, raw_y = (np.concatenate([a, b]) for a, b in zip(peak_decimate(bx[j0:j1], by[j0:j1]),
                                                                    (raw_x, raw_y)))
            mean_ok = np.isfinite(b_mean)
            smooth_x = np.concatenate([thin(starts[mean_ok], b_mean[mean_ok], SMOOTH_POINTS // 4)[0], smooth_x])
            smooth_y = np.concatenate([thin(starts[mean_ok], b_mean[mean_ok], SMOOTH_POINTS // 4)[1], smooth_y])
        self.raw.setData(raw_x, raw_y)
        self.smooth.setData(smooth_x, smooth_y)

    def _on_x_range(self, *_):
        """The learner zoomed or panned: re-cut the loss curve to what is now in view."""
        if not self._fitting and self._history is not None and iterations_in(self._history) > 2 * MAX_BUCKETS:
            self._draw_loss(self._history, self._per_epoch)

    def _draw_accuracy(self, history: dict, n_evals: int) -> None:
        ex = np.asarray(history["iteration"], dtype=np.float64)
        # Dots mark each evaluation while they are few; hundreds of symbols paint slowly.
        symbol = "o" if n_evals <= MAX_SYMBOLS else None
        self.train_acc.setData(ex, np.nan_to_num(history["train_accuracy"]), symbol=symbol)
        self.test_acc.setData(ex, np.nan_to_num(history["test_accuracy"]), symbol=symbol)

    def _fit_ranges(self, n_steps: int, loss: np.ndarray, restart: bool = False) -> None:
        # Ranges grow in steps instead of following every new point: a changed range
        # re-draws the cached axes and grids of both plots, which costs more than the curves.
        # A new history (lesson, reset, rewound run) starts from the smallest ranges again.
        if restart:
            self._xlim = self._ylim = -1.0
        if n_steps > self._xlim:
            self._xlim = max(10.0, RANGE_GROWTH * n_steps)
            self.loss_plot.setXRange(0, self._xlim, padding=0.01)
        top = float(loss.max()) if loss.size else 0.0
        if self.log_box.isChecked():
            self.loss_plot.enableAutoRange("y")
        elif top > self._ylim:
            self._ylim = 1.15 * top if top > 0 else 1.0
            self.loss_plot.setYRange(0, self._ylim, padding=0)

    def curve_data(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """What each curve holds (x, y), for tests and export: every iteration up to
        2·MAX_BUCKETS of them, the (min, max) pairs of ``peak_decimate`` beyond."""
        return {name: c.getData() for name, c in (("loss", self.raw), ("smoothed", self.smooth),
                                                    ("train_accuracy", self.train_acc),
                                                    ("test_accuracy", self.test_acc))}

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Leave:
            self.header.setCurrentIndex(0)
        return False

    def _hover(self, plot: pg.PlotWidget, pos) -> None:
        h = self._history
        if h is None or not plot.getPlotItem().vb.sceneBoundingRect().contains(pos):
            self.header.setCurrentIndex(0)
            return
        self.header.setCurrentIndex(1)
        x = plot.getPlotItem().vb.mapSceneToView(pos).x()
        n = iterations_in(h)
        folded = n - len(h["loss"])
        if plot is self.loss_plot and n:
            i = int(np.clip(round(x), 1, n))
            if i > folded:
                fine = np.asarray(h["loss"][:i - folded])
                self.readout.setText(f"iteration {i:,}: loss {fine[-1]:.4g}, "
                                     f"smoothed {smoothed(fine[-SMOOTH_WINDOW:])[-1]:.4g}")
            else:  # an old iteration of a long run: its block
                starts, b_lo, b_hi, b_mean = _blocks(h)
                j = int(np.searchsorted(starts, i, side="right") - 1)
                end = int(h["loss_block_end"][j])
                self.readout.setText(f"iterations {int(starts[j]):,}–{end:,}: loss {b_lo[j]:.4g} to "
                                     f"{b_hi[j]:.4g}, mean {b_mean[j]:.4g}")
        elif len(h["iteration"]):
            j = int(np.argmin(np.abs(np.asarray(h["iteration"]) - x)))
            self.readout.setText(f"iteration {int(h['iteration'][j])} (epoch {h['epoch'][j]:.2f}): "
                                 f"train accuracy {h['train_accuracy'][j]:.1%}, "
                                 f"test accuracy {h['test_accuracy'][j]:.1%}")
