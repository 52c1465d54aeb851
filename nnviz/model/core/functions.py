"""Activation functions, their derivatives and the losses, as small functions in registries.

A setting's name maps to a function (``ACTIVATIONS["relu"]``), so code never grows
if-chains over names. Activations work **in place** on a pre-activation buffer ``z``
(batch, neurons) and turn it into the activation; derivatives are written in terms
of the *activation* ``a`` (the value backprop has at hand), multiplying the incoming
gradient ``delta`` in place. In place, because for nets this small the cost of a
training step is the number of NumPy calls and allocations, not the arithmetic.

Two exceptions to "written with a": GELU and SiLU dip below zero and come back, so a does
not determine z; their derivatives (``NEEDS_Z``) read the pre-activation, passed as
``z=``. Every derivative accepts ``z`` (the others ignore it). Leaky ReLU takes its
slope as a keyword (``negative_slope``, the layer's ``activation_params``).
"""

from __future__ import annotations

import math

import numpy as np


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # 0.5 * (1 + tanh(z / 2)) equals 1 / (1 + e^-z) but never overflows.
    np.multiply(z, 0.5, out=z)
    np.tanh(z, out=z)
    np.multiply(z, 0.5, out=z)
    np.add(z, 0.5, out=z)
    return z


def _relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0, out=z)


def _tanh(z: np.ndarray) -> np.ndarray:
    return np.tanh(z, out=z)


def _identity(z: np.ndarray) -> np.ndarray:
    return z


def _leaky_relu(z: np.ndarray, negative_slope: float = 0.01) -> np.ndarray:
    # max(z, 0) + slope·min(z, 0): right for any slope ≥ 0 (max(z, slope·z) is not above 1)
    neg = np.minimum(z, 0)
    neg *= negative_slope
    np.maximum(z, 0, out=z)
    z += neg
    return z


def _elu(z: np.ndarray) -> np.ndarray:
    # alpha 1 (PyTorch's default): z above 0, e^z − 1 below
    neg = np.minimum(z, 0)
    np.expm1(neg, out=neg)
    np.maximum(z, 0, out=z)
    z += neg
    return z


def erf(x: np.ndarray) -> np.ndarray:
    """The error function elementwise, float64 (x any shape). NumPy has none: this maps
    ``math.erf`` (exact to double precision) over the values, ~0.13 µs a value."""
    x = np.asarray(x)
    return np.fromiter(map(math.erf, x.ravel().tolist()), np.float64, x.size).reshape(x.shape)


def _normal_cdf(z: np.ndarray) -> np.ndarray:
    """Φ(z) = (1 + erf(z/√2)) / 2, float64."""
    out = erf(np.asarray(z, dtype=np.float64) * (1 / math.sqrt(2)))
    out += 1
    out *= 0.5
    return out


def _gelu(z: np.ndarray) -> np.ndarray:
    # the exact form z·Φ(z) (PyTorch's default), not the tanh approximation
    z *= _normal_cdf(z)
    return z


def _silu(z: np.ndarray) -> np.ndarray:
    s = _sigmoid(z.copy())
    z *= s
    return z


def _softmax(z: np.ndarray) -> np.ndarray:
    # Subtracting the row maximum keeps exp() finite; softmax is shift-invariant.
    z -= z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def _d_sigmoid(a: np.ndarray, delta: np.ndarray, z=None) -> None:
    delta *= a
    delta *= 1 - a


def _d_relu(a: np.ndarray, delta: np.ndarray, z=None) -> None:
    # Multiplying by the boolean mask is one call and keeps NaN visible (unlike where()).
    np.multiply(delta, a > 0, out=delta)


def _d_tanh(a: np.ndarray, delta: np.ndarray, z=None) -> None:
    delta *= 1 - a * a


def _d_identity(a: np.ndarray, delta: np.ndarray, z=None) -> None:
    return None


def _d_leaky_relu(a: np.ndarray, delta: np.ndarray, z=None, negative_slope: float = 0.01) -> None:
    # a > 0 exactly where z > 0 (the slope is ≥ 0)
    delta *= np.where(a > 0, 1, negative_slope).astype(delta.dtype, copy=False)


def _d_elu(a: np.ndarray, delta: np.ndarray, z=None) -> None:
    # 1 above 0; below, d(e^z − 1)/dz = e^z = a + 1 — both are min(a, 0) + 1
    g = np.minimum(a, 0)
    g += 1
    delta *= g


