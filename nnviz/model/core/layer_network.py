"""A network of any layer stack (conv, pooling, batch norm, flatten, dense) built from a JSON-able spec.

``networks.build_network(spec)`` returns the plain ``Network`` for a stack of dense layers
with one hidden activation — bit for bit the MLP the app trains today — and a
``LayerNetwork`` for everything else. Both keep one contract (``networks.NetworkLike``):

- ``weights`` / ``biases``: one entry per layer *with parameters*, in order, in PyTorch
  layouts (conv ``(filters, C, k, k)``, dense ``(units, inputs)``), so weights trained
  there drop in (a torch ``nn.Sequential``'s state_dict, in order).
- Inputs are flat rows ``(batch, C·H·W)`` in C, H, W order (``(batch, C, H, W)`` is
  accepted too), through the spec's ``input_transform`` (``transform``, None for none)
  first. ``forward(X)`` returns every layer's output, the (flat, transformed) input first:
  conv and maxpool outputs are ``(batch, C, H, W)``, flatten and dense ``(batch, n)``.
- ``gradients(X, Y, loss)`` -> ``(loss, dW, db)`` aligned with weights/biases; no
  gradient is computed for the input there (training never needs it): ``input_gradient``
  and ``backprop_to_input`` carry backpropagation on to the input. ``dropout`` (with an ``rng``) drops inputs of
  the dense layers that read a hidden layer, as the trainer does for an MLP.
- ``sizes``, ``hidden``, ``output``, ``bias``: what the trainer and snapshots read of a
  ``Network`` too (``sizes`` = each layer's flat output size, the input first).

The spec's rules (defaults, floor sizes, pooling ties, where flatten is needed) are in
``layers.py``; the convolution and pooling maths in ``conv.py``.

Threads: ``gradients`` reuses per-network scratch arrays between steps (fresh
multi-MB arrays per step cost page faults), so one LayerNetwork is trained from one
thread at a time — as the worker does; ``copy()`` never shares scratch. ``forward``,
``predict`` and ``loss`` allocate fresh arrays.
"""

from __future__ import annotations

from math import prod
from typing import Mapping, Sequence

import numpy as np

from ..errors import SettingsError
from .functions import ACTIVATIONS, DERIVATIVES, LOSSES, NEEDS_Z, activation_backward, output_loss_and_delta
from .input_transform import InputTransform, transform_of
from .layers import BatchNorm, Dense, Layer, MaxPool, normal_spec, parse_spec
from .network import INITS

EVAL_CHUNK = 256  # rows per slice in predict() and loss(): ~2.5× faster than 1024 (cache, page faults)


