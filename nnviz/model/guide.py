"""Guides: a lesson told step by step next to the widgets it talks about — as data, not code.

One JSON file per lesson ships as ``resources/guides/<lesson>.json`` (``builtin_guide``); a ``.nnviz``
lesson file can carry the same structure as a dict (``guide_from_dict``).

Format::

    {"lesson": "smile", "title": "The smile detector, step by step",
     "steps": [{"title": "One round of nudges",            # short, shown in the list
                "text": "Press Step. ...",                  # 1–3 short sentences
                "target": "trainingPanel",                  # objectName to highlight, or null
                "action": {"do": "step", "n": 1},           # optional: what "Show me" does
                "check": {"iteration_at_least": 1}}, ...]}  # optional, default {"viewed": true}

``target`` is one of TARGETS. A step with no ``action`` has no "Show me".

Actions (ACTIONS: "do" and its parameters; the app performs them): ``step`` [n ≥ 1, default 1] · ``run`` ·
``pause`` · ``set`` setting (a TrainSettings field), value · ``select_neuron`` layer (≥ 1: activation
layers, input = 0, as the weight panel counts), neuron · ``load_example`` split ("train"/"test"), index ·
``paint`` pixels [[row, col], ...] (clear the editor, then ink those pixels) · ``open_tab`` title (an
Explore tab of EXPLORE_TABS) · ``rebuild`` activation (a hidden activation) [hidden_sizes: list, default
the current ones] · ``set_weight`` layer (≥ 0: weight layers, as ``weightPanel.set_weight``), neuron,
index (flat, into that neuron's incoming weights), value · ``rewind`` iteration · ``select_pixel`` layer (≥ 1:
a conv or pooling layer, counted as activations), channel, row, col (show how that feature-map pixel is made).

Checks (CHECKS; each a pure function of a facts dict, see ``check_holds``): ``viewed``: true (done once
the step is shown) · ``iteration_at_least`` n · ``epoch_at_least`` n · ``exactly_right_at_least`` n ·
``all_exactly_right``: true · ``answer_is`` class name · ``painted``: true · ``neuron_selected``: true |
{"layer": n} | {"layer_at_least": n} (either with "neuron": k) · ``setting`` {name: value} (equal) ·
``setting_above`` / ``setting_below`` {name: number} · ``hidden_is`` activation ·
``test_accuracy_at_least`` fraction · ``weight_edited``: true · ``tab_shown`` title · ``pixel_picked``: true |
{"layer": n} (either with "channel": k) · ``all`` / ``any`` [checks]. A check is a dict with exactly one key.

A step that asks for something (any check but ``viewed``) waits for the learner: it is ticked only when its
check holds after one of the facts it reads (READS) has changed since the step opened — never at once
because of what was already on screen (a face painted for an earlier step, a tab left open).

Facts (FACTS, what the app knows each frame; a missing key reads as its DEFAULT_FACTS value): ``lesson``
str · ``iteration`` int (of the shown snapshot) · ``epoch`` int · ``exactly_right`` int (training examples
whose output is exactly its ±1 target; 0 where targets are classes) · ``n_train`` int · ``answer`` str |
None (the readout's answer for the painted input, e.g. "smile", "not a smile", "undecided", "7"; None:
nothing painted) · ``painted`` bool (the editor holds a non-blank input) · ``selected_neuron`` (layer,
neuron) | None · ``settings`` dict (the TrainSettings fields) · ``hidden`` str · ``test_accuracy`` float |
None (None while running) · ``weight_edits`` int (hand edits in this run) · ``tab`` str (the Explore tab
shown, "" none) · ``input`` (changes whenever the editor's input does:
a stroke, a loaded image; its value means nothing else) · ``picked_pixel`` (layer, channel, row, col) | None
(the feature-map pixel the learner last chose to see made) · ``pixel_picks`` int (how many they chose).

Loading validates everything and raises DataFormatError with one line naming the step and the problem
(``step 3 "Nudge one weight": unknown check "foo"``). ``GuideProgress`` is where a learner is in a guide;
``to_dict``/``from_dict`` let the app keep it per lesson.
"""

