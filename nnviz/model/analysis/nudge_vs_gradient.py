"""Nudge vs gradient: the smile lesson's method next to backpropagation, weight by weight.

For one neuron's parameters (its incoming weights, plus its bias when the network has
biases) at the current weights on a fixed batch (X, Y):

- the **nudge** (the smile lesson's method, :mod:`nnviz.model.core.nudge`): the loss with
  that one parameter moved by +step and by −step, all others held, and the change
  the method keeps (+step, −step, or 0 when neither direction lowers the loss);
- the **gradient** ∂L/∂p from backpropagation, and the step gradient descent would
  take, −lr·∂L/∂p;
- **apply all at once**: the loss before, after adding every chosen nudge together,
  and after the gradient step — both moves touch only the compared parameters.

In the smile lesson the output neuron's 12 incoming weights *are* the whole network
(no bias), so comparing neuron (1, 0) compares the two methods on everything.
Losses are the data loss the trainer reports (no L2 penalty, no dropout).

Layers count activations as in the weight panel (input = 0): neuron k of layer l has
incoming weights ``weights[l - 1][k]`` and bias ``biases[l - 1][k]``.
"""

from __future__ import annotations

import math
from math import prod
from dataclasses import dataclass

import numpy as np

from ..data.datasets import SAMPLE_SEED, SIGN, Dataset, training_sample  # noqa: F401 - re-exported
from ..errors import SettingsError
from ..core.functions import ACTIVATIONS, per_example_loss
from ..core.network import Network
from ..core.networks import NetworkLike
from ..core.nudge import _choose, _probe

#: the fixed training samples (SAMPLE_SEED, training_sample) live in the data floor: the session
#: measures the loss before any step on the same sample as the Nudge tab


@dataclass(frozen=True)
class Comparison:
    """Per parameter of one neuron (P = its incoming weights, then its bias if any).

    All per-parameter arrays are float64 ``(P,)``. ``nudge`` holds the change the nudge
    method keeps; ``gradient_step`` is −learning_rate·gradient. ``agree`` is True where
    the nudge moved and went the same way as −gradient; ``moved`` where the nudge moved.
    """

    layer: int
    neuron: int
    step: float
    learning_rate: float
    n_weights: int  # the first n_weights entries are weights, any rest is the bias
    base_loss: float
    loss_up: np.ndarray
    loss_down: np.ndarray
    nudge: np.ndarray
    gradient: np.ndarray
    gradient_step: np.ndarray
    loss_after_nudges: float  # every chosen nudge applied at once
    loss_after_gradient: float  # −lr·gradient applied to the same parameters
    #: a conv filter's weights as (C, k, k) (the first n_weights entries, in that order); None: a neuron's
    kernel_shape: tuple[int, int, int] | None = None

    @property
    def n_params(self) -> int:
        return len(self.gradient)

    @property
    def has_bias(self) -> bool:
        return self.n_params > self.n_weights

    @property
    def moved(self) -> np.ndarray:
        return self.nudge != 0

    @property
    def agree(self) -> np.ndarray:
        return self.moved & (np.sign(self.nudge) == -np.sign(self.gradient))

    @property
    def n_agree(self) -> int:
        return int(self.agree.sum())

    @property
    def n_moved(self) -> int:
        return int(self.moved.sum())

    @property
    def nudges_raise_loss(self) -> bool:
        """Applying every nudge together made things worse (the trainer would undo it and
        halve the step)."""
        return self.loss_after_nudges > self.base_loss


def check_neuron(net: NetworkLike, layer: int, neuron: int) -> None:
    if not 1 <= layer < len(net.sizes):
        raise SettingsError(f"layer {layer} has no incoming weights; choose 1 … {len(net.sizes) - 1}")
    if not 0 <= neuron < net.sizes[layer]:
        raise SettingsError(f"layer {layer} has {net.sizes[layer]} neurons; there is no neuron {neuron}")


