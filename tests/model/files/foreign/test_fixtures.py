"""The committed PyTorch-made fixtures (nnviz/devtools/make_foreign_fixtures.py) open in nnviz and
compute what PyTorch computed: the same accuracy on the digits test split, logits within 1e-4."""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from nnviz.model.core.network import Network
from nnviz.model.core.networks import build_network
from nnviz.model.errors import DataFormatError, SettingsError
from nnviz.model.files.foreign import NeedsActivation, NeedsSpec, fitting_lesson, lesson_for, load_foreign
from nnviz.model.files.foreign.spec_inference import read_spec_file, sequential_keys, torch_sequential_code
from nnviz.model.files.foreign.safetensors_file import read_safetensors, save_safetensors
from nnviz.model.files.foreign.torch_zip import load_state_dict
from nnviz.model.files.modelfile import load_model
from nnviz.model.lessons import LESSONS, load_dataset

FIXTURES = Path(__file__).parents[3] / "fixtures" / "foreign"
EXPECTED = np.load(FIXTURES / "expected.npz")
CNN_SPEC = json.loads((FIXTURES / "cnn_spec.json").read_text())
#: fixture -> (expected key, what load_foreign needs)
CASES = {
    "mlp.pt": ("mlp", {"activation": "relu"}), "mlp.safetensors": ("mlp", {"activation": "relu"}),
    "mlp.onnx": ("mlp", {}), "mlp_fp16.pt": ("mlp_fp16", {"activation": "relu"}),
    "cnn.pt": ("cnn", {"spec": CNN_SPEC}), "cnn.safetensors": ("cnn", {"spec": CNN_SPEC}),
    "cnn.onnx": ("cnn", {}), "cnn_bf16.safetensors": ("cnn_bf16", {"spec": CNN_SPEC}),
    "mlp_legacy.pt": ("mlp", {"activation": "relu"}), "cnn_legacy.pt": ("cnn", {"spec": CNN_SPEC}),
}


def _logits(net, x):
    return net.forward_full(x)[0][-1]


def test_fixtures_are_small():
    assert all(f.stat().st_size < 100_000 for f in FIXTURES.iterdir())


def _close_calls(key, within=2e-4):
    """How many test images PyTorch's own logits rank within ``within`` of a tie: the only ones
    whose answer two correct implementations (logits equal to 1e-4) may give differently."""
    top2 = np.sort(EXPECTED[f"logits/{key}"], axis=1)[:, -2:]
    return int((top2[:, 1] - top2[:, 0] < within).sum())


@pytest.mark.parametrize("name", list(CASES))
def test_accuracy_and_logits_equal_pytorchs(name):
    key, extra = CASES[name]
    saved = load_foreign(FIXTURES / name, **extra)
    data = load_dataset("digits")
    logits = _logits(saved.network, data.x_test)
    diff = np.abs(logits - EXPECTED[f"logits/{key}"]).max()
    print(f"{name}: max |logit diff| {diff:.2e}")
    assert diff < 1e-4
    acc = float((saved.network.predict(data.x_test).argmax(1) == data.y_test).mean())
    # PyTorch's accuracy, but for the answers to near-ties (none, on these fixtures)
    assert acc == pytest.approx(float(EXPECTED[f"accuracy/{key}"]), abs=_close_calls(key) / len(data.y_test) + 1e-12)
    assert acc > 0.9
    assert saved.lesson == ("digits" if key.startswith("mlp") else "conv")
    assert isinstance(saved.network, Network) == key.startswith("mlp")


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_nnviz_evaluate_json_gives_pytorchs_accuracy(name):
    key, extra = CASES[name]
    args = [sys.executable, "-m", "nnviz", "evaluate", str(FIXTURES / name), "--data", "digits", "--json"]
    if "activation" in extra:
        args += ["--activation", extra["activation"]]
    if "spec" in extra:
        args += ["--spec", str(FIXTURES / "cnn_spec.json")]
    out = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result.pop("accuracy") == pytest.approx(float(EXPECTED[f"accuracy/{key}"]),
                                                   abs=_close_calls(key) / 450 + 1e-12)
    assert result == {"n": 450, "data": "digits"}


def test_the_tensors_are_the_files_own():
    """What the weight views show is the file's tensors, in PyTorch layouts, unchanged."""
    sd = load_state_dict(FIXTURES / "cnn.pt")
    net = load_foreign(FIXTURES / "cnn.pt", spec=CNN_SPEC).network
    assert list(sd) == ["0.weight", "0.bias", "4.weight", "4.bias"]
    assert [w.shape for w in net.weights] == [(8, 1, 3, 3), (10, 128)]
    assert np.array_equal(net.weights[0], sd["0.weight"]) and np.array_equal(net.biases[1], sd["4.bias"])
    st, _ = read_safetensors(FIXTURES / "cnn.safetensors")
    assert all(np.array_equal(st[k], sd[k]) for k in sd)


