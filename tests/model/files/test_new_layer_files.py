"""Model files, lesson files and safetensors keep batch norm (its running statistics), average
pooling, the added activations and the input transform: saved, reopened with no questions, the
same numbers out."""

import json

import numpy as np
import pytest

from nnviz.model.core.input_transform import InputTransform
from nnviz.model.core.layer_network import LayerNetwork
from nnviz.model.core.network import Network
from nnviz.model.core.trainer import Trainer
from nnviz.model.errors import DataFormatError
from nnviz.model.files.foreign import load_foreign
from nnviz.model.files.foreign.safetensors_file import read_safetensors, save_safetensors
from nnviz.model.files.foreign.spec_inference import describe_spec, torch_sequential_code
from nnviz.model.files.lessonfile import LessonFile, load_lesson_file, save_lesson_file
from nnviz.model.files.modelfile import SavedModel, load_model, save_model
from nnviz.model.lessons import get_lesson, load_dataset
from tests.model.files.test_layer_files import meta_of, rewrite

TRANSFORM = {"scale": 255.0, "mean": [33.3], "std": [78.6]}
BN_SPEC = {"input_shape": [1, 8, 8], "layers": [
    {"type": "conv", "filters": 4, "kernel": 3, "padding": 1, "activation": "linear"},
    {"type": "batchnorm", "eps": 1e-3, "mean": [0.1, -0.2, 0.3, 0.0], "var": [0.5, 1.5, 2.0, 1.0],
     "activation": "leaky_relu", "negative_slope": 0.1},
    {"type": "avgpool", "size": 2}, {"type": "flatten"},
    {"type": "dense", "units": 12, "activation": "gelu"},
    {"type": "batchnorm", "mean": [0.05] * 12, "var": [0.9] * 12, "activation": "silu"},
    {"type": "dense", "units": 10}], "input_transform": TRANSFORM}


@pytest.fixture(scope="module")
def trained():
    t = get_lesson("conv").build(seed=0, spec=BN_SPEC)
    for _ in range(5):
        t.step()
    return t


def same_outputs(a, b, x):
    assert a.spec == b.spec
    for p, q in zip(a.weights + a.biases, b.weights + b.biases):
        np.testing.assert_array_equal(p, q)
    return float(np.abs(a.predict(x) - b.predict(x)).max())


def test_a_model_file_keeps_batchnorm_statistics_and_the_transform(tmp_path, trained):
    path = save_model(tmp_path / "bn.npz", SavedModel.of_trainer(trained, "conv"))
    spec = meta_of(path)["architecture"]["spec"]
    assert spec["input_transform"] == TRANSFORM and spec["layers"][1]["var"] == [0.5, 1.5, 2.0, 1.0]
    back = load_model(path).network
    assert type(back) is LayerNetwork and back.transform is not None
    assert same_outputs(back, trained.network, trained.dataset.x_test) == 0.0


def test_an_mlp_model_file_keeps_its_transform_and_new_activation(tmp_path):
    net = Network([64, 16, 10], hidden="elu", seed=1, input_transform=InputTransform(16.0, (0.5,), (2.0,)))
    t = Trainer(net, load_dataset("digits"))
    t.step()
    path = save_model(tmp_path / "mlp.npz", SavedModel.of_trainer(t, "digits"))
    arch = meta_of(path)["architecture"]
    assert arch["input_transform"] == {"scale": 16.0, "mean": [0.5], "std": [2.0]} and arch["hidden"] == "elu"
    back = load_model(path).network
    assert type(back) is Network and back.spec == t.network.spec
    assert same_outputs(back, t.network, t.dataset.x_test) == 0.0
    arch["input_transform"] = {"std": [0.0]}
    with pytest.raises(DataFormatError, match=r"mlp.npz: has an invalid input transform \(.*non-zero"):
        load_model(rewrite(path, dict(meta_of(path), architecture=arch)))


def test_a_lesson_file_keeps_batchnorm_and_the_transform(tmp_path, trained):
    lf = LessonFile.from_snapshot(trained.snapshot(lesson="conv"), title="bn")
    back = load_lesson_file(save_lesson_file(tmp_path / "bn.nnviz", lf))
    assert same_outputs(back.network, trained.network, trained.dataset.x_test) == 0.0
    assert back.network.spec["input_transform"] == TRANSFORM


def test_safetensors_keep_the_spec_and_reopen_with_no_questions(tmp_path, trained):
    path = save_safetensors(tmp_path / "bn.safetensors", trained.network, "conv")
    tensors, meta = read_safetensors(path)
    # γ/β are the batch-norm modules' weight/bias; the running statistics live in the spec
    assert {"1.weight", "1.bias", "5.weight", "5.bias"} <= set(tensors) and tensors["1.weight"].shape == (4,)
    assert json.loads(meta["nnviz"])["spec"]["layers"][1]["mean"] == [0.1, -0.2, 0.3, 0.0]
    assert meta["pytorch"] == torch_sequential_code(trained.network.spec)
    assert "nn.BatchNorm2d(4, eps=0.001), nn.LeakyReLU(0.1), nn.AvgPool2d(2)" in meta["pytorch"]
    assert "nn.GELU(), nn.BatchNorm1d(12, eps=1e-05), nn.SiLU()" in meta["pytorch"]
    back = load_foreign(path).network
    x = trained.dataset.x_test
    assert same_outputs(back, trained.network, x) == 0.0


def test_the_one_line_description_names_the_new_layers():
    assert describe_spec(BN_SPEC) == ("1×8×8 → conv 4@3×3 pad 1 linear → batchnorm leaky_relu → avgpool 2 → "
                                      "flatten → dense 12 → batchnorm silu → dense 10")
