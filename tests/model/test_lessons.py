"""The built-in lessons: the convolution lessons' stacks, words and settings."""

import numpy as np
import pytest

from nnviz.model.core.layer_network import LayerNetwork
from nnviz.model.core.network import Network
from nnviz.model.lessons import LESSONS, get_lesson, load_dataset


def test_every_lesson_builds_the_net_it_names_with_a_watchable_speed():
    assert list(LESSONS) == ["smile", "mnist", "digits", "conv", "mnist-conv"]
    for lesson in LESSONS.values():
        t = lesson.build()
        assert lesson.speed > 0 and lesson.epochs > 0
        assert t.network.sizes == lesson.sizes(t.dataset)
        assert type(t.network) is (Network if lesson.spec is None else LayerNetwork)


@pytest.mark.parametrize("name, params, shapes", [
    ("conv", 1370, [(1, 8, 8), (8, 8, 8), (8, 4, 4), (128,), (10,)]),
    ("mnist-conv", 5994, [(1, 28, 28), (8, 24, 24), (8, 12, 12), (16, 8, 8), (16, 4, 4), (256,), (10,)]),
])
def test_the_conv_lessons_stacks(name, params, shapes):
    # conv: 8·1·3·3 + 8 + 10·128 + 10; mnist-conv: 8·25 + 8 + 16·8·25 + 16 + 10·256 + 10
    lesson = get_lesson(name)
    net = lesson.build().network
    assert net.n_parameters == params and net.shapes == shapes and net.spec == lesson.spec
    assert [layer.type for layer in net.layers][-2:] == ["flatten", "dense"]
    assert {layer.activation for layer in net.layers if layer.type == "conv"} == {"relu"}
    assert net.output == "softmax" and lesson.dataset == ("digits" if name == "conv" else "mnist")


@pytest.mark.parametrize("name", ["conv", "mnist-conv"])
def test_the_conv_lessons_say_what_a_kernel_and_a_feature_map_are(name):
    words = get_lesson(name).description
    assert "A kernel is a small grid of weights" in words and "is a feature map" in words


def test_a_conv_lesson_builds_another_architecture_when_asked():
    lesson = get_lesson("conv")
    mlp = lesson.build(hidden_sizes=(16,)).network
    assert type(mlp) is Network and mlp.sizes == [64, 16, 10] and mlp.hidden == "relu"
    a, b = lesson.build(seed=4).network, lesson.build(seed=4).network
    for x, y in zip(a.weights, b.weights):
        np.testing.assert_array_equal(x, y)
    assert lesson.build().seed == lesson.seed == 9
    assert load_dataset("digits").image_shape == (8, 8)
