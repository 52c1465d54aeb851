"""The Smile population tab: the smile network on all 4,096 possible 3×4 pictures.

Does it judge the mouth, or what the four training faces happened to share? The
pictures are grouped by mouth kind (smiling, frowning, straight, no mouth, other; see
``nnviz.model.analysis.population``), each kind next to what the training sample showed of it; a kind
opens its mouths, a mouth its 64 faces (every pair of eye rows), and a face goes to the
editor.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QIcon
from PySide6.QtWidgets import (
    QAbstractItemView, QHeaderView, QLabel, QListWidgetItem, QTableWidget, QTableWidgetItem, QVBoxLayout,
)

from ...model.data.datasets import SIGN, SMILE_SHAPE
from ...model.lessons import LESSONS
from ...model.analysis.population import (
    KIND_DESCRIPTIONS, KINDS, MOUTH_KIND, MOUTH_ROWS, mouth_rows, run_population, sample_kinds,
)
from .panel import ExplorePanel
from ..graphics.scrolling import scrolling_column
from ..graphics.image_lists import ImageList
from ..graphics.pixmaps import framed, thumbnail

SMILE, NOT, MIXED = QColor(40, 170, 70), QColor(210, 50, 50), QColor(235, 160, 30)
ALL = -1  # the kinds table's last row: every mouth
NOT_SMILE_LESSON = (f"This tab belongs to the smile lesson (Lesson menu, Ctrl+{list(LESSONS).index('smile') + 1}): "
                    "only its 3×4 pictures are few enough (2¹² = 4,096) to show the network every possible one.")


def mouth_picture(mouth_id: int) -> np.ndarray:
    """(4, 3) picture with only this mouth lit (the eye rows dark)."""
    h, w = SMILE_SHAPE
    pic = np.zeros((h, w), np.float32)
    pic[h - MOUTH_ROWS:] = mouth_rows(mouth_id)
    return pic


def verdict_color(smiles: int, total: int) -> QColor:
    """Green: all called a smile; red: none; amber: it depends on the eyes."""
    return SMILE if smiles == total else NOT if smiles == 0 else MIXED


class PopulationView(ExplorePanel):
    """objectName ``populationView``.

    Signals (ExplorePanel): ``loadInput(x (12,) float32)`` when a face is clicked.
    ``kinds`` (table, one row per mouth kind + "all"), ``groups`` (the mouths of the chosen
    kind; item data = mouth id), ``faces`` (the chosen mouth's 64 faces; item data = index
    into ``population.images``). ``choose_kind(k)`` (k = index into KINDS, or ALL) and
    ``choose_group(mouth_id)`` are what clicks do.
    """

    title = "Smile population"
    live = False  # 4,096 forward passes: refresh when paused

    @staticmethod
    def applies_to(dataset) -> bool:
        """Only the smile lesson's pictures are few enough to show every possible one."""
        return dataset is not None and dataset.task == SIGN

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("populationView")
        self.dataset = None
        self.population = None
        self.sample = None
        self.kind = ALL
        self.mouth = None
        self.header = QLabel("Open the smile lesson to see its population.")
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.RichText)
        self.kinds = QTableWidget(len(KINDS) + 1, 3)
        self.kinds.setObjectName("populationKinds")
        # three columns, two-line headers, wrapping cells (each sentence whole in its tooltip): in a
        # 330-pixel dock a fourth column ("pictures", which "256 of 256" says too) was cut to "ng sa" / "2 s…"
        self.kinds.setHorizontalHeaderLabels(["mouth", "network\nsays smile", "training\nsample"])
        self.kinds.verticalHeader().setVisible(False)
        self.kinds.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.kinds.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.kinds.setSelectionMode(QAbstractItemView.SingleSelection)
        self.kinds.setIconSize(QSize(30, 30))
        self.kinds.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.kinds.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        hh = self.kinds.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeToContents)
        hh.setSectionResizeMode(2, QHeaderView.Stretch)
        self.kinds.setWordWrap(True)
        self.kinds.setTextElideMode(Qt.ElideNone)  # a cell wraps at its spaces rather than end in "…"
        hh.sectionResized.connect(lambda *_: self._fit_rows())  # wrapped cells: rows as tall as they need
        self.kinds.cellClicked.connect(lambda row, _: self.choose_kind(ALL if row == len(KINDS) else row))
        self.lesson_label = QLabel()
        self.lesson_label.setWordWrap(True)
        self.lesson_label.setTextFormat(Qt.RichText)
        self.groups_label = QLabel()
        self.groups_label.setWordWrap(True)
        self.groups = ImageList()
        self.groups.setObjectName("populationMouths")
        self.groups.chosen.connect(self.choose_group)
        self.group_label = QLabel("Click a mouth to see its 64 faces (every pair of eye rows).")
        self.group_label.setWordWrap(True)
        self.faces = ImageList()
        self.faces.setObjectName("populationFaces")
        self.faces.chosen.connect(self._face_chosen)
        # the sentences and the table scroll in a short dock; the pictures keep their room
        self.notes = scrolling_column((self.header, self.kinds, self.lesson_label), min_height=120)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.notes, 3)
        lay.addWidget(self.groups_label)
        lay.addWidget(self.groups, 2)
        lay.addWidget(self.group_label)
        lay.addWidget(self.faces, 2)
        lay.addStretch(0)  # takes the room when the lists are hidden (other lessons): text stays on top
        self._smile_widgets = (self.kinds, self.lesson_label, self.groups_label, self.groups, self.group_label,
                               self.faces)

    # -- hooks ----------------------------------------------------------------------

    def set_lesson(self, dataset) -> None:
        self.dataset = dataset
        self.population = None
        self.kind, self.mouth = ALL, None
        self.groups.clear()
        self.faces.clear()
        smile = dataset is not None and dataset.task == SIGN
        for w in self._smile_widgets:
            w.setVisible(smile)
        if not smile:
            self.header.setText(NOT_SMILE_LESSON)
            return
        self.sample = sample_kinds(dataset.x_train, dataset.y_train)
        self.header.setText("Pause or step training to see what the network calls all 4,096 pictures.")

    def note_text(self) -> str | None:
        """The sentence shown instead of the tab (a lesson other than the smile's), or None."""
        d = self.dataset
        return NOT_SMILE_LESSON if d is not None and d.task != SIGN else None

    def show_snapshot(self, snap, frame=None) -> None:
        d = self.dataset
        if d is None or d.task != SIGN or snap is None or snap.sizes[0] != d.n_inputs or snap.sizes[-1] != 1:
            return
        pop = self.population = run_population(snap.network())
        n_smiles = int((d.y_train.reshape(-1) > 0).sum())
        self.header.setText(
            f"Iteration {snap.iteration:,}: the network calls <b>{pop.count:,} of 4,096</b> possible pictures a "
            f"smile ({pop.count / 4096:.0%}). It learned from a sample of {len(d.x_train)} "
            f"face{'s' * (len(d.x_train) != 1)} ({n_smiles} smile{'s' * (n_smiles != 1)}, "
            f"{len(d.x_train) - n_smiles} not).")
        self._fill_kinds()
        self.choose_kind(self.kind)
        if self.mouth is not None:
            self.choose_group(self.mouth)

    # -- the kinds table ------------------------------------------------------------

    def _fill_kinds(self) -> None:
        pop = self.population
        table = pop.kind_table()
        rows = []
        for k, r in enumerate(table):
            s = self.sample[k]
            seen = (f"{s['smiles']} smile{'s' * (s['smiles'] != 1)}, {s['not']} not" if s["smiles"] + s["not"]
                    else "none: never checked")
            example = int(pop.kind_mouths(k)[0]) if r["mouths"] else 0
            rows.append((KINDS[k], r["images"], r["smiles"], seen, example))
        total_seen = sum(s["smiles"] + s["not"] for s in self.sample)
        rows.append(("all mouths", 4096, pop.count, f"{total_seen} pictures", None))
        for i, (name, images, smiles, seen, example) in enumerate(rows):
            first = QTableWidgetItem(name)
            if example is not None:
                first.setIcon(QIcon(thumbnail(mouth_picture(example))))
                first.setToolTip(f"{KINDS[i]} ({KIND_DESCRIPTIONS[i]}): {table[i]['mouths']} of the 64 mouths; "
                                 f"click to browse them")
            else:
                first.setToolTip("Click to browse all 64 mouths")
            said = QTableWidgetItem(f"{smiles:,} of {images:,}\n({smiles / images:.0%})")
            said.setToolTip(f"The network calls {smiles:,} of these {images:,} pictures a smile "
                            f"({smiles / images:.0%})")
            said.setForeground(verdict_color(smiles, images).darker(125))
            sample = QTableWidgetItem(seen)  # wraps in a narrow column (word wrap, no "…")
            sample.setToolTip(f"In the training sample: {seen}")
            cells = (first, said, sample)
            for j, item in enumerate(cells):
                if j:
                    item.setTextAlignment(Qt.AlignCenter)
                self.kinds.setItem(i, j, item)
        self._fit_rows()
        unseen = [k for k in range(len(KINDS)) if self.sample[k]["smiles"] + self.sample[k]["not"] == 0]
        n_unseen = sum(table[k]["images"] for k in unseen)
        if unseen:
            self.lesson_label.setText(
                f"The sample showed no <b>{', '.join(KINDS[k] for k in unseen)}</b> mouths: what the network "
                f"says about those {n_unseen:,} pictures comes from weights never tested on them. A sample has to "
                f"reflect the population.")
        else:
            self.lesson_label.setText("The sample covers every kind of mouth.")

    def _fit_rows(self) -> None:
        """Rows as tall as their wrapped cells, and the table as tall as its rows (it never scrolls)."""
        t = self.kinds
        t.resizeRowsToContents()
        h = t.horizontalHeader().height() + sum(t.rowHeight(i) for i in range(t.rowCount()))
        t.setFixedHeight(h + 2 * t.frameWidth() + 2)

    def choose_kind(self, kind: int) -> None:
        """Show the mouths of KINDS[kind] (ALL: all 64), most often called a smile first."""
        pop = self.population
        self.kind = kind
        if pop is None:
            return
        row = len(KINDS) if kind == ALL else kind
        self.kinds.selectRow(row)
        share = pop.group_share()
        if kind == ALL:
            mouths = np.concatenate([pop.kind_mouths(k) for k in range(len(KINDS))])
            what = "All 64 mouths, by kind"
        else:
            mouths = pop.kind_mouths(kind)
            what = f"The {len(mouths)} {KINDS[kind]} mouth{'s' * (len(mouths) != 1)}"
        self.groups_label.setText(
            f"{what}, each with how many of its 64 faces the network calls a smile: green frame all, red none, "
            f"amber — it depends on the eyes (a mouth reader would never be amber). Click one.")
        self.groups.clear()
        for m in mouths:
            n = int(round(share[m] * 64))
            item = QListWidgetItem(QIcon(framed(thumbnail(mouth_picture(int(m))), verdict_color(n, 64))), f"{n}/64")
            item.setData(Qt.UserRole, int(m))
            item.setToolTip(f"{KINDS[MOUTH_KIND[m]]} mouth: {n} of its 64 faces called a smile")
            self.groups.addItem(item)
        self.groups.selectionModel().clearCurrentIndex()

    # -- one mouth's faces ----------------------------------------------------------

    def choose_group(self, mouth_id: int) -> None:
        """Show the 64 faces with this mouth, framed by the network's verdict."""
        pop = self.population
        if pop is None:
            return
        self.mouth = int(mouth_id)
        idx = pop.group(mouth_id)
        n = int(pop.smile[idx].sum())
        train = {int(m): i for i, m in enumerate(self._train_ids())}
        self.group_label.setText(
            f"This {KINDS[MOUTH_KIND[mouth_id]]} mouth: <b>{n} of its 64 faces</b> called a smile (green frame), "
            f"{64 - n} not (red). “sample” marks a training face. Click a face to load it into the editor.")
        tips = []
        for i in idx:
            tip = f"output {pop.outputs[i]:+.2f}: {'smile' if pop.smile[i] else 'not a smile'}"
            if int(i) in train:
                j = train[int(i)]
                tip += f" — training face {j + 1}, labelled {self.dataset.label_name(self.dataset.y_train[j])}"
            tips.append(tip)
        self.faces.show_images(pop.images, idx, SMILE_SHAPE, borders=[SMILE if pop.smile[i] else NOT for i in idx],
                               tips=tips)
        for row, i in enumerate(idx):
            if int(i) in train:
                self.faces.item(row).setText("sample")
        self.faces.selectionModel().clearCurrentIndex()

    def _train_ids(self) -> np.ndarray:
        """Population index of each training picture (its pixels read as the bits of the index)."""
        x = self.dataset.x_train > 0.5
        return (x.astype(np.int64) << np.arange(x.shape[1])).sum(axis=1)

    def _face_chosen(self, i: int) -> None:
        self.loadInput.emit(np.array(self.population.images[i], dtype=np.float32))
        self.statusMessage.emit(f"Picture {i} of 4,096 loaded into the editor "
                                f"(the network says {'smile' if self.population.smile[i] else 'not a smile'})")

