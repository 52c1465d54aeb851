"""Every text a learner can read in a window, keyed by where it is: the fresh-window oracle's eyes.

``screen_text(win)`` -> {path: text} over the widgets visible in the window: labels, buttons
(with their checked state), field values, combo boxes, tab titles, dock titles, table cells
(the first rows), and inside pyqtgraph views the plot titles, axis labels, axis tick labels and
text items. A path is the chain of object names (or class names, numbered among siblings) from
the window down, so the same widget has the same path in two windows built alike.

Left out on purpose, because they say *what just happened* rather than what is: the status
bar's passing message and the notice bar (both are checked by their own tests).
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import (
    QAbstractButton, QAbstractSpinBox, QComboBox, QDockWidget, QLabel, QLineEdit, QStatusBar, QTabBar,
    QTableView, QWidget,
)

TABLE_ROWS = 4  # first rows of a table: enough to see a stale one
EVENT_WIDGETS = ("noticeBar",)  # what just happened, not what is


def _named_prefix(w: QWidget, root: QWidget) -> str:
    """The object names of ``w``'s named ancestors, outermost first. Unnamed containers are left out:
    their order among siblings differs between windows built alike (a stacked widget's pages)."""
    parts = []
    w = w.parentWidget()
    while w is not None and w is not root:
        if w.objectName():
            parts.append(w.objectName())
        w = w.parentWidget()
    return "/".join(reversed(parts))


def _skipped(w: QWidget, root: QWidget) -> bool:
    while w is not None and w is not root:
        if w.objectName() in EVENT_WIDGETS or isinstance(w, QStatusBar):
            return True
        w = w.parentWidget()
    return False


NOMINAL_PX = 400  # ticks are asked for at one length: the oracle compares scales and ranges, not pixels


def _axis_text(axis: pg.AxisItem) -> str:
    """The axis's title and its ticks over its range. Asked at NOMINAL_PX, so two windows differing
    by a few pixels of layout (which label spacing follows) read alike, while another range or
    scale (an epoch axis kept from the last lesson) does not."""
    lo, hi = axis.range
    ticks = []
    for spacing, values in axis.tickValues(lo, hi, NOMINAL_PX):
        ticks += axis.tickStrings(values, axis.autoSIPrefixScale * axis.scale, spacing)
    return f"{axis.labelText!r} ticks {ticks}" if axis.isVisible() else ""


def _graphics_texts(view: pg.GraphicsView, path: str) -> dict[str, str]:
    out = {}
    items = [i for i in view.scene().items() if i.isVisible()]
    kinds: dict[str, int] = {}
    for item in items:
        text = None
        if isinstance(item, pg.PlotItem):
            text = item.titleLabel.text if item.titleLabel.isVisible() else ""
        elif isinstance(item, pg.AxisItem):
            text = _axis_text(item)
        elif isinstance(item, pg.TextItem):
            text = item.textItem.toPlainText()
        elif isinstance(item, pg.LabelItem):
            text = item.text
        if text:
            kind = type(item).__name__
            n = kinds[kind] = kinds.get(kind, -1) + 1
            out[f"{path}/{kind}#{n}"] = text
    return out


def screen_text(win: QWidget) -> dict[str, str]:
    out: dict[str, str] = {}
    counts: dict[tuple, int] = {}
    for w in win.findChildren(QWidget):
        if not w.isVisibleTo(win) or _skipped(w, win):
            continue
        prefix = _named_prefix(w, win)
        if w.objectName():
            path = f"{prefix}/{w.objectName()}"
        else:  # numbered among the visible widgets of its kind under the same named ancestors
            k = counts[(prefix, type(w))] = counts.get((prefix, type(w)), -1) + 1
            path = f"{prefix}/{type(w).__name__}#{k}"
        if isinstance(w, QLabel):
            text = w.text()
        elif isinstance(w, QAbstractButton):
            text = w.text() + (f" [{'on' if w.isChecked() else 'off'}]" if w.isCheckable() else "")
            text += "" if w.isEnabled() else " (disabled)"
        elif isinstance(w, QLineEdit):
            text = w.text()
        elif isinstance(w, QAbstractSpinBox):
            text = w.text() + ("" if w.isEnabled() else " (disabled)")
        elif isinstance(w, QComboBox):
            text = w.currentText()
        elif isinstance(w, QTabBar):
            text = " | ".join(w.tabText(i) for i in range(w.count())) + f" @ {w.currentIndex()}"
        elif isinstance(w, QDockWidget):
            text = w.windowTitle()
        elif isinstance(w, QTableView) and w.model() is not None:
            m = w.model()
            text = " / ".join(" ; ".join(str(m.index(r, c).data() or "") for c in range(m.columnCount()))
                              for r in range(min(TABLE_ROWS, m.rowCount())))
        elif isinstance(w, pg.GraphicsView):
            out.update(_graphics_texts(w, path))
            continue
        else:
            continue
        if text:
            out[path] = text
    return out


def differences(got: dict[str, str], want: dict[str, str]) -> list[str]:
    """One line per place where the two windows read differently (present in one only, or not equal)."""
    lines = []
    for key in sorted(set(got) | set(want)):
        a, b = got.get(key), want.get(key)
        if a != b:
            lines.append(f"{key}:\n    after the change: {a!r}\n    fresh window:     {b!r}")
    return lines