def _need_z(name: str, z) -> np.ndarray:
    if z is None:
        raise ValueError(f"the {name} derivative needs the pre-activation z (pass z=)")
    return np.asarray(z)


def _d_gelu(a: np.ndarray, delta: np.ndarray, z=None) -> None:
    # d(z·Φ(z))/dz = Φ(z) + z·φ(z), φ the standard normal density
    z = _need_z("gelu", z).astype(np.float64)
    g = _normal_cdf(z)
    g += z * np.exp(-0.5 * z * z) * (1 / math.sqrt(2 * math.pi))
    delta *= g.astype(delta.dtype, copy=False)


def _d_silu(a: np.ndarray, delta: np.ndarray, z=None) -> None:
    # d(z·σ(z))/dz = σ(z)·(1 + z·(1 − σ(z)))
    z = _need_z("silu", z)
    s = _sigmoid(np.array(z, dtype=delta.dtype))
    g = 1 - s
    g *= z
    g += 1
    g *= s
    delta *= g


#: name -> in-place activation f(z) -> a
ACTIVATIONS = {
    "sigmoid": _sigmoid,
    "relu": _relu,
    "tanh": _tanh,
    "linear": _identity,
    "softmax": _softmax,
    "leaky_relu": _leaky_relu,
    "elu": _elu,
    "gelu": _gelu,
    "silu": _silu,
}

#: name -> in-place derivative: delta *= f'(z), written with a = f(z) (``NEEDS_Z``: with z=)
DERIVATIVES = {
    "sigmoid": _d_sigmoid,
    "relu": _d_relu,
    "tanh": _d_tanh,
    "linear": _d_identity,
    "leaky_relu": _d_leaky_relu,
    "elu": _d_elu,
    "gelu": _d_gelu,
    "silu": _d_silu,
}

HIDDEN_ACTIVATIONS = ("sigmoid", "relu", "tanh", "linear", "leaky_relu", "elu", "gelu", "silu")
OUTPUT_ACTIVATIONS = ("softmax", "sigmoid", "linear")
#: activations whose derivative needs the pre-activation z (a does not determine it)
NEEDS_Z = frozenset({"gelu", "silu"})
#: activation -> its optional spec-entry keys and their defaults
ACTIVATION_PARAMS = {"leaky_relu": {"negative_slope": 0.01}}

#: one-line explanations shown in the app next to the formula
FORMULAS = {
    "sigmoid": "σ(z) = 1 / (1 + e^−z)",
    "relu": "ReLU(z) = max(0, z)",
    "tanh": "tanh(z)",
    "linear": "z (no squashing)",
    "leaky_relu": "LeakyReLU(z) = z if z > 0, else slope·z (0.01 unless the layer says)",
    "elu": "ELU(z) = z if z > 0, else e^z − 1",
    "gelu": "GELU(z) = z·Φ(z), Φ the normal distribution's CDF",
    "silu": "SiLU(z) = z·σ(z)",
    "softmax": "softmax(z)ₖ = e^zₖ / Σⱼ e^zⱼ",
}


def apply_activation(name: str, z: np.ndarray, **params) -> np.ndarray:
    """Return f(z) as a new array (z is left untouched). z: (batch, neurons); ``params``: the
    layer's ``activation_params`` (leaky ReLU's ``negative_slope``)."""
    return ACTIVATIONS[name](np.array(z, copy=True), **params)


def one_hot(labels: np.ndarray, k: int, dtype=np.float32) -> np.ndarray:
    """(n,) integer labels -> (n, k) one-hot targets."""
    out = np.zeros((labels.shape[0], k), dtype=dtype)
    out[np.arange(labels.shape[0]), labels] = 1
    return out


def _log_sigmoid(z: np.ndarray) -> np.ndarray:
    # log σ(z) = -log(1 + e^-z), computed without overflow for either sign of z.
    return -np.logaddexp(0, -z)


