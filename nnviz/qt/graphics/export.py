"""Export for teaching: any panel as a high-resolution PNG, a run of frames as an animated GIF.

``render_image(widget, scale)`` paints a widget (and its children) into a QImage of
``scale`` × its size through a painter on a high-DPI image, so text, lines and
pyqtgraph's vector items are drawn at the higher resolution rather than upscaled.
``export_png`` saves that; ``write_gif`` encodes frames (QImages or uint8 arrays)
with Pillow. Pillow rather than a home-made LZW encoder: a GIF holds at most 256
colours per frame, and choosing them well for heatmap gradients (median-cut
quantisation, one shared palette so colours do not shimmer between frames) is the
hard part; Pillow does it in C, is a small wheel on every platform, and the tests
read the GIFs back with it. Both files are written atomically.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Iterable

import numpy as np
from PySide6.QtCore import QBuffer, QIODevice, QPoint
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QScrollArea, QWidget

from ...model.storage.atomic import atomic_write

#: GIF delays are whole centiseconds and browsers slow anything under 20 ms to 100 ms
MIN_FRAME_MS = 20


def render_image(widget: QWidget, scale: float = 2.0) -> QImage:
    """``widget`` (with its children) painted into a QImage of round(scale × its size) pixels;
    a scroll area (a dock's) gives its whole panel, also the part scrolled out of sight."""
    if isinstance(widget, QScrollArea) and widget.widget() is not None:
        widget = widget.widget()
    if not (math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive number (got {scale})")
    w, h = max(1, round(widget.width() * scale)), max(1, round(widget.height() * scale))
    image = QImage(w, h, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(widget.palette().window().color())
    painter = QPainter(image)
    try:
        painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing
                               | QPainter.RenderHint.SmoothPixmapTransform)
        # scale the painter, not the pixels: the widget paints itself at the higher resolution
        painter.scale(w / max(1, widget.width()), h / max(1, widget.height()))
        flags = QWidget.RenderFlag.DrawWindowBackground | QWidget.RenderFlag.DrawChildren
        widget.render(painter, QPoint(0, 0), renderFlags=flags)
    finally:
        painter.end()
    return image


def export_png(widget: QWidget, path: str | Path, scale: float = 2.0) -> tuple[int, int]:
    """Save ``widget`` as a PNG of scale × its size (e.g. a 400×300 panel -> 800×600).

    Returns the image's (width, height) in pixels. Raises OSError if it cannot be written;
    a failed write leaves any previous file at ``path`` intact.
    """
    image = render_image(widget, scale)
    _save_atomic(path, _encode(image, "PNG"))
    return image.width(), image.height()


def write_gif(path: str | Path, frames, fps: float = 10.0, loop: int = 0) -> Path:
    """Write ``frames`` as an animated GIF playing at ``fps`` frames per second.

    ``frames``: a list of QImages, or of uint8 arrays (h, w, 3|4), or one uint8 array
    (n, h, w, 3|4); all the same size. Transparency is flattened onto white. Each
    frame lasts round(100 / fps) centiseconds, at least 20 ms (so at most 50 fps);
    ``loop=0`` repeats forever. Consecutive identical frames become one frame that
    lasts as long as they did together (GIF encoders do this; playback is the same).
    """
    from PIL import Image

    if not (math.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be a positive number (got {fps})")
    arrays = [_rgb(f) for f in _frames(frames)]
    if not arrays:
        raise ValueError("a GIF needs at least one frame")
    shape = arrays[0].shape
    if any(a.shape != shape for a in arrays):
        sizes = sorted({f"{a.shape[1]}×{a.shape[0]}" for a in arrays})
        raise ValueError(f"every frame must be the same size (got {', '.join(sizes)})")
    duration = max(MIN_FRAME_MS, 10 * round(100 / fps))
    # one palette for the whole animation, chosen from frames across it: colours stay put
    picks = sorted({round(i) for i in np.linspace(0, len(arrays) - 1, min(len(arrays), 4))})
    palette = Image.fromarray(np.concatenate([arrays[i] for i in picks], axis=0)).quantize(
        256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    images = [Image.fromarray(a).quantize(palette=palette, dither=Image.Dither.NONE) for a in arrays]
    out = io.BytesIO()
    images[0].save(out, format="GIF", save_all=True, append_images=images[1:], duration=duration, loop=loop)
    return _save_atomic(path, out.getvalue())


def _frames(frames) -> Iterable:
    if isinstance(frames, np.ndarray):
        if frames.ndim != 4:
            raise ValueError(f"an array of frames must be (n, h, w, 3|4) uint8 (got shape {frames.shape})")
        return list(frames)
    return list(frames)


def _rgb(frame) -> np.ndarray:
    """One frame as a C-contiguous uint8 (h, w, 3) array, alpha flattened onto white."""
    if isinstance(frame, QImage):
        img = frame.convertToFormat(QImage.Format.Format_RGBA8888)
        h, w, stride = img.height(), img.width(), img.bytesPerLine()
        a = np.frombuffer(img.constBits(), np.uint8, count=h * stride).reshape(h, stride)[:, :w * 4]
        a = a.reshape(h, w, 4)
    else:
        a = np.asarray(frame)
        if a.dtype != np.uint8 or a.ndim != 3 or a.shape[2] not in (3, 4) or 0 in a.shape:
            raise ValueError(f"a frame must be a QImage or a uint8 array (h, w, 3|4) "
                             f"(got {a.dtype} {a.shape})")
    if a.shape[2] == 4:
        alpha = a[..., 3:].astype(np.uint16)
        a = ((a[..., :3] * alpha + 255 * (255 - alpha) + 127) // 255).astype(np.uint8)
    return np.ascontiguousarray(a)


def _encode(image: QImage, fmt: str) -> bytes:
    buf = QBuffer()
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buf, fmt):
        raise OSError(f"could not encode the image as {fmt}")
    return bytes(buf.data())


def _save_atomic(path: str | Path, data: bytes) -> Path:
    return atomic_write(path, lambda f: f.write(data))
