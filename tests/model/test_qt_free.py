"""nnviz.model must never import Qt or pyqtgraph: it is tested and used without a display."""

import ast
import subprocess
import sys
from pathlib import Path

import nnviz.model

MODEL_DIR = Path(nnviz.model.__file__).parent
FORBIDDEN = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "pyqtgraph", "nnviz.qt")


def test_no_model_source_file_imports_qt():
    offenders = []
    for path in MODEL_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [("." * node.level) + (node.module or "")]
                if node.level and (node.module or "").startswith("qt"):
                    names.append("nnviz.qt")
            offenders += [f"{path.name}: {n}" for n in names if n.startswith(FORBIDDEN) or n.startswith("..qt")]
    assert offenders == []


def test_importing_every_model_module_loads_no_qt():
    code = (
        "import importlib, pkgutil, sys, nnviz.model as m\n"
        "for info in pkgutil.walk_packages(m.__path__, 'nnviz.model.'): importlib.import_module(info.name)\n"
        "bad = [k for k in sys.modules if k.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6')]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
