"""Files: models, datasets, lesson and session files, the recent list and the last folder.

Every "open" goes through ``open_with``: ask for a path (unless given), try, and on the
project's error report one line through ``failed`` with nothing changed. A model opens on the
training thread: File ▸ Open recent lists it once the session reports it ``Opened`` (or the
worker ``Saved`` it), and drops it on ``OpenFailed`` (so the list holds only files that open).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QSettings, QStandardPaths, Qt, Signal
from PySide6.QtWidgets import QApplication, QFileDialog

from ...model.core.networks import with_input_transform
from ...model.core.reports import Opened, OpenFailed, Refused, Report, Saved
from ...model.errors import NNVizError
from ...model.files.foreign import OPEN_FILTER, NeedsActivation, NeedsSpec, is_foreign, lesson_for, load_foreign
from ...model.files.foreign.spec_inference import describe_spec
from ...model.files.rewind_file import rewind_path
from ...model.files.drawings_file import load_drawings, save_drawings
from ...model.files.lessonfile import LessonFile, load_lesson_file, save_lesson_file, with_suffix
from ..views import model_questions

MAX_RECENT = 8
SESSIONS_DIR = "sessions"  # one autosaved run per lesson: quitting keeps it, the next start resumes it


class FilesController(QObject):
    message = Signal(str)
    failed = Signal(str)
    recentChanged = Signal(list)  # paths, newest first
    noticeRequested = Signal(str)  # a lesson file's title and note, for the notice bar
    guideOpened = Signal(str, dict)  # (lesson, guide) a lesson file brought a walk-through of its own

    def __init__(self, settings: QSettings, controller, parent_widget, parent=None):
        super().__init__(parent)
        self.settings, self.controller, self.widget = settings, controller, parent_widget
        self.examples = None  # the ExamplesController, set by the window (lesson files carry examples)
        self.guide_for = lambda lesson: None  # a lesson's own guide (dict) to save with it (the guide controller's)
        self._autosaved_key = None
        self._kept_drawings = None  # what keep_drawings last wrote ({grid: image bytes})
        self._said_after_lesson = ""  # what an opened model's message waits for its lesson's to say
        controller.reported.connect(self._on_report)

    # -- folders and dialogs ---------------------------------------------------------------

    def last_dir(self, pictures: bool = False) -> Path:
        """Where a file dialog opens: the last folder the learner chose, else their Pictures folder
        (for an image, when ``pictures``) or home — never the app's own data folder (after a session
        restore Export as PNG offered the hidden folder the sessions are kept in)."""
        remembered = self.settings.value("lastDir")
        if remembered and Path(remembered).is_dir() and not self._ours(remembered):
            return Path(remembered)
        found = QStandardPaths.writableLocation(QStandardPaths.PicturesLocation) if pictures else ""
        return Path(found) if found and Path(found).is_dir() else Path.home()

    def remember_dir(self, path: str | Path) -> None:
        """Remember ``path``'s folder for the next dialog, unless it is the app's own (a session)."""
        if not self._ours(Path(path).parent):
            self.settings.setValue("lastDir", str(Path(path).parent))

    def _ours(self, folder: str | Path) -> bool:
        """True for the app's data folder or one inside it."""
        try:
            Path(folder).resolve().relative_to(self.data_dir().resolve())
        except (ValueError, OSError):
            return False
        return True

    def data_dir(self) -> Path:
        """Where autosaved examples and the session live (a test or script may point it elsewhere)."""
        return Path(self.settings.value("dataDir") or QStandardPaths.writableLocation(QStandardPaths.AppDataLocation))

    def ask_open(self, title: str, filters: str) -> str:
        path, _ = QFileDialog.getOpenFileName(self.widget, title, str(self.last_dir()), filters)
        return path

    def ask_save(self, title: str, name: str, filters: str, suffix: str, pictures: bool = False) -> str:
        """A path to write (with ``suffix`` added if the learner left it off), or ''; ``pictures``:
        an image, offered in the Pictures folder until the learner chose a folder."""
        path, _ = QFileDialog.getSaveFileName(self.widget, title, str(self.last_dir(pictures) / name), filters)
        if path and not path.endswith(suffix):
            path += suffix
        if path:
            self.remember_dir(path)
        return path

    def open_with(self, load, path: str | None, title: str, filters: str, busy: bool = False,
                  prefix: str = "") -> bool:
        """``load(path)`` on a given or chosen path; a NNVizError becomes one ``failed`` line
        (``prefix`` + the error) and nothing else happens. True when it loaded."""
        path = path or self.ask_open(title, filters)
        if not path:
            return False
        if busy:
            QApplication.setOverrideCursor(Qt.WaitCursor)
        try:
            load(path)
        except NNVizError as e:
            self.failed.emit(f"{prefix}{e}")
            return False
        finally:
            if busy:
                QApplication.restoreOverrideCursor()
        self.remember_dir(path)
        return True

    # -- recent models ----------------------------------------------------------------------

    def recent(self) -> list[str]:
        recent = self.settings.value("recent") or []
        return [recent] if isinstance(recent, str) else list(recent)

    def add_recent(self, path: str) -> None:
        if Path(path).parent == self.session_path("").parent:
            return  # the app's own autosave of a run is no file the learner opened
        recent = [p for p in self.recent() if p != path]
        self.settings.setValue("recent", ([path] + recent)[:MAX_RECENT])
        self.recentChanged.emit(self.recent())

    def remove_recent(self, path: str) -> None:
        recent = self.recent()
        if path in recent:
            self.settings.setValue("recent", [p for p in recent if p != path])
            self.recentChanged.emit(self.recent())

    def _on_report(self, report: Report) -> None:
        match report:
            case Opened(path=path) | Saved(path=path):
                self.add_recent(path)
            case OpenFailed(path=path):
                self.remove_recent(path)
            case Refused():  # no lesson follows to say what an opened model's message waits to say
                self._said_after_lesson = ""

    # -- models and datasets -------------------------------------------------------------

    def open_model(self, path: str | None = None, activation: str | None = None, spec: dict | None = None,
                   input_transform: dict | None = None) -> None:
        """Load a model file on the worker (a bad file comes back as a ``Refused`` report; the recent
        list follows what the session reports). A file from elsewhere is read here, where the
        learner can be asked what it does not say (``activation`` / ``spec`` / ``input_transform``
        answer beforehand; the last, entries of an input transform, also for nnviz's own files)."""
        path = path or self.ask_open("Open model", f"{OPEN_FILTER};;All files (*)")
        if path and is_foreign(path):
            self.open_with(lambda p: self._open_foreign(p, activation, spec, input_transform), path, "", "")
        elif path and input_transform:
            self.open_with(lambda p: self._open_own(p, input_transform), path, "", "")
        elif path:
            self.remember_dir(path)
            self.controller.load_model(path)

    def _open_own(self, path: str, input_transform: dict) -> None:
        """An nnviz model file with its input transform changed (``nnviz --model F --normalize …``)."""
        from ...model.files.modelfile import load_model

        saved = load_model(path)
        saved.network = with_input_transform(saved.network, input_transform)
        self.controller.install(saved, path)
        self.add_recent(path)

    def _open_foreign(self, path: str, activation: str | None, spec: dict | None,
                      input_transform: dict | None = None) -> None:
        """Read a PyTorch / safetensors / ONNX file, asking for its missing activation or spec (and,
        when it has no input transform and none was given, how its input was scaled), and install
        it in the lesson whose data fits; a cancelled question opens nothing."""
        name = Path(path).name
        try:
            saved = load_foreign(path, activation, spec)
        except NeedsActivation as e:
            activation = model_questions.ask_activation(name, e.tensors, self.widget)
            if activation is None:
                return
            saved = load_foreign(path, activation, spec)
        except NeedsSpec as e:
            saved = model_questions.ask_spec(name, e.tensors, e.draft,
                                             lambda s: load_foreign(path, activation, s), self.widget)
            if saved is None:
                return
        if input_transform is None and saved.network.transform is None and _may_lack_transform(path):
            input_transform = model_questions.ask_transform(name, self.widget)
            if input_transform is None:
                return
        saved.network = with_input_transform(saved.network, input_transform)
        saved.lesson = saved.lesson or lesson_for(path, saved.network)  # "" fits no lesson: say so
        self.controller.install(saved, path)
        self.add_recent(path)  # opens again from the recent list, asking again
        net = saved.network
        shape = f"{'-'.join(map(str, net.sizes))} {net.hidden}" if net.is_plain else describe_spec(net.spec)
        said = f"Opened {name} ({shape}) in the {saved.lesson} lesson"
        if net.transform is not None:
            said += f"; {net.transform.describe()}"
        if self.controller.lesson is not None and self.controller.lesson.name == saved.lesson:
            self.message.emit(said)
        else:
            self._said_after_lesson = said

    def say_after_lesson(self) -> None:
        """The window has said its line about the lesson an opened model switched to: the model's
        own line now (a queued call could land before the window's line, which then covered it)."""
        if self._said_after_lesson:
            said, self._said_after_lesson = self._said_after_lesson, ""
            self.message.emit(said)

    def save_model(self) -> None:
        path = self.ask_save("Save model", "model.npz", "nnviz models (*.npz)", ".npz")
        if path:
            self.controller.save_model(path)

    def open_dataset(self, path: str | None = None) -> bool:
        """Replace the lesson's data with images from disk (same size and classes)."""
        from ...model.data.dataset_files import open_dataset  # ~5 ms (IDX, zip readers) off start-up

        ex = self.examples
        if ex is None or ex.base is None:
            return False

        def load(p):
            data = open_dataset(p, ex.base)
            ex.set_base(data, f"Opened {Path(p).name}: {len(data.x_train):,} training and "
                              f"{len(data.x_test):,} test images")

        return self.open_with(load, path, "Open dataset (choose an IDX file of the pair, or an .npz)",
                              "Datasets (*.npz *ubyte *ubyte.gz *.idx *.gz);;All files (*)", busy=True,
                              prefix="Could not open the dataset: ")

    # -- lesson files and the session ---------------------------------------------------------

    def save_lesson_file(self, path: str | None = None) -> bool:
        """Settings, seed, weights, history and the learner's examples in one .nnviz file."""
        snap = self.controller.latest
        if snap is None:
            return False
        path = path or self.ask_save("Save lesson file", f"{snap.lesson}-{snap.iteration}.nnviz",
                                     "nnviz lesson files (*.nnviz)", ".nnviz")
        if not path:
            return False
        try:
            guide = self.guide_for(snap.lesson)  # a teacher's own walk-through goes with the file
            out = save_lesson_file(with_suffix(path), LessonFile.from_snapshot(snap, self.examples.examples,
                                                                               guide=guide))
        except (OSError, NNVizError) as e:
            self.failed.emit(f"Could not save the lesson file {path}: {e}")
            return False
        self.remember_dir(out)
        self.message.emit(f"Saved {out} (iteration {snap.iteration:,}, {len(self.examples)} of your examples)")
        return True

    def open_lesson_file(self, path: str | None = None) -> bool:
        """Load a .nnviz file: its lesson, network and history; its examples join the learner's."""
        def load(p):
            lf = load_lesson_file(p)
            current = self.controller.lesson.name if self.controller.lesson else None
            if lf.n_examples:
                if lf.lesson == current:
                    self.examples.add_from_lesson_file(lf.examples_x, lf.examples_labels)
                else:
                    self.examples.keep_for_lesson(lf.lesson, lf.examples_x, lf.examples_labels)
            if lf.guide is not None:
                self.guideOpened.emit(lf.lesson, lf.guide)
            self.controller.install(lf.saved_model(), p)
            if lf.title or lf.note:
                self.noticeRequested.emit(f"<b>{lf.title or Path(p).name}</b><br>{lf.note}")
            self.message.emit(f"Opened {Path(p).name}: {lf.lesson}, iteration {lf.iteration:,}")

        return self.open_with(load, path, "Open lesson file", "nnviz lesson files (*.nnviz);;All files (*)")

    def session_path(self, lesson: str) -> Path:
        """Where ``lesson``'s run is kept between starts (autosaved while it trains, saved on quit)."""
        return self.data_dir() / SESSIONS_DIR / f"{lesson}.nnviz"

    def autosave_session(self) -> bool:
        """Save the live lesson's run if it changed since the last autosave (a past iteration on
        screen saves nothing: the file keeps the run as it was before)."""
        snap = self.controller.latest
        if snap is None or snap.rewound or not snap.lesson:
            return False
        key = (snap.generation, snap.live_iteration, len(self.examples), snap.lesson)
        if key == self._autosaved_key:
            return False
        try:
            path = self.session_path(snap.lesson)
            path.parent.mkdir(parents=True, exist_ok=True)
            save_lesson_file(path, LessonFile.from_snapshot(snap, self.examples.examples, title="Your last session"))
        except (OSError, NNVizError):
            return False  # insurance only: never bother the learner about it
        self._autosaved_key = key
        return True

    def drawings_path(self) -> Path:
        """Where the paint grid's drawings are kept between starts (one file for every lesson)."""
        return self.data_dir() / SESSIONS_DIR / "drawings.npz"

    def kept_drawings(self) -> dict:
        """The drawings kept when nnviz last closed (or last autosaved them)."""
        drawings = load_drawings(self.drawings_path())
        self._kept_drawings = _fingerprint(drawings)
        return drawings

    def keep_drawings(self, drawings: dict) -> bool:
        """Write ``drawings`` (the editor's ``drawings()``) if they changed since the last time."""
        key = _fingerprint(drawings)
        if key == self._kept_drawings:
            return False
        try:
            path = self.drawings_path()
            path.parent.mkdir(parents=True, exist_ok=True)
            save_drawings(path, drawings)
        except (OSError, NNVizError):
            return False  # insurance only, as the session's autosave is
        self._kept_drawings = key
        return True

    def resume(self, lesson: str):
        """Install the run ``lesson`` had when nnviz last closed (or last autosaved it); returns its
        LessonFile, or None when there is none to resume. The learner's examples come back with
        the lesson (their own autosave), so the file's copies are not added again."""
        path = self.session_path(lesson)
        if not path.exists():
            return None
        try:
            lf = load_lesson_file(path)
        except NNVizError as e:
            self.failed.emit(f"Your last {lesson} session could not be resumed ({e}); the lesson starts afresh")
            return None
        if lf.lesson != lesson or lf.is_fresh_start():  # nothing done there: the lesson as it opens
            return None
        self.controller.install(lf.saved_model(), str(path))
        # the states it could rewind to, kept at the last normal quit (used only if it ends here)
        self.controller.restore_rewind(str(rewind_path(path.parent, lesson)))
        return lf

    def save_rewinds(self) -> None:
        """A normal quit: the worker keeps every lesson's rewind history beside its session file."""
        folder = self.session_path("").parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            return
        self.controller.save_rewinds(str(folder))


def _may_lack_transform(path: str) -> bool:
    """False for a file nnviz wrote (its input transform, or none, is what it says); else True."""
    if Path(path).suffix.lower() != ".safetensors":
        return True
    from ...model.files.foreign.safetensors_file import read_safetensors

    try:
        return "nnviz" not in read_safetensors(path)[1]
    except NNVizError:
        return True


def _fingerprint(drawings: dict) -> dict:
    """What tells two sets of drawings apart: each grid's image bytes."""
    return {grid: image.tobytes() for grid, image in drawings.items()}