from __future__ import annotations

import json
import math
import re
import zlib
from dataclasses import dataclass, fields
from pathlib import Path

from .core.functions import HIDDEN_ACTIVATIONS
from .core.settings import TrainSettings
from ..resources import resource_path
from .errors import DataFormatError, SettingsError

MAX_SENTENCES = 3
MAX_TEXT = 480  # characters: three short sentences in a 320-pixel-wide dock
MAX_TITLE = 80
MAX_STEPS = 60

#: the convolution nets' own panels (built when a conv lesson first shows)
CONV_TARGETS = ("convNetworkView", "featureMaps", "featurePixel", "kernelGrid")
#: objectNames a step may point at (the main window's panels and a few of their parts)
TARGETS = ("pixelEditor", "weightPanel", "activationView", "trainingPanel", "predictionReadout", "timelineBar",
           "exploreTabs", "datasetBrowser", "lessonDescription", "trainingPlots", "stepButton", "step_nButton",
           "runButton", "methodCombo", "weightInfo", "iterationLabel", "epochLabel",
           *CONV_TARGETS)
#: the Explore tabs' titles (nnviz.qt.explore; a Qt test checks they match)
EXPLORE_TABS = ("Nudge vs gradient", "Where learning happens", "Mistakes", "What a neuron wants",
                "Smile population", "Learning-rate probe")
SETTINGS = tuple(f.name for f in fields(TrainSettings))

#: every fact the app provides, with what it reads as before anything happened
DEFAULT_FACTS = {"lesson": "", "iteration": 0, "epoch": 0, "exactly_right": 0, "n_train": 0, "answer": None,
                 "painted": False, "selected_neuron": None, "settings": {}, "hidden": "", "test_accuracy": None,
                 "weight_edits": 0, "tab": "", "input": None,
                 "picked_pixel": None, "pixel_picks": 0}
FACTS = tuple(DEFAULT_FACTS)


class _Bad(Exception):
    """One problem in one place of a guide; turned into DataFormatError with the step named."""


# -- parameter kinds: each returns a problem (str) or None --------------------------------------

def _kind(ok, what: str):
    return lambda v: None if ok(v) else f"must be {what} (got {_short(v)})"


