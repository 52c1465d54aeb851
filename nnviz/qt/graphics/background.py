"""Work a view needs that is too slow for the GUI thread, done on a thread of its own.

``Background.ask(key, work)`` runs ``work()`` on a daemon thread and hands its result to
``done(key, result)`` on the GUI thread (a queued signal). One job runs at a time; asking while
one runs keeps only the newest wish, run next, so a view that asks on every snapshot never
builds a queue. The view compares ``key`` with what it shows now and drops a stale result.
A job's exception is the result (said by the view, never lost in a thread).
"""

from __future__ import annotations

import threading
from typing import Callable

from PySide6.QtCore import QObject, Signal

from ..gui_collector import collect_on_gui_thread


class Background(QObject):
    """``done(key, result)``: ``result`` is what ``work()`` returned, or the exception it raised."""

    done = Signal(object, object)
    _finished = Signal(object, object)

    def __init__(self, name: str, parent=None):
        super().__init__(parent)
        collect_on_gui_thread()  # its jobs run Python on another thread (gui_collector says why)
        self.name = name
        self._busy, self._wanted = False, None
        self._finished.connect(self._on_finished)  # emitted on the worker thread, run on ours

    def ask(self, key, work: Callable[[], object]) -> None:
        self._wanted = (key, work)
        self._start()

    def forget(self) -> None:
        """Drop the wish still waiting (a job already running ends, and its result is told)."""
        self._wanted = None

    def busy(self) -> bool:
        """True while a job runs or waits to."""
        return self._busy or self._wanted is not None

    def _start(self) -> None:
        if self._busy or self._wanted is None:
            return
        (key, work), self._wanted = self._wanted, None
        self._busy = True

        def run():
            try:
                result = work()
            except Exception as error:  # noqa: BLE001 - the view words it
                result = error
            try:
                self._finished.emit(key, result)
            except RuntimeError:  # the view went (a window closed) while its job ran: nobody to tell
                pass

        threading.Thread(target=run, name=self.name, daemon=True).start()

    def _on_finished(self, key, result) -> None:
        self._busy = False
        self.done.emit(key, result)
        self._start()
