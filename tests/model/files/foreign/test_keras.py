"""The committed Keras fixtures (nnviz/devtools/make_keras_fixtures.py: Keras 3 files, and Keras 1, 2.2
and tf.keras 2.4 layouts written with h5py) open in nnviz and compute what Keras computed; the reader
runs in a child process, whose crashes, hangs and memory blow-ups are one-line errors."""

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from nnviz.model.core.layers import LAYER_TYPES
from nnviz.model.errors import DataFormatError
from nnviz.model.files.foreign import NeedsSpec, load_foreign
from nnviz.model.files.foreign import keras_isolation
from nnviz.model.files.foreign.keras_file import snake_case
from nnviz.model.lessons import load_dataset

FIXTURES = Path(__file__).parents[3] / "fixtures" / "keras"
EXPECTED = np.load(FIXTURES / "expected.npz")
needs_h5py = pytest.mark.skipif(keras_isolation.h5py_missing(), reason="needs h5py (pip install 'nnviz[keras]')")
needs_bn = pytest.mark.skipif("batchnorm" not in LAYER_TYPES, reason="needs the batchnorm layer")
#: fixture -> the Keras model whose logits it must give, and what kind of file it is
CASES = {
    "mlp.keras": "mlp", "cnn.keras": "cnn", "cnn_legacy.h5": "cnn", "mlp_sigmoid.h5": "mlp_sigmoid",
    "keras1_mlp.h5": "mlp_sigmoid", "keras1_cnn_th.h5": "cnn", "keras22_cnn.h5": "cnn",
    "tfkeras24_mlp.h5": "mlp_sigmoid", "cnn_bn.keras": "cnn_bn",
}
PARAMS = [pytest.param(n, k, marks=[needs_bn] if k == "cnn_bn" else []) for n, k in CASES.items()]
CNN_SPEC = {"input_shape": [1, 8, 8], "layers": [
    {"type": "conv", "filters": 8, "kernel": 3, "padding": 1, "activation": "relu"}, {"type": "maxpool", "size": 2},
    {"type": "conv", "filters": 16, "kernel": 3, "activation": "relu"}, {"type": "flatten"},
    {"type": "dense", "units": 10}], "output": "softmax", "bias": True}


def _check(saved, key):
    data = load_dataset("digits")
    logits = saved.network.forward_full(data.x_test)[0][-1]
    diff = np.abs(logits - EXPECTED[f"logits/{key}"]).max()
    acc = float((saved.network.predict(data.x_test).argmax(1) == data.y_test).mean())
    print(f"max |logit diff| {diff:.2e}, accuracy {acc:.4f} (Keras {float(EXPECTED[f'accuracy/{key}']):.4f})")
    assert diff < 1e-4
    # no test image is within 1e-4 of a tie in Keras's logits, so the answers are Keras's
    assert acc == pytest.approx(float(EXPECTED[f"accuracy/{key}"]), abs=1e-12)
    return acc


def test_fixtures_are_small():
    assert all(f.stat().st_size < 100_000 for f in FIXTURES.iterdir())


@needs_h5py
@pytest.mark.parametrize("name,key", PARAMS)
def test_logits_and_accuracy_equal_keras(name, key):
    saved = load_foreign(FIXTURES / name)
    assert _check(saved, key) > 0.95
    assert saved.lesson == ("digits" if key.startswith("mlp") else "conv")
    assert saved.network.spec["output"] == ("sigmoid" if name in ("mlp_sigmoid.h5", "tfkeras24_mlp.h5")
                                            else "softmax")


@needs_h5py
def test_a_keras_mlp_opens_as_the_plain_network_with_its_layers_named_by_class():
    # its hidden Dense is called "hidden" in config.json, "dense" in model.weights.h5
    saved = load_foreign(FIXTURES / "mlp.keras")
    assert saved.network.sizes == [64, 32, 10] and saved.network.is_plain
    assert saved.network.spec["layers"][0] == {"type": "dense", "units": 32, "activation": "relu"}
    assert zipfile.ZipFile(FIXTURES / "mlp.keras").read("config.json").count(b'"hidden"')


@needs_h5py
@pytest.mark.parametrize("name", ["cnn.weights.h5", "cnn_weights_legacy.h5"])
def test_weights_only_asks_for_a_spec_then_gives_keras_logits(name):
    with pytest.raises(NeedsSpec) as e:
        load_foreign(FIXTURES / name)
    assert [s for _, s in e.value.tensors] == [(8, 1, 3, 3), (16, 8, 3, 3), (10, 64)]
    assert e.value.draft is not None
    # the spec's flatten of a 16-channel map places the permutation of the dense layer's rows
    _check(load_foreign(FIXTURES / name, spec=CNN_SPEC), "cnn")


def test_snake_case_is_keras_3s_key_for_a_class():
    assert [snake_case(c) for c in ("Dense", "Conv2D", "BatchNormalization", "LeakyReLU", "MaxPooling2D")] == [
        "dense", "conv2d", "batch_normalization", "leaky_re_lu", "max_pooling2d"]


def test_without_h5py_the_message_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setattr(keras_isolation, "h5py_missing", lambda: True)
    (tmp_path / "m.keras").write_bytes(b"PK")
    with pytest.raises(DataFormatError) as e:
        load_foreign(tmp_path / "m.keras")
    assert "m.keras" in str(e.value) and "pip install 'nnviz[keras]'" in str(e.value)


