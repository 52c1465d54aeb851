"""Start the desktop app."""

from __future__ import annotations

import sys

# At module level on purpose: a system library Qt needs that is missing fails this import, which
# the command line turns into one sentence naming it.
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

_LEVELS = None
FIRST_FRAME_WAIT_MS = 5000  # the window shows by then even if the lesson is not drawn yet


def _message_handler(mode, context, message):
    # One prefix per Qt message level, so logs (and the start-up test) can tell a
    # warning from debug chatter.
    name = _LEVELS.get(mode, "info")
    sys.stderr.write(f"qt-{name}: {message}\n")


def install_message_handler():
    global _LEVELS
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    _LEVELS = {QtMsgType.QtDebugMsg: "debug", QtMsgType.QtInfoMsg: "info", QtMsgType.QtWarningMsg: "warning",
               QtMsgType.QtCriticalMsg: "critical", QtMsgType.QtFatalMsg: "fatal"}
    qInstallMessageHandler(_message_handler)


def main(lesson: str | None = None, model=None, quit_after: float | None = None, activation: str | None = None,
         spec: dict | None = None, input_transform: dict | None = None) -> int:
    from . import startup
    from .splash import card_message, show_card, wait_until

    install_message_handler()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("nnviz")
    app.setOrganizationName("nnviz")
    # The card first (it needs only QtWidgets), then the second of imports and building behind it.
    opening = card_message(lesson or QSettings("nnviz", "nnviz").value("lesson"), model)
    card = show_card(app, opening, on_paint=lambda: startup.mark("splash_painted"))
    card.destroyed.connect(lambda: startup.mark("splash_closed"))
    from ..collector import freeze_long_lived
    from ..model.core.reports import Refused
    from .window.main_window import MainWindow

    startup.mark("imported")
    win = MainWindow(lesson=lesson)
    startup.mark("window_built")
    startup.watch(app, win, also=("splash_closed",))
    # The lesson drawn before the window maps, behind the card: its first frame lays out a dozen
    # plots (~0.3 s), and a window mapped before that would show a black rectangle meanwhile. A
    # lesson that fails to load ends the wait at once: the window shows, saying why.
    failed = []
    win.controller.reported.connect(lambda report: isinstance(report, Refused) and failed.append(report))
    wait_until(lambda: win.frames.frames_rendered > 0 or failed, FIRST_FRAME_WAIT_MS)
    if win.frames.frames_rendered:  # here, not only at startup's next poll: the frame came first
        startup.mark("first_frame")
    card.close_when_painted(win)
    startup.mark("window_shown")
    win.show_on_screen()
    win.frames.redraw()  # once more at the sizes the window has on screen (a cheap pass)
    freeze_long_lived()  # the window and its first lesson: no full collection walks them again
    if model is not None:
        # the three answer what a PyTorch state_dict does not say
        win.files.open_model(str(model), activation, spec, input_transform)
    if quit_after is not None:
        # for scripted smoke tests: start, train a little, then close like a user would
        QTimer.singleShot(int(quit_after * 500), win.controller.run)
        QTimer.singleShot(int(quit_after * 1000), win.close)
    return app.exec()
