"""A run's rewind history across a quit: every kept state comes back exactly, training on repeats
the run as if it had never stopped, and a file of another run or a damaged one is never used."""

import numpy as np
import pytest

from nnviz.model.errors import DataFormatError
from nnviz.model.files.lessonfile import LessonFile
from nnviz.model.files.rewind_file import load_rewind, rewind_path
from nnviz.model.session import TrainingSession


def _trained(optimizer="adam", steps=40):
    s = TrainingSession()
    s.load_lesson("digits", 0)
    s.change_settings({"optimizer": optimizer})
    s.step(steps)
    return s


def _resumed(s, folder) -> TrainingSession:
    """A new session (the next start) resumed from ``s``'s session file and rewind file."""
    saved = LessonFile.from_snapshot(s.snapshot()).saved_model()
    again = TrainingSession()
    again.load_lesson("digits", 0)
    again.install(saved)
    again.restore_rewind(rewind_path(folder, "digits"))
    return again


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_the_rewind_history_comes_back_and_training_on_repeats_the_run(tmp_path, optimizer):
    s = _trained(optimizer)
    assert s.save_rewinds(tmp_path) == ["digits"]
    again = _resumed(s, tmp_path)
    kept = s.timeline.iterations()
    assert len(kept) > 30 and np.array_equal(again.timeline.iterations(), kept)
    for i in (1, 17, 39):  # any past iteration: exactly the weights it had
        a, b = s.timeline.get(i), again.timeline.get(i)
        assert all(np.array_equal(x, y) for x, y in zip(a.weights + a.biases, b.weights + b.biases))
    s.step(5)  # the run as if nnviz had never closed, and the resumed one: the same steps
    again.step(5)
    assert all(np.array_equal(x, y) for x, y in zip(s.trainer.network.weights, again.trainer.network.weights))
    again.preview(12)  # scrubbing back past the resume point works
    assert again.snapshot().iteration == 12


def test_another_runs_or_a_damaged_file_is_not_used(tmp_path):
    s = _trained()
    s.save_rewinds(tmp_path)
    other = _trained(steps=41)  # the session file is another run's (one step further)
    again = _resumed(other, tmp_path)
    assert len(again.timeline) == 1 and again.trainer.iteration == 41
    path = rewind_path(tmp_path, "digits")
    w = s.trainer.network
    with pytest.raises(DataFormatError, match="another run"):
        load_rewind(path, "digits", w.weights, w.biases, 39)
    with pytest.raises(DataFormatError, match="lesson"):
        load_rewind(path, "mnist", w.weights, w.biases, 40)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataFormatError):
        load_rewind(path, "digits", w.weights, w.biases, 40)
    assert _resumed(s, tmp_path).timeline.iterations().tolist() == [40]  # the run resumes, without it


def test_a_lesson_left_gets_its_rewind_history_too_and_one_state_gets_none(tmp_path):
    s = _trained(steps=12)
    s.load_lesson("smile", 0)  # digits is left (parked), smile has nothing to rewind to
    assert s.save_rewinds(tmp_path) == ["digits"]
    assert rewind_path(tmp_path, "digits").exists() and not rewind_path(tmp_path, "smile").exists()


def test_every_truncation_and_a_meta_mutation_is_refused_in_one_line(tmp_path):
    """The rewind file is read back from the app's folder: a cut at every zip boundary (a full disk,
    a killed write) and a meta with wrong-typed values are refused in one line, never a crash."""
    import json

    from nnviz.model.storage.npzfile import meta_array, read_npz, write_npz
    from tests.fuzzing import cut_points, refused_in_one_line, zip_boundaries

    s = _trained(steps=6)
    s.save_rewinds(tmp_path)
    blob = rewind_path(tmp_path, "digits").read_bytes()
    w = s.trainer.network
    load = lambda p: load_rewind(p, "digits", w.weights, w.biases, 6)  # noqa: E731
    bad = tmp_path / "bad.timeline.npz"
    for cut in cut_points(blob, zip_boundaries(blob), sample=40):
        refused_in_one_line(load, bad, blob[:cut])
    arrays = read_npz(rewind_path(tmp_path, "digits"), "x")
    meta = json.loads(arrays["meta"].tobytes())
    for change in ({"rng": 5}, {"order": 9}, {"cursor": -1}, {"optimizer": {"arrays": {"m": 2}}}, {"loss": "x"},
                   {"iteration": 99}):
        entries = [dict(e) for e in meta["states"]]
        entries[0].update(change)
        write_npz(bad, {**arrays, "meta": meta_array({**meta, "states": entries})})
        refused_in_one_line(load, bad, bad.read_bytes())
