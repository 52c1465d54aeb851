"""What a neuron wants: how its activation depends on every input pixel.

Backpropagation usually stops at the weights. Carried one layer further, to the
input, it answers "if I brightened this pixel a little, how much would this neuron
light up?" — the gradient d(activation)/d(input). Three uses:

- ``neuron_gradient``: that gradient for any hidden or output neuron;
- ``maximize``: follow it uphill, changing the *pixels* (never the weights) to find an
  input that excites the neuron strongly — from a blank grid or from a drawing;
- ``saliency``: for a drawing, which pixels push the network's top answer up (green)
  or down (red).

Layers count activations (input = 0, the output last), as in the weight panel for an MLP
(layer ℓ's incoming weights are ``net.weights[ℓ - 1]`` there) and the feature maps for a
conv net. Any network works (``NetworkLike.backprop_to_input``): a unit is a dense neuron,
a feature-map pixel or a whole channel (its mean). The maths
runs in float64 on a copy, so finite differences can check it.
"""

from __future__ import annotations

import numpy as np

from ..core.networks import network_from_parameters


def _float64(net):
    return network_from_parameters(net.spec, [np.asarray(w, dtype=np.float64) for w in net.weights],
                                   [np.asarray(b, dtype=np.float64) for b in net.biases])


def _check(net, layer: int, neuron: int, channel: bool = False) -> None:
    if not 1 <= layer < len(net.sizes):
        raise ValueError(f"layer {layer} is not a hidden or output layer (1..{len(net.sizes) - 1})")
    if channel:
        shape = net.shapes[layer]
        if len(shape) != 3:
            raise ValueError(f"layer {layer} has no feature maps: ask for one of its neurons")
        if not 0 <= neuron < shape[0]:
            raise ValueError(f"layer {layer} has {shape[0]} channels, no channel {neuron}")
    elif not 0 <= neuron < net.sizes[layer]:
        raise ValueError(f"layer {layer} has {net.sizes[layer]} neurons, no neuron {neuron}")


def unit_direction(net, layer: int, neuron: int, channel: bool = False) -> np.ndarray:
    """(1, sizes[layer]) float64: the weights of the unit's value in the layer's flat output —
    one-hot at ``neuron`` (a dense neuron, or a feature-map pixel in C, H, W order), or with
    ``channel`` 1/(H·W) over every pixel of map ``neuron`` (the channel's mean)."""
    d = np.zeros((1, net.sizes[layer]))
    if channel:
        _, h, w = net.shapes[layer]
        d[0, neuron * h * w:(neuron + 1) * h * w] = 1.0 / (h * w)
    else:
        d[0, neuron] = 1.0
    return d


def centre_unit(net, layer: int, channel: int) -> tuple[int, int, int]:
    """(flat index in C, H, W order, row, col) of the centre pixel of map ``channel`` of ``layer``:
    the unit of that channel whose receptive field is the middle of the input. Climbing it finds
    one localized stroke; climbing the map's mean rewards the pattern anywhere, and from a blank
    image it lands on the border, where the zero padding costs nothing."""
    _check(net, layer, channel, channel=True)
    _, h, w = net.shapes[layer]
    row, col = h // 2, w // 2
    return (channel * h + row) * w + col, row, col


def neuron_gradient(net, x: np.ndarray, layer: int, neuron: int, pre: bool = False,
                    channel: bool = False) -> tuple[float, np.ndarray]:
    """(value, d value / d x (n_inputs,) float64) for one input x (n_inputs,).

    value is the activation of ``neuron`` in ``layer`` (a probability for a softmax
    output; for a conv or pool layer, ``neuron`` is a pixel of its maps in C, H, W order),
    or with ``pre=True`` its pre-activation score z = w·a + b (before the squashing; for a
    softmax output, the logit). ``channel``: ``neuron`` is a channel of the layer's maps and
    the value is that map's mean — what a whole kernel responds to, wherever it is.
    """
    _check(net, layer, neuron, channel)
    return _gradient(_float64(net), x, layer, neuron, pre, channel)


def _gradient(f, x, layer: int, neuron: int, pre: bool = False, channel: bool = False) -> tuple[float, np.ndarray]:
    d = unit_direction(f, layer, neuron, channel)
    out, g = f.backprop_to_input(np.asarray(x, dtype=np.float64).reshape(1, -1), layer, d, pre)
    return float((out.reshape(d.shape) * d).sum()), g[0]


