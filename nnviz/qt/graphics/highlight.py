"""Point at a widget by its objectName: a coloured frame drawn over it, removed afterwards.

The frame is a child of the widget's top-level window laid over the widget's rectangle, not a
style change and not part of any layout, so nothing moves or resizes while it shows; mouse
events pass through it. It follows the widget when the widget or one of its parents moves or
resizes (a dock dragged wider) and hides while the widget is hidden.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QDockWidget, QScrollArea, QWidget

COLOUR = QColor(255, 140, 0)  # the orange the app's notices use; it reads on white and on heatmaps
WIDTH = 3  # pixels
SECONDS = 4.0  # how long a highlight stays by default (0: until cleared)


class _Frame(QWidget):
    """The overlay: a rounded rectangle outline, transparent inside and to the mouse."""

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.setObjectName("highlightFrame")
        self.setAttribute(Qt.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WA_NoSystemBackground)
        self.setFocusPolicy(Qt.NoFocus)

    def paintEvent(self, _):
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        p.setPen(QPen(COLOUR, WIDTH))
        half = WIDTH / 2
        p.drawRoundedRect(self.rect().toRectF().adjusted(half, half, -half, -half), 4, 4)


class WidgetHighlight(QObject):
    """One highlight at a time: ``show(window, name)`` frames ``window``'s descendant named
    ``name`` (bringing its dock to the front), ``clear()`` removes the frame."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.target: QWidget | None = None
        self._frame: _Frame | None = None
        self._watched: list[QWidget] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.clear)

    def show(self, window: QWidget, name: str, seconds: float = SECONDS, raise_dock: bool = True) -> bool:
        """Frame the widget ``name`` inside ``window``; False (and nothing framed) when there is
        none. ``raise_dock``: a dock tabbed behind another is brought to the front first."""
        self.clear()
        target = window.findChild(QWidget, name) if name else None
        if target is None:
            return False
        if raise_dock:
            _bring_forward(target)
        self.target = target
        self._frame = _Frame(target.window())
        w = target
        while w is not None:  # a move of any parent moves the target within the window
            w.installEventFilter(self)
            self._watched.append(w)
            if w.isWindow():
                break
            w = w.parentWidget()
        target.destroyed.connect(self._gone)
        self._place()
        if seconds > 0:
            self._timer.start(int(seconds * 1000))
        return True

    def clear(self) -> None:
        self._timer.stop()
        for w in self._watched:
            try:
                w.removeEventFilter(self)
            except RuntimeError:  # already deleted on the C++ side
                pass
        self._watched = []
        if self.target is not None:
            try:
                self.target.destroyed.disconnect(self._gone)
            except (RuntimeError, TypeError):
                pass
        if self._frame is not None:
            self._frame.hide()
            self._frame.deleteLater()
        self._frame = self.target = None

    @property
    def showing(self) -> bool:
        return self._frame is not None and self._frame.isVisible()

    def frame_rect(self) -> QRect | None:
        """Where the frame is, in its window's coordinates (None: no highlight)."""
        return None if self._frame is None else self._frame.geometry()

    def _gone(self, *_):
        self._watched, self.target = [], None  # nothing left to unhook
        self.clear()

    def _place(self) -> None:
        t, f = self.target, self._frame
        if t is None or f is None:
            return
        if not t.isVisible() or t.visibleRegion().isEmpty():
            f.hide()
            return
        top_left = t.mapTo(f.parentWidget(), t.rect().topLeft())
        # just outside the widget (within the window): drawn on its edge, the line cut through text
        # that reaches the edge (the editor's hint under the canvas)
        f.setGeometry(QRect(top_left, t.size()).adjusted(-WIDTH, -WIDTH, WIDTH, WIDTH)
                      .intersected(f.parentWidget().rect()))
        f.show()
        f.raise_()

    def eventFilter(self, obj, event):
        if event.type() in (QEvent.Move, QEvent.Resize, QEvent.Show, QEvent.Hide):
            QTimer.singleShot(0, self, self._place)  # after the layout has settled
        return False


def _bring_forward(widget: QWidget) -> None:
    """Show the dock holding ``widget`` (in front of the docks it is tabbed with) and scroll a
    scroll area around it to it."""
    w = widget.parentWidget()
    while w is not None:
        if isinstance(w, QScrollArea) and w.widget() is not None and w.widget() is not widget:
            w.ensureWidgetVisible(widget)
        if isinstance(w, QDockWidget):
            w.show()
            w.raise_()
            break
        w = w.parentWidget()
