"""Start the desktop app."""

from __future__ import annotations

import sys

_LEVELS = None


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
         spec: dict | None = None) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from . import startup
    from .window.main_window import MainWindow

    startup.mark("imported")
    install_message_handler()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("nnviz")
    app.setOrganizationName("nnviz")
    win = MainWindow(lesson=lesson)
    startup.mark("window_built")
    if model is not None:
        win.open_model(str(model), activation, spec)  # the two answer what a PyTorch state_dict does not say
    win.show()
    startup.watch(app, win)
    if quit_after is not None:
        # for scripted smoke tests: start, train a little, then close like a user would
        QTimer.singleShot(int(quit_after * 500), win.controller.run)
        QTimer.singleShot(int(quit_after * 1000), win.close)
    return app.exec()
