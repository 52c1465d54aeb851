"""Atomic saves keep the old file on failure and give the new one ordinary permissions."""

import os
import stat

import pytest

from nnviz.model.storage.atomic import atomic_write


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_saved_files_honour_the_umask_like_open_does(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        out = atomic_write(tmp_path / "lesson.nnviz", lambda f: f.write(b"data"))
        with open(tmp_path / "plain.txt", "wb") as f:
            f.write(b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == mode
    assert stat.S_IMODE((tmp_path / "plain.txt").stat().st_mode) == mode  # the same as a plain open()
    assert out.read_bytes() == b"data"


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    target = tmp_path / "model.npz"
    target.write_bytes(b"old")

    def boom(f):
        f.write(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        atomic_write(target, boom)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]
