"""One contract for both network classes, and the one factory that picks the class."""

import numpy as np
import pytest

from nnviz.model.core.layer_network import LayerNetwork
from nnviz.model.core.network import Network
from nnviz.model.core.networks import NetworkLike, build_network, network_from_parameters
from nnviz.model.core.trainer import Trainer
from nnviz.model.errors import SettingsError
from nnviz.model.lessons import load_dataset

MLP_ON_IMAGES = {"input_shape": [1, 8, 8], "layers": [{"type": "dense", "units": 16}, {"type": "dense", "units": 10}]}
DENSE = {"input_shape": [64], "layers": [{"type": "dense", "units": 16, "activation": "tanh"},
                                         {"type": "dense", "units": 10}]}
CONV = {"input_shape": [1, 8, 8], "layers": [{"type": "conv", "filters": 4, "kernel": 3}, {"type": "maxpool", "size": 2},
                                             {"type": "flatten"}, {"type": "dense", "units": 10}]}
MIXED = {"input_shape": [64], "layers": [{"type": "dense", "units": 16, "activation": "tanh"},
                                         {"type": "dense", "units": 8, "activation": "relu"},
                                         {"type": "dense", "units": 10}]}


@pytest.mark.parametrize("spec, cls", [(DENSE, Network), (CONV, LayerNetwork), (MIXED, LayerNetwork)])
def test_the_factory_picks_the_class_and_both_keep_the_contract(spec, cls):
    net = build_network(spec, seed=3)
    assert type(net) is cls and isinstance(net, NetworkLike) and net.is_plain == (cls is Network)
    assert net.shapes[0] == tuple(spec["input_shape"]) == net.input_shape
    assert [int(np.prod(s)) for s in net.shapes] == list(net.sizes)
    x = np.random.default_rng(0).random((5, net.sizes[0]), dtype=np.float32)
    again = network_from_parameters(net.spec, net.weights, net.biases)  # a snapshot's or a file's way back
    assert type(again) is cls and again.spec == net.spec and again.weights[0] is net.weights[0]
    np.testing.assert_allclose(again.predict(x), net.predict(x), rtol=1e-6)
    twin = net.copy()
    assert twin.spec == net.spec and twin.input_shape == net.input_shape and twin.weights[0] is not net.weights[0]


def test_a_plain_network_over_images_keeps_its_input_shape_through_copies_and_snapshots():
    net = build_network(MLP_ON_IMAGES, seed=1)
    assert type(net) is Network and net.input_shape == (1, 8, 8) and net.sizes == [64, 16, 10]
    assert net.copy().spec == net.spec and net.spec["input_shape"] == [1, 8, 8]
    snap = Trainer(net, load_dataset("digits")).snapshot()
    assert snap.is_mlp and snap.shapes[0] == (1, 8, 8)
    rebuilt = snap.network()
    assert type(rebuilt) is Network and rebuilt.input_shape == (1, 8, 8)
    np.testing.assert_array_equal(rebuilt.weights[0], net.weights[0])


def test_a_conv_snapshot_rebuilds_through_the_same_factory():
    snap = Trainer(build_network(CONV, seed=2), load_dataset("digits")).snapshot()
    assert not snap.is_mlp and type(snap.network()) is LayerNetwork and snap.network().spec == snap.spec


def test_an_input_shape_that_does_not_hold_the_inputs_is_refused():
    with pytest.raises(SettingsError, match="does not hold 64 inputs"):
        Network([64, 10], input_shape=(1, 7, 7))