def activation(net, x: np.ndarray, layer: int, neuron: int, channel: bool = False) -> float:
    """The activation of ``neuron`` (or with ``channel`` the mean of map ``neuron``) in ``layer``
    for one input x (n_inputs,), in float64."""
    _check(net, layer, neuron, channel)
    out = _float64(net).forward(np.asarray(x, dtype=np.float64).reshape(1, -1))[layer]
    return float((np.asarray(out).reshape(1, -1) * unit_direction(net, layer, neuron, channel)).sum())


def _climb(f, x, layer: int, neuron: int, channel: bool = False) -> tuple[tuple[float, float], np.ndarray]:
    """((activation, score z), the direction to climb) at x. The direction is the activation's
    gradient, or — where that is flat because the neuron is off (a ReLU below 0) — the score's:
    raising z is how an off neuron gets turned on."""
    a, g = _gradient(f, x, layer, neuron, channel=channel)
    z, gz = _gradient(f, x, layer, neuron, pre=True, channel=channel)
    return (a, z), (g if np.abs(g).max() > 0 else gz)


def maximize(net, layer: int, neuron: int, start: np.ndarray, steps: int = 100, step_size: float = 0.05,
             lo: float = 0.0, hi: float = 1.0, channel: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Projected gradient ascent on the pixels: (x (n_inputs,) float32, trace (k + 1,) float64).

    Each step moves the pixels along the activation's gradient, scaled so the pixel
    that matters most moves by ``step_size`` (a brightness, whatever the gradient's
    size), then clips them back into [lo, hi]. A step that would not raise the
    activation is retried at half the size (up to 20 times); if none helps, the ascent
    has reached a peak and stops early. A neuron that is off (a ReLU with z < 0 has a
    flat activation, gradient 0) first climbs its score z until it turns on.

    ``channel``: climb the mean of feature map ``neuron`` of a conv / pool layer (see
    ``neuron_gradient``). A max-pooled or flattened layer's score is its activation.

    ``trace`` is the activation at the start and after each step taken: it never
    decreases (it may sit at 0 while an off neuron's score rises), and ``x`` — the
    last input — is the best found; ``trace[-1]`` is exactly its activation.
    """
    _check(net, layer, neuron, channel)
    f = _float64(net)
    # pixels stay float32 numbers, so the trace is exactly the activation of the returned x
    x = np.clip(np.asarray(start, dtype=np.float32).reshape(-1), lo, hi).astype(np.float64)
    value, g = _climb(f, x, layer, neuron, channel)
    trace = [value[0]]
    for _ in range(int(steps)):
        scale = np.abs(g).max()
        if not np.isfinite(scale) or scale == 0:
            break
        size, found = float(step_size), None
        for _ in range(21):
            x_new = np.clip(x + (size / scale) * g, lo, hi).astype(np.float32).astype(np.float64)
            if np.array_equal(x_new, x):  # every pixel that would help is already at lo or hi
                break
            v_new, g_new = _climb(f, x_new, layer, neuron, channel)
            if v_new > value:  # higher activation, or the same (0) with a higher score
                found = x_new, v_new, g_new
                break
            size /= 2  # overshot the peak along this direction
        if found is None:
            break
        x, value, g = found
        trace.append(value[0])
    return x.astype(np.float32), np.array(trace)


def top_output(net, x: np.ndarray) -> int:
    """The output neuron of the network's answer for x: the brightest one (0 for a single output)."""
    out = net.predict(np.asarray(x, dtype=net.dtype).reshape(1, -1))[0]
    return 0 if len(out) == 1 else int(np.argmax(out))


def saliency(net, x: np.ndarray, target: int | None = None) -> tuple[int, np.ndarray]:
    """(target output neuron, d score / d x (n_inputs,) float64) for one input x.

    target: an output neuron, default the top answer (``top_output``). score is that
    output's **pre-softmax score** z (the logit; for the smile lesson's linear output,
    the output itself): positive entries are pixels that would raise the answer if
    brightened (green), negative ones lower it (red). The score, not the probability,
    because a confident probability saturates near 1 and its gradient fades to
    nothing exactly when the network is surest; the score's gradient stays readable.
    """
    target = top_output(net, x) if target is None else int(target)
    return target, neuron_gradient(net, x, len(net.sizes) - 1, target, pre=True)[1]

