"""What a neuron wants: the input gradient of one neuron, the input that excites it most,
and a saliency map (how each pixel would move the top answer).

All by backpropagation to the input: d(neuron)/d(input) flows back through the
weights exactly as the training gradient does, but stops at the pixels.
"""

from __future__ import annotations

import numpy as np

from .functions import DERIVATIVES


def input_gradient(net, x: np.ndarray, layer: int, neuron: int) -> tuple[float, np.ndarray]:
    """(activation, d activation / d x (n_inputs,)) of neuron ``neuron`` in ``layer`` (≥ 1, as in
    ``weights[layer - 1]``) for one input x (n_inputs,). Softmax outputs: the probability's gradient."""
    x = np.asarray(x, dtype=np.float64).reshape(1, -1)
    W = [np.asarray(w, dtype=np.float64) for w in net.weights]
    B = [np.asarray(b, dtype=np.float64) for b in net.biases]
    # a float64 forward pass: the finite-difference check needs more digits than float32 has
    acts, a = [], x
    for i, (w, b) in enumerate(zip(W, B)):
        z = a @ w.T + (b if net.bias else 0.0)
        name = net.layer_activation(i)
        if name == "softmax":
            e = np.exp(z - z.max(axis=1, keepdims=True))
            a = e / e.sum(axis=1, keepdims=True)
        elif name == "sigmoid":
            a = 1.0 / (1.0 + np.exp(-z))
        elif name == "relu":
            a = np.maximum(z, 0.0)
        elif name == "tanh":
            a = np.tanh(z)
        else:
            a = z
        acts.append(a)
    i = layer - 1
    out = acts[i][0]
    name = net.layer_activation(i)
    if name == "softmax":
        g = (out[neuron] * ((np.arange(len(out)) == neuron) - out))[None, :]
    else:
        g = np.zeros((1, len(out)))
        g[0, neuron] = 1.0
        DERIVATIVES[name](acts[i], g)
    for j in range(i, -1, -1):
        g = g @ W[j]
        if j > 0:
            DERIVATIVES[net.hidden](acts[j - 1], g)
    return float(out[neuron]), g[0]


def maximize(net, layer: int, neuron: int, start: np.ndarray, steps: int = 100, step_size: float = 0.05,
             lo: float = 0.0, hi: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Projected gradient ascent on the input: (best input (n_inputs,) float32, activation trace (steps+1,)).

    Each step moves every pixel by ``step_size`` along the normalised gradient, then clips
    to [lo, hi] (pixels are brightnesses). The best input seen is returned, so the result
    never excites the neuron less than ``start``.
    """
    x = np.clip(np.asarray(start, dtype=np.float64).reshape(-1), lo, hi)
    act, g = input_gradient(net, x, layer, neuron)
    best, best_act, trace = x.copy(), act, [act]
    for _ in range(int(steps)):
        norm = np.abs(g).max()
        if not np.isfinite(norm) or norm == 0:
            break
        x = np.clip(x + step_size * g / norm, lo, hi)
        act, g = input_gradient(net, x, layer, neuron)
        trace.append(act)
        if act > best_act:
            best, best_act = x.copy(), act
    return best.astype(np.float32), np.array(trace)


def saliency(net, x: np.ndarray) -> tuple[int, np.ndarray]:
    """(top output neuron, d top / d x (n_inputs,)) for input x: green pixels would raise the
    top answer if brightened, red ones lower it. For one signed output (the smile) that output."""
    out = net.predict(np.asarray(x, dtype=net.dtype).reshape(1, -1))[0]
    top = 0 if len(out) == 1 else int(out.argmax())
    return top, input_gradient(net, x, len(net.sizes) - 1, top)[1]
