"""The Smile population tab: the smile network on all 4,096 possible 3×4 pictures, grouped by
mouth, browsable — does it judge the mouth, or what the four training faces happened to share?"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon
from PySide6.QtWidgets import QLabel, QListWidgetItem, QVBoxLayout

from ..model.datasets import SIGN, SMILE_SHAPE
from ..model.population import MOUTH_ROWS, run_population
from .explore import ExplorePanel
from .image_lists import ImageList, framed
from .dataset_browser import thumbnail

SMILE, NOT = QColor(40, 170, 70), QColor(210, 50, 50)


class PopulationView(ExplorePanel):
    """objectName ``populationView``."""

    title = "Smile population"
    live = False

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("populationView")
        self.dataset = None
        self.population = None
        self.mouth = None
        self.header = QLabel()
        self.header.setWordWrap(True)
        self.groups = ImageList()
        self.groups.chosen.connect(self.choose_group)
        self.group_label = QLabel("Click a mouth to see its 64 faces (every pair of eye rows).")
        self.group_label.setWordWrap(True)
        self.faces = ImageList()
        self.faces.chosen.connect(lambda i: self.loadInput.emit(self.population.images[i]))
        lay = QVBoxLayout(self)
        lay.addWidget(self.header)
        lay.addWidget(self.groups, 3)
        lay.addWidget(self.group_label)
        lay.addWidget(self.faces, 2)

    def set_lesson(self, dataset) -> None:
        self.dataset = dataset
        self.population = None
        self.groups.clear()
        self.faces.clear()
        if dataset.task != SIGN:
            self.header.setText("This tab belongs to the smile lesson (Ctrl+1): its 3×4 pictures are few enough "
                                "(2¹² = 4,096) to show the network every possible one.")

    def show_snapshot(self, snap, painted=None) -> None:
        d = self.dataset
        if d is None or d.task != SIGN or snap.sizes[0] != d.n_inputs:
            return
        pop = self.population = run_population(snap.network())
        share = pop.group_share()
        train_smiles = int((d.y_train[:, 0] > 0).sum())
        self.header.setText(
            f"Iteration {snap.iteration:,}: the network calls <b>{pop.count:,} of 4,096</b> possible pictures a "
            f"smile ({pop.count / 4096:.0%}). It learned from {len(d.x_train)} faces ({train_smiles} smiles). "
            f"Below: the 64 possible mouths (bottom two rows), ordered by how many of their 64 faces it calls "
            f"a smile — a mouth-reader would say all-or-nothing per mouth.")
        order = np.argsort(-share, kind="stable")
        self.groups.clear()
        h, w = SMILE_SHAPE
        for m in order:
            mouth = np.zeros((h, w), np.float32)
            mouth[h - MOUTH_ROWS:] = pop.mouth_image(int(m))
            colour = SMILE if share[m] >= 0.5 else NOT
            item = QListWidgetItem(QIcon(framed(thumbnail(mouth), colour)), f"{int(round(share[m] * 64))}/64")
            item.setData(Qt.UserRole, int(m))
            item.setToolTip(f"{int(round(share[m] * 64))} of this mouth's 64 faces called a smile")
            self.groups.addItem(item)
        if self.mouth is not None:
            self.choose_group(self.mouth)

    def choose_group(self, mouth_id: int) -> None:
        pop = self.population
        if pop is None:
            return
        self.mouth = mouth_id
        idx = pop.group(mouth_id)
        n = int(pop.smile[idx].sum())
        self.group_label.setText(f"This mouth: {n} of its 64 faces called a smile (green frame), {64 - n} not "
                                 f"(red). Click one to load it into the editor.")
        self.faces.show_images(pop.images, idx, SMILE_SHAPE, borders=[SMILE if pop.smile[i] else NOT for i in idx],
                               tips=[f"output {pop.outputs[i]:+.2f}" for i in idx])
