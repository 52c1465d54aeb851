"""The timeline: bounded memory, exact rewind, and continuing from a past state replays the run."""

import numpy as np
import pytest

from nnviz.model.lessons import get_lesson
from nnviz.model.core.timeline import Timeline


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


@pytest.mark.parametrize("lesson, optimizer", [("digits", "adam"), ("mnist", "momentum"), ("smile", "sgd")])
def test_checkpoints_then_fill_recreate_every_recent_state_exactly(lesson, optimizer):
    """Full-speed recording (every 8th state, plus one at a settings change) filled in afterwards
    equals recording every state — weights, optimizer memory, random stream and all."""
    dense, sparse = (get_lesson(lesson).build(seed=5) for _ in range(2))
    for t in (dense, sparse):
        if lesson != "smile":
            t.apply_settings(dropout=0.2)
    full, line = {0: dense.state()}, Timeline(recent=64)
    line.record(sparse.state())
    for i in range(1, 101):
        if i == 46:  # settings change off the checkpoint grid: the gap before it used the old ones
            for t in (dense, sparse):
                t.apply_settings(**({"optimizer": optimizer, "learning_rate": 0.05} if lesson != "smile"
                                    else {"nudge_step": 0.5}))
            line.record(sparse.state())
        dense.step()
        full[i] = dense.state()
        sparse.step()
        if i % 8 == 0:
            line.record(sparse.state())
    line.record(sparse.state())
    assert len(line) < 20
    added = line.fill(sparse.replayer(), newest=100)
    its = line.iterations()
    # the 64 newest are all kept from the first checkpoint among them (40) on
    assert added == 51 and set(range(40, 101)) <= set(its.tolist()) and 39 not in its
    for i in range(40, 101):
        got, want = line.get(i), full[i]
        for a, b in zip(got.weights + got.biases, want.weights + want.biases):
            np.testing.assert_array_equal(a, b)
        assert got.rng == want.rng and got.cursor == want.cursor and got.loss == want.loss
    # the live trainer was not disturbed: it goes on exactly like the dense run
    dense.step(), sparse.step()
    for a, b in zip(sparse.network.weights, dense.network.weights):
        np.testing.assert_array_equal(a, b)


def test_fill_stops_at_newest_and_never_replays_from_outside_the_window():
    t = get_lesson("digits").build(seed=0)
    line = Timeline(recent=16)
    line.record(t.state())
    calls = []

    def replay(state, n):
        calls.append((state.iteration, n))
        return t.replayer()(state, n)

    for _ in range(40):
        t.step()
        if t.iteration % 8 == 0:
            line.record(t.state())
    assert line.missing(38) == 13  # 23..38 minus the kept 24 and 32; 23 has no anchor
    assert line.fill(replay, newest=38, deadline=0.0) == 6  # out of time: the newest gap only
    assert line.missing(38) == 7
    assert line.fill(replay, newest=38) == 7 and line.missing(38) == 0
    assert calls == [(32, 6), (24, 7)]  # newest gap first: a deadline leaves the oldest
    assert line.iterations().tolist() == [0, 8, 16] + list(range(24, 39)) + [40]


def test_states_older_than_the_window_let_go_of_their_dataset():
    t = get_lesson("digits").build(seed=0)
    line = Timeline(recent=16)
    for _ in range(60):
        t.step()
        line.record(t.state())
    old = [line.get(i) for i in range(1, 44)]
    new = [line.get(i) for i in range(45, 61)]
    assert all(s.dataset is None for s in old) and all(s.dataset is t.dataset for s in new)


def test_a_state_too_big_for_the_budget_still_thins_and_stays_bounded():
    t = get_lesson("digits").build(seed=0)
    line = Timeline(budget=10 * t.state().nbytes, recent=32)  # the window alone exceeds the budget
    for _ in range(400):
        t.step()
        line.record(t.state())
    assert len(line) <= line.capacity == 43  # ⌈1.25 · (32 + 2)⌉
    assert line.iterations().tolist()[-32:] == list(range(369, 401))


def test_shrink_bounds_the_footprint_and_fill_never_replays_what_it_thinned():
    """A run set aside: its timeline within the budget (the newest, iteration 0 and the one
    asked for kept); a gap shrink left is never replayed (one may span a settings change),
    while a gap opened after its newest state is, as usual."""
    t = get_lesson("digits").build(seed=0)
    line = Timeline(recent=64)
    line.record(t.state())
    for _ in range(300):
        t.step()
        line.record(t.state())
    size = t.state().nbytes + t.state().order.nbytes
    line.shrink(40 * size, recent=8, keep=(123,))
    its = line.iterations().tolist()
    assert line.footprint() <= 40 * size and len(its) <= 40
    assert its[0] == 0 and 123 in its and its[-8:] == list(range(293, 301))
    assert all(s.dataset is None for s in line._states[:-1]) and line._states[-1].dataset is t.dataset
    calls = []

    def replay(state, n):
        calls.append((state.iteration, n))
        return t.replayer()(state, n)

    assert line.fill(replay, newest=300) == 0 and calls == []  # the thinned gaps stay
    for _ in range(20):
        t.step()
        if t.iteration % 8 == 0:
            line.record(t.state())
    line.record(t.state())
    line.fill(replay, newest=320)
    assert calls and min(i for i, _ in calls) >= 300 and set(range(300, 321)) <= set(line.iterations().tolist())
    copy = line.copy()
    copy.truncate_after(310)
    assert line.iterations().tolist()[-1] == 320 and copy.iterations().tolist()[-1] == 310