def _cross_entropy_terms(output: str, z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """What each example adds to the cross-entropy: (n, k) per output for sigmoid outputs (binary
    CE), else (n,): softmax (or linear read as logits), −log p of the label = logsumexp(z) − z_y."""
    n, k = z.shape
    if output == "sigmoid":
        t = one_hot(y, k, z.dtype)
        return -(t * _log_sigmoid(z) + (1 - t) * _log_sigmoid(-z))
    zmax = z.max(axis=1, keepdims=True)
    lse = zmax[:, 0] + np.log(np.exp(z - zmax).sum(axis=1))
    return lse - z[np.arange(n), y]


def _cross_entropy(output: str, z: np.ndarray, a: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """softmax -> categorical CE (the fused gradient p - y); sigmoid -> per-output binary CE
    (also a - y); linear -> the outputs are logits of a softmax, as in most libraries.
    y: (n,) integer labels."""
    n, k = a.shape
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError("cross_entropy needs integer class labels of shape (n,)")
    rows = np.arange(n)
    if output == "sigmoid":
        t = one_hot(y, k, a.dtype)
        value = _cross_entropy_terms(output, z, y).sum() / n
        return float(value), (a - t) / n
    value = _cross_entropy_terms(output, z, y).mean()
    p = a if output == "softmax" else ACTIVATIONS["softmax"](np.array(z, copy=True))
    delta = p.copy()
    delta[rows, y] -= 1
    delta /= n
    return float(value), delta


def _mse(output: str, z: np.ndarray, a: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """The mean over batch and outputs of (a - t)²; y: (n, k) targets, or (n,) integer labels
    (one-hot encoded)."""
    n, k = a.shape
    t = _targets(y, k, a.dtype)
    diff = a - t
    value = float((diff * diff).mean())  # = per_example_loss(…).mean(), summed in another order
    delta = diff * (2.0 / (n * k))
    if output == "softmax":
        delta = softmax_backward(a, delta)
    else:
        DERIVATIVES[output](a, delta)
    return value, delta


def softmax_backward(p: np.ndarray, g: np.ndarray) -> np.ndarray:
    """dL/dz from g = dL/dp for p = softmax(z), both (n, k): softmax couples its outputs,
    dL/dz = p * (g − <g, p>)."""
    return p * (g - (g * p).sum(axis=1, keepdims=True))


def activation_backward(name: str, a: np.ndarray, g: np.ndarray, z=None, **params) -> None:
    """g = d value / d a  ->  d value / d z, in place, for a = f(z) with f named ``name`` (any
    hidden or output activation: softmax couples its outputs). ``z``: the pre-activation (needed
    by ``NEEDS_Z``); ``params``: the layer's ``activation_params``."""
    if name == "softmax":
        g[...] = softmax_backward(a, g)
    else:
        DERIVATIVES[name](a, g, z=z, **params)


#: name -> loss(output activation, z, a, y) -> (batch-mean loss, dL/dz (n, k))
LOSS_FUNCTIONS = {
    "cross_entropy": _cross_entropy,
    "mse": _mse,
}
LOSSES = tuple(LOSS_FUNCTIONS)


def output_loss_and_delta(
    output: str, loss: str, z: np.ndarray, a: np.ndarray, y: np.ndarray
) -> tuple[float, np.ndarray]:
    """Batch-mean loss and dL/dz for the output layer.

    z, a: (n, k) pre-activation and activation of the output layer.
    y: (n,) integer labels for ``cross_entropy``; for ``mse`` a (n, k) target array
    (integer labels are one-hot encoded). Returns (loss, delta (n, k) float like a).
    How each loss pairs with the output activation: ``LOSS_FUNCTIONS[loss]``.
    """
    fn = LOSS_FUNCTIONS.get(loss)
    if fn is None:
        raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
    return fn(output, z, a, y)


def _targets(y: np.ndarray, k: int, dtype) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim == 1 and np.issubdtype(y.dtype, np.integer) and k > 1:
        return one_hot(y, k, dtype)
    return y.reshape(-1, k).astype(dtype, copy=False)


def per_example_loss(output: str, loss: str, z: np.ndarray, a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(n,) float: each example's loss, whose mean is ``output_loss_and_delta``'s batch loss (up to
    rounding), for scoring many variants of a network in one pass (the nudge probes)."""
    if loss == "cross_entropy":
        terms = _cross_entropy_terms(output, z, np.asarray(y))
        return terms.sum(axis=1) if terms.ndim == 2 else terms
    if loss == "mse":
        diff = a - _targets(y, a.shape[1], a.dtype)
        return (diff * diff).mean(axis=1)
    raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
