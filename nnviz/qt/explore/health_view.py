"""Explore tab "Where learning happens": which layers get big gradients and move.

Three rows of small charts, one column per weight layer:

1. gradient size ‖∇[W, b]‖ (solid) and the size of the change actually applied
   (dashed) per layer over iterations, log scale — from ``history["grad_norm"]`` and
   ``history["update_norm"]`` at ``history["health_iteration"]``;
2. each layer's weight distribution over time as quantile bands (min–max dotted,
   5–95 % light, 25–75 % dark, median line) from ``history["weight_quantiles"]`` at
   the evaluation iterations ``history["iteration"]``;
3. the histogram of each layer's weights in the snapshot now, bars coloured by sign.

It draws whatever snapshot it is given — a rewound past one included (its history
ends there); a vertical line marks the snapshot's iteration. Missing history keys
(older files, a trainer that does not record them) read as "no data yet".
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QPainterPath
from PySide6.QtWidgets import QLabel, QVBoxLayout

from ...model.core.history import QUANTILES

from .panel import ExplorePanel
from ..graphics.palettes import PALETTES, StableLevel, color_for
from ..graphics.plot_style import fit_title, lighten_plot, plain_axes
from ..graphics.redraw_memo import RedrawMemo
from ..graphics.spares import ahead, spare_plot

BINS = 41  # odd, so one bin is centred on 0
LAYER_COLOURS = ((31, 90, 180), (150, 60, 170), (210, 120, 10), (20, 140, 150), (120, 80, 40),
                 (90, 90, 90))
NO_DATA = "no data yet"
MAX_SYMBOLS = 40  # dots on each recorded point while there are few (one point draws no line)
AHEAD_COLUMNS = 3  # columns made in idle time: the most weight layers a lesson has (mnist, digits, mnist-conv)


def layer_colour(i: int) -> tuple[int, int, int]:
    return LAYER_COLOURS[i % len(LAYER_COLOURS)]


def positive_or_nan(a: np.ndarray) -> np.ndarray:
    """Values a log axis can show; 0, negatives, inf and NaN become NaN (gaps)."""
    a = np.asarray(a, dtype=np.float64)
    return np.where(np.isfinite(a) & (a > 0), a, np.nan)


def log_window(values: np.ndarray, min_decades: float = 2.0) -> tuple[float, float]:
    """(low, high) in log10 units for a log axis over the positive finite values: at least
    ``min_decades`` wide (fewer crowd the axis with minor-tick labels), snapped to quarter
    decades so the axis does not re-lay-out every frame."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v) & (v > 0)]
    if not v.size:
        return (-1.0, 1.0)
    lo, hi = math.log10(v.min()), math.log10(v.max())
    if hi - lo < min_decades:
        mid = 0.5 * (lo + hi)
        lo, hi = mid - min_decades / 2, mid + min_decades / 2
    return math.floor(lo * 4 - 0.5) / 4, math.ceil(hi * 4 + 0.5) / 4


def _title(plot, text: str) -> None:
    """A chart title that never widens its column: it wraps in a narrow one (FitLabel). The
    plain title set its text's width as the column's minimum, and three columns of them pushed
    the layer-3 charts out of a narrow dock."""
    fit_title(plot)
    if plot.titleLabel.text != text:
        plot.setTitle(text, size="9pt")


def _lighten(plot) -> None:
    """Axes and title painted from a cache while training runs (``lighten_plot``): repainted
    in Python on every frame, 14 axes made one repaint of the tab take 40-90 ms of GIL
    hand-overs with the trainer (mnist-conv)."""
    fit_title(plot)
    lighten_plot(plot)


def _set_curve(curve, x, y, **opts) -> None:
    """setData, or an empty curve when y holds no number at all (a nudge lesson's gradient)."""
    if np.isfinite(y).any():
        curve.setData(x, y, **opts)
    else:
        curve.setData([], [])


def health_columns(history: dict, n_layers: int):
    """(iterations (m,), grad_norm (m, L), update_norm (m, L)) or None when absent or malformed."""
    it, g, u = (history.get(k) for k in ("health_iteration", "grad_norm", "update_norm"))
    if it is None or g is None or u is None:
        return None
    it, g, u = np.asarray(it, dtype=np.float64), np.asarray(g, dtype=np.float64), np.asarray(u, dtype=np.float64)
    m = len(it)
    if m == 0 or g.shape != (m, n_layers) or u.shape != (m, n_layers):
        return None
    return it, g, u


