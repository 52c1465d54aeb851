"""Arrays moved to disk come back bit for bit, read-only, and a failed write leaves them in memory."""

import os

import numpy as np
import pytest

from nnviz.model.core.mapped_arrays import map_to_disk
from nnviz.model.session import TrainingSession


def test_arrays_come_back_exactly_whatever_their_dtype_and_shape(tmp_path):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((16, 784)).astype(np.float32), rng.standard_normal(10),
              np.arange(7, dtype=np.int64), np.empty((0, 3), np.float32), np.float32(2.5) * np.ones(()),
              rng.standard_normal((4, 1, 3, 3)).astype(np.float32)[:, :, ::-1]]  # not contiguous
    mapped = map_to_disk(arrays, tmp_path)
    for a, m in zip(arrays, mapped):
        assert m.dtype == a.dtype and m.shape == a.shape
        np.testing.assert_array_equal(m, a)
        assert not m.flags.writeable
    assert os.listdir(tmp_path) == []  # unlinked at once: nothing left behind


def test_a_run_set_aside_when_the_disk_refuses_is_thinned_in_memory_instead(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("a file where the folder should be")
    s = TrainingSession()
    s.spill_dir = blocked
    s.load_lesson("digits", 0)
    s.step(300)
    s.load_lesson("smile")  # digits is set aside: the write fails, the run is kept anyway
    left = s._parked["digits"].run
    assert left.trainer.iteration == 300 and 0 < len(left.timeline) < 300
    with pytest.raises(OSError):
        map_to_disk([np.ones(3)], blocked)