def test_what_is_missing_is_asked_for(tmp_path):
    with pytest.raises(NeedsActivation, match="mlp.pt: holds a 64-128-32-10 dense stack.*--activation") as e:
        load_foreign(FIXTURES / "mlp.pt")
    assert e.value.missing == "activation" and e.value.tensors[0] == ("0.weight", (128, 64))
    with pytest.raises(NeedsSpec, match="cnn.safetensors: .*--spec FILE.*conv 8@3×3 pad 1") as e:
        load_foreign(FIXTURES / "cnn.safetensors")
    assert e.value.missing == "spec" and e.value.draft == CNN_SPEC  # the draft is the right guess here
    assert isinstance(e.value, DataFormatError) and "\n" not in str(e.value)
    with pytest.raises(SettingsError, match="unknown activation 'swish'"):
        load_foreign(FIXTURES / "mlp.pt", activation="swish")
    # a spec that does not fit the tensors says where
    wrong = dict(CNN_SPEC, layers=[dict(CNN_SPEC["layers"][0], padding=0)] + CNN_SPEC["layers"][1:])
    with pytest.raises(DataFormatError, match=r"cnn.pt: weight layer 2 is 4.weight \(10, 128\), but the spec needs "
                                              r"\(10, 72\)"):
        load_foreign(FIXTURES / "cnn.pt", spec=wrong)
    with pytest.raises(DataFormatError, match="holds 3 weight layers"):
        load_foreign(FIXTURES / "mlp.pt", spec=CNN_SPEC)


