"""Write files atomically: a crash or full disk mid-save leaves the previous file intact."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable, BinaryIO


def atomic_write(path: str | Path, write: Callable[[BinaryIO], None]) -> Path:
    """Call ``write(f)`` on a temp file next to ``path``, fsync it, then rename it over ``path``.

    The rename is atomic on one filesystem, so readers see the old file or the new
    one, never half of one. On any error the temp file is removed and the old file kept.
    The file gets the permissions a plain ``open()`` would give it (0666 less the umask):
    mkstemp's owner-only 0600 would keep a teacher's files from the class they are for.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def _umask() -> int:
    # os.umask can only be read by setting it; set it straight back (no file is created between)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
