"""Immutable snapshots: what the training thread publishes and every view renders."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def frozen_copy(a: np.ndarray) -> np.ndarray:
    """A private, read-only copy: safe to hand to another thread."""
    c = np.array(a, copy=True)
    c.flags.writeable = False
    return c


def layout(net) -> dict:
    """The Snapshot fields that describe ``net``'s stack (a Network or a LayerNetwork).

    ``shapes``: each layer's output shape, the input first (the spec's input shape:
    ``(784,)`` for an MLP built from sizes, ``(1, 8, 8)`` for a conv net); ``sizes``:
    the same flattened, so an MLP's are its layer widths; ``layer_types``: "input",
    then each spec layer's type, aligned with ``shapes``.
    """
    spec = net.spec
    shapes = getattr(net, "shapes", None)
    if shapes is None:  # a Network: dense widths after its input
        shapes = [tuple(spec["input_shape"])] + [(s,) for s in net.sizes[1:]]
    return {"sizes": tuple(net.sizes), "hidden": net.hidden, "output": net.output, "bias": net.bias,
            "spec": spec, "shapes": tuple(tuple(int(n) for n in s) for s in shapes),
            "layer_types": ("input",) + tuple(layer["type"] for layer in spec["layers"])}


def _plain(spec: dict) -> bool:
    """A normal-form spec a plain Network holds: dense layers, one hidden activation."""
    layers = spec["layers"]
    return all(layer["type"] == "dense" for layer in layers) and \
        len({layer.get("activation") for layer in layers[:-1]}) <= 1


@dataclass(frozen=True, eq=False)
class Snapshot:
    """The network and training state after some iteration, frozen.

    weights[i] / biases[i]: one entry per layer with parameters, in PyTorch layouts — an
    MLP's (sizes[i+1], sizes[i]) / (sizes[i+1],), a conv layer's (filters, C, k, k) /
    (filters,); ``update_w`` / ``update_b`` are what the last iteration changed (ΔW, same
    shapes) or None before the first step. ``history`` holds read-only column views (see
    History.frozen). ``spec`` is the network's normal-form spec (layers.py); ``shapes``,
    ``sizes`` and ``layer_types`` lay out its layers, the input first (see ``layout``):
    for the conv lesson (1, 8, 8), (8, 8, 8), (8, 4, 4), (128,), (10,); sizes 64, 512,
    128, 128, 10. ``hidden`` is the hidden layers' activation (conv or dense).
    """

    iteration: int
    epoch: int
    epoch_progress: float  # completed epochs as a float, e.g. 2.5
    sizes: tuple[int, ...]
    hidden: str
    output: str
    bias: bool
    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]
    update_w: tuple[np.ndarray, ...] | None
    update_b: tuple[np.ndarray, ...] | None
    loss: float  # loss of the last iteration's batch (nan before the first)
    history: dict
    settings: dict
    lesson: str = ""
    seed: int = 0
    generation: int = 0  # bumps on reset / rebuild / load, so views know history restarted
    message: str = ""  # something the learner should read (e.g. "nudge undone, step halved")
    steps_per_second: float = 0.0  # measured by the training thread while running
    live_iteration: int | None = None  # set when this is a past state: where training actually stands
    timeline: tuple = ()  # iterations the timeline keeps (ascending), for the scrubber
    nudge_step_now: float | None = None  # the nudge method's current step (halves after an undo)
    hand_edits: int = 0  # weights the learner set by hand in this run (hand_edits.py)
    spec: dict | None = None  # the network's layer-stack spec (None: an MLP of ``sizes``)
    shapes: tuple[tuple[int, ...], ...] | None = None  # each layer's output shape, the input first
    layer_types: tuple[str, ...] | None = None  # "input", then "conv", "maxpool", "flatten", "dense"

    @property
    def rewound(self) -> bool:
        """True when this snapshot shows a past iteration, not the live network."""
        return self.live_iteration is not None and self.live_iteration != self.iteration

    @property
    def is_mlp(self) -> bool:
        """True when the network is a plain stack of dense layers (``network()`` is a Network)."""
        return self.spec is None or _plain(self.spec)

    def network(self):
        """The network around this snapshot's (read-only) arrays, for inference on the GUI thread:
        a Network for an MLP, else a LayerNetwork rebuilt from ``spec``."""
        if self.is_mlp:
            from .network import Network

            return Network.from_parameters(self.weights, self.biases, self.hidden, self.output, self.bias)
        from .layer_network import LayerNetwork

        return LayerNetwork.from_parameters(self.spec, self.weights, self.biases)
