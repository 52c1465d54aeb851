"""Each lesson's guide walked end to end in the real window: every step's check fires (by the
learner's own action where the step asks for one, else by its Show me) and the guide ends."""

import numpy as np
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
@pytest.mark.parametrize("lesson", ["smile", "mnist", "digits"])  # the conv guides: the test below
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


def _shown_by(win, action) -> bool:
    """Did Show me do what its action says, on screen?"""
    do, c = action["do"], win.controller
    if do == "load_example":
        x, _ = c.dataset.split(action["split"])
        return np.array_equal(win.pixel_editor.painting().pixels.reshape(-1), x[action["index"]])
    if do == "paint":
        want = np.zeros(win.pixel_editor.canvas.shape, np.float32)
        want[tuple(np.array(action["pixels"]).T)] = 1.0
        return np.array_equal(win.pixel_editor.canvas.image, want)
    if do == "select_pixel":
        view = win.network_stack.conv_view
        where = (action["layer"], action["channel"], action["row"], action["col"])
        return view.selected_pixel() == where == view.feature_maps.selected_pixel()
    if do == "open_tab":
        return win.explore.on_screen() and win.explore.tabText(win.explore.currentIndex()) == action["title"]
    if do == "step":
        return c.latest.iteration >= action["n"] and not c.running
    raise AssertionError(f"no test of what {do!r} shows")


def _click_map_pixel(qtbot, win, layer, channel, row, col):
    """The learner clicks a feature-map pixel, as with the mouse."""
    maps = win.network_stack.conv_view.feature_maps
    widget, point = maps.view_point(layer, channel, row, col)
    qtbot.mouseClick(widget.viewport(), Qt.LeftButton, pos=point)


@pytest.mark.slow
@pytest.mark.parametrize("lesson, by_hand", [("conv", True), ("mnist-conv", False)])
def test_each_conv_guide_waits_for_the_learner_and_show_me_does_what_it_says(qtbot, make_window, lesson, by_hand):
    """Every step that asks for something: not done until something is done after it opened, done
    after it (Show me, or for ``by_hand`` the learner's own clicks and Run); Show me's effect seen on
    screen; a training step stops where it says, even when the learner pressed Run."""
    win = make_window(lesson)
    win.controller.set_speed(0)
    panel = open_guide(qtbot, win)
    n = len(panel.steps())
    while panel.current() < n:
        i = panel.current()
        step = win.guide_panel.progress().step
        win.frames.render_latest()
        if step.check is None:  # a reading step: done once shown
            assert panel.steps()[i]["done"], step.title
            panel.next_step()
            continue
        qtbot.wait(50)
        win.frames.render_latest()
        assert not panel.steps()[i]["done"] and panel.current() == i, f"{step.title!r} ticked by itself"
        action = step.action
        if by_hand and action["do"] == "select_pixel":
            _click_map_pixel(qtbot, win, action["layer"], action["channel"], action["row"], action["col"])
        elif by_hand and action["do"] == "step":  # the learner presses Run: the guide pauses at the epoch
            win.actions["run"].trigger()
        else:
            assert panel.show_me()
        finish_step(qtbot, win, i)
        if by_hand and action["do"] == "step":
            qtbot.waitUntil(lambda: not win.controller.running, timeout=5000)
            epochs = step.check["epoch_at_least"]
            assert epochs <= win.controller.latest.epoch < epochs + 1  # paused at the step's epoch
        elif not by_hand or action["do"] not in ("select_pixel",):
            assert _shown_by(win, action), step.title
        if action["do"] == "select_pixel":
            assert win.network_stack.conv_view.selected_pixel()[0] == action["layer"]
    assert all(s["done"] for s in panel.steps()) and panel.current() == n
