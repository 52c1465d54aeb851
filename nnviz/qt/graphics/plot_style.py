"""How plots are set up so a frame stays cheap: image plots, cached axes and titles,
subtrees Qt may skip, counters of a fixed size (``cache_static`` says why it matters)."""

from __future__ import annotations

import math
import re
import types
import weakref
from contextlib import contextmanager

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics, QTextOption
from PySide6.QtWidgets import QApplication, QGraphicsItem, QLabel


def style_image_plot(p, axes: bool = False) -> None:
    """A pyqtgraph PlotItem set up to show an image: square pixels, row 0 on top, no menu."""
    p.setAspectLocked(True)
    p.invertY(True)
    p.setMenuEnabled(False)
    p.hideButtons()
    if not axes:
        p.hideAxis("left")
        p.hideAxis("bottom")


def fit_image(plot, item, square: bool) -> None:
    """Frame ``item`` in ``plot``: square pixels for an image, stretched to fill the box for a
    strip (``square=False``, e.g. one deeper neuron's row of weights)."""
    plot.setAspectLocked(square)
    plot.vb.autoRange(items=[item], padding=0.02)


def cache_static(*items) -> None:
    """Let Qt keep each item's picture as a pixmap at screen resolution and repaint it only
    when the item itself calls ``update()`` (a new range, level, text or image).

    Why: every pyqtgraph item paints in Python, and while training runs the GUI thread
    must win the GIL back from the trainer for each such call. Axes, titles, legends and
    colour bars rarely change, yet sit in the region a changing image or curve dirties,
    so without a cache they are re-painted — text, ticks, grid lines — every frame.
    """
    for item in items:
        if item is not None:
            item.setCacheMode(QGraphicsItem.DeviceCoordinateCache)


BAR_LABEL_ROOM = 8  # pixels above and below a colour bar: half a tick label's height


def room_for_end_labels(bar) -> None:
    """Half a tick label's height above and below a colour bar (a ColorBarItem): an end level
    on the view's edge ("1.0" over the smile's weights, "-0.1") was cut in two."""
    bar.setContentsMargins(0, BAR_LABEL_ROOM, 0, BAR_LABEL_ROOM)


def lighten_plot(plot) -> None:
    """Cache a PlotItem's axes and title (see ``cache_static``) and tell Qt its
    ViewBox draws nothing itself (no border), so repainting what it holds makes no
    Python call for the box. Idempotent; call after the plot's axes and title are set."""
    cache_static(*(plot.getAxis(name) for name in ("left", "bottom", "top", "right")), plot.titleLabel)
    border = plot.vb.border  # pyqtgraph keeps a NoPen pen for "no border"
    if border is None or border.style() == Qt.NoPen:
        plot.vb.setFlag(QGraphicsItem.ItemHasNoContents, True)


def quiet_axes(plot) -> None:
    """Each axis of ``plot`` (a PlotItem) re-renders its label only when that can change what it
    shows. Why: pyqtgraph sets a label's HTML anew and re-sizes its axis on every range change,
    hidden labels too (an image plot's four axes), and laying a dozen plots out changes each
    range several times. A hidden label with no unit prefix in use shows nothing whatever the
    range, so only the tick picture is redrawn then."""
    for name in ("left", "bottom", "top", "right"):
        axis = plot.getAxis(name)
        axis.updateAutoSIPrefix = types.MethodType(_quiet_prefix, axis)


def _quiet_prefix(axis) -> None:
    if axis.label.isVisible() or axis.autoSIPrefixScale != 1.0 or axis.labelUnitPrefix != "":
        type(axis).updateAutoSIPrefix(axis)  # pyqtgraph's own
        return
    axis.picture = None  # as pyqtgraph's setRange does for an axis without the SI prefix
    axis.update()


def _no_pass() -> None:
    pass


@contextmanager
def one_layout_pass(view):
    """Add items to ``view`` (a GraphicsLayoutWidget) and lay its grid out once, at the end.
    pyqtgraph lays the whole grid out after every item added, resizing each plot already in it
    (and its axes) once more per plot that follows."""
    grid = view.ci.layout
    grid.activate = _no_pass  # shadows the C++ method for pyqtgraph's call from Python
    try:
        yield
    finally:
        del grid.activate
        grid.activate()


def skip_when_clean(*items) -> None:
    """Clip each item's children to it, so a repaint that does not touch the item skips its
    whole subtree: Qt otherwise asks every descendant (axes, title, images — each a Python
    ``boundingRect``) whether it needs painting. Only for items whose children stay inside
    them (image plots without axes, colour bars)."""
    for item in items:
        item.setFlag(QGraphicsItem.ItemClipsChildrenToShape, True)


