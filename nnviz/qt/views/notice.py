"""Above the views: a banner for things that need a decision (e.g. training diverged), and the
lesson description kept to two lines."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QTextDocument
from PySide6.QtWidgets import (
    QBoxLayout, QFrame, QGraphicsDropShadowEffect, QHBoxLayout, QLabel, QPushButton, QToolTip, QWidget,
)

from ..graphics.view_protocol import LessonView


class NoticeBar(LessonView, QFrame):
    """objectName ``noticeBar``: a sentence and a few buttons; hidden until needed.

    A notice is about the lesson on screen (training is done, it diverged, undo the reset)
    and goes when another lesson opens, unless it is ``lasting`` (a file's note, crash recovery).

    It floats as a card over the top of ``host`` (the window's centre: the lesson description and
    the network view), full width, its text wrapping over as many lines as it needs and its
    buttons in a row below: a notice never takes height from the views (at learning rate 10 one
    crushed the network view to 20 px) nor squeezes its own text, and nothing moves when it
    comes or goes. A notice whose text fits on one line beside its buttons is one row, inside
    ``band`` (the lesson description) when that is tall enough: the first-start offer, in two
    rows, hid half of the network view's hint line."""

    ROW_MARGINS, STACKED_MARGINS = (10, 3, 10, 3), (10, 6, 10, 6)

    def __init__(self, host: QWidget | None = None, parent=None, band: QWidget | None = None):
        super().__init__(parent or host)
        self.setObjectName("noticeBar")
        self.setStyleSheet("#noticeBar { background: #fff3cd; border: 1px solid #e0b84c; border-radius: 4px; }"
                           "#noticeBar QLabel { color: #5a4000; }")
        shadow = QGraphicsDropShadowEffect(self)
        shadow.setBlurRadius(12)
        shadow.setOffset(0, 2)
        shadow.setColor(QColor(0, 0, 0, 90))
        self.setGraphicsEffect(shadow)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self._lay = QBoxLayout(QBoxLayout.TopToBottom, self)
        self._lay.setContentsMargins(*self.STACKED_MARGINS)
        self._lay.setSpacing(4)
        self._lay.addWidget(self.label, 1)
        self._row = QHBoxLayout()
        self._row.addStretch(1)
        self._lay.addLayout(self._row)
        self.buttons: list[QPushButton] = []
        self.lasting = False
        self.host, self.band = host, band
        for watched in (host, band):  # the band is laid out after its host's resize is seen
            if watched is not None:
                watched.installEventFilter(self)
        self.hide()

    def eventFilter(self, obj, event):
        # isHidden, not isVisible: a notice shown before the window is (the first-start offer)
        # must follow the centre's first real size too
        if obj in (self.host, self.band) and event.type() in (QEvent.Resize, QEvent.Show) and not self.isHidden():
            self._place()
        return False

    def _place(self) -> None:
        """Full width at the top of the host, as tall as its text and buttons need at that width:
        one row when the text fits beside the buttons, else the text over the buttons."""
        if self.host is None:
            return
        margin = 6
        width = max(100, self.host.width() - 2 * margin)
        row = self._fits_in_a_row(width)
        self._lay.setDirection(QBoxLayout.LeftToRight if row else QBoxLayout.TopToBottom)
        self._lay.setContentsMargins(*(self.ROW_MARGINS if row else self.STACKED_MARGINS))
        self._lay.activate()
        height = self._lay.totalHeightForWidth(width) if self._lay.hasHeightForWidth() else self.sizeHint().height()
        height = max(height, self.minimumSizeHint().height())
        top = margin
        band = self.band.geometry().bottom() + 1 if row and self.band is not None else 0
        # the whole band (half a line of the description peeked out below), while it is the
        # two-line description; one opened by the learner to read it is not covered whole
        if height <= band - 2 <= height + self.band.fontMetrics().lineSpacing():
            top, height = 1, band - 2
        self.setGeometry(margin, top, width, height)
        self.raise_()

    def is_one_row(self) -> bool:
        return self._lay.direction() == QBoxLayout.LeftToRight

    def _fits_in_a_row(self, width: int) -> bool:
        """True when the whole text fits on one line beside the buttons at this card width."""
        doc = QTextDocument()
        doc.setDocumentMargin(0)
        doc.setDefaultFont(self.label.font())
        doc.setHtml(self.label.text())
        buttons = sum(b.sizeHint().width() + self._row.spacing() for b in self.buttons)
        left, _, right, _ = self.ROW_MARGINS
        return doc.idealWidth() + 8 + self._lay.spacing() + buttons + left + right <= width

    def set_lesson(self, dataset) -> None:
        if not self.lasting:
            self.hide()

    def show_notice(self, text: str, actions=(), lasting: bool = False) -> None:
        """``actions``: (label, callable) pairs; every button also closes the notice."""
        self.lasting = lasting
        for b in self.buttons:
            b.deleteLater()
        self.buttons = []
        self.label.setText(text)
        for label, slot in list(actions) + [("Dismiss", None)]:
            b = QPushButton(label)
            b.clicked.connect(lambda _=False, s=slot: (self.hide(), s and s()))
            self._row.addWidget(b)
            self.buttons.append(b)
        self.show()
        self._place()


class LineClamp(QObject):
    """Shows a wrapping label's first ``lines`` lines; a click shows it all (and again only those).

    For the lesson description above the network: five lines in a 1280-pixel-wide window
    took the room of the network view; the tooltip holds the whole text. A cut text ends in
    "…" (``more``, over the end of the last line shown): without it the cut read as the end."""

    def __init__(self, label: QLabel, lines: int = 2):
        super().__init__(label)
        self.label, self.lines, self.open = label, lines, False
        label.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        self.more = QLabel("… ▾", label)
        self.more.setObjectName("lineClampMore")
        # its own background over the words it hides (a style sheet drops autoFillBackground: the
        # "…" was drawn through them as "·;·"); its own padding, not the label's
        self.more.setStyleSheet("background: palette(window); padding: 0px 2px 0px 6px; color: #555;")
        self.more.setAlignment(Qt.AlignLeft | Qt.AlignTop)  # on the last line's baseline
        self.more.setAttribute(Qt.WA_TransparentForMouseEvents)  # a click opens the label as before
        self.more.hide()
        self._measured = (None, False)  # ((text, width, height bound), clamped): a rich-text layout is slow
        label.installEventFilter(self)
        self._apply()

    def clamped(self) -> bool:
        """True when the text is longer than the lines shown (measured again only when the text,
        the width or the bound changed: the label paints on every frame while training runs)."""
        if self.open:
            return False
        lab = self.label
        key = (lab.text(), lab.width(), lab.maximumHeight())
        if self._measured[0] != key:
            self._measured = (key, lab.heightForWidth(lab.width()) > lab.maximumHeight())
        return self._measured[1]

    def _apply(self) -> None:
        lab = self.label
        margins = lab.height() - lab.contentsRect().height() if lab.height() else 8
        lab.setMaximumHeight(16777215 if self.open else self.lines * lab.fontMetrics().lineSpacing() + margins + 2)
        lab.setCursor(Qt.PointingHandCursor)
        self._place_more()

    def _place_more(self) -> None:
        """The "…" at the end of the last line shown, while the text is cut."""
        lab, more = self.label, self.more
        cut = self.clamped() and lab.width() > 0
        if cut:
            more.setFont(lab.font())
            more.adjustSize()
            inner = lab.contentsRect()
            top = inner.top() + (self.lines - 1) * lab.fontMetrics().lineSpacing()
            # down to the label's edge: the tops of the next line's letters peeked out below the "…"
            more.setGeometry(inner.right() + 1 - more.width(), top, more.width(), lab.height() - top)
            more.raise_()
        more.setVisible(cut)

    def eventFilter(self, obj, event):
        kind = event.type()
        if kind == QEvent.MouseButtonRelease and event.button() == Qt.LeftButton:
            self.open = not self.open
            self._apply()
            return True
        if kind == QEvent.ToolTip:
            if self.clamped():
                QToolTip.showText(event.globalPos(), f"{self.label.text()}<br><i>(click to show it all)</i>",
                                  self.label)
            return True
        if kind == QEvent.Resize and not self.open:
            self._apply()  # the style sheet's padding is known once laid out
        elif kind == QEvent.Paint and self.more.isVisible() != self.clamped():
            self._place_more()  # a new text (another lesson) may fit, or be cut where it was not
        return False
