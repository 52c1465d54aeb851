"""The main window: the panels in docks, and the small controllers it wires together.

Commands go to the training thread through the TrainingController; the FrameRenderer draws
its latest snapshot; ExamplesController, FilesController and ExportsController own the
learner's examples, the files and the exports. They talk through signals and never import
this module: the window only builds and connects.
"""

from __future__ import annotations

from types import SimpleNamespace


import numpy as np
from PySide6.QtCore import QSettings, Qt, QTimer, Slot
from PySide6.QtWidgets import (
    QApplication, QDialog, QLabel, QMainWindow, QMessageBox, QVBoxLayout, QWidget,
)

from ...model.core.messages import UNDO_KEY, network_description
from .edit_history import EditHistory
from ...model.core.reports import Refused, Report, Saved
from ...model.lessons import DEFAULT_LESSON, LESSONS
from ..views.activation_view import ActivationView
from ..views.conv_network import NetworkStack
from ..views.dataset_browser import DatasetBrowser
from ..views.lesson_guide import LessonGuide
from ..explore.tabs import ExploreTabs, standard_tabs
from ..views.notice import LineClamp, NoticeBar
from ..graphics.palettes import PALETTES
from ..views.pixel_editor import PixelEditor
from ..views.prediction_readout import PredictionReadout
from ..views.timeline_bar import TimelineBar
from ..views.training_panel import TrainingPanel
from ..views.weight_panel import WeightPanel
from ..views.weights_stack import WeightsStack
from ..worker import TrainingController
from .action_table import build_actions
from .docks import SideWidths, build_docks, laptop_screen, open_guide, reset_layout, restore_layout, tabify_explore
from .menus import build_window_menus, show_about, show_shortcuts
from .examples import ExamplesController
from .exports import ExportsController
from .files import FilesController
from .frame_renderer import FrameRenderer, StatusFields
from .guide import GuideController
from .keys import TrainingKeys
from .safety import SafetyController

SESSION_AUTOSAVE_MS = 30_000
STATUS_MS = 6000  # how long a one-line status message stays
#: said when a dataset image came into the editor with MNIST preprocessing on: it is switched off
PREPROCESSING_OFF = " (MNIST preprocessing switched off: the image is already prepared, the network reads it as is)"


# short enough for one row beside its buttons in the centre of a 1280×720 window (573 px wide):
# over the lesson description only, not the network view's hint line below it
FIRST_START_OFFER = "New to nnviz? Let the <b>Guide</b> (F1) show you around."