# --- refusals of what nnviz's layers do not have -----------------------------------------------

def _edited(tmp_path, name, edit):
    """A copy of a .keras fixture with its config.json changed by ``edit(config)``."""
    src = zipfile.ZipFile(FIXTURES / name)
    config = json.loads(src.read("config.json"))
    edit(config)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for n in src.namelist():
            z.writestr(n, json.dumps(config) if n == "config.json" else src.read(n))
    path = tmp_path / name
    path.write_bytes(out.getvalue())
    return path


def _refusal(path):
    with pytest.raises(DataFormatError) as e:
        load_foreign(path)
    assert path.name in str(e.value) and "\n" not in str(e.value)
    return str(e.value)


@needs_h5py
def test_an_unknown_layer_is_named(tmp_path):
    def edit(c):
        c["config"]["layers"][4]["class_name"] = "LSTM"  # the Dropout
    assert "has a LSTM layer, which nnviz does not show" in _refusal(_edited(tmp_path, "mlp.keras", edit))


@needs_h5py
def test_a_branching_functional_model_is_refused(tmp_path):
    def edit(c):
        dense = next(layer for layer in c["config"]["layers"] if layer["class_name"] == "Dense")
        dense["inbound_nodes"][0]["args"][0]["config"]["keras_history"][0] = "input_layer"
    assert "one chain of layers" in _refusal(_edited(tmp_path, "cnn.keras", edit))


@needs_h5py
def test_hostile_hdf5_objects_are_refused_before_reading(tmp_path):
    import h5py

    def legacy(path, make):
        with h5py.File(path, "w") as f:
            f.attrs["layer_names"] = np.array([b"dense"])
            g = f.create_group("dense")
            g.attrs["weight_names"] = np.array([b"kernel"])
            make(f, g)
        return path

    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["kernel"] = np.ones((64, 10), np.float32)
    cases = {
        "external link": (lambda f, g: g.__setitem__("kernel", h5py.ExternalLink(str(other), "kernel")), "links"),
        "soft link": (lambda f, g: (f.create_dataset("k", data=np.ones((64, 10), np.float32)),
                                    g.__setitem__("kernel", h5py.SoftLink("/k"))), "links"),
        "external storage": (lambda f, g: g.create_dataset("kernel", (64, 10), "f4",
                                                           external=[(str(tmp_path / "raw.bin"), 0, 2560)]),
                             "another file"),
        "huge shape": (lambda f, g: g.create_dataset("kernel", (1 << 20, 1 << 20), "f4", chunks=(1, 1)),
                       "far more numbers"),
        "strings": (lambda f, g: g.create_dataset("kernel", data=np.array([b"x"] * 3)), "not numbers"),
    }
    (tmp_path / "raw.bin").write_bytes(bytes(2560))
    for i, (what, (make, words)) in enumerate(cases.items()):
        message = _refusal(legacy(tmp_path / f"w{i}.h5", make))
        assert words in message, (what, message)


# --- the child process: what it does to the learner's process is a message ----------------------

CRASHERS = {
    "segfault": ("import os, signal; os.kill(os.getpid(), signal.SIGSEGV)", "crashed (SIGSEGV)"),
    "hang": ("while True: pass", "took more than 2 s"),
    "memory": ("import sys; sys.path.insert(0, {folder!r}); from keras_hdf5_child import _limit_resources\n"
               "_limit_resources({{'memory': 64 << 20, 'seconds': 10}}); x = bytearray(1 << 30)", "memory"),
}


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(CRASHERS))
def test_a_crashing_hanging_or_bloating_reader_is_one_line(tmp_path, monkeypatch, kind):
    monkeypatch.setattr(keras_isolation, "h5py_missing", lambda: False)
    code, words = CRASHERS[kind]
    child = tmp_path / "child.py"
    child.write_text(code.format(folder=str(keras_isolation.CHILD.parent)))
    (tmp_path / "m.h5").write_bytes(b"x")
    with pytest.raises(DataFormatError) as e:
        keras_isolation.read_isolated(tmp_path / "m.h5", timeout=2, child=child)
    assert "m.h5" in str(e.value) and words in str(e.value) and "\n" not in str(e.value)


# --- the command line ------------------------------------------------------------------------------

@needs_h5py
@pytest.mark.slow
@pytest.mark.parametrize("name,key", [("cnn.keras", "cnn"), ("keras22_cnn.h5", "cnn"), ("mlp_sigmoid.h5", "mlp_sigmoid"),
                                      pytest.param("cnn_bn.keras", "cnn_bn", marks=needs_bn)])
def test_convert_to_safetensors_reopens_with_no_questions(tmp_path, name, key):
    out = tmp_path / "m.safetensors"
    done = subprocess.run([sys.executable, "-m", "nnviz", "convert", str(FIXTURES / name), str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    _check(load_foreign(out), key)
    done = subprocess.run([sys.executable, "-m", "nnviz", "evaluate", str(FIXTURES / name), "--data", "digits",
                           "--json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["accuracy"] == pytest.approx(
        float(EXPECTED[f"accuracy/{key}"]), abs=1e-9)
