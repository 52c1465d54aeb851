"""The README's apt-get lines install every shared library Qt needs, even where CI's machine
already has them (nnviz.devtools.system_deps explains the check)."""

import os
import shutil
from pathlib import Path

import pytest

from nnviz.devtools import system_deps as sd

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
needs_dpkg = pytest.mark.skipif(
    not (shutil.which("dpkg") and shutil.which("ldd") and sd.DPKG_STATUS.exists()),
    reason="needs dpkg and ldd (a Debian/Ubuntu system) to map Qt's libraries to packages")


def skip_unless_installed(missing):
    """A library installed nowhere on this machine cannot be mapped to its package: where only the
    test command ran (a developer's machine), say so; CI installs both commands' packages first
    (.ci/run), so there it is a library the README does not install."""
    unmapped = sorted({m.library for m in missing if not m.package})
    if unmapped and os.environ.get("CI") != "true":
        pytest.skip(f"{', '.join(unmapped)} not installed here: run the launch command's apt-get line to check them")


@needs_dpkg
def test_readme_commands_install_every_library_qt_links_to():
    result = sd.check_readme(README)
    skip_unless_installed(result["launch"])
    assert result == {"launch": [], "test": []}, {k: [str(m) for m in v] for k, v in result.items()}


@needs_dpkg
def test_the_check_fails_and_names_a_package_taken_out_of_the_readme():
    without = README.replace(" libglib2.0-0 ", " ")
    assert without != README
    result = sd.check_readme(without)
    for key in ("launch", "test"):
        assert "libglib2.0-0" in {m.package for m in result[key]}, key
        assert any("libglib-2.0.so.0" in str(m) for m in result[key])


@needs_dpkg
def test_the_window_plugins_are_checked_too():
    # xcb and wayland plugins link what the offscreen test run never loads
    without = README.replace(" libxcb-cursor0 ", " ").replace(" libwayland-egl1 ", " ")
    missing = sd.check_readme(without)["launch"]
    skip_unless_installed([m for m in missing if "cursor" not in m.library and "egl" not in m.library])
    problems = {m.package for m in missing}
    assert {"libxcb-cursor0", "libwayland-egl1"} <= problems


def test_readme_commands_are_found_and_parsed():
    cmds = sd.readme_commands(README)
    assert set(cmds) == {"launch", "test"}
    assert cmds["launch"].rstrip().endswith(".venv/bin/nnviz")
    assert "pytest" in cmds["test"]
    assert "libglib2.0-0" in sd.apt_packages(cmds["test"])
    assert sd.apt_packages("sudo apt-get update && sudo apt-get install -y a b && pip install c") == ["a", "b"]


def test_closure_follows_dependencies_alternatives_and_provides(tmp_path):
    status = tmp_path / "status"
    status.write_text("\n\n".join([
        "Package: app\nStatus: install ok installed\nDepends: libfoo (>= 1), bar | baz, virt",
        "Package: libfoo\nStatus: install ok installed\nPre-Depends: libc6",
        "Package: libc6\nStatus: install ok installed\nPriority: required",
        "Package: baz\nStatus: install ok installed",
        "Package: libvirt-t64\nStatus: install ok installed\nProvides: virt (= 2)",
        "Package: removed\nStatus: deinstall ok config-files",
        "Package: lonely\nStatus: install ok installed",
    ]))
    pkgs = sd.installed_packages(status)
    assert "removed" not in pkgs and pkgs["libc6"].base
    assert sd.closure(["app"], pkgs) == {"app", "libfoo", "libc6", "baz", "libvirt-t64"}
    assert sd.closure(["virt"], pkgs) == {"libvirt-t64"}  # a virtual name in the apt list


def test_package_names_resolve_only_when_real_or_provided_once(tmp_path):
    index = tmp_path / "Packages"
    index.write_text("Package: libglib2.0-0t64\nProvides: libglib2.0-0 (= 2.80)\n\n"
                     "Package: mawk\nProvides: awk\n\nPackage: gawk\nProvides: awk\n\nPackage: libgl1\n")
    assert sd.unresolved_names(["libglib2.0-0", "libgl1", "awk", "nope"], [index]) == ["awk", "nope"]
