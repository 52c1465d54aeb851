"""Helpers to drive the real window without a screen: screenshots and GUI benchmarks."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
import time


def offscreen_app():
    """The QApplication, created for the offscreen platform unless a display was asked for."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    return QApplication.instance() or QApplication(sys.argv[:1])


def scratch_settings():
    """QSettings in a temp file, so scripted runs never touch the user's saved layout."""
    from PySide6.QtCore import QSettings

    folder = tempfile.mkdtemp(prefix="nnviz-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)  # a test run opens hundreds of windows
    settings = QSettings(os.path.join(folder, "settings.ini"), QSettings.IniFormat)
    settings.setValue("dataDir", folder)  # autosaved examples go here too, not to the user's folder
    return settings


def wait_until(app, predicate, timeout: float = 30.0) -> None:
    """Process events until predicate() is true; TimeoutError after ``timeout`` seconds."""
    end = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > end:
            raise TimeoutError("the app did not reach the expected state in time")
        app.processEvents()
        time.sleep(0.001)


def open_window(lesson: str, width: int = 1500, height: int = 950):
    """A shown MainWindow on ``lesson`` with its first snapshot rendered."""
    app = offscreen_app()
    from .window.main_window import MainWindow

    win = MainWindow(lesson=lesson, settings=scratch_settings())
    win.resize(width, height)
    win.show()
    wait_until(app, lambda: win.controller.latest is not None and win.controller.latest.lesson == lesson)
    app.processEvents()
    win.frames.render_latest()
    from ..collector import freeze_long_lived

    freeze_long_lived()  # as the app does once its window is up (benchmarks measure what it does)
    return app, win


def train_in_window(app, win, iterations: int) -> None:
    """Step the worker ``iterations`` times and render the result."""
    if iterations > 0:
        target = win.controller.latest.iteration + iterations
        win.controller.step(iterations)
        wait_until(app, lambda: win.controller.latest.iteration >= target, timeout=300)
    app.processEvents()
    win.frames.render_latest()
