"""Start the desktop app."""

from __future__ import annotations

import sys


def main(lesson: str | None = None, model=None) -> int:
    from PySide6.QtWidgets import QApplication

    from .main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("nnviz")
    app.setOrganizationName("nnviz")
    win = MainWindow(lesson=lesson)
    if model is not None:
        win._open_model(str(model))
    win.show()
    return app.exec()
