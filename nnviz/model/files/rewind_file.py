"""A run's rewind history between starts: the kept timeline states of one lesson's run.

A normal quit keeps each lesson's run in its session file (a lesson file: weights, history,
settings); this file, written beside it, keeps the states the learner can scrub back to. It is
an ``.npz`` archive (``npzfile``; never pickles) written uncompressed (a 64 MB timeline would
take seconds to deflate at quit), holding:

- ``meta``: uint8 UTF-8 JSON ``{"format": "nnviz-rewind", "version": 1, "lesson",
  "states": [{"iteration", "epoch", "cursor", "order", "rng", "nudge_step", "loss",
  "optimizer", "row"}, ...]}`` ascending by iteration; ``order`` indexes the epoch shuffles below,
  ``rng`` is the generator's bit_generator state, ``optimizer`` the scalar part of its state
  (Adam's ``t``) with ``arrays``: its per-parameter lists' names and lengths;
- ``W<i>`` / ``b<i>``: parameter i of every state, stacked (n_states, *shape);
- ``opt/<name>/<i>``: an optimizer list's entry i of every state laid out as the newest (its
  ``row`` in the stack); ``opt@<k>/<name>/<i>``: state k's own, when laid out otherwise (Adam
  before its first step keeps no lists);
- ``order<j>``: int64 (n_train,), the distinct epoch shuffles the states point at.

Reading checks everything against the run it is meant for (:func:`load_rewind`): a file that
does not end at that run's iteration and weights exactly is another run's and is not used.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.timeline import TrainerState
from ..errors import DataFormatError
from ..storage.npzfile import meta_array, meta_json, read_npz, write_npz

FORMAT = "nnviz-rewind"
VERSION = 1
SUFFIX = ".timeline.npz"
WHAT = "an nnviz rewind history"


def rewind_path(folder: str | Path, lesson: str) -> Path:
    """Where ``lesson``'s rewind history is kept in ``folder`` (beside its session file)."""
    return Path(folder) / f"{lesson}{SUFFIX}"


def _lists(state: TrainerState) -> dict[str, int]:
    """The optimizer state's per-parameter lists and their lengths (Adam's ``v``, momentum's velocity)."""
    return {k: len(v) for k, v in sorted(state.optimizer.items()) if isinstance(v, list)}


def save_rewind(path: str | Path, lesson: str, states: list[TrainerState]) -> Path:
    """Write ``states`` (ascending by iteration, one network's) for ``lesson`` at ``path``."""
    newest = _lists(states[-1])
    stacked = [s for s in states if _lists(s) == newest]
    orders: dict[int, int] = {}
    arrays: dict[str, np.ndarray] = {}
    entries = []
    for k, s in enumerate(states):
        j = orders.setdefault(id(s.order), len(orders))
        if f"order{j}" not in arrays:
            arrays[f"order{j}"] = np.asarray(s.order, dtype=np.int64)
        lists = _lists(s)
        scalars = {key: v for key, v in s.optimizer.items() if not isinstance(v, list)}
        if lists != newest:  # laid out otherwise (Adam before its first step): its own arrays
            for name, count in lists.items():
                for i in range(count):
                    arrays[f"opt@{k}/{name}/{i}"] = np.asarray(s.optimizer[name][i])
        entries.append({"iteration": int(s.iteration), "epoch": int(s.epoch), "cursor": int(s.cursor),
                        "order": j, "rng": s.rng, "nudge_step": float(s.nudge_step), "loss": float(s.loss),
                        "optimizer": {**scalars, "arrays": lists},
                        "row": stacked.index(s) if lists == newest else None})
    for i in range(len(states[0].weights)):
        arrays[f"W{i}"] = np.stack([s.weights[i] for s in states])
        arrays[f"b{i}"] = np.stack([s.biases[i] for s in states])
    for name, count in newest.items():
        for i in range(count):
            arrays[f"opt/{name}/{i}"] = np.stack([s.optimizer[name][i] for s in stacked])
    arrays["meta"] = meta_array({"format": FORMAT, "version": VERSION, "lesson": lesson, "states": entries})
    return write_npz(path, arrays, compressed=False)


