"""The project's own error types: every bad file or bad setting ends up as one of these."""

from __future__ import annotations

from pathlib import Path


class NNVizError(Exception):
    """Base class for errors a user can cause and the app reports in plain words."""


class DataFormatError(NNVizError):
    """A file is not what it claims to be (truncated, wrong magic, wrong shapes, not ours).

    The message always names the file, so a dialog or CLI can print it as one line.
    """

    def __init__(self, path: str | Path | None, problem: str):
        self.path = None if path is None else Path(path)
        self.problem = problem
        where = f"{self.path}: " if self.path is not None else ""
        super().__init__(f"{where}{problem}")


class SettingsError(NNVizError):
    """A setting is out of range or does not fit the network/dataset (e.g. batch size 0)."""