def test_cli_says_what_is_missing_in_one_line():
    out = subprocess.run([sys.executable, "-m", "nnviz", "evaluate", str(FIXTURES / "cnn.pt"), "--data", "digits"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "--spec FILE" in out.stderr


def test_a_spec_file_is_the_spec_or_an_object_holding_it(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({"spec": CNN_SPEC}))
    assert read_spec_file(tmp_path / "a.json") == CNN_SPEC
    (tmp_path / "b.json").write_text("{not json")
    with pytest.raises(DataFormatError, match="b.json: is not a JSON network spec"):
        read_spec_file(tmp_path / "b.json")
    (tmp_path / "c.json").write_text(json.dumps({"layers": []}))
    with pytest.raises(DataFormatError, match="c.json: is not a valid network spec"):
        read_spec_file(tmp_path / "c.json")


def test_model_file_loading_sends_foreign_suffixes_here():
    """modelfile.load_model (the app's open, via the session) opens what needs no questions."""
    saved = load_model(FIXTURES / "cnn.onnx")
    assert saved.lesson == "conv" and saved.iteration == 0
    with pytest.raises(NeedsActivation):
        load_model(FIXTURES / "mlp.pt")


def test_export_to_safetensors_loads_as_the_same_sequential(tmp_path):
    """nnviz's export has exactly the tensors (names, shapes, values) of PyTorch's own state_dict of
    the matching nn.Sequential, so ``model.load_state_dict(load_file(path))`` works (checked with
    torch by make_foreign_fixtures.py), and it reopens with no questions."""
    for name, key, extra in (("cnn.pt", "cnn", {"spec": CNN_SPEC}), ("mlp.pt", "mlp", {"activation": "relu"})):
        net = load_foreign(FIXTURES / name, **extra).network
        out = save_safetensors(tmp_path / f"{key}.safetensors", net, "digits")
        ours, meta = read_safetensors(out)
        torch_sd = load_state_dict(FIXTURES / name)
        assert sorted(ours) == sorted(torch_sd)
        assert all(np.array_equal(ours[k], torch_sd[k]) for k in ours)
        again = load_foreign(out)  # no activation, no spec: the metadata has it
        assert again.network.spec == net.spec
        assert np.abs(_logits(again.network, load_dataset("digits").x_test) - EXPECTED[f"logits/{key}"]).max() < 1e-4
    assert meta["pytorch"] == ("nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 32), nn.ReLU(), "
                               "nn.Linear(32, 10))")
    assert torch_sequential_code(CNN_SPEC) == ("nn.Sequential(nn.Conv2d(1, 8, 3, stride=1, padding=1), nn.ReLU(), "
                                               "nn.MaxPool2d(2), nn.Flatten(), nn.Linear(128, 10))")
    assert sequential_keys(CNN_SPEC) == [("0.weight", "0.bias"), ("4.weight", "4.bias")]
    linear = dict(CNN_SPEC, bias=False, layers=[{"type": "dense", "units": 5, "activation": "linear"},
                                                {"type": "dense", "units": 3}])
    assert sequential_keys(linear) == [("0.weight", None), ("1.weight", None)]


def test_export_to_onnx_computes_what_nnviz_computes(tmp_path):
    onnx = pytest.importorskip("onnx")
    from onnx.reference import ReferenceEvaluator

    from nnviz.model.files.foreign.onnx_file import save_onnx

    x = load_dataset("digits").x_test[:50]
    for name, extra in (("cnn.pt", {"spec": CNN_SPEC}), ("mlp.pt", {"activation": "tanh"})):
        net = load_foreign(FIXTURES / name, **extra).network
        path = save_onnx(tmp_path / "m.onnx", net)
        onnx.checker.check_model(onnx.load(path), full_check=True)
        feed = x if isinstance(net, Network) else x.reshape(-1, 1, 8, 8)
        (y,) = ReferenceEvaluator(str(path)).run(None, {"x": feed})
        assert np.abs(y - net.predict(x)).max() < 1e-5
        again = load_foreign(path)
        assert again.network.spec == net.spec
        assert all(np.array_equal(a, b) for a, b in zip(again.network.weights, net.weights))


def test_cli_convert_round_trips(tmp_path):
    from nnviz import cli

    assert cli.main(["convert", str(FIXTURES / "cnn.pt"), str(tmp_path / "c.npz"), "--spec",
                     str(FIXTURES / "cnn_spec.json")]) == 0
    assert load_model(tmp_path / "c.npz").lesson == "conv"
    assert cli.main(["convert", str(tmp_path / "c.npz"), str(tmp_path / "c.safetensors")]) == 0
    assert load_foreign(tmp_path / "c.safetensors").network.spec["layers"] == CNN_SPEC["layers"]
    assert cli.main(["convert", str(tmp_path / "c.npz"), str(tmp_path / "c.txt")]) == 2
    assert cli.main(["evaluate", str(tmp_path / "c.npz"), "--data", "digits", "--activation", "relu"]) == 2


def test_which_lesson_a_model_fits():
    sizes = {name: (load_dataset(name).n_inputs, load_dataset(name).n_outputs) for name in ("smile", "digits")}
    from nnviz.model.files.foreign import DATA_SIZES

    assert all(DATA_SIZES[k] == v for k, v in sizes.items()) and DATA_SIZES["mnist"] == (784, 10)
    assert fitting_lesson(Network([784, 16, 10])) == "mnist"
    assert fitting_lesson(build_network(LESSONS["mnist-conv"].spec)) == "mnist-conv"
    assert fitting_lesson(Network([12, 1])) == "smile"
    with pytest.raises(DataFormatError, match=r"m.pt: holds a network of 100 inputs and 3 outputs, which no lesson"):
        lesson_for("m.pt", Network([100, 3]))
    assert fitting_lesson(Network([100, 3])) is None


def test_the_legacy_format_holds_the_same_tensors_as_the_zip():
    """torch.save of one state_dict in both formats: the same names, order, shapes and values."""
    for name in ("mlp", "cnn"):
        legacy, zipped = load_state_dict(FIXTURES / f"{name}_legacy.pt"), load_state_dict(FIXTURES / f"{name}.pt")
        assert list(legacy) == list(zipped)
        assert all(legacy[k].dtype == zipped[k].dtype and np.array_equal(legacy[k], zipped[k]) for k in zipped)
    tiny = load_state_dict(FIXTURES / "legacy.pt")
    assert [(k, v.shape) for k, v in tiny.items()] == [("0.weight", (3, 4)), ("0.bias", (3,)), ("2.weight", (2, 3)),
                                                      ("2.bias", (2,))]


def test_refused_pytorch_files_say_how_to_save_a_state_dict():
    advice = r"torch.save\(model.state_dict\(\), path\).*safetensors"
    with pytest.raises(DataFormatError, match=r"module.pt: holds a whole pickled model "
                                              r"\(torch.nn.modules.container.Sequential\).*" + advice):
        load_foreign(FIXTURES / "module.pt")
    assert zipfile.is_zipfile(FIXTURES / "module.pt")
    # a model class of the author's own package, in either format, is a whole model too
    for name in ("models_net.pt", "models_net_legacy.pt"):
        with pytest.raises(DataFormatError, match=rf"{name}: holds a whole pickled model \(models.Net\), not a "
                                                  r"state_dict: nnviz never runs pickled code; .*" + advice) as e:
            load_foreign(FIXTURES / name)
        assert str(e.value).endswith("save_file(model.state_dict(), path)")


@pytest.mark.slow
def test_reading_every_format_never_imports_torch():
    code = ("import sys, json\n"
            "from nnviz.model.files.foreign import load_foreign\n"
            f"spec = json.load(open({str(FIXTURES / 'cnn_spec.json')!r}))\n"
            f"for name in ('mlp.pt', 'mlp.safetensors', 'cnn.onnx', 'cnn_bf16.safetensors'):\n"
            f"    load_foreign({str(FIXTURES)!r} + '/' + name, activation='relu', spec=None if 'mlp' in name or "
            "'onnx' in name else spec)\n"
            "bad = [k for k in sys.modules if k.split('.')[0] in ('torch', 'PySide6', 'pyqtgraph')]\n"
            "print(bad); sys.exit(1 if bad else 0)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
