"""Regenerate the README screenshot: an offscreen grab() of the real window mid-training.

    nnviz screenshot resources/screenshot.png
"""

from __future__ import annotations

from pathlib import Path

from .offscreen import open_window, train_in_window


def save_screenshot(output: str | Path, lesson: str = "mnist", iterations: int = 300) -> Path:
    """Train ``iterations`` steps, load a test digit into the editor, grab the window to ``output``."""
    app, win = open_window(lesson)
    try:
        train_in_window(app, win, iterations)
        ds = win.controller.dataset
        win.pixel_editor.set_image(ds.x_test[0].reshape(ds.image_shape))
        win.weight_panel.select_neuron(1, 0)
        win.notice.hide()  # the first-start offer of the guide: not what a visitor should see over the network
        app.processEvents()
        win.frames.render_latest()
        output = Path(output)
        output.parent.mkdir(parents=True, exist_ok=True)
        if not win.grab().save(str(output)):
            raise OSError(f"could not write {output}")
        return output
    finally:
        win.close()
