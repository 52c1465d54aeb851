"""The lesson guide in the real window: offered on the first start, opened from Help, its
checks fired by what the learner does, its progress kept per lesson."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from nnviz.qt.offscreen import scratch_settings
from nnviz.qt.window.main_window import MainWindow


def open_guide(qtbot, win):
    # as on a first start: the Explore tabs behind the weights
    qtbot.waitUntil(lambda: not win.explore.held, timeout=3000)
    win.docks["weightPanel"].raise_()
    qtbot.waitUntil(lambda: not win.explore.on_screen(), timeout=3000)
    win.actions["guide"].trigger()
    qtbot.waitUntil(lambda: win.guide_panel.isVisible(), timeout=3000)
    win.frames.render_latest()
    return win.guide_panel


def wait_step(qtbot, win, index, timeout=15000):
    """Until step ``index`` is done and the guide has moved past it."""
    def moved():
        win.frames.render_latest()
        steps = win.guide_panel.steps()
        return steps[index]["done"] and win.guide_panel.current() > index
    qtbot.waitUntil(moved, timeout=timeout)


def test_the_first_start_offers_the_guide_once(qtbot):
    settings = scratch_settings()
    first = MainWindow(lesson="smile", settings=settings)
    qtbot.addWidget(first)
    assert first.notice.isVisibleTo(first) and "Guide" in first.notice.label.text()
    first.close()
    again = MainWindow(lesson="smile", settings=settings)
    qtbot.addWidget(again)
    assert "Guide" not in again.notice.label.text()
    again.close()


def test_help_guide_opens_the_lessons_guide_under_the_editor(qtbot, make_window):
    win = make_window("smile")
    assert not win.docks["lessonGuide"].isVisible()  # closed until asked for
    panel = open_guide(qtbot, win)
    steps = panel.steps()
    assert len(steps) == 11 and steps[0]["title"] == "Twelve pixels" and not steps[0]["done"]
    assert win.docks["pixelEditor"].isVisible()  # the editor stays in view beside the steps
    assert win.guide_panel.objectName() == "lessonGuide"


def test_walking_the_smile_guide_as_a_learner(qtbot, make_window):
    win = make_window("smile")
    panel = open_guide(qtbot, win)
    grid = win.pixel_editor.grid
    # 0: paint with the mouse — a check the learner fires themselves
    qtbot.mouseClick(grid, Qt.LeftButton, pos=grid.cell_center(0, 0))
    wait_step(qtbot, win, 0)
    # 1, 2: reading steps — done once shown; Next moves on
    for i in (1, 2):
        qtbot.waitUntil(lambda i=i: panel.steps()[i]["done"], timeout=3000)
        panel.next_step()
    # 3: the Nudge vs gradient tab, opened by Show me
    assert panel.show_me()
    wait_step(qtbot, win, 3)
    # 4: one round of nudges, by the Step key action
    win.actions["step"].trigger()
    wait_step(qtbot, win, 4)
    assert win.controller.latest.iteration == 1
    # 5: three of four exactly right after the first round (the lesson's moment) is on screen, but
    # the step asks for a round of its own: it waits for the learner (issue 25), then ticks
    assert win.frames._scores[2] == (3, 4)
    assert not win.guide_panel.steps()[5]["done"] and panel.current() == 5
    win.actions["step"].trigger()
    wait_step(qtbot, win, 5)


def test_guide_progress_is_kept_per_lesson(qtbot, make_window):
    win = make_window("smile")
    panel = open_guide(qtbot, win)
    panel.next_step()
    panel.next_step()
    assert panel.current() == 2
    win.choose_lesson("digits")
    qtbot.waitUntil(lambda: win.controller.latest.lesson == "digits", timeout=10000)
    win.frames.render_latest()
    assert panel.current() == 0 and panel.steps()[0]["title"] == "64 inputs"
    win.choose_lesson("smile")
    qtbot.waitUntil(lambda: win.controller.latest.lesson == "smile", timeout=10000)
    win.frames.render_latest()
    assert panel.current() == 2


def test_a_lesson_file_brings_its_own_guide_and_saving_keeps_it(qtbot, make_window, tmp_path):
    import json

    from nnviz.model.files.lessonfile import LessonFile, load_lesson_file, save_lesson_file
    from nnviz.model.guide import builtin_guide

    win = make_window("smile")
    homework = builtin_guide("smile").to_dict()
    homework["title"], homework["steps"] = "Homework 3", homework["steps"][:3]
    path = save_lesson_file(tmp_path / "hw.nnviz", LessonFile.from_snapshot(win.controller.latest, guide=homework))
    assert win.files.open_lesson_file(str(path))
    qtbot.waitUntil(lambda: win.guide_panel.isVisible() and len(win.guide_panel.steps()) == 3, timeout=5000)
    assert "Homework 3" in win.guide_panel.title_label.text()
    assert win.files.save_lesson_file(str(tmp_path / "again.nnviz"))
    assert load_lesson_file(tmp_path / "again.nnviz").guide["title"] == "Homework 3"
    # a teacher's guide file, from Help ▸ Open guide file…
    mine = dict(homework, title="Try it at home")
    (tmp_path / "mine.json").write_text(json.dumps(mine), encoding="utf-8")
    assert win.guide.open_file(str(tmp_path / "mine.json"))
    assert "Try it at home" in win.guide_panel.title_label.text()
    (tmp_path / "bad.json").write_text('{"lesson": "smile", "title": "x", "steps": [{"title": "a"}]}')
    assert not win.guide.open_file(str(tmp_path / "bad.json"))
    assert 'missing "text"' in win.statusBar().currentMessage()


def test_the_guide_sits_under_the_editor_not_behind_it(qtbot, make_window):
    win = make_window("smile")
    open_guide(qtbot, win)
    guide, editor = win.docks["lessonGuide"], win.docks["pixelEditor"]
    assert win.tabifiedDockWidgets(guide) == []  # its own place, not a tab
    assert not guide.visibleRegion().isEmpty() and not editor.visibleRegion().isEmpty()
    assert guide.geometry().top() >= editor.geometry().bottom()


def test_a_lesson_without_a_guide_gives_its_room_back_and_it_returns(qtbot, make_window, monkeypatch):
    import nnviz.qt.window.guide as guide_module
    # every built-in lesson has a guide; a lesson without one is played by hiding conv's
    monkeypatch.setattr(guide_module, "builtin_guide",
                        lambda lesson, real=guide_module.builtin_guide: None if lesson == "conv" else real(lesson))
    win = make_window("smile")
    open_guide(qtbot, win)
    win.choose_lesson("conv")
    qtbot.waitUntil(lambda: win.controller.latest.lesson == "conv", timeout=10000)
    qtbot.waitUntil(lambda: not win.docks["lessonGuide"].isVisible(), timeout=3000)
    win.choose_lesson("digits")
    qtbot.waitUntil(lambda: win.controller.latest.lesson == "digits", timeout=10000)
    qtbot.waitUntil(lambda: win.docks["lessonGuide"].isVisible(), timeout=3000)
    assert win.guide_panel.steps()[0]["title"] == "64 inputs"


def test_nothing_is_framed_while_the_guide_is_closed(qtbot, make_window):
    win = make_window("smile")
    assert not win.docks["lessonGuide"].isVisible()
    assert win.guide.highlight.target is None  # step 1 points at the editor, but the guide is closed
    open_guide(qtbot, win)
    assert win.guide.highlight.target is win.pixel_editor


def test_a_step_shows_the_panel_it_points_at_but_leaves_the_explore_tab_to_the_learner(qtbot, make_window):
    """Issue 25: a step pointing at a panel tabbed behind another brings it forward; a step that
    asks the learner to open an Explore tab does not open it for them."""
    win = make_window("conv")
    panel = open_guide(qtbot, win)
    win.docks["explore"].raise_()  # the learner was looking at Explore, in front of the weights
    qtbot.waitUntil(lambda: win.explore.on_screen(), timeout=3000)
    panel.go(1)  # "A kernel is a small picture": the kernels, behind Explore
    grid = win.findChild(QWidget, "kernelGrid")
    qtbot.waitUntil(lambda: not grid.visibleRegion().isEmpty(), timeout=3000)
    assert win.guide.highlight.target is grid and not win.explore.on_screen()
    last = next(i for i, s in enumerate(panel.steps()) if s["title"] == "What a channel wants")
    panel.go(last)
    qtbot.wait(100)
    win.frames.render_latest()
    assert not win.explore.on_screen() and not panel.steps()[last]["done"]
    win.docks["explore"].raise_()  # the learner opens it ...
    win.explore.setCurrentIndex([win.explore.tabText(i) for i in range(win.explore.count())].index(
        "What a neuron wants"))  # ... and picks the tab
    wait_step(qtbot, win, last)
