"""The real window on a 1280×720 and a 1366×768 laptop screen: it fits, every panel has the room
its controls need (no panel scrolls at the first-start size), the answer stays inside the network
view, and nothing a learner does — ΔW, preprocessing, a neuron, a long layer title, another
lesson — makes the window or a dock grow."""

import numpy as np
import pytest
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtWidgets import QLabel

from nnviz.model.core.health import LayerHealth
from nnviz.qt.offscreen import scratch_settings
from nnviz.qt.window import docks as docks_module
from nnviz.qt.window.docks import DockScroll

SCREENS = [(1280, 720), (1366, 768)]
DECORATION = QSize(60, 80)  # a title bar and a task bar: the window's minimum must leave room for them
MIN_SLIDER = 200


@pytest.fixture
def laptop(qtbot, monkeypatch):
    """A first-start MainWindow on a screen of the given size (throw-away settings)."""
    from nnviz.qt.window.main_window import MainWindow

    windows = []

    def make(lesson, screen=(1280, 720)):
        monkeypatch.setattr(docks_module, "available_geometry", lambda: QRect(0, 0, *screen))
        win = MainWindow(lesson=lesson, settings=scratch_settings())
        qtbot.addWidget(win)
        win.show()
        qtbot.waitUntil(lambda: win.controller.latest is not None and win.controller.latest.lesson == lesson
                        and not win.explore.held, timeout=20000)
        settle(qtbot, win)
        windows.append(win)
        return win

    yield make
    for win in windows:
        win.close()


def settle(qtbot, win, ms=60):
    win.frames.render_latest()
    qtbot.wait(ms)
    win.frames.render_latest()
    qtbot.wait(ms)


def on_screen(widget) -> bool:
    return widget.isVisible() and not widget.visibleRegion().isEmpty()


def problems(win, screen) -> list[str]:
    """Everything that does not fit, in words (empty: all fits)."""
    out = []
    need = win.minimumSizeHint().expandedTo(win.minimumSize())
    room = QSize(*screen) - DECORATION
    if need.width() > room.width() or need.height() > room.height():
        out.append(f"window minimum {need.toTuple()} > {room.toTuple()}")
    if win.width() > screen[0] or win.height() > screen[1]:
        out.append(f"window {win.size().toTuple()} larger than the screen {screen}")
    for key, dock in win.docks.items():
        scroll = dock.widget()
        assert isinstance(scroll, DockScroll)
        if on_screen(dock) and not scroll.fits():
            out.append(f"{key}: panel needs {scroll.need(scroll.maximumViewportSize().width()).toTuple()} "
                       f"in {scroll.maximumViewportSize().toTuple()}")
    av = win.activation_view
    visible = av.view.mapToScene(av.view.viewport().rect()).boundingRect()
    for name, item in (("answer bars", av.out_plot.vb), ("answer title", av.out_plot.titleLabel),
                       *((f"layer {i} plot", p) for i, p in enumerate(av.plots))) if av.isVisible() else ():
        r = item.sceneBoundingRect()
        if not visible.adjusted(-0.5, -0.5, 0.5, 0.5).contains(r):
            out.append(f"{name} {r.getRect()} outside the network view {visible.getRect()}")
    conv = win.network_stack.conv_view
    if conv.isVisible():  # a conv net: its input, maps and breakdown all have room
        for name, w in (("input", conv.input_view), ("feature maps", conv.feature_maps),
                        ("feature pixel", conv.pixel_view)):
            if w.width() < 100 or w.height() < 80:
                out.append(f"{name} only {w.size().toTuple()}")
    if win.timeline_bar.slider.width() < MIN_SLIDER:
        out.append(f"timeline slider only {win.timeline_bar.slider.width()} px")
    if on_screen(win.explore):
        bar = win.explore.tabBar()
        for b in bar.buttons:
            if b.isHidden():
                continue  # a tab of another lesson (Smile population outside the smile lesson)
            if not bar.rect().contains(b.geometry()) or not b.isVisible():
                out.append(f"Explore tab {b.text()!r} not fully shown")
    return out


