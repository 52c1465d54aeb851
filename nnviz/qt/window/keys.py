"""Training keys that work whenever no text is being typed.

A focused number field (learning rate, batch size …) claims Space and the arrow keys as text
keys, so after typing 100 and Enter a learner's Space blanked the field and training ran on.
A number field never takes a space or a letter, so those reach their shortcuts (Space runs or
pauses, R resets, N steps); and Enter in a number field hands the focus back to the window, so
→ steps again. While a text field (the hidden-layer list) has focus, every key is its own.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QAbstractSpinBox

#: keys a number field has no use for, and that are training shortcuts
NOT_NUMBERS = {Qt.Key_Space, Qt.Key_R, Qt.Key_N, Qt.Key_D, Qt.Key_P}


class TrainingKeys(QObject):
    """An event filter on each number field of ``window`` (not on the whole application: that
    would be one Python call per Qt event, thousands a second while training runs)."""

    def __init__(self, window):
        super().__init__(window)
        for spin in window.findChildren(QAbstractSpinBox):
            spin.installEventFilter(self)

    def eventFilter(self, obj, event):
        kind = event.type()
        if kind not in (QEvent.ShortcutOverride, QEvent.KeyPress) or event.modifiers() & ~Qt.KeypadModifier:
            return False
        key = event.key()
        if kind == QEvent.ShortcutOverride and key in NOT_NUMBERS:
            event.ignore()  # not the field's: the window's shortcut takes it
            return True
        if kind == QEvent.KeyPress and key in (Qt.Key_Return, Qt.Key_Enter):
            # the value is committed by the field itself first; then the keys are training's again
            QTimer.singleShot(0, lambda: obj.clearFocus() if obj.hasFocus() else None)
        return False
