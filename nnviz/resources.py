"""Locate the shipped `resources/` folder, in a wheel install and in a source checkout."""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent


def resource_dir() -> Path:
    """Return the folder holding nnviz's data and icons.

    A wheel carries it as ``nnviz/resources`` (force-included at build time); a
    source checkout or editable install keeps it at the repository's top level.
    """
    for candidate in (_PKG / "resources", _PKG.parent / "resources"):
        if (candidate / "data").is_dir():
            return candidate
    raise FileNotFoundError(
        "nnviz's resources folder was not found next to the package; reinstall nnviz"
    )


def resource_path(*parts: str) -> Path:
    """Path of one shipped file, e.g. ``resource_path("data", "digits.npz")``."""
    return resource_dir().joinpath(*parts)