def sizes(win) -> dict:
    return {"window": win.size().toTuple(),
            **{k: d.size().toTuple() for k, d in win.docks.items() if on_screen(d)}}


def saturated_health(win):
    return [LayerHealth(np.zeros(n, bool), np.ones(n, bool), np.ones(n), examples=256)
            for n in win.controller.latest.sizes[1:-1]]


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("lesson", ["smile", "mnist", "digits", "conv", "mnist-conv"])
def test_each_lesson_fits_a_laptop_screen_at_first_start_and_maximized(qtbot, laptop, lesson, screen):
    win = laptop(lesson, screen)
    assert problems(win, screen) == []
    win.resize(*screen)  # maximized
    settle(qtbot, win)
    assert problems(win, screen) == []


@pytest.mark.slow
@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_no_action_in_any_dense_lesson_makes_the_window_grow(qtbot, laptop, screen):
    win = laptop("mnist", screen)  # the first lesson a new learner sees
    win.resize(*screen)  # maximized
    settle(qtbot, win)
    before = sizes(win)
    actions = []
    for name in ("mnist", "smile", "digits", "mnist"):  # each lesson's own actions, then a switch back
        if name != win.controller.latest.lesson or actions:
            actions.append((f"lesson {name}", lambda name=name: (
                win.choose_lesson(name),
                qtbot.waitUntil(lambda: win.controller.latest.lesson == name, timeout=20000))))
        actions += [(f"{name}: ΔW", lambda: qtbot.keyClick(win, Qt.Key_D)),
                    (f"{name}: preprocessing", lambda: win.pixel_editor.preprocess_box.toggle()),
                    (f"{name}: a neuron", lambda: win.weight_panel.select_neuron(1, 0)),
                    (f"{name}: a deeper neuron",
                     lambda: win.activation_view.select_neuron(len(win.activation_view.sizes) - 2, 0)),
                    (f"{name}: saturated titles", lambda: win.activation_view.set_health(saturated_health(win))),
                    (f"{name}: pre-activations", lambda: qtbot.keyClick(win, Qt.Key_P))]
    for what, act in actions:
        act()
        settle(qtbot, win)
        assert problems(win, screen) == [], what
        assert sizes(win) == before, f"{what} resized the window or a dock"


@pytest.mark.slow
@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("lesson", ["conv", "mnist-conv"])
def test_no_action_in_a_conv_lesson_makes_the_window_grow(qtbot, laptop, lesson, screen):
    win = laptop(lesson, screen)
    win.resize(*screen)  # maximized
    settle(qtbot, win)
    before = sizes(win)
    maps = win.network_stack.conv_view.feature_maps

    def click(layer, channel):
        widget, point = maps.view_point(layer, channel, 0, 0)
        qtbot.mouseClick(widget.viewport(), Qt.LeftButton, pos=point)

    actions = [("ΔW", lambda: qtbot.keyClick(win, Qt.Key_D)),
               ("preprocessing", lambda: win.pixel_editor.preprocess_box.toggle()),
               ("a pooling pixel", lambda: click(2, 1)),
               ("a conv pixel", lambda: click(1, 2)),
               ("the last conv layer's pixel", lambda: click(max(maps.plots) - 1, 3))]
    for name in ("digits", lesson):
        actions.append((f"lesson {name}", lambda name=name: (
            win.choose_lesson(name),
            qtbot.waitUntil(lambda: win.controller.latest.lesson == name, timeout=20000))))
    for what, act in actions:
        act()
        settle(qtbot, win)
        assert problems(win, screen) == [], what
        assert sizes(win) == before, f"{what} resized the window or a dock"


@pytest.mark.slow
@pytest.mark.parametrize("lesson", ["smile", "mnist", "digits", "conv", "mnist-conv"])
def test_every_explore_tab_is_reachable_and_fits_its_dock(qtbot, laptop, lesson):
    win = laptop(lesson, (1280, 720))
    win.docks["explore"].raise_()
    settle(qtbot, win)
    bar = win.explore.tabBar()
    assert bar.usesScrollButtons() is False and len(bar.buttons) == win.explore.count() == 6
    for i, button in enumerate(bar.buttons):
        if button.isHidden():
            assert lesson != "smile" and win.explore.tabText(i) == "Smile population"
            continue
        qtbot.mouseClick(button, Qt.LeftButton)  # a click on a tab that is really there
        assert win.explore.currentIndex() == i
        win.frames.refresh_explore()
        settle(qtbot, win, 100)
        assert problems(win, (1280, 720)) == [], win.explore.tabText(i)
    assert win.size().toTuple() == (1216, 662)  # the first-start size for this screen, unchanged


