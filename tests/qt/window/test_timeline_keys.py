"""Rewinding on the real window: ← and → walk through the kept states (→ trains only at the live
end), and a click on the loss or accuracy curve shows the kept iteration nearest to it."""

from PySide6.QtCore import QPointF, Qt

from tests.qt.conftest import wait_iteration


def shown_after(qtbot, win, iteration, rewound):
    qtbot.waitUntil(lambda: win.controller.latest.iteration == iteration
                    and win.controller.latest.rewound == rewound, timeout=5000)
    win.frames.render_latest()


def test_left_rewinds_and_right_walks_back_to_live_before_it_trains(qtbot, make_window):
    win = make_window("digits")
    win.controller.step(6)
    wait_iteration(qtbot, win, 6)
    qtbot.waitUntil(lambda: len(win.controller.latest.timeline) == 7, timeout=5000)
    win.frames.render_latest()
    win.pixel_editor.grid.setFocus()  # the focus where a learner left it: not the timeline
    for expect in (5, 4):
        qtbot.keyClick(win.pixel_editor.grid, Qt.Key_Left)
        shown_after(qtbot, win, expect, rewound=True)
    qtbot.keyClick(win.pixel_editor.grid, Qt.Key_Right)  # rewound: one kept state forward
    shown_after(qtbot, win, 5, rewound=True)
    assert win.controller.latest.live_iteration == 6  # nothing was trained
    qtbot.keyClick(win.pixel_editor.grid, Qt.Key_Right)
    shown_after(qtbot, win, 6, rewound=False)
    qtbot.keyClick(win.pixel_editor.grid, Qt.Key_Right)  # live: → is Step again
    wait_iteration(qtbot, win, 7)


def test_right_in_a_number_field_stays_the_fields(qtbot, make_window):
    win = make_window("digits")
    win.controller.step(3)
    wait_iteration(qtbot, win, 3)
    qtbot.waitUntil(lambda: len(win.controller.latest.timeline) == 4, timeout=5000)
    win.frames.render_latest()
    win.timeline_bar.step_kept(-2)
    shown_after(qtbot, win, 1, rewound=True)
    spin = win.training_panel.lr_spin
    spin.setFocus()
    qtbot.keyClick(spin, Qt.Key_Right)  # moves the text cursor: neither rewinds nor trains
    qtbot.wait(100)
    snap = win.controller.latest
    assert snap.iteration == 1 and snap.rewound and snap.live_iteration == 3


def test_a_click_on_a_curve_rewinds_to_that_iteration(qtbot, make_window):
    win = make_window("digits")
    win.controller.step(12)
    wait_iteration(qtbot, win, 12)
    qtbot.waitUntil(lambda: len(win.controller.latest.timeline) == 13, timeout=5000)
    win.frames.render_latest()
    plots = win.training_panel.plots
    for plot, at in ((plots.loss_plot, 7.2), (plots.acc_plot, 3.8)):
        vb = plot.getPlotItem().vb
        y = sum(vb.viewRange()[1]) / 2
        pos = plot.mapFromScene(vb.mapViewToScene(QPointF(at, y)))
        qtbot.mouseClick(plot.viewport(), Qt.LeftButton, pos=pos)
        shown_after(qtbot, win, round(at), rewound=True)
        assert win.timeline_bar.slider.value() == round(at)
        assert plots.cursors[0].value() == round(at)  # the curves mark it too
