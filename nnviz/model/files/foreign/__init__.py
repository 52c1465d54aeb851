"""Networks trained elsewhere: PyTorch state_dicts, safetensors, ONNX and Keras files, read as data.

One entry point, :func:`load_foreign`, chosen by suffix (:data:`FOREIGN_SUFFIXES`;
``modelfile.load_model`` sends these suffixes here, so every caller of it opens them):

- ``.pt`` / ``.pth``: a ``torch.save(model.state_dict(), path)`` zip (``torch_zip.py``) or a file in
  PyTorch's legacy format from before 1.6 (``torch_legacy.py``), read without torch by an allow-listed
  unpickler (``torch_pickle.py``): nothing else is ever created;
- ``.safetensors``: through the safetensors package (``safetensors_file.py``); one nnviz
  wrote carries its spec and opens with no questions;
- ``.onnx``: the graph is the architecture (``onnx_file.py``; the optional onnx package);
- ``.keras`` / ``.h5`` / ``.hdf5``: Keras 3, Keras 1–2 and tf.keras models, the config is the
  architecture (``keras_file.py``; the optional h5py package, run in a child process:
  ``keras_isolation.py``); weights alone (``save_weights``) are completed as a state_dict is.

A state_dict gives the layers' shapes, not everything between them (``spec_inference.py``): a dense
stack needs its hidden ``activation`` (else :class:`NeedsActivation`), a conv stack a
``spec`` (else :class:`NeedsSpec`, with a ``draft`` spec that fits the shapes). Both are
DataFormatErrors (one line naming the file), so a caller that cannot ask just reports them.

The result is a ``SavedModel`` at iteration 0 with no settings or history, whose ``lesson`` is
:func:`fitting_lesson` (or "" when no lesson's data fits: :func:`lesson_for` says so).
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from ...core.layers import parse_spec
from ...core.networks import network_from_parameters
from ...errors import DataFormatError, SettingsError
from ...lessons import LESSONS
from ..saved_model import SavedModel
from .spec_inference import group_parameters, network_parts
from .questions import NeedsActivation, NeedsArchitecture, NeedsSpec

__all__ = ["FOREIGN_SUFFIXES", "NeedsActivation", "NeedsArchitecture", "NeedsSpec", "fitting_lesson",
           "is_foreign", "lesson_for", "load_foreign"]

FOREIGN_SUFFIXES = (".pt", ".pth", ".safetensors", ".onnx", ".keras", ".h5", ".hdf5")
#: the open dialog's filter for every model file nnviz reads
OPEN_FILTER = "Models (*.npz *.pt *.pth *.safetensors *.onnx *.keras *.h5 *.hdf5)"
#: the built-in datasets' (inputs, outputs), as their Dataset's n_inputs / n_outputs
DATA_SIZES = {"smile": (12, 1), "digits": (64, 10), "mnist": (784, 10)}


def is_foreign(path: str | Path) -> bool:
    """True for a file :func:`load_foreign` reads (by suffix, any case)."""
    return Path(path).suffix.lower() in FOREIGN_SUFFIXES


def load_foreign(path: str | Path, activation: str | None = None, spec: Mapping | None = None):
    """The network in a PyTorch / safetensors / ONNX / Keras file as a ``SavedModel``.

    ``activation``: the hidden activation of a dense stack from a state_dict ("relu", "sigmoid",
    "tanh", "linear"). ``spec``: the network's layer-stack spec (``core/layers.py``), needed for a
    conv stack from a state_dict and checked against the tensors whenever given (it overrides
    what an nnviz safetensors file or an ONNX graph says). Raises NeedsActivation / NeedsSpec
    when one is needed, DataFormatError for every other problem with the file, SettingsError for
    an unknown activation name.
    """
    # Each reader loads when a file of its kind first opens: the app imports this module at start-up,
    # and the readers would add ~11 ms to it.
    path = Path(path)
    suffix, lesson, file_spec = path.suffix.lower(), "", None
    if suffix in (".pt", ".pth"):
        from .torch_zip import load_state_dict

        params = group_parameters(path, load_state_dict(path))
    elif suffix == ".safetensors":
        from .safetensors_file import nnviz_lesson, nnviz_spec, read_safetensors

        tensors, meta = read_safetensors(path)
        file_spec, lesson = nnviz_spec(path, meta), nnviz_lesson(meta)
        params = group_parameters(path, tensors)
    elif suffix == ".onnx":
        from .onnx_file import read_onnx

        file_spec, params = read_onnx(path)
    elif suffix in (".keras", ".h5", ".hdf5"):
        from .keras_file import read_keras

        file_spec, params = read_keras(path, spec)
    else:
        raise DataFormatError(path, f"is not a model file nnviz reads from elsewhere (it reads "
                                    f"{', '.join(FOREIGN_SUFFIXES)} and its own .npz)")
    spec, weights, biases = network_parts(path, params, activation, spec if spec is not None else file_spec)
    try:
        net = network_from_parameters(spec, weights, biases)
    except (SettingsError, ValueError) as e:
        raise DataFormatError(path, f"cannot be made into a network: {str(e)[:200]}") from None
    if lesson not in LESSONS or not _fits(lesson, net):
        lesson = fitting_lesson(net) or ""
    return SavedModel(net, lesson)


def _fits(name: str, net) -> bool:
    lesson = LESSONS[name]
    return DATA_SIZES.get(lesson.dataset) == (net.sizes[0], net.sizes[-1])


def fitting_lesson(net) -> str | None:
    """The lesson whose data fits ``net`` (its inputs and outputs), preferring one of the same kind
    (a conv lesson for a conv stack, an MLP lesson for a dense one); None when none fits."""
    fits = [name for name in LESSONS if _fits(name, net)]
    conv = _slides_kernels(net)
    same = [name for name in fits if (LESSONS[name].spec is not None) == conv]
    return (same or fits or [None])[0]


def _slides_kernels(net) -> bool:
    # Batch norm or a non-default activation also make a LayerNetwork, but a dense stack with
    # them belongs with the MLP lessons: only conv and pooling layers make it a conv model.
    if net.is_plain:
        return False
    return any(layer.needs_map for layer in parse_spec(net.spec)[1])


def lesson_for(path: str | Path, net) -> str:
    """:func:`fitting_lesson`, or a DataFormatError saying that no lesson's data fits the model."""
    name = fitting_lesson(net)
    if name is None:
        known = ", ".join(f"{d} {i}→{o}" for d, (i, o) in DATA_SIZES.items())
        raise DataFormatError(path, f"holds a network of {net.sizes[0]} inputs and {net.sizes[-1]} outputs, "
                                    f"which no lesson's data fits ({known}): open a dataset of that size for it")
    return name
