"""The timeline: bounded memory, exact rewind, and continuing from a past state replays the run."""

import numpy as np
import pytest

from nnviz.model.lessons import get_lesson
from nnviz.model.timeline import Timeline


def _weights(t):
    return [w.copy() for w in t.network.weights] + [b.copy() for b in t.network.biases]


@pytest.mark.parametrize("lesson, optimizer", [("digits", "sgd"), ("digits", "adam"), ("mnist", "momentum"),
                                               ("smile", "sgd")])
def test_continue_from_k_matches_the_original_run(lesson, optimizer):
    t = get_lesson(lesson).build(seed=3)
    if lesson != "smile":
        t.apply_settings(optimizer=optimizer, dropout=0.2)
    line = Timeline()
    line.record(t.state())
    original = {}
    for _ in range(40):
        t.step()
        line.record(t.state())
        original[t.iteration] = _weights(t)
    losses = np.array(t.history.frozen()["loss"])
    t.restore(line.get(17))
    assert t.iteration == 17 and len(t.history) == 17
    for a, b in zip(_weights(t), original[17]):
        np.testing.assert_array_equal(a, b)
    for _ in range(23):
        t.step()
    for a, b in zip(_weights(t), original[40]):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(t.history.frozen()["loss"], losses)


def test_memory_is_bounded_and_recent_iterations_all_kept():
    t = get_lesson("digits").build(seed=0)
    state_bytes = t.state().nbytes
    line = Timeline(budget=300 * state_bytes, recent=100)
    for _ in range(3000):
        t.step()
        line.record(t.state())
    its = line.iterations()
    assert len(line) <= line.capacity == 300
    assert line.nbytes <= 300 * state_bytes
    np.testing.assert_array_equal(its[-100:], np.arange(2901, 3001))  # every recent iteration
    gaps = np.diff(its)
    assert np.all(np.diff(gaps) <= 0)  # the older, the sparser
    assert its[0] <= 512 and gaps.max() <= 512  # no hole swallows the start
    s = line.get(2950)
    assert s.iteration == 2950 and line.nearest(2950) is s and line.get(2) is None


def test_recording_after_a_rewind_drops_the_abandoned_future():
    t = get_lesson("smile").build(seed=0)
    line = Timeline()
    for _ in range(10):
        t.step()
        line.record(t.state())
    t.restore(line.get(4))
    t.step()
    line.record(t.state())
    np.testing.assert_array_equal(line.iterations(), [1, 2, 3, 4, 5])


def test_latest_finite_skips_diverged_states():
    t = get_lesson("digits").build(seed=0)
    line = Timeline()
    for _ in range(5):
        t.step()
        line.record(t.state())
    t.apply_settings(learning_rate=1e6)
    for _ in range(5):
        t.step()
        line.record(t.state())
    good = line.latest_finite(before=t.iteration + 1)
    assert good is not None and all(np.isfinite(w).all() for w in good.weights)
    assert good.iteration >= 5
