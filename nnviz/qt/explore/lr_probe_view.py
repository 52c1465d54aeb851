"""Explore tab "Learning-rate probe": the loss after one gradient step of each size.

From the snapshot's weights, on a fixed training sample, the loss along the
negative gradient for step sizes 1e-4 … 100 (log x axis; nnviz.model.analysis.lr_probe). The
current learning rate is a vertical line, with a sentence saying what it does
("lr 0.01: loss 2.303 → 2.299 (crawls)"). The dashed line is the first-order
prediction L − lr·|g|²: where the curve leaves it, the slope stops telling the truth.
Losses that overflow (inf/NaN) or rise far above the current loss are drawn as
triangles on the top edge instead of stretching the axis.

The probe (one loss per step size, ~0.6 s for a conv net) runs on a background thread, so the
window never waits for it; a result for a snapshot or lesson no longer shown is dropped.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout

from ...model.analysis.lr_probe import VERDICTS, LrProbe, probe_snapshot

from .panel import ExplorePanel
from ..graphics.background import Background
from ..graphics.plot_style import plain_axes

VERDICT_COLOURS = {"explodes": "#c01818", "overshoots": "#c05a00", "crawls": "#806000", "good": "#1d7a2e",
                   "flat": "#444"}


def fmt_loss(v: float) -> str:
    """Four significant digits, trailing zeros kept (1.000, 2.378, 0.5475); inf/nan as words."""
    if not math.isfinite(v):
        return str(v)
    if v == 0:
        return "0"
    if 1e-3 <= abs(v) < 1e4:
        return f"{v:.{max(0, 3 - math.floor(math.log10(abs(v))))}f}"
    return f"{v:.3e}"


def fmt_change(before: float, after: float, max_decimals: int = 8) -> tuple[str, str]:
    """Both losses as fmt_loss would write them, with more decimals while they would read the
    same but differ (a crawling step: 2.25716 → 2.25702, not 2.257 → 2.257)."""
    a, b = fmt_loss(before), fmt_loss(after)
    if a != b or before == after or not (math.isfinite(before) and math.isfinite(after)) or "e" in a:
        return a, b
    decimals = len(a.split(".")[1]) if "." in a else 0
    while a == b and decimals < max_decimals:
        decimals += 1
        a, b = f"{before:.{decimals}f}", f"{after:.{decimals}f}"
    return a, b


def verdict_text(p: LrProbe) -> str:
    """'lr 0.01: loss 2.3026 → 2.3025 (crawls)' or 'lr 10: loss 2.303 → inf (explodes)'."""
    v = p.verdict()
    a, b = fmt_change(p.base_loss, p.current_loss)
    return f"lr {p.current_rate:g}: loss {a} → {b} ({VERDICTS[v]})"


def y_window(p: LrProbe) -> tuple[float, float]:
    """(bottom, top) of the loss axis: the whole dip below the current loss and some rise
    above it; anything higher (or inf/NaN) sits on the top edge as an off-chart marker."""
    finite = p.losses[np.isfinite(p.losses)]
    base = p.base_loss if math.isfinite(p.base_loss) else (float(finite.min()) if finite.size else 1.0)
    low = min(float(finite.min()) if finite.size else base, base)
    if math.isfinite(p.current_loss):
        low = min(low, p.current_loss)
    span = max(base - low, 0.05 * abs(base), 1e-6)
    return low - 0.1 * span, base + 1.5 * span


class LrProbeView(ExplorePanel):
    """objectName ``lrProbeView``."""

    title = "Learning-rate probe"
    live = False

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("lrProbeView")
        self.dataset = None
        self.probe: LrProbe | None = None
        self._snap = None
        self._computed_for = None
        self._probing = Background("lr-probe", self)
        self._probing.done.connect(self._on_computed)

        self.header = QLabel("Open a lesson and pause training to probe the learning rate.")
        self.header.setObjectName("lrProbeHeader")
        self.header.setWordWrap(True)
        self.verdict = QLabel("")
        self.verdict.setObjectName("lrProbeVerdict")
        self.verdict.setStyleSheet("font-size: 14pt;")
        self.verdict.setWordWrap(True)  # two lines in a narrow dock, not a wider dock
        self.detail = QLabel("")
        self.detail.setObjectName("lrProbeDetail")
        self.detail.setWordWrap(True)
        self.detail.setStyleSheet("color: #444;")

        self.plot = pg.PlotWidget()
        self.plot.setBackground("w")
        self.plot.setLogMode(x=True, y=False)
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.setLabel("bottom", "step size (learning rate)")
        self.plot.setLabel("left", "loss after one step")
        plain_axes(self.plot)  # not "loss after one step (x0.001)"
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.addLegend(offset=(10, 10))  # top left: above the flat start of the curve
        self.base_line = pg.InfiniteLine(angle=0, movable=False,
                                         pen=pg.mkPen((120, 120, 120), width=1, style=pg.QtCore.Qt.DotLine),
                                         label="loss now", labelOpts={"position": 0.12, "color": (90, 90, 90)})
        self.plot.addItem(self.base_line)
        self.predicted = self.plot.plot(pen=pg.mkPen((150, 150, 150), width=1.5, style=pg.QtCore.Qt.DashLine),
                                        name="first-order prediction L − lr·|g|²")
        self.curve = self.plot.plot(pen=pg.mkPen((20, 60, 170), width=2), symbol="o", symbolSize=5,
                                    symbolBrush=(20, 60, 170), symbolPen=None, connect="finite",
                                    name="loss after one step of that size")
        self.off_chart = self.plot.plot(pen=None, symbol="t1", symbolSize=11, symbolBrush=(200, 30, 30),
                                        symbolPen=None, name="off the chart (huge, inf or NaN)")
        self.current_point = self.plot.plot(pen=None, symbol="o", symbolSize=13, symbolBrush=None,
                                            symbolPen=pg.mkPen((200, 90, 0), width=2.5))
        self.rate_line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen((200, 90, 0), width=2),
                                         label="", labelOpts={"position": 0.62, "color": (160, 70, 0),
                                                              "fill": (255, 255, 255, 200)})
        self.plot.addItem(self.rate_line)

        lay = QVBoxLayout(self)
        lay.addWidget(self.header)
        lay.addWidget(self.verdict)
        lay.addWidget(self.detail)
        lay.addWidget(self.plot, 1)

    # -- hooks --------------------------------------------------------------------

    def set_lesson(self, dataset) -> None:
        self.dataset = dataset
        self._computed_for = None
        self.probe = None
        self._refresh()

    def show_snapshot(self, snap, frame=None) -> None:
        self._snap = snap
        self._refresh()

    # -- computing and drawing ------------------------------------------------------

    def _refresh(self) -> None:
        snap, d = self._snap, self.dataset
        if d is None or snap is None or snap.sizes[0] != d.n_inputs or snap.sizes[-1] != d.n_outputs:
            return
        if self._computed_for is snap:
            return
        self._computed_for = snap
        self.probe = None  # nothing of another snapshot stays on screen while this one is probed
        self._clear(snap)
        self._probing.ask((snap, d), lambda: probe_snapshot(snap, d))

    def _on_computed(self, job, result) -> None:
        snap, dataset = job
        if snap is self._computed_for and dataset is self.dataset:  # else stale: dropped
            if isinstance(result, Exception):
                self.header.setText(f"Could not probe the learning rate: {result}")
            else:
                self.probe = result
                self._draw(snap, result)

    def is_computing(self) -> bool:
        """True while a probe runs in the background (or waits to)."""
        return self._probing.busy()

    def _clear(self, snap) -> None:
        self.header.setText(f"Probing step sizes from the weights at iteration {snap.iteration:,}…")
        self.verdict.setText("")
        self.detail.setText("")
        for item in (self.predicted, self.curve, self.off_chart, self.current_point):
            item.setData([], [])

    def _draw(self, snap, p: LrProbe) -> None:
        n = p.n_examples
        batch = (f"all {n} training examples" if n == len(self.dataset.x_train)
                 else f"a fixed sample of {n} training examples")
        nudge = (" This lesson trains by <b>nudging</b>, which has no learning rate: the probe shows what "
                 "a gradient step would do instead." if snap.settings.get("method") == "nudge" else "")
        self.header.setText(
            f"From the weights at iteration {snap.iteration}, on {batch}: the loss after <b>one</b> plain "
            f"gradient step θ − lr·∇L, for step sizes {p.rates[0]:g} … {p.rates[-1]:g}.{nudge}")
        v = p.verdict()
        self.verdict.setText(verdict_text(p))
        self.verdict.setStyleSheet(f"font-size: 14pt; color: {VERDICT_COLOURS[v]};")
        best = ("every step size in this range blew the loss up" if p.best_index is None else
                f"lowest loss in this range: lr {p.best_rate:.3g} → {fmt_loss(p.best_loss)}")
        self.detail.setText(f"{best[0].upper() + best[1:]}. Gradient size |g|² = {p.grad_norm_sq:.4g}: "
                            "for tiny steps the loss falls by about lr·|g|² (dashed line).")

        lo, hi = y_window(p)
        losses = p.losses
        inside = np.isfinite(losses) & (losses <= hi)
        self.curve.setData(p.rates, np.where(inside, losses, np.nan))
        off = ~inside
        self.off_chart.setData(p.rates[off], np.full(int(off.sum()), hi))
        pred = p.base_loss - p.rates * p.grad_norm_sq
        self.predicted.setData(p.rates, np.where(pred >= lo, pred, np.nan), connect="finite")
        cur = p.current_loss if math.isfinite(p.current_loss) and p.current_loss <= hi else hi
        self.current_point.setData([p.current_rate], [cur])
        self.rate_line.setValue(math.log10(p.current_rate))
        self.rate_line.label.setFormat(f"lr {p.current_rate:g}")
        self.base_line.setValue(p.base_loss if math.isfinite(p.base_loss) else hi)
        self.plot.setXRange(math.log10(p.rates[0]), math.log10(p.rates[-1]), padding=0.02)
        self.plot.setYRange(lo, hi + 0.05 * (hi - lo), padding=0)  # room for the whole triangles

    def curve_points(self) -> tuple[np.ndarray, np.ndarray]:
        """(rates, losses) the curve draws, NaN where a point is off the chart."""
        return self.curve.xData, self.curve.yData
