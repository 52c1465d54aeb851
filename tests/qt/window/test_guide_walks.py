"""Each lesson's guide walked end to end in the real window: every step's check fires (by the
learner's own action where the step asks for one, else by its Show me) and the guide ends."""

import pytest
from PySide6.QtCore import Qt

from tests.qt.window.test_guide_window import open_guide


def finish_step(qtbot, win, i, timeout=60000):
    panel = win.guide_panel

    def done():
        win.frames.render_latest()
        return panel.steps()[i]["done"]
    qtbot.waitUntil(done, timeout=timeout)
    if panel.current() == i:  # done on arrival (its check already held): the learner reads it, then Next
        panel.next_step()


@pytest.mark.slow
@pytest.mark.parametrize("lesson", ["smile", "mnist", "digits"])
def test_every_step_of_the_guide_fires_and_the_guide_ends(qtbot, make_window, lesson):
    win = make_window(lesson)
    win.controller.set_speed(0)  # Run as fast as it goes: the test need not watch
    panel = open_guide(qtbot, win)
    n = len(panel.steps())
    seen = []
    while panel.current() < n:
        i = panel.current()
        seen.append(i)
        step = panel.steps()[i]
        if i == 0 and lesson == "smile":  # the learner paints with the mouse
            grid = win.pixel_editor.grid
            qtbot.mouseClick(grid, Qt.LeftButton, pos=grid.cell_center(0, 0))
        elif not step["done"]:
            panel.show_me()  # False for reading steps: done once shown
        finish_step(qtbot, win, i)
    assert seen == list(range(n)) and all(s["done"] for s in panel.steps())
    assert panel.current() == n and not panel.show_me()  # the end: nothing more to show
    win.controller.pause()
