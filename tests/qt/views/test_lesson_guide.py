"""The Guide panel and the widget highlight, on their own (the window wires them elsewhere)."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QVBoxLayout, QWidget

from nnviz.model.guide import (
    CONV_TARGETS, EXPLORE_TABS, TARGETS, GuideProgress, builtin_guide, default_facts, guide_from_dict,
)
from nnviz.qt.graphics.highlight import WIDTH, WidgetHighlight
from nnviz.qt.views.lesson_guide import LessonGuide
from tests.qt.conftest import shown

STEPS = [{"title": "Look", "text": "Look at the grid.", "target": "pixelEditor"},
         {"title": "Step once", "text": "Press Step.", "target": "trainingPanel", "action": {"do": "step", "n": 1},
          "check": {"iteration_at_least": 1}},
         {"title": "Edit a weight", "text": "Set one by hand.", "target": None,
          "check": {"weight_edited": True}}]
GUIDE = guide_from_dict({"lesson": "smile", "title": "A test guide", "steps": STEPS})


@pytest.fixture
def panel(qtbot):
    p = LessonGuide()
    shown(qtbot, p, 320, 420)
    return p


def test_steps_lists_every_step_and_the_empty_panel_none(panel):
    assert panel.objectName() == "lessonGuide" and panel.steps() == [] and panel.progress() is None
    assert panel.show_me() is False
    panel.set_guide(GUIDE)
    s = panel.steps()
    assert [d["title"] for d in s] == ["Look", "Step once", "Edit a weight"]
    assert [d["done"] for d in s] == [False] * 3 and [d["current"] for d in s] == [True, False, False]
    assert s[1]["target"] == "trainingPanel" and s[2]["target"] is None and s[0]["text"] == "Look at the grid."
    assert all(isinstance(d["done"], bool) for d in s)
    panel.set_guide(None)
    assert panel.steps() == []


def test_show_me_emits_the_current_steps_action(panel, qtbot):
    panel.set_guide(GUIDE)
    assert panel.show_me() is False and not panel.show_button.isEnabled()  # a reading step
    panel.next_step()
    assert panel.show_button.isEnabled()
    with qtbot.waitSignal(panel.actionRequested) as sig:
        qtbot.mouseClick(panel.show_button, Qt.LeftButton)
    assert sig.args == [{"do": "step", "n": 1}]
    sig.args[0]["n"] = 99  # the receiver's copy: the guide's own action is untouched
    assert panel.steps()[1]["current"] and GUIDE.steps[1].action == {"do": "step", "n": 1}


def test_update_facts_ticks_moves_on_and_points_at_the_next_widget(panel, qtbot):
    panel.set_guide(GUIDE)
    targets, changes = [], []
    panel.highlightRequested.connect(targets.append)
    panel.progressChanged.connect(lambda: changes.append(1))
    facts = default_facts(lesson="smile")
    panel.update_facts(facts)
    assert panel.steps()[0]["done"] and panel.current() == 0  # read: ticked, waits for Next
    assert "✓" in panel._rows[0].text() and panel.progress_label.text() == "step 1 of 3 · 1 done"
    n = len(changes)
    for _ in range(100):
        panel.update_facts(dict(facts))  # every frame, nothing new: nothing happens
    assert len(changes) == n
    qtbot.mouseClick(panel.next_button, Qt.LeftButton)
    assert panel.current() == 1 and targets[-1] == "trainingPanel"
    assert "Try it yourself, or press Show me." in panel.status_label.text()
    panel.update_facts({**facts, "iteration": 1})
    assert panel.current() == 2 and [d["done"] for d in panel.steps()] == [True, True, False]
    assert targets[-1] == "" and panel.next_button.text() == "Finish"
    panel.update_facts({**facts, "iteration": 1, "weight_edits": 1})
    assert panel.progress().finished and all(d["done"] for d in panel.steps())
    assert panel.progress_label.text() == "all 3 steps done" and not panel.next_button.isEnabled()


def test_settings_mutated_in_place_still_count_as_news(panel):
    guide = guide_from_dict({"lesson": "smile", "title": "T", "steps": [
        {"title": "Read", "text": "Read."},
        {"title": "Nudge", "text": "Pick nudge.", "check": {"setting": {"method": "nudge"}}}]})
    panel.set_guide(guide, {"lesson": "smile", "key": guide.key, "current": 1, "done": [True, False]})
    settings = {"method": "gradient"}
    facts = default_facts(settings=settings)
    panel.update_facts(facts)
    settings["method"] = "nudge"  # the app reuses its dict
    panel.update_facts(facts)
    assert panel.steps()[1]["done"]


def test_back_next_restart_and_clicking_a_step(panel, qtbot):
    panel.set_guide(GUIDE)
    panel.update_facts(default_facts(iteration=3))
    assert not panel.back_button.isEnabled()
    panel.next_step()
    assert not panel.steps()[1]["done"] and panel.current() == 1  # iteration 3 before it opened: it waits
    panel.update_facts(default_facts(iteration=4))  # the learner steps
    assert panel.steps()[1]["done"] and panel.current() == 2
    panel.back()
    assert panel.current() == 1 and "✓ Done." in panel.status_label.text()
    qtbot.mouseClick(panel.back_button, Qt.LeftButton)
    assert panel.current() == 0
    panel._rows[2].linkActivated.emit("2")
    assert panel.current() == 2
    qtbot.mouseClick(panel.restart_button, Qt.LeftButton)
    assert panel.current() == 0 and panel.steps()[1]["done"] is False
    assert panel.steps()[0]["done"]  # judged again at once: read steps tick when shown


def test_progress_is_kept_and_restored(panel):
    panel.set_guide(GUIDE)
    panel.update_facts(default_facts(iteration=1))
    panel.next_step()
    saved = panel.progress().to_dict()
    other = LessonGuide()
    other.set_guide(GUIDE, saved)
    assert other.steps() == panel.steps()
    p = GuideProgress(GUIDE)
    other.set_guide(GUIDE, p)
    assert other.progress() is p


@pytest.mark.parametrize("lesson", ["smile", "mnist", "digits"])
def test_a_shipped_guide_fits_a_narrow_dock(panel, qtbot, lesson):
    panel.set_guide(builtin_guide(lesson))
    qtbot.wait(10)
    hint = panel.minimumSizeHint()
    assert hint.width() <= 320 and hint.height() <= 400, hint
    assert panel.scroll.horizontalScrollBar().maximum() == 0  # text wraps, nothing sideways
    assert panel.text_label.wordWrap() and all(r.wordWrap() for r in panel._rows)
    assert not panel.grab().isNull()


def test_explore_tab_titles_are_the_real_ones():
    from nnviz.qt.explore.tabs import standard_tabs
    assert tuple(title for title, _ in standard_tabs(lambda method: None)) == EXPLORE_TABS


def test_every_target_is_a_widget_in_the_main_window(make_window, qtbot):
    win = make_window("smile")
    missing = [name for name in TARGETS if name not in CONV_TARGETS and win.findChild(QWidget, name) is None]
    assert missing == []
    win.choose_lesson("conv")  # the conv nets' panels are built when one first shows
    qtbot.waitUntil(lambda: win.controller.latest.lesson == "conv", timeout=10000)
    win.frames.render_latest()
    assert [name for name in CONV_TARGETS if win.findChild(QWidget, name) is None] == []


# -- the highlight --------------------------------------------------------------------------------

def _window(qtbot):
    win = QWidget()
    lay = QVBoxLayout(win)
    for name in ("above", "target", "below"):
        lab = QLabel(name)
        lab.setObjectName(name)
        lay.addWidget(lab)
    shown(qtbot, win, 300, 300)
    qtbot.waitExposed(win)
    return win


def test_highlight_frames_a_widget_without_moving_anything_and_goes_again(qtbot):
    win = _window(qtbot)
    target = win.findChild(QLabel, "target")
    geometries = [w.geometry() for w in win.findChildren(QLabel)]
    h = WidgetHighlight()
    assert h.show(win, "nowhere") is False and not h.showing
    assert h.show(win, "target", seconds=0)
    qtbot.waitUntil(lambda: h.showing)
    around = target.geometry().adjusted(-WIDTH, -WIDTH, WIDTH, WIDTH).intersected(win.rect())
    assert h.frame_rect() == around  # its line just outside the widget, over none of its text
    assert h.frame_rect().contains(target.geometry()) and h.frame_rect() != target.geometry()
    assert [w.geometry() for w in win.findChildren(QLabel)] == geometries
    frame = win.findChild(QWidget, "highlightFrame")
    assert frame is not None and frame.testAttribute(Qt.WA_TransparentForMouseEvents)
    win.resize(400, 360)  # the frame follows its widget
    qtbot.waitUntil(lambda: h.frame_rect() == target.geometry().adjusted(-WIDTH, -WIDTH, WIDTH, WIDTH)
                    .intersected(win.rect()))
    h.clear()
    assert not h.showing and h.frame_rect() is None
    qtbot.waitUntil(lambda: win.findChild(QWidget, "highlightFrame") is None)
    assert h.show(win, "below", seconds=0.05)  # a timed highlight clears itself
    qtbot.waitUntil(lambda: h.frame_rect() is None, timeout=2000)


def test_highlight_brings_a_tabbed_dock_forward(qtbot):
    win = QMainWindow()
    win.setCentralWidget(QLabel("centre"))
    docks = []
    for name in ("front", "back"):
        dock = QDockWidget(name, win)
        inner = QLabel(name)
        inner.setObjectName(f"{name}Panel")
        dock.setWidget(inner)
        win.addDockWidget(Qt.RightDockWidgetArea, dock)
        docks.append(dock)
    win.tabifyDockWidget(docks[0], docks[1])
    shown(qtbot, win, 600, 400)
    docks[0].raise_()
    back = win.findChild(QLabel, "backPanel")
    qtbot.waitUntil(lambda: back.visibleRegion().isEmpty())
    h = WidgetHighlight()
    assert h.show(win, "backPanel", seconds=0)
    qtbot.waitUntil(lambda: h.showing and not back.visibleRegion().isEmpty())
    h.clear()


@pytest.mark.parametrize("lesson", ["smile", "mnist", "digits"])
def test_every_step_reads_as_written_with_no_markup_showing(panel, lesson):
    guide = builtin_guide(lesson)
    panel.set_guide(guide)
    for i, step in enumerate(guide.steps):
        panel.go(i)
        # what the label shows is the step's own text ("A sigmoid's slope", not "sigmoid&#x27;s")
        assert panel.text_label.textFormat() == Qt.PlainText and panel.text_label.text() == step.text


def test_a_guide_opened_on_a_step_far_down_shows_that_steps_text(qtbot):
    """Progress kept from before (conv, step 8 of 12) in a short dock: the open step's text is in view,
    not the top of the list."""
    g = builtin_guide("conv")
    p = LessonGuide()
    qtbot.addWidget(p)
    p.resize(320, 240)
    p.set_guide(g, {"lesson": "conv", "key": g.key, "current": 7, "done": [True] * 7 + [False] * 5})
    qtbot.wait(20)  # set while the dock is closed ...
    shown(qtbot, p, 320, 240)  # ... and opened later

    def text_in_view():
        top = p.text_label.mapTo(p.scroll.viewport(), p.text_label.rect().topLeft()).y()
        return 0 <= top and top + 20 <= p.scroll.viewport().height()
    qtbot.waitUntil(text_in_view, timeout=2000)


@pytest.mark.parametrize("height", [300, 250])
def test_the_open_steps_title_stays_in_view_above_its_text(qtbot, height):
    """In a short guide dock the list scrolled to the step's text and its title went off the top."""
    long = [{"title": f"Step title {i}", "text": "A long explanation that wraps over several lines in a narrow dock. " * 3,
             "target": None} for i in range(12)]
    p = shown(qtbot, LessonGuide(), 330, height)
    p.set_guide(guide_from_dict({"lesson": "conv", "title": "A long guide", "steps": long}))
    for i in (8, 11, 3):
        p.go(i)
        qtbot.wait(30)
        view = p.scroll.viewport()
        row = p._rows[i]
        top = row.mapTo(view, row.rect().topLeft()).y()
        assert 0 <= top and top + row.height() <= view.height(), (i, top, view.height())
