"""Export for teaching: PNGs at scale× the panel's size, animated GIFs Pillow reads back exactly."""

import numpy as np
import pyqtgraph as pg
import pytest
from PIL import Image
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from nnviz.qt.graphics.export import export_png, render_image, write_gif

from tests.qt.conftest import shown


def _panel(qtbot, w=320, h=200):
    """A label, a pyqtgraph plot and a red block at (10, 10, 40×20): a small stand-in for a panel."""
    panel = QWidget()
    layout = QVBoxLayout(panel)
    layout.addWidget(QLabel("weights of neuron 3"))
    plot = pg.PlotWidget()
    plot.plot([0, 1, 2, 3], [0, 1, 0, 1])
    layout.addWidget(plot)
    block = QFrame(panel)
    block.setStyleSheet("background: rgb(255, 0, 0);")
    block.setGeometry(10, 10, 40, 20)
    block.raise_()
    return shown(qtbot, panel, w, h), block


def _rgb(img: QImage, x, y):
    c = img.pixelColor(x, y)
    return c.red(), c.green(), c.blue()


@pytest.mark.parametrize("scale,size", [(2.0, (640, 400)), (3.0, (960, 600)), (1.5, (480, 300)), (1.0, (320, 200))])
def test_png_is_exactly_scale_times_the_widget(qtbot, tmp_path, scale, size):
    panel, _ = _panel(qtbot)
    path = tmp_path / "panel.png"
    assert export_png(panel, path, scale=scale) == size
    img = QImage(str(path))
    assert not img.isNull() and (img.width(), img.height()) == size
    # the content is scaled with it: the red block's centre (30, 20) lands at scale × that
    assert _rgb(img, round(30 * scale), round(20 * scale)) == (255, 0, 0)
    assert _rgb(img, round(60 * scale), round(20 * scale)) != (255, 0, 0)
    assert [p.name for p in tmp_path.iterdir()] == ["panel.png"]  # written atomically, no temp left


def test_a_real_panel_exports_with_detail(make_window, tmp_path):
    win = make_window("smile")
    panel = win.weight_panel
    w, h = export_png(panel, tmp_path / "weights.png")
    assert (w, h) == (2 * panel.width(), 2 * panel.height())
    img = QImage(str(tmp_path / "weights.png"))
    colours = {img.pixel(x, y) for x in range(0, w, 7) for y in range(0, h, 7)}
    assert len(colours) > 10  # drawn, not a blank canvas


def test_bad_scale_is_refused(qtbot):
    panel, _ = _panel(qtbot)
    for bad in (0, -1, float("nan")):
        with pytest.raises(ValueError, match="scale"):
            render_image(panel, bad)


def test_gif_of_rendered_frames(qtbot, tmp_path):
    panel, block = _panel(qtbot)
    frames = []
    for i in range(5):
        block.move(10 + 40 * i, 10)  # something moves: five different frames
        frames.append(render_image(panel, scale=1.0))
    path = write_gif(tmp_path / "run.gif", frames, fps=10)
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames == 5 and gif.size == (320, 200)
        assert gif.info.get("loop") == 0
        for i in range(5):
            gif.seek(i)
            assert gif.info["duration"] == 100
            rgb = gif.convert("RGB")
            assert rgb.getpixel((30 + 40 * i, 20)) == (255, 0, 0)  # colours survive the palette


@pytest.mark.parametrize("channels", [3, 4])
def test_gif_of_arrays(tmp_path, channels):
    n, h, w = 6, 24, 32
    frames = np.zeros((n, h, w, channels), np.uint8)
    for i in range(n):
        frames[i, :, :, 0] = np.linspace(0, 255, w).astype(np.uint8)  # a gradient
        frames[i, 4:10, 3 * i:3 * i + 5, :3] = (0, 200, 0)
    if channels == 4:
        frames[..., 3] = 255
        frames[:, 0, 0, 3] = 0  # transparent -> white
    path = write_gif(tmp_path / "a.gif", frames, fps=4)
    with Image.open(path) as gif:
        assert gif.n_frames == n and gif.size == (w, h)
        durations = []
        for i in range(n):
            gif.seek(i)
            durations.append(gif.info["duration"])
            rgb = np.asarray(gif.convert("RGB"))
            np.testing.assert_allclose(rgb[6, 3 * i + 1], (0, 200, 0), atol=12)
            if channels == 4:
                np.testing.assert_allclose(rgb[0, 0], (255, 255, 255), atol=12)
        assert durations == [250] * n
    # a list of (h, w, c) arrays is the same thing
    write_gif(tmp_path / "b.gif", list(frames), fps=4)
    with Image.open(tmp_path / "b.gif") as gif:
        assert gif.n_frames == n


def test_fast_fps_is_capped_at_what_players_honour(tmp_path):
    frames = [np.full((4, 4, 3), v, np.uint8) for v in (0, 80, 160, 240)]
    with Image.open(write_gif(tmp_path / "fast.gif", frames, fps=120)) as gif:
        assert gif.info["duration"] == 20


@pytest.mark.parametrize("frames,fps,word", [
    ([], 10, "at least one frame"),
    ([np.zeros((4, 4, 3), np.uint8), np.zeros((5, 4, 3), np.uint8)], 10, "same size"),
    ([np.zeros((4, 4, 3), np.float32)], 10, "uint8"),
    ([np.zeros((4, 4), np.uint8)], 10, "uint8"),
    (np.zeros((4, 4, 3), np.uint8), 10, "(n, h, w, 3|4)"),
    ([np.zeros((4, 4, 3), np.uint8)], 0, "fps"),
])
def test_bad_frames_are_refused(tmp_path, frames, fps, word):
    with pytest.raises(ValueError, match=word.replace("(", r"\(").replace(")", r"\)").replace("|", r"\|")):
        write_gif(tmp_path / "x.gif", frames, fps=fps)
    assert not (tmp_path / "x.gif").exists()