def test_the_enlarged_neuron_is_more_than_twice_its_tile(qtbot, laptop):
    win = laptop("mnist")
    panel = win.weight_panel
    panel.select_neuron(1, 5)
    settle(qtbot, win, 100)
    assert panel.detail_view.pixels() >= 2 * panel.tile_pixels() > 0


def test_the_lesson_description_takes_two_lines_until_clicked(qtbot, laptop):
    win = laptop("mnist")
    label = win.lesson_label
    line = label.fontMetrics().lineSpacing()
    assert label.height() <= 2 * line + 12 < label.heightForWidth(label.width())  # longer than it shows
    qtbot.mouseClick(label, Qt.LeftButton)
    settle(qtbot, win)
    assert label.height() >= label.heightForWidth(label.width()) - 2  # all of it
    assert problems(win, (1280, 720)) == []
    qtbot.mouseClick(label, Qt.LeftButton)
    settle(qtbot, win)
    assert label.height() <= 2 * line + 12


def test_the_editor_hint_wraps(qtbot):
    from nnviz.qt.views.pixel_editor import PixelEditor

    editor = PixelEditor()
    qtbot.addWidget(editor)
    assert editor.hint.wordWrap()


def test_view_reset_layout_brings_every_panel_back_to_its_first_start_place_and_size(qtbot, laptop):
    win = laptop("mnist", (1366, 768))
    first = sizes(win)
    areas = {k: win.dockWidgetArea(d) for k, d in win.docks.items()}
    # a learner rearranges: floats the weights, closes the examples, narrows the editor, drags training right
    win.docks["weightPanel"].setFloating(True)
    win.docks["datasetBrowser"].close()
    win.resizeDocks([win.docks["pixelEditor"]], [250], Qt.Horizontal)
    win.addDockWidget(Qt.RightDockWidgetArea, win.docks["trainingPanel"])
    settle(qtbot, win)
    assert sizes(win) != first
    win.findChild(type(win.actions["reset_layout"]), "resetLayoutAction").trigger()
    settle(qtbot, win)
    assert {k: win.dockWidgetArea(d) for k, d in win.docks.items()} == areas
    assert not any(d.isFloating() for d in win.docks.values())
    assert win.docks["datasetBrowser"] in win.tabifiedDockWidgets(win.docks["pixelEditor"])
    assert win.docks["explore"] in win.tabifiedDockWidgets(win.docks["weightPanel"])
    assert not win.docks["lessonGuide"].isVisible()
    for key, (w, h) in first.items():  # the first-start sizes, give or take a splitter handle
        got = sizes(win).get(key)
        assert got is not None and abs(got[0] - w) <= 8 and abs(got[1] - h) <= 8, (key, got, (w, h))
    assert not problems(win, (1366, 768))


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_selecting_a_neuron_moves_nothing_in_the_weights(qtbot, laptop, screen):
    win = laptop("mnist", screen)
    panel = win.weight_panel
    settle(qtbot, win, 100)
    before = (panel.splitter.sizes(), panel.tile_pixels(), (panel.grid_rows, panel.grid_cols))
    panel.select_neuron(1, 5)
    settle(qtbot, win, 100)
    assert (panel.grid_rows, panel.grid_cols) == before[2]  # the tiles keep their rows (it was 6-6-4 → 6-5-5)
    assert max(abs(a - b) for a, b in zip(panel.splitter.sizes(), before[0])) <= 4  # a few pixels at most
    assert panel.tile_pixels() == pytest.approx(before[1], rel=0.03)
    assert panel.detail_view.pixels() >= 2 * panel.tile_pixels() > 0  # and it is still drawn large


