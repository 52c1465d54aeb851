"""The timeline scrubber on its own: an iteration axis whose keys reach every kept state one by
one, a usable length in a narrow window, and marks where the settings changed."""

from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt

from nnviz.qt.views.timeline_bar import MIN_SLIDER, TimelineBar, settings_change

from tests.qt.conftest import shown

SETTINGS = {"learning_rate": 0.1, "batch_size": 32, "optimizer": "sgd"}
#: a long run as the worker keeps it: old states thinned, the last 500 all there
LONG = tuple(range(0, 126_837, 1000)) + tuple(range(126_837, 127_338))


def snap(iteration, live=None, timeline=LONG, settings=SETTINGS, generation=0, lesson="mnist", hand_edits=0):
    live = iteration if live is None else live
    return SimpleNamespace(iteration=iteration, live_iteration=live, rewound=live != iteration, timeline=timeline,
                           lesson=lesson, sizes=(784, 16, 10), generation=generation, settings=dict(settings),
                           hand_edits=hand_edits)


@pytest.fixture
def bar(qtbot):
    b = shown(qtbot, TimelineBar(), 520, 30)
    b.requests = []

    def follow(it):  # the worker's part: show the requested kept state
        b.requests.append(it)
        b.show_snapshot(snap(it, live=b.live_iteration), running=False)

    b.previewRequested.connect(follow)
    b.show_snapshot(snap(LONG[-1]), running=False)
    return b


def test_the_slider_is_an_iteration_axis(bar):
    bar.slider.setValue(int(0.4 * LONG[-1]))  # 40% of the way: 40% of the training, not iteration 126,840
    assert bar.requests[-1] == 51_000 == bar.shown_iteration
    assert "viewing iteration 51,000 of 127,337" in bar.label.text()


def test_left_and_right_reach_every_kept_state_one_by_one(qtbot, bar):
    bar.slider.setFocus()
    for _ in range(len(LONG) - 1):
        qtbot.keyClick(bar.slider, Qt.Key_Left)
    assert bar.requests == list(reversed(LONG[:-1]))  # each kept iteration once, newest first
    qtbot.keyClick(bar.slider, Qt.Key_Left)  # at the first one: stays
    assert bar.shown_iteration == 0
    for key in (Qt.Key_Right, Qt.Key_Period):
        qtbot.keyClick(bar.slider, key)
    assert bar.requests[-2:] == [1000, 2000]
    qtbot.keyClick(bar.slider, Qt.Key_End)
    assert bar.shown_iteration == LONG[-1] and not bar.rewound


def test_the_slider_claims_its_arrow_keys_from_the_window_shortcuts(bar):
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QKeyEvent

    for key in (Qt.Key_Left, Qt.Key_Right, Qt.Key_Comma, Qt.Key_Period):
        ev = QKeyEvent(QEvent.ShortcutOverride, key, Qt.NoModifier)
        ev.ignore()
        bar.slider.event(ev)
        assert ev.isAccepted()  # so → moves the scrubber instead of training a step


def test_comma_and_period_step_while_the_focus_is_elsewhere(qtbot, bar):
    qtbot.waitActive(bar) if not bar.isActiveWindow() else None
    bar.live_button.setFocus()
    qtbot.keyClick(bar.live_button, Qt.Key_Comma)
    qtbot.keyClick(bar.live_button, Qt.Key_Comma)
    assert bar.requests[-2:] == [LONG[-2], LONG[-3]]
    qtbot.keyClick(bar.live_button, Qt.Key_Period)
    assert bar.requests[-1] == LONG[-2]


def test_go_to_picks_the_nearest_kept_iteration_and_waits_while_running(bar):
    assert bar.go_to(70_420) == 70_000
    assert bar.requests[-1] == 70_000
    bar.show_snapshot(snap(LONG[-1]), running=True)
    assert bar.go_to(5) is None and bar.requests[-1] == 70_000


def test_the_slider_keeps_a_usable_length_in_a_narrow_window(qtbot):
    b = shown(qtbot, TimelineBar(), 300, 30)
    b.show_snapshot(snap(5, live=20, timeline=tuple(range(21))), running=False)
    assert b.slider.width() >= MIN_SLIDER >= 200
    assert b.minimumSizeHint().width() >= MIN_SLIDER
    # the label says it in the words that fit: never cut in the middle of the numbers
    said = b.label.shown_text()
    assert said.endswith("5 of 20") and b.label.fontMetrics().horizontalAdvance(said) <= b.label.width()
    assert b.label.text() == "viewing iteration 5 of 20" == b.label.toolTip()


def test_settings_changes_are_marked_where_they_happened(qtbot, bar):
    bar.show_snapshot(snap(LONG[-1], settings={**SETTINGS, "learning_rate": 0.5}), running=False)
    assert bar.marks == {LONG[-1]: "learning rate 0.1 → 0.5"}
    x = bar.slider.x_of(LONG[-1])
    assert "learning rate 0.1 → 0.5" in bar.slider.mark_at(x) and bar.slider.mark_at(x - 40) == ""
    bar.slider.grab()  # the marks paint
    # rewound snapshots show the past's settings: no mark for them
    bar.show_snapshot(snap(5000, live=LONG[-1], settings=SETTINGS), running=False)
    assert len(bar.marks) == 1
    # continuing from an earlier state keeps the marks before it; a reset clears them all
    bar.show_snapshot(snap(LONG[-1], generation=1, settings={**SETTINGS, "learning_rate": 0.5}), running=False)
    assert bar.marks == {LONG[-1]: "learning rate 0.1 → 0.5"}
    bar.show_snapshot(snap(0, generation=2, timeline=(0,)), running=False)
    assert bar.marks == {}


def test_settings_change_names_what_changed():
    assert settings_change({"l2": 0.0, "batch_size": 32}, {"l2": 0.001, "batch_size": 32}) == "l2 0.0 → 0.001"
    assert settings_change(SETTINGS, SETTINGS) == ""


def test_a_weight_set_by_hand_is_marked_where_it_happened(bar):
    bar.show_snapshot(snap(LONG[-1]), running=False)
    bar.show_snapshot(snap(LONG[-1], hand_edits=1), running=False)
    assert bar.marks == {LONG[-1]: "a weight set by hand"}