def load_rewind(path: str | Path, lesson: str, weights, biases, iteration: int, settings=None,
                dataset=None) -> list[TrainerState]:
    """The states kept at ``path`` for ``lesson``'s run that now stands at ``iteration`` with
    ``weights`` / ``biases`` (each state's ``settings`` and ``dataset`` are these, for replay);
    DataFormatError when the file is damaged, another lesson's, or another run's (its newest state
    is not exactly that iteration and those parameters)."""
    path = Path(path)
    arrays = read_npz(path, WHAT)
    meta = meta_json(path, arrays, WHAT)
    if meta.get("format") != FORMAT or meta.get("version") != VERSION:
        raise DataFormatError(path, f"is not {WHAT} this nnviz reads")
    if meta.get("lesson") != lesson:
        raise DataFormatError(path, f"is the {meta.get('lesson')!r} lesson's rewind history, not {lesson!r}'s")
    entries = meta.get("states")
    if not isinstance(entries, list) or not entries:
        raise DataFormatError(path, "holds no states")
    n = len(entries)
    params = []
    for i, (w, b) in enumerate(zip(weights, biases)):
        W, B = arrays.get(f"W{i}"), arrays.get(f"b{i}")
        if W is None or B is None or W.shape != (n, *np.shape(w)) or B.shape != (n, *np.shape(b)):
            raise DataFormatError(path, f"does not hold this network's parameter {i} for its {n} states")
        params.append((W.astype(np.asarray(w).dtype, copy=False), B.astype(np.asarray(b).dtype, copy=False)))
    if f"W{len(params)}" in arrays:
        raise DataFormatError(path, "holds parameters of a larger network")
    last = entries[-1]
    if not isinstance(last, dict) or last.get("iteration") != iteration \
            or not all(np.array_equal(W[-1], w) and np.array_equal(B[-1], b)
                       for (W, B), w, b in zip(params, weights, biases)):
        raise DataFormatError(path, f"belongs to another run (it does not end at iteration {iteration:,} "
                                    "with these weights)")
    states, before = [], -1
    for k, e in enumerate(entries):
        states.append(_state(path, arrays, e, k, params, settings, dataset))
        if states[-1].iteration <= before:
            raise DataFormatError(path, "lists its states out of order")
        before = states[-1].iteration
    return states


def _state(path, arrays, e, k, params, settings, dataset) -> TrainerState:
    try:
        order = arrays[f"order{int(e['order'])}"]
        ints = [int(e[key]) for key in ("iteration", "epoch", "cursor")]
        rng, opt = e["rng"], dict(e["optimizer"])
        lists = opt.pop("arrays")
        if not isinstance(rng, dict) or not isinstance(rng.get("bit_generator"), str) or not isinstance(lists, dict):
            raise TypeError("rng or optimizer")
        row = e.get("row")
        for name, count in lists.items():
            opt[name] = [arrays[f"opt/{name}/{i}"][int(row)].copy() if row is not None
                         else arrays[f"opt@{k}/{name}/{i}"].copy() for i in range(int(count))]
        loss, nudge = float(e["loss"]), float(e["nudge_step"])
    except (KeyError, TypeError, ValueError) as error:
        raise DataFormatError(path, f"has an unreadable state {k + 1} ({type(error).__name__}: {error})") from None
    if order.dtype != np.int64 or order.ndim != 1 or min(ints) < 0:
        raise DataFormatError(path, f"has an unreadable state {k + 1}")
    return TrainerState(iteration=ints[0], epoch=ints[1], cursor=ints[2], order=order, rng=rng,
                        weights=tuple(W[k].copy() for W, _ in params), biases=tuple(B[k].copy() for _, B in params),
                        optimizer=opt, nudge_step=nudge, loss=loss, settings=settings, dataset=dataset)
