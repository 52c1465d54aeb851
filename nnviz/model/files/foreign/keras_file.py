"""Keras models: ``.keras`` (Keras 3: a zip of ``config.json`` and ``model.weights.h5``) and ``.h5`` /
``.hdf5`` (Keras 1, Keras 2 and tf.keras: ``model_config`` and ``model_weights``, or ``save_weights``'s
weights alone). The HDF5 is read in a child process (``keras_isolation.py``: it needs the optional
``h5py``, ``pip install 'nnviz[keras]'``); here its config becomes a spec and its arrays nnviz's layout.

A model must be one chain (a Sequential, or a functional model whose every layer reads the one before)
of: InputLayer, Dense, Conv2D (Keras 1: Convolution2D), MaxPooling2D, AveragePooling2D, Flatten, Reshape
(to flat, or from the flat input to an image), Dropout, Activation, ReLU, LeakyReLU, Softmax and
BatchNormalization. Anything else is refused naming the layer.

Keras is channels-last: a kernel is (kh, kw, in, out), nnviz's (out, in, kh, kw); a Dense kernel is
(in, out), nnviz's (out, in). A Flatten of an (H, W, C) map lists its numbers in H, W, C order, nnviz's
in C, H, W order: the rows of the dense layer after it (and a BatchNormalization's statistics there)
are permuted to match, so the network computes the same logits (``_flat_order``).

Which arrays belong to which layer: a legacy file names its weight groups after the layers (the names in
``model_config``); Keras 3's ``model.weights.h5`` does not: it keys them by the layer's class in snake
case and a per-class count (``dense``, ``dense_1``, … in model order), whatever the layers are called.
Within a layer the arrays are taken in Keras's order (kernel, bias; gamma, beta, moving mean, moving
variance: without gamma for ``scale=False``, without beta for ``center=False``), as Keras's own loaders
take them. Versions differ in the config's keys (Keras 1's ``output_dim``, ``nb_filter``, ``border_mode``,
``dim_ordering``; Keras 2.2's ``batch_input_shape`` on the first layer instead of an InputLayer; Keras 3's
``batch_shape``) and in defaults (LeakyReLU's slope 0.3, BatchNormalization's eps 1e-3).

A weights-only file has no architecture: its arrays in the file's layer order (Keras 3: convolutions
first, each class in its count's order), in nnviz's layout, and the caller supplies the activation or
spec as for a PyTorch state_dict; a given spec's flattens say where the rows must be permuted.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Mapping

import numpy as np

from ...core.functions import HIDDEN_ACTIVATIONS
from ...core.layers import LAYER_TYPES, parse_spec
from ...errors import SettingsError
from .keras_isolation import KerasContents, read_isolated
from .reading import fail
from .spec_inference import INPUT_SHAPES, Param, natural_key

KERAS_SUFFIXES = (".keras", ".h5", ".hdf5")
WHAT = "a Keras model"
#: Keras activation names -> nnviz's (those nnviz's layers have; checked against HIDDEN_ACTIVATIONS)
_ACTIVATIONS = {"relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh", "linear": "linear", "elu": "elu",
                "gelu": "gelu", "swish": "silu", "silu": "silu", "leaky_relu": "leaky_relu"}
#: Keras 3's keras.activations.leaky_relu (the string "leaky_relu"); the LeakyReLU layer's default is 0.3
_LEAKY_ACTIVATION_SLOPE = 0.2
#: layers that do nothing when a trained model predicts
_IDENTITY = {"Dropout", "SpatialDropout2D", "GaussianNoise", "GaussianDropout", "AlphaDropout",
             "ActivityRegularization"}


def read_keras(path: str | Path, spec: Mapping | None = None) -> tuple[dict | None, list[Param]]:
    """(spec or None, parameter layers in nnviz's layout) of a Keras file. A weights-only file gives no
    spec; ``spec`` (the caller's, for such a file) places its flatten permutations. DataFormatError for
    anything nnviz cannot show as a layer stack, naming the file and the layer."""
    path = Path(path)
    contents = read_isolated(path)
    if contents.config is None:
        params = _weights_only(path, contents)
        return None, (_permute_for_spec(path, params, spec) if spec is not None else params)
    try:
        config = json.loads(contents.config)
    except (ValueError, RecursionError):
        fail(path, "has a model config that is not JSON")
    try:
        return _Chain(path, contents).read(config)
    except (IndexError, KeyError, ValueError, TypeError, AttributeError, OverflowError) as e:
        # a config entry of the wrong kind (the checks name the usual ones)
        fail(path, f"has a malformed model config ({type(e).__name__}: {str(e)[:120]})")


def snake_case(name: str) -> str:
    """Keras 3's ``naming.to_snake_case``: the weights file's key for a layer class (``Conv2D`` -> ``conv2d``)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _flat_order(h: int, w: int, c: int) -> np.ndarray:
    """perm such that nnviz's flat index j (C, H, W order) is Keras's flat index perm[j] (H, W, C order)."""
    return np.arange(h * w * c).reshape(h, w, c).transpose(2, 0, 1).reshape(-1)


def _pair(v, what: str, path) -> int:
    """A Keras (n, n) size or stride as n; a rectangular one is refused."""
    v = list(v) if isinstance(v, (list, tuple)) else [v, v]
    if len(v) != 2 or v[0] != v[1] or isinstance(v[0], bool) or not isinstance(v[0], int) or v[0] < 1:
        fail(path, f"has a {what} of {v}; nnviz's layers are square")
    return v[0]


class _Chain:
    """Walks a model config's layers in order, building the spec entries and parameters."""

    def __init__(self, path: Path, contents: KerasContents):
        self.path, self.contents = path, contents
        version = contents.keras_version
        # Keras 1.0/1.1 wrote no version; 1.2 did
        self.keras1 = contents.format.startswith("h5") and (version is None or version.startswith("1."))
        self.groups = dict(contents.groups)
        self.entries: list[dict] = []
        self.params: list[Param] = []
        self.param_kinds: list[str] = []  # the spec type of each parameter layer
        self.input_shape: list[int] | None = None
        self.shape: tuple[int, ...] | None = None  # Keras order: (H, W, C) or (n,)
        self.perm: np.ndarray | None = None  # for a flat vector: nnviz index -> Keras index
        self.channels_first = False
        self.output: str | None = None
        self.act_target: dict | None = None  # the entry a following activation applies to
        self.counts: dict[str, int] = {}

    # --- the config ------------------------------------------------------------------------------

    def read(self, config) -> tuple[dict, list[Param]]:
        if not isinstance(config, dict) or config.get("class_name") not in ("Sequential", "Model", "Functional"):
            kind = config.get("class_name") if isinstance(config, dict) else None
            fail(self.path, f"holds a model of kind {str(kind)[:40]!r}; nnviz opens Sequential models and functional "
                            "models that are one chain of layers")
        body = config.get("config")
        layers = body if isinstance(body, list) else body.get("layers") if isinstance(body, dict) else None
        if not isinstance(layers, list) or not layers or len(layers) > 1000:  # Keras 1 / 2.0: Sequential's list
            fail(self.path, "has a model config without a list of layers")
        for layer in layers:
            if not isinstance(layer, dict) or not isinstance(layer.get("class_name"), str) \
                    or not isinstance(layer.get("config") or {}, dict):
                fail(self.path, "has a layer entry that is not a class name and a config")
            layer["config"] = layer.get("config") or {}
        if config["class_name"] != "Sequential":
            layers = self._chain(body, layers)
        orders = {str(layer["config"].get("data_format", layer["config"].get("dim_ordering")))
                  for layer in layers if layer["class_name"] not in ("Flatten", "InputLayer")} - {"None", "default"}
        if len(orders) > 1:
            fail(self.path, f"mixes data formats ({', '.join(sorted(orders))[:60]}); nnviz reads one order")
        self.channels_first = bool(orders & {"channels_first", "th"})
        for layer in layers:
            self._layer(layer)
        return self._finish()

    def _chain(self, body: dict, layers: list) -> list:
        """A functional model's layers, checked to be one chain: each reads exactly the one before."""
        names = [layer.get("name") or layer["config"].get("name") for layer in layers]
        for i, layer in enumerate(layers):
            inbound = _inbound_names(layer.get("inbound_nodes", []))
            if i == 0 and inbound or i > 0 and inbound != [names[i - 1]]:
                fail(self.path, f"is a functional model whose layer {str(names[i])[:40]!r} reads "
                                f"{inbound[:3] or 'nothing'}; nnviz opens models that are one chain of layers")
        return layers

    def _layer(self, layer: dict) -> None:
        kind, cfg = layer["class_name"], layer["config"]
        key = self._key(kind, cfg)
        if self.output is not None and kind not in _IDENTITY:
            fail(self.path, f"has a {kind} layer after its {self.output} output; nnviz opens a chain ending in the "
                            "output layer")
        if self.shape is None and kind != "InputLayer":
            self._input(self._declared_input(cfg))
        handler = getattr(self, f"_{kind}", None)
        if handler is None:
            fail(self.path, f"has a {kind} layer, which nnviz does not show (it opens {', '.join(_SUPPORTED)})")
        handler(cfg, key)

    def _key(self, kind: str, cfg: dict) -> str:
        """The weights' group for this layer: its name (legacy), or class and count (Keras 3)."""
        if self.contents.format != "keras3":
            return str(cfg.get("name", ""))
        base = snake_case(kind)
        n = self.counts.get(base, 0)
        self.counts[base] = n + 1
        return base if n == 0 else f"{base}_{n}"

    def _whole(self, cfg: dict, kind: str, *keys) -> int:
        """The first of ``keys`` in a layer config (the names differ by version) as a whole number ≥ 1."""
        key = next((k for k in keys if k in cfg), keys[0])
        v = cfg.get(key)
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 1_000_000:
            fail(self.path, f"has a {kind} layer whose {key} is {str(v)[:20]}, not a whole number of units")
        return v

    def _number(self, v, what: str) -> float:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            fail(self.path, f"has a layer whose {what} is {str(v)[:20]}, not a number")
        return float(v)

    def _shape(self, v, what: str) -> list:
        """A Keras shape: a list of whole numbers (None for the batch, -1 for "the rest")."""
        if not isinstance(v, list) or len(v) > 8 or any(
                s is not None and (isinstance(s, bool) or not isinstance(s, int)) for s in v):
            fail(self.path, f"has a layer whose {what} is {str(v)[:40]}, not a shape")
        return v

    def _param(self, kind: str, p: Param) -> None:
        self.params.append(p)
        self.param_kinds.append(kind)

    def _weights(self, key: str, kind: str, n: int) -> list[tuple[str, np.ndarray]]:
        got = self.groups.get(key, [])
        if len(got) != n:
            fail(self.path, f"holds {len(got)} weight arrays for its {kind} layer {key[:40]!r}, not the {n} it needs")
        for name, a in got:
            if a.dtype.kind != "f":
                fail(self.path, f"holds {name[:60]} as {a.dtype} numbers, not floating point weights")
        return [(f"{key}/{name}", np.asarray(a, dtype=np.float32)) for name, a in got]

    # --- the input ---------------------------------------------------------------------------------

    def _declared_input(self, cfg: dict):
        for k in ("batch_shape", "batch_input_shape"):
            if cfg.get(k) is not None:
                return self._shape(cfg[k], k)[1:]
        if cfg.get("input_shape") is not None:
            return self._shape(cfg["input_shape"], "input_shape")
        if cfg.get("input_dim") is not None:  # Keras 1's Dense(…, input_dim=n)
            return self._shape([cfg["input_dim"]], "input_dim")
        fail(self.path, "does not say its input's shape (no InputLayer, no batch_input_shape on its first layer)")

    def _input(self, shape: list) -> None:
        if self.shape is not None:
            fail(self.path, "has a second InputLayer; nnviz opens networks of one input")
        if not 1 <= len(shape) <= 3 or any(not isinstance(s, int) or isinstance(s, bool) or s < 1 for s in shape) \
                or math.prod(shape) > 10_000_000:
            fail(self.path, f"has an input of shape {shape}; nnviz reads images (height, width[, channels]) or "
                            "vectors of fixed size")
        if len(shape) == 1:
            self.shape = (shape[0],)
            self.input_shape = list(INPUT_SHAPES.get(shape[0], shape))
            return
        if len(shape) == 2:
            shape = shape + [1]
        elif self.channels_first:
            shape = [shape[1], shape[2], shape[0]]
        h, w, c = shape
        self.shape = (h, w, c)
        self.input_shape = [c, h, w]

    def _InputLayer(self, cfg, key):
        self._input(self._declared_input(cfg))

    # --- layers with weights -----------------------------------------------------------------------

    def _activation(self, name, kind: str) -> tuple[str, dict]:
        """A Keras activation name as (nnviz's name, extra entry keys)."""
        if isinstance(name, dict):  # Keras 3 may serialise an activation as {"class_name": …, "config": …}
            inner = name.get("config")
            name = inner.get("name") if isinstance(inner, dict) and "name" in inner else name.get("class_name")
        name = str(name).lower()
        if name == "softmax":
            return "softmax", {}
        ours = _ACTIVATIONS.get(name)
        if ours is None or ours not in HIDDEN_ACTIVATIONS:
            fail(self.path, f"has a {kind} layer with the activation {name[:30]!r}, which nnviz does not have "
                            f"(it has {', '.join(HIDDEN_ACTIVATIONS)})")
        return ours, ({"negative_slope": _LEAKY_ACTIVATION_SLOPE} if ours == "leaky_relu" else {})

    def _set_activation(self, entry: dict, name, kind: str) -> None:
        act, extra = self._activation(name, kind)
        if act == "softmax":
            if entry["type"] != "dense":
                fail(self.path, f"applies softmax inside the network (after a {entry['type']} layer); nnviz has "
                                "softmax only as the output")
            self.output = "softmax"
            return
        entry["activation"] = act
        entry.update(extra)

    def _Dense(self, cfg, key):
        if len(self.shape) != 1:
            fail(self.path, f"has a Dense layer {key[:40]!r} reading a {'×'.join(map(str, self.shape))} map; nnviz's "
                            "dense layers read a flat vector (put a Flatten before it)")
        units = self._whole(cfg, "Dense", "units", "output_dim")
        bias = bool(cfg.get("use_bias", cfg.get("bias", True)))
        arrays = self._weights(key, "Dense", 2 if bias else 1)
        (wname, k), (bname, b) = arrays[0], arrays[1] if bias else (None, None)
        if k.shape != (self.shape[0], units) or bias and b.shape != (units,):
            fail(self.path, f"holds a Dense kernel {k.shape} for {self.shape[0]} inputs and {units} units")
        if self.perm is not None:
            k = k[self.perm]
        entry = {"type": "dense", "units": int(units), "activation": "linear"}
        self.entries.append(entry)
        self._param("dense", Param(wname, np.ascontiguousarray(k.T), bname, b))
        self._set_activation(entry, cfg.get("activation", "linear"), "Dense")
        self.shape, self.perm, self.act_target = (int(units),), None, entry

    def _map(self, kind: str, cfg: dict) -> tuple[int, int, int]:
        if len(self.shape) != 3:
            fail(self.path, f"has a {kind} layer reading a flat vector; it needs an image")
        order = cfg.get("data_format", cfg.get("dim_ordering"))
        first = order in ("channels_first", "th")
        if order not in (None, "default") and first != self.channels_first:
            fail(self.path, f"has a {kind} layer of data format {order}, unlike its input; nnviz reads one order")
        return self.shape

    def _Conv2D(self, cfg, key):
        h, w, c = self._map("Conv2D", cfg)
        filters = self._whole(cfg, "Conv2D", "filters", "nb_filter")
        k = _pair(cfg["kernel_size"] if "kernel_size" in cfg else [cfg["nb_row"], cfg["nb_col"]], "kernel", self.path)
        s = _pair(cfg.get("strides", cfg.get("subsample", 1)), "stride", self.path)
        if _pair(cfg.get("dilation_rate", 1), "dilation", self.path) != 1 or cfg.get("groups", 1) != 1:
            fail(self.path, f"has a Conv2D layer {key[:40]!r} with dilation or groups, which nnviz's conv layers "
                            "do not have")
        padding = str(cfg.get("padding", cfg.get("border_mode", "valid"))).lower()
        pad = 0 if padding == "valid" else self._same_padding(key, h, w, k, s) if padding == "same" else None
        if pad is None:
            fail(self.path, f"has a Conv2D layer with padding {padding[:20]!r}")
        bias = bool(cfg.get("use_bias", cfg.get("bias", True)))
        arrays = self._weights(key, "Conv2D", 2 if bias else 1)
        (wname, kernel), (bname, b) = arrays[0], arrays[1] if bias else (None, None)
        if self.keras1 and self.channels_first:  # Keras 1 with Theano ordering: (out, in, kh, kw)
            oihw = kernel
            if self.contents.backend == "theano":  # Theano convolves (flips the kernel); nnviz correlates
                oihw = oihw[:, :, ::-1, ::-1]
        else:
            oihw = kernel.transpose(3, 2, 0, 1)
        if oihw.shape != (filters, c, k, k) or bias and b.shape != (filters,):
            fail(self.path, f"holds a Conv2D kernel {kernel.shape} that does not fit {filters} filters of {k}×{k} "
                            f"on {c} channels")
        entry = {"type": "conv", "filters": int(filters), "kernel": k, "stride": s, "padding": pad,
                 "activation": "linear"}
        self.entries.append(entry)
        self._param("conv", Param(wname, np.ascontiguousarray(oihw), bname, b))
        self._set_activation(entry, cfg.get("activation", "linear"), "Conv2D")
        ho, wo = (h + 2 * pad - k) // s + 1, (w + 2 * pad - k) // s + 1
        self.shape, self.act_target = (ho, wo, int(filters)), entry

    def _same_padding(self, key, h, w, k, s) -> int:
        """Keras's "same" as nnviz's symmetric padding, where it is one: TensorFlow pads the extra row and
        column at the bottom and right, which nnviz cannot."""
        pads = set()
        for n in (h, w):
            out = -(-n // s)
            total = max((out - 1) * s + k - n, 0)
            pads.add(total)
        total = pads.pop()
        if pads or total % 2:
            fail(self.path, f"has a Conv2D layer {key[:40]!r} with padding \"same\" that pads one side more than the "
                            f"other ({k}×{k} kernel, stride {s}, input {h}×{w}); nnviz pads all sides alike")
        return total // 2

    def _Convolution2D(self, cfg, key):  # Keras 1
        self._Conv2D(cfg, key)

    def _BatchNormalization(self, cfg, key):
        if "batchnorm" not in LAYER_TYPES:
            fail(self.path, "has a BatchNormalization layer, which this version of nnviz cannot build")
        axis = cfg.get("axis", -1)
        axis = axis[0] if isinstance(axis, list) and len(axis) == 1 else axis
        if not isinstance(axis, int):
            fail(self.path, f"has a BatchNormalization layer {key[:40]!r} over axis {str(axis)[:20]}, not the channels")
        channel_axis = {-1, len(self.shape)} if not self.channels_first or len(self.shape) == 1 else {1, -3}
        if axis not in channel_axis:
            fail(self.path, f"has a BatchNormalization layer {key[:40]!r} over axis {axis}, not the channels")
        scale, center = bool(cfg.get("scale", True)), bool(cfg.get("center", True))
        arrays = self._weights(key, "BatchNormalization", 2 + scale + center)
        n = self.shape[-1]
        if any(a.shape != (n,) for _, a in arrays):
            fail(self.path, f"holds BatchNormalization arrays that do not fit its {n} channels")
        it = iter(arrays)
        gamma = next(it) if scale else (f"{key}/gamma", np.ones(n, np.float32))
        beta = next(it) if center else (f"{key}/beta", np.zeros(n, np.float32))
        mean, var = next(it)[1], next(it)[1]
        if self.perm is not None and len(self.shape) == 1:
            gamma, beta = (gamma[0], gamma[1][self.perm]), (beta[0], beta[1][self.perm])
            mean, var = mean[self.perm], var[self.perm]
        entry = {"type": "batchnorm", "eps": self._number(cfg.get("epsilon", 1e-3), "epsilon"), "mean": mean.tolist(),
                 "var": var.tolist(), "activation": "linear"}
        self.entries.append(entry)
        self._param("batchnorm", Param(gamma[0], gamma[1], beta[0], beta[1]))
        self.act_target = entry

    # --- layers without weights --------------------------------------------------------------------

    def _pool(self, kind: str, ours: str, cfg: dict, key: str):
        if ours not in LAYER_TYPES:
            fail(self.path, f"has a {kind} layer, which this version of nnviz cannot build")
        h, w, c = self._map(kind, cfg)
        p = _pair(cfg.get("pool_size", 2), "pool size", self.path)
        s = cfg.get("strides")
        if s is not None and _pair(s, "pool stride", self.path) != p:
            fail(self.path, f"has a {kind} layer {key[:40]!r} whose windows overlap (stride ≠ size); nnviz pools "
                            "non-overlapping windows")
        padding = str(cfg.get("padding", cfg.get("border_mode", "valid"))).lower()
        if padding != "valid" and (padding != "same" or h % p or w % p):
            fail(self.path, f"has a {kind} layer {key[:40]!r} with padding {padding[:20]!r} on a {h}×{w} map, which "
                            "nnviz's pooling does not have")
        self.entries.append({"type": ours, "size": p})
        self.shape, self.act_target = (h // p, w // p, c), None

    def _MaxPooling2D(self, cfg, key):
        self._pool("MaxPooling2D", "maxpool", cfg, key)

    def _AveragePooling2D(self, cfg, key):
        self._pool("AveragePooling2D", "avgpool", cfg, key)

    def _Flatten(self, cfg, key):
        if len(self.shape) == 1:
            return
        h, w, c = self.shape
        as_chw = self.channels_first or cfg.get("data_format") == "channels_first"
        self.perm = None if as_chw or c == 1 else _flat_order(h, w, c)
        self.shape, self.act_target = (h * w * c,), None
        if self.entries:  # a leading flatten: the network's input rows are flat already
            self.entries.append({"type": "flatten"})

    def _Reshape(self, cfg, key):
        target = self._shape(cfg.get("target_shape"), "target_shape")
        if None in target:
            fail(self.path, f"has a Reshape to {target[:4]}")
        if len(target) == 1 and len(self.shape) == 3 and target[0] in (-1, math.prod(self.shape)):
            return self._Flatten({}, key)
        if len(self.shape) == 1 and not self.entries and len(target) in (2, 3) \
                and (len(target) == 2 or target[-1] == 1) and math.prod(target[:2]) == self.shape[0]:
            h, w = target[:2]  # the flat input as a one-channel image: the same numbers in the same order
            self.shape, self.input_shape = (h, w, 1), [1, h, w]
            return
        fail(self.path, f"has a Reshape to {target[:4]} from {list(self.shape)}; nnviz reads a reshape to a flat vector "
                        "or of its input to a one-channel image")

    def _Activation(self, cfg, key):
        self._apply("Activation", cfg.get("activation"))

    def _apply(self, kind: str, name, extra: dict | None = None) -> None:
        entry = self.act_target
        if entry is None or entry.get("activation") != "linear":
            fail(self.path, f"has an {kind} layer that does not follow a Dense, Conv2D or BatchNormalization layer "
                            "without activation; nnviz applies activations in those layers")
        if extra is not None:
            if "leaky_relu" not in HIDDEN_ACTIVATIONS:
                fail(self.path, f"has a {kind} layer (leaky ReLU), which this version of nnviz does not have")
            entry.update(activation="leaky_relu", **extra)
        else:
            self._set_activation(entry, name, kind)
        self.act_target = None

    def _ReLU(self, cfg, key):
        if cfg.get("max_value") is not None or cfg.get("threshold", 0) not in (0, 0.0, None):
            fail(self.path, f"has a ReLU layer {key[:40]!r} with a maximum or threshold, which nnviz's ReLU does not "
                            "have")
        slope = self._number(cfg.get("negative_slope", 0) or 0, "negative_slope")
        self._apply("ReLU", "relu", {"negative_slope": slope} if slope else None)

    def _LeakyReLU(self, cfg, key):
        slope = cfg.get("negative_slope", cfg.get("alpha", 0.3))
        self._apply("LeakyReLU", None, {"negative_slope": self._number(slope, "negative_slope")})

    def _Softmax(self, cfg, key):
        if cfg.get("axis", -1) not in (-1, 1, [-1]):
            fail(self.path, "has a Softmax over another axis than the classes")
        self._apply("Softmax", "softmax")

    def _identity(self, cfg, key):
        """Dropout and its like: nothing at prediction time."""

    # --- the end -----------------------------------------------------------------------------------

    def _finish(self) -> tuple[dict, list[Param]]:
        if not self.entries or self.entries[-1]["type"] != "dense":
            fail(self.path, "does not end in a Dense layer, which nnviz needs as its output layer")
        last = self.entries[-1]
        head = last.pop("activation")
        last.pop("negative_slope", None)
        if self.output is None:
            self.output = {"linear": "softmax" if last["units"] > 1 else "linear", "sigmoid": "sigmoid"}.get(head)
            if self.output is None:
                fail(self.path, f"ends in {head}, which nnviz has no output layer for")
        elif head != "linear":
            fail(self.path, f"applies {head} and then softmax to its output")
        weighted = [p for p, kind in zip(self.params, self.param_kinds) if kind != "batchnorm"]
        bias = any(p.bias is not None for p in weighted)
        for p in weighted:  # a layer without bias (before a BatchNormalization) gets zeros: the same function
            if bias and p.bias is None:
                p.bias_name, p.bias = f"{p.weight_name}:zero_bias", np.zeros(p.weight.shape[0], np.float32)
        spec = {"input_shape": self.input_shape, "layers": self.entries, "output": self.output, "bias": bias}
        return spec, self.params


for _name in _IDENTITY:
    setattr(_Chain, f"_{_name}", _Chain._identity)
_SUPPORTED = ("InputLayer", "Dense", "Conv2D", "MaxPooling2D", "AveragePooling2D", "Flatten", "Reshape", "Dropout",
              "Activation", "ReLU", "LeakyReLU", "Softmax", "BatchNormalization")


def _inbound_names(nodes) -> list[str]:
    """The layers a functional layer reads, from Keras 2's ``[[["name", 0, 0, {}]]]`` or Keras 3's
    ``[{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": ["name", 0, 0]}}]}]``."""
    out: list[str] = []

    def walk(v, depth=0):
        if depth > 20:
            return
        if isinstance(v, dict):
            hist = v.get("keras_history") if isinstance(v.get("keras_history"), list) else None
            if hist and isinstance(hist[0], str):
                out.append(hist[0])
                return
            for x in v.values():
                walk(x, depth + 1)
        elif isinstance(v, list):
            if len(v) >= 3 and isinstance(v[0], str) and isinstance(v[1], int) and isinstance(v[2], int):
                out.append(v[0])
                return
            for x in v:
                walk(x, depth + 1)

    walk(nodes)
    return out


# --- weights only --------------------------------------------------------------------------------

def _weights_only(path: Path, contents: KerasContents) -> list[Param]:
    """A ``save_weights`` file's layers as nnviz parameters: (kernel, bias) pairs in the file's layer order
    (Keras 3's keys: convolutions first, then dense layers, each by its count), transposed to nnviz's layout."""
    groups = [(k, ws) for k, ws in contents.groups if ws]
    if contents.format == "keras3-weights":
        groups.sort(key=lambda g: (0 if g[1][0][1].ndim == 4 else 1, natural_key(g[0])))
    params = []
    for key, ws in groups:
        kernel = ws[0][1]
        if kernel.dtype.kind != "f" or kernel.ndim not in (2, 4) or len(ws) > 2:
            fail(path, f"holds a layer {key[:40]!r} of {len(ws)} arrays ({', '.join(str(a.shape) for _, a in ws)[:80]}) "
                       "that is not a Dense or Conv2D layer; for BatchNormalization and the like nnviz needs the "
                       "whole model: model.save(\"model.keras\")")
        w = kernel.T if kernel.ndim == 2 else kernel.transpose(3, 2, 0, 1)
        b = ws[1] if len(ws) == 2 else (None, None)
        params.append(Param(f"{key}/{ws[0][0]}", np.ascontiguousarray(w, dtype=np.float32), None if b[0] is None
                            else f"{key}/{b[0]}", None if b[1] is None else np.asarray(b[1], dtype=np.float32)))
    if not params:
        fail(path, "holds no weights")
    return params


def _permute_for_spec(path: Path, params: list[Param], spec: Mapping) -> list[Param]:
    """``params`` with each dense layer after a flatten of a many-channel map permuted from Keras's
    (H, W, C) order to nnviz's (C, H, W); the spec's shapes are checked later against the tensors."""
    try:
        _, layers, _, _ = parse_spec(spec)
    except (SettingsError, TypeError, ValueError):
        return params  # network_parts says what is wrong with it
    out, it, perm = [], iter(params), None
    for layer in layers:
        if layer.type == "flatten" and len(layer.in_shape) == 3 and layer.in_shape[0] > 1:
            c, h, w = layer.in_shape
            perm = _flat_order(h, w, c)
        if layer.weight_shape is None:
            continue
        p = next(it, None)
        if p is None:
            break
        if layer.type == "dense" and perm is not None and p.weight.shape == layer.weight_shape:
            p = Param(p.weight_name, np.ascontiguousarray(p.weight[:, perm]), p.bias_name, p.bias)
        perm = None
        out.append(p)
    return out + list(it)
