"""How the activation view marks hidden units that stopped learning: coloured rims and a legend."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QLabel

from ..graphics.tiles import cell_outline

DEAD_RGBA, SATURATED_RGBA = (255, 140, 0, 255), (0, 215, 255, 255)  # rims of units that stopped learning
DEAD_HTML, SATURATED_HTML = "#ff8c00", "#00a8cc"  # the same hues, readable as text on a light background
TIP = ("Coloured rims: dead units never fire, saturated ones are stuck at their limit. Judged on a fixed "
       "sample of training images. A dead ReLU unit outputs 0 for every one of them, so its gradient is 0 "
       "and it cannot learn again; a saturated sigmoid/tanh unit sits near 0/1 (±1) for almost all of them, "
       "where its slope is nearly 0, so it learns very slowly.")


def health_rims(index_map: np.ndarray, marks) -> np.ndarray:
    """RGBA (H, W, 4) uint8: each marked unit's disc rim in its colour. ``index_map`` (H, W) gives
    the unit under each pixel (n for none); ``marks``: (mask (n,) bool, rgba) pairs."""
    rim = cell_outline(index_map)
    img = np.zeros(index_map.shape + (4,), np.uint8)
    for mask, colour in marks:
        img[np.append(mask, False)[index_map] & rim] = colour
    return img


class HealthLegend(QLabel):
    """objectName ``healthLegend``: which rim colours are on screen (hidden when none)."""

    def __init__(self, parent=None):
        super().__init__("", parent)
        self.setObjectName("healthLegend")
        self.setToolTip(TIP)
        self.setVisible(False)

    def show_kinds(self, kinds) -> None:
        """``kinds``: a subset of {"dead", "saturated"}."""
        # short: the row it shares with the hover text must fit a narrow window; the tooltip explains
        parts = [f"<span style='color:{colour}; font-weight: 900;'>◯</span> {kind}"
                 for kind, colour in (("dead", DEAD_HTML), ("saturated", SATURATED_HTML)) if kind in kinds]
        self.setText("&nbsp;&nbsp;".join(parts))
        self.setVisible(bool(parts))
