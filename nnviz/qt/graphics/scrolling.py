"""A column of widgets that scrolls vertically inside a short dock instead of growing it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QVBoxLayout, QWidget


def scrolling_column(widgets, min_height: int = 0, right_margin: int = 0, name: str = "") -> QScrollArea:
    """``widgets`` stacked top to bottom (room to spare goes below them) in a frameless scroll
    area that never scrolls sideways: text wraps to the dock's width, height scrolls."""
    body = QWidget()
    lay = QVBoxLayout(body)
    lay.setContentsMargins(0, 0, right_margin, 0)
    for w in widgets:
        lay.addWidget(w)
    lay.addStretch(1)
    area = QScrollArea()
    if name:
        area.setObjectName(name)
    area.setWidget(body)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
    area.setMinimumHeight(min_height)
    return area
