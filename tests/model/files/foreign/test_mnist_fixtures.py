"""MNIST models as people publish them (nnviz/devtools/make_foreign_fixtures.py, trained on the mnist
lesson's training images): ONNX graphs as exporters write them, PyTorch state_dicts with BatchNorm.
Each opens and computes what the tool that made it computes (torch for what torch saved or exported,
onnx's reference evaluator for graphs written with onnx's helper): log-probabilities within 1e-4 on the
first 200 test images, the same answer on all 1,000 (but for near-ties), the same accuracy; and
``nnviz convert`` of each to .safetensors reopens with no questions and gives the same again."""

import json
from pathlib import Path

import numpy as np
import pytest

from nnviz import cli
from nnviz.model.files.foreign import NeedsActivation, NeedsSpec, load_foreign
from nnviz.model.lessons import load_dataset

pytest.importorskip("onnx")

FIXTURES = Path(__file__).parents[3] / "fixtures" / "foreign"
EXPECTED = np.load(FIXTURES / "expected_mnist.npz")
#: fixture -> what ``load_foreign`` needs besides the file ("spec": the draft it offers)
CASES = {
    "zoo_mnist_opset1.onnx": {}, "nhwc.onnx": {}, "batchless.onnx": {}, "exported.onnx": {},
    "exported_dynamo.onnx": {}, "exported_bn1d_unsqueeze.onnx": {},
    "bn_cnn.pt": {"spec": "draft"}, "bn_mlp.pt": {"activation": "relu"},
}

#: the fixtures with no conv or pooling layer
DENSE = {"batchless.onnx", "bn_mlp.pt"}


def _log_softmax(z):
    """(n, 10) float64: what every one of these outputs (logits, probabilities, log-probabilities) determines."""
    z = np.asarray(z, np.float64)
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def _open(name):
    extra = dict(CASES[name])
    if extra.get("spec") == "draft":
        with pytest.raises(NeedsSpec) as e:
            load_foreign(FIXTURES / name)
        extra["spec"] = e.value.draft
    return load_foreign(FIXTURES / name, **extra), extra


def _compare(net, key):
    """(max |log-probability diff| on the recorded images, accuracy) of ``net`` against the tool's record."""
    data = load_dataset("mnist")
    z = net.output_full(data.x_test)[0]
    want = EXPECTED[f"logits/{key}"]
    diff = float(np.abs(_log_softmax(z[:len(want)]) - _log_softmax(want)).max())
    answers = z.argmax(1)
    top2 = np.sort(z, axis=1)[:, -2:]
    clear = top2[:, 1] - top2[:, 0] > 2e-4  # two implementations equal to 1e-4 may break a nearer tie apart
    assert np.array_equal(answers[clear], EXPECTED[f"predictions/{key}"][clear])
    acc = float((answers == data.y_test).mean())
    assert acc == pytest.approx(float(EXPECTED[f"accuracy/{key}"]), abs=(~clear).sum() / len(answers) + 1e-12)
    return diff, acc


@pytest.mark.parametrize("name", list(CASES))
def test_logits_and_accuracy_equal_the_tools(name):
    saved, _ = _open(name)
    diff, acc = _compare(saved.network, Path(name).stem)
    print(f"{name}: accuracy {acc:.3f}, max |log-probability diff| {diff:.2e}")
    assert diff < 1e-4 and acc > 0.85
    # a dense stack opens in the dense mnist lesson even when batch norm makes it a LayerNetwork
    assert saved.lesson == ("mnist" if name in DENSE else "mnist-conv")


def test_what_the_exporters_wrote_around_the_layers_is_read_as_layers():
    # both exporters fold the conv's BatchNorm2d into its weights; the dynamo one the BatchNorm1d too
    torchscript = [("conv", "silu"), ("avgpool", None), ("flatten", None), ("dense", "linear"), ("batchnorm", "gelu"),
                   ("dense", "leaky_relu"), ("dense", None)]
    dynamo = [("conv", "silu"), ("avgpool", None), ("flatten", None), ("dense", "gelu"), ("dense", "leaky_relu"),
              ("dense", None)]
    for name, layers in (("exported.onnx", torchscript), ("exported_bn1d_unsqueeze.onnx", torchscript),
                         ("exported_dynamo.onnx", dynamo)):
        spec = load_foreign(FIXTURES / name).network.spec
        t = spec["input_transform"]  # the leading Sub and Div
        assert t["scale"] == 1 and t["mean"] == pytest.approx([0.1307]) and t["std"] == pytest.approx([0.3081])
        assert [(e["type"], e.get("activation")) for e in spec["layers"]] == layers, name
        assert spec["layers"][1]["size"] == 4 and spec["layers"][-2]["negative_slope"] == pytest.approx(0.1)
    zoo = load_foreign(FIXTURES / "zoo_mnist_opset1.onnx").network.spec
    assert zoo["input_shape"] == [1, 28, 28] and "input_transform" not in zoo
    assert [e["type"] for e in zoo["layers"]] == ["conv", "maxpool", "conv", "maxpool", "flatten", "dense"]
    assert [e.get("padding") for e in zoo["layers"][::2]] == [2, 2, None]  # auto_pad SAME_UPPER of a 5×5


def test_a_batchnorm_state_dict_asks_only_what_the_file_lacks():
    with pytest.raises(NeedsActivation, match="bn_mlp.pt: .*--activation"):
        load_foreign(FIXTURES / "bn_mlp.pt")
    saved, extra = _open("bn_cnn.pt")
    draft = extra["spec"]
    # the flatten's 784 = 16·7·7 fits only a 28×28 input; each BatchNorm2d carries its running statistics
    assert draft["input_shape"] == [1, 28, 28]
    assert [(e["type"], e.get("activation")) for e in draft["layers"]] == [
        ("conv", "linear"), ("batchnorm", "relu"), ("maxpool", None), ("conv", "linear"), ("batchnorm", "relu"),
        ("maxpool", None), ("flatten", None), ("dense", None)]
    assert len(draft["layers"][1]["mean"]) == 8 and len(draft["layers"][4]["var"]) == 16


@pytest.mark.parametrize("name", list(CASES))
def test_convert_to_safetensors_reopens_with_no_questions(tmp_path, name):
    saved, extra = _open(name)
    args = ["convert", str(FIXTURES / name), str(tmp_path / "m.safetensors")]
    if "spec" in extra:
        (tmp_path / "spec.json").write_text(json.dumps(extra["spec"]))
        args += ["--spec", str(tmp_path / "spec.json")]
    if "activation" in extra:
        args += ["--activation", extra["activation"]]
    assert cli.main(args) == 0
    again = load_foreign(tmp_path / "m.safetensors")  # no activation, spec or transform asked for
    assert again.network.spec == saved.network.spec and again.lesson == saved.lesson
    diff, acc = _compare(again.network, Path(name).stem)
    assert diff < 1e-4
    assert acc == _compare(saved.network, Path(name).stem)[1]
