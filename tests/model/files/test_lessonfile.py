""".nnviz lesson files: exact round trips, validation on construction, one clear error per bad file."""

import json
import os

import numpy as np
import pytest

from nnviz.model.errors import DataFormatError, SettingsError
from nnviz.model.data.examples import UserExamples
from nnviz.model.files.lessonfile import LessonFile, load_lesson_file, save_lesson_file, with_suffix
from nnviz.model.lessons import get_lesson
from nnviz.model.files.modelfile import SavedModel, save_model
from nnviz.model.core.network import Network
from nnviz.model.storage.npzfile import read_npz


def _trained(name="digits", steps=25):
    t = get_lesson(name).build()
    for _ in range(steps):
        t.step()
    return t


@pytest.fixture(scope="module")
def digits():
    return _trained("digits")


def _lesson(t, name="digits", **over):
    n_in = t.network.sizes[0]
    kw = dict(lesson=name, network=t.network, settings=t.settings.to_dict(), seed=t.seed, iteration=t.iteration,
              epoch=t.epoch, history=t.history, examples_x=np.linspace(0, 1, 3 * n_in).reshape(3, n_in),
              examples_labels=np.array([1, 0, 1]), title="Digits, 25 steps", note="Ünïcode ✓\nsecond line")
    kw.update(over)
    return LessonFile(**kw)


def test_round_trip_is_exact(tmp_path, digits):
    lf = _lesson(digits)
    path = save_lesson_file(tmp_path / "class.nnviz", lf)
    assert path == tmp_path / "class.nnviz" and not [p for p in tmp_path.iterdir() if p.name != "class.nnviz"]
    back = load_lesson_file(path)
    assert (back.lesson, back.seed, back.iteration, back.epoch) == ("digits", digits.seed, 25, digits.epoch)
    assert (back.title, back.note, back.settings) == (lf.title, lf.note, digits.settings.to_dict())
    assert back.network.architecture() == digits.network.architecture()
    for a, b in zip(back.network.weights + back.network.biases, digits.network.weights + digits.network.biases):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    want = digits.history.to_arrays()
    assert set(back.history) == set(want)
    for k, v in want.items():
        np.testing.assert_array_equal(back.history[k], v)
    assert back.history["weight_quantiles"].ndim == 3 and back.history["grad_norm"].ndim == 2
    np.testing.assert_array_equal(back.examples_x, lf.examples_x)
    assert back.examples_x.dtype == np.float32 and back.examples_labels.tolist() == [1, 0, 1]
    # and it drives a trainer again
    h = back.to_history().frozen()
    np.testing.assert_array_equal(h["loss"], digits.history.frozen()["loss"])
    m = back.saved_model()
    assert isinstance(m, SavedModel) and m.iteration == 25 and m.network.sizes == [64, 128, 32, 10]


def test_any_extra_numeric_history_column_is_kept_generically(tmp_path, digits):
    hist = {**digits.history.to_arrays(), "my_metric": np.arange(24.0).reshape(2, 3, 4),
            "counts": np.arange(5, dtype=np.int32), "loss": np.array([1.0, np.nan, np.inf, -np.inf])}
    back = load_lesson_file(save_lesson_file(tmp_path / "x.nnviz", _lesson(digits, history=hist)))
    np.testing.assert_array_equal(back.history["my_metric"], hist["my_metric"])
    assert back.history["counts"].dtype == np.int32
    # a diverged loss of ±inf is stored as NaN, the history's "no number"
    np.testing.assert_array_equal(back.history["loss"], [1.0, np.nan, np.nan, np.nan])


def test_from_snapshot_with_user_examples(tmp_path):
    t = _trained("smile", 3)
    ex = UserExamples()
    ex.add(np.ones(12), 1)
    ex.add(np.zeros(12), 0)
    lf = LessonFile.from_snapshot(t.snapshot("smile"), ex, title="Smiles")
    back = load_lesson_file(save_lesson_file(tmp_path / "s.nnviz", lf))
    assert back.lesson == "smile" and back.iteration == 3 and back.network.bias is False
    assert back.n_examples == 2 and back.examples_labels.tolist() == [1, 0]
    np.testing.assert_array_equal(back.network.weights[0], t.network.weights[0])
    empty = LessonFile.from_snapshot(t.snapshot("smile"))
    assert empty.examples_x.shape == (0, 12) and empty.n_examples == 0


def test_the_object_is_frozen_and_owns_its_data(digits):
    lf = _lesson(digits)
    with pytest.raises(AttributeError):
        lf.iteration = 3
    assert lf.network is not digits.network
    assert not lf.examples_x.flags.writeable and not lf.history["loss"].flags.writeable


