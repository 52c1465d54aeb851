"""How plots are set up so a frame stays cheap: image plots, cached axes and titles,
subtrees Qt may skip, counters of a fixed size (``cache_static`` says why it matters)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGraphicsItem, QLabel


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


def lighten_plot(plot) -> None:
    """Cache a PlotItem's axes and title (see ``cache_static``) and tell Qt its
    ViewBox draws nothing itself (no border), so repainting what it holds makes no
    Python call for the box. Idempotent; call after the plot's axes and title are set."""
    cache_static(*(plot.getAxis(name) for name in ("left", "bottom", "top", "right")), plot.titleLabel)
    border = plot.vb.border  # pyqtgraph keeps a NoPen pen for "no border"
    if border is None or border.style() == Qt.NoPen:
        plot.vb.setFlag(QGraphicsItem.ItemHasNoContents, True)


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
