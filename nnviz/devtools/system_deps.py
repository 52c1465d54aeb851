"""Does the README's apt-get line install every shared library Qt needs on a bare Debian/Ubuntu?

CI's machine happens to have most libraries already, so a missing package only shows on a fresh
machine. This check does not depend on what happens to be installed: it takes the libraries that
PySide6's modules and platform plugins link to (``ldd``), maps each to the Debian package that
owns it (``dpkg -S``) and requires that package to be in the dependency closure of the README's
apt list, or of the base system (``Priority: required`` / ``Essential: yes``, what a minimal
root has). Libraries shipped inside the wheel (Qt's own) are not the system's business.

    python -m nnviz.devtools.system_deps              # check both README commands
    python -m nnviz.devtools.system_deps --names P…   # do the README's names exist in these
                                                      # Packages indexes (other releases)?
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DPKG_STATUS = Path("/var/lib/dpkg/status")

#: what each README command must make work: the test command runs offscreen only; the launch
#: command opens a real window on X11 or Wayland (with their GL and shell integrations)
CORE = ("QtCore.abi3.so", "QtGui.abi3.so", "QtWidgets.abi3.so", "Qt/plugins/platforms/libqoffscreen.so")
WINDOW = CORE + ("Qt/plugins/platforms/libqxcb.so", "Qt/plugins/platforms/libqwayland.so",
                 "Qt/plugins/xcbglintegrations/*.so", "Qt/plugins/wayland-shell-integration/*.so",
                 "Qt/plugins/wayland-graphics-integration-client/*.so",
                 "Qt/plugins/wayland-decoration-client/*.so")


@dataclass(frozen=True)
class Missing:
    library: str  # soname, e.g. libglib-2.0.so.0
    package: str  # owning Debian package, or "" when the library is not installed at all
    needed_by: str  # the Qt file that links it

    def __str__(self) -> str:
        if not self.package:
            return f"{self.library} (needed by {self.needed_by}) is not installed at all"
        return f"{self.package} (for {self.library}, needed by {self.needed_by})"


# -- the README ------------------------------------------------------------------------------

def readme_commands(text: str) -> dict[str, str]:
    """{"launch": cmd, "test": cmd}: the first ```sh block after each of the two set-up lines."""
    out = {}
    for key, heading in (("launch", "Set up and launch"), ("test", "Set up and run the tests")):
        m = re.search(re.escape(heading) + r".*?```sh\n(.*?)```", text, re.S)
        if m:
            out[key] = m.group(1).strip()
    return out


def apt_packages(command: str) -> list[str]:
    """Package names of every ``apt-get install`` in a shell command line."""
    names = []
    for part in re.split(r"&&|\|\||;", command):
        words = part.split()
        if "apt-get" in words and "install" in words:
            names += [w for w in words[words.index("install") + 1:] if not w.startswith("-")]
    return names


# -- what is installed ---------------------------------------------------------------------

@dataclass
class _Pkg:
    depends: list[list[str]]  # groups of alternatives
    provides: list[str]
    base: bool  # Priority: required, or Essential


def _names(field: str) -> list[list[str]]:
    groups = []
    for group in field.split(","):
        alts = [re.split(r"[\s(:]", a.strip(), maxsplit=1)[0] for a in group.split("|")]
        if alts and alts[0]:
            groups.append(alts)
    return groups


def installed_packages(status: Path = DPKG_STATUS) -> dict[str, _Pkg]:
    """Installed packages from dpkg's status file: dependencies, provides, base-system flag."""
    pkgs = {}
    for para in status.read_text(encoding="utf-8", errors="replace").split("\n\n"):
        fields = dict(re.findall(r"^([\w-]+): ?(.*(?:\n .*)*)", para, re.M))
        if "Package" not in fields or "installed" not in fields.get("Status", "").split():
            continue
        deps = _names(fields.get("Depends", "")) + _names(fields.get("Pre-Depends", ""))
        pkgs[fields["Package"]] = _Pkg(deps, [g[0] for g in _names(fields.get("Provides", ""))],
                                       fields.get("Priority") == "required" or fields.get("Essential") == "yes")
    return pkgs


def closure(roots, pkgs: dict[str, _Pkg]) -> set[str]:
    """Every package that installing ``roots`` brings in (virtual names go to their provider;
    of alternatives, the first one that is installed, as apt would pick on a bare machine)."""
    providers: dict[str, list[str]] = {}
    for name, p in pkgs.items():
        for v in p.provides:
            providers.setdefault(v, []).append(name)

    def resolve(name):
        if name in pkgs:
            return name
        return (providers.get(name) or [None])[0]

    seen, todo = set(), [r for r in map(resolve, roots) if r]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for alts in pkgs[name].depends:
            pick = next((r for r in map(resolve, alts) if r), None)
            if pick:
                todo.append(pick)
    return seen


def linked_libraries(patterns, site: Path) -> dict[str, tuple[str | None, str]]:
    """{soname: (resolved path or None when not found, Qt file that needs it)} for the system
    libraries the given PySide6 files link to (the wheel's own Qt libraries left out)."""
    out = {}
    for pattern in patterns:
        for f in sorted(site.glob(pattern)):
            text = subprocess.run(["ldd", str(f)], capture_output=True, text=True).stdout
            for m in re.finditer(r"^\s*(\S+) => (not found|\S+)", text, re.M):
                soname, path = m.group(1), m.group(2)
                if "PySide6" in path or "shiboken6" in path:
                    continue
                if soname not in out or out[soname][0] is None:
                    out[soname] = (None if path == "not found" else path, f.name)
    return out


def owners(paths) -> dict[str, str]:
    """{library path: the Debian package owning it} in one ``dpkg -S`` call (with merged /usr,
    dpkg may know a file under /lib or /usr/lib: both spellings are asked)."""
    spellings = {}
    for path in paths:
        for p in {path, str(Path(path).resolve())}:
            for q in (p, p[4:] if p.startswith("/usr/") else "/usr" + p):
                spellings.setdefault(q, path)
    text = subprocess.run(["dpkg", "-S", *spellings], capture_output=True, text=True).stdout
    out = {}
    for line in text.splitlines():
        pkg, _, file = line.partition(": ")
        if file in spellings:
            out.setdefault(spellings[file], pkg.split(",")[0].split(":")[0].strip())
    return out


def missing(apt_list, patterns, site: Path, pkgs: dict[str, _Pkg] | None = None) -> list[Missing]:
    """Libraries that a bare machine would lack after installing ``apt_list``."""
    pkgs = installed_packages() if pkgs is None else pkgs
    have = closure(list(apt_list) + [n for n, p in pkgs.items() if p.base], pkgs)
    problems = []
    libs = linked_libraries(patterns, site)
    owned = owners([path for path, _ in libs.values() if path])
    for soname, (path, needed_by) in sorted(libs.items()):
        if path is None:
            problems.append(Missing(soname, "", needed_by))
            continue
        pkg = owned.get(path, "")
        if pkg and pkg not in have:
            problems.append(Missing(soname, pkg, needed_by))
    return problems


def pyside_dir() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("PySide6 is not installed")
    return Path(list(spec.submodule_search_locations)[0])


def check_readme(text: str, site: Path | None = None) -> dict[str, list[Missing]]:
    """{"launch": [...], "test": [...]}: what each README command fails to install."""
    site = site or pyside_dir()
    pkgs = installed_packages()
    cmds = readme_commands(text)
    return {key: missing(apt_packages(cmds.get(key, "")), WINDOW if key == "launch" else CORE, site, pkgs)
            for key in ("launch", "test")}


# -- other releases ---------------------------------------------------------------------------

def unresolved_names(names, packages_files) -> list[str]:
    """Names that are neither a package nor provided by exactly one package in the given
    Packages indexes (apt installs a virtual name only when it has a single provider)."""
    real, providers = set(), {}
    for f in packages_files:
        for para in Path(f).read_text(encoding="utf-8", errors="replace").split("\n\n"):
            m = re.search(r"^Package: (\S+)", para, re.M)
            if not m:
                continue
            real.add(m.group(1))
            p = re.search(r"^Provides: (.*)$", para, re.M)
            for v in _names(p.group(1)) if p else []:
                providers.setdefault(v[0], set()).add(m.group(1))
    return [n for n in names if n not in real and len(providers.get(n, ())) != 1]


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    if argv[:1] == ["--names"]:
        cmds = readme_commands(text)
        names = sorted({n for c in cmds.values() for n in apt_packages(c)})
        bad = unresolved_names(names, argv[1:])
        print("every README package name resolves" if not bad else "unresolved: " + " ".join(bad))
        return 1 if bad else 0
    result = check_readme(text)
    for key, problems in result.items():
        print(f"{key} command: " + ("installs every library Qt needs" if not problems else
                                    "misses " + "; ".join(map(str, problems))))
    return 1 if any(result.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