def compare_neuron(net: NetworkLike, X: np.ndarray, Y: np.ndarray, loss: str, layer: int, neuron: int,
                   step: float, learning_rate: float) -> Comparison:
    """Nudge vs gradient for neuron ``neuron`` of layer ``layer`` (≥ 1) on the batch (X, Y).

    X: (n, sizes[0]); Y: labels (n,) or targets (n, k) as the loss wants. ``net`` is not
    changed (the probing happens on a copy), so a snapshot's read-only network is fine.
    """
    check_neuron(net, layer, neuron)
    if not (np.isfinite(step) and step > 0):
        raise SettingsError(f"the nudge step must be a positive number (got {step})")
    work = net.copy()
    w_row = work.weights[layer - 1][neuron]  # views into the copy: probing writes through
    b_one = work.biases[layer - 1][neuron:neuron + 1]
    with np.errstate(all="ignore"):  # a diverged network compares as inf/NaN, not a warning storm
        base, dW, db = work.gradients(X, Y, loss)
        grad = [dW[layer - 1][neuron].astype(np.float64)]
        if work.bias:
            grad.append(db[layer - 1][neuron:neuron + 1].astype(np.float64))
        if work.is_plain:  # the probes' own batch loss: a probe that changes nothing equals it exactly
            base, loss_up, loss_down = probe_neuron(work, X, Y, loss, layer, neuron, step)
        else:
            up, down = _probe(work, w_row, X, Y, loss, step)
            parts_up, parts_down = [up], [down]
            if work.bias:
                up_b, down_b = _probe(work, b_one, X, Y, loss, step)
                parts_up.append(up_b), parts_down.append(down_b)
            loss_up, loss_down = np.concatenate(parts_up), np.concatenate(parts_down)
        # the same rule the trainer's nudge iteration uses, on the same base loss
        nudge = _choose(base, loss_up, loss_down, step, np.float64)
        gradient = np.concatenate(grad)
        gradient_step = -float(learning_rate) * gradient
        after_nudges = _loss_after(work, X, Y, loss, layer, neuron, nudge)
        after_gradient = _loss_after(work, X, Y, loss, layer, neuron, gradient_step)
    return Comparison(layer, neuron, float(step), float(learning_rate), w_row.size, float(base),
                      loss_up, loss_down, nudge, gradient, gradient_step,
                      after_nudges, after_gradient)


#: rows of probed examples run through the layers above at once (× the widest layer: ~8 MB of float32)
PROBE_ROWS = 2_000_000


