"""pyqtgraph imported through nnviz builds only the Qt classes it uses, and works as before.

Each case runs in a fresh interpreter: the import can happen only once per process.
"""

import os
import subprocess
import sys
import textwrap

CHECK = textwrap.dedent("""
    import PySide6.QtCore, PySide6.QtGui, PySide6.QtWidgets
    from PySide6.QtWidgets import QApplication
    {setup}
    import pyqtgraph as pg
    from nnviz.qt import lazy_qt_mirrors
    app = QApplication([])
    W = PySide6.QtWidgets
    # a class nothing asked for is still uncreated (PySide6 makes classes on first use)
    print("untouched", "QCalendarWidget" not in vars(W))
    print("active", lazy_qt_mirrors.active())
    # pyqtgraph's mirrors give PySide6's own objects, its patches included
    print("same", pg.QtCore.QTimer is PySide6.QtCore.QTimer and pg.QtWidgets.QCalendarWidget is W.QCalendarWidget)
    print("patched", pg.QtGui.QFileSystemModel is W.QFileSystemModel and pg.Qt.QtVersion == PySide6.QtCore.qVersion())
    print("listing", len(dir(PySide6.QtCore)) > 200 and "QTimer" in dir(PySide6.QtCore))
    print("missing", not hasattr(pg.QtCore, "NoSuchQtName"))
    # a real plot: an image in a PlotItem, rendered
    w = pg.GraphicsLayoutWidget(); p = w.addPlot(); import numpy as np
    p.addItem(pg.ImageItem(np.arange(12.0).reshape(3, 4))); w.resize(200, 150)
    img = w.grab().toImage()
    print("drawn", img.width() > 0 and len({{img.pixel(x, 70) for x in range(20, 180)}}) > 2)
    import os, sys; sys.stdout.flush(); os._exit(0)  # skip teardown order at exit, not what is tested
""")


def run(setup: str = "import nnviz.qt") -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "-c", CHECK.format(setup=setup)], capture_output=True, text=True,
                          timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    return {k: v == "True" for k, v in (line.split(" ", 1) for line in proc.stdout.splitlines())}


def test_pyqtgraph_through_nnviz_leaves_unused_qt_classes_uncreated_and_works():
    out = run()
    assert out == {"untouched": True, "active": True, "same": True, "patched": True, "listing": True,
                   "missing": True, "drawn": True}


def test_without_nnviz_pyqtgraph_creates_every_class_as_the_check_expects():
    # the control: the same check tells an ordinary import apart (else the first test proves nothing)
    out = run(setup="")
    assert out["untouched"] is False and out["active"] is False
    assert out["same"] and out["patched"] and out["drawn"]


def test_a_pyqtgraph_the_mirrors_do_not_suit_is_imported_the_ordinary_way():
    # mirrors that answer nothing make pyqtgraph.Qt fail; it must then run again, unchanged
    broken = textwrap.dedent("""
        import nnviz.qt
        from nnviz.qt import lazy_qt_mirrors
        def _mirror(short, source):
            import types
            m = types.ModuleType("pyqtgraph.Qt." + short)
            def __getattr__(name):
                raise AttributeError(name)
            m.__getattr__ = __getattr__
            return m
        lazy_qt_mirrors._mirror = _mirror
    """)
    out = run(setup=broken)
    assert out["active"] is False and out["untouched"] is False  # the ordinary, full copy
    assert out["same"] and out["patched"] and out["listing"] and out["drawn"]