class MainWindow(QMainWindow):
    def __init__(self, lesson: str | None = None, settings: QSettings | None = None):
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("nnviz")
        self.settings = settings or QSettings("nnviz", "nnviz")
        self.controller = c = TrainingController(self)
        # The training thread loads the lesson while the window is built (its first snapshot is
        # delivered through the event loop, after the connections below exist).
        start = lesson or self.settings.value("lesson", DEFAULT_LESSON)
        self._seen_lessons: set[str] = set()  # lessons opened in this run of the app (the rest resume)
        self._network_key = None  # (sizes, hidden, spec) the lesson line describes
        self._choosing = None  # the lesson chosen (menu, start): only it resumes, not one a file opened
        self._crashed = self.settings.value("running", False, type=bool)
        self.choose_lesson(start if start in LESSONS else DEFAULT_LESSON)
        self.files = FilesController(self.settings, c, self, self)
        self.examples = ExamplesController(self.files, self, self)
        self.files.examples = self.examples
        self.actions = build_actions(self, self._slots())
        self._build_panels()
        self.pixel_editor.restore_drawings(self.files.kept_drawings())  # as the run resumes, so does its drawing
        self.guide = GuideController(self.guide_panel, c, SimpleNamespace(
            pixel_editor=self.pixel_editor, weight_panel=self.weight_panel, explore=self.explore,
            guide_dock=self.docks["lessonGuide"],
            select_neuron=lambda layer, k: self.frames.select_neuron(layer, k),
            raise_dock=lambda key: self.docks[key].raise_(), select_pixel=self._select_pixel), self, self.settings,
            self)
        self.frames = FrameRenderer(c, self._views(), self.pixel_editor.painting, self)
        self.exports = ExportsController(self.files, c, self, self._exportable(), self.weights_stack, self.frames,
                                         self)
        self._build_menus()
        self.safety = SafetyController(c, self.notice, self.actions["undo_run"], self.show_status,
                                       lambda text, error: self.training_panel.show_message(text, error=error),
                                       self._reset, self)
        self._wire()

        self._session = QTimer(self)  # crash insurance: the session is saved every half minute if it changed
        self._session.setInterval(SESSION_AUTOSAVE_MS)
        self._session.timeout.connect(self.files.autosave_session)
        self._session.timeout.connect(self._keep_drawings)
        self._session.start()
        if not self.settings.value("guide/offered", False, type=bool):  # the first start: offer the guide
            self.settings.setValue("guide/offered", True)
            self.notice.show_notice(FIRST_START_OFFER, [("Open the guide", self.open_guide)], lasting=True)
        self.settings.setValue("running", True)
        self.frames.start()
        self._restore_window()

    # -- construction ---------------------------------------------------------------

    def _slots(self) -> dict:
        c, f, ex = self.controller, self.files, self.examples
        return {
            "step": lambda: c.step(1), "step_n": lambda: c.step(self.training_panel.step_n()), "run": c.toggle_run,
            "reset": self._reset, "undo_run": c.undo, "open": lambda: f.open_model(), "save": f.save_model,
            "open_data": lambda: f.open_dataset(), "export": lambda: self.exports.export_window(),
            "save_lesson": lambda: f.save_lesson_file(), "open_lesson": lambda: f.open_lesson_file(),
            "export_gif": lambda: self.exports.export_weights_gif(), "quit": self.close,
            "export_safetensors": lambda: self.exports.export_model("safetensors"),
            "export_onnx": lambda: self.exports.export_model("onnx"),
            "add_example": lambda: self.add_drawing_to_training_set(),
            "export_examples": lambda: ex.export(), "import_examples": lambda: ex.import_file(),
            "remove_example": self.remove_selected_example, "undo_example": ex.undo, "redo_example": ex.redo,
            "guide": self.open_guide, "guide_file": lambda: self.guide.open_file(),
            "reset_layout": self._reset_layout, "about": lambda: show_about(self), "shortcuts": lambda: show_shortcuts(self),
        }

    def _build_panels(self):
        self.pixel_editor = PixelEditor()
        self.readout = PredictionReadout()
        self.browser = DatasetBrowser()
        self.weight_panel = WeightPanel()
        self.weights_stack = WeightsStack(self.weight_panel)  # the weight panel or, for a conv net, its kernels
        self.activation_view = ActivationView()
        self.network_stack = NetworkStack(self.activation_view)  # the activations or a conv net's maps
        self.training_panel = TrainingPanel(self.actions)
        self.explore = ExploreTabs(standard_tabs(self._train_one_by))
        self.guide_panel = LessonGuide()

        self.lesson_label = QLabel()
        self.lesson_label.setObjectName("lessonDescription")
        self.lesson_label.setWordWrap(True)
        self.lesson_label.setStyleSheet("padding: 4px 8px; color: #333; font-size: 11px;")
        self.timeline_bar = TimelineBar()
        centre = QWidget()
        lay = QVBoxLayout(centre)
        lay.setContentsMargins(0, 0, 0, 0)
        for widget, stretch in ((self.lesson_label, 0), (self.network_stack, 1), (self.timeline_bar, 0)):
            lay.addWidget(widget, stretch)
        # floats over the top of the centre: it never takes the views' height
        self.notice = NoticeBar(centre, band=self.lesson_label)
        self.setCentralWidget(centre)

        editor_box = QWidget()
        el = QVBoxLayout(editor_box)
        el.setContentsMargins(4, 4, 4, 4)
        el.addWidget(self.pixel_editor, 3)
        el.addWidget(self.readout, 1)
        self.docks = build_docks(self, {"pixelEditor": editor_box, "datasetBrowser": self.browser,
                                        "weightPanel": self.weights_stack, "trainingPanel": self.training_panel,
                                        "explore": self.explore, "lessonGuide": self.guide_panel})

    def _views(self) -> list:
        """Every panel, in the order the frame renderer draws them."""
        return [self.notice, self.pixel_editor, self.weights_stack, self.training_panel, self.network_stack, self.readout,
                StatusFields(self.statusBar()), self.timeline_bar, self.explore, self.browser, self.guide]

    def _exportable(self) -> dict:
        panels = {key: dock.widget() for key, dock in self.docks.items()}
        panels["activationView"] = self.network_stack  # the page shown: activations or feature maps
        return panels

    def _build_menus(self):
        self.recent_menu, self.lesson_actions, self.palette_actions, self.lesson_combo = build_window_menus(self)
        self._show_recent(self.files.recent())
        self.set_palette(self.settings.value("palette", "green-red"))

    def _wire(self):
        c, f, ex, fr, say = self.controller, self.files, self.examples, self.frames, self.show_status
        c.lessonLoaded.connect(self._on_lesson_loaded)
        c.snapshotArrived.connect(self._describe_network)
        c.runningChanged.connect(self._on_running)
        c.reported.connect(self._on_report)
        self.guide.message.connect(say)
        self.guide.openRequested.connect(self.open_guide)
        self.guide.attach_files(f)
        self.network_stack.pixelPicked.connect(self.guide.pick_pixel)
        for source in (f, ex, self.exports):
            source.message.connect(say)
            source.failed.connect(self.show_error)
        f.recentChanged.connect(self._show_recent)
        f.noticeRequested.connect(lambda text: self.notice.show_notice(text, lasting=True))  # outlives the load
        fr.lessonDone.connect(self.notice.show_notice)
        self.keys = TrainingKeys(self)  # Space, R, N work while a number field has focus
        ex.datasetChanged.connect(self._on_training_set)
        ex.browse.connect(lambda ds, n: self.browser.set_dataset(ds, user_count=n))
        ex.undoStateChanged.connect(lambda u, r: (self.actions["undo_example"].setEnabled(u),
                                                  self.actions["redo_example"].setEnabled(r)))
        for own in (self.pixel_editor.undo_action, self.pixel_editor.redo_action):
            own.setShortcuts([])  # Ctrl+Z is Edit ▸ Undo's: two owners of one key would make it do nothing
        self.edits = EditHistory(self.pixel_editor, ex, c, self.actions["undo"], self.actions["redo"], self)
        c.lessonLoaded.connect(lambda *_: self.edits.refresh())
        self.timeline_bar.previewRequested.connect(c.preview)
        self.timeline_bar.resumeRequested.connect(c.resume_from)
        self.training_panel.plots.iterationClicked.connect(self.timeline_bar.go_to)  # click a curve: rewind
        LineClamp(self.lesson_label)  # the description in two lines (a click shows it all): room for the network
        self.explore.loadInput.connect(self._load_input)
        self.explore.statusMessage.connect(say)
        self.docks["explore"].visibilityChanged.connect(lambda vis: vis and fr.refresh_explore())
        self.explore.currentChanged.connect(lambda _: fr.refresh_explore())
        self.pixel_editor.imageChanged.connect(fr.update_inference)
        self.browser.exampleChosen.connect(self._load_example)
        self.weight_panel.neuronSelected.connect(self._select_neuron)
        self.weight_panel.weightEdited.connect(c.set_weight)  # set by hand: a command, like a Step
        self.activation_view.neuronSelected.connect(self._select_neuron)
        self.actions["delta"].toggled.connect(self.weights_stack.set_show_delta)
        self.actions["pre"].toggled.connect(self._set_pre_activations)
        tp = self.training_panel
        tp.settingsEdited.connect(lambda ch: c.change_settings(**ch))
        tp.rebuildRequested.connect(self._confirm_rebuild)
        tp.speedChanged.connect(self._on_speed)

    def _restore_window(self):
        self._tabify_pending = self.explore.held = not restore_layout(self, self.settings, self.docks)
        self.first_start = self._tabify_pending  # no saved layout: the first-start one
        self.side_widths = SideWidths(self, self.docks)

    def showEvent(self, event):
        super().showEvent(event)
        if not self.side_widths.wanted and not self._tabify_pending:
            QTimer.singleShot(0, self.side_widths.remember)  # a restored layout: its widths are the learner's
        if self._tabify_pending:
            # Qt 6 leaves a stray duplicate tab bar when a second dock group is tabified before
            # the window is first shown, so the Explore tab joins the weights only now.
            self._tabify_pending = False
            QTimer.singleShot(0, self._tabify_explore)

    def _tabify_explore(self):
        tabify_explore(self, self.docks)
        self.explore.held = False
        QTimer.singleShot(0, self.side_widths.remember)  # the first-start widths, once applied

    def _reset_layout(self):
        """View ▸ Reset layout; its widths are the ones kept from now on."""
        reset_layout(self, self.docks)
        QTimer.singleShot(0, self.side_widths.remember)

    # -- what tools, scripts and tests call ----------------------------------------------

    def show_on_screen(self) -> None:
        """Show the window: maximised at a first start on a laptop's screen (docks.laptop_screen),
        else at its restored or first-start size."""
        screen = laptop_screen() if self.first_start else None
        if screen is not None:
            self.setGeometry(screen)  # the room even where nothing manages windows
            self.setWindowState(self.windowState() | Qt.WindowMaximized)
        self.show()

    def open_guide(self):
        """Help ▸ Guide: the lesson's guide under the editor."""
        open_guide(self, self.docks)
        self.guide.opened()
        self.frames.redraw()  # its facts from the frame on screen

    def add_drawing_to_training_set(self, label: int | None = None):
        """Append the painted input, with a label, to the lesson's training data."""
        return self.examples.add(self.pixel_editor.image(), label)

    def remove_selected_example(self):
        mine = self.browser.split == "my examples"
        self.examples.remove(self.browser.selected_example() if mine else None)

    def show_status(self, message: str, ms: int = STATUS_MS):
        self.statusBar().showMessage(message, ms)

    @Slot(str)
    def show_error(self, message: str):
        self.training_panel.show_message(message, error=True)
        self.statusBar().showMessage(message, 10000)

    def _on_report(self, report: Report) -> None:
        """A refused command and a finished save; the safety and files controllers take the rest."""
        match report:
            case Refused(message=message):
                self.show_error(message)
            case Saved(path=path):
                self.show_status(f"Saved {path}")

    # -- lessons ---------------------------------------------------------------------------

    def choose_lesson(self, name: str):
        c = self.controller
        if c.lesson is not None and c.lesson.name == name and c.latest is not None and c.latest.lesson == name:
            return  # already open: picking it again in the menu changes nothing
        if getattr(self, "files", None) is not None:
            self.files.autosave_session()  # the lesson left is kept as it is now, for the next start
        self.statusBar().showMessage(f"Loading the {name} lesson…")
        self._choosing = name
        self.controller.load_lesson(name)

    @Slot(object, object)
    def _on_lesson_loaded(self, lesson, dataset):
        self.settings.setValue("lesson", lesson.name)
        # each lesson starts at a speed one can watch, or at the one the learner chose for it last
        self.training_panel.set_speed(float(self.settings.value(f"speed/{lesson.name}", lesson.speed)))
        self.lesson_actions[lesson.name].setChecked(True)
        self.lesson_combo.setCurrentIndex(self.lesson_combo.findData(lesson.name))
        self.lesson_label.setText(f"<b>{lesson.title}</b> — {lesson.description}")
        self._network_key = None  # the next snapshot says whether the network is the lesson's own
        self.frames.set_lesson(dataset)  # every view forgets the previous lesson
        self.examples.set_lesson(lesson.name, dataset)
        self.show_status(f"{lesson.title}: {len(dataset.x_train):,} training and "
                         f"{len(dataset.x_test):,} test examples")
        if getattr(self, "files", None) is not None:
            self.files.say_after_lesson()  # an opened model's line, after the lesson's
        chosen, self._choosing = self._choosing == lesson.name, None
        if chosen and lesson.name not in self._seen_lessons:  # first chosen since the app started
            self._resume(lesson)
        self._seen_lessons.add(lesson.name)

    def _describe_network(self) -> None:
        """The lesson line describes the network shown: the lesson's text for its own network, else
        the opened or rebuilt one (checked when the architecture changes, not every frame)."""
        snap, lesson = self.controller.latest, self.controller.lesson
        if snap is None or lesson is None or snap.lesson != lesson.name:
            return
        key = (tuple(snap.sizes), snap.hidden, repr(snap.spec))
        if key == self._network_key:
            return
        self._network_key = key
        own_sizes = [snap.sizes[0], *lesson.hidden_sizes, snap.sizes[-1]]
        count = sum(w.size for w in snap.weights) + sum(b.size for b in snap.biases)
        text = network_description(lesson.title, own_sizes, lesson.hidden, lesson.spec, snap.sizes, snap.hidden,
                                   None if snap.is_mlp else snap.spec, count)
        self.lesson_label.setText(text or f"<b>{lesson.title}</b> — {lesson.description}")

    def _resume(self, lesson):
        """Bring back the run the learner left ``lesson`` with last time, saying so; Start fresh
        resets (the resumed run is kept for Undo)."""
        lf = self.files.resume(lesson.name)
        if lf is None:
            return
        when = ("nnviz did not close normally last time: resumed from its last autosave"
                if self._crashed else "Welcome back: resumed where you left off")
        self.notice.show_notice(f"{when}, <b>{lesson.title}</b> at iteration {lf.iteration:,} "
                                f"(epoch {lf.epoch + lf.epoch_fraction:.2f}).",
                                [("Start fresh", self._reset)])

    @Slot(object)
    def _on_training_set(self, dataset):
        """The learner's examples changed the training set: the worker and the views follow."""
        self.explore.set_lesson(dataset)
        self.controller.set_dataset(dataset, self.examples.base)  # the base comes back with the lesson

    # -- commands -------------------------------------------------------------------------

    def _on_speed(self, ips: float):
        self.controller.set_speed(ips)
        if self.controller.lesson is not None:
            self.settings.setValue(f"speed/{self.controller.lesson.name}", ips)

    def _reset(self):
        self.controller.reset(self.training_panel.seed())

    def _train_one_by(self, method: str):
        """One real iteration with the given method (from the Nudge vs gradient tab)."""
        self.controller.change_settings(method=method)
        self.controller.step()

    @Slot(list, str)
    def _confirm_rebuild(self, sizes, activation):
        desc = " → ".join(str(s) for s in sizes) or "no hidden layer"
        seed = self.training_panel.seed()
        answer = QMessageBox.question(
            self, "Rebuild the network?",
            f"Build a new network with hidden layers {desc} ({activation})?\n"
            f"The current weights and training history will be replaced (seed {seed}); "
            f"Edit ▸ Undo ({UNDO_KEY}) brings them back.")
        if answer == QMessageBox.Yes:
            self.controller.rebuild(sizes, activation, seed)
        elif (snap := self.controller.latest) is not None:  # cancelled: show the layers there are
            self.training_panel.show_settings(snap.settings, snap.sizes, snap.hidden, snap.seed)

    @Slot(bool)
    def _on_running(self, running: bool):
        self.actions["run"].setText("&Pause" if running else "&Run")
        if running:
            self.training_panel.show_message("")
            self.notice.hide()

    def set_palette(self, name: str):
        if name not in PALETTES:
            name = "green-red"
        self.settings.setValue("palette", name)
        self.palette_actions[name].setChecked(True)
        self.frames.set_palette(name)

    def _set_pre_activations(self, on: bool):
        self.activation_view.set_show_preactivations(on)
        self.frames.update_inference()

    @Slot(int, int)
    def _select_neuron(self, layer: int, neuron: int):
        source = {self.weight_panel: self.weights_stack, self.activation_view: self.network_stack}.get(self.sender())
        self.frames.select_neuron(layer, neuron, source)  # the view the learner clicked already shows it

    def _select_pixel(self, layer: int, channel: int, row: int, col: int) -> bool:
        return self.network_stack.select_pixel(layer, channel, row, col)

    @Slot(object, str)
    def _load_example(self, x, label):
        off = self.pixel_editor.load_input(np.asarray(x, dtype=np.float32))
        self.docks["pixelEditor"].raise_()
        self.show_status(f"Loaded an example labelled {label} into the editor{PREPROCESSING_OFF if off else ''}")

    @Slot(object)
    def _load_input(self, x):
        """An Explore tab chose an image (a mistake, a population member, a neuron's favourite)."""
        h, w = self.pixel_editor.canvas.shape
        x = np.asarray(x, dtype=np.float32).reshape(-1)
        if x.size != h * w:
            return
        off = self.pixel_editor.load_input(x.reshape(h, w))
        self.docks["pixelEditor"].raise_()
        self.show_status("Loaded into the editor: paint on it and watch the answer change"
                         f"{PREPROCESSING_OFF if off else ''}")

    def _show_recent(self, paths: list):
        self.recent_menu.clear()
        for p in paths:
            self.recent_menu.addAction(p, lambda p=p: self.files.open_model(p))
        self.recent_menu.setEnabled(bool(paths))

    # -- shutdown ----------------------------------------------------------------------------

    def _keep_drawings(self) -> None:
        self.files.keep_drawings(self.pixel_editor.drawings())

    def closeEvent(self, event):
        modal = QApplication.activeModalWidget()
        if isinstance(modal, QDialog) and modal is not self:
            modal.reject()  # e.g. the rebuild question
        if not self.examples.confirm_quit():  # unsaved examples: export them first?
            event.ignore()
            return
        self.frames.stop()
        self._session.stop()
        self.files.autosave_session()
        self._keep_drawings()
        self.files.save_rewinds()  # before the thread stops: the states to scrub back to next time
        self.settings.setValue("running", False)
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("windowState", self.saveState())
        self.controller.shutdown()
        super().closeEvent(event)
