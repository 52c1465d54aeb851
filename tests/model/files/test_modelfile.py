"""Model files: exact round trip, atomic writes, and one clear error for anything else."""

import json

import numpy as np
import pytest

from nnviz.model.errors import DataFormatError
from nnviz.model.lessons import get_lesson
from nnviz.model.files.modelfile import SavedModel, load_model, save_model
from nnviz.model.core.network import Network


def trained_smile():
    t = get_lesson("smile").build()
    for _ in range(5):
        t.step()
    return t


def test_round_trip_is_exact(tmp_path):
    t = trained_smile()
    path = save_model(tmp_path / "m.npz", SavedModel(t.network, "smile", t.iteration, t.epoch, t.seed,
                                                    t.settings.to_dict(), t.history))
    m = load_model(path)
    assert m.network.sizes == [12, 1] and m.network.bias is False and m.network.output == "linear"
    np.testing.assert_array_equal(m.network.weights[0], t.network.weights[0])
    assert (m.lesson, m.iteration, m.epoch) == ("smile", 5, t.epoch)
    np.testing.assert_array_equal(m.history.frozen()["loss"], t.history.frozen()["loss"])
    assert m.settings["method"] == "nudge"


def test_save_is_atomic_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    net = Network([4, 3, 2], seed=0)
    save_model(path, SavedModel(net))
    before = path.read_bytes()

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np.lib.format, "write_array", boom)  # the disk fills while an array is written
    with pytest.raises(OSError):
        save_model(path, SavedModel(Network([4, 3, 2], seed=1)))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]  # no temp file left behind


def _write_npz(path, **arrays):
    np.savez(path, **arrays)
    return path


def _meta(**over):
    meta = {"format": "nnviz-model", "version": 1,
            "architecture": {"sizes": [4, 2], "hidden": "sigmoid", "output": "softmax", "bias": True}}
    meta.update(over)
    return np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)


@pytest.mark.parametrize("make,problem", [
    (lambda p: p.write_bytes(b"hello, not a model"), "not an nnviz model"),
    (lambda p: p.write_bytes(b""), "not an nnviz model"),
    (lambda p: _write_npz(p, x=np.zeros(3)), "no metadata"),
    (lambda p: _write_npz(p, meta=_meta(format="other")), "wrong format"),
    (lambda p: _write_npz(p, meta=_meta(), W0=np.zeros((2, 4))), "missing the weights"),
    (lambda p: _write_npz(p, meta=_meta(), W0=np.zeros((3, 4)), b0=np.zeros(3)), "needs"),
    (lambda p: _write_npz(p, meta=_meta(), W0=np.zeros((2, 4)), b0=np.zeros(2), W1=np.zeros(1)), "more weight"),
    (lambda p: _write_npz(p, meta=np.frombuffer(b"{not json", dtype=np.uint8)), "not valid JSON"),
    (lambda p: _write_npz(p, meta=_meta(architecture={"sizes": [4, 2], "hidden": "evil", "output": "softmax"})),
     "activation"),
    (lambda p: _write_npz(p, meta=_meta(), W0=np.array([[object()] * 4] * 2, dtype=object), b0=np.zeros(2)),
     "pickle"),
])
def test_bad_files_give_one_clear_error_naming_the_file(tmp_path, make, problem):
    path = tmp_path / "bad.npz"
    make(path)
    with pytest.raises(DataFormatError) as err:
        load_model(path)
    assert "bad.npz" in str(err.value) and problem in str(err.value)


def test_truncated_files_are_reported_not_crashed(tmp_path):
    good = save_model(tmp_path / "good.npz", SavedModel(Network([8, 4, 2], seed=0)))
    data = good.read_bytes()
    for cut in (10, len(data) // 3, len(data) // 2, len(data) - 5):
        bad = tmp_path / f"cut{cut}.npz"
        bad.write_bytes(data[:cut])
        with pytest.raises(DataFormatError, match=bad.name):
            load_model(bad)


def test_a_missing_file_or_a_folder_is_a_clear_error(tmp_path):
    with pytest.raises(DataFormatError, match="cannot be read"):
        load_model(tmp_path / "nope.npz")
    with pytest.raises(DataFormatError, match="folder"):
        load_model(tmp_path)


def test_history_of_any_shape_round_trips_and_infinities_become_nan(tmp_path):
    t = trained_smile()
    for _ in range(40):  # past an evaluation and a health record: (k, L, 7) and (m, L) columns
        t.step()
    t.history.record_step(float("inf"))
    m = load_model(save_model(tmp_path / "m.npz", SavedModel(t.network, "smile", t.iteration, history=t.history)))
    got, want = m.history.frozen(), t.history.frozen()
    assert got["weight_quantiles"].ndim == 3 and got["grad_norm"].ndim == 2
    np.testing.assert_array_equal(got["weight_quantiles"], want["weight_quantiles"])
    assert np.isnan(got["loss"][-1]) and np.array_equal(got["loss"][:-1], want["loss"][:-1])


def test_nan_weights_are_refused(tmp_path):
    net = Network([4, 2], seed=0)
    net.weights[0][1, 1] = np.nan
    path = save_model(tmp_path / "nan.npz", SavedModel(net))
    with pytest.raises(DataFormatError, match="nan.npz: layer 1 has weights that are not numbers"):
        load_model(path)


def test_the_epoch_fraction_round_trips_and_files_from_before_it_read_zero(tmp_path):
    t = trained_smile()
    path = save_model(tmp_path / "m.npz", SavedModel(t.network, "smile", 533, 533, 0, {}, t.history,
                                                    epoch_fraction=0.86))
    assert load_model(path).epoch_fraction == 0.86
    old = _write_npz(tmp_path / "old.npz", meta=_meta(), W0=np.zeros((2, 4), np.float32),
                     b0=np.zeros(2, np.float32))
    assert load_model(old).epoch_fraction == 0.0
    for bad in (1.0, -0.1, "half", None):
        with pytest.raises(DataFormatError, match="epoch fraction"):
            load_model(_write_npz(tmp_path / "bad.npz", meta=_meta(epoch_fraction=bad),
                                  W0=np.zeros((2, 4), np.float32), b0=np.zeros(2, np.float32)))
