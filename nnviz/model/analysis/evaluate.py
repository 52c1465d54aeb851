"""Evaluate a saved model on a built-in dataset or a folder of IDX files."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.networks import with_input_transform
from ..data.idx import find_idx_files, load_idx_pair
from ..data.datasets import correct
from ..errors import DataFormatError
from ..files.foreign import is_foreign, load_foreign
from ..files.modelfile import load_model
from ..lessons import load_dataset


def evaluate_file(model_path: str | Path, data: str, activation: str | None = None, spec=None,
                  input_transform=None) -> dict:
    """{"accuracy", "n", "data"} of the model at ``model_path`` on ``data``.

    ``data`` is a built-in dataset name (its test split) or a folder of MNIST-format
    IDX files (its t10k pair if present, else its train pair). ``activation`` and ``spec``
    complete a PyTorch / safetensors / ONNX file (``files.foreign.load_foreign``);
    ``input_transform`` (some of ``scale`` / ``mean`` / ``std``) replaces parts of the model's own
    (``networks.with_input_transform``).
    """
    if is_foreign(model_path):
        saved = load_foreign(model_path, activation=activation, spec=spec)
    else:
        saved = load_model(model_path)
    net = with_input_transform(saved.network, input_transform)
    if data in ("smile", "digits", "mnist"):
        ds = load_dataset(data)
        x, y, task = ds.x_test, ds.y_test, ds.task
    else:
        found = find_idx_files(data)
        pair = found.get("test") or found.get("train")
        images, labels = load_idx_pair(*pair)
        x = images.reshape(len(images), -1).astype(np.float32) / 255.0
        y, task = labels.astype(np.int64), "classification"
    if x.shape[1] != net.sizes[0]:
        raise DataFormatError(model_path, f"has {net.sizes[0]} inputs but the images of {data} have "
                                          f"{x.shape[1]} pixels: it was trained for another dataset")
    outputs = np.concatenate([net.predict(x[i:i + 4096]) for i in range(0, len(x), 4096)])
    return {"accuracy": float(correct(task, outputs, y).mean()), "n": int(len(x)), "data": str(data)}
