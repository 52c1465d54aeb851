"""The start-up card: on screen a third of a second after launch, while the rest loads.

Everything the main window needs (NumPy, pyqtgraph, the views, the lesson's data) takes about a
second to import and build on a laptop. This card needs only QtWidgets, so the learner sees
nnviz answer at once; it closes when the main window has drawn its lesson. Drawn with
QPainter rather than shipped as an image, so it is sharp at any screen scale.
"""

from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtCore import QEvent, QEventLoop, QObject, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QApplication, QWidget

SIZE = (460, 220)  # logical pixels
_GREEN, _RED, _INK = QColor("#2e9d4f"), QColor("#d1453b"), QColor("#2b2b2b")
_LAYERS = (4, 3, 2)  # the little network on the card


def _card(dpr: float) -> QPixmap:
    w, h = SIZE
    pix = QPixmap(int(w * dpr), int(h * dpr))
    pix.setDevicePixelRatio(dpr)
    pix.fill(QColor("#fbfbf8"))
    p = QPainter(pix)
    p.setRenderHint(QPainter.Antialiasing)
    p.setPen(QPen(QColor("#c9c9c2"), 1))
    p.drawRect(QRectF(0.5, 0.5, w - 1, h - 1))
    # the network, on the right
    cols = [[QPointF(300 + 55 * i, 40 + (140 / (n + 1)) * (j + 1)) for j in range(n)]
            for i, n in enumerate(_LAYERS)]
    for layer, (left, right) in enumerate(zip(cols, cols[1:])):
        for i, a in enumerate(left):
            for j, b in enumerate(right):
                k = i * 5 + j * 3 + layer  # a fixed mix of signs and strengths, like a trained layer
                p.setPen(QPen(_GREEN if k % 3 else _RED, 1.0 + (k % 4) * 0.6))
                p.drawLine(a, b)
    p.setPen(QPen(_INK, 1.2))
    for col in cols:
        for c in col:
            p.setBrush(QColor("#ffffff"))
            p.drawEllipse(c, 7, 7)
    # the name and what it is for, on the left
    p.setPen(_INK)
    title = QFont(p.font())
    title.setPointSizeF(30)
    title.setBold(True)
    p.setFont(title)
    p.drawText(QRectF(28, 46, 250, 56), Qt.AlignLeft | Qt.AlignVCenter, "nnviz")
    sub = QFont(p.font())
    sub.setPointSizeF(11)
    sub.setBold(False)
    p.setFont(sub)
    p.setPen(QColor("#555550"))
    p.drawText(QRectF(30, 104, 250, 40), Qt.AlignLeft | Qt.TextWordWrap, "See a neural network learn")
    p.end()
    return pix


class StartupCard(QWidget):
    """A frameless card centred on the screen. (Not Qt's QSplashScreen: its show() took a whole
    second here, offscreen and on an X server with or without a window manager.)"""

    def __init__(self, message: str, dpr: float):
        super().__init__(None, Qt.SplashScreen | Qt.FramelessWindowHint)
        self.setObjectName("startupCard")
        self.setAttribute(Qt.WA_DeleteOnClose)
        self.pixmap = _card(dpr)
        self.message = message
        self.setFixedSize(*SIZE)
        screen = QGuiApplication.primaryScreen()
        if screen is not None:
            self.move(screen.availableGeometry().center() - self.rect().center())

    def paintEvent(self, event):
        p = QPainter(self)
        p.drawPixmap(0, 0, self.pixmap)
        p.setPen(QColor("#555550"))
        p.drawText(QRectF(30, SIZE[1] - 44, SIZE[0] - 60, 24), Qt.AlignLeft | Qt.AlignVCenter, self.message)
        p.end()

    def close_when_painted(self, window: QWidget, at_most_ms: int = 10_000) -> None:
        """Close once ``window`` has painted itself on screen (the card stays on top till then), or
        after ``at_most_ms`` whatever happens (a window mapped on another workspace never paints)."""
        OnFirstPaint(window, self._close)
        QTimer.singleShot(at_most_ms, self, self.close)  # cancelled with the card

    def _close(self) -> None:
        if shiboken6.isValid(self):  # not already closed (from outside, or by the time limit)
            self.close()


class OnFirstPaint(QObject):
    """Calls ``then`` once, after ``widget`` first paints on screen (not merely in memory)."""

    def __init__(self, widget: QWidget, then):
        super().__init__(widget)
        self.then = then
        widget.installEventFilter(self)

    def eventFilter(self, obj, event):
        handle = obj.windowHandle()
        if event.type() == QEvent.Paint and self.then is not None and handle is not None and handle.isExposed():
            then, self.then = self.then, None
            obj.removeEventFilter(self)
            QTimer.singleShot(0, then)  # after the paint has reached the screen
        return False


def wait_until(done, timeout_ms: int) -> None:
    """Run the event loop until ``done()`` or ``timeout_ms``, leaving the learner's clicks and keys
    queued (Qt delivers them afterwards): nothing they do acts on a window still being built."""
    loop, poll, limit = QEventLoop(), QTimer(), QTimer()
    poll.timeout.connect(lambda: done() and loop.quit())
    limit.setSingleShot(True)
    limit.setTimerType(Qt.PreciseTimer)  # a coarse timer may end the wait up to 5% early
    limit.timeout.connect(loop.quit)
    poll.start(5)
    limit.start(timeout_ms)
    if not done():
        loop.exec(QEventLoop.ExcludeUserInputEvents)
    poll.stop()
    limit.stop()


def card_message(lesson: str | None, model=None) -> str:
    if model is not None:
        return f"Opening {Path(model).name}…"
    return f"Opening the {lesson} lesson…" if lesson else "Opening…"


def show_card(app: QApplication, message: str, on_paint=lambda: None) -> StartupCard:
    """The card, saying ``message``, on screen when this returns (or after 0.3 s)."""
    card = StartupCard(message, app.devicePixelRatio())
    painted = []
    OnFirstPaint(card, lambda: (on_paint(), painted.append(True)))
    card.show()
    wait_until(lambda: painted, 300)
    return card