def _isint(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _isnum(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _int(lo):
    return _kind(lambda v: _isint(v) and v >= lo, f"a whole number ≥ {lo}")


def _one_of(options):
    return _kind(lambda v: isinstance(v, str) and v in options, f"one of {', '.join(options)}")


_number = _kind(_isnum, "a number")
_true = _kind(lambda v: v is True, "true")
_text = _kind(lambda v: isinstance(v, str) and bool(v.strip()), "a non-empty string")
_fraction = _kind(lambda v: _isnum(v) and 0 <= v <= 1, "a number between 0 and 1")
_pixels = _kind(lambda v: isinstance(v, list) and bool(v) and all(
    isinstance(p, list) and len(p) == 2 and all(_isint(c) and c >= 0 for c in p) for p in v),
    "a non-empty list of [row, column] pairs of whole numbers ≥ 0")
_sizes = _kind(lambda v: isinstance(v, list) and bool(v) and all(_isint(n) and n >= 1 for n in v),
               "a non-empty list of layer sizes ≥ 1")
_value = _kind(lambda v: _isnum(v) or isinstance(v, str), "a number or a name")


def _settings_map(value_kind):
    def check(v):
        if not isinstance(v, dict) or not v:
            return f"must be a dict of setting names to values (got {_short(v)})"
        for k, val in v.items():
            if k not in SETTINGS:
                return f"names an unknown setting {k!r} (settings: {', '.join(SETTINGS)})"
            if value_kind is not None and (p := value_kind(val)):
                return f"{k} {p}"
        return None
    return check


def _neuron_spec(v):
    ok = v is True or (isinstance(v, dict) and bool(v) and set(v) <= {"layer", "layer_at_least", "neuron"}
                       and not {"layer", "layer_at_least"} <= set(v)
                       and all(_isint(n) and n >= (0 if k == "neuron" else 1) for k, n in v.items()))
    return None if ok else ('must be true or a dict of "layer" or "layer_at_least" (≥ 1) and/or "neuron" '
                            f"(got {_short(v)})")


def _pixel_spec(v):
    ok = v is True or (isinstance(v, dict) and bool(v) and set(v) <= {"layer", "channel"}
                       and all(_isint(n) and n >= (0 if k == "channel" else 1) for k, n in v.items()))
    return None if ok else f'must be true or a dict of "layer" (≥ 1) and/or "channel" (got {_short(v)})'


def _pixel_holds(spec, facts) -> bool:
    pick = _f(facts, "picked_pixel")
    if pick is None or spec is True:
        return pick is not None
    return int(pick[0]) == spec.get("layer", int(pick[0])) and int(pick[1]) == spec.get("channel", int(pick[1]))


#: action name -> ({required parameter: kind}, {optional parameter: kind})
ACTIONS = {
    "step": ({}, {"n": _int(1)}),
    "run": ({}, {}),
    "pause": ({}, {}),
    "set": ({"setting": _one_of(SETTINGS), "value": _value}, {}),
    "select_neuron": ({"layer": _int(1), "neuron": _int(0)}, {}),
    "load_example": ({"split": _one_of(("train", "test")), "index": _int(0)}, {}),
    "paint": ({"pixels": _pixels}, {}),
    "open_tab": ({"title": _one_of(EXPLORE_TABS)}, {}),
    "rebuild": ({"activation": _one_of(HIDDEN_ACTIVATIONS)}, {"hidden_sizes": _sizes}),
    "set_weight": ({"layer": _int(0), "neuron": _int(0), "index": _int(0), "value": _number}, {}),
    "rewind": ({"iteration": _int(0)}, {}),
    "select_pixel": ({"layer": _int(1), "channel": _int(0), "row": _int(0), "col": _int(0)}, {}),
}


# -- checks: the parameter's kind and the test on the facts -------------------------------------

def _f(facts, key):
    return facts.get(key, DEFAULT_FACTS[key])


def _neuron_holds(spec, facts) -> bool:
    sel = _f(facts, "selected_neuron")
    if sel is None or spec is True:
        return sel is not None
    layer, neuron = int(sel[0]), int(sel[1])
    return (layer == spec.get("layer", layer) and layer >= spec.get("layer_at_least", 0)
            and neuron == spec.get("neuron", neuron))


def _settings_hold(op: str):
    """holds(spec, facts) for setting ("=="; numbers to 6 digits: a spin box's 0.1 is the file's),
    setting_above (">") and setting_below ("<")."""
    def holds(spec, facts) -> bool:
        have = _f(facts, "settings") or {}
        for k, want in spec.items():
            v = have.get(k)
            if op == "==":
                ok = math.isclose(v, want, rel_tol=1e-6) if _isnum(v) and _isnum(want) else v == want
            else:
                ok = _isnum(v) and (v > want if op == ">" else v < want)
            if not ok:
                return False
        return True
    return holds


#: check name -> (kind of its parameter, holds(parameter, facts) -> bool)
CHECKS = {
    "viewed": (_true, lambda _, facts: True),
    "iteration_at_least": (_int(0), lambda n, f: (_f(f, "iteration") or 0) >= n),
    "epoch_at_least": (_int(0), lambda n, f: (_f(f, "epoch") or 0) >= n),
    "exactly_right_at_least": (_int(1), lambda n, f: (_f(f, "exactly_right") or 0) >= n),
    "all_exactly_right": (_true, lambda _, f: 0 < (_f(f, "n_train") or 0) <= (_f(f, "exactly_right") or 0)),
    "answer_is": (_text, lambda name, f: _f(f, "answer") == name),
    "painted": (_true, lambda _, f: bool(_f(f, "painted"))),
    "neuron_selected": (_neuron_spec, _neuron_holds),
    "setting": (_settings_map(None), _settings_hold("==")),
    "setting_above": (_settings_map(_number), _settings_hold(">")),
    "setting_below": (_settings_map(_number), _settings_hold("<")),
    "hidden_is": (_one_of(HIDDEN_ACTIVATIONS), lambda name, f: _f(f, "hidden") == name),
    "test_accuracy_at_least": (_fraction, lambda a, f: _f(f, "test_accuracy") is not None
                               and _f(f, "test_accuracy") >= a),
    "weight_edited": (_true, lambda _, f: (_f(f, "weight_edits") or 0) >= 1),
    "tab_shown": (_one_of(EXPLORE_TABS), lambda title, f: _f(f, "tab") == title),
    "pixel_picked": (_pixel_spec, _pixel_holds),
    "all": (None, lambda checks, f: all(check_holds(c, f) for c in checks)),
    "any": (None, lambda checks, f: any(check_holds(c, f) for c in checks)),
}
VIEWED = {"viewed": True}

#: check name -> the facts it reads: what the learner must change after a step opens for it to tick
#: (a step's count of training iterations is read too where the check is about training, since a
#: step or a rewind is what moves it; the editor's ``input`` where it is about the painting, since
#: another stroke leaves ``painted`` true)
READS = {"viewed": (), "iteration_at_least": ("iteration",), "epoch_at_least": ("iteration", "epoch"),
         "exactly_right_at_least": ("iteration", "exactly_right"), "all_exactly_right": ("iteration", "exactly_right"),
         "answer_is": ("input", "answer"), "painted": ("input", "painted"), "neuron_selected": ("selected_neuron",),
         "setting": ("settings",), "setting_above": ("settings",), "setting_below": ("settings",),
         "hidden_is": ("hidden",), "test_accuracy_at_least": ("iteration", "test_accuracy"),
         "weight_edited": ("weight_edits",), "tab_shown": ("tab",), "pixel_picked": ("pixel_picks", "picked_pixel")}


def reads(check: dict) -> tuple[str, ...]:
    """The facts a (validated) check reads, in FACTS order (``all`` / ``any``: their checks')."""
    (name, param), = check.items()
    keys = {k for c in param for k in reads(c)} if name in ("all", "any") else set(READS[name])
    return tuple(k for k in FACTS if k in keys)


def check_holds(check: dict, facts: dict) -> bool:
    """Does a (validated) check hold for these facts? Pure: the same facts, the same answer."""
    (name, param), = check.items()
    return bool(CHECKS[name][1](param, facts))


def default_facts(**changes) -> dict:
    """DEFAULT_FACTS with some keys replaced (unknown keys are a mistake in the caller)."""
    if unknown := set(changes) - set(FACTS):
        raise KeyError(f"unknown fact(s): {', '.join(sorted(unknown))}")
    return {**DEFAULT_FACTS, **changes}


def _short(v) -> str:
    s = json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else repr(v)
    return s if len(s) <= 40 else s[:37] + "…"


def sentences(text: str) -> int:
    """Sentence ends: . ! ? before a space and a capital/digit, or the text's end ("2.0", "e.g. x": none)."""
    text = text.strip()
    ends = re.findall(r"[.!?…](?=\s+[\"“(]?[A-Z0-9])", text)
    return len(ends) + 1 if text else 0  # the last sentence, with or without its full stop


def _need(ok, problem: str) -> None:
    if not ok:
        raise _Bad(problem)


def _validate_check(check, depth: int = 0) -> None:
    _need(isinstance(check, dict) and len(check) == 1,
          f'a check must be a dict with one key, e.g. {{"iteration_at_least": 1}} (got {_short(check)})')
    (name, param), = check.items()
    _need(name in CHECKS, f"unknown check {json.dumps(name)} (checks: {', '.join(CHECKS)})")
    kind = CHECKS[name][0]
    if kind is None:  # all / any
        _need(depth < 3 and isinstance(param, list) and param,
              f"check {name!r} takes a non-empty list of checks, nested at most 3 deep")
        for c in param:
            _validate_check(c, depth + 1)
    elif (p := kind(param)) is not None:
        raise _Bad(f"check {name!r} {p}")


def _validate_action(action) -> None:
    _need(isinstance(action, dict) and "do" in action,
          f'an action must be a dict with "do", e.g. {{"do": "step", "n": 1}} (got {_short(action)})')
    name = action["do"]
    _need(isinstance(name, str) and name in ACTIONS, f"unknown action {_short(name)} (actions: {', '.join(ACTIONS)})")
    required, optional = ACTIONS[name]
    for key in action:
        _need(key == "do" or key in required or key in optional, f"action {name!r} has an unknown parameter "
              f"{key!r} (takes: {', '.join([*required, *optional]) or 'nothing'})")
    for key, kind in {**required, **optional}.items():
        _need(key in action or key not in required, f"action {name!r} needs {key!r}")
        if key in action and (p := kind(action[key])) is not None:
            raise _Bad(f"action {name!r}: {key} {p}")
    if name == "set":  # the value must be one the setting accepts
        try:
            TrainSettings().changed(**{action["setting"]: action["value"]})
        except (SettingsError, TypeError, ValueError) as e:
            raise _Bad(f"action 'set': {e}") from None


@dataclass(frozen=True)
class Step:
    title: str
    text: str
    target: str | None = None
    action: dict | None = None
    check: dict | None = None  # None: {"viewed": true}

    def to_dict(self) -> dict:
        d = {"title": self.title, "text": self.text, "target": self.target}
        d.update({k: getattr(self, k) for k in ("action", "check") if getattr(self, k) is not None})
        return d


@dataclass(frozen=True)
class Guide:
    lesson: str
    title: str
    steps: tuple[Step, ...]

    def to_dict(self) -> dict:
        return {"lesson": self.lesson, "title": self.title, "steps": [s.to_dict() for s in self.steps]}

    @property
    def key(self) -> int:
        """Changes when the steps do: progress saved for another version of a guide is dropped."""
        return zlib.crc32("\n".join(s.title for s in self.steps).encode("utf-8"))


def _step(i: int, raw) -> Step:
    where = f"step {i + 1}"
    try:
        _need(isinstance(raw, dict), f"must be a dict with title and text (got {_short(raw)})")
        title = raw.get("title")
        _need(isinstance(title, str) and title.strip(), 'missing "title"')
        where = f'step {i + 1} "{title.strip()}"'
        unknown = set(raw) - {"title", "text", "target", "action", "check"}
        _need(not unknown, f"unknown key(s) {', '.join(sorted(map(repr, unknown)))}"
              " (a step has title, text, target, action, check)")
        _need(len(title) <= MAX_TITLE, f"title longer than {MAX_TITLE} characters")
        text = raw.get("text")
        _need(isinstance(text, str) and text.strip(), 'missing "text"')
        _need(len(text) <= MAX_TEXT and sentences(text) <= MAX_SENTENCES,
              f"text must be at most {MAX_SENTENCES} short sentences ({MAX_TEXT} characters)")
        target = raw.get("target")
        _need(target is None or (isinstance(target, str) and target in TARGETS),
              f"unknown target {_short(target)} (targets: {', '.join(TARGETS)}, or null)")
        action, check = raw.get("action"), raw.get("check")
        if action is not None:
            _validate_action(action)
        if check is not None:
            _validate_check(check)
        return Step(title.strip(), text.strip(), target, action, check)
    except _Bad as e:
        raise _Bad(f"{where}: {e}") from None


def guide_from_dict(data, source: str | Path | None = None) -> Guide:
    """A validated Guide from the format above; ``source`` (a file) is named in the error."""
    try:
        _need(isinstance(data, dict), f"a guide must be a JSON object with lesson, title and steps (got {_short(data)})")
        unknown = set(data) - {"lesson", "title", "steps"}
        _need(not unknown, f"guide: unknown key(s) {', '.join(sorted(map(repr, unknown)))} (lesson, title, steps)")
        for key in ("lesson", "title"):
            _need(isinstance(data.get(key), str) and data[key].strip(), f'guide: missing "{key}"')
        steps = data.get("steps")
        _need(isinstance(steps, list) and steps, 'guide: "steps" must be a non-empty list')
        _need(len(steps) <= MAX_STEPS, f"guide: more than {MAX_STEPS} steps")
        return Guide(data["lesson"].strip(), data["title"].strip(), tuple(_step(i, s) for i, s in enumerate(steps)))
    except _Bad as e:
        raise DataFormatError(source, f"bad guide: {e}") from None


def load_guide(path: str | Path) -> Guide:
    """Read and validate a guide file (UTF-8 JSON)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise DataFormatError(path, f"bad guide: not valid JSON at line {e.lineno}, column {e.colno}: {e.msg}") \
            from None
    except UnicodeDecodeError:
        raise DataFormatError(path, "bad guide: not UTF-8 text") from None
    except OSError as e:
        raise DataFormatError(path, f"cannot read the guide: {e.strerror or e}") from None
    return guide_from_dict(data, path)


def builtin_guide(lesson: str) -> Guide | None:
    """The guide shipped for a built-in lesson, or None when it has none."""
    path = resource_path("guides", f"{lesson}.json")
    return load_guide(path) if path.is_file() else None


# -- progress ----------------------------------------------------------------------------------

class GuideProgress:
    """Where a learner is in one guide: ``current`` (== len(steps) once the guide is over) and
    a done flag per step.

    ``advance(facts)`` is called with every new facts dict. The current step is judged when it
    is first shown: a ``viewed`` step is done at once; any other step remembers the facts its
    check reads (READS) and waits. It is ticked, and the guide moves on, when its check holds
    after one of those facts has changed since it opened (the learner, or Show me, did it: a
    check that already held on arrival does not tick by itself) — then the next step is judged
    at once on the same facts. Done flags stick: a rewind does not untick a step."""

    def __init__(self, guide: Guide):
        self.guide = guide
        self.done = [False] * len(guide.steps)
        self.current = 0
        self._fresh = True  # the current step has not been judged since it was shown
        self._opened: dict = {}  # the facts the current step's check reads, as it opened
        self._stirred = False  # one of them has changed since

    @property
    def finished(self) -> bool:
        return self.current >= len(self.guide.steps)

    @property
    def step(self) -> Step | None:
        return None if self.finished else self.guide.steps[self.current]

    def state(self) -> tuple:  # changes whenever what a view shows of the progress does
        return self.current, tuple(self.done)

    def go(self, index: int) -> None:
        """Make step ``index`` current (clamped; len(steps): the end); it is judged afresh."""
        self.current = max(0, min(len(self.guide.steps), int(index)))
        self._fresh = True

    def next(self) -> None: self.go(self.current + 1)  # skip: this step is not marked done
    def back(self) -> None: self.go(self.current - 1)

    def restart(self) -> None:
        self.done = [False] * len(self.guide.steps)
        self.go(0)

    def advance(self, facts: dict) -> bool:
        """Judge the current step on ``facts``; True when the progress changed."""
        before = self.state()
        for _ in range(2):  # the step that ends, then the one it moves on to
            step = self.step
            if step is None:
                break
            check = step.check or VIEWED
            keys = reads(check)
            if self._fresh:
                self._fresh, self._stirred = False, False
                self._opened = {k: _f(facts, k) for k in keys}
                self.done[self.current] = self.done[self.current] or not keys  # read: done once shown
                break
            self._stirred = self._stirred or any(_f(facts, k) != v for k, v in self._opened.items())
            if not self._stirred or self.done[self.current] or not check_holds(check, facts):
                break
            self.done[self.current] = True
            self.go(self.current + 1)
        return self.state() != before

    def to_dict(self) -> dict:
        return {"lesson": self.guide.lesson, "key": self.guide.key, "current": self.current, "done": list(self.done)}

    @classmethod
    def from_dict(cls, guide: Guide, data) -> "GuideProgress":
        """Progress saved by ``to_dict``; anything that does not fit this guide starts it afresh
        (saved progress is a convenience, never an error)."""
        p = cls(guide)
        try:
            done = data["done"]
            if (data.get("key") == guide.key and data.get("lesson") == guide.lesson and isinstance(done, list)
                    and len(done) == len(guide.steps) and all(isinstance(d, bool) for d in done)):
                p.go(int(data["current"]))  # first: a bad index leaves nothing half restored
                p.done = list(done)
        except (KeyError, TypeError, ValueError, AttributeError):
            pass
        return p