def quantile_columns(history: dict, n_layers: int):
    """(iterations (k,), quantiles (k, L, len(QUANTILES))) of the rows that hold numbers, or None."""
    it, q = history.get("iteration"), history.get("weight_quantiles")
    if it is None or q is None:
        return None
    it, q = np.asarray(it, dtype=np.float64), np.asarray(q, dtype=np.float64)
    if q.ndim != 3 or q.shape[0] != len(it) or q.shape[1:] != (n_layers, len(QUANTILES)):
        return None
    rows = np.isfinite(q).any(axis=(1, 2))
    if not rows.any():
        return None
    return it[rows], q[rows]


def weight_histogram(w: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray, int]:
    """(counts (BINS,), edges (BINS+1,), number of non-finite weights) over (−level, +level).

    Weights beyond ±level (none, while the level is fitted) fall outside the bars."""
    w = np.asarray(w, dtype=np.float64).ravel()
    finite = np.isfinite(w)
    counts, edges = np.histogram(w[finite], bins=BINS, range=(-level, level))
    return counts, edges, int((~finite).sum())


def weight_layer_names(snap) -> list[str]:
    """A title per weight layer, counting activations (input = 0): "layer 1 (64→32)" for a dense
    layer, "layer 1 (conv 8@3×3)" for a convolution (a conv net's dense layer comes later: 4),
    "layer 2 (batch norm, 8 γ)" for batch norm, whose weights are its per-channel scales γ."""
    types = snap.layer_types or ("input",) + ("dense",) * len(snap.weights)
    places = [L for L, t in enumerate(types) if t in ("conv", "dense", "batchnorm")]
    out = []
    for L, w in zip(places, snap.weights):
        what = (f"conv {w.shape[0]}@{w.shape[2]}×{w.shape[3]}" if w.ndim == 4
                else f"batch norm, {w.shape[0]} γ" if w.ndim == 1 else f"{w.shape[1]}→{w.shape[0]}")
        out.append(f"layer {L} ({what})")
    return out


