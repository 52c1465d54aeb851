"""Where the panels sit: the docks, their first-start sizes, and the saved layout.

The activation view (centre) is the heart: it gets the room; the editor and examples share
the left, weights and Explore the right (tabbed), training spans the bottom.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDockWidget

#: key -> (title, area); the dock's objectName is key + "Dock" (saved layouts rely on it)
DOCKS = {
    "pixelEditor": ("Paint an input", Qt.LeftDockWidgetArea),
    "datasetBrowser": ("Examples", Qt.LeftDockWidgetArea),
    "weightPanel": ("Weights", Qt.RightDockWidgetArea),
    "trainingPanel": ("Training", Qt.BottomDockWidgetArea),
    "explore": ("Explore how it learns", Qt.RightDockWidgetArea),
}


def build_docks(win, widgets: dict) -> dict:
    """One QDockWidget per DOCKS entry around ``widgets[key]``; returns key -> dock."""
    docks = {}
    for key, (title, area) in DOCKS.items():
        dock = QDockWidget(title, win)
        dock.setObjectName(f"{key}Dock")
        dock.setWidget(widgets[key])
        win.addDockWidget(area, dock)
        docks[key] = dock
    # weights take the full height on the right; training spans the rest of the bottom
    win.setCorner(Qt.BottomRightCorner, Qt.RightDockWidgetArea)
    win.setCorner(Qt.TopRightCorner, Qt.RightDockWidgetArea)
    win.tabifyDockWidget(docks["pixelEditor"], docks["datasetBrowser"])
    docks["pixelEditor"].raise_()
    return docks


def restore_layout(win, settings, docks) -> bool:
    """The saved geometry and dock layout; True when the layout was restored (else a first-start
    size that fits the screen, and the Explore dock still to be tabified once shown)."""
    geo = settings.value("geometry")
    if geo is not None and win.restoreGeometry(geo):
        state = settings.value("windowState")
        return state is not None and win.restoreState(state)
    screen = QGuiApplication.primaryScreen()
    avail = screen.availableGeometry() if screen else None
    # Fit a 1366×768 laptop; on a 4K screen stay a comfortable size, not full-screen.
    w = min(1600, int(avail.width() * 0.95)) if avail else 1340
    h = min(1000, int(avail.height() * 0.92)) if avail else 720
    win.resize(QSize(max(w, 1000), max(h, 640)))
    win.resizeDocks([docks["pixelEditor"], docks["weightPanel"]],
                    [int(win.width() * 0.24), int(win.width() * 0.34)], Qt.Horizontal)
    win.resizeDocks([docks["trainingPanel"]], [int(win.height() * 0.34)], Qt.Vertical)
    return False


def tabify_explore(win, docks) -> None:
    win.tabifyDockWidget(docks["weightPanel"], docks["explore"])
    docks["weightPanel"].raise_()
