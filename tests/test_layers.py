"""The layers hold: window → views/explore → render → model, and nothing imports upward.

Every import in every module counts, including the lazy ones inside functions.
"""

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "nnviz"

#: layer of each part of nnviz.qt (a module may import only strictly lower layers, or its own
#: sub-package); the model is below all of them and imports no Qt at all
QT_LAYERS = {"lazy_qt_mirrors": 0, "render": 1, "worker": 1, "views": 2, "explore": 2, "window": 3,
             "splash": 3, "startup": 4, "offscreen": 4, "app": 5, "screenshot": 5, "bench_gui": 5}


def module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: str, name: str, is_package: bool = False) -> set[str]:
    """Absolute names of the nnviz modules ``source`` (module ``name``) imports."""
    out = set()
    package = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.add(mod)
            out |= {f"{mod}.{a.name}" for a in node.names}  # `from . import x` imports module x
    return {m for m in out if m == "nnviz" or m.startswith("nnviz.")}


def layer_of(module: str):
    """("model", 0) / ("qt", part, rank) / None for modules outside both."""
    parts = module.split(".")
    if parts[:2] == ["nnviz", "model"]:
        return ("model", None, 0)
    if parts[:2] == ["nnviz", "qt"] and len(parts) > 2:
        return ("qt", parts[2], QT_LAYERS.get(parts[2]))
    return None


def violations(module: str, imported: set[str]) -> list[str]:
    me = layer_of(module)
    bad = []
    for other in sorted(imported):
        them = layer_of(other)
        if me is None or them is None:
            if me is not None and other.startswith("nnviz.cli"):
                bad.append(f"{module} imports the command line {other}")
            continue
        if me[0] == "model":
            if them[0] == "qt":
                bad.append(f"{module} (model) imports {other} (Qt)")
            continue
        if them[0] == "model" or them[1] == me[1]:
            continue
        if me[2] is None or them[2] is None:
            bad.append(f"{module} or {other} is in no layer: add it to QT_LAYERS")
        elif them[2] >= me[2]:
            bad.append(f"{module} ({me[1]}, layer {me[2]}) imports {other} ({them[1]}, layer {them[2]})")
    return bad


def all_violations(root: Path = PKG) -> list[str]:
    bad = []
    for path in sorted(root.rglob("*.py")):
        name = module_name(path)
        bad += violations(name, imports_of(path.read_text(encoding="utf-8"), name, path.name == "__init__.py"))
    return bad


def test_no_module_imports_upward():
    assert all_violations() == []


def test_every_qt_part_has_a_layer():
    parts = {p.stem if p.is_file() else p.name for p in (PKG / "qt").iterdir()
             if not p.name.startswith("__") and (p.suffix == ".py" or p.is_dir())}
    assert parts - {"__pycache__"} <= set(QT_LAYERS), parts - set(QT_LAYERS)


def test_the_check_catches_an_upward_import():
    src = "from ..window.main_window import MainWindow\nimport numpy\n"
    assert violations("nnviz.qt.render.palettes", imports_of(src, "nnviz.qt.render.palettes"))
    lazy = "def f():\n    from ...qt.views.weight_panel import WeightPanel\n"
    assert violations("nnviz.model.core.trainer", imports_of(lazy, "nnviz.model.core.trainer"))
    sideways = "from ..views.plots import LossPlots\n"
    assert violations("nnviz.qt.explore.health_view", imports_of(sideways, "nnviz.qt.explore.health_view"))
    down = "from ..render.palettes import PALETTES\nfrom ...model.core.network import Network\n"
    assert violations("nnviz.qt.views.weight_panel", imports_of(down, "nnviz.qt.views.weight_panel")) == []