@pytest.mark.parametrize("over,words", [
    (dict(lesson="cifar"), "names a lesson nnviz does not know"),
    (dict(lesson="mnist"), "needs 784 inputs"),
    (dict(examples_x=np.zeros((3, 12))), "(n, 64)"),
    (dict(examples_x=np.full((3, 64), 1.5)), "outside [0, 1]"),
    (dict(examples_x=np.full((3, 64), np.nan)), "outside [0, 1]"),
    (dict(examples_labels=np.array([0, 1])), "labels (2,)"),
    (dict(examples_labels=np.array([0, 1, 10])), "labels outside 0..9"),
    (dict(settings={"learning_rate": -1}), "learning rate"),
    (dict(settings={"learning_rate": "fast"}), "invalid training settings"),
    (dict(settings={"colour": "red"}), "settings nnviz does not know"),
    (dict(settings={"learning_rate": float("nan")}), "not plain numbers"),
    (dict(iteration=-1), "invalid iteration"),
    (dict(seed=1.5), "invalid seed"),
    (dict(title="x" * 201), "title of 201 characters"),
    (dict(note=3), "note that is not text"),
    (dict(history={"loss": np.array(["a"])}), "damaged training history"),
    (dict(history={"bad name!": np.zeros(2)}), "invalid name"),
    (dict(history={"loss": np.zeros((2, 2))}), "one number per row"),
])
def test_an_invalid_lesson_cannot_even_be_built(digits, over, words):
    with pytest.raises(SettingsError) as e:
        _lesson(digits, **over)
    assert words in str(e.value) and str(e.value).startswith("this lesson file ")


def test_nan_weights_cannot_be_built(digits):
    net = digits.network.copy()
    net.weights[1][0, 0] = np.nan
    with pytest.raises(SettingsError, match="layer 2 that are not numbers"):
        _lesson(digits, network=net)


def test_the_lessons_network_shape_is_enforced(digits):
    t = _trained("smile", 1)
    with pytest.raises(SettingsError, match="sigmoid output"):
        _lesson(t, "smile", network=Network([12, 1], output="sigmoid", bias=False), examples_x=None,
                examples_labels=None)
    ok = _lesson(t, "smile", network=Network([12, 4, 1], hidden="tanh", output="linear", bias=False),
                 examples_x=None, examples_labels=None)  # hidden layers are the teacher's choice
    assert ok.network.sizes == [12, 4, 1]


# --- damaged and foreign files ----------------------------------------------------------------

@pytest.fixture(scope="module")
def good_arrays(tmp_path_factory, digits):
    path = save_lesson_file(tmp_path_factory.mktemp("good") / "good.nnviz", _lesson(digits))
    return read_npz(path, "a test file")


def _with(good, meta=None, drop=(), **arrays):
    """The good file's arrays with ``meta`` entries changed, some arrays dropped or replaced."""
    out = {k: v for k, v in good.items() if k not in drop}
    if meta is not None:
        m = json.loads(good["meta"].tobytes())
        m.update(meta)
        out["meta"] = np.frombuffer(json.dumps(m).encode(), np.uint8)
    out.update(arrays)
    return out


def _savez(path, arrays):
    with open(path, "wb") as f:  # an open file: np.savez would append .npz to a name
        np.savez(f, **arrays)
    return path


def _nan_w1(good):
    w = good["W1"].copy()
    w[3, 4] = np.nan
    return _with(good, W1=w)


