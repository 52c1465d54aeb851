"""How one neuron's value is made for one input: its inputs times its weights, their sum,
the bias, z and the activation — the numbers the "how it is made" panel shows."""

from __future__ import annotations

import numpy as np


def neuron_breakdown(net, zs, activations, layer: int, neuron: int) -> dict:
    """The parts of neuron ``neuron`` of activation layer ``layer`` (≥ 1; input = 0).

    ``net``: a Network or a Snapshot (weights[i] (sizes[i+1], sizes[i]), biases, bias,
    hidden, output). ``zs``, ``activations``: from ``Network.forward_full(x[None])`` (a batch
    of 1): zs[i] (1, sizes[i+1]), activations[i] (1, sizes[i]), input first.
    Returns ``products`` w·a (sizes[layer−1],) float64 (and its ``weights`` and ``inputs``), ``sum`` Σ w·a, ``bias`` (0 without
    biases), ``has_bias``, ``z`` and ``activation`` as the forward pass computed them, and
    ``function``, the name of the neuron's activation function.
    """
    w = np.asarray(net.weights[layer - 1][neuron], dtype=np.float64)
    a_prev = np.asarray(activations[layer - 1][0], dtype=np.float64)
    products = w * a_prev
    bias = float(net.biases[layer - 1][neuron]) if net.bias else 0.0
    function = net.output if layer == len(activations) - 1 else net.hidden
    return {"products": products, "weights": w, "inputs": a_prev, "sum": float(products.sum()), "bias": bias,
            "has_bias": bool(net.bias),
            "z": float(zs[layer - 1][0][neuron]), "activation": float(activations[layer][0][neuron]),
            "function": function}


def fmt(v: float) -> str:
    """A term's number as the lesson writes it: 1, −1, 0.25, −0.0312 (a real minus sign)."""
    return "0" if v == 0 else f"{float(v):.3g}".replace("-", "−")


def running_total(weights, inputs, full_up_to: int = 12, largest: int = 6) -> list[str]:
    """The weighted sum as the lesson does it by hand, term by term with the total so far:
    ``["1·1 = 1 → 1", "0·(−1) = 0 → 1", …]`` (input·weight = product → running total).

    ``weights``, ``inputs``: (n,). Up to ``full_up_to`` terms all are written out in order;
    beyond that the ``largest`` by |product|, then one line for the rest summed, so the last
    total is Σ wᵢ·aᵢ either way (to rounding)."""
    w = np.asarray(weights, dtype=np.float64).ravel()
    a = np.asarray(inputs, dtype=np.float64).ravel()
    p = w * a
    if len(p) <= full_up_to:
        idx, rest = np.arange(len(p)), None
    else:
        idx = np.sort(np.argsort(-np.abs(p), kind="stable")[:largest])
        rest = np.delete(p, idx)
    lines, total = [], 0.0
    for i in idx:
        total += p[i]
        factor = f"({fmt(w[i])})" if w[i] < 0 else fmt(w[i])  # 0·(−1), as one writes it by hand
        lines.append(f"{fmt(a[i])}·{factor} = {fmt(p[i])} → {fmt(total)}")
    if rest is not None:
        total += rest.sum()
        lines.append(f"+ the other {len(rest)} terms: {fmt(rest.sum())} → {fmt(total)}")
    return lines
