"""Model and lesson files of layer stacks (the spec is stored), MLP files with their spec, and
files written before the spec existed: they load exactly as they always did."""

import json

import numpy as np
import pytest

from nnviz.model.analysis.evaluate import evaluate_file
from nnviz.model.core.layer_network import LayerNetwork
from nnviz.model.core.network import Network
from nnviz.model.core.networks import build_network
from nnviz.model.errors import DataFormatError, SettingsError
from nnviz.model.files.lessonfile import LessonFile, load_lesson_file, save_lesson_file
from nnviz.model.files.modelfile import SavedModel, load_model, save_model
from nnviz.model.storage.npzfile import read_npz
from nnviz.model.lessons import CONV_SPEC, MNIST_CONV_SPEC, get_lesson


@pytest.fixture(scope="module")
def conv():
    t = get_lesson("conv").build(seed=0)
    for _ in range(50):  # an epoch and 7 iterations of the next
        t.step()
    return t


def meta_of(path):
    return json.loads(read_npz(path, "a test file")["meta"].tobytes())


def rewrite(path, meta=None, **arrays):
    """The file at ``path`` with its metadata replaced and arrays changed (None: removed)."""
    old = dict(read_npz(path, "a test file"))
    if meta is not None:
        old["meta"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    for k, v in arrays.items():
        if v is None:
            old.pop(k)
        else:
            old[k] = v
    np.savez_compressed(path, **old)
    return path


def assert_same_net(a, b):
    assert type(a) is type(b) and a.sizes == b.sizes
    for x, y in zip(a.weights + a.biases, b.weights + b.biases):
        assert x.dtype == y.dtype and np.array_equal(x, y)


def test_a_conv_model_round_trips_with_its_spec_and_epoch_progress(tmp_path, conv):
    path = save_model(tmp_path / "c.npz", SavedModel.of_trainer(conv, "conv"))
    assert meta_of(path)["architecture"] == {"spec": CONV_SPEC, "dtype": "float32"}
    m = load_model(path)
    assert type(m.network) is LayerNetwork and m.network.spec == CONV_SPEC
    assert_same_net(m.network, conv.network)
    assert (m.lesson, m.iteration, m.epoch) == ("conv", 50, 1)
    assert m.epoch + m.epoch_fraction == pytest.approx(conv.epoch_progress)
    x = conv.dataset.x_test
    np.testing.assert_array_equal(m.network.predict(x), conv.network.predict(x))
    got = evaluate_file(path, "digits")
    assert got["n"] == len(x) and got["accuracy"] == pytest.approx(conv.evaluate("test")[1])


def test_an_mlp_file_keeps_its_architecture_keys_and_adds_its_spec(tmp_path):
    t = get_lesson("digits").build(seed=0)
    t.step()
    path = save_model(tmp_path / "d.npz", SavedModel.of_trainer(t, "digits"))
    arch = meta_of(path)["architecture"]
    assert {k: v for k, v in arch.items() if k != "spec"} == t.network.architecture() == {
        "sizes": [64, 128, 32, 10], "hidden": "relu", "output": "softmax", "bias": True, "dtype": "float32"}
    assert arch["spec"] == t.network.spec
    assert_same_net(load_model(path).network, t.network)


def test_files_written_before_the_spec_load_exactly_as_before(tmp_path):
    """The old writer's layout: architecture = {sizes, hidden, output, bias, dtype}, no spec."""
    t = get_lesson("mnist").build(seed=2)
    for _ in range(7):
        t.step()
    new = save_model(tmp_path / "new.npz", SavedModel.of_trainer(t, "mnist"))
    meta = meta_of(new)
    old_meta = dict(meta, architecture={k: v for k, v in meta["architecture"].items() if k != "spec"})
    assert "spec" not in json.dumps(old_meta)
    old = tmp_path / "old.npz"
    old.write_bytes(new.read_bytes())
    rewrite(old, old_meta)
    a, b = load_model(old), load_model(new)
    assert_same_net(a.network, b.network)
    assert type(a.network) is Network and a.network.hidden == "sigmoid" and a.network.sizes == [784, 16, 16, 10]
    assert (a.lesson, a.iteration, a.epoch, a.seed, a.settings, a.epoch_fraction) == \
           (b.lesson, b.iteration, b.epoch, b.seed, b.settings, b.epoch_fraction)
    for k, v in b.history.to_arrays().items():
        np.testing.assert_array_equal(a.history.to_arrays()[k], v)
    # and an old lesson file too
    lf = LessonFile.from_snapshot(t.snapshot(lesson="mnist"), title="old")
    path = save_lesson_file(tmp_path / "old.nnviz", lf)
    lmeta = meta_of(path)
    lmeta["architecture"].pop("spec")
    back = load_lesson_file(rewrite(path, lmeta))
    assert_same_net(back.network, t.network)
    assert back.title == "old"


@pytest.mark.parametrize("spec", [CONV_SPEC, MNIST_CONV_SPEC])
def test_a_conv_lesson_file_round_trips(tmp_path, spec):
    name = "conv" if spec is CONV_SPEC else "mnist-conv"
    t = get_lesson(name).build(seed=0)
    for _ in range(3):
        t.step()
    lf = LessonFile.from_snapshot(t.snapshot(lesson=name), title="kernels")
    back = load_lesson_file(save_lesson_file(tmp_path / "k.nnviz", lf))
    assert type(back.network) is LayerNetwork and back.network.spec == spec
    assert_same_net(back.network, t.network)
    m = back.saved_model()
    assert m.iteration == 3 and m.network.spec == spec


def test_a_lesson_file_refuses_a_conv_net_for_other_images(conv):
    other = build_network(dict(CONV_SPEC, input_shape=[1, 4, 16]))  # 64 inputs, not 8×8
    with pytest.raises(SettingsError, match="network for 1×4×16 inputs, but the conv lesson's images are 1×8×8"):
        LessonFile(lesson="conv", network=other)
    assert LessonFile(lesson="digits", network=conv.network).network.spec == CONV_SPEC  # layers are free


@pytest.mark.parametrize("change, problem", [
    (lambda m, a: (dict(m, architecture={"spec": {"layers": []}}), {}), "invalid network spec"),
    (lambda m, a: (dict(m, architecture={"spec": "conv"}), {}), "invalid network spec"),
    (lambda m, a: (m, {"W0": np.zeros((8, 1, 5, 5), np.float32)}), r"needs \(8, 1, 3, 3\)"),
    (lambda m, a: (m, {"b1": None}), "missing the weights of weight layer 2"),
    (lambda m, a: (m, {"W2": np.zeros(3, np.float32)}), "more weight layers"),
    (lambda m, a: (m, {"W0": np.full((8, 1, 3, 3), np.nan, np.float32)}), "not numbers"),
    (lambda m, a: (m, {"W0": np.zeros((8, 1, 3, 3), np.int32)}), "not floating point"),
    (lambda m, a: (dict(m, architecture={"spec": dict(CONV_SPEC, input_shape=[1, 8000, 8000])}), {}),
     "at most 1,000,000"),
])
def test_a_bad_conv_model_file_names_the_file_and_the_problem(tmp_path, conv, change, problem):
    path = save_model(tmp_path / "bad.npz", SavedModel.of_trainer(conv, "conv"))
    meta, arrays = change(meta_of(path), None)
    rewrite(path, meta, **arrays)
    with pytest.raises(DataFormatError, match=problem) as e:
        load_model(path)
    assert "bad.npz" in str(e.value)