@pytest.mark.parametrize("make,words", [
    (lambda g: _with(g, meta={"format": "nnviz-model"}), "wrong format tag) (it is a model file"),
    (lambda g: _with(g, meta={"format": "zip-of-cats"}), "wrong format tag"),
    (lambda g: _with(g, meta={"version": 2}), "format version 2; this nnviz reads version 1; a newer"),
    (lambda g: _with(g, meta={"version": "1"}), "format version '1'"),
    (lambda g: _with(g, meta={"lesson": "chess"}), "names a lesson nnviz does not know ('chess'"),
    (lambda g: _with(g, meta={"lesson": None}), "invalid lesson name"),
    (lambda g: _with(g, W0=np.zeros((128, 63), np.float32)), "needs (128, 64)"),
    (lambda g: _with(g, b2=np.zeros(9, np.float32)), "needs (10, 32) and (10,)"),
    (lambda g: _with(g, drop=("W2",)), "missing the weights of layer 3"),
    (lambda g: _with(g, W3=np.zeros((1, 10), np.float32)), "more weight layers"),
    (lambda g: _with(g, W0=g["W0"].astype(np.int32)), "not floating point"),
    (_nan_w1, "layer 2 has weights that are not numbers"),
    (lambda g: _with(g, **{"examples/x": np.zeros((3, 784), np.float32)}), "examples are (n, 64)"),
    (lambda g: _with(g, **{"examples/labels": np.array([0, 1, 12])}), "labels outside 0..9"),
    (lambda g: _with(g, drop=("examples/x",)), "missing its examples"),
    (lambda g: _with(g, **{"history/loss": np.array([np.inf])}), "holds infinities"),
    (lambda g: _with(g, **{"history/loss": np.array([1 + 2j])}), "damaged training history"),
    (lambda g: _with(g, **{"secret": np.zeros(3)}), "arrays nnviz does not know (secret)"),
    (lambda g: _with(g, meta={"iteration": -5}), "invalid seed/iteration/epoch"),
    (lambda g: _with(g, meta={"settings": {"batch_size": 0}}), "batch size"),
    (lambda g: _with(g, meta={"title": ["not", "text"]}), "title or note that is not text"),
    (lambda g: _with(g, meta={"architecture": {"sizes": [64, 10], "hidden": "relu", "output": "softmax",
                                               "bias": "yes"}}), "invalid bias flag"),
    (lambda g: _with(g, meta={"architecture": {"sizes": [64, -3, 10], "hidden": "relu",
                                               "output": "softmax"}}), "invalid architecture"),
    (lambda g: _with(g, drop=("meta",)), "no metadata"),
    (lambda g: {**g, "meta": np.frombuffer(b"{not json", np.uint8)}, "not valid JSON"),
    (lambda g: {**g, "meta": np.frombuffer(b"[1, 2]", np.uint8)}, "metadata is not a JSON object"),
    (lambda g: {**g, "meta": np.zeros(3, np.float32)}, "unreadable metadata"),
])
def test_bad_lesson_files_name_the_file_and_the_problem(tmp_path, good_arrays, make, words):
    path = _savez(tmp_path / "bad.nnviz", make(good_arrays))
    with pytest.raises(DataFormatError) as e:
        load_lesson_file(path)
    assert "bad.nnviz" in str(e.value) and words in str(e.value), str(e.value)


def test_deeply_nested_json_metadata_is_refused(tmp_path, good_arrays):
    deep = np.frombuffer(b"[" * 200_000 + b"]" * 200_000, np.uint8)  # RecursionError in json
    path = _savez(tmp_path / "deep.nnviz", {**good_arrays, "meta": deep})
    with pytest.raises(DataFormatError, match="deep.nnviz: has metadata that is not valid JSON"):
        load_lesson_file(path)


