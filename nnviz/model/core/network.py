"""A fully connected network of any depth, in plain NumPy.

Conventions (public API, relied on by the views and by other tools):

- ``weights[i]`` has shape ``(sizes[i+1], sizes[i])``: **row k holds the incoming
  weights of neuron k** of layer i+1 (3Blue1Brown's a' = σ(W·a + b)), so neuron k's
  heatmap is ``weights[0][k].reshape(image_shape)``.
- ``biases[i]`` has shape ``(sizes[i+1],)`` (zeros, and never trained, when ``bias=False``).
- ``forward(X)`` with X ``(batch, sizes[0])`` returns every layer's activations,
  input first, output last.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import SettingsError
from .functions import (
    ACTIVATIONS,
    DERIVATIVES,
    HIDDEN_ACTIVATIONS,
    LOSSES,
    OUTPUT_ACTIVATIONS,
    activation_backward,
    output_loss_and_delta,
)
from .input_transform import InputTransform
from .layers import dense_spec

INITS = ("auto", "zeros")


class Network:
    """Weights, biases and the maths of one multi-layer perceptron.

    ``input_shape``: the shape its input rows are read as, ``(sizes[0],)`` unless a spec said
    more (``(1, 8, 8)``: an MLP over 8×8 images); only the spec and the data check use it.
    ``input_transform``: what the network does to its input first (input_transform.py; None:
    nothing); the input "activations" it reports are the transformed input.
    """

    #: the plain dense stack (the trainer's fused fast path): see ``networks.NetworkLike``
    is_plain = True

    def __init__(
        self,
        sizes: Sequence[int],
        hidden: str = "sigmoid",
        output: str = "softmax",
        bias: bool = True,
        seed: int = 0,
        dtype=np.float32,
        init: str = "auto",
        input_shape: Sequence[int] | None = None,
        input_transform: InputTransform | None = None,
    ):
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2:
            raise SettingsError("a network needs at least an input and an output layer")
        if min(sizes) < 1:
            raise SettingsError(f"every layer needs at least 1 neuron (got sizes {sizes})")
        if hidden not in HIDDEN_ACTIVATIONS:
            raise SettingsError(f"unknown hidden activation {hidden!r}; choose one of {HIDDEN_ACTIVATIONS}")
        if output not in OUTPUT_ACTIVATIONS:
            raise SettingsError(f"unknown output activation {output!r}; choose one of {OUTPUT_ACTIVATIONS}")
        if init not in INITS:
            raise SettingsError(f"unknown initialisation {init!r}; choose one of {INITS}")
        self.sizes = sizes
        self.input_shape = _input_shape(input_shape, sizes[0])
        self.transform = _transform(input_transform)
        self.hidden = hidden
        self.output = output
        self.bias = bool(bias)
        self.seed = int(seed)
        self.dtype = np.dtype(dtype)
        self.init = init
        self.weights: list[np.ndarray] = []
        self.biases: list[np.ndarray] = []
        self.reinitialize(seed, init)

    # -- construction ---------------------------------------------------------------

    def reinitialize(self, seed: int | None = None, init: str | None = None) -> None:
        """Draw fresh weights (seeded, reproducible); biases start at zero.

        ``auto`` picks the scale that keeps signals alive through each activation:
        He (√(2/fan_in)) before ReLU, Glorot/Xavier uniform otherwise.
        """
        if seed is not None:
            self.seed = int(seed)
        if init is not None:
            self.init = init
        rng = np.random.default_rng(self.seed)
        self.weights, self.biases = [], []
        for i, (n_in, n_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:])):
            if self.init == "zeros":
                w = np.zeros((n_out, n_in))
            elif self.layer_activation(i) == "relu":
                w = rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_out, n_in))
            else:
                limit = np.sqrt(6.0 / (n_in + n_out))
                w = rng.uniform(-limit, limit, size=(n_out, n_in))
            self.weights.append(np.ascontiguousarray(w, dtype=self.dtype))
            self.biases.append(np.zeros(n_out, dtype=self.dtype))

    @classmethod
    def from_parameters(cls, weights, biases, hidden: str, output: str, bias: bool = True,
                        input_shape: Sequence[int] | None = None,
                        input_transform: InputTransform | None = None) -> "Network":
        """A network around existing arrays (no copy, no random init): e.g. a snapshot's.

        weights[i]: (sizes[i+1], sizes[i]); biases[i]: (sizes[i+1],).
        """
        net = cls.__new__(cls)
        net.sizes = [weights[0].shape[1]] + [w.shape[0] for w in weights]
        net.input_shape = _input_shape(input_shape, net.sizes[0])
        net.transform = _transform(input_transform)
        net.hidden, net.output, net.bias = hidden, output, bool(bias)
        net.seed, net.init = 0, "auto"
        net.dtype = np.dtype(weights[0].dtype)
        net.weights, net.biases = list(weights), list(biases)
        return net

    @property
    def spec(self) -> dict:
        """This network as a normalised layer-stack spec: ``build_network(net.spec)`` rebuilds it."""
        return dense_spec(list(self.input_shape), self.sizes[1:], self.hidden, self.output, self.bias,
                          self.transform)

    @property
    def shapes(self) -> list[tuple[int, ...]]:
        """Each layer's output shape, the input first: ``input_shape``, then ``(width,)`` per layer."""
        return [self.input_shape] + [(s,) for s in self.sizes[1:]]

    def layer_activation(self, i: int) -> str:
        """Name of the function applied after weight layer i (0-based)."""
        return self.output if i == len(self.sizes) - 2 else self.hidden

    @property
    def n_layers(self) -> int:
        """Number of weight layers (sizes has one more entry)."""
        return len(self.weights)

    @property
    def n_parameters(self) -> int:
        """Trainable numbers: all weights, plus biases when the network has them."""
        n = sum(w.size for w in self.weights)
        return n + (sum(b.size for b in self.biases) if self.bias else 0)

    def architecture(self) -> dict:
        """JSON-ready description, enough to rebuild an identical empty network."""
        arch = {
            "sizes": list(self.sizes),
            "hidden": self.hidden,
            "output": self.output,
            "bias": self.bias,
            "dtype": self.dtype.name,
        }
        if self.transform is not None:
            arch["input_transform"] = self.transform.to_spec()
        return arch

    def copy(self) -> "Network":
        """An independent network with the same architecture and parameters."""
        other = Network.__new__(Network)
        other.__dict__.update(self.__dict__)
        other.sizes = list(self.sizes)
        other.weights = [w.copy() for w in self.weights]
        other.biases = [b.copy() for b in self.biases]
        return other

    def set_parameters(self, weights: Sequence[np.ndarray], biases: Sequence[np.ndarray]) -> None:
        """Replace all parameters, checking every shape against the architecture."""
        if len(weights) != self.n_layers or len(biases) != self.n_layers:
            raise SettingsError(
                f"expected {self.n_layers} weight and bias arrays, got {len(weights)} and {len(biases)}"
            )
        for i, (w, b) in enumerate(zip(weights, biases)):
            want_w = (self.sizes[i + 1], self.sizes[i])
            if np.shape(w) != want_w or np.shape(b) != (self.sizes[i + 1],):
                raise SettingsError(
                    f"layer {i + 1}: weights {np.shape(w)} / biases {np.shape(b)} "
                    f"do not fit the architecture {want_w} / {(self.sizes[i + 1],)}"
                )
        self.weights = [np.array(w, dtype=self.dtype, order="C") for w in weights]
        self.biases = [np.array(b, dtype=self.dtype) for b in biases]

    # -- maths ----------------------------------------------------------------------

    def _check_input(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=self.dtype)
        if X.ndim == 1:
            X = X[None, :]
        if X.ndim != 2 or X.shape[1] != self.sizes[0]:
            raise SettingsError(f"input of shape {X.shape} does not fit {self.sizes[0]} input neurons")
        return X

    def forward_full(self, X: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Pre-activations and activations of every layer.

        X: (batch, sizes[0]). Returns (zs, activations): ``zs[i]`` is (batch, sizes[i+1])
        = W·a + b before squashing; ``activations`` is the (transformed) input first, output last.
        """
        a = self._check_input(X)
        if self.transform is not None:
            a = self.transform.apply(a, self.input_shape)
        zs, activations = [], [a]
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            z = a @ w.T
            if self.bias:
                z += b
            zs.append(z)
            a = ACTIVATIONS[self.layer_activation(i)](z.copy())
            activations.append(a)
        return zs, activations

    def forward(self, X: np.ndarray) -> list[np.ndarray]:
        """Every layer's activations for X (batch, sizes[0]): input first, output last."""
        return self.forward_full(X)[1]

    def output_full(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(z, a) of the output layer, (batch, sizes[-1]) each (as LayerNetwork's)."""
        zs, acts = self.forward_full(X)
        return zs[-1], acts[-1]

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Output layer activations (batch, sizes[-1])."""
        return self.forward(X)[-1]

    def loss(self, X: np.ndarray, Y: np.ndarray, loss: str = "cross_entropy") -> float:
        """Batch-mean loss without computing gradients."""
        zs, acts = self.forward_full(X)
        return output_loss_and_delta(self.output, loss, zs[-1], acts[-1], Y)[0]

    def gradients(
        self, X: np.ndarray, Y: np.ndarray, loss: str = "cross_entropy"
    ) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
        """Backpropagation: (batch-mean loss, dW, db), dW/db shaped like weights/biases.

        X: (batch, sizes[0]); Y: (batch,) integer labels for cross-entropy, or a target
        array (batch, sizes[-1]) for mse. db is all zeros when the network has no bias.
        """
        if loss not in LOSSES:
            raise SettingsError(f"unknown loss {loss!r}; choose one of {LOSSES}")
        zs, acts = self.forward_full(X)
        value, delta = output_loss_and_delta(self.output, loss, zs[-1], acts[-1], Y)
        dW: list[np.ndarray] = [None] * self.n_layers  # type: ignore[list-item]
        db: list[np.ndarray] = [None] * self.n_layers  # type: ignore[list-item]
        for i in range(self.n_layers - 1, -1, -1):
            dW[i] = (delta.T @ acts[i]).astype(self.dtype, copy=False)
            db[i] = delta.sum(axis=0).astype(self.dtype) if self.bias else np.zeros_like(self.biases[i])
            if i:
                delta = delta @ self.weights[i]
                DERIVATIVES[self.hidden](acts[i], delta, z=zs[i - 1])
        return value, dW, db

    def backprop_to_input(self, X: np.ndarray, layer: int, direction: np.ndarray,
                          pre: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(out, dX): layer ``layer``'s output for X, and d Σ(direction · out) / dX.

        Layers count activations (input = 0, output = ``len(sizes) − 1``); ``out`` is that
        layer's activations (batch, sizes[layer]), or with ``pre`` its pre-activations z.
        direction: (batch, sizes[layer]). dX is shaped like X. A one-hot direction gives one
        neuron's gradient to the input (what it wants); see ``input_gradient`` for the loss's.
        """
        zs, acts = self.forward_full(X)
        if not 1 <= layer < len(self.sizes):
            raise SettingsError(f"layer {layer} is not a hidden or output layer (1..{len(self.sizes) - 1})")
        g = np.array(np.broadcast_to(direction, acts[layer].shape), dtype=acts[layer].dtype)
        if not pre:
            activation_backward(self.layer_activation(layer - 1), acts[layer], g, z=zs[layer - 1])
        out = zs[layer - 1] if pre else acts[layer]
        return out, self._to_input(zs, acts, layer - 1, g).reshape(np.shape(X))

    def _to_input(self, zs, acts, i: int, delta: np.ndarray) -> np.ndarray:
        """dL/dX (batch, sizes[0]) from delta = dL/dz of weight layer i (batch, sizes[i+1]):
        through the hidden activations, then the input transform (the gradient w.r.t. the
        image x in [0, 1], not the normalised input)."""
        for j in range(i, -1, -1):
            delta = delta @ self.weights[j]
            if j:
                DERIVATIVES[self.hidden](acts[j], delta, z=zs[j - 1])
        if self.transform is not None:
            delta = self.transform.backward(delta, self.input_shape)
        return delta

    def input_gradient(self, X: np.ndarray, y: np.ndarray, loss: str = "cross_entropy") -> np.ndarray:
        """d(batch-mean loss)/dX, shaped like X (batch, sizes[0]); y as for ``gradients``.

        Which pixels, brightened, would raise the loss: the saliency of a drawing for its label."""
        if loss not in LOSSES:
            raise SettingsError(f"unknown loss {loss!r}; choose one of {LOSSES}")
        zs, acts = self.forward_full(X)
        delta = output_loss_and_delta(self.output, loss, zs[-1], acts[-1], y)[1]
        return self._to_input(zs, acts, self.n_layers - 1, delta).reshape(np.shape(X))


def _transform(transform: InputTransform | None) -> InputTransform | None:
    if transform is not None and not isinstance(transform, InputTransform):
        raise SettingsError(f"an input transform must be an InputTransform, not {type(transform).__name__}")
    return None if transform is None or transform.is_identity else transform


def _input_shape(shape: Sequence[int] | None, n_inputs: int) -> tuple[int, ...]:
    """``shape`` as a tuple that holds ``n_inputs`` numbers; ``(n_inputs,)`` when None."""
    if shape is None:
        return (n_inputs,)
    shape = tuple(int(n) for n in shape)
    if int(np.prod(shape)) != n_inputs:
        raise SettingsError(f"an input shape of {'×'.join(map(str, shape))} does not hold {n_inputs} inputs")
    return shape