class LayerNetwork:
    """Parameters and maths of a stack of layers (see the module docstring)."""

    #: any stack, dense ones included when built directly; ``networks.build_network`` gives a plain
    #: dense stack to ``Network`` instead
    is_plain = False

    def __init__(self, spec: Mapping, seed: int = 0, dtype=np.float32, init: str = "auto"):
        self._setup(*parse_spec(spec), dtype, transform_of(spec))
        if init not in INITS:
            raise SettingsError(f"unknown initialisation {init!r}; choose one of {INITS}")
        self.seed, self.init = int(seed), init
        self.reinitialize()

    def _setup(self, input_shape, layers: list[Layer], output: str, bias: bool, dtype,
               transform: InputTransform | None = None) -> None:
        self.dtype = np.dtype(dtype)
        if self.dtype.kind != "f":
            raise SettingsError(f"a network computes in floating point, not {self.dtype.name}")
        self.input_shape: tuple[int, ...] = tuple(input_shape)
        self.layers = layers
        self.output, self.bias = output, bool(bias)
        #: what the network does to its input first (input_transform.py); None: nothing
        self.transform = transform
        #: every layer's output shape (no batch axis), the input first
        self.shapes = [self.input_shape] + [layer.out_shape for layer in layers]
        #: every layer's flat output size, the input first (a Network's layer widths)
        self.sizes = [prod(shape) for shape in self.shapes]
        #: the hidden layers' activation (the first one's, should they differ)
        self.hidden = next((layer.activation for layer in layers[:-1] if layer.activation), "relu")
        #: layer i reads a hidden layer's output through dropout (see gradients)
        self._drops = [i > 0 and isinstance(layer, Dense) for i, layer in enumerate(layers)]
        #: layer i is a max pool that reads a ReLU layer: on the scratch path (_run with keep_z False)
        #: that ReLU is applied after the pooling and its derivative before the pool's backward, on
        #: the size²-times smaller map. Exact: max(relu(z)) = relu(max(z)), and relu' of the window's
        #: winner is (pooled > 0); where the winners differ (windows with no z > 0) the gradient is 0.
        self._pool_relu = [i > 0 and type(layer) is MaxPool and layers[i - 1].activation == "relu"
                           for i, layer in enumerate(layers)]
        #: layer index -> index into weights/biases, None for layers without parameters
        self._param_of: list[int | None] = []
        count = 0
        for layer in layers:
            self._param_of.append(count if layer.weight_shape is not None else None)
            count += layer.weight_shape is not None
        self._param_layers = [layer for layer in layers if layer.weight_shape is not None]
        self._work: list[dict] = [{} for _ in layers]  # per-layer scratch for gradients()
        self.weights: list[np.ndarray] = []
        self.biases: list[np.ndarray] = []

    # -- construction ---------------------------------------------------------------

    def reinitialize(self, seed: int | None = None, init: str | None = None) -> None:
        """Fresh seeded weights, zero biases; He (√(2/fan_in)) before ReLU, Glorot uniform
        otherwise. The draws are Network.reinitialize's, one layer after another, so a dense
        stack starts from the same numbers either way. Batch norm starts as PyTorch's does,
        γ = 1 and β = 0 (no draw, whatever ``init``: γ = 0 would silence the layer)."""
        if seed is not None:
            self.seed = int(seed)
        if init is not None:
            if init not in INITS:
                raise SettingsError(f"unknown initialisation {init!r}; choose one of {INITS}")
            self.init = init
        rng = np.random.default_rng(self.seed)
        self.weights, self.biases = [], []
        for layer in self._param_layers:
            shape, (fan_in, fan_out) = layer.weight_shape, layer.fans
            if isinstance(layer, BatchNorm):
                w = np.ones(shape)
            elif self.init == "zeros":
                w = np.zeros(shape)
            elif layer.activation == "relu":
                w = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)
            else:
                limit = np.sqrt(6.0 / (fan_in + fan_out))
                w = rng.uniform(-limit, limit, size=shape)
            self.weights.append(np.ascontiguousarray(w, dtype=self.dtype))
            self.biases.append(np.zeros(shape[0], dtype=self.dtype))

    @classmethod
    def from_parameters(cls, spec: Mapping, weights, biases) -> "LayerNetwork":
        """A network around existing arrays (shape-checked, no copy, no random init)."""
        net = cls.__new__(cls)
        net._setup(*parse_spec(spec), np.asarray(weights[0]).dtype if len(weights) else np.float32,
                   transform_of(spec))
        net.seed, net.init = 0, "auto"
        net._check_shapes(weights, biases)
        net.weights, net.biases = list(weights), list(biases)
        return net

    @property
    def spec(self) -> dict:
        """The normalised, JSON-ready spec: ``LayerNetwork(net.spec)`` rebuilds this stack."""
        return normal_spec(self.input_shape, self.layers, self.output, self.bias, self.transform)

    def architecture(self) -> dict:
        """JSON-ready description, enough to rebuild an identical empty network."""
        return {"spec": self.spec, "dtype": self.dtype.name}

    @property
    def n_layers(self) -> int:
        """Number of layers with parameters (= len(weights))."""
        return len(self._param_layers)

    def layer_activation(self, i: int) -> str:
        """Name of the function applied after weight layer i (0-based)."""
        return self._param_layers[i].activation

    @property
    def n_parameters(self) -> int:
        """Trainable numbers: all weights, plus biases when the network has them."""
        n = sum(w.size for w in self.weights)
        return n + (sum(b.size for b in self.biases) if self.bias else 0)

    def copy(self) -> "LayerNetwork":
        """An independent network with the same stack and parameters (layers are immutable)."""
        other = LayerNetwork.__new__(LayerNetwork)
        other.__dict__.update(self.__dict__)
        other._work = [{} for _ in self.layers]  # scratch is never shared
        other.weights = [w.copy() for w in self.weights]
        other.biases = [b.copy() for b in self.biases]
        return other

    def _check_shapes(self, weights: Sequence[np.ndarray], biases: Sequence[np.ndarray]) -> None:
        if len(weights) != self.n_layers or len(biases) != self.n_layers:
            raise SettingsError(
                f"expected {self.n_layers} weight and bias arrays, got {len(weights)} and {len(biases)}"
            )
        for i, (layer, w, b) in enumerate(zip(self._param_layers, weights, biases)):
            want_w, want_b = layer.weight_shape, layer.weight_shape[:1]
            if np.shape(w) != want_w or np.shape(b) != want_b:
                raise SettingsError(
                    f"weight layer {i + 1} ({layer.type}): weights {np.shape(w)} / biases {np.shape(b)} "
                    f"do not fit the architecture {want_w} / {want_b}"
                )

    def set_parameters(self, weights: Sequence[np.ndarray], biases: Sequence[np.ndarray]) -> None:
        """Replace all parameters, checking every shape against the stack."""
        self._check_shapes(weights, biases)
        self.weights = [np.array(w, dtype=self.dtype, order="C") for w in weights]
        self.biases = [np.array(b, dtype=self.dtype) for b in biases]

    # -- maths ----------------------------------------------------------------------

    def _check_input(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=self.dtype)
        n_in = prod(self.input_shape)
        if X.ndim == len(self.input_shape) + 1 and X.shape[1:] == self.input_shape:
            X = X.reshape(X.shape[0], n_in)
        elif X.ndim == 1:
            X = X[None, :]
        if X.ndim != 2 or X.shape[1] != n_in:
            shape = "×".join(map(str, self.input_shape))
            raise SettingsError(f"input of shape {X.shape} does not fit the {shape} input ({n_in} values a row)")
        return X

    def _run(self, X: np.ndarray, keep_z: bool, work: list[dict] | None = None, dropout: float = 0.0,
             rng=None, masks: list | None = None):
        """Forward pass: (zs, activations, caches).

        ``dropout`` > 0: each layer flagged in ``_drops`` reads its input times a fresh
        inverted-dropout mask (kept with probability 1 − dropout, scaled by 1/keep, drawn
        from ``rng`` in layer order) — ``masks[i]`` gets it; ``activations`` stay undropped.

        keep_z True (the public forward): no scratch, activations C-contiguous. keep_z False: hidden
        activations overwrite their pre-activations (backprop needs only a, and the output layer's
        z — and the z of an activation in ``NEEDS_Z``), maps stay batch-last, and with ``work``
        the big arrays live in reused scratch (see conv.py). Also with keep_z False, a ReLU
        followed by max pooling is applied after the pooling (``_pool_relu``): that layer's
        activation is then its pre-activation, whose ``> 0`` is ReLU's derivative all the same.
        """
        a = self._check_input(X)
        if self.transform is not None:
            a = self.transform.apply(a, self.input_shape)
        zs, acts, caches = [], [a], []
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            p = self._param_of[i]
            w = None if p is None else self.weights[p]
            b = None if p is None or not self.bias else self.biases[p]
            if dropout and self._drops[i]:
                keep = 1.0 - dropout
                mask = (rng.random(a.shape, dtype=np.float32) < keep).astype(a.dtype)
                mask /= keep  # inverted dropout: nothing to rescale at test time
                masks[i] = mask
                a = a * mask
            z, cache = layer.forward(a, w, b, None if work is None else work[i])
            if layer.activation is None:
                # pool / flatten: output and "pre-activation" are the same array
                a = z = np.ascontiguousarray(z) if keep_z else z
                if not keep_z and self._pool_relu[i]:
                    ACTIVATIONS["relu"](z)  # the layer below's ReLU, on the pooled map
            elif not keep_z and i < last and self._pool_relu[i + 1]:
                a = z  # its ReLU comes after the pooling
            else:
                fresh = keep_z or i == last or layer.activation in NEEDS_Z
                a = ACTIVATIONS[layer.activation](z.copy() if fresh else z, **layer.activation_params)
            zs.append(z)
            acts.append(a)
            caches.append(cache)
        return zs, acts, caches

    def forward_full(self, X: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Pre-activations and activations of every layer.

        X: (batch, C·H·W). ``zs[i]`` is layer i's output before its activation (for
        maxpool and flatten, which have none, it *is* ``activations[i + 1]``; a conv's z
        is a strided view); ``activations`` is the input first, the output last, all
        C-contiguous (flatten's output is a reshaped view of its input).
        """
        zs, acts, _ = self._run(X, keep_z=True)
        return zs, acts

    def forward(self, X: np.ndarray) -> list[np.ndarray]:
        """Every layer's output for X (batch, C·H·W): the input first, the output last."""
        return self._run(X, keep_z=True)[1]

    def output_full(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(z, a) of the output layer, (batch, units) each, computed in slices (see _chunks)."""
        outs = [self._run(x, keep_z=False)[:2] for _, x in self._chunks(X)]
        if len(outs) == 1:
            return outs[0][0][-1], outs[0][1][-1]
        return np.concatenate([zs[-1] for zs, _ in outs]), np.concatenate([acts[-1] for _, acts in outs])

    def _chunks(self, X: np.ndarray):
        # im2col makes C·k·k copies of every pixel: a 10,000-image test set would need
        # ~0.6 GB at once on the 28×28 lesson, so evaluation runs in slices.
        X = self._check_input(X)
        return [(i, X[i:i + EVAL_CHUNK]) for i in range(0, len(X), EVAL_CHUNK)]

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Output layer activations (batch, units)."""
        outs = [self._run(x, keep_z=False)[1][-1] for _, x in self._chunks(X)]
        return outs[0] if len(outs) == 1 else np.concatenate(outs)

    def loss(self, X: np.ndarray, Y: np.ndarray, loss: str = "cross_entropy") -> float:
        """Batch-mean loss without computing gradients."""
        total, count, Y = 0.0, 0, np.asarray(Y)
        for i, x in self._chunks(X):  # both losses are means over rows: weight by rows
            zs, acts, _ = self._run(x, keep_z=False)
            total += output_loss_and_delta(self.output, loss, zs[-1], acts[-1], Y[i:i + len(x)])[0] * len(x)
            count += len(x)
        return total / count

    def gradients(
        self, X: np.ndarray, Y: np.ndarray, loss: str = "cross_entropy", dropout: float = 0.0, rng=None
    ) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
        """Backpropagation: (batch-mean loss, dW, db), dW/db shaped like weights/biases.

        X: (batch, C·H·W); Y: (batch,) integer labels for cross-entropy, or targets
        (batch, units) for mse. db is all zeros when the network has no bias.
        ``dropout`` ∈ [0, 1) with a NumPy Generator ``rng``: training with dropout on the
        inputs of dense layers that read a hidden layer (an MLP's hidden units; after a
        conv stack, the flattened feature maps — where CNNs usually drop). Conv and pool
        layers get none: neighbouring pixels of a map are too alike for dropping single
        ones to regularise much. The loss and gradients are those of the dropped network.
        """
        if loss not in LOSSES:
            raise SettingsError(f"unknown loss {loss!r}; choose one of {LOSSES}")
        masks: list = [None] * len(self.layers)
        zs, acts, caches = self._run(X, keep_z=False, work=self._work, dropout=dropout, rng=rng, masks=masks)
        value, delta = output_loss_and_delta(self.output, loss, zs[-1], acts[-1], Y)
        dW: list[np.ndarray] = [None] * self.n_layers  # type: ignore[list-item]
        db: list[np.ndarray] = [None] * self.n_layers  # type: ignore[list-item]
        for i in range(len(self.layers) - 1, -1, -1):
            layer, p = self.layers[i], self._param_of[i]
            # delta is dL/dz of layer i here
            w = None if p is None else self.weights[p]
            if self._pool_relu[i]:  # the ReLU below was applied after this pooling (see _run)
                DERIVATIVES["relu"](acts[i + 1], delta)
            dx, dw, dbias = layer.backward(delta, caches[i], w, i > 0, self._work[i])
            if p is not None:
                dW[p] = dw.astype(self.dtype, copy=False)
                db[p] = dbias.astype(self.dtype, copy=False) if self.bias else np.zeros_like(self.biases[p])
            if i:
                delta = dx  # fresh or this layer's own scratch: safe to scale in place
                if masks[i] is not None:
                    delta *= masks[i]
                below = self.layers[i - 1]
                if below.activation is not None and not self._pool_relu[i]:
                    DERIVATIVES[below.activation](acts[i], delta, z=zs[i - 1], **below.activation_params)
        return value, dW, db

    # -- gradients to the input -------------------------------------------------------

    def _to_input(self, X: np.ndarray, zs, caches, acts, i: int, delta: np.ndarray) -> np.ndarray:
        """dL/dX shaped like X, from delta = dL/dz of layer i (0-based in ``layers``): through
        every layer and activation below, then the input transform — the gradient w.r.t. the
        image x in [0, 1], not the normalised input. Fresh arrays only (no scratch): analysis
        may run beside a training thread on this network."""
        for j in range(i, -1, -1):
            layer, p = self.layers[j], self._param_of[j]
            dx = layer.backward(delta, caches[j], None if p is None else self.weights[p], True, None)[0]
            if j:
                below = self.layers[j - 1]
                if below.activation is not None:
                    dx = np.array(dx)  # a reshaped view of delta (flatten): never scale that in place
                    DERIVATIVES[below.activation](acts[j], dx, z=zs[j - 1], **below.activation_params)
            delta = dx
        delta = np.ascontiguousarray(delta).reshape(len(delta), -1)
        if self.transform is not None:  # from the transformed input the network read to the pixels x
            delta = self.transform.backward(delta, self.input_shape)
        return delta.reshape(np.shape(X))

    def backprop_to_input(self, X: np.ndarray, layer: int, direction: np.ndarray,
                          pre: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(out, dX): layer ``layer``'s output for X, and d Σ(direction · out) / dX.

        Layers count activations (input = 0, output = ``len(layers)``); ``out`` is that layer's
        output (batch, *shapes[layer]) after its activation, or with ``pre`` before it (the same
        for maxpool and flatten). direction: broadcastable to out, or flat (batch, sizes[layer]). dX is shaped like X. A one-hot
        direction gives one unit's gradient (a neuron, a feature-map pixel); 1/(H·W) over one
        channel gives the gradient of the channel's mean.
        """
        if not 1 <= layer <= len(self.layers):
            raise SettingsError(f"layer {layer} is not a hidden or output layer (1..{len(self.layers)})")
        zs, acts, caches = self._run(X, keep_z=True)
        z, a = zs[layer - 1], acts[layer]
        z = z.reshape(a.shape)  # flatten's z and a: the same numbers
        d = np.asarray(direction)
        if d.size == a.size:  # a flat (batch, sizes[layer]) direction, in C, H, W order
            d = d.reshape(a.shape)
        g = np.array(np.broadcast_to(d, a.shape), dtype=a.dtype)
        top = self.layers[layer - 1]
        if not pre and top.activation is not None:
            activation_backward(top.activation, a, g, z=z, **top.activation_params)
        return (z if pre else a), self._to_input(X, zs, caches, acts, layer - 1, g)

    def input_gradient(self, X: np.ndarray, y: np.ndarray, loss: str = "cross_entropy") -> np.ndarray:
        """d(batch-mean loss)/dX, shaped like X ((batch, C·H·W) or (batch, C, H, W)); y as for
        ``gradients``. Which pixels, brightened, would raise the loss."""
        if loss not in LOSSES:
            raise SettingsError(f"unknown loss {loss!r}; choose one of {LOSSES}")
        zs, acts, caches = self._run(X, keep_z=True)
        delta = output_loss_and_delta(self.output, loss, zs[-1], acts[-1], y)[1]
        return self._to_input(X, zs, caches, acts, len(self.layers) - 1, delta)
