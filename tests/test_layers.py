"""The layers hold: window → views/explore → render → model, and nothing imports upward.

Inside the model, floors: each part imports only parts on lower floors (or itself), and no
modules import each other in a loop. Every import in every module counts, including the lazy
ones inside functions.
"""

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "nnviz"

#: layer of each part of nnviz.qt (a module may import only strictly lower layers, or its own
#: sub-package); the model is below all of them and imports no Qt at all
QT_LAYERS = {"lazy_qt_mirrors": 0, "gui_collector": 0, "graphics": 1, "worker": 1, "views": 2, "explore": 2, "window": 3,
             "splash": 3, "startup": 4, "offscreen": 4, "app": 5, "screenshot": 5, "freeze_matrix": 5,
             "bench_gui": 6, "soak_bench": 6}


#: floor of each part of nnviz.model (a sub-package or a top-level module): a module may import
#: only strictly lower floors, or its own part; errors and undo stand apart at the bottom
MODEL_FLOORS = {"errors": 0, "undo": 1, "storage": 1, "canvas": 2, "data": 2, "core": 3, "lessons": 4,
                "guide": 4, "files": 5, "runs": 6, "session": 7, "analysis": 8}


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
    """("model", part, floor) / ("qt", part, rank) / None for modules outside both."""
    parts = module.split(".")
    if parts[:2] == ["nnviz", "model"]:
        return ("model", parts[2], MODEL_FLOORS.get(parts[2])) if len(parts) > 2 else ("model", None, None)
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
            elif them[1] is None or them[1] == me[1]:
                continue
            elif me[2] is None or them[2] is None:
                bad.append(f"{module} or {other} is on no floor: add it to MODEL_FLOORS")
            elif them[2] >= me[2]:
                bad.append(f"{module} ({me[1]}, floor {me[2]}) imports {other} ({them[1]}, floor {them[2]})")
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


def model_graph(root: Path = PKG) -> dict[str, set[str]]:
    """Each nnviz.model module -> the nnviz.model modules it imports (names resolved to modules)."""
    sources = {module_name(p): p for p in sorted((root / "model").rglob("*.py"))}
    graph = {}
    for name, path in sources.items():
        out = set()
        for m in imports_of(path.read_text(encoding="utf-8"), name, path.name == "__init__.py"):
            while m and m not in sources:
                m = m.rpartition(".")[0]
            if m and m != name and m != "nnviz.model":
                out.add(m)
        graph[name] = out
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import loops of ``graph``: its strongly connected components of more than one module."""
    index, low, stack, on, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_module_imports_upward():
    assert all_violations() == []


def test_no_model_modules_import_each_other_in_a_loop():
    assert cycles(model_graph()) == []


def parts_of(package: Path) -> set[str]:
    """The sub-packages and top-level modules of ``package``, by name."""
    return {p.stem if p.is_file() else p.name for p in package.iterdir()
            if not p.name.startswith("__") and (p.suffix == ".py" or p.is_dir())}


def test_every_model_part_has_a_floor():
    assert parts_of(PKG / "model") <= set(MODEL_FLOORS), parts_of(PKG / "model") - set(MODEL_FLOORS)


def test_the_check_catches_a_loop():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_every_qt_part_has_a_layer():
    assert parts_of(PKG / "qt") <= set(QT_LAYERS), parts_of(PKG / "qt") - set(QT_LAYERS)


@pytest.mark.parametrize("module, source, refused", [
    ("nnviz.qt.graphics.palettes", "from ..window.main_window import MainWindow\nimport numpy\n", True),
    ("nnviz.model.core.trainer", "def f():\n    from ...qt.views.weight_panel import WeightPanel\n", True),
    ("nnviz.qt.explore.health_view", "from ..views.plots import LossPlots\n", True),  # sideways
    ("nnviz.qt.views.weight_panel", "from ..graphics.palettes import PALETTES\nfrom ...model.core.network import Network\n",
     False),
    ("nnviz.model.data.dataset_files", "def f():\n    from ..lessons import LESSONS\n", True),  # up, inside the model
    ("nnviz.model.lessons", "from .guide import guide_from_dict\n", True),  # sideways: the same floor
    ("nnviz.model.data.bundled",
     "from ..storage.npzfile import read_npz\nfrom .datasets import Dataset\nfrom ..errors import NNVizError\n", False),
])
def test_the_check_catches_an_upward_or_sideways_import(module, source, refused):
    assert bool(violations(module, imports_of(source, module))) == refused
