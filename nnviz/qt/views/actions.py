"""Menu/toolbar actions with their shortcuts, built from one table."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence


def make_action(parent, text: str, slot=None, shortcut=None, tip: str = "", checkable: bool = False,
                object_name: str = "") -> QAction:
    """A QAction whose tooltip repeats its shortcut, so buttons built from it teach the keys."""
    a = QAction(text, parent)
    keys = []
    if shortcut is not None:
        seqs = shortcut if isinstance(shortcut, (list, tuple)) else [shortcut]
        keys = [QKeySequence(s) for s in seqs]
        a.setShortcuts(keys)
    hint = f" ({keys[0].toString(QKeySequence.NativeText)})" if keys else ""
    a.setToolTip((tip or text.replace("&", "")) + hint)
    a.setStatusTip(tip or text.replace("&", ""))
    a.setCheckable(checkable)
    if object_name:
        a.setObjectName(object_name)
    if slot is not None:
        a.triggered.connect(slot)
    return a
