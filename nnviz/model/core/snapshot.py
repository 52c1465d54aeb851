"""Immutable snapshots: what the training thread publishes and every view renders."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .layers import dense_spec
from .networks import NetworkLike, network_from_parameters


def frozen_copy(a: np.ndarray) -> np.ndarray:
    """A private, read-only copy: safe to hand to another thread."""
    c = np.array(a, copy=True)
    c.flags.writeable = False
    return c


def layout(net: NetworkLike) -> dict:
    """The Snapshot fields that describe ``net``'s stack.

    ``shapes``: each layer's output shape, the input first (the spec's input shape:
    ``(784,)`` for an MLP built from sizes, ``(1, 8, 8)`` for a conv net); ``sizes``:
    the same flattened, so an MLP's are its layer widths; ``layer_types``: "input",
    then each spec layer's type, aligned with ``shapes``.
    """
    spec = net.spec
    return {"sizes": tuple(net.sizes), "hidden": net.hidden, "output": net.output, "bias": net.bias,
            "spec": spec, "shapes": tuple(tuple(int(n) for n in s) for s in net.shapes),
            "layer_types": ("input",) + tuple(layer["type"] for layer in spec["layers"]),
            "is_mlp": net.is_plain}


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
    is_mlp: bool = True  # a plain stack of dense layers (``network()`` is a Network)
    accuracy: float | None = None  # of these weights on the whole test split (None while running, or none)
    #: these weights' outputs on the whole test split (n_test, sizes[-1]), read-only, measured with
    #: ``accuracy`` (None when it is): the Mistakes tab's matrix without a second pass on the GUI thread
    test_outputs: np.ndarray | None = None
    #: dead / saturated hidden units of these weights (health.network_health on a fixed sample of
    #: training images); None with no hidden layer, or on a running publish it was not judged for
    health: list | None = None
    #: while no step's loss is known (``loss`` is nan: before the first step, or a run opened from a
    #: file): the loss of these weights on the fixed training sample (datasets.training_sample,
    #: FIXED_SAMPLE examples) the Nudge tab measures on; None otherwise
    start_loss: float | None = None

    @property
    def rewound(self) -> bool:
        """True when this snapshot shows a past iteration, not the live network."""
        return self.live_iteration is not None and self.live_iteration != self.iteration

    def network(self) -> NetworkLike:
        """The network around this snapshot's (read-only) arrays, for inference on the GUI thread,
        built as every network is (``networks.network_from_parameters``)."""
        spec = self.spec or dense_spec([self.sizes[0]], self.sizes[1:], self.hidden, self.output, self.bias)
        return network_from_parameters(spec, self.weights, self.biases)
