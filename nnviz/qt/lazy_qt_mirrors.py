"""Import pyqtgraph without creating every Qt class up front (a quarter of a second of start-up).

pyqtgraph (0.13, 0.14) keeps its own mirrors of PySide6's QtCore, QtGui and QtWidgets and
fills them by reading every name PySide6 lists (``pyqtgraph.Qt._copy_attrs``). PySide6 creates
its classes lazily, on first use, so that one loop builds about 700 classes and 600 Python enums
nnviz never touches: 250–300 ms of every launch.

``install()`` adds an import hook that, only while ``pyqtgraph.Qt`` runs, puts mirrors in place
that look a name up in PySide6 the first time it is asked for (PEP 562 ``__getattr__``) and keep
it, and hides PySide6's listings so the copy loop has nothing to do. Reading and patching a
mirror's attributes works as before; listing one (``dir()``, ``import *``) shows only the names
used so far, which neither pyqtgraph (on PySide6) nor nnviz does. Should pyqtgraph's import fail
this way (a future pyqtgraph built differently), the module is run again the ordinary way:
slower, never broken. With another Qt binding chosen for pyqtgraph, the hook stands aside.
"""

from __future__ import annotations

import os
import sys
import types
import warnings

_QT_MODULES = ("QtCore", "QtGui", "QtWidgets")
_TARGET = "pyqtgraph.Qt"
_OWN = frozenset({"__file__", "__path__", "__cached__"})  # the mirror's own, never PySide6's


def _mirror(short: str, source: types.ModuleType) -> types.ModuleType:
    """A stand-in for ``pyqtgraph.Qt.<short>`` that reads ``source`` on demand and caches it."""
    mirror = types.ModuleType(f"{_TARGET}.{short}")

    def __getattr__(name: str):
        if name in _OWN:
            raise AttributeError(name)
        value = getattr(source, name)  # AttributeError for a name PySide6 lacks, as hasattr expects
        setattr(mirror, name, value)  # later look-ups are plain dict hits, as with the full copy
        return value

    mirror.__getattr__ = __getattr__
    return mirror


class _LazyMirrorsLoader:
    # a plain class: importlib.abc alone costs ~40 ms of imports
    def __init__(self, real):
        self.real = real

    def __getattr__(self, name):  # get_source, resource readers, ...: the real loader's
        if name == "real":  # not set yet (a copy being made): no endless look-up
            raise AttributeError(name)
        return getattr(self.real, name)

    def create_module(self, spec):
        return self.real.create_module(spec)

    def exec_module(self, module):
        if not _pyside6_chosen():
            self.real.exec_module(module)
            return
        from PySide6 import QtCore, QtGui, QtWidgets  # noqa: F401 (the modules to mirror)

        sources = {short: sys.modules[f"PySide6.{short}"] for short in _QT_MODULES}
        listings = {short: src.__dict__.get("__dir__") for short, src in sources.items()}
        for short, src in sources.items():
            sys.modules[f"{_TARGET}.{short}"] = _mirror(short, src)
            src.__dir__ = lambda: []  # nothing listed: nothing for the copy loop to force into being
        try:
            self.real.exec_module(module)
        except Exception as e:
            warnings.warn(f"pyqtgraph is imported the ordinary way (lazy Qt mirrors failed: {e!r})",
                          RuntimeWarning, stacklevel=2)
            # forget the mirrors and whatever was imported with them, or the second run finds them
            for name in [n for n in list(sys.modules) if n.startswith(f"{_TARGET}.")]:
                del sys.modules[name]
                module.__dict__.pop(name.rpartition(".")[2], None)
            _restore(sources, listings)
            self.real.exec_module(module)  # the ordinary, slower way
        finally:
            _restore(sources, listings)


def _pyside6_chosen() -> bool:
    """Will pyqtgraph use PySide6? (Its choice: PYQTGRAPH_QT_LIB, else a binding already imported,
    PyQt6 first; the hook imports PySide6 itself.)"""
    wanted = os.environ.get("PYQTGRAPH_QT_LIB")
    return wanted == "PySide6" if wanted else "PyQt6" not in sys.modules


def _restore(sources, listings) -> None:
    for short, src in sources.items():
        if listings[short] is None:
            src.__dict__.pop("__dir__", None)
        else:
            src.__dir__ = listings[short]


class _Finder:
    """Finds ``pyqtgraph.Qt`` through the other finders and wraps its loader, once."""

    def find_spec(self, fullname, path, target=None):
        if fullname != _TARGET:
            return None
        uninstall()
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            spec = find(fullname, path, target) if find else None
            if spec is not None and spec.loader is not None:
                spec.loader = _LazyMirrorsLoader(spec.loader)
                return spec
        return None


_FINDER = _Finder()


def install() -> None:
    """Make the next import of pyqtgraph use lazy mirrors (nothing to do once it is imported)."""
    if _TARGET not in sys.modules and _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def uninstall() -> None:
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)


def active() -> bool:
    """True when pyqtgraph was imported with lazy mirrors (for the benchmark and the tests)."""
    core = sys.modules.get(f"{_TARGET}.QtCore")
    return core is not None and "__getattr__" in vars(core) and "__file__" not in vars(core)