def fix_label_size(label: QLabel, widest: str) -> None:
    """Give a counter that changes every frame a fixed size that fits ``widest``: a label whose
    size hint moves with its text makes Qt re-lay-out the whole window each frame."""
    label.ensurePolished()  # the style sheet's font is applied from here on
    m = label.fontMetrics()
    label.setFixedSize(m.horizontalAdvance(widest) + 4, m.height() + 2)
    label.setAutoFillBackground(True)  # opaque: a new number repaints the label, not the dock behind it


class FitLabel(pg.LabelItem):
    """A plot title that never asks its plot for more width than it gets: in a narrow column it
    wraps (centred, smaller if need be), and what still does not fit is cut. pyqtgraph's title makes its text width
    the plot's minimum width, so one long title ("layer 1: 16 neurons · 16 saturated") pushed the
    plots beside it out of their view."""

    # the text's unwrapped width: 0 before the first text, None while setText measures it (a
    # class default: pyqtgraph's __init__ already sets the text, before ours could set it)
    _natural: float | None = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setFlag(QGraphicsItem.ItemClipsChildrenToShape, True)
        self.item.document().setDefaultTextOption(QTextOption(Qt.AlignHCenter))
        self.item.document().setDocumentMargin(1)  # two 9pt lines fit the title's 30 pixels

    def setText(self, text, **args):
        self.item.setTextWidth(-1)
        self.item.setScale(1.0)
        self._natural = None  # measured unwrapped first
        super().setText(text, **args)
        self._natural = self.item.boundingRect().width()
        if self._wrap():
            super().resizeEvent(None)  # centre it again, wrapped

    def _wrap(self) -> bool:
        """Wrap the text to the label's width when it is narrower than the text, in a smaller font
        (down to 70%) when the lines would not fit the title's height; True if that changed."""
        if self._natural is None:
            return False
        w, before = self.size().width(), (self.item.textWidth(), self.item.scale())
        scale = 1.0
        if not 0 < w < self._natural:
            self.item.setTextWidth(-1)
        else:
            for scale in (1.0, 0.9, 0.8, 0.7):
                self.item.setTextWidth(w / scale)
                if self.item.boundingRect().height() * scale <= self.maximumHeight():
                    break
        self.item.setScale(scale)
        return (self.item.textWidth(), scale) != before

    def resizeEvent(self, ev):
        self._wrap()
        super().resizeEvent(ev)

    def updateMin(self):
        bounds = self.itemRect()
        height = min(bounds.height(), self.maximumHeight())  # never above the title row's fixed height
        self.setMinimumWidth(0)
        self.setMinimumHeight(height)
        self._sizeHint = {Qt.SizeHint.MinimumSize: (0, height),
                          Qt.SizeHint.PreferredSize: (0, height),
                          Qt.SizeHint.MaximumSize: (-1, -1), Qt.SizeHint.MinimumDescent: (0, 0)}
        self.updateGeometry()


def fit_title(plot) -> None:
    """Give ``plot`` (a PlotItem) a FitLabel title; call before setting the title and before
    ``lighten_plot``."""
    old = plot.titleLabel
    if isinstance(old, FitLabel):
        return
    new = FitLabel("", size="11pt", parent=plot)
    plot.layout.removeItem(old)
    if old.scene() is not None:
        old.scene().removeItem(old)
    plot.layout.addItem(new, 0, 1)
    plot.titleLabel = new
    plot.setTitle(None)


_COMPACT_EXPONENT = re.compile(r"e\+?(-?)0*(\d)")
VERTICAL_WIDEST = "0.0001"  # the widest tick label a vertical axis shows as it is (spaced_ticks)


def short_number(v: float, digits: int) -> str:
    """``v`` as a power of ten with up to ``digits`` significant digits: "1.25e5", "-4e-4", "0"."""
    if v == 0 or not math.isfinite(v):
        return "0" if v == 0 else str(v)
    mantissa, _, exponent = f"{v:.{digits - 1}e}".partition("e")
    mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
    return f"{mantissa}e{int(exponent)}"


def fit_vertical_labels(values, scale: float, strings: list[str], fm: QFontMetrics) -> list[str] | None:
    """One level of a vertical axis's tick labels in the room VERTICAL_WIDEST takes: as they are
    when they all fit, else every one as a power of ten (one notation on the level) with the most
    significant digits (at most three) that fit and still tell the ticks apart; None if none do."""
    room = fm.horizontalAdvance(VERTICAL_WIDEST)
    strings = [_COMPACT_EXPONENT.sub(r"e\1\2", s) for s in strings]  # pyqtgraph's "4e+08" is "4e8"
    if all(fm.horizontalAdvance(s) <= room for s in strings):
        return strings
    for digits in (3, 2, 1):
        short = [short_number(v * scale, digits) for v in values]
        if all(fm.horizontalAdvance(s) <= room for s in short):
            return short if len(set(short)) == len(set(values)) else None
    return None


