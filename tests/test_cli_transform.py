"""``--normalize MEAN,STD`` and ``--input-scale S`` on ``nnviz evaluate``, ``convert`` and ``--model``: a
model trained on raw 0–255 pixels scores again once the command line says so; the transform is
written into converted files; bad values are one line."""

import json
import subprocess
import sys

import pytest

import nnviz.cli as cli
from nnviz.model.core.networks import network_from_parameters
from nnviz.model.files.modelfile import SavedModel, load_model, save_model
from nnviz.model.lessons import get_lesson


@pytest.fixture(scope="module")
def raw_model(tmp_path_factory):
    """(a digits MLP that expects raw 0–255 pixels, saved with no transform; its accuracy on them)."""
    t = get_lesson("digits").build(seed=0)
    for _ in range(150):
        t.step()
    net = t.network
    weights = [net.weights[0] / 255.0] + list(net.weights[1:])  # the same network, fed pixels ×255
    raw = network_from_parameters(net.spec, weights, net.biases)
    path = save_model(tmp_path_factory.mktemp("raw") / "raw.npz", SavedModel(raw, "digits"))
    return path, t.evaluate("test")[1]


def run(capsys, *args):
    code = cli.main(list(map(str, args)))
    out = capsys.readouterr()
    return code, out.out.strip().splitlines()[-1] if out.out.strip() else "", out.err


def test_evaluate_with_the_input_scale_recovers_a_raw_pixel_models_accuracy(capsys, raw_model):
    path, accuracy = raw_model
    code, line, _ = run(capsys, "evaluate", path, "--data", "digits", "--json")
    assert code == 0 and json.loads(line)["accuracy"] < accuracy - 0.2  # it reads 0–1 pixels as almost black
    code, line, _ = run(capsys, "evaluate", path, "--data", "digits", "--json", "--input-scale", 255)
    assert code == 0 and json.loads(line)["accuracy"] == pytest.approx(accuracy, abs=1e-9)
    # the same by normalising: (x − 0) / (1/255)
    code, line, _ = run(capsys, "evaluate", path, "--data", "digits", "--json", "--normalize", f"0,{1 / 255!r}")
    assert json.loads(line)["accuracy"] == pytest.approx(accuracy, abs=1e-9)


def test_convert_writes_the_transform_into_the_file(capsys, raw_model, tmp_path):
    path, accuracy = raw_model
    out = tmp_path / "normalised.npz"
    code, _, err = run(capsys, "convert", path, out, "--input-scale", 255, "--normalize", "0.1307,0.3081")
    assert code == 0, err
    net = load_model(out).network
    assert net.spec["input_transform"] == {"scale": 255.0, "mean": [0.1307], "std": [0.3081]}
    code, _, _ = run(capsys, "convert", out, tmp_path / "again.safetensors", "--normalize", "0,1")
    from nnviz.model.files.foreign import load_foreign
    again = load_foreign(tmp_path / "again.safetensors").network  # the scale kept, mean and std replaced
    assert again.spec["input_transform"] == {"scale": 255.0, "mean": [0.0], "std": [1.0]}


def test_transform_flags_parse_per_channel_values_and_refuse_bad_ones():
    assert cli.transform_changes("0.1307,0.3081", None) == {"mean": [0.1307], "std": [0.3081]}
    assert cli.transform_changes("0.485,0.456,0.406,0.229,0.224,0.225", 255) == {
        "scale": 255.0, "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}
    assert cli.transform_changes(None, None) is None
    from nnviz.model.errors import SettingsError
    with pytest.raises(SettingsError, match="an even count of numbers; got 3"):
        cli.transform_changes("1,2,3", None)
    with pytest.raises(SettingsError, match="numbers separated by commas"):
        cli.transform_changes("mnist", None)


def test_the_app_gets_the_transform_and_a_bad_one_is_one_line(monkeypatch, raw_model):
    import nnviz.qt.app as app

    path, _ = raw_model
    got = {}
    monkeypatch.setattr(cli, "display_problem", lambda: None)
    monkeypatch.setattr(app, "main", lambda **kw: got.update(kw) or 0)
    assert cli.main(["--model", str(path), "--normalize", "0.1307,0.3081"]) == 0
    assert got["input_transform"] == {"mean": [0.1307], "std": [0.3081]} and got["model"] == path
    assert cli.main(["--input-scale", "255"]) == cli.EXIT_BAD_INPUT  # nothing to apply it to
    out = subprocess.run([sys.executable, "-m", "nnviz", "evaluate", str(path), "--data", "digits",
                          "--normalize", "0.1,0"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "non-zero" in out.stderr
