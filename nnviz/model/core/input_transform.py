"""The input transform a model was trained with: the network sees ``(x·scale − mean) / std``.

Many published models were trained on normalised pixels (MNIST's usual ``(x − 0.1307) / 0.3081``)
or on raw 0–255 values, while nnviz's images are in [0, 1]. A spec says so with a top-level key::

    "input_transform": {"scale": 255, "mean": [0.1307], "std": [0.3081]}

``mean`` and ``std`` hold one value, or one per channel of a (C, H, W) input; defaults: scale 1,
mean [0], std [1]; no key: the identity. Both network classes apply it first thing in every
forward pass, so training, evaluation and every analysis see the input the model was made for;
the layer-1 "activations" they report are the transformed input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from ..errors import SettingsError

KEYS = ("scale", "mean", "std")


def _number(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value):
        raise SettingsError(f"\"input_transform\": {what} must be a finite number, got {value!r}")
    return float(value)


def _numbers(value, key: str, channels: int) -> tuple[float, ...]:
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, (list, tuple)) or len(value) not in (1, channels):
        want = "one number" if channels == 1 else f"one number or {channels} (one per channel)"
        raise SettingsError(f"\"input_transform\": {key!r} must be a list of {want}, got {value!r}")
    return tuple(_number(v, key) for v in value)


@dataclass(frozen=True)
class InputTransform:
    """``(x·scale − mean) / std`` per channel; mean/std hold 1 or C values."""

    scale: float = 1.0
    mean: tuple[float, ...] = (0.0,)
    std: tuple[float, ...] = (1.0,)

    @classmethod
    def from_spec(cls, entry, input_shape: Sequence[int]) -> "InputTransform | None":
        """The spec's ``input_transform`` (None or a dict) checked against the input shape;
        None for no transform (absent, or the identity)."""
        if entry is None:
            return None
        if not isinstance(entry, Mapping):
            raise SettingsError(f"\"input_transform\" must be an object like {{\"mean\": [0.1307], "
                                f"\"std\": [0.3081]}}, got {entry!r}")
        extra = [k for k in entry if k not in KEYS]
        if extra:
            raise SettingsError(f"\"input_transform\": unknown key {extra[0]!r}; allowed: {', '.join(KEYS)}")
        channels = int(input_shape[0]) if len(input_shape) == 3 else 1
        scale = _number(entry.get("scale", 1.0), "\"scale\"")
        mean = _numbers(entry.get("mean", [0.0]), "mean", channels)
        std = _numbers(entry.get("std", [1.0]), "std", channels)
        if scale == 0 or any(s == 0 for s in std):
            raise SettingsError("\"input_transform\": \"scale\" and every \"std\" must be non-zero")
        out = cls(scale, mean, std)
        return None if out.is_identity else out

    @property
    def is_identity(self) -> bool:
        return self.scale == 1 and all(m == 0 for m in self.mean) and all(s == 1 for s in self.std)

    def to_spec(self) -> dict:
        return {"scale": self.scale, "mean": list(self.mean), "std": list(self.std)}

    def _factors(self, channels: int, dtype) -> tuple[np.ndarray, np.ndarray]:
        """(multiplier, offset), (channels,) each: x' = x·(scale/std) − mean/std."""
        mean = np.broadcast_to(np.asarray(self.mean, np.float64), (channels,))
        std = np.broadcast_to(np.asarray(self.std, np.float64), (channels,))
        return (self.scale / std).astype(dtype), (mean / std).astype(dtype)

    def apply(self, X: np.ndarray, input_shape: Sequence[int]) -> np.ndarray:
        """X (batch, n) flat rows in C, H, W order -> a new transformed (batch, n) array."""
        channels = int(input_shape[0]) if len(input_shape) == 3 else 1
        mul, off = self._factors(channels, X.dtype)
        out = X.reshape(X.shape[0], channels, -1) * mul[:, None]
        out -= off[:, None]
        return out.reshape(X.shape)

    def backward(self, g: np.ndarray, input_shape: Sequence[int]) -> np.ndarray:
        """d/dx from d/dx' for (batch, n) rows: a new array, g · scale/std per channel."""
        channels = int(input_shape[0]) if len(input_shape) == 3 else 1
        mul, _ = self._factors(channels, g.dtype)
        return (g.reshape(g.shape[0], channels, -1) * mul[:, None]).reshape(g.shape)

    def describe(self) -> str:
        """One line for the model description: ``input ×255, then (x − 0.1307) / 0.3081``."""
        def nums(values):
            text = ", ".join(f"{v:g}" for v in values)
            return text if len(values) == 1 else f"[{text}]"
        parts = []
        if self.scale != 1:
            parts.append(f"pixels ×{self.scale:g}")
        if any(m != 0 for m in self.mean) or any(s != 1 for s in self.std):
            parts.append(f"(x − {nums(self.mean)}) / {nums(self.std)}")
        return "input transform: " + ", then ".join(parts)


def transform_of(spec: Mapping) -> InputTransform | None:
    """The transform of a spec (validated; None when it has none). Needs a valid input_shape."""
    shape = spec.get("input_shape") or [1]
    return InputTransform.from_spec(spec.get("input_transform"), list(shape))
