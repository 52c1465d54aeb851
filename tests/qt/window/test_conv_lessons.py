"""The two convolution lessons in the real window: kernels in the weights dock, feature maps
and the feature-pixel breakdown in the centre, the Explore tabs, rewinding, switching lessons."""

import numpy as np
import pytest
from PySide6.QtCore import Qt

from tests.qt.conftest import wait_iteration

CONV_LESSONS = ["conv", "mnist-conv"]


def digit(win):
    """A vertical stroke in the editor's grid, as the learner would paint it."""
    h, w = win.pixel_editor.canvas.shape
    img = np.zeros((h, w), np.float32)
    img[h // 5:h - h // 5, w // 2 - max(1, w // 10):w // 2 + max(1, w // 10)] = 1.0
    win.pixel_editor.set_image(img)
    win.frames.render_latest()
    return win.pixel_editor.image().reshape(-1)


def trained(qtbot, win, n=5):
    win.controller.step(n)
    return wait_iteration(qtbot, win, n, timeout=20000)


def kernels_match(win, snap):
    """Every conv layer's drawn kernels equal the snapshot's weights."""
    shown = win.weights_stack.kernel_grid.displayed()
    convs = [i for i, s in enumerate(snap.weights) if s.ndim == 4]
    conv_layers = [L for L, t in enumerate(snap.layer_types) if t == "conv"]
    assert len(convs) == len(conv_layers) >= 1
    for i, L in zip(convs, conv_layers):
        np.testing.assert_array_equal(shown[L], snap.weights[i])


@pytest.mark.parametrize("lesson", CONV_LESSONS)
def test_a_conv_lesson_shows_kernels_maps_and_how_a_pixel_is_made(qtbot, make_window, lesson):
    win = make_window(lesson)
    stack, net_stack = win.weights_stack, win.network_stack
    assert stack.currentWidget().panel is stack.kernel_grid
    assert net_stack.currentWidget().panel is net_stack.conv_view
    assert win.findChild(object, "weightPanel") is win.weight_panel  # public names kept
    assert win.findChild(object, "activationView") is win.activation_view
    snap = trained(qtbot, win)
    kernels_match(win, snap)
    x = digit(win)
    view = net_stack.conv_view
    _, acts = snap.network().forward_full(x.reshape(1, -1))
    shown = view.feature_maps.displayed()
    assert set(shown) == {L for L, t in enumerate(snap.layer_types) if t in ("conv", "maxpool")}
    for L, maps in shown.items():
        np.testing.assert_allclose(maps, acts[L][0], rtol=1e-6, atol=1e-6)
    # nothing is chosen for the learner: no pixel boxed, no patch outlined, the breakdown says to click
    assert view.selected_pixel() is None and view.feature_maps.selected_pixel() is None
    assert view.pixel_view.pixel() is None and "No pixel chosen yet" in view.pixel_view.formula.text()
    assert not view.input_outline.isVisible() and view.feature_maps._outline is None
    assert not any(p.box.isVisible() for p in view.feature_maps.plots.values())
    # a real click on another pixel of the first layer's maps
    c, h, w = acts[1][0].shape
    widget, point = view.feature_maps.view_point(1, c - 1, 1, w - 2)
    qtbot.mouseClick(widget.viewport(), Qt.LeftButton, pos=point)
    d = view.pixel_view.pixel()
    assert (d.layer, d.channel, d.row, d.col) == (1, c - 1, 1, w - 2)
    assert d.activation == pytest.approx(float(acts[1][0, c - 1, 1, w - 2]), abs=1e-5)
    assert d.sum + d.bias == pytest.approx(d.z)
    assert f"{d.z:+.4f}" in view.pixel_view.formula.text()
    assert view.input_outline.isVisible()  # the patch, outlined on the input
    # a pooling pixel: a plain sentence, the window outlined on the conv layer's maps
    widget, point = view.feature_maps.view_point(2, 0, 0, 0)
    qtbot.mouseClick(widget.viewport(), Qt.LeftButton, pos=point)
    assert view.selected_pixel() == (2, 0, 0, 0)
    assert "max" in view.pixel_view.formula.text() and view.pixel_view.pixel() is None
    assert not view.pixel_view.view.isVisible() and not view.input_outline.isVisible()
    assert view.feature_maps._outline is not None and view.feature_maps._outline[0] == 1
    # painting again follows at once
    x2 = np.zeros_like(x)
    win.pixel_editor.set_image(x2.reshape(win.pixel_editor.canvas.shape))
    np.testing.assert_allclose(view.feature_maps.displayed()[1], snap.network().forward_full(x2[None])[1][1][0],
                               atol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("lesson", CONV_LESSONS)
def test_the_kernels_follow_training_rewinding_and_delta(qtbot, make_window, lesson):
    win = make_window(lesson)
    grid = win.weights_stack.kernel_grid
    trained(qtbot, win, 3)
    win.controller.step(3)
    live = wait_iteration(qtbot, win, 6, timeout=20000)
    kernels_match(win, live)
    win.controller.preview(3)
    qtbot.waitUntil(lambda: win.controller.latest.rewound and win.controller.latest.iteration == 3, timeout=10000)
    win.frames.render_latest()
    past = win.controller.latest
    kernels_match(win, past)
    assert not np.array_equal(past.weights[0], live.weights[0])
    win.actions["delta"].setChecked(True)  # the window's ΔW reaches the kernel grid too
    win.frames.render_latest()
    assert grid.show_delta and win.weight_panel.show_delta
    np.testing.assert_array_equal(grid.displayed()[1], past.update_w[0])
    win.actions["delta"].setChecked(False)
    assert not grid.show_delta


def test_switching_conv_digits_conv_shows_each_lessons_own_views(qtbot, make_window):
    win = make_window("conv")
    trained(qtbot, win, 2)
    win.choose_lesson("digits")
    qtbot.waitUntil(lambda: win.controller.latest.lesson == "digits", timeout=20000)
    win.frames.render_latest()
    assert win.weights_stack.currentWidget().panel is win.weight_panel
    assert win.network_stack.currentWidget().panel is win.activation_view
    snap = win.controller.latest
    assert win.weight_panel.displayed_weights()[0].shape == (snap.sizes[1], 8, 8)
    assert len(win.activation_view.displayed_activations()) == len(snap.sizes)
    win.choose_lesson("conv")
    qtbot.waitUntil(lambda: win.controller.latest.lesson == "conv", timeout=20000)
    win.frames.render_latest()
    assert win.weights_stack.currentWidget().panel is win.weights_stack.kernel_grid
    assert win.network_stack.currentWidget().panel is win.network_stack.conv_view
    kernels_match(win, win.controller.latest)


@pytest.mark.slow
@pytest.mark.parametrize("lesson", CONV_LESSONS)
def test_every_explore_tab_works_on_a_conv_lesson_or_says_why_not(qtbot, make_window, lesson):
    win = make_window(lesson)
    trained(qtbot, win, 3)
    digit(win)
    win.docks["explore"].raise_()
    win.explore.held = False
    qtbot.wait(50)
    for i in range(win.explore.count()):
        if not win.explore.isTabVisible(i):
            continue
        win.explore.setCurrentIndex(i)
        win.frames.redraw()
        win.frames.render_latest()
        win.frames.refresh_explore()
        qtbot.wait(30)
        panel = win.explore.panel(i)
        title = win.explore.tabText(i)
        note = panel.note_text()
        if title in ("Mistakes", "Learning-rate probe", "Where learning happens", "Nudge vs gradient",
                     "What a neuron wants"):
            assert note is None, title  # these work on a conv net
        if title == "Mistakes":
            assert panel.counts is not None and panel.counts.sum() == len(win.controller.dataset.x_test)
        elif title == "Learning-rate probe":
            qtbot.waitUntil(lambda p=panel: not p.is_computing(), timeout=20000)  # probed off the GUI thread
            assert panel.probe is not None and np.isfinite(panel.probe.base_loss)
        elif title == "Where learning happens":
            assert panel.drawn_for() is win.controller.latest
        elif title == "Nudge vs gradient":  # a kernel, compared in the background
            qtbot.waitUntil(lambda panel=panel: panel.comparison is not None, timeout=20000)
            assert panel.comparison.kernel_shape is not None and panel.picker.isVisible()
        elif title == "What a neuron wants":
            assert panel.saliency is not None and panel.saliency.shape == (win.controller.dataset.n_inputs,)
        else:
            assert note, f"{title}: neither a picture nor a sentence"
            assert "convolution" in note or "smile" in note, (title, note)


def test_the_conv_view_is_cheap_per_frame(qtbot, make_window):
    """While painting, a frame reuses every item: no new plots, no new images."""
    win = make_window("conv")
    view = win.network_stack.conv_view
    plots = dict(view.feature_maps.plots)
    rows = list(view.pixel_view.images)
    for k in range(5):
        img = np.zeros(win.pixel_editor.canvas.shape, np.float32)
        img[k, :] = 1
        win.pixel_editor.set_image(img)
    assert view.feature_maps.plots == plots and view.pixel_view.images == rows


def test_the_conv_pages_are_built_on_first_use_with_the_choices_made_before(qtbot, make_window):
    win = make_window("digits")
    assert win.weights_stack._grid is None and win.network_stack._conv is None  # not at start-up
    win.set_palette("blue-orange")
    win.actions["delta"].setChecked(True)
    win.choose_lesson("conv")
    qtbot.waitUntil(lambda: win.controller.latest.lesson == "conv", timeout=10000)
    win.frames.render_latest()
    grid = win.weights_stack.kernel_grid
    assert grid.palette_name == "blue-orange" and grid.show_delta
    assert win.network_stack.currentWidget().panel is win.network_stack.conv_view


@pytest.mark.parametrize("lesson", ["smile", "digits", *CONV_LESSONS])
def test_the_explore_dock_shows_only_the_tabs_of_the_lesson(shared_window, lesson):
    """The smile lesson's population tab was offered in the convolution lessons too."""
    win = shared_window(lesson)
    titles = [win.explore.tabText(i) for i in range(win.explore.count())]
    population = titles.index("Smile population")
    assert win.explore.isTabVisible(population) == (lesson == "smile")
    bar = win.explore.tabBar()
    assert bar.buttons[population].isHidden() == (lesson != "smile")  # the button a learner clicks
    assert "What a neuron wants" in win.explore.shown_titles()
    assert len(win.explore.shown_titles()) == len(titles) - (lesson != "smile")