def test_not_a_zip_truncated_missing_and_folder(tmp_path, digits):
    good = save_lesson_file(tmp_path / "good.nnviz", _lesson(digits)).read_bytes()
    for name, blob, words in (("text.nnviz", b"Dear class,\n", "not an .npz archive"),
                              ("empty.nnviz", b"", "not an .npz archive"),
                              ("png.nnviz", b"\x89PNG\r\n\x1a\n" + bytes(100), "not an .npz archive")):
        (tmp_path / name).write_bytes(blob)
        with pytest.raises(DataFormatError, match=f"{name}: is not an nnviz lesson file .{words}"):
            load_lesson_file(tmp_path / name)
    for cut in (2, 30, 100, len(good) // 2, len(good) - 22, len(good) - 1):
        p = tmp_path / f"cut{cut}.nnviz"
        p.write_bytes(good[:cut])
        with pytest.raises(DataFormatError, match=p.name):
            load_lesson_file(p)
    with pytest.raises(DataFormatError, match="nope.nnviz: cannot be read"):
        load_lesson_file(tmp_path / "nope.nnviz")
    with pytest.raises(DataFormatError, match="is a folder"):
        load_lesson_file(tmp_path)


def test_a_model_file_is_not_a_lesson_file(tmp_path, digits):
    path = save_model(tmp_path / "m.npz", SavedModel(digits.network, "digits"))
    with pytest.raises(DataFormatError, match="m.npz: .*it is a model file"):
        load_lesson_file(path)


class _Payload:
    """Unpickling this creates a marker folder: proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.mkdir, (self.marker,)


def test_a_pickle_payload_is_refused_and_never_unpickled(tmp_path, good_arrays):
    marker = tmp_path / "PWNED"
    evil = np.array([_Payload(marker)], dtype=object)
    for key in ("examples/labels", "history/loss", "W0", "meta"):
        path = _savez(tmp_path / "evil.nnviz", {**good_arrays, key: evil})
        with pytest.raises(DataFormatError, match="evil.nnviz: contains pickled Python objects"):
            load_lesson_file(path)
        assert not marker.exists(), f"unpickled {key}"
    # the payload is real: numpy with pickles allowed would have run it
    with np.load(path, allow_pickle=True) as z:
        z["meta"]
    assert marker.exists()


def test_with_suffix():
    assert with_suffix("lesson").name == "lesson.nnviz"
    assert with_suffix("/a/b.NNVIZ").name == "b.NNVIZ"
    assert with_suffix("my.lesson").name == "my.lesson.nnviz"


def test_the_epoch_progress_round_trips_and_files_from_before_it_read_zero(tmp_path, good_arrays):
    t = _trained("digits", 130)  # 45 of 85 iterations into its second epoch
    lf = LessonFile.from_snapshot(t.snapshot("digits"))
    back = load_lesson_file(save_lesson_file(tmp_path / "e.nnviz", lf))
    assert back.epoch == 1 and back.epoch + back.epoch_fraction == pytest.approx(t.epoch_progress)
    assert back.saved_model().epoch_fraction == back.epoch_fraction
    m = json.loads(good_arrays["meta"].tobytes())
    m.pop("epoch_fraction")  # a file written before the fraction was kept
    old = _savez(tmp_path / "old.nnviz", {**good_arrays, "meta": np.frombuffer(json.dumps(m).encode(), np.uint8)})
    assert load_lesson_file(old).epoch_fraction == 0.0
    bad = _savez(tmp_path / "bad.nnviz", _with(good_arrays, meta={"epoch_fraction": 2}))
    with pytest.raises(DataFormatError, match="bad.nnviz.*invalid epoch fraction"):
        load_lesson_file(bad)
    with pytest.raises(SettingsError, match="epoch fraction"):
        _lesson(t, epoch_fraction=1.5)


def test_a_lesson_file_carries_its_own_guide(tmp_path):
    from nnviz.model.guide import builtin_guide

    t = get_lesson("smile").build()
    guide = builtin_guide("smile").to_dict()
    guide["title"] = "Homework 3: the smile by hand"
    guide["steps"] = guide["steps"][:3]
    lf = LessonFile.from_snapshot(t.snapshot(lesson="smile"), guide=guide)
    back = load_lesson_file(save_lesson_file(tmp_path / "hw.nnviz", lf))
    assert back.guide == guide and back.guide["title"].startswith("Homework 3")
    old = load_lesson_file(save_lesson_file(tmp_path / "plain.nnviz", LessonFile.from_snapshot(t.snapshot(lesson="smile"))))
    assert old.guide is None  # files without one (all written before) read as no guide of their own


def test_a_bad_guide_in_a_lesson_file_is_one_line_naming_the_step(tmp_path):
    from nnviz.model.guide import builtin_guide

    snap = get_lesson("smile").build().snapshot(lesson="smile")
    bad = builtin_guide("smile").to_dict()
    bad["steps"][2]["check"] = {"foo": 1}
    with pytest.raises(SettingsError, match=r'bad guide: step 3 "[^"]+": unknown check') as e:
        LessonFile.from_snapshot(snap, guide=bad)
    assert "\n" not in str(e.value)
    other = builtin_guide("digits").to_dict()
    with pytest.raises(SettingsError, match="guide for the digits lesson, not smile"):
        LessonFile.from_snapshot(snap, guide=other)
    # and in a file written by something else: DataFormatError naming the file
    path = save_lesson_file(tmp_path / "ok.nnviz", LessonFile.from_snapshot(snap))
    arrays = dict(read_npz(path, "test"))
    meta = json.loads(bytes(arrays["meta"]).decode())
    meta["guide"] = bad
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    np.savez(tmp_path / "bad.npz", **arrays)
    os.replace(tmp_path / "bad.npz", tmp_path / "bad.nnviz")
    with pytest.raises(DataFormatError, match=r"bad\.nnviz: has a bad guide: step 3"):
        load_lesson_file(tmp_path / "bad.nnviz")


@pytest.mark.parametrize("lesson", ["smile", "mnist", "digits", "conv", "mnist-conv"])
def test_a_fresh_start_is_told_from_a_session_with_something_the_learner_did(lesson):
    """A session left at iteration 0 was not resumed at all: a model opened, a weight set by hand
    or a setting changed before the first step was gone after a quit."""
    from dataclasses import replace

    t = get_lesson(lesson).build()
    fresh = LessonFile.from_snapshot(t.snapshot(lesson=lesson))
    assert fresh.is_fresh_start()
    edited = t.network.copy()
    edited.weights[0][0, 0] += 0.5  # a weight set by hand (or any other network: a model opened)
    assert not replace(fresh, network=edited).is_fresh_start()
    assert not replace(fresh, settings={**fresh.settings, "learning_rate": 0.123}).is_fresh_start()
    assert replace(fresh, settings={}).is_fresh_start()  # a file naming no settings takes the lesson's
    assert not replace(fresh, settings={"learning_rate": 0.123}).is_fresh_start()
    assert not replace(fresh, seed=fresh.seed + 1,
                       network=get_lesson(lesson).network(fresh.seed + 1)).is_fresh_start()  # reset with another seed
    assert not replace(fresh, iteration=1).is_fresh_start()
    x = np.zeros((1, t.network.sizes[0]), np.float32)
    assert not replace(fresh, examples_x=x, examples_labels=np.zeros(1, np.int64)).is_fresh_start()