def plain_axes(plot) -> None:
    """Numbers as they are on every axis of ``plot`` (a PlotItem or PlotWidget): pyqtgraph's SI
    prefixes turned "iteration" into "iteration (x0.001)" and a loss of 0.0023 into 2.3."""
    item = plot.getPlotItem() if hasattr(plot, "getPlotItem") else plot
    for name in ("left", "bottom", "top", "right"):
        item.getAxis(name).enableAutoSIPrefix(False)
        spaced_ticks(item.getAxis(name))


def spaced_ticks(axis) -> None:
    """Label only every n-th major tick of ``axis`` when its labels would touch (the others stay as
    unlabelled ticks): pyqtgraph labels every major tick whatever the room, and a short axis ran
    1000, 2000, 3000 together into "1000020003000". On a log axis, the 2…9 between decades lose
    their labels when they would touch (a short one stacked "0.2 … 0.9 1 2 … 9" on each other).
    A vertical axis whose labels are wider than "0.0001" (what its fixed width holds beside the
    axis title) reads in short powers of ten ("5e5"): a blown-up loss's "500000" ran into "loss".
    Idempotent."""
    if getattr(axis, "_spaced", False):
        return
    axis._spaced = True
    generate, ref = type(axis).tickValues, weakref.ref(axis)  # no cycle: the axis goes with its plot

    def metrics(axis) -> QFontMetrics:
        font = axis.style.get("tickFont")
        return QFontMetrics(QFont(font) if font is not None else QApplication.font())

    def tick_values(lo, hi, size):
        axis = ref()
        levels = generate(axis, lo, hi, size)
        span = abs(hi - lo) * axis.scale
        fm = metrics(axis)
        if axis.logMode:  # the 2…9 between decades are labelled only where 0.8 and 0.9 have room apart
            need = fm.height() + 2 if axis.orientation in ("left", "right") else fm.horizontalAdvance("0.9") + 6
            axis._minor_labels = size > 0 and span > 0 and size / span * math.log10(10 / 9) >= need
            return levels
        if not levels or not len(levels[0][1]) or size <= 0 or span <= 0:
            return levels
        spacing, values = levels[0]
        axis._major_spacing = spacing
        if axis.orientation in ("left", "right"):
            need = fm.height() + 2
        else:
            strings = axis.tickStrings(list(values), axis.autoSIPrefixScale * axis.scale, spacing)
            need = max(fm.horizontalAdvance(str(s)) for s in strings) + 10
        step = math.ceil(need / (spacing * size / span))
        if step <= 1:
            return levels
        keep = [v for v in values if round(v / spacing) % step == 0] or list(values[:1])
        rest = sorted(set(values) - set(keep)) + (list(levels[1][1]) if len(levels) > 1 else [])
        return [(spacing * step, keep), (levels[1][0] if len(levels) > 1 else spacing, sorted(rest))] + levels[2:]

    strings = type(axis).tickStrings

    def tick_strings(values, scale, spacing):
        axis = ref()
        out = strings(axis, values, scale, spacing)
        if axis.logMode and not getattr(axis, "_minor_labels", True):
            out = [s if abs(v - round(v)) < 1e-6 else "" for v, s in zip(values, out)]
        elif not axis.logMode and axis.orientation in ("left", "right"):
            fitted = fit_vertical_labels(values, scale, out, metrics(axis))
            # labels that fit in no form: the in-between ticks go unlabelled, the main ones stay
            # as they are (a number too wide beats a wrong one)
            minor = spacing < getattr(axis, "_major_spacing", spacing)
            out = fitted if fitted is not None else [""] * len(out) if minor else out
        return out

    axis.tickValues = tick_values
    axis.tickStrings = tick_strings


def fitted_axis_title(plot, side: str, title: str) -> None:
    """``title`` on the ``side`` axis of ``plot``, shortened with "…" to the room the axis has
    (a tooltip keeps it whole): a short plot cut "accuracy" to "accurac" with no sign of the cut,
    and a cut title ran into the next plot's ("accuracoss")."""
    item = plot.getPlotItem() if hasattr(plot, "getPlotItem") else plot
    axis = item.getAxis(side)
    axis.setToolTip(title)
    shown = [None]

    def fit():
        vertical = side in ("left", "right")
        room = int((axis.geometry().height() if vertical else axis.geometry().width())) - 6
        fm = QFontMetrics(axis.label.font())
        text = title if fm.horizontalAdvance(title) <= room else fm.elidedText(title, Qt.ElideRight, max(room, 0))
        text = text if text.strip("…") else ""  # a lone "…" says nothing: no title
        if text != shown[0]:
            shown[0] = text
            axis.setLabel(text)

    axis.geometryChanged.connect(fit)
    fit()
