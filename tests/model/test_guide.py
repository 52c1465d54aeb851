"""Lesson guides: the shipped ones load, say true things, and can be walked; bad ones fail in one line."""

import json
import re

import numpy as np
import pytest

from nnviz.model.session import TrainingSession
from nnviz.model.data.datasets import SIGN, answer_name, correct, exactly_right, smile_population
from nnviz.model.errors import DataFormatError, NNVizError
from nnviz.model.guide import (
    ACTIONS, CHECKS, EXPLORE_TABS, FACTS, MAX_SENTENCES, TARGETS, GuideProgress, builtin_guide, check_holds,
    default_facts, guide_from_dict, load_guide, sentences,
)
from nnviz.model.lessons import LESSONS
from nnviz.resources import resource_path

GUIDED = ("smile", "mnist", "digits", "conv", "mnist-conv")


def guide_dict(**step_changes) -> dict:
    """A small valid guide whose third step ("Nudge one weight") gets ``step_changes``."""
    steps = [{"title": "Look", "text": "Look at it.", "target": "pixelEditor"},
             {"title": "Step", "text": "Press Step.", "target": None, "action": {"do": "step"},
              "check": {"iteration_at_least": 1}},
             {"title": "Nudge one weight", "text": "Nudge it.", "target": "weightPanel",
              "check": {"weight_edited": True}}]
    steps[2].update(step_changes)
    steps[2] = {k: v for k, v in steps[2].items() if v is not ...}
    return {"lesson": "smile", "title": "Test", "steps": steps}


# -- the shipped guides -----------------------------------------------------------------------------

@pytest.mark.parametrize("lesson", GUIDED)
def test_every_shipped_guide_loads_and_fits_the_format(lesson):
    g = builtin_guide(lesson)
    assert g is not None and g.lesson == lesson and lesson in LESSONS
    assert 6 <= len(g.steps) <= 14
    titles = [s.title for s in g.steps]
    assert len(set(titles)) == len(titles)
    for s in g.steps:
        assert 1 <= sentences(s.text) <= MAX_SENTENCES, s.title
        assert s.target in TARGETS
        if s.action is not None:
            assert s.action["do"] in ACTIONS
        if s.check is not None:
            assert set(s.check) <= set(CHECKS)
        else:
            assert s.action is None or s.action["do"] in ("load_example", "paint", "select_neuron", "open_tab")
    # a guide is data: what the file holds is what the loader gives back
    raw = json.loads(resource_path("guides", f"{lesson}.json").read_text(encoding="utf-8"))
    assert guide_from_dict(g.to_dict()) == g == guide_from_dict(raw)


def test_every_lesson_has_a_guide():
    """The README promises a guide for each lesson."""
    assert set(GUIDED) == set(LESSONS) and all(builtin_guide(name) is not None for name in LESSONS)
    assert builtin_guide("no-such-lesson") is None


def test_the_sentence_counter_reads_numbers_and_abbreviations():
    assert sentences("Scores of 2.0, 1.0 and 0.1 become 0.7, 0.2 and 0.1.") == 1
    assert sentences("One. Two! 85 three? e.g. four.") == 3
    assert sentences("σ(w·a + b) squashes it. Then") == 2


def _texts(lesson):
    return " ".join(f"{s.title} {s.text}" for s in builtin_guide(lesson).steps)


def _numbers(text):
    return set(re.findall(r"\d[\d,]*(?:\.\d+)?", text))


def test_smile_numbers_match_the_lesson():
    text, lesson = _texts("smile"), LESSONS["smile"]
    ds = lesson.build().dataset
    assert {"3", "4", "12", "4,096", "1", "120"} <= _numbers(text)
    assert len(smile_population()) == 4096 and ds.x_train.shape == (4, 12) and ds.image_shape == (4, 3)
    assert lesson.settings.nudge_step == 1.0 and lesson.init == "zeros" and not lesson.bias


