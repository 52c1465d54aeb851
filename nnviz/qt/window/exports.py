"""Exports for teaching: the window or one panel as a PNG, the weights over time as a GIF, the
network as a safetensors or ONNX file for PyTorch and other tools."""

from __future__ import annotations

import importlib.util

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QInputDialog

from ...model.errors import NNVizError
from ..graphics.export import export_png, render_image, write_gif

MAX_GIF_FRAMES = 80
MODEL_FORMATS = {"safetensors": "safetensors", "onnx": "ONNX"}  # suffix -> name


class ExportsController(QObject):
    message = Signal(str)
    failed = Signal(str)

    def __init__(self, files, controller, window, panels: dict, weight_panel, frames, parent=None):
        """``panels``: name -> widget (docks' widgets and the activation view); ``frames``: the
        FrameRenderer, told to redraw after the GIF borrowed the weight panel."""
        super().__init__(parent)
        self.files, self.controller, self.window = files, controller, window
        self.panels, self.weight_panel, self.frames = panels, weight_panel, frames
        self._gif_request = None
        controller.framesReady.connect(self._write_gif_frames)

    def export_window(self, path: str | None = None) -> bool:
        path = path or self.files.ask_save("Export view as PNG", "nnviz.png", "PNG images (*.png)", ".png",
                                          pictures=True)
        if not path:
            return False
        ok = self.window.grab().save(path)
        (self.message if ok else self.failed).emit(f"Exported {path}" if ok else f"Could not write {path}")
        return ok

    def export_panel(self, key: str, path: str | None = None, scale: float = 2.0):
        """A panel as a PNG at ``scale``× its size on screen; returns its (width, height) or None."""
        path = path or self.files.ask_save("Export panel as PNG", f"{key}.png", "PNG images (*.png)", ".png",
                                          pictures=True)
        if not path:
            return None
        try:
            size = export_png(self.panels[key], path if path.endswith(".png") else path + ".png", scale)
        except OSError as e:
            self.failed.emit(f"Could not write {path}: {e}")
            return None
        self.message.emit(f"Exported {path} ({size[0]}×{size[1]})")
        return size

    def export_model(self, kind: str, path: str | None = None) -> bool:
        """The shown network as ``kind`` ("safetensors", with its spec in the metadata, or "onnx")."""
        # the writers load on the first export: ~7 ms the app's start-up does not need
        from ...model.files.foreign.onnx_file import INSTALL, save_onnx
        from ...model.files.foreign.safetensors_file import save_safetensors

        snap, name = self.controller.latest, MODEL_FORMATS[kind]
        if snap is None:
            return False
        if kind == "onnx" and importlib.util.find_spec("onnx") is None:  # before a file is chosen
            self.failed.emit(f"Exporting ONNX needs the onnx package: {INSTALL}")
            return False
        path = path or self.files.ask_save(f"Export model as {name}", f"{snap.lesson}-{snap.iteration}.{kind}",
                                           f"{name} models (*.{kind})", f".{kind}")
        if not path:
            return False
        try:
            if kind == "onnx":
                save_onnx(path, snap.network())
            else:
                save_safetensors(path, snap.network(), snap.lesson)
        except (OSError, NNVizError) as e:
            self.failed.emit(f"Could not export {path}: {e}")
            return False
        how = ("; the README shows the three PyTorch lines that load it" if kind == "safetensors" else "")
        self.message.emit(f"Exported {path} (iteration {snap.iteration:,}){how}")
        return True

    def export_weights_gif(self, path: str | None = None, first: int | None = None, last: int | None = None,
                           fps: float = 8.0) -> None:
        """Ask the worker for the kept iterations in [first, last]; they are drawn when they arrive."""
        snap = self.controller.latest
        if snap is None:
            return
        kept = list(snap.timeline) or [snap.iteration]
        if first is None or last is None:
            text, ok = QInputDialog.getText(self.window, "Export weights animation",
                                            f"Iterations to animate (kept: {kept[0]}–{kept[-1]}):",
                                            text=f"{kept[0]}-{kept[-1]}")
            if not ok:
                return
            try:
                first, last = (int(v) for v in text.replace("–", "-").split("-"))
            except ValueError:
                self.failed.emit(f"“{text}” is not a range like 0-400")
                return
        path = path or self.files.ask_save("Export weights animation", "weights.gif", "GIF animations (*.gif)",
                                           ".gif", pictures=True)
        if not path:
            return
        self._gif_request = (path if path.endswith(".gif") else path + ".gif", fps)
        self.controller.frames(min(first, last), max(first, last), MAX_GIF_FRAMES)

    @Slot(object)
    def _write_gif_frames(self, snaps) -> None:
        if self._gif_request is None:
            return
        path, fps = self._gif_request
        self._gif_request = None
        if not snaps:
            self.failed.emit("No kept iterations in that range: pause, then pick a range the timeline shows")
            return
        frames = []
        for s in snaps:
            self.weight_panel.show_snapshot(s)
            frames.append(render_image(self.weight_panel, 1.0))
        self.frames.redraw()  # the live snapshot again on the next frame
        try:
            write_gif(path, frames, fps)
        except OSError as e:
            self.failed.emit(f"Could not write {path}: {e}")
            return
        self.message.emit(f"Exported {path}: {len(frames)} frames, iterations "
                          f"{snaps[0].iteration:,}–{snaps[-1].iteration:,}")
