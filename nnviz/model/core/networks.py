"""The one contract both network classes keep, and the factory that picks the class.

``Network`` (network.py) is the plain dense stack — one hidden activation, the trainer's fused
fast path, bit for bit the MLP of the first lessons; ``LayerNetwork`` (layer_network.py) is
any stack of conv, pooling, batch-norm, flatten and dense layers. Code that holds "a network" types it as
:class:`NetworkLike` and asks it (``is_plain``, ``input_shape``, ``shapes``, ``spec``), never
which class it is; :func:`build_network` and :func:`network_from_parameters` are the only
places that choose.
"""

from __future__ import annotations

from math import prod
from typing import Mapping, Protocol, Sequence, runtime_checkable

import numpy as np

from .functions import ACTIVATION_PARAMS
from .input_transform import InputTransform, transform_of
from .layer_network import LayerNetwork
from .layers import Dense, Layer, parse_spec
from .network import Network


@runtime_checkable
class NetworkLike(Protocol):
    """What every network offers.

    Parameters ``weights[i]`` / ``biases[i]``: one per layer with parameters, PyTorch layouts
    (dense ``(units, inputs)``, conv ``(filters, C, k, k)``). ``sizes``: each layer's flat output
    size, the input first; ``shapes``: the same unflattened (``input_shape`` first). Inputs are
    flat rows ``(batch, sizes[0])``; ``forward(X)`` returns every layer's output, input first.
    ``input_gradient(X, y, loss)``: d(batch-mean loss)/dX shaped like X; ``backprop_to_input(X,
    layer, direction, pre)``: (that layer's output, d Σ direction·output / dX) — one unit's
    gradient to the input for activation maximisation and saliency.
    """

    weights: list[np.ndarray]
    biases: list[np.ndarray]
    sizes: list[int]
    input_shape: tuple[int, ...]
    hidden: str
    output: str
    bias: bool
    dtype: np.dtype
    seed: int
    #: True only for ``Network``: a dense stack with one hidden activation
    is_plain: bool

    @property
    def spec(self) -> dict: ...
    @property
    def shapes(self) -> list[tuple[int, ...]]: ...
    @property
    def n_layers(self) -> int: ...
    @property
    def n_parameters(self) -> int: ...

    def architecture(self) -> dict: ...
    def copy(self) -> "NetworkLike": ...
    def reinitialize(self, seed: int | None = None, init: str | None = None) -> None: ...
    def set_parameters(self, weights: Sequence[np.ndarray], biases: Sequence[np.ndarray]) -> None: ...
    def layer_activation(self, i: int) -> str: ...
    def forward(self, X: np.ndarray) -> list[np.ndarray]: ...
    def forward_full(self, X: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]: ...
    def output_full(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...
    def predict(self, X: np.ndarray) -> np.ndarray: ...
    def loss(self, X: np.ndarray, Y: np.ndarray, loss: str = "cross_entropy") -> float: ...
    def gradients(self, X: np.ndarray, Y: np.ndarray, loss: str = "cross_entropy"): ...
    def input_gradient(self, X: np.ndarray, y: np.ndarray, loss: str = "cross_entropy") -> np.ndarray: ...
    def backprop_to_input(self, X: np.ndarray, layer: int, direction: np.ndarray,
                          pre: bool = False) -> tuple[np.ndarray, np.ndarray]: ...


def is_plain_stack(layers: Sequence[Layer]) -> bool:
    """True for a stack a plain ``Network`` holds: dense layers with one hidden activation, at its
    default settings (a leaky ReLU of another slope needs a ``LayerNetwork``)."""
    hidden = {layer.activation for layer in layers[:-1]}
    default = all(dict(layer.activation_params) == ACTIVATION_PARAMS.get(layer.activation, {})
                  for layer in layers[:-1])
    return all(isinstance(layer, Dense) for layer in layers) and len(hidden) <= 1 and default


def _hidden(layers: Sequence[Layer]) -> dict:
    # With no hidden layer the hidden activation is never used: keep Network's default.
    return {"hidden": layers[0].activation} if len(layers) > 1 else {}


def build_network(spec: Mapping, seed: int = 0, dtype=np.float32, init: str = "auto") -> NetworkLike:
    """The network a spec (format: ``layers.py``) describes, freshly initialised from ``seed``:
    a ``Network`` for a plain dense stack — equal to ``Network(sizes, hidden, output, …)`` with
    the same seed — else a ``LayerNetwork``."""
    input_shape, layers, output, bias = parse_spec(spec)
    if not is_plain_stack(layers):
        return LayerNetwork(spec, seed=seed, dtype=dtype, init=init)
    sizes = [prod(input_shape)] + [layer.units for layer in layers]
    return Network(sizes, output=output, bias=bias, seed=seed, dtype=dtype, init=init,
                   input_shape=input_shape, input_transform=transform_of(spec), **_hidden(layers))


def network_from_parameters(spec: Mapping, weights, biases) -> NetworkLike:
    """The network of ``spec`` around existing arrays (no copy, no random init): a snapshot's or a
    file's. The class is chosen as :func:`build_network` chooses it."""
    input_shape, layers, output, bias = parse_spec(spec)
    if not is_plain_stack(layers):
        return LayerNetwork.from_parameters(spec, weights, biases)
    return Network.from_parameters(weights, biases, _hidden(layers).get("hidden", "sigmoid"), output, bias,
                                   input_shape=input_shape, input_transform=transform_of(spec))


def with_input_transform(net: NetworkLike, changes: Mapping | None) -> NetworkLike:
    """``net`` (its arrays shared, not copied) with its input transform changed: ``changes`` holds
    some of ``scale`` / ``mean`` / ``std`` (input_transform.py), each replacing the network's own
    (or the default, when it has none); None or {} changes nothing. A SettingsError names a bad
    value; ``{"scale": 1, "mean": [0], "std": [1]}`` removes the transform."""
    if not changes:
        return net
    current = net.transform.to_spec() if getattr(net, "transform", None) is not None else {}
    entry = {**current, **changes}
    transform = InputTransform.from_spec(entry, net.input_shape)
    spec = {k: v for k, v in net.spec.items() if k != "input_transform"}
    if transform is not None:
        spec["input_transform"] = transform.to_spec()
    return network_from_parameters(spec, net.weights, net.biases)
