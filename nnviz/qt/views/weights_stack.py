"""The weights dock's content: the weight panel for a stack of dense layers, the kernel grid
for a convolution net — whichever the snapshot's network is (``snap.is_mlp``).

Every hook is routed to the page that fits the snapshot shown; the hidden page is never
drawn (its items still belong to the lesson it last showed, and a conv snapshot would not
fit them). ΔW and the palette are choices of the learner, so both pages follow them: the
one hidden now shows them when its kind of network comes back.
"""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QStackedWidget, QVBoxLayout, QWidget

from ..graphics.redraw_memo import running_snapshot
from ..graphics.view_protocol import LessonView
from .kernel_grid import KernelGrid
from .weight_panel import WeightPanel


def conv_layout_key(snap, frame) -> tuple:
    """What a conv view's items are built for: the layer stack (and the lesson's data)."""
    return repr(snap.spec), frame.layout_key if frame is not None else None


class StackPage(QWidget):
    """One page of a stack, holding ``panel``: while hidden it asks for no room.

    Why: a QStackedLayout takes the largest minimum (and height-for-width) of ALL its pages,
    hidden ones too, and the docks size their panels by those (docks.DockScroll): the weight
    panel's wish would make the kernel grid scroll. Shown, the page asks what its panel
    needs at least (height-for-width included), as a dock's panel does."""

    def __init__(self, panel: QWidget, parent=None):
        super().__init__(parent)
        self.panel = panel
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(panel)

    def minimumSizeHint(self) -> QSize:
        return QSize(0, 0) if self.isHidden() else super().minimumSizeHint()

    def sizeHint(self) -> QSize:
        return QSize(0, 0) if self.isHidden() else super().sizeHint()

    def hasHeightForWidth(self) -> bool:
        return self.layout().hasHeightForWidth()

    def heightForWidth(self, width: int) -> int:
        return 0 if self.isHidden() else self.layout().totalMinimumHeightForWidth(width)


def show_page(stack: QStackedWidget, page: StackPage) -> None:
    """Turn ``stack`` to ``page`` and have its parents lay it out for the page now shown."""
    stack.setCurrentWidget(page)
    for i in range(stack.count()):
        stack.widget(i).updateGeometry()
    stack.updateGeometry()


class WeightsStack(LessonView, QStackedWidget):
    """objectName ``weightsStack``: ``weight_panel`` (objectName ``weightPanel``) for MLPs,
    ``kernel_grid`` (objectName ``kernelGrid``) for conv nets."""

    def __init__(self, weight_panel: WeightPanel | None = None, parent=None):
        super().__init__(parent)
        self.setObjectName("weightsStack")
        self.weight_panel = weight_panel or WeightPanel()
        self.pages = {True: StackPage(self.weight_panel)}
        self.addWidget(self.pages[True])
        self._grid, self._palette = None, None  # the kernel grid is built when a conv net first shows
        self._mlp = True
        self._grid_key = None  # what the kernel grid's items were built for
        self._level_key = None  # (generation, hand edits) the colour levels were fitted in
        # the window's ΔW action reaches the weight panel; either box ticks both
        self.weight_panel.delta_box.toggled.connect(self._follow_delta)

    @property
    def kernel_grid(self) -> KernelGrid:
        """The conv nets' page, built on first use (not at start-up: most lessons never need it)."""
        if self._grid is None:
            self._grid = grid = KernelGrid()
            if self._palette is not None:
                grid.set_palette(self._palette)
            grid.set_show_delta(self.weight_panel.show_delta, redraw=False)
            grid.delta_box.toggled.connect(self._follow_delta)
            self.pages[False] = StackPage(grid)
            self.addWidget(self.pages[False])
        return self._grid

    def current(self):
        """The page in use: the weight panel or the kernel grid."""
        return self.weight_panel if self._mlp else self.kernel_grid

    # -- the hooks ----------------------------------------------------------------------

    def set_lesson(self, dataset) -> None:
        self.weight_panel.set_lesson(dataset)
        self._grid_key = None  # the next conv snapshot lays the grid out anew

    def show_snapshot(self, snap, frame=None) -> None:
        self._show_page(snap.is_mlp)
        # A new run (reset, rebuild, undo, a lesson) or a weight set by hand or undone: the colour
        # levels start from these weights, as a fresh window's would, not from the run before
        jump = (snap.generation, snap.hand_edits)
        if jump != self._level_key:
            self._level_key = jump
            self.weight_panel.reset_levels()
            if self._grid is not None:  # built only once a conv net shows
                self._grid.reset_levels()
        if self._mlp:
            self.weight_panel.show_snapshot(snap, frame)
            return
        grid, key = self.kernel_grid, conv_layout_key(snap, frame)
        if key != self._grid_key:
            self._grid_key = key
            grid.set_layout(snap.spec)
        grid.show_weights(snap.weights, snap.update_w, biases=snap.biases if snap.bias else None,
                          running=running_snapshot(snap))

    def select_neuron(self, layer: int, neuron: int) -> None:
        if self._mlp:  # the kernel grid has no neurons to select
            self.weight_panel.select_neuron(layer, neuron)

    def set_palette(self, name: str) -> None:
        self._palette = name
        self.weight_panel.set_palette(name)
        if self._grid is not None:
            self._grid.set_palette(name)

    # -- ΔW -------------------------------------------------------------------------------

    def set_show_delta(self, on: bool) -> None:
        self.weight_panel.set_show_delta(on)
        if self._grid is not None:
            self._grid.set_show_delta(on, redraw=not self._mlp)

    def _follow_delta(self, on: bool) -> None:
        if self.weight_panel.show_delta != bool(on):
            self.weight_panel.set_show_delta(on)  # ticks its box: back here, then equal
        if self._grid is not None and self._grid.show_delta != bool(on):
            self._grid.set_show_delta(on, redraw=not self._mlp)

    def _show_page(self, mlp: bool) -> None:
        if mlp != self._mlp or self.currentWidget() is not self.pages[mlp]:
            if not mlp:
                self.weight_panel.set_lesson(None)  # no snapshot of its kind kept: it rebuilds on return
                _ = self.kernel_grid  # built now, the first time a conv net shows
            self._mlp = mlp
            show_page(self, self.pages[mlp])