def test_a_cut_lesson_description_ends_in_an_ellipsis_and_an_open_one_does_not(qtbot, laptop):
    win = laptop("mnist")
    label = win.lesson_label
    more = label.findChild(QLabel, "lineClampMore")
    assert more is not None and more.isVisible() and "…" in more.text()  # two lines of five: it says so
    assert label.rect().contains(more.geometry())  # at the end of the second line, inside the label
    line = label.fontMetrics().lineSpacing()
    assert more.geometry().top() == label.contentsRect().top() + line  # the second line's top
    # ... and down to the label's edge: the tops of the third line's letters showed under the "…"
    assert more.geometry().bottom() == label.rect().bottom()
    # the words under it are hidden: in the label it looks as it does alone
    under = label.grab().toImage().copy(more.geometry())
    assert under == more.grab().toImage().convertToFormat(under.format())
    qtbot.mouseClick(label, Qt.LeftButton)
    settle(qtbot, win)
    assert not more.isVisible()
    qtbot.mouseClick(label, Qt.LeftButton)
    settle(qtbot, win)
    assert more.isVisible()


@pytest.mark.parametrize("screen", SCREENS)
def test_a_laptop_gives_its_room_to_the_network_and_the_canvas(qtbot, laptop, screen, monkeypatch):
    win = laptop("mnist", screen)
    states = []
    # offscreen, a maximised window takes the test machine's own screen: only record the wish
    monkeypatch.setattr(win, "setWindowState", states.append)
    win.show_on_screen()  # a first start on a laptop's screen fills it
    assert states and states[-1] & Qt.WindowMaximized
    qtbot.waitUntil(lambda: win.size() == QSize(*screen), timeout=5000)
    settle(qtbot, win)
    training = win.docks["trainingPanel"]
    # the training dock starts at what its controls need (and a settings row), not a third of the height
    assert training.height() <= docks_module.dock_need(training) + docks_module.TRAINING_SPARE + 8
    assert training.widget().fits()
    # each layer's picture fills its box: pyqtgraph's auto-range margin drew 90 px pictures in 107 px
    view = win.activation_view
    for plot, image in zip(view.plots, view.images):
        box = plot.vb.sceneBoundingRect()
        picture = image.sceneBoundingRect()
        assert max(picture.width() / box.width(), picture.height() / box.height()) > 0.97
    win.open_guide()
    editor = win.docks["pixelEditor"].widget()
    qtbot.wait(300)
    qtbot.waitUntil(editor.fits, timeout=3000)  # the canvas shrinks before the editor scrolls
    assert win.docks["lessonGuide"].widget().fits()
    assert win.pixel_editor.grid.height() >= 150


def test_a_window_made_small_and_large_again_gives_the_docks_their_sizes_back(qtbot, laptop):
    """800×560 squeezes the side columns; maximised again, Qt gave the room to the centre alone
    and the editor and weights stayed ~130 px wide. A separator the learner drags is kept."""
    win = laptop("mnist", (1366, 768))
    qtbot.waitUntil(lambda: bool(win.side_widths.wanted), timeout=3000)
    d = win.docks
    first = {k: (d[k].width(), d[k].height()) for k in ("pixelEditor", "weightPanel", "trainingPanel")}
    size = win.size()
    win.resize(800, 560)
    qtbot.waitUntil(lambda: d["pixelEditor"].width() < first["pixelEditor"][0] - 50, timeout=3000)
    win.resize(size)
    qtbot.waitUntil(lambda: d["pixelEditor"].width() == first["pixelEditor"][0], timeout=3000)
    assert d["weightPanel"].width() == first["weightPanel"][0]
    assert d["trainingPanel"].height() == first["trainingPanel"][1]
    assert d["pixelEditor"].widget().fits()
    win.resizeDocks([d["pixelEditor"]], [300], Qt.Horizontal)  # as a drag of its separator does…
    qtbot.waitUntil(lambda: d["pixelEditor"].width() == 300, timeout=3000)
    win.side_widths.remember()  # …which ends in a release on the window
    win.resize(900, 600)
    win.resize(size)
    qtbot.waitUntil(lambda: d["pixelEditor"].width() == 300, timeout=3000)  # the learner's width, not the first