def probe_neuron(net: Network, X: np.ndarray, Y: np.ndarray, loss: str, layer: int, neuron: int,
                 step: float) -> tuple[float, np.ndarray, np.ndarray]:
    """(batch loss, loss_up, loss_down), the last two float64 (P,): the batch loss with each of the neuron's P parameters (its
    weights, then its bias if any) moved by +step and by −step, the others held — the nudge
    method's probes, all at once.

    Moving weight j of neuron k in layer L moves only ``z_L[:, k]``, and only for the examples
    whose input j is not 0, by ±step · a_{L−1}[:, j] (the bias: every example, by ±step). So one
    forward pass serves every probe: only the (probe, example) pairs that change are run through
    the layers above, and each probe's loss is the batch loss plus what its changed examples add.
    A weight whose input is 0 for every example keeps the batch loss exactly, up and down alike
    (a tie: the nudge stays). On mnist's 785 first-layer parameters this is ~10× faster than
    probing one parameter at a time (``core.nudge``), so the Explore tab never holds the window.
    """
    zs, acts = net.forward_full(X)
    dtype, n = net.dtype, len(X)
    a_in = acts[layer - 1]
    shifts = np.concatenate([a_in.T, np.ones((1, n), dtype)]) if net.bias else a_in.T
    shifts = np.ascontiguousarray(shifts, dtype=dtype) * dtype.type(step)  # (P, batch)
    base_rows = per_example_loss(net.output, loss, zs[-1], acts[-1], Y).astype(np.float64)
    base = base_rows.mean()
    which, example = np.nonzero(shifts)  # the (probe, example) pairs that change
    z_layer, Y = zs[layer - 1], np.asarray(Y)
    chunk = max(1, PROBE_ROWS // max(net.sizes[layer:]))
    out = []
    for sign in (1, -1):
        added = np.zeros(len(shifts), dtype=np.float64)
        for first in range(0, len(which), chunk):
            p, i = which[first:first + chunk], example[first:first + chunk]
            z = z_layer[i]  # a copy: fancy indexing
            z[:, neuron] += sign * shifts[p, i]
            a = ACTIVATIONS[net.layer_activation(layer - 1)](z.copy())
            for k in range(layer, net.n_layers):  # the layers above, as the forward pass runs them
                z = a @ net.weights[k].T
                if net.bias:
                    z += net.biases[k]
                a = ACTIVATIONS[net.layer_activation(k)](z.copy())
            rows = per_example_loss(net.output, loss, z, a, Y[i]).astype(np.float64)
            added += np.bincount(p, weights=rows - base_rows[i], minlength=len(shifts))
        out.append(base + added / n)
    return float(base), out[0], out[1]


# -- any layer with weights of a layer stack: a conv filter, or a dense unit after the convs ----------

def unit_layers(net: NetworkLike) -> list[int]:
    """The layers (counting activations, input = 0) whose units have their own weights: a conv
    layer's filters, a dense layer's neurons (batch norm's γ and β are one number per channel,
    not a unit's incoming weights: it is left out)."""
    if net.is_plain:
        return list(range(1, len(net.sizes)))
    return [L for L, lay in enumerate(net.layers, start=1) if lay.type in ("conv", "dense")]


def unit_count(net: NetworkLike, layer: int) -> int:
    """How many units (filters or neurons) layer ``layer`` has."""
    return net.sizes[layer] if net.is_plain else net.layers[layer - 1].weight_shape[0]


def _param_index(net, layer: int) -> int:
    return sum(lay.weight_shape is not None for lay in net.layers[:layer - 1])


#: floats of scratch the probes of one chunk may hold at once (~16 MB of float32)
PROBE_FLOATS = 4_000_000


def _rows_cost(layers) -> int:
    """Floats one example needs on its way through ``layers`` (the im2col copy of a conv the most)."""
    cost = 1
    for lay in layers:
        cost = max(cost, prod(lay.in_shape), prod(lay.out_shape))
        if lay.type == "conv":
            c, k = lay.in_shape[0], lay.kernel
            cost = max(cost, c * k * k * prod(lay.out_shape[1:]))
    return cost


def probe_unit(net, X: np.ndarray, Y: np.ndarray, loss: str, layer: int, unit: int,
               step: float) -> tuple[float, np.ndarray, np.ndarray]:
    """(batch loss, loss_up, loss_down (P,) float64): ``probe_neuron`` for a layer stack (a
    ``LayerNetwork``): each of unit ``unit``'s P parameters of layer ``layer`` (a conv filter's
    C·k·k weights in (c, row, col) order, or a dense neuron's inputs; then its bias) moved by ±step
    on its own.

    Moving one weight of filter f moves only map f of the layer's pre-activations, at every
    position by ±step × the input pixel that weight reads there (its im2col row; the bias: by
    ±step everywhere). So the layers below run once; each probe's shifted maps go through the
    layers above, many probes per batch. An example a probe does not change (its pixels under that
    weight are all 0) keeps its own loss exactly: such a probe ties, and the nudge stays.
    """
    lay = net.layers[layer - 1]
    p = _param_index(net, layer)
    zs, acts = net.forward_full(X)
    n = len(X)
    z_layer = np.asarray(zs[layer - 1]).reshape((n,) + lay.out_shape)
    _, cache = lay.forward(acts[layer - 1], net.weights[p], None, None)
    dtype = z_layer.dtype
    if lay.type == "conv":
        _, ho, wo = lay.out_shape
        shifts = cache.reshape(-1, ho, wo, n).transpose(0, 3, 1, 2)  # (C·k·k, n, Ho, Wo)
    else:
        shifts = np.asarray(cache).T  # (inputs, n)
    if net.bias:
        shifts = np.concatenate([shifts, np.ones((1,) + shifts.shape[1:], dtype)])
    shifts = np.ascontiguousarray(shifts, dtype=dtype) * dtype.type(step)
    changes = shifts.reshape(len(shifts), n, -1).any(axis=2)  # (P, n): which examples a probe changes
    Y = np.asarray(Y)
    above = net.layers[layer:]

    def losses(z):  # z: (m, n, *out_shape) -> (m, n) per-example losses
        m = len(z)
        z = z.reshape((m * n,) + lay.out_shape)
        a = ACTIVATIONS[lay.activation](z.copy(), **lay.activation_params)
        for k, upper in enumerate(above, start=layer):  # batch norm and pooling too, as forward runs them
            q = net._param_of[k]
            w = None if q is None else net.weights[q]
            b = None if q is None or not net.bias else net.biases[q]
            z, _ = upper.forward(a, w, b, None)
            a = z if upper.activation is None else ACTIVATIONS[upper.activation](np.array(z),
                                                                                 **upper.activation_params)
        rows = per_example_loss(net.output, loss, z, a, np.concatenate([Y] * m))
        return rows.astype(np.float64).reshape(m, n)

    base_rows = losses(z_layer[None])[0]
    chunk = max(1, PROBE_FLOATS // (n * _rows_cost([lay] + list(above))))
    out = []
    for sign in (1, -1):
        rows = np.empty((len(shifts), n))
        for first in range(0, len(shifts), chunk):
            part = slice(first, first + chunk)
            z = np.repeat(z_layer[None], len(shifts[part]), axis=0)
            z[:, :, unit] += sign * shifts[part]
            rows[part] = losses(z)
        rows = np.where(changes, rows, base_rows)
        out.append(rows.mean(axis=1))
    return float(base_rows.mean()), out[0], out[1]


def compare_unit(net: NetworkLike, X: np.ndarray, Y: np.ndarray, loss: str, layer: int, unit: int,
                 step: float, learning_rate: float) -> Comparison:
    """:func:`compare_neuron` for any network: on a layer stack, unit ``unit`` of layer ``layer``
    is a conv filter (its C·k·k kernel weights and bias) or a dense neuron (e.g. after the convs).

    The kernel's weights are shared by every position of the map, so one nudge moves the whole
    map; its gradient sums what every position asks. ``net`` is not changed.
    """
    if net.is_plain:
        return compare_neuron(net, X, Y, loss, layer, unit, step, learning_rate)
    if layer not in unit_layers(net):
        raise SettingsError(f"layer {layer} has no weights of its own; choose one of "
                            f"{', '.join(map(str, unit_layers(net)))}")
    if not 0 <= unit < unit_count(net, layer):
        raise SettingsError(f"layer {layer} has {unit_count(net, layer)} units; there is no unit {unit}")
    if not (np.isfinite(step) and step > 0):
        raise SettingsError(f"the nudge step must be a positive number (got {step})")
    work = net.copy()
    p = _param_index(work, layer)
    kernel = work.weights[p][unit]
    with np.errstate(all="ignore"):
        _, dW, db = work.gradients(X, Y, loss)
        grad = [dW[p][unit].reshape(-1).astype(np.float64)]
        if work.bias:
            grad.append(db[p][unit:unit + 1].astype(np.float64))
        base, loss_up, loss_down = probe_unit(work, X, Y, loss, layer, unit, step)
        nudge = _choose(base, loss_up, loss_down, step, np.float64)
        gradient = np.concatenate(grad)
        gradient_step = -float(learning_rate) * gradient
        after_nudges = _loss_after_unit(work, X, Y, loss, p, unit, nudge)
        after_gradient = _loss_after_unit(work, X, Y, loss, p, unit, gradient_step)
    shape = tuple(kernel.shape) if kernel.ndim == 3 else None
    return Comparison(layer, unit, float(step), float(learning_rate), kernel.size, float(base), loss_up, loss_down,
                      nudge, gradient, gradient_step, after_nudges, after_gradient, shape)


def _loss_after_unit(work, X, Y, loss: str, p: int, unit: int, change: np.ndarray) -> float:
    """Loss with ``change`` (P,) added to unit ``unit`` of parameter layer ``p`` (weights, bias), then undone."""
    w, b = work.weights[p], work.biases[p]
    old_w, old_b = w[unit].copy(), b[unit].copy()
    n_w = w[unit].size
    w[unit] += change[:n_w].reshape(w[unit].shape).astype(w.dtype)
    if work.bias and len(change) > n_w:
        b[unit] += change[n_w].astype(b.dtype)
    try:
        return float(work.loss(X, Y, loss))
    finally:
        w[unit], b[unit] = old_w, old_b


def _loss_after(work: NetworkLike, X, Y, loss: str, layer: int, neuron: int, change: np.ndarray) -> float:
    """Loss with ``change`` (P,) added to the neuron's weights (and bias), then undone."""
    return _loss_after_unit(work, X, Y, loss, layer - 1, neuron, change)


def compare_snapshot(snap, dataset: Dataset, layer: int = 1, neuron: int = 0, step: float | None = None,
                     sample: int = 256) -> Comparison:
    """:func:`compare_neuron` for a frozen snapshot and its lesson's training data.

    The batch is the whole training set when it has at most ``sample`` examples (the
    smile lesson's four faces), else a fixed seeded sample of ``sample`` examples. The
    step defaults to the snapshot's ``nudge_step`` setting, the rate to its learning rate.
    """
    settings = snap.settings
    X, Y = training_sample(dataset, sample)
    step = float(settings.get("nudge_step", 1.0)) if step is None else float(step)
    return compare_unit(snap.network(), X, Y, settings.get("loss", "cross_entropy"), layer, neuron,
                        step, float(settings.get("learning_rate", 0.01)))


# -- names for what is compared (the Nudge vs gradient tab's labels) -------------------------

def map_shape(layer: int, n_weights: int, image_shape) -> tuple[int, int]:
    """How a neuron's incoming weights are laid out: the input image's shape for layer 1,
    else the most square rows × cols that hold them exactly (a 1 × n strip for a prime n)."""
    if layer == 1 and image_shape[0] * image_shape[1] == n_weights:
        return tuple(image_shape)
    for rows in range(int(math.isqrt(n_weights)), 0, -1):
        if n_weights % rows == 0:
            return (rows, n_weights // rows) if rows > 1 else (1, n_weights)
    return (1, n_weights)


def kernel_tiles(kernel_shape) -> tuple[int, int]:
    """(rows, cols) of the grid a conv filter's C channel kernels are laid out in: the most square
    one (8 channels of layer 3: 3 × 3, not a 1 × 8 strip too thin to read beside its neighbours)."""
    c = kernel_shape[0]
    cols = math.isqrt(c - 1) + 1 if c > 1 else 1
    return -(-c // cols), cols


def kernel_map_shape(kernel_shape) -> tuple[int, int]:
    """A conv filter's (C, k, k) weights as one picture: its channels' k × k kernels in the grid of
    ``kernel_tiles``, one empty cell between neighbours."""
    _, k, _ = kernel_shape
    rows, cols = kernel_tiles(kernel_shape)
    return rows * (k + 1) - 1, cols * (k + 1) - 1


def kernel_map(values: np.ndarray, kernel_shape) -> np.ndarray:
    """(C·k·k,) in (c, row, col) order -> the float64 picture of ``kernel_map_shape``; NaN in the
    gaps between kernels and in the grid's unused tiles (drawn see-through)."""
    c, k, _ = kernel_shape
    rows, cols = kernel_tiles(kernel_shape)
    out = np.full(kernel_map_shape(kernel_shape), np.nan)
    v = np.asarray(values, dtype=np.float64).reshape(c, k, k)
    for ch in range(c):
        r, q = divmod(ch, cols)
        out[r * (k + 1):r * (k + 1) + k, q * (k + 1):q * (k + 1) + k] = v[ch]
    return out


def kernel_index(row: int, col: int, kernel_shape) -> int | None:
    """The parameter index under cell (row, col) of the ``kernel_map`` picture; None for a gap."""
    c, k, _ = kernel_shape
    rows, cols = kernel_tiles(kernel_shape)
    (tr, r), (tq, q) = divmod(row, k + 1), divmod(col, k + 1)
    ch = tr * cols + tq
    if r == k or q == k or ch >= c or not (0 <= tr < rows and 0 <= tq < cols):
        return None
    return ch * k * k + r * k + q


def parameter_name(layer: int, j: int, n_weights: int, image_shape, kernel_shape=None) -> str:
    """'pixel (row r, column c)', 'from neuron j of layer l-1', 'kernel row r, col c' (of a conv
    filter; 'channel i, row r, col c' with several input channels) or 'bias' for parameter j."""
    if j >= n_weights:
        return "bias"
    if kernel_shape is not None:
        c, k, _ = kernel_shape
        ch, rest = divmod(j, k * k)
        r, q = divmod(rest, k)
        return f"channel {ch}, row {r}, col {q}" if c > 1 else f"kernel row {r}, col {q}"
    if layer == 1 and image_shape[0] * image_shape[1] == n_weights:
        r, c = divmod(j, image_shape[1])
        return f"pixel row {r}, col {c}"
    return f"from neuron {j} of layer {layer - 1}"


def neuron_name(sizes, class_names, task, layer: int, neuron: int) -> str:
    last = layer == len(sizes) - 1
    if last and sizes[-1] == 1:
        return "the output neuron"
    if last:
        name = class_names[neuron] if task != SIGN and neuron < len(class_names) else str(neuron)
        return f"output neuron {neuron} (class {name})"
    return f"hidden layer {layer}, neuron {neuron}"
