"""The activation view's "how it is made" panel: for the selected neuron, its inputs times
its weights as a picture (in the input's shape for layer 1, one strip over the layer
before otherwise) beside the formula with the numbers filled in.

The numbers come from ``nnviz.model.analysis.neuron_math.neuron_breakdown``; this panel only
draws them.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QWidget

from ...model.analysis.neuron_math import running_total
from ...model.core.functions import FORMULAS
from ..graphics.lut_image import LutImageItem
from ..graphics.palettes import lookup_table
from ..graphics.plot_style import fit_image, lighten_plot, style_image_plot
from ..graphics.redraw_memo import RedrawMemo
from ..graphics.spares import add_plot

FIXED_HEIGHT = 90  # pixels: the picture, and six lines of formula
SQUASH = {"sigmoid": "σ", "relu": "ReLU", "tanh": "tanh", "linear": "", "softmax": "softmax"}


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


class NeuronPanel(QWidget):
    """The product picture (``detail_img``) and the formula (``formula``, objectName
    ``neuronFormula``) of one neuron."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._memo = RedrawMemo()
        self.image_shape = (1, 1)
        self.detail_view = pg.GraphicsLayoutWidget()
        self.detail_view.setBackground((245, 245, 245))
        self.detail_view.setMinimumSize(100, 80)
        self.formula = QLabel("")
        self.formula.setObjectName("neuronFormula")
        self.formula.setWordWrap(True)
        self.formula.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.formula.setStyleSheet("font-family: monospace; font-size: 11px;")
        self.formula.setAlignment(Qt.AlignLeft | Qt.AlignVCenter)
        # the formula scrolls in a narrow window: its lines must not set the panel's height
        scroll = QScrollArea()
        scroll.setWidget(self.formula)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.detail_view, 2)
        lay.addWidget(scroll, 3)
        # one height, selected or not: the network row above keeps its room when a neuron is clicked
        self.setFixedHeight(FIXED_HEIGHT)

    def set_layout(self, image_shape, palette: str) -> None:
        """New items for a net whose input is an ``image_shape`` image; nothing selected yet."""
        self.image_shape = tuple(image_shape)
        self.detail_view.clear()
        self.detail_plot = add_plot(self.detail_view)
        style_image_plot(self.detail_plot)
        self.detail_img = LutImageItem(lut=lookup_table(palette))
        self.detail_plot.addItem(self.detail_img)
        self.restart()
        lighten_plot(self.detail_plot)

    def restart(self) -> None:
        """As built: no neuron drawn, no title, square pixels, the formula asking for a click."""
        self._memo.forget()  # nothing set on the items for this network yet
        self.detail_img.clear()
        self.detail_plot.setAspectLocked(True)
        self.detail_plot.setTitle(None)
        self.formula.setText("Click a neuron to see how its activation is made.")

    def set_palette(self, name: str) -> None:
        self.detail_img.setLookupTable(lookup_table(name))

    def show_breakdown(self, d: dict, layer: int, k: int, running: bool, force: bool = False) -> None:
        """Draw ``d`` (neuron_breakdown of neuron ``k`` of layer ``layer``). While training
        runs (``running``) the numbers follow a few times a second unless ``force``."""
        prod = d["products"].astype(np.float32)
        img = prod.reshape(self.image_shape) if layer == 1 else prod[None, :]
        # levels fitted to this one neuron's products: the picture is about which inputs push, not how hard
        L = max(float(np.nanmax(np.abs(prod))) if np.isfinite(prod).any() else 0.0, 1e-6)
        self.detail_img.setImage(img, levels=(-L, L), autoLevels=False)
        self._memo.set_if_changed("detail_shape", (layer, img.shape),  # a deeper neuron's inputs are a strip
                                  lambda _: fit_image(self.detail_plot, self.detail_img, layer == 1))
        src = "input pixel" if layer == 1 else f"layer {layer - 1} neuron"
        self._memo.set_if_changed("title", f"{src} × weight → neuron {k}",
                                  lambda t: self.detail_plot.setTitle(t, size="8pt"))
        if not (force or self._memo.text_due("formula", running)):
            return  # the picture above moved; the numbers follow a few times a second
        up, down = int((prod > 0).sum()), int((prod < 0).sum())
        f = d["function"]
        out_line = {"softmax": f"softmax over all outputs → {d['activation']:.3f}",
                    "linear": f"output = z = {d['activation']:.3f}"}.get(
            f, f"{SQUASH[f]}({d['z']:.3f}) = {d['activation']:.3f}")
        terms = running_total(d["weights"], d["inputs"]) if "weights" in d else []
        self.formula.setText(
            f"neuron {k} of layer {layer}\n"
            f"Σ wᵢ·aᵢ = {d['sum']:+.3f}   ({plural(up, 'input')} pushed it up, {down} pulled it down)\n"
            + "".join(f"  {t}\n" for t in terms)
            + (f"z = Σ wᵢ·aᵢ + b = {d['sum']:+.3f} + ({d['bias']:+.3f}) = {d['z']:+.3f}\n" if d["has_bias"]
               else f"z = Σ wᵢ·aᵢ = {d['z']:+.3f}   (no bias in this net)\n")
            + f"{out_line}\n{FORMULAS[f]}")
