"""Ask which class a painted input is: one button per class, none chosen for the learner.

A list with the first class preselected let Enter add a drawn 7 as a "0"; here nothing is
the default, so Enter does nothing and Esc cancels.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QGridLayout, QLabel, QPushButton, QVBoxLayout

COLUMNS = 5


class LabelDialog(QDialog):
    """objectName ``labelDialog``; ``label`` is the chosen class index after ``exec()`` accepts."""

    def __init__(self, class_names, parent=None, title: str = "Add to training set"):
        super().__init__(parent)
        self.setObjectName("labelDialog")
        self.setWindowTitle(title)
        self.label: int | None = None
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("What is the painted input? Its label is what the network will be taught."))
        grid = QGridLayout()
        self.buttons = []
        cols = COLUMNS if len(class_names) > 3 else len(class_names)
        for k, name in enumerate(class_names):
            b = QPushButton(str(name))
            b.setObjectName(f"label_{k}")
            b.setAutoDefault(False)  # Enter must not pick a class the learner did not choose
            b.setDefault(False)
            b.setMinimumWidth(44)
            if len(class_names) <= 10 and str(name).isdigit():
                b.setShortcut(str(name))  # the digit keys answer directly
            b.clicked.connect(lambda _=False, k=k: self._choose(k))
            grid.addWidget(b, k // cols, k % cols)
            self.buttons.append(b)
        lay.addLayout(grid)
        box = QDialogButtonBox(QDialogButtonBox.Cancel)
        box.button(QDialogButtonBox.Cancel).setAutoDefault(False)
        box.rejected.connect(self.reject)
        lay.addWidget(box)

    def _choose(self, k: int) -> None:
        self.label = k
        self.accept()

    def keyPressEvent(self, event):
        if event.key() in (Qt.Key_Return, Qt.Key_Enter):
            return  # no default answer
        super().keyPressEvent(event)


def ask_label(class_names, parent=None) -> int | None:
    """The class index the learner picked, or None when they cancelled."""
    dialog = LabelDialog(class_names, parent)
    return dialog.label if dialog.exec() == QDialog.Accepted else None
