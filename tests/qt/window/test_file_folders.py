"""Where a file dialog opens: the folder the learner last chose, else Pictures (an image) or home,
never the app's own data folder where sessions and autosaved examples live."""

from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, Signal
from PySide6.QtWidgets import QFileDialog

from nnviz.qt.offscreen import scratch_settings
from nnviz.qt.window.files import FilesController


class Controller(QObject):
    reported = Signal(object)
    lessonLoaded = Signal(object)


def files(qtbot):
    return FilesController(scratch_settings(), Controller(), None)


def home_or_pictures() -> set[Path]:
    pictures = QStandardPaths.writableLocation(QStandardPaths.PicturesLocation)
    return {Path.home()} | ({Path(pictures)} if pictures and Path(pictures).is_dir() else set())


def test_a_session_restored_from_the_data_folder_is_not_where_an_export_is_offered(qtbot, monkeypatch):
    f = files(qtbot)
    sessions = f.session_path("mnist")
    sessions.parent.mkdir(parents=True, exist_ok=True)
    f.remember_dir(sessions)  # the app opened its own file: not a folder the learner chose
    f.settings.setValue("lastDir", str(f.data_dir()))  # ... nor one an older version remembered
    offered = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", 
                        staticmethod(lambda w, t, p, fl: (offered.append(p), ("", ""))[1]))
    f.ask_save("Export view as PNG", "nnviz.png", "PNG images (*.png)", ".png", pictures=True)
    assert Path(offered[0]).name == "nnviz.png" and Path(offered[0]).parent in home_or_pictures()
    assert f.data_dir() not in Path(offered[0]).parents


def test_the_folder_the_learner_chose_is_offered_next(qtbot, monkeypatch, tmp_path):
    f = files(qtbot)
    chosen = tmp_path / "my pictures"
    chosen.mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a: (str(chosen / "a.png"), "")))
    assert f.ask_save("Export view as PNG", "nnviz.png", "PNG images (*.png)", ".png", pictures=True)
    assert f.last_dir(pictures=True) == chosen
