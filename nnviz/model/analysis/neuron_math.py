"""How one neuron's value is made for one input: its inputs times its weights, their sum,
the bias, z and the activation — the numbers the "how it is made" panel shows."""

from __future__ import annotations

import numpy as np


def neuron_breakdown(net, zs, activations, layer: int, neuron: int) -> dict:
    """The parts of neuron ``neuron`` of activation layer ``layer`` (≥ 1; input = 0).

    ``net``: a Network or a Snapshot (weights[i] (sizes[i+1], sizes[i]), biases, bias,
    hidden, output). ``zs``, ``activations``: from ``Network.forward_full(x[None])`` (a batch
    of 1): zs[i] (1, sizes[i+1]), activations[i] (1, sizes[i]), input first.
    Returns ``products`` w·a (sizes[layer−1],) float64, ``sum`` Σ w·a, ``bias`` (0 without
    biases), ``has_bias``, ``z`` and ``activation`` as the forward pass computed them, and
    ``function``, the name of the neuron's activation function.
    """
    w = np.asarray(net.weights[layer - 1][neuron], dtype=np.float64)
    a_prev = np.asarray(activations[layer - 1][0], dtype=np.float64)
    products = w * a_prev
    bias = float(net.biases[layer - 1][neuron]) if net.bias else 0.0
    function = net.output if layer == len(activations) - 1 else net.hidden
    return {"products": products, "sum": float(products.sum()), "bias": bias, "has_bias": bool(net.bias),
            "z": float(zs[layer - 1][0][neuron]), "activation": float(activations[layer][0][neuron]),
            "function": function}