def test_mnist_numbers_match_the_lesson():
    text = _texts("mnist")
    t = LESSONS["mnist"].build()
    assert t.network.n_parameters == 13002 == 784 * 16 + 16 * 16 + 16 * 10 + 16 + 16 + 10
    assert tuple(t.network.sizes) == (784, 16, 16, 10) and t.network.hidden == "sigmoid"
    assert len(t.dataset.x_train) == 4000 and t.settings.batch_size == 32 and t.steps_per_epoch == 125
    assert t.settings.learning_rate == 0.5
    assert {"784", "28", "16", "13,002", "4,000", "125", "32", "0.5"} <= _numbers(text)


def test_digits_numbers_match_the_lesson():
    text = _texts("digits")
    t = LESSONS["digits"].build()
    assert tuple(t.network.sizes) == (64, 128, 32, 10) and t.network.hidden == "relu"
    s = t.settings
    assert (s.learning_rate, s.batch_size, s.optimizer, s.loss) == (0.01, 16, "sgd", "cross_entropy")
    assert (len(t.dataset.x_train), len(t.dataset.x_test), t.steps_per_epoch) == (1347, 450, 85)
    assert {"64", "128", "32", "0.01", "16", "85", "1,347", "450"} <= _numbers(text)
    p = np.exp([2.0, 1.0, 0.1]) / np.exp([2.0, 1.0, 0.1]).sum()
    assert [round(float(v), 1) for v in p] == [0.7, 0.2, 0.1] and "2.0, 1.0 and 0.1" in text


def _parameters(layer_weights, biases) -> list[int]:
    return [int(w.size + b.size) for w, b in zip(layer_weights, biases)]


def test_conv_numbers_match_the_lesson():
    text, t = _texts("conv"), LESSONS["conv"].build()
    net = t.network
    conv, pool, flat, dense = net.layers
    assert (conv.type, conv.kernel, conv.in_shape, conv.out_shape) == ("conv", 3, (1, 8, 8), (8, 8, 8))
    assert (pool.type, pool.out_shape, flat.out_shape, dense.out_shape) == ("maxpool", (8, 4, 4), (128,), (10,))
    assert _parameters(net.weights, net.biases) == [8 * 9 + 8, 128 * 10 + 10] == [80, 1290]
    assert net.n_parameters == 1370 == 80 + 1290
    digits = LESSONS["digits"].build().network
    assert tuple(digits.sizes) == (64, 128, 32, 10) and digits.n_parameters == 12778
    assert (len(t.dataset.x_train), t.settings.batch_size, t.steps_per_epoch) == (1347, 32, 43)
    assert 10 * t.steps_per_epoch == 430 and conv.padding == 1
    assert {"8", "64", "3", "9", "80", "128", "1,290", "1,370", "12,778", "1,347", "43", "32", "430",
            "10"} <= _numbers(text)
    assert "8 × 9" in text and "8 × 4 × 4 = 128" in text and "128 × 10 + 10 = 1,290" in text
    assert "64 → 128 → 32 → 10" in text and "2×2" in text and pool.size == 2
    assert "12,810" not in LESSONS["conv"].description and "12,778" in LESSONS["conv"].description


def test_mnist_conv_numbers_match_the_lesson():
    text, t = _texts("mnist-conv"), LESSONS["mnist-conv"].build()
    net = t.network
    c1, p1, c3, p3, flat, dense = net.layers
    assert (c1.kernel, c1.in_shape, c1.out_shape, c1.padding) == (5, (1, 28, 28), (8, 24, 24), 0)
    assert (p1.out_shape, c3.kernel, c3.out_shape, p3.out_shape, flat.out_shape) == (
        (8, 12, 12), 5, (16, 8, 8), (16, 4, 4), (256,))
    assert _parameters(net.weights, net.biases) == [8 * 25 + 8, 16 * 8 * 25 + 16, 256 * 10 + 10] == [208, 3216, 2570]
    assert net.n_parameters == 5994 and 2 * net.n_parameters < LESSONS["mnist"].build().network.n_parameters == 13002
    assert (len(t.dataset.x_train), t.settings.batch_size, t.steps_per_epoch) == (4000, 32, 125)
    assert 2 * t.steps_per_epoch == 250 and 24 * 24 == 576 and 28 * 28 == 784
    assert {"28", "784", "8", "5", "25", "24", "208", "3,216", "2,570", "5,994", "13,002", "16", "200", "256",
            "576", "4,000", "125", "250", "12"} <= _numbers(text)
    assert "8 × 25 = 200" in text and "16 × 4 × 4 = 256" in text and "256 × 10 + 10 = 2,570" in text
    assert "16 × 8 × 25 + 16 = 3,216" in text and "24 × 24" in text and "fewer than half the 13,002" in text