class HealthView(ExplorePanel):
    """objectName ``healthView``."""

    title = "Where learning happens"
    live = True  # a few setData calls per refresh

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("healthView")
        self.palette_name = "green-red"
        self.dataset = None
        self._snap = None
        self._drawn = None
        self._n_layers = 0
        self._short: list[str] = []
        self._fresh = True
        self._generation = None
        self.levels: list[StableLevel] = []
        self.histograms: list[tuple[np.ndarray, np.ndarray, int]] = []
        self._memo = RedrawMemo()
        self._data: dict[str, tuple] = {}  # chart -> copies of the arrays its curves were last given
        self._brushes: dict[int, tuple] = {}  # weight layer -> (level, palette, its bars' brushes)

        self.header = QLabel("Open a lesson to see where learning happens.")
        self.header.setObjectName("healthHeader")
        self.header.setWordWrap(True)
        self.header.setStyleSheet("color: #444;")
        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground("w")
        self.stats = QLabel("")
        self.stats.setObjectName("healthStats")
        self.stats.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(self.header)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.stats)
        self.norm_plot = None
        self.grad_curves: list = []  # one per layer ever shown (the pool); the first L are drawn
        self.update_curves: list = []
        self._columns: list[tuple] = []  # (band plot, band, histogram plot, bars) per layer ever shown
        self.band_plots: list[pg.PlotItem] = []
        self.hist_plots: list[pg.PlotItem] = []
        ahead(self._make_ahead)

    # -- hooks --------------------------------------------------------------------

    def set_lesson(self, dataset) -> None:
        self.dataset = dataset
        self._drawn = None
        self._fresh = True  # the charts start afresh for the lesson's network (kept if it has the same columns)

    def show_snapshot(self, snap, frame=None) -> None:
        if snap is None or snap is self._drawn:
            return
        self._snap = snap
        self._draw(snap)

    def set_palette(self, name: str) -> None:
        if name in PALETTES and name != self.palette_name:
            self.palette_name = name
            if self._snap is not None:
                self._drawn = None
                self._draw(self._snap)

    # -- building -----------------------------------------------------------------

    def _forget(self) -> None:
        """Nothing drawn yet as far as the charts know: ranges, curves' data, bar colours, levels."""
        self._memo.forget()
        self._data.clear()
        self._brushes.clear()
        self.levels = [StableLevel() for _ in range(self._n_layers)]
        self._fresh = False

    def _build(self, L: int) -> None:
        """One column of charts per weight layer. Columns once made are kept (taken out of the grid
        when a lesson has fewer layers): a lesson switch with this tab showing spent ~0.15-0.3 s
        making the same plots again."""
        for item in list(self.view.ci.items):
            self.view.ci.removeItem(item)
        self._n_layers = L
        self._forget()
        if self.norm_plot is None:
            self._make_norm_plot()
        self.view.addItem(self.norm_plot, row=0, col=0, colspan=L)
        while len(self.grad_curves) < L:
            c = layer_colour(len(self.grad_curves))
            self.grad_curves.append(self.norm_plot.plot(pen=pg.mkPen(c, width=2), connect="finite"))
            self.update_curves.append(self.norm_plot.plot(pen=pg.mkPen(c, width=1.5, style=pg.QtCore.Qt.DashLine),
                                                          connect="finite"))
        for curve in self.grad_curves[L:] + self.update_curves[L:]:
            curve.setData([], [])  # a layer the lesson does not have
        while len(self._columns) < L:
            self._columns.append(self._make_column(len(self._columns)))
        for i, (bp, _, hp, _) in enumerate(self._columns[:L]):
            self.view.addItem(bp, row=1, col=i)
            self.view.addItem(hp, row=2, col=i)
        self.band_plots, self.bands, self.hist_plots, self.hist_bars = (list(x) for x in zip(*self._columns[:L]))
        self.view.ci.layout.setRowStretchFactor(0, 3)
        self.view.ci.layout.setRowStretchFactor(1, 3)
        self.view.ci.layout.setRowStretchFactor(2, 2)

    def _make_ahead(self) -> bool:
        """One piece of the charts a lesson's first layout takes (the norm chart, then a column),
        made in idle time; False once AHEAD_COLUMNS columns are ready."""
        if self.norm_plot is None:
            self._make_norm_plot()
        elif len(self._columns) < AHEAD_COLUMNS:
            self._columns.append(self._make_column(len(self._columns)))
        return len(self._columns) < AHEAD_COLUMNS

    def _make_norm_plot(self) -> None:
        self.norm_plot = p = spare_plot()  # placed by _build
        p.setLogMode(y=True)
        p.showGrid(x=True, y=True, alpha=0.25)
        p.setLabel("bottom", "iteration")
        p.setLabel("left", "size (log)")
        p.setMenuEnabled(False)
        p.hideButtons()
        p.setClipToView(True)
        p.setDownsampling(auto=True, mode="peak")
        plain_axes(p)  # not "iteration (x0.001)"
        self.norm_text = self._no_data_text(p)
        self.norm_now = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen((120, 120, 120), width=1))
        p.addItem(self.norm_now)
        _lighten(p)

    def _make_column(self, i: int) -> tuple:
        """Weight layer ``i``'s band plot, its curves and fills, its histogram plot and bars."""
        c = layer_colour(i)
        # out of the grid until _build places it: one made ahead into it relaid out the charts on show
        bp = spare_plot()
        bp.showGrid(x=True, y=True, alpha=0.2)
        bp.setMenuEnabled(False)
        bp.hideButtons()
        plain_axes(bp)
        curves = {q: bp.plot(pen=pg.mkPen(c, width=1, style=pg.QtCore.Qt.DotLine)) for q in (0, 6)}
        for q in (1, 5):
            curves[q] = bp.plot(pen=pg.mkPen((*c, 90), width=1))
        for q in (2, 4):
            curves[q] = bp.plot(pen=pg.mkPen((*c, 150), width=1))
        curves[3] = bp.plot(pen=pg.mkPen(c, width=2))
        fills = [pg.FillBetweenItem(curves[1], curves[5], brush=(*c, 45)),
                 pg.FillBetweenItem(curves[2], curves[4], brush=(*c, 90))]
        for f in fills:
            bp.addItem(f)
        bp.addItem(pg.InfiniteLine(pos=0, angle=0, movable=False, pen=pg.mkPen((150, 150, 150), width=1)))
        now = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen((120, 120, 120), width=1))
        bp.addItem(now)
        band = {"curves": curves, "fills": fills, "now": now, "text": self._no_data_text(bp)}

        hp = spare_plot()
        hp.setMenuEnabled(False)
        hp.hideButtons()
        hp.setLabel("bottom", "weight")
        plain_axes(hp)
        bars = pg.BarGraphItem(x0=[0], x1=[0], height=[0], pen=None)
        hp.addItem(bars)
        hp.addItem(pg.InfiniteLine(pos=0, angle=90, movable=False, pen=pg.mkPen((150, 150, 150), width=1)))
        _lighten(bp)
        _lighten(hp)
        return bp, band, hp, bars

    @staticmethod
    def _no_data_text(plot) -> pg.TextItem:
        t = pg.TextItem(NO_DATA, color=(140, 140, 140), anchor=(0.5, 0.5))
        t.setVisible(False)
        plot.addItem(t, ignoreBounds=True)
        return t

    def _show_no_data(self, plot, text: pg.TextItem, x_end: float) -> None:
        """Empty chart with "no data yet" in its middle and calm axes (0 … the iteration)."""
        plot.setXRange(0, x_end, padding=0.02)
        plot.setYRange(-1, 1, padding=0)  # log axis: 0.1 … 10; linear: −1 … 1
        text.setPos(x_end / 2, 0)
        text.setVisible(True)

    def _layer_key(self) -> str:
        """The norm chart's title: which colour is which layer, solid vs dashed."""
        keys = "  ".join(f"<span style='color: rgb{layer_colour(i)}'>■ {self._short[i]}</span>"
                         for i in range(self._n_layers))
        return f"{keys} — solid ‖∇‖, dashed ‖Δ‖"

    # -- drawing --------------------------------------------------------------------

    def _unchanged(self, chart: str, *arrays) -> bool:
        """Were ``chart``'s curves last given exactly these arrays? (Else they are recorded as
        given.) The quantiles are recorded four times an epoch, the norms every few iterations:
        most steps leave them as they were, and setting ~30 curves again cost a third of a draw."""
        prev = self._data.get(chart)
        if prev is not None and len(prev) == len(arrays) and all(
                a.shape == b.shape and np.array_equal(a, b, equal_nan=True) for a, b in zip(prev, arrays)):
            return True
        self._data[chart] = tuple(np.array(a, copy=True) for a in arrays)
        return False

    def _bar_brushes(self, i: int, centres: np.ndarray, level: float) -> list:
        """Weight layer ``i``'s bar colours under ``level``, made again only when it or the palette
        changes (a StableLevel stays put for many steps)."""
        cached = self._brushes.get(i)
        if cached is None or cached[0] != level or cached[1] != self.palette_name:
            brushes = [color_for(float(x), level, self.palette_name) for x in centres]
            cached = self._brushes[i] = (level, self.palette_name, brushes)
        return cached[2]

    def _draw(self, snap) -> None:
        L = len(snap.weights)
        names = weight_layer_names(snap)
        self._short = [n.split(" (")[0] for n in names]  # "layer 4": the titles and the key say which
        if L != self._n_layers or self.norm_plot is None:
            self._build(L)
        elif self._fresh:
            self._forget()
        if snap.generation != self._generation:
            self._generation = snap.generation
            for lv in self.levels:
                lv.reset()
        self._drawn = snap
        history = snap.history or {}
        nudge = snap.settings.get("method") == "nudge"
        self.header.setText(
            f"Iteration {snap.iteration}. <b>Top</b>: per layer, how big its gradient is (solid, ‖∇‖) and how "
            "far its weights actually moved (dashed, ‖Δ‖), over iterations, log scale. <b>Middle</b>: each "
            "layer's weights over iterations — median line, dark band the middle half, light band 5–95 %, "
            "dotted min and max. <b>Bottom</b>: the weights now (count per value), green positive, red "
            "negative. A gap in a line is an iteration that changed nothing (a log axis has no 0)."
            + (" This lesson trains by nudging: there is no gradient, only the change." if nudge else ""))

        x_end = float(max(snap.iteration, 1))
        health = health_columns(history, L)
        _title(self.norm_plot, self._layer_key())
        if health is None:
            self._data.pop("norm", None)
            for c in self.grad_curves + self.update_curves:
                c.setData([], [])
            self._show_no_data(self.norm_plot, self.norm_text, x_end)
        else:
            it, g, u = health
            self.norm_text.setVisible(False)
            dots = len(it) <= MAX_SYMBOLS
            if not self._unchanged("norm", it, g, u):
                for i in range(L):
                    c = layer_colour(i)
                    _set_curve(self.grad_curves[i], it, positive_or_nan(g[:, i]), symbol="o" if dots else None,
                               symbolSize=5, symbolBrush=c, symbolPen=None)
                    _set_curve(self.update_curves[i], it, positive_or_nan(u[:, i]), symbol="s" if dots else None,
                               symbolSize=5, symbolBrush=None, symbolPen=pg.mkPen(c))
            self.norm_plot.setXRange(0, x_end, padding=0.02)
            self._memo.set_if_changed("norm_y", log_window(np.concatenate([g.ravel(), u.ravel()])),
                                      lambda r: self.norm_plot.setYRange(*r, padding=0))
        self.norm_now.setValue(snap.iteration)

        quant = quantile_columns(history, L)
        for i, (bp, band) in enumerate(zip(self.band_plots, self.bands)):
            _title(bp, names[i])
            if quant is None:
                self._data.pop(f"band {i}", None)
                for c in band["curves"].values():
                    c.setData([], [])
                for f in band["fills"]:  # an emptied curve leaves its fill's old path drawn
                    f.setPath(QPainterPath())
                self._show_no_data(bp, band["text"], x_end)
            else:
                it, q = quant
                band["text"].setVisible(False)
                dots = len(it) <= MAX_SYMBOLS
                if not self._unchanged(f"band {i}", it, q[:, i]):
                    for k, c in band["curves"].items():
                        _set_curve(c, it, q[:, i, k])
                    _set_curve(band["curves"][3], it, q[:, i, 3], symbol="o" if dots else None, symbolSize=5,
                               symbolBrush=layer_colour(i), symbolPen=None)
                bp.setXRange(0, x_end, padding=0.02)
                bp.enableAutoRange("y")
            band["now"].setValue(snap.iteration)

        self.histograms = []
        stats = []
        for i, (hp, bars) in enumerate(zip(self.hist_plots, self.hist_bars)):
            w = snap.weights[i]
            level = self.levels[i].update(w)
            counts, edges, bad = weight_histogram(w, level)
            self.histograms.append((counts, edges, bad))
            centres = 0.5 * (edges[:-1] + edges[1:])
            brushes = self._bar_brushes(i, centres, level)
            bars.setOpts(x0=edges[:-1], x1=edges[1:], height=counts, brushes=brushes, pen=None)
            finite = w[np.isfinite(w)]
            spread = (f"from {finite.min():+.3g} to {finite.max():+.3g}, median {np.median(finite):+.3g}"
                      if finite.size else "no finite weights")
            flagged = f", <b style='color:#c0c'>{bad} not a number</b>" if bad else ""
            stats.append(f"<span style='color: rgb{layer_colour(i)}'>■</span> {self._short[i]}: {w.size} weights "
                         f"{spread}{flagged}")
            _title(hp, f"{self._short[i]} now")
            hp.setXRange(-level, level, padding=0.02)
            hp.setYRange(0, max(1, int(counts.max())) * 1.05, padding=0)
        self.stats.setText("Weights now: " + "; ".join(stats) + ".")

    # -- reading back (tests) ---------------------------------------------------------

    def drawn_for(self):
        """The snapshot the charts show, or None."""
        return self._drawn

    def norm_curve_data(self, layer: int) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        """((x, gradient), (x, change)) as given to the curves of weight layer ``layer`` (0-based)."""
        g, u = self.grad_curves[layer], self.update_curves[layer]
        return (g.xData, g.yData), (u.xData, u.yData)

    def band_data(self, layer: int) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """{quantile index: (x, y)} drawn for weight layer ``layer`` (0-based)."""
        return {k: (c.xData, c.yData) for k, c in self.bands[layer]["curves"].items()}

    def histogram_bars(self, layer: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(x0, x1, height) of the bars drawn for weight layer ``layer``."""
        o = self.hist_bars[layer].opts
        return np.asarray(o["x0"]), np.asarray(o["x1"]), np.asarray(o["height"])
