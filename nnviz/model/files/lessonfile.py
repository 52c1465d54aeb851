"""``.nnviz`` lesson files: one file a teacher hands to a class.

A lesson file is an ``.npz`` archive (``npzfile``, the container model files use too;
never pickles) holding:

- ``meta``: uint8 UTF-8 JSON ``{"format": "nnviz-lesson", "version": 1, "lesson",
  "title", "note", "seed", "iteration", "epoch", "epoch_fraction", "settings",
  "architecture", "nnviz_version", "guide"}`` (``epoch_fraction`` and ``guide`` came later:
  absent reads 0 / no guide of its own; ``guide`` is a lesson guide, nnviz.model.guide's format);
- ``W0..Wn`` / ``b0..bn``: the network's weights and biases — an MLP's (sizes[i+1],
  sizes[i]) and (sizes[i+1],), a layer stack's in its spec's PyTorch layouts
  (``architecture`` as in model files: an MLP's sizes plus its spec, else the spec);
- ``history/<column>``: every training-history array, whatever its shape (``loss``
  (n,), ``grad_norm`` (m, L), ``weight_quantiles`` (k, L, 7), columns added later);
- ``examples/x`` float32 (n, inputs) in [0, 1] and ``examples/labels`` int64 (n,):
  the learner's own examples.

Loading validates everything and raises DataFormatError naming the file and the
problem; a :class:`LessonFile` built in code is validated the same way (a
SettingsError), so a file that saves always loads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Mapping

import numpy as np

from ... import __version__
from ..errors import DataFormatError, SettingsError
from ..core.history import History
from .modelfile import (
    SavedModel,
    history_arrays,
    history_from_arrays,
    epoch_fraction,
    architecture_meta,
    history_problem,
    network_arrays,
    network_from_arrays,
)
from ..core.networks import NetworkLike
from ..storage.npzfile import counters, meta_array, meta_json, read_npz, short_repr, write_npz
from ..core.settings import TrainSettings
from ..data.bundled import FILES
from ..data.datasets import smile
from ..guide import guide_from_dict
from ..lessons import LESSONS

FORMAT = "nnviz-lesson"
VERSION = 1
SUFFIX = ".nnviz"
MAX_TITLE = 200
MAX_NOTE = 20_000
_SETTINGS_KEYS = tuple(f.name for f in fields(TrainSettings))
_FIXED = {"meta", "examples/x", "examples/labels"}


@dataclass(frozen=True, eq=False)
class LessonFile:
    """Everything a ``.nnviz`` file holds, validated on construction.

    - ``lesson``: a built-in lesson's name ("smile", "digits", "mnist", "conv", "mnist-conv");
    - ``network``: a Network or LayerNetwork; its input and output sizes, output
      activation and bias flag must be the lesson's, and a conv stack's input the
      lesson's 1×H×W images (the layers in between are free); weights finite;
    - ``settings``: TrainSettings fields (``TrainSettings.to_dict()``; may be partial);
    - ``history``: column name -> numeric array (a History is accepted and converted);
      floats finite or NaN (±inf is stored as NaN);
    - ``examples_x`` (n, inputs) float32 in [0, 1], ``examples_labels`` (n,) int64
      class indices (the smile lesson: 0 = not a smile, 1 = smile);
    - ``title`` (≤ 200 characters) and ``note`` (≤ 20,000): free text for the class;
    - ``epoch_fraction`` in [0, 1): how far through the current epoch training stood;
    - ``guide``: a walk-through of its own (nnviz.model.guide's format, for this lesson), or None.

    Arrays are copied and made read-only; ``network`` is a private copy.
    """

    lesson: str
    network: NetworkLike
    settings: dict = field(default_factory=dict)
    seed: int = 0
    iteration: int = 0
    epoch: int = 0
    history: Mapping[str, np.ndarray] = field(default_factory=dict)
    examples_x: np.ndarray | None = None
    examples_labels: np.ndarray | None = None
    title: str = ""
    note: str = ""
    epoch_fraction: float = 0.0
    guide: dict | None = None

    def __post_init__(self):
        if not isinstance(self.network, NetworkLike):
            raise _Invalid("has no network")
        put = object.__setattr__
        put(self, "network", self.network.copy())
        try:
            put(self, "history", {k: _frozen(v) for k, v in history_arrays(self.history).items()})
        except (TypeError, ValueError, AttributeError):
            raise _Invalid("has a training history that is not a set of numeric columns") from None
        n_in = self.network.sizes[0]
        x = np.zeros((0, n_in), np.float32) if self.examples_x is None else self.examples_x
        y = np.zeros(0, np.int64) if self.examples_labels is None else self.examples_labels
        x, y = np.asarray(x), np.asarray(y)
        if x.dtype.kind != "f" or y.dtype.kind not in "iu":
            raise _Invalid(f"has examples of {x.dtype} with labels of {y.dtype}; "
                           "expected floating point pixels and integer labels")
        put(self, "examples_x", _frozen(x.astype(np.float32)))
        put(self, "examples_labels", _frozen(y.astype(np.int64)))
        if not isinstance(self.settings, dict):
            raise _Invalid("has training settings that are not a dictionary")
        try:  # plain JSON values, exactly what a round trip through the file gives back
            put(self, "settings", json.loads(json.dumps(self.settings, allow_nan=False)))
        except (TypeError, ValueError, RecursionError):
            raise _Invalid("has training settings that are not plain numbers and names") from None
        problem = _problem(self)
        if problem:
            raise _Invalid(problem)
        if self.guide is not None:
            try:
                guide = guide_from_dict(self.guide)
            except DataFormatError as e:
                raise _Invalid(f"has a {e.problem}") from None
            if guide.lesson != self.lesson:
                raise _Invalid(f"has a guide for the {guide.lesson} lesson, not {self.lesson}")
            put(self, "guide", guide.to_dict())

    @property
    def n_examples(self) -> int:
        return len(self.examples_labels)

    def to_history(self) -> History:
        """The training history as a History (columns it does not know are left out)."""
        return History.from_arrays(self.history)

    def is_fresh_start(self) -> bool:
        """True when it holds only what opening its lesson gives: iteration 0, no examples, the
        lesson's settings and seed, and its own network as that seed initialises it. A session
        left so needs no resuming; one with a model opened, a rebuild, a weight set by hand or a
        setting changed before the first step does (they were lost at a quit)."""
        lesson = LESSONS[self.lesson]
        known = {f.name for f in fields(TrainSettings)}  # as installing the file applies them: over the lesson's
        settings = replace(lesson.settings, **{k: v for k, v in self.settings.items() if k in known})
        if self.iteration or self.n_examples or self.seed != lesson.seed or settings != lesson.settings:
            return False
        fresh = lesson.network()
        # the spec, not "hidden": a net with no hidden layer names one of no consequence
        mine_arch, own_arch = architecture_meta(self.network), architecture_meta(fresh)
        if (mine_arch["spec"], mine_arch["dtype"]) != (own_arch["spec"], own_arch["dtype"]):
            return False
        mine, own = network_arrays(self.network), network_arrays(fresh)
        return mine.keys() == own.keys() and all(np.array_equal(mine[k], own[k]) for k in own)

    def saved_model(self) -> SavedModel:
        """The network and training state as a SavedModel (what loading a model file gives)."""
        return SavedModel(self.network.copy(), self.lesson, self.iteration, self.epoch, self.seed,
                          dict(self.settings), self.to_history(), self.epoch_fraction)

    @classmethod
    def from_snapshot(cls, snapshot, examples=None, title: str = "", note: str = "",
                      guide: dict | None = None) -> "LessonFile":
        """A lesson file of a training Snapshot (safe on the GUI thread: snapshots are frozen).

        ``examples``: a UserExamples (images (inputs,) + class indices), or None; ``guide``: a
        walk-through of its own for the class (nnviz.model.guide's format), or None.
        """
        x = y = None
        if examples is not None and len(examples):
            x, y = np.stack(examples.images), np.asarray(examples.labels, np.int64)
        return cls(lesson=snapshot.lesson, network=snapshot.network(), settings=dict(snapshot.settings),
                   seed=snapshot.seed, iteration=snapshot.iteration, epoch=snapshot.epoch,
                   history=snapshot.history, examples_x=x, examples_labels=y, title=title, note=note,
                   epoch_fraction=max(0.0, snapshot.epoch_progress - snapshot.epoch), guide=guide)


class _Invalid(SettingsError):
    """A LessonFile that nnviz could not use; ``problem`` reads after "this lesson file"."""

    def __init__(self, problem: str):
        self.problem = problem
        super().__init__(f"this lesson file {problem}")


def save_lesson_file(path: str | Path, lf: LessonFile) -> Path:
    """Write ``lf`` to ``path`` atomically (temp file + rename): a failed write, e.g. a
    full disk (OSError), leaves any previous file at ``path`` intact. Returns the path."""
    net = lf.network
    meta = {
        "format": FORMAT, "version": VERSION, "lesson": lf.lesson, "title": lf.title, "note": lf.note,
        "seed": lf.seed, "iteration": lf.iteration, "epoch": lf.epoch, "epoch_fraction": lf.epoch_fraction,
        "settings": lf.settings,
        "architecture": architecture_meta(net), "nnviz_version": __version__,
    }
    if lf.guide is not None:
        meta["guide"] = lf.guide
    arrays = {"meta": meta_array(meta), **network_arrays(net),
              "examples/x": lf.examples_x, "examples/labels": lf.examples_labels}
    for k, v in lf.history.items():
        arrays[f"history/{k}"] = v
    return write_npz(path, arrays)


def load_lesson_file(path: str | Path) -> LessonFile:
    """Read a ``.nnviz`` file written by :func:`save_lesson_file`.

    Raises DataFormatError naming the file and the problem for anything else:
    unreadable, not an archive, truncated or damaged, pickled objects, another
    format or version, an unknown lesson, shapes that do not fit, NaN weights, …
    """
    path = Path(path)
    arrays = read_npz(path, "an nnviz lesson file")
    meta = meta_json(path, arrays, "an nnviz lesson")
    fmt = meta.get("format")
    if fmt != FORMAT:
        hint = {"nnviz-model": " (it is a model file: open it with Open model…)",
                "nnviz-examples": " (it is an examples file: import it as examples)"}
        raise DataFormatError(path, "is not an nnviz lesson file (wrong format tag)"
                                    + (hint.get(fmt, "") if isinstance(fmt, str) else ""))
    version = meta.get("version")
    if version != VERSION:
        newer = type(version) is int and version > VERSION
        raise DataFormatError(path, f"is an nnviz lesson file of format version {short_repr(version)}; this nnviz "
                                    f"reads version {VERSION}" + ("; a newer nnviz wrote it" if newer else ""))
    lesson = meta.get("lesson")
    if not isinstance(lesson, str):
        raise DataFormatError(path, f"has an invalid lesson name {short_repr(lesson)}")
    if "examples/x" not in arrays or "examples/labels" not in arrays:
        raise DataFormatError(path, "is missing its examples (examples/x and examples/labels)")
    network = network_from_arrays(path, meta.get("architecture"), arrays)
    layers = {f"{p}{i}" for i in range(network.n_layers) for p in "Wb"}
    unknown = sorted(k for k in arrays if k not in _FIXED and k not in layers and not k.startswith("history/"))
    if unknown:
        names = ", ".join(unknown)
        raise DataFormatError(path, f"holds arrays nnviz does not know ({names[:80]}{'…' * (len(names) > 80)})")
    history = history_from_arrays(path, arrays)
    ints = counters(path, meta, ("seed", "iteration", "epoch"))
    texts = {k: meta.get(k, "") for k in ("title", "note")}
    if not all(isinstance(v, str) for v in texts.values()):
        raise DataFormatError(path, "has a title or note that is not text")
    settings = meta.get("settings", {})
    fraction = epoch_fraction(path, meta)
    try:
        return LessonFile(lesson=lesson, network=network, settings=settings, history=history,
                          examples_x=arrays["examples/x"], examples_labels=arrays["examples/labels"],
                          epoch_fraction=fraction, guide=meta.get("guide"), **ints, **texts)
    except _Invalid as e:
        raise DataFormatError(path, e.problem) from None


# --- validation -------------------------------------------------------------------------------

def _frozen(a) -> np.ndarray:
    c = np.array(a, copy=True)
    c.flags.writeable = False
    return c


def _lesson_io(lesson) -> tuple[int, int, int, tuple[int, int]]:
    """(inputs, outputs, classes, image shape) of a lesson's dataset, without loading the dataset."""
    if lesson.dataset == "smile":
        ds = smile()
        return ds.n_inputs, ds.n_outputs, len(ds.class_names), tuple(ds.image_shape)
    _, (h, w), classes = FILES[lesson.dataset]
    return h * w, classes, classes, (h, w)


def _problem(lf: LessonFile) -> str | None:
    """Why ``lf`` is not a lesson nnviz can open, or None. Reads after "this lesson file …"."""
    if not isinstance(lf.lesson, str) or lf.lesson not in LESSONS:
        return f"names a lesson nnviz does not know ({short_repr(lf.lesson)}; known: {', '.join(LESSONS)})"
    lesson = LESSONS[lf.lesson]
    net = lf.network
    n_in, n_out, classes, image = _lesson_io(lesson)
    arch = "-".join(map(str, net.sizes))
    if net.sizes[0] != n_in or net.sizes[-1] != n_out:
        return (f"has a {arch} network, but the {lesson.name} lesson needs {n_in} inputs and "
                f"{n_out} output{'s' if n_out > 1 else ''}")
    shape = tuple(net.input_shape)
    if len(shape) == 3 and shape != (1, *image):
        return (f"has a network for {'×'.join(map(str, shape))} inputs, but the {lesson.name} lesson's "
                f"images are 1×{image[0]}×{image[1]}")
    if net.output != lesson.output or net.bias != lesson.bias:
        return (f"has a network with a {net.output} output{' and biases' if net.bias else ''}, but the "
                f"{lesson.name} lesson's network has a {lesson.output} output"
                f"{' and biases' if lesson.bias else ' and no biases'}")
    for i, (w, b) in enumerate(zip(net.weights, net.biases)):
        if not (np.isfinite(w).all() and np.isfinite(b).all()):
            return f"has weights in layer {i + 1} that are not numbers (NaN or infinity)"
    for name in ("seed", "iteration", "epoch"):
        v = getattr(lf, name)
        if type(v) is not int or not 0 <= v < 1 << 63:
            return f"has an invalid {name} ({short_repr(v)}): a whole number ≥ 0 is needed"
    f = lf.epoch_fraction
    if type(f) not in (int, float) or not 0 <= f < 1:
        return f"has an invalid epoch fraction ({short_repr(f)}): a number from 0 up to 1 is needed"
    for name, limit in (("title", MAX_TITLE), ("note", MAX_NOTE)):
        v = getattr(lf, name)
        if not isinstance(v, str):
            return f"has a {name} that is not text"
        if len(v) > limit:
            return f"has a {name} of {len(v):,} characters; at most {limit:,} fit"
    unknown = sorted(set(lf.settings) - set(_SETTINGS_KEYS))
    if unknown:
        names = ", ".join(map(str, unknown))
        return f"has training settings nnviz does not know ({names[:80]}{'…' * (len(names) > 80)})"
    try:
        TrainSettings.from_dict(lf.settings)
    except (SettingsError, TypeError, ValueError, OverflowError) as e:
        return f"has invalid training settings ({str(e)[:200]})"
    problem = history_problem(lf.history)
    if problem:
        return problem
    x, y = lf.examples_x, lf.examples_labels
    if x.ndim != 2 or x.shape[1] != n_in or y.shape != (len(x),):
        return (f"has examples of shape {x.shape} with labels {y.shape}; the {lesson.name} lesson's "
                f"examples are (n, {n_in}) with n labels")
    if not np.isfinite(x).all() or (x.size and (x.min() < 0 or x.max() > 1)):
        return "has examples with pixel values outside [0, 1]"
    if y.size and (y.min() < 0 or y.max() >= classes):
        return f"has example labels outside 0..{classes - 1}"
    return None


def with_suffix(path: str | Path) -> Path:
    """``path`` ending in ``.nnviz`` (for a save dialog whose user typed a bare name)."""
    path = Path(path)
    return path if path.suffix.lower() == SUFFIX else path.with_name(path.name + SUFFIX)


__all__ = ["FORMAT", "VERSION", "SUFFIX", "LessonFile", "save_lesson_file", "load_lesson_file", "with_suffix"]
