"""How one feature-map pixel of a conv layer is made (CNN Explainer's view): the input
patch under the kernel, the kernel, their element-wise products, the sum, the bias, the
pre-activation and the activation — the numbers the feature-pixel view shows.

Layer numbers count activations, as in the other views and ``neuron_math``: input = 0,
so layer L is ``net.layers[L − 1]``, reads map L − 1 (the input image for L = 1, else
the previous layer's output feature maps) and writes map L.

Everything is recomputed in float64 from that input map, so the parts add up exactly;
they equal the network's own forward pass to its precision.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.functions import apply_activation


@dataclass(frozen=True)
class FeaturePixel:
    """One output pixel (``row``, ``col``) of filter ``channel`` of conv layer ``layer``.

    patch, kernel, products: (C_in, k, k) float64; patch holds the input values the kernel
    sees, zero where it hangs over the padding (``inside`` (k, k) bool is False there).
    ``sum`` = Σ products, ``z`` = sum + bias (bias 0 without biases), ``activation`` = f(z)
    with f named ``function``. ``origin`` (row0, col0): the patch's top-left corner on the
    layer's input, unclipped (negative in the padding); ``rect`` (row0, col0, height,
    width): the same patch clipped to the input, for outlining it on the picture.
    """

    layer: int
    channel: int
    row: int
    col: int
    patch: np.ndarray
    kernel: np.ndarray
    products: np.ndarray
    inside: np.ndarray
    sum: float
    bias: float
    has_bias: bool
    z: float
    activation: float
    function: str
    origin: tuple[int, int]
    rect: tuple[int, int, int, int]
    stride: int
    padding: int

    @property
    def channel_sums(self) -> np.ndarray:
        """(C_in,) Σ of the products per input channel: they add up to ``sum``."""
        return self.products.sum(axis=(1, 2))


def weight_index(layers, layer: int) -> int:
    """Index into ``net.weights`` of activation layer ``layer``'s parameters."""
    return sum(lay.weight_shape is not None for lay in layers[:layer - 1])


def layer_input(net, x: np.ndarray, layer: int, activations=None) -> np.ndarray:
    """The (C, H, W) float64 map layer ``layer`` reads for input row ``x`` (n_inputs,).

    ``activations``: the net's forward pass for this x (``forward``/``forward_full`` of a
    batch of one, input first) to reuse; computed when None.
    """
    shape = net.layers[layer - 1].in_shape
    if layer == 1:  # what the first layer reads: the input after the model's input transform
        x = np.asarray(x, dtype=np.float64).reshape(1, -1)
        if getattr(net, "transform", None) is not None:
            x = net.transform.apply(x, net.input_shape)
        return x.reshape(shape)
    if activations is None:
        activations = net.forward(np.asarray(x).reshape(1, -1))
    return np.asarray(activations[layer - 1], dtype=np.float64).reshape(shape)


def feature_pixel(net, x: np.ndarray, layer: int, channel: int, row: int, col: int,
                  activations=None) -> FeaturePixel:
    """The parts of output pixel (row, col) of filter ``channel`` of conv layer ``layer`` (≥ 1).

    ``net``: a network with ``layers``, ``weights`` (conv (F, C, k, k)), ``biases``, ``bias``
    and ``forward`` (a LayerNetwork); ``x``: one flat input row (n_inputs,) in C, H, W order;
    ``activations``: see ``layer_input``. Raises ValueError for a layer that is no conv or
    a pixel outside its output.
    """
    conv = net.layers[layer - 1] if 1 <= layer <= len(net.layers) else None
    if conv is None or conv.type != "conv":
        raise ValueError(f"layer {layer} is not a convolution layer")
    f, ho, wo = conv.out_shape
    if not (0 <= channel < f and 0 <= row < ho and 0 <= col < wo):
        raise ValueError(f"pixel (channel {channel}, row {row}, column {col}) is outside layer {layer}'s "
                         f"{f}×{ho}×{wo} output")
    k, s, p = conv.kernel, conv.stride, conv.padding
    a = layer_input(net, x, layer, activations)
    c, h, w = a.shape
    r0, c0 = row * s - p, col * s - p  # top-left of the window on the unpadded input
    # the window in padded coordinates: pad once, slice once (zeros where it hangs over)
    padded = np.zeros((c, h + 2 * p, w + 2 * p))
    padded[:, p:p + h, p:p + w] = a
    patch = padded[:, r0 + p:r0 + p + k, c0 + p:c0 + p + k].copy()
    rows, cols = np.arange(r0, r0 + k), np.arange(c0, c0 + k)
    inside = ((rows >= 0) & (rows < h))[:, None] & ((cols >= 0) & (cols < w))[None, :]
    i = weight_index(net.layers, layer)
    kernel = np.asarray(net.weights[i][channel], dtype=np.float64)
    products = patch * kernel
    total = float(products.sum())
    bias = float(net.biases[i][channel]) if net.bias else 0.0
    z = total + bias
    activation = float(apply_activation(conv.activation, np.array([[z]]), **conv.activation_params)[0, 0])
    top, left = max(r0, 0), max(c0, 0)
    rect = (top, left, min(r0 + k, h) - top, min(c0 + k, w) - left)
    return FeaturePixel(layer, channel, row, col, patch, kernel, products, inside, total, bias, bool(net.bias),
                        z, activation, conv.activation, (r0, c0), rect, s, p)
