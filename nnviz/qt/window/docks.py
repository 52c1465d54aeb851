"""Where the panels sit: the docks, their first-start sizes, and the saved layout.

The activation view (centre) is the heart: it gets the room; the editor and examples share
the left, weights and Explore the right (tabbed), both the full height; training sits under
the centre. The window must fit a 1280×720 screen (1366×768 is the most common laptop), so
each dock's panel sits in a scroll area: a panel that needs more room (a longer label, ΔW,
a preview) scrolls inside its dock instead of growing the dock and the window past the screen.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDockWidget, QFrame, QScrollArea, QStyle, QTabWidget

#: key -> (title, area); the dock's objectName is key + "Dock" (saved layouts rely on it)
DOCKS = {
    "pixelEditor": ("Paint an input", Qt.LeftDockWidgetArea),
    "datasetBrowser": ("Examples", Qt.LeftDockWidgetArea),
    "weightPanel": ("Weights", Qt.RightDockWidgetArea),
    "trainingPanel": ("Training", Qt.BottomDockWidgetArea),
    "explore": ("Explore how it learns", Qt.RightDockWidgetArea),
    "lessonGuide": ("Guide", Qt.LeftDockWidgetArea),
}
GUIDE_SHARE = 0.36  # of the left column's height, under the editor, while the guide is open
#: first-start shares of the window: left and right columns' widths, the training dock's height
LEFT, LEFT_AT_MOST, RIGHT, BOTTOM = 0.24, 0.31, 0.27, 0.33
MIN_START = QSize(1000, 600)
#: a window this tall or less (a laptop's: 1366×768, 1280×720) starts the training dock at the
#: least its controls need plus one more settings row (TRAINING_SPARE): the network view above
#: it is the heart, and a third of the height left its pictures ~90 px tall
SHORT, TRAINING_SPARE = 800, 28
LAPTOP_HEIGHT = 900  # px of screen for windows: 1366×768 and 1280×720 (1080p at 150%), not 1920×1080
#: the 28×28 lessons' editor (its preprocessing preview beside the checkbox) needs about this much:
#: the left column starts this wide so that opening another lesson never makes it scroll
LEFT_PX = 350


class DockScroll(QScrollArea):
    """A dock's panel in a frameless scroll area: the dock's minimum stays small and fixed, the
    panel fills the dock while it fits and scrolls once it does not.

    The panel is sized here rather than by ``widgetResizable``: for a panel with wrapping labels
    that makes it as tall as it would *like* to be, not as tall as the dock."""

    def __init__(self, panel, parent=None):
        super().__init__(parent)
        self.setObjectName(f"{panel.objectName() or 'panel'}Scroll")
        self.setFrameShape(QFrame.NoFrame)
        self.setWidget(panel)
        # the panel's size hints changed: Qt posts a LayoutRequest to its parent, the viewport. Watched
        # by a separate object: overriding eventFilter here would put every event of the panel
        # (QScrollArea filters it) through Python, each a wait for the trainer's GIL while it runs
        self._watch = _LayoutWatch(self)
        self.viewport().installEventFilter(self._watch)
        if isinstance(panel, QTabWidget):  # another tab needs other room
            panel.currentChanged.connect(lambda _: self._fit())

    def sizeHint(self) -> QSize:
        return self.widget().sizeHint()  # the panel's wish, not QScrollArea's capped guess

    def need(self, width: int | None = None) -> QSize:
        """The least room the panel needs (at ``width``, for wrapping text)."""
        w = self.widget()
        need = w.minimumSizeHint().expandedTo(w.minimumSize())
        if width is not None:
            need.setHeight(max(need.height(), min_height(w, max(width, need.width()))))
        return need

    def fits(self) -> bool:
        """True when the panel has all the room its minimum asks for (no scrolling needed)."""
        room = self.maximumViewportSize()
        need = self.need(room.width())
        return need.width() <= room.width() and need.height() <= room.height()

    def _fit(self) -> None:
        room, bar = self.maximumViewportSize(), self.style().pixelMetric(QStyle.PM_ScrollBarExtent)
        w, h = room.width(), room.height()
        need = self.need(w)
        if need.height() > h:  # a vertical scroll bar takes its width
            w -= bar
            need = self.need(w)
        if need.width() > w:  # a horizontal one its height
            h -= bar
        self.widget().resize(max(w, need.width()), max(h, self.need(max(w, need.width())).height()))

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._fit()



class _LayoutWatch(QObject):
    """Refits a DockScroll's panel when the panel's size hints change."""

    def eventFilter(self, obj, event):
        if event.type() == QEvent.LayoutRequest:
            self.parent()._fit()
        return False


def min_height(widget, width: int) -> int:
    """The least height ``widget`` needs at ``width``: more than its minimumSizeHint when it holds
    wrapping text (for a tab widget: its bar and the current page)."""
    if isinstance(widget, QTabWidget):
        page, bar = widget.currentWidget(), widget.tabBar()
        return (bar.sizeHint().height() if bar.isVisibleTo(widget) else 0) + (min_height(page, width) if page else 0)
    h = widget.minimumSizeHint().expandedTo(widget.minimumSize()).height()
    lay = widget.layout()
    if lay is not None and lay.hasHeightForWidth():
        h = max(h, lay.totalMinimumHeightForWidth(width))
    return h


def build_docks(win, widgets: dict) -> dict:
    """One QDockWidget per DOCKS entry around ``widgets[key]`` (in a DockScroll); returns key -> dock."""
    docks = {}
    for key, (title, area) in DOCKS.items():
        dock = QDockWidget(title, win)
        dock.setObjectName(f"{key}Dock")
        dock.setWidget(DockScroll(widgets[key]))
        win.addDockWidget(area, dock)
        docks[key] = dock
    # the side columns take the full height (the editor with its preview, the weight matrices
    # need it); training spans only the centre
    for corner, area in ((Qt.TopLeftCorner, Qt.LeftDockWidgetArea), (Qt.BottomLeftCorner, Qt.LeftDockWidgetArea),
                         (Qt.TopRightCorner, Qt.RightDockWidgetArea),
                         (Qt.BottomRightCorner, Qt.RightDockWidgetArea)):
        win.setCorner(corner, area)
    win.tabifyDockWidget(docks["pixelEditor"], docks["datasetBrowser"])
    docks["pixelEditor"].raise_()
    # the guide under the editor (added after it in the left column), not behind it: a step says
    # "paint …" while the editor shows. (splitDockWidget would tab it: the editor is in a tab group.)
    # Closed until asked for (Help ▸ Guide, the first-run prompt).
    docks["lessonGuide"].hide()
    return docks


def open_guide(win, docks) -> None:
    """Show the guide dock under the editor with a fair share of the left column."""
    dock = docks["lessonGuide"]
    if dock.isVisible():
        dock.raise_()
        return
    dock.show()
    # sized once the guide has its place in the column (its height until then is a stale one)
    QTimer.singleShot(0, lambda: split_guide(win, docks))


def split_guide(win, docks, correction: int = 0) -> None:
    """The left column between the editor and the open guide: at most GUIDE_SHARE to the guide,
    less where the editor needs it not to scroll (its canvas shrinks to its least first), never
    less than the guide's own least. On a laptop a fixed share scrolled the canvas away.

    Qt gives a tabbed dock ~10 px less than resizeDocks asks (its tab bar shares the split), so the
    split is checked on the next tick and asked once more, by what it fell short."""
    editor, dock = docks["pixelEditor"], docks["lessonGuide"]
    if not dock.isVisible() or dock.isFloating():
        return
    h = editor.height() + dock.height()
    guide = max(min(int(h * GUIDE_SHARE), h - dock_need(editor)), dock_need(dock))
    win.resizeDocks([editor, dock], [h - guide + correction, guide - correction], Qt.Vertical)
    if not correction:
        def check():
            short = (h - guide) - editor.height()
            if 0 < short < 40 and editor.height() + dock.height() == h:
                split_guide(win, docks, short)
        QTimer.singleShot(0, check)


def dock_need(dock) -> int:
    """The least height ``dock`` (one of build_docks') needs to show its panel unscrolled, title included."""
    scroll = dock.widget()
    frame = max(dock.minimumSizeHint().height() - scroll.minimumSizeHint().height(), 0)
    return scroll.need(scroll.width()).height() + frame


def restore_layout(win, settings, docks) -> bool:
    """The saved geometry and dock layout; True when the layout was restored (else a first-start
    size that fits the screen, and the Explore dock still to be tabified once shown)."""
    geo = settings.value("geometry")
    if geo is not None and win.restoreGeometry(geo):
        state = settings.value("windowState")
        return state is not None and win.restoreState(state)
    avail = available_geometry()
    # Fit a 1280×720 or 1366×768 laptop; on a 4K screen stay a comfortable size, not full-screen.
    w = min(1600, int(avail.width() * 0.95)) if avail else 1216
    h = min(1000, int(avail.height() * 0.92)) if avail else 662
    win.resize(QSize(w, h).expandedTo(MIN_START).boundedTo(avail.size() if avail else QSize(w, h)))
    size_docks(win, docks)
    return False


def laptop_screen():
    """The primary screen's room for windows when it is at most LAPTOP_HEIGHT tall, else None: a
    first start fills it (maximised), as a 95% window there gave away 70 px of width and 60 of
    height the network view needs."""
    avail = available_geometry()
    return avail if avail is not None and avail.height() <= LAPTOP_HEIGHT else None


def available_geometry():
    """The primary screen's room for windows (None without a screen)."""
    screen = QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen else None


def size_docks(win, docks) -> None:
    """The first-start shares of the window (again once the Explore dock is tabified); the left
    column as wide as the editor needs, within bounds."""
    w = win.width()
    editor = docks["pixelEditor"].widget().need().width() + 8  # + the dock's frame
    left = min(max(int(w * LEFT), editor, LEFT_PX), int(w * LEFT_AT_MOST))
    win.resizeDocks([docks["pixelEditor"], docks["weightPanel"]], [left, int(w * RIGHT)], Qt.Horizontal)
    win.resizeDocks([docks["trainingPanel"]], [training_height(win, docks)], Qt.Vertical)


def training_height(win, docks) -> int:
    """The training dock's first-start height: a share of the window, or on a short window the
    least its panel needs (with its title bar) and TRAINING_SPARE."""
    share = int(win.height() * BOTTOM)
    if win.height() > SHORT:
        return share
    dock = docks["trainingPanel"]
    title = dock.minimumSizeHint().height() - dock.widget().minimumSizeHint().height()
    return min(share, dock.widget().need(win.centralWidget().width()).height() + max(title, 0) + TRAINING_SPARE)


def reset_layout(win, docks) -> None:
    """View ▸ Reset layout: every panel back in its dock area, grouped and sized as at a first
    start (the guide stays open if it was)."""
    guide = docks["lessonGuide"].isVisible()
    for key, (_, area) in DOCKS.items():
        dock = docks[key]
        dock.setFloating(False)
        win.removeDockWidget(dock)
        win.addDockWidget(area, dock)
        dock.setVisible(key != "lessonGuide")
    win.tabifyDockWidget(docks["pixelEditor"], docks["datasetBrowser"])
    docks["pixelEditor"].raise_()
    tabify_explore(win, docks)
    if guide:
        open_guide(win, docks)


def tabify_explore(win, docks) -> None:
    win.tabifyDockWidget(docks["weightPanel"], docks["explore"])
    docks["weightPanel"].raise_()
    size_docks(win, docks)


class SideWidths(QObject):
    """The side columns' widths (and the training dock's height) as the learner left them. A
    smaller window squeezes them; when it
    grows again Qt gives all the new room to the centre, so after 800×560 → maximised the editor
    and the weights stayed ~130 px wide and scrolled. Here they get their widths back (as far as
    the window has room); a width the learner drags a separator to is the one kept from then on
    (the separators are the main window's own: their drag ends in a release the window gets)."""

    #: dock -> the size kept: the side columns' widths, the training dock's height
    KEPT = {"pixelEditor": Qt.Horizontal, "weightPanel": Qt.Horizontal, "trainingPanel": Qt.Vertical}

    def __init__(self, win, docks):
        super().__init__(win)
        self.win, self.docks = win, docks
        self.wanted: dict[str, int] = {}
        self._size = win.size()
        win.installEventFilter(self)

    def _length(self, key: str) -> int:
        dock = self.docks[key]
        return dock.width() if self.KEPT[key] == Qt.Horizontal else dock.height()

    def remember(self) -> None:
        """The sizes now are the ones to keep (a first start, a restored or reset layout, a drag)."""
        self.wanted = {key: self._length(key) for key in self.KEPT
                       if self.docks[key].isVisible() and not self.docks[key].isFloating()}
        self._size = self.win.size()

    def eventFilter(self, obj, event):
        if obj is self.win and event.type() == QEvent.Resize:
            old, self._size = self._size, self.win.size()
            if self.wanted and (self._size.width() > old.width() or self._size.height() > old.height()):
                QTimer.singleShot(0, self._give_back)
        elif obj is self.win and event.type() == QEvent.MouseButtonRelease and self.wanted:
            QTimer.singleShot(0, self.remember)  # a separator dragged
        return False

    def _give_back(self) -> None:
        for orientation in (Qt.Horizontal, Qt.Vertical):
            short = [key for key, n in self.wanted.items() if self.KEPT[key] == orientation
                     and self.docks[key].isVisible() and not self.docks[key].isFloating() and self._length(key) < n]
            if short:
                self.win.resizeDocks([self.docks[k] for k in short], [self.wanted[k] for k in short], orientation)
