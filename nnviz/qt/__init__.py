"""The desktop app: the only package that imports PySide6 and pyqtgraph."""

from . import lazy_qt_mirrors

lazy_qt_mirrors.install()  # before any module here imports pyqtgraph