# -- walking each guide on a real session, the app's part played here -----------------------------

class Walker:
    """Performs guide actions on a TrainingSession and reports its facts, as the app does."""

    def __init__(self, lesson):
        self.s = TrainingSession()
        self.s.load_lesson(lesson)
        self.lesson, self.painted, self.selected, self.tab, self.edits = lesson, None, None, "", 0
        self.inputs, self.picked, self.picks = 0, None, 0

    def facts(self) -> dict:
        t = self.s.trainer
        net, ds = t.network, t.dataset
        exact = int(exactly_right(net.predict(ds.x_train), ds.y_train).sum()) if ds.task == SIGN else 0
        answer = None if self.painted is None else answer_name(ds.task, ds.class_names,
                                                               net.predict(self.painted[None])[0])
        return default_facts(
            lesson=self.lesson, iteration=t.iteration, epoch=t.epoch, exactly_right=exact, n_train=len(ds.x_train),
            answer=answer, painted=self.painted is not None and bool(self.painted.any()),
            selected_neuron=self.selected, settings=t.settings.to_dict(), hidden=net.hidden,
            test_accuracy=float(correct(ds.task, net.predict(ds.x_test), ds.y_test).mean()),
            weight_edits=self.edits, tab=self.tab, input=self.inputs, picked_pixel=self.picked,
            pixel_picks=self.picks)

    def perform(self, action, check) -> None:
        do, s, t = action["do"], self.s, self.s.trainer
        if do == "step":
            s.step(action.get("n", 1))
        elif do == "run":  # until the step's check holds (the learner pauses), at most 20 epochs
            for _ in range(80):
                s.step(max(1, t.steps_per_epoch // 4))
                if check_holds(check, self.facts()):
                    break
        elif do == "set":
            s.change_settings({action["setting"]: action["value"]})
        elif do == "select_neuron":
            self.selected = (action["layer"], action["neuron"])
        elif do == "load_example":
            self.painted = getattr(t.dataset, f"x_{action['split']}")[action["index"]].copy()
            self.inputs += 1
        elif do == "paint":
            img = np.zeros(t.dataset.image_shape, np.float32)
            for r, c in action["pixels"]:
                img[r, c] = 1.0
            self.painted = img.reshape(-1)
            self.inputs += 1
        elif do == "select_pixel":
            self.picked, self.picks = (action["layer"], action["channel"], action["row"], action["col"]), self.picks + 1
        elif do == "open_tab":
            self.tab = action["title"]
        elif do == "rebuild":
            s.rebuild(action.get("hidden_sizes"), action["activation"])
        elif do == "set_weight":
            t.network.weights[action["layer"]][action["neuron"]].flat[action["index"]] = action["value"]
            self.edits += 1
        else:
            raise AssertionError(f"the walker does not know {do!r}")


@pytest.mark.parametrize("lesson", GUIDED)
def test_show_me_performs_every_step_of_every_guide(lesson):
    """A learner who presses Show me at each step (Next after reading) sees every check hold."""
    g, w = builtin_guide(lesson), Walker(lesson)
    p = GuideProgress(g)
    p.advance(w.facts())
    while not p.finished:
        i, step = p.current, p.step
        if not p.done[i]:
            assert step.action is not None, f"step {i + 1} {step.title!r} can neither be shown nor is it read"
            p.advance(w.facts())  # another frame, nothing done: a step that asks waits for the learner
            assert not p.done[i] and p.current == i, f"step {i + 1} {step.title!r} ticked by itself"
            if lesson in ("conv", "mnist-conv"):  # not even by what an earlier step left on screen...
                assert not check_holds(step.check, w.facts()) or step.check == {"painted": True}, step.title
            w.perform(step.action, step.check)
            p.advance(w.facts())
            assert p.done[i], f"step {i + 1} {step.title!r}: its check does not hold after Show me: {step.check}"
        if p.current == i:  # read, or already done when shown: the learner presses Next
            p.next()
            p.advance(w.facts())
    assert all(p.done)


def test_the_smile_story_happens_as_told():
    w = Walker("smile")
    assert w.facts()["exactly_right"] == 0
    w.s.step(1)
    out = w.s.trainer.network.predict(w.s.trainer.dataset.x_train)[:, 0]
    assert list(out) == [1, 3, -1, -1]  # three of four exactly right, the grin gives 3
    w.s.step(119)
    f = w.facts()
    assert check_holds({"all_exactly_right": True}, f)
    w.perform({"do": "load_example", "split": "test", "index": 4}, None)  # the flat mouth, low
    assert w.facts()["answer"] == "smile"


# -- bad guides: one line, naming the step ---------------------------------------------------------

@pytest.mark.parametrize("changes, problem", [
    ({"check": {"foo": 1}}, 'unknown check "foo"'),
    ({"text": ...}, 'missing "text"'),
    ({"text": "One. Two. Three. Four."}, "at most 3 short sentences"),
    ({"target": "nowhere"}, "unknown target 'nowhere'"),
    ({"action": {"do": "fly"}}, 'unknown action \'fly\''),
    ({"action": {"do": "step", "n": 0}}, "action 'step': n must be a whole number ≥ 1"),
    ({"action": {"do": "step", "times": 2}}, "unknown parameter 'times'"),
    ({"action": {"do": "set_weight", "layer": 0, "neuron": 0, "index": 1}}, "needs 'value'"),
    ({"action": {"do": "set", "setting": "batch_size", "value": 0}}, "batch size must be"),
    ({"action": {"do": "set", "setting": "speed", "value": 1}}, "setting must be one of"),
    ({"action": {"do": "open_tab", "title": "Nope"}}, "title must be one of"),
    ({"check": {"iteration_at_least": 1, "painted": True}}, "a check must be a dict with one key"),
    ({"check": {"setting": {"colour": "red"}}}, "unknown setting 'colour'"),
    ({"check": {"neuron_selected": {"layer": 0}}}, "neuron_selected"),
    ({"check": {"any": []}}, "non-empty list of checks"),
    ({"check": {"all": [{"painted": False}]}}, "check 'painted' must be true"),
    ({"check": {"test_accuracy_at_least": 90}}, "between 0 and 1"),
    ({"colour": "red"}, "unknown key(s) 'colour'"),
])
def test_a_bad_step_gives_one_line_naming_it(changes, problem):
    with pytest.raises(DataFormatError) as e:
        guide_from_dict(guide_dict(**changes))
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith('bad guide: step 3 "Nudge one weight": ') and problem in msg, msg


def test_a_step_without_a_title_is_named_by_its_number():
    data = guide_dict()
    del data["steps"][1]["title"]
    with pytest.raises(DataFormatError, match=r'^bad guide: step 2: missing "title"$'):
        guide_from_dict(data)


@pytest.mark.parametrize("data, problem", [
    ([], "must be a JSON object"), ({"lesson": "smile", "title": "T", "steps": []}, '"steps" must be a non-empty'),
    ({"title": "T", "steps": [{}]}, 'missing "lesson"'), ({**guide_dict(), "extra": 1}, "unknown key(s) 'extra'"),
])
def test_a_bad_guide_gives_one_line(data, problem):
    with pytest.raises(NNVizError) as e:
        guide_from_dict(data)
    assert problem in str(e.value) and "\n" not in str(e.value)


def test_bad_files_name_the_file_and_the_line(tmp_path):
    bad = tmp_path / "g.json"
    bad.write_text('{"lesson": "smile",\n  "title": "T",\n  "steps": [,]}', encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"g\.json: bad guide: not valid JSON at line 3, column 13"):
        load_guide(bad)
    bad.write_bytes(b"\xff\xfe{")
    with pytest.raises(DataFormatError, match="not UTF-8"):
        load_guide(bad)
    with pytest.raises(DataFormatError, match="cannot read the guide"):
        load_guide(tmp_path / "missing.json")
    good = tmp_path / "ok.json"
    good.write_text(json.dumps(guide_dict()), encoding="utf-8")
    assert len(load_guide(good).steps) == 3
    bad.write_text(json.dumps(guide_dict(check={"foo": 1})), encoding="utf-8")
    with pytest.raises(DataFormatError) as e:
        load_guide(bad)
    assert str(e.value).startswith(f"{bad}: bad guide: step 3")


# -- checks are pure functions of the facts --------------------------------------------------------

@pytest.mark.parametrize("check, facts, holds", [
    ({"viewed": True}, {}, True),
    ({"iteration_at_least": 1}, {"iteration": 0}, False), ({"iteration_at_least": 1}, {"iteration": 1}, True),
    ({"epoch_at_least": 2}, {"epoch": 1}, False), ({"epoch_at_least": 2}, {"epoch": 2}, True),
    ({"exactly_right_at_least": 3}, {"exactly_right": 3, "n_train": 4}, True),
    ({"exactly_right_at_least": 3}, {"exactly_right": 2, "n_train": 4}, False),
    ({"all_exactly_right": True}, {"exactly_right": 4, "n_train": 4}, True),
    ({"all_exactly_right": True}, {"exactly_right": 3, "n_train": 4}, False),
    ({"all_exactly_right": True}, {"exactly_right": 0, "n_train": 0}, False),
    ({"answer_is": "smile"}, {"answer": "smile"}, True), ({"answer_is": "smile"}, {"answer": "not a smile"}, False),
    ({"answer_is": "smile"}, {"answer": None}, False),
    ({"painted": True}, {"painted": True}, True), ({"painted": True}, {}, False),
    ({"neuron_selected": True}, {"selected_neuron": (1, 0)}, True),
    ({"neuron_selected": True}, {"selected_neuron": None}, False),
    ({"neuron_selected": {"layer_at_least": 1}}, {"selected_neuron": (2, 5)}, True),
    ({"neuron_selected": {"layer": 1}}, {"selected_neuron": (2, 5)}, False),
    ({"neuron_selected": {"layer": 2, "neuron": 5}}, {"selected_neuron": [2, 5]}, True),
    ({"setting": {"method": "nudge"}}, {"settings": {"method": "nudge"}}, True),
    ({"setting": {"method": "nudge"}}, {"settings": {"method": "gradient"}}, False),
    ({"setting": {"learning_rate": 0.1}}, {"settings": {"learning_rate": 0.1000000001}}, True),
    ({"setting": {"learning_rate": 0.1}}, {}, False),
    ({"setting_above": {"l2": 0}}, {"settings": {"l2": 0.0}}, False),
    ({"setting_above": {"l2": 0}}, {"settings": {"l2": 1e-4}}, True),
    ({"setting_below": {"learning_rate": 0.5}}, {"settings": {"learning_rate": 0.1}}, True),
    ({"hidden_is": "relu"}, {"hidden": "relu"}, True), ({"hidden_is": "relu"}, {"hidden": "sigmoid"}, False),
    ({"test_accuracy_at_least": 0.9}, {"test_accuracy": 0.91}, True),
    ({"test_accuracy_at_least": 0.9}, {"test_accuracy": None}, False),
    ({"weight_edited": True}, {"weight_edits": 0}, False), ({"weight_edited": True}, {"weight_edits": 2}, True),
    ({"tab_shown": "Smile population"}, {"tab": "Smile population"}, True),
    ({"tab_shown": "Smile population"}, {"tab": ""}, False),
    ({"any": [{"painted": True}, {"iteration_at_least": 1}]}, {"iteration": 1}, True),
    ({"all": [{"painted": True}, {"iteration_at_least": 1}]}, {"iteration": 1}, False),
])
def test_checks_are_pure_functions_of_the_facts(check, facts, holds):
    guide_from_dict(guide_dict(check=check))  # every check here is valid
    before = json.dumps(facts, default=list)
    assert check_holds(check, facts) is holds
    assert check_holds(check, facts) is holds and json.dumps(facts, default=list) == before  # untouched


def test_every_check_and_fact_is_documented():
    import nnviz.model.guide as guide
    for name in [*CHECKS, *ACTIONS, *FACTS]:
        assert f"``{name}``" in guide.__doc__, name
    assert set(EXPLORE_TABS) and default_facts(iteration=3)["iteration"] == 3
    with pytest.raises(KeyError):
        default_facts(itertion=3)


# -- progress ----------------------------------------------------------------------------------------

def test_progress_reads_ticks_and_moves_on_when_the_learner_does_it():
    g = guide_from_dict(guide_dict())
    p = GuideProgress(g)
    assert p.advance(default_facts())  # step 1 is read: done once shown, but the guide waits for Next
    assert p.done == [True, False, False] and p.current == 0
    assert not p.advance(default_facts(painted=True))
    p.next()
    assert p.current == 1 and not p.advance(default_facts())  # step 2 judged: not yet
    assert p.advance(default_facts(iteration=1))  # the learner pressed Step: ticked, on to step 3
    assert p.done == [True, True, False] and p.current == 2
    assert p.advance(default_facts(iteration=1, weight_edits=1))
    assert p.finished and all(p.done) and p.step is None
    assert not p.advance(default_facts(iteration=5))


def test_a_step_whose_check_already_holds_waits_for_the_learner():
    """Issue 25: a step that asks for something ticks only on something done after it opened."""
    p = GuideProgress(guide_from_dict(guide_dict()))
    p.go(1)
    assert not p.advance(default_facts(iteration=7))  # already past iteration 1: not ticked for it
    assert not p.advance(default_facts(iteration=7, painted=True))  # a fact the check does not read
    assert not p.done[1] and p.current == 1
    assert p.advance(default_facts(iteration=8, painted=True))  # the learner stepped: ticked, on to step 3
    assert p.done[1] and p.current == 2
    p.back()
    assert p.current == 1 and p.done[1]
    assert not p.advance(default_facts(iteration=9))  # done flags stick; a done step is read, not skipped
    p.go(99)
    assert p.finished
    p.restart()
    assert p.current == 0 and p.done == [False] * 3


def test_a_tab_already_open_or_a_face_already_painted_does_not_tick_a_step():
    g = guide_from_dict({"lesson": "conv", "title": "T", "steps": [
        {"title": "Tab", "text": "Open it.", "target": "exploreTabs", "check": {"tab_shown": "What a neuron wants"}},
        {"title": "Paint", "text": "Paint.", "target": "pixelEditor", "check": {"painted": True}},
        {"title": "Pick", "text": "Click one.", "target": "featureMaps", "check": {"pixel_picked": {"layer": 2}}}]})
    p = GuideProgress(g)
    wants = default_facts(tab="What a neuron wants", painted=True, input=(1, 4), picked_pixel=(2, 0, 1, 1),
                          pixel_picks=3)
    assert not p.advance(wants) and not p.done[0]
    assert not p.advance({**wants, "tab": "Mistakes"})  # away ...
    assert p.advance(wants) and p.current == 1  # ... and back: the learner opened it
    assert not p.advance(wants)  # the painting from before
    assert p.advance({**wants, "input": (2, 5)}) and p.current == 2  # another stroke
    assert not p.advance({**wants, "input": (2, 5), "picked_pixel": (1, 0, 3, 3), "pixel_picks": 4})  # layer 1
    assert p.advance({**wants, "input": (2, 5), "pixel_picks": 5}) and p.finished  # the same pixel, clicked again


def test_progress_survives_a_round_trip_and_drops_what_does_not_fit():
    g = guide_from_dict(guide_dict())
    p = GuideProgress(g)
    p.advance(default_facts())
    p.next()
    p.advance(default_facts())
    saved = json.loads(json.dumps(p.to_dict()))
    q = GuideProgress.from_dict(g, saved)
    assert (q.current, q.done) == (1, [True, False, False])
    other = guide_from_dict({**guide_dict(), "steps": guide_dict()["steps"][:2]})
    assert GuideProgress.from_dict(other, saved).state() == (0, (False, False))
    for junk in (None, {}, {"done": "yes"}, {**saved, "current": "x"}, {**saved, "lesson": "mnist"}, []):
        assert GuideProgress.from_dict(g, junk).state() == (0, (False, False, False))
