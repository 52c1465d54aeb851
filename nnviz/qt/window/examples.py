"""The learner's own examples: add the painted input with a label, remove, undo/redo,
export/import, and the autosave that keeps them per lesson across runs.

The lesson's data (``base``) plus the learner's examples make the training set the worker
trains on; every change goes out through ``datasetChanged`` (and ``browse`` for the browser).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox

from ...model.data.datasets import SIGN
from ...model.errors import NNVizError
from ...model.data.examples import UserExamples, load_examples, save_examples
from ..views.label_dialog import ask_label


class ExamplesController(QObject):
    datasetChanged = Signal(object)  # the training set changed: the lesson's data + the learner's examples
    browse = Signal(object, int)  # (dataset, how many of its training images are the learner's)
    message = Signal(str)  # one line for the status bar
    failed = Signal(str)  # something went wrong; nothing was lost
    undoStateChanged = Signal(bool, bool)  # (can undo, can redo)

    def __init__(self, files, parent_widget, parent=None):
        """``files``: the FilesController (data folder, dialogs, last folder)."""
        super().__init__(parent)
        self.files, self.widget = files, parent_widget
        self.examples = UserExamples()
        self.base = None  # the lesson's own data; the learner's examples go on top
        self.lesson = ""
        self.unsaved = False  # True when the last autosave failed
        self._pending = None  # (lesson, xs, labels) from a lesson file of another lesson

    def __len__(self) -> int:
        return len(self.examples)

    # -- lesson and data -------------------------------------------------------------------

    def set_lesson(self, lesson: str, dataset) -> None:
        """A lesson opened: its data, and the examples the learner saved for it."""
        self.lesson, self.base = lesson, dataset
        self.examples = UserExamples()
        path = self.autosave_path(lesson)
        if path.exists():
            try:
                xs, ys = load_examples(path, dataset)
                self.examples = UserExamples(list(xs), [int(y) for y in ys])
            except NNVizError as e:
                self.failed.emit(f"Your saved examples could not be restored: {e}")
        if len(self.examples):
            self._changed(f"Restored {len(self.examples)} of your examples")
        else:
            self.browse.emit(dataset, 0)  # the worker already trains on it: no command, no reshuffle
        if self._pending is not None and self._pending[0] == lesson:
            self.add_from_lesson_file(*self._pending[1:])
        self._pending = None

    def set_base(self, dataset, message: str) -> None:
        """Other images of the lesson's size (File ▸ Open dataset) replace the lesson's data."""
        self.base = dataset
        self._changed(message)

    def keep_for_lesson(self, lesson: str, xs, labels) -> None:
        """Examples from a lesson file of ``lesson``, added once that lesson has opened."""
        self._pending = (lesson, xs, labels)

    def add_from_lesson_file(self, xs, labels) -> None:
        added = self.examples.merge(np.asarray(xs, np.float32), [int(y) for y in labels])
        known = len(labels) - added
        if added:
            self._changed(f"Added {added} examples from the lesson file"
                          + (f" ({known} you already had)" if known else ""))
        elif known:
            self.message.emit(f"The lesson file's {known} examples are already among yours")

    # -- editing -----------------------------------------------------------------------

    def add(self, image, label: int | None = None) -> bool:
        """Append ``image`` (h, w) with ``label`` (asked for when None); True when added."""
        ds = self.base
        if ds is None:
            return False
        if label is None:
            label = ask_label(ds.class_names, self.widget)
            if label is None:
                self.message.emit("Nothing was added: no label was chosen")
                return False
        self.examples.add(image, label)
        target = "" if ds.task != SIGN else f" (target {'+1' if label else '−1'})"
        self._changed(f"Added your drawing as a “{ds.class_names[label]}” example{target}")
        return True

    def remove(self, index: int | None) -> None:
        if index is None:
            self.message.emit("Select one of your own examples (Examples ▸ my examples) to remove it")
            return
        self.examples.remove(index)
        self._changed("Removed an example (Ctrl+Alt+Z brings it back)")

    def undo(self) -> None:
        if self.examples.undo():
            self._changed("Undid the last example change")

    def redo(self) -> None:
        if self.examples.redo():
            self._changed("Redid the example change")

    # -- files ------------------------------------------------------------------------------

    def export(self, path: str | None = None) -> bool:
        """Save the learner's examples to an .npz (asks where when ``path`` is None)."""
        if not len(self.examples):
            self.message.emit("You have not added any examples yet (Edit ▸ Add drawing…)")
            return False
        path = path or self.files.ask_save("Export my examples", f"{self.lesson}-examples.npz",
                                           "nnviz examples (*.npz)", ".npz")
        if not path:
            return False
        try:
            save_examples(path, self.examples, self.base, self.lesson)
        except OSError as e:
            self.failed.emit(f"Could not write {path}: {e}")
            return False
        self.unsaved = False
        return True

    def import_file(self, path: str | None = None) -> None:
        def load(p):
            xs, ys = load_examples(p, self.base)
            self.examples.extend(xs, ys)
            self._changed(f"Imported {len(xs)} examples from {Path(p).name}")

        self.files.open_with(load, path, "Import examples", "nnviz examples (*.npz);;All files (*)")

    def autosave_path(self, lesson: str) -> Path:
        return self.files.data_dir() / f"examples-{lesson}.npz"

    def _autosave(self) -> None:
        if not self.lesson:
            return
        path = self.autosave_path(self.lesson)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            save_examples(path, self.examples, self.base, self.lesson)
        except OSError as e:
            self.unsaved = True
            self.failed.emit(f"Could not save your examples to {path}: {e}. Use File ▸ Export my examples "
                             f"to keep them.")
            return
        self.unsaved = False

    def _changed(self, message: str) -> None:
        """Rebuild the training data from the lesson's and the learner's examples; autosave."""
        new = self.examples.appended_to(self.base)
        self.datasetChanged.emit(new)
        self.browse.emit(new, len(self.examples))
        self.undoStateChanged.emit(self.examples.can_undo, self.examples.can_redo)
        self._autosave()
        self.message.emit(f"{message}: the training set has {len(new.x_train):,} examples "
                          f"({len(self.examples)} of them yours)")

    def confirm_quit(self) -> bool:
        """Ask before dropping examples that could not be autosaved; True to go on quitting."""
        if not (self.unsaved and len(self)):
            return True
        box = QMessageBox(QMessageBox.Warning, "Unsaved examples",
                          f"Your {len(self)} examples could not be saved automatically. "
                          "Export them to a file before quitting?", parent=self.widget)
        export = box.addButton("Export…", QMessageBox.AcceptRole)
        box.addButton("Quit without saving", QMessageBox.DestructiveRole)
        cancel = box.addButton(QMessageBox.Cancel)
        box.setDefaultButton(export)
        box.exec()
        if box.clickedButton() is cancel:
            return False
        return self.export() if box.clickedButton() is export else True
