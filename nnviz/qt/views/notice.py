"""A banner above the views for things that need a decision (e.g. training diverged)."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton


class NoticeBar(QFrame):
    """objectName ``noticeBar``: a sentence and a few buttons; hidden until needed."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("noticeBar")
        self.setStyleSheet("#noticeBar { background: #fff3cd; border: 1px solid #e0b84c; border-radius: 4px; }"
                           "#noticeBar QLabel { color: #5a4000; }")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self._lay = QHBoxLayout(self)
        self._lay.setContentsMargins(8, 4, 8, 4)
        self._lay.addWidget(self.label, 1)
        self.buttons: list[QPushButton] = []
        self.hide()

    def show_notice(self, text: str, actions=()) -> None:
        """``actions``: (label, callable) pairs; every button also closes the notice."""
        for b in self.buttons:
            b.deleteLater()
        self.buttons = []
        self.label.setText(text)
        for label, slot in list(actions) + [("Dismiss", None)]:
            b = QPushButton(label)
            b.clicked.connect(lambda _=False, s=slot: (self.hide(), s and s()))
            self._lay.addWidget(b)
            self.buttons.append(b)
        self.show()
