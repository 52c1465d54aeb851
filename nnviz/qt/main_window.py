"""The main window: lesson chooser, the four panels in docks, menus, status bar.

It wires the views to the training thread: commands go out through the
TrainingController; snapshots come back and are rendered on a ~60 Hz display
timer (only the latest one). Painting runs inference on the GUI thread against
the latest snapshot, never waiting for training.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, QSize, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QApplication, QComboBox, QDockWidget, QFileDialog, QInputDialog, QLabel, QMainWindow, QMessageBox, QToolBar,
    QVBoxLayout, QWidget,
)

from .. import __version__
from ..model.datasets import SIGN
from ..model.errors import NNVizError
from ..model.examples import UserExamples, load_examples, save_examples
from ..model.lessons import DEFAULT_LESSON, LESSONS
from .actions import make_action
from .activation_view import ActivationView
from .dataset_browser import DatasetBrowser
from .explore_dock import ExploreTabs
from .notice import NoticeBar
from .palettes import PALETTES, fix_label_size
from .pixel_editor import PixelEditor
from .prediction_readout import PredictionReadout
from .timeline_bar import TimelineBar
from .training_panel import TrainingPanel
from .weight_panel import WeightPanel
from .worker import TrainingController

DISPLAY_MS = 16  # ~60 Hz when stepping: every iteration shows at once
RUNNING_DISPLAY_MS = 33  # ~30 Hz while running: painting holds the GIL the trainer needs
CURVES_EVERY = 6  # while running, redraw the curves on every 6th frame (~5 Hz)
MAX_RECENT = 8
SESSION_AUTOSAVE_MS = 30_000
HEALTH_SAMPLE = 256  # training images on which dead / saturated units are judged
#: the widest text each status-bar field shows, so its size never changes
STATUS_WIDEST = {"iteration": "iteration 99,999,999", "epoch": "epoch 9,999.99", "loss": "loss 999.9999",
                 "accuracy": "test accuracy 100.0%", "speed": "99,999 steps/s"}


class MainWindow(QMainWindow):
    def __init__(self, lesson: str | None = None, settings: QSettings | None = None):
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("nnviz")
        self.settings = settings or QSettings("nnviz", "nnviz")
        self.controller = TrainingController(self)
        self._rendered = None
        self._layout_key = None
        self._frame = 0
        self.user_examples = UserExamples()
        self.examples_unsaved = False  # True when the last autosave of the learner's examples failed
        self.base_dataset = None  # the lesson's own data; the learner's examples go on top

        self._build_actions()
        self._build_panels()
        self._build_menus()
        self._build_status()

        c = self.controller
        c.lessonLoaded.connect(self._on_lesson_loaded)
        c.runningChanged.connect(self._on_running)
        c.failed.connect(self._on_failed)
        c.saved.connect(lambda p: (self._add_recent(p), self.statusBar().showMessage(f"Saved {p}", 5000)))
        c.diverged.connect(self._on_diverged)
        c.framesReady.connect(self._write_gif_frames)
        self._pending_examples = None
        self._gif_request = None
        self._autosaved_key = None
        self._session = QTimer(self)  # crash insurance: the session is saved every half minute if it changed
        self._session.setInterval(SESSION_AUTOSAVE_MS)
        self._session.timeout.connect(self.autosave_session)
        self._session.start()
        crashed = self.settings.value("running", False, type=bool)
        self.settings.setValue("running", True)
        self._display = QTimer(self)
        self._display.setInterval(DISPLAY_MS)
        self._display.timeout.connect(self.render_latest)
        self._display.start()

        self._restore_window()
        start = lesson or self.settings.value("lesson", DEFAULT_LESSON)
        self.choose_lesson(start if start in LESSONS else DEFAULT_LESSON)
        if crashed and self._session_path().exists():
            self._offer_session_restore()

    # -- construction ---------------------------------------------------------------

    def _build_actions(self):
        c = self.controller
        self.actions = a = {}
        a["step"] = make_action(self, "&Step", c.step, [Qt.Key_Right, Qt.Key_N],
                                "Train exactly one iteration (one mini-batch)", object_name="stepAction")
        a["step_n"] = make_action(self, "Step ×&N", self._step_n, QKeySequence("Shift+Right"),
                                  "Train N iterations", object_name="stepNAction")
        a["run"] = make_action(self, "&Run", c.toggle_run, Qt.Key_Space, "Run or pause training",
                               object_name="runAction")
        a["reset"] = make_action(self, "R&eset", self._reset, Qt.Key_R,
                                 "Fresh weights from the seed; the same seed replays the same run",
                                 object_name="resetAction")
        a["open"] = make_action(self, "&Open model…", self._open_model, QKeySequence.Open)
        a["save"] = make_action(self, "&Save model…", self._save_model, QKeySequence.Save)
        a["open_data"] = make_action(self, "Open &dataset…", self.open_dataset_file, QKeySequence("Ctrl+Shift+O"),
                                     "Train on other images of the same size: MNIST IDX files or an nnviz .npz")
        a["export"] = make_action(self, "&Export view as PNG…", self._export_png, QKeySequence("Ctrl+E"))
        a["save_lesson"] = make_action(self, "Save &lesson file…", self.save_lesson_file, QKeySequence("Ctrl+Shift+S"),
                                       "One .nnviz file with the settings, seed, weights, history and your "
                                       "examples, to hand a prepared moment to a class")
        a["open_lesson"] = make_action(self, "Open lesson &file…", self.open_lesson_file, QKeySequence("Ctrl+L"),
                                       "Open a .nnviz lesson file")
        a["export_gif"] = make_action(self, "Export weights &animation (GIF)…", self.export_weights_gif, None,
                                      "The weight panel over a range of past iterations, as an animated GIF")
        a["quit"] = make_action(self, "&Quit", self.close, QKeySequence.Quit)
        a["add_example"] = make_action(self, "&Add drawing to training set…", self.add_drawing_to_training_set,
                                       QKeySequence("Ctrl+Return"),
                                       "Label the painted input and add it to the training data")
        a["export_examples"] = make_action(self, "E&xport my examples…", self._export_examples, None,
                                           "Save the examples you added as an .npz file")
        a["import_examples"] = make_action(self, "&Import examples…", self._import_examples, None,
                                           "Add examples from an .npz file exported by nnviz")
        a["remove_example"] = make_action(self, "Re&move selected example", self.remove_selected_example,
                                          QKeySequence("Ctrl+Backspace"),
                                          "Remove the selected one of your own examples (undoable)")
        a["undo_example"] = make_action(self, "Undo example change", self.undo_example_change,
                                        QKeySequence("Ctrl+Alt+Z"), "Undo adding or removing an example")
        a["redo_example"] = make_action(self, "Redo example change", self.redo_example_change,
                                        QKeySequence("Ctrl+Alt+Shift+Z"), "Redo adding or removing an example")
        a["about"] = make_action(self, "&About nnviz", self._about)
        a["shortcuts"] = make_action(self, "&Keyboard shortcuts", self._show_shortcuts, QKeySequence.HelpContents)
        a["delta"] = make_action(self, "Show last &change (ΔW)", None, QKeySequence("D"),
                                 "Show what the last iteration changed instead of the weights", checkable=True)
        a["pre"] = make_action(self, "Show &pre-activations", None, QKeySequence("P"),
                               "Show z = w·a + b instead of the activations", checkable=True)
        for act in a.values():
            self.addAction(act)

    def _build_panels(self):
        self.pixel_editor = PixelEditor()
        self.readout = PredictionReadout()
        self.browser = DatasetBrowser()
        self.weight_panel = WeightPanel()
        self.activation_view = ActivationView()
        self.training_panel = TrainingPanel(self.actions)
        self.explore = ExploreTabs(self._explore_panels())

        self.lesson_label = QLabel()
        self.lesson_label.setObjectName("lessonDescription")
        self.lesson_label.setWordWrap(True)
        self.lesson_label.setStyleSheet("padding: 4px 8px; color: #333; font-size: 11px;")
        self.notice = NoticeBar()
        self.timeline_bar = TimelineBar()
        self.timeline_bar.previewRequested.connect(self.controller.preview)
        self.timeline_bar.resumeRequested.connect(self.controller.resume_from)
        centre = QWidget()
        lay = QVBoxLayout(centre)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.lesson_label)
        lay.addWidget(self.notice)
        lay.addWidget(self.activation_view, 1)
        lay.addWidget(self.timeline_bar)
        self.setCentralWidget(centre)

        editor_box = QWidget()
        el = QVBoxLayout(editor_box)
        el.setContentsMargins(4, 4, 4, 4)
        el.addWidget(self.pixel_editor, 3)
        el.addWidget(self.readout, 1)
        self.docks = {}
        for key, title, widget, area in (
            ("pixelEditor", "Paint an input", editor_box, Qt.LeftDockWidgetArea),
            ("datasetBrowser", "Examples", self.browser, Qt.LeftDockWidgetArea),
            ("weightPanel", "Weights", self.weight_panel, Qt.RightDockWidgetArea),
            ("trainingPanel", "Training", self.training_panel, Qt.BottomDockWidgetArea),
            ("explore", "Explore how it learns", self.explore, Qt.RightDockWidgetArea),
        ):
            dock = QDockWidget(title, self)
            dock.setObjectName(f"{key}Dock")
            dock.setWidget(widget)
            self.addDockWidget(area, dock)
            self.docks[key] = dock
        # weights take the full height on the right; training spans the rest of the bottom
        self.setCorner(Qt.BottomRightCorner, Qt.RightDockWidgetArea)
        self.setCorner(Qt.TopRightCorner, Qt.RightDockWidgetArea)
        self.tabifyDockWidget(self.docks["pixelEditor"], self.docks["datasetBrowser"])
        self.docks["pixelEditor"].raise_()
        self.explore.loadInput.connect(self._load_input)
        self.explore.statusMessage.connect(lambda m: self.statusBar().showMessage(m, 6000))
        self.docks["explore"].visibilityChanged.connect(lambda vis: vis and self._refresh_explore())
        self.explore.currentChanged.connect(lambda _: self._refresh_explore())

        self.pixel_editor.imageChanged.connect(self.update_inference)
        self.browser.exampleChosen.connect(self._load_example)
        self.browser.split_combo.currentTextChanged.connect(lambda _: self.mark_predictions())
        self.docks["datasetBrowser"].visibilityChanged.connect(lambda vis: vis and self.mark_predictions())
        self.weight_panel.neuronSelected.connect(self._select_neuron)
        self.activation_view.neuronSelected.connect(self._select_neuron)
        self.actions["delta"].toggled.connect(self.weight_panel.set_show_delta)
        self.actions["pre"].toggled.connect(self._set_pre_activations)
        tp = self.training_panel
        tp.settingsEdited.connect(lambda ch: self.controller.change_settings(**ch))
        tp.rebuildRequested.connect(self._confirm_rebuild)
        tp.speedChanged.connect(self.controller.set_speed)

    def _explore_panels(self) -> list:
        """The Explore dock's tabs (see explore.py for the hooks they implement)."""
        from .health_view import HealthView
        from .lr_probe_view import LrProbeView
        from .confusion_view import ConfusionView
        from .nudge_view import NudgeView
        from .population_view import PopulationView
        from .neuron_input_view import NeuronInputView

        self.nudge_view = NudgeView()
        self.nudge_view.applyRequested.connect(self._train_one_by)
        return [self.nudge_view, HealthView(), ConfusionView(), NeuronInputView(), PopulationView(), LrProbeView()]

    def _train_one_by(self, method: str):
        """One real iteration with the given method (from the Nudge vs gradient tab)."""
        self.controller.change_settings(method=method)
        self.controller.step()

    def _refresh_explore(self):
        ed = self.pixel_editor
        self.explore.refresh(self.controller.latest, ed.image(),
                             (ed.canvas.shape, ed.canvas.revision, id(ed.canvas)), self.controller.running)

    @Slot(object)
    def _load_input(self, x):
        """An Explore tab chose an image (a mistake, a population member, a neuron's favourite)."""
        h, w = self.pixel_editor.canvas.shape
        x = np.asarray(x, dtype=np.float32).reshape(-1)
        if x.size != h * w:
            return
        self.pixel_editor.set_image(x.reshape(h, w))
        self.docks["pixelEditor"].raise_()
        self.statusBar().showMessage("Loaded into the editor: paint on it and watch the answer change", 6000)

    def _build_menus(self):
        a, mb = self.actions, self.menuBar()
        m = mb.addMenu("&File")
        m.addActions([a["open"], a["save"]])
        self.recent_menu = m.addMenu("Open &recent")
        m.addAction(a["open_data"])
        m.addSeparator()
        m.addActions([a["import_examples"], a["export_examples"]])
        m.addSeparator()
        m.addActions([a["open_lesson"], a["save_lesson"]])
        m.addSeparator()
        m.addAction(a["export"])
        self.export_panel_menu = m.addMenu("Export &panel as PNG (2×)")
        for key, dock in self.docks.items():
            self.export_panel_menu.addAction(dock.windowTitle(), lambda k=key: self.export_panel_png(k))
        self.export_panel_menu.addAction("Activations", lambda: self.export_panel_png("activationView"))
        m.addAction(a["export_gif"])
        m.addSeparator()
        m.addAction(a["quit"])
        m = mb.addMenu("&Edit")
        for name in ("undo_action", "redo_action", "clear_action", "invert_action"):
            act = getattr(self.pixel_editor, name, None)
            if act is not None:
                m.addAction(act)
        m.addSeparator()
        m.addActions([a["add_example"], a["remove_example"], a["undo_example"], a["redo_example"]])

        self.lesson_menu = mb.addMenu("&Lesson")
        self.lesson_group = QActionGroup(self)
        self.lesson_actions = {}
        for i, (name, lesson) in enumerate(LESSONS.items(), start=1):
            act = make_action(self, lesson.title, lambda _=False, n=name: self.choose_lesson(n),
                              QKeySequence(f"Ctrl+{i}"), lesson.description[:120] + "…", checkable=True)
            self.lesson_group.addAction(act)
            self.lesson_menu.addAction(act)
            self.lesson_actions[name] = act

        m = mb.addMenu("&Training")
        m.addActions([a["step"], a["step_n"], a["run"], a["reset"]])

        m = mb.addMenu("&View")
        for dock in self.docks.values():
            m.addAction(dock.toggleViewAction())
        m.addSeparator()
        m.addActions([a["delta"], a["pre"]])
        pm = m.addMenu("&Palette")
        self.palette_group = QActionGroup(self)
        self.palette_actions = {}
        for name in PALETTES:
            act = make_action(self, name, lambda _=False, n=name: self.set_palette(n), checkable=True)
            self.palette_group.addAction(act)
            pm.addAction(act)
            self.palette_actions[name] = act

        m = mb.addMenu("&Help")
        m.addActions([a["shortcuts"], a["about"]])

        tb = QToolBar("Lesson and training", self)
        tb.setObjectName("mainToolBar")
        tb.addWidget(QLabel(" Lesson: "))
        self.lesson_combo = QComboBox()
        self.lesson_combo.setObjectName("lessonCombo")
        for name, lesson in LESSONS.items():
            self.lesson_combo.addItem(lesson.title, name)
        self.lesson_combo.activated.connect(lambda i: self.choose_lesson(self.lesson_combo.itemData(i)))
        tb.addWidget(self.lesson_combo)
        tb.addSeparator()
        tb.addActions([a["step"], a["step_n"], a["run"], a["reset"]])
        self.addToolBar(tb)
        self._refresh_recent()
        self.set_palette(self.settings.value("palette", "green-red"))

    def _build_status(self):
        self.status = {}
        for key in ("iteration", "epoch", "loss", "accuracy", "speed"):
            lab = QLabel()
            lab.setObjectName(f"status_{key}")
            fix_label_size(lab, STATUS_WIDEST[key])  # they change every frame while training runs
            self.statusBar().addPermanentWidget(lab)
            self.status[key] = lab

    def _restore_window(self):
        geo = self.settings.value("geometry")
        self._tabify_pending = True
        if geo is not None and self.restoreGeometry(geo):
            state = self.settings.value("windowState")
            if state is not None and self.restoreState(state):
                self._tabify_pending = False
            return
        screen = QGuiApplication.primaryScreen()
        avail = screen.availableGeometry() if screen else None
        # Fit a 1366×768 laptop; on a 4K screen stay a comfortable size, not full-screen.
        w = min(1600, int(avail.width() * 0.95)) if avail else 1340
        h = min(1000, int(avail.height() * 0.92)) if avail else 720
        self.resize(QSize(max(w, 1000), max(h, 640)))
        # The activation view (centre) is the heart: give it the room, docks what they need.
        self.resizeDocks([self.docks["pixelEditor"], self.docks["weightPanel"]],
                         [int(self.width() * 0.24), int(self.width() * 0.34)], Qt.Horizontal)
        self.resizeDocks([self.docks["trainingPanel"]], [int(self.height() * 0.34)], Qt.Vertical)

    def showEvent(self, event):
        super().showEvent(event)
        if getattr(self, "_tabify_pending", False):
            # Qt 6 leaves a stray duplicate tab bar when a second dock group is tabified before
            # the window is first shown, so the Explore tab joins the weights only now.
            self._tabify_pending = False
            QTimer.singleShot(0, self._tabify_explore)

    def _tabify_explore(self):
        self.tabifyDockWidget(self.docks["weightPanel"], self.docks["explore"])
        self.docks["weightPanel"].raise_()

    # -- lessons ------------------------------------------------------------------------

    def choose_lesson(self, name: str):
        self.statusBar().showMessage(f"Loading the {name} lesson…")
        self.controller.load_lesson(name)

    @Slot(object, object)
    def _on_lesson_loaded(self, lesson, dataset):
        self.settings.setValue("lesson", lesson.name)
        self.lesson_actions[lesson.name].setChecked(True)
        self.lesson_combo.setCurrentIndex(self.lesson_combo.findData(lesson.name))
        self.lesson_label.setText(f"<b>{lesson.title}</b> — {lesson.description}")
        h, w = dataset.image_shape
        self.pixel_editor.set_grid(h, w, binary=dataset.task == SIGN)
        self.readout.set_labels(dataset.class_names, dataset.task)
        self.base_dataset = dataset
        self.explore.set_lesson(dataset)
        self.user_examples = UserExamples()
        self._restore_autosaved_examples(lesson.name)
        self._layout_key = None
        if self._pending_examples is not None and self._pending_examples[0] == lesson.name:
            self._add_lesson_file_examples(*self._pending_examples[1:])
        self._pending_examples = None
        self.statusBar().showMessage(f"{lesson.title}: {len(dataset.x_train):,} training and "
                                     f"{len(dataset.x_test):,} test examples", 6000)

    # -- rendering ----------------------------------------------------------------------

    @Slot()
    def render_latest(self):
        snap, ds = self.controller.latest, self.controller.dataset
        if snap is None or snap is self._rendered or ds is None:
            return
        lesson = self.controller.lesson
        if (lesson is not None and snap.lesson and snap.lesson != lesson.name) or snap.sizes[0] != ds.n_inputs:
            return  # the previous lesson's last snapshot, after the new lesson's data: wait for its first
        self._rendered = snap
        key = (snap.sizes, snap.hidden, ds.name)
        if key != self._layout_key:
            self.weight_panel.set_layout(list(snap.sizes), ds.image_shape, ds.class_names)
            self.activation_view.set_layout(list(snap.sizes), ds.image_shape, ds.class_names, ds.task)
            self._layout_key = key
        self.weight_panel.show_snapshot(snap)
        steps_per_epoch = max(1.0, math.ceil(len(ds.x_train) / snap.settings["batch_size"]))
        self._frame += 1
        curves = not self.controller.running or self._frame % CURVES_EVERY == 0
        self.training_panel.show_counters(snap, steps_per_epoch, curves=curves)
        self.training_panel.show_settings(snap.settings, snap.sizes, snap.hidden, snap.seed)
        if snap.message:
            self.training_panel.show_message(snap.message)
        self.update_inference()
        if not self.controller.running or self._frame % CURVES_EVERY == 0:
            self._update_health(snap, ds)
        self._update_status(snap)
        self.timeline_bar.show_snapshot(snap, self.controller.running)
        self._refresh_explore()
        if not self.controller.running:
            self.mark_predictions(snap)

    def _update_health(self, snap, ds):
        """Flag dead / saturated hidden units, judged on a fixed sample of training images."""
        from ..model.health import network_health

        if len(snap.sizes) < 3 or ds.n_inputs != snap.sizes[0]:
            self.activation_view.set_health(None)
            return
        if getattr(self, "_health_sample", (None,))[0] is not ds:
            idx = np.random.default_rng(0).permutation(len(ds.x_train))[:HEALTH_SAMPLE]
            self._health_sample = (ds, ds.x_train[idx])
        with np.errstate(all="ignore"):
            self.activation_view.set_health(network_health(snap.network(), self._health_sample[1]))

    def mark_predictions(self, snap=None):
        """Mark the browsed examples right/wrong under the latest weights (skipped while running)."""
        snap = snap or self.controller.latest
        ds = self.controller.dataset
        if snap is None or ds is None or not self.browser.isVisible():
            return
        x, _ = ds.split(self.browser.split)
        if x.shape[1] != snap.sizes[0]:
            return
        out = snap.network().predict(x)
        self.browser.set_predictions(self.browser.split, out[:, 0] if ds.task == SIGN else out.argmax(axis=1))

    @Slot()
    def update_inference(self):
        """One forward pass of the painted input on the latest snapshot (GUI thread)."""
        snap = self.controller.latest
        if snap is None or self._layout_key is None:
            return
        x = self.pixel_editor.image().reshape(1, -1)
        if x.shape[1] != snap.sizes[0]:
            return  # the editor is still on the previous lesson's grid
        zs, acts = snap.network().forward_full(x)
        self.activation_view.show_activations(zs, acts, snap)
        self.readout.set_output(acts[-1][0])
        if not self.controller.running:
            self._refresh_explore()

    def _update_status(self, snap):
        s, h = self.status, snap.history
        s["iteration"].setText(f"iteration {snap.iteration:,}")
        s["epoch"].setText(f"epoch {snap.epoch_progress:.2f}")
        s["loss"].setText("loss —" if not math.isfinite(snap.loss) else f"loss {snap.loss:.4f}")
        acc = h["test_accuracy"][-1] if len(h["test_accuracy"]) else float("nan")
        s["accuracy"].setText("test accuracy —" if not math.isfinite(acc) else f"test accuracy {acc:.1%}")
        s["speed"].setText(f"{snap.steps_per_second:,.0f} steps/s" if snap.steps_per_second else "paused")

    # -- commands -------------------------------------------------------------------------

    def _step_n(self):
        self.controller.step(self.training_panel.step_n_spin.value())

    def _reset(self):
        self.controller.reset(self.training_panel.seed_spin.value())

    @Slot(list, str)
    def _confirm_rebuild(self, sizes, activation):
        desc = " → ".join(str(s) for s in sizes) or "no hidden layer"
        answer = QMessageBox.question(
            self, "Rebuild the network?",
            f"Build a new network with hidden layers {desc} ({activation})?\n"
            f"The current weights and training history will be replaced (seed "
            f"{self.training_panel.seed_spin.value()}).")
        if answer == QMessageBox.Yes:
            self.controller.rebuild(sizes, activation, self.training_panel.seed_spin.value())
        elif (snap := self.controller.latest) is not None:  # cancelled: show the layers there are
            self.training_panel.show_settings(snap.settings, snap.sizes, snap.hidden, snap.seed)

    @Slot(bool)
    def _on_running(self, running: bool):
        self.actions["run"].setText("&Pause" if running else "&Run")
        self._display.setInterval(RUNNING_DISPLAY_MS if running else DISPLAY_MS)
        if running:
            self.training_panel.show_message("")
            self.notice.hide()

    @Slot(dict)
    def _on_diverged(self, info: dict):
        """Training paused at a non-finite loss; the worker went back to the last finite weights."""
        loss = "infinite" if info["loss"] in (float("inf"), float("-inf")) else "not a number (NaN)"
        kept, back = info.get("kept"), info.get("rollback")
        text = (f"<b>Training diverged at iteration {info['iteration']:,}</b>: the loss became {loss}, "
                f"so training is paused. ")
        text += (f"The weights shown are the last finite ones (iteration {kept:,}). " if kept is not None
                 else "No finite weights were kept. ")
        text += "The learning rate is probably too large: lower it, then roll back or reset."
        actions = []
        if back is not None and back != kept:
            actions.append((f"Roll back to iteration {back:,} (lowest loss)",
                            lambda: self.controller.resume_from(back)))
        actions.append(("Reset", self._reset))
        self.notice.show_notice(text, actions)
        self.training_panel.show_message(f"Diverged at iteration {info['iteration']:,}: lower the learning "
                                         f"rate.", error=True)
        self.statusBar().showMessage(f"Training diverged at iteration {info['iteration']:,}", 10000)

    @Slot(str)
    def _on_failed(self, message: str):
        self.training_panel.show_message(message, error=True)
        self.statusBar().showMessage(message, 10000)

    def set_palette(self, name: str):
        if name not in PALETTES:
            name = "green-red"
        self.settings.setValue("palette", name)
        self.palette_actions[name].setChecked(True)
        self.weight_panel.set_palette(name)
        if hasattr(self.activation_view, "set_palette"):
            self.activation_view.set_palette(name)
        for panel in self.explore.panels:
            if hasattr(panel, "set_palette"):
                panel.set_palette(name)

    def _set_pre_activations(self, on: bool):
        self.activation_view.set_show_preactivations(on)
        self.update_inference()

    @Slot(int, int)
    def _select_neuron(self, layer: int, neuron: int):
        for view in (self.weight_panel, self.activation_view):
            if hasattr(view, "selected_neuron") and view.selected_neuron() == (layer, neuron):
                continue
            view.select_neuron(layer, neuron)
        self.explore.select_neuron(layer, neuron)
        self._refresh_explore()

    @Slot(object, str)
    def _load_example(self, x, label):
        self.pixel_editor.set_image(np.asarray(x, dtype=np.float32))
        self.docks["pixelEditor"].raise_()
        self.statusBar().showMessage(f"Loaded an example labelled {label} into the editor", 5000)

    def add_drawing_to_training_set(self, label: int | None = None):
        """Append the painted input, with a label, to the lesson's training data."""
        ds = self.base_dataset
        if ds is None:
            return
        if label is None:
            names = list(ds.class_names)
            choice, ok = QInputDialog.getItem(self, "Add to training set", "Label of the painted input:",
                                              names, 0, False)
            if not ok:
                return
            label = names.index(choice)
        self.user_examples.add(self.pixel_editor.image(), label)
        self._examples_changed(f"Added a “{ds.class_names[label]}” example")

    def remove_selected_example(self):
        if self.browser.split != "my examples" or self.browser.selected_example() is None:
            self.statusBar().showMessage("Select one of your own examples (Examples ▸ my examples) to remove it",
                                         6000)
            return
        self.user_examples.remove(self.browser.selected_example())
        self._examples_changed("Removed an example (Ctrl+Alt+Z brings it back)")

    def undo_example_change(self):
        if self.user_examples.undo():
            self._examples_changed("Undid the last example change")

    def redo_example_change(self):
        if self.user_examples.redo():
            self._examples_changed("Redid the example change")

    def _examples_changed(self, message: str):
        """Rebuild the training data from the lesson's and the learner's examples; autosave."""
        new = self.user_examples.appended_to(self.base_dataset)
        self.controller.dataset = new
        self.explore.set_lesson(new)
        self.controller.set_dataset(new)
        self.browser.set_dataset(new, user_count=len(self.user_examples))
        self.actions["undo_example"].setEnabled(self.user_examples.can_undo)
        self.actions["redo_example"].setEnabled(self.user_examples.can_redo)
        self._autosave_examples()
        self.statusBar().showMessage(f"{message}: the training set has {len(new.x_train):,} examples "
                                     f"({len(self.user_examples)} of them yours)", 6000)

    def _data_dir(self) -> Path:
        from PySide6.QtCore import QStandardPaths

        return Path(self.settings.value("dataDir") or QStandardPaths.writableLocation(QStandardPaths.AppDataLocation))

    def _autosave_path(self, lesson: str) -> Path:
        return self._data_dir() / f"examples-{lesson}.npz"

    def _autosave_examples(self):
        lesson = self.controller.lesson
        if lesson is None:
            return
        path = self._autosave_path(lesson.name)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            save_examples(path, self.user_examples, self.base_dataset, lesson.name)
        except OSError as e:
            self.examples_unsaved = True
            self._on_failed(f"Could not save your examples to {path}: {e}. Use File ▸ Export my examples "
                            f"to keep them.")
            return
        self.examples_unsaved = False

    def _restore_autosaved_examples(self, lesson: str):
        path = self._autosave_path(lesson)
        if path.exists():
            try:
                xs, ys = load_examples(path, self.base_dataset)
                self.user_examples = UserExamples(list(xs), [int(y) for y in ys])
            except NNVizError as e:
                self._on_failed(f"Your saved examples could not be restored: {e}")
        if len(self.user_examples):
            self._examples_changed(f"Restored {len(self.user_examples)} of your examples")
        else:
            self.browser.set_dataset(self.base_dataset)

    def _export_examples(self):
        if not len(self.user_examples):
            self.statusBar().showMessage("You have not added any examples yet (Edit ▸ Add drawing…)", 6000)
            return
        lesson = self.controller.lesson.name
        path, _ = QFileDialog.getSaveFileName(self, "Export my examples",
                                              str(self._last_dir() / f"{lesson}-examples.npz"),
                                              "nnviz examples (*.npz)")
        if path:
            try:
                save_examples(path if path.endswith(".npz") else path + ".npz", self.user_examples,
                              self.base_dataset, lesson)
            except OSError as e:
                self._on_failed(f"Could not write {path}: {e}")
                return False
            self.examples_unsaved = False
            return True
        return False

    def _import_examples(self, path: str | None = None):
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, "Import examples", str(self._last_dir()),
                                                  "nnviz examples (*.npz);;All files (*)")
        if not path:
            return
        try:
            xs, ys = load_examples(path, self.base_dataset)
        except NNVizError as e:
            self._on_failed(str(e))
            return
        self.user_examples.extend(xs, ys)
        self._examples_changed(f"Imported {len(xs)} examples from {Path(path).name}")

    # -- files ----------------------------------------------------------------------------

    def _open_model(self, path: str | None = None):
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, "Open model", str(self._last_dir()),
                                                  "nnviz models (*.npz);;All files (*)")
        if path:
            self.settings.setValue("lastDir", str(Path(path).parent))
            self._add_recent(path)
            self.controller.load_model(path)

    def open_dataset_file(self, path: str | None = None):
        """Replace the lesson's data with images from disk (same size and classes); errors leave it as is."""
        from ..model.dataset_files import open_dataset

        if self.base_dataset is None:
            return
        if not path:
            path, _ = QFileDialog.getOpenFileName(
                self, "Open dataset (choose an IDX file of the pair, or an .npz)", str(self._last_dir()),
                "Datasets (*.npz *ubyte *ubyte.gz *.idx *.gz);;All files (*)")
        if not path:
            return
        QApplication.setOverrideCursor(Qt.WaitCursor)
        try:
            data = open_dataset(path, self.base_dataset)
        except NNVizError as e:
            self._on_failed(f"Could not open the dataset: {e}")
            return
        finally:
            QApplication.restoreOverrideCursor()
        self.settings.setValue("lastDir", str(Path(path).parent))
        self.base_dataset = data
        self._examples_changed(f"Opened {Path(path).name}: {len(data.x_train):,} training and "
                               f"{len(data.x_test):,} test images")

    # -- lesson files, session autosave, exports ----------------------------------------------

    def save_lesson_file(self, path: str | None = None):
        """Settings, seed, weights, history and the learner's examples in one .nnviz file."""
        from ..model.lessonfile import LessonFile, save_lesson_file, with_suffix

        snap = self.controller.latest
        if snap is None:
            return False
        if not path:
            path, _ = QFileDialog.getSaveFileName(self, "Save lesson file",
                                                  str(self._last_dir() / f"{snap.lesson}-{snap.iteration}.nnviz"),
                                                  "nnviz lesson files (*.nnviz)")
        if not path:
            return False
        try:
            out = save_lesson_file(with_suffix(path), LessonFile.from_snapshot(snap, self.user_examples))
        except (OSError, NNVizError) as e:
            self._on_failed(f"Could not save the lesson file {path}: {e}")
            return False
        self.settings.setValue("lastDir", str(Path(out).parent))
        self.statusBar().showMessage(f"Saved {out} (iteration {snap.iteration:,}, "
                                     f"{len(self.user_examples)} of your examples)", 6000)
        return True

    def open_lesson_file(self, path: str | None = None):
        """Load a .nnviz file: its lesson, network and history; its examples join the learner's."""
        from ..model.lessonfile import load_lesson_file

        if not path:
            path, _ = QFileDialog.getOpenFileName(self, "Open lesson file", str(self._last_dir()),
                                                  "nnviz lesson files (*.nnviz);;All files (*)")
        if not path:
            return
        try:
            lf = load_lesson_file(path)
        except NNVizError as e:
            self._on_failed(str(e))
            return
        self.settings.setValue("lastDir", str(Path(path).parent))
        current = self.controller.lesson.name if self.controller.lesson else None
        if lf.n_examples:
            if lf.lesson == current:
                self._add_lesson_file_examples(lf.examples_x, lf.examples_labels)
            else:
                self._pending_examples = (lf.lesson, lf.examples_x, lf.examples_labels)
        self.controller.install(lf.saved_model(), path)
        if lf.title or lf.note:
            self.notice.show_notice(f"<b>{lf.title or Path(path).name}</b><br>{lf.note}")
        self.statusBar().showMessage(f"Opened {Path(path).name}: {lf.lesson}, iteration {lf.iteration:,}", 6000)

    def _add_lesson_file_examples(self, xs, ys):
        self.user_examples.extend(list(np.asarray(xs, np.float32)), [int(y) for y in ys])
        self._examples_changed(f"Added {len(ys)} examples from the lesson file")

    def _session_path(self) -> Path:
        return self._data_dir() / "session.nnviz"

    def autosave_session(self) -> bool:
        """Save the live session for crash recovery if it changed since the last autosave."""
        from ..model.lessonfile import LessonFile, save_lesson_file

        snap = self.controller.latest
        if snap is None or snap.rewound or not snap.lesson:
            return False
        key = (snap.generation, snap.live_iteration, len(self.user_examples), snap.lesson)
        if key == self._autosaved_key:
            return False
        try:
            path = self._session_path()
            path.parent.mkdir(parents=True, exist_ok=True)
            save_lesson_file(path, LessonFile.from_snapshot(snap, self.user_examples,
                                                            title="Your last session"))
        except (OSError, NNVizError):
            return False  # crash insurance only: never bother the learner about it
        self._autosaved_key = key
        return True

    def _offer_session_restore(self):
        path = self._session_path()
        self.notice.show_notice(
            "nnviz did not close normally last time. Your session was saved automatically "
            "(weights, history and examples).", [("Restore it", lambda: self.open_lesson_file(str(path)))])

    def export_panel_png(self, key: str, path: str | None = None, scale: float = 2.0):
        """A panel (dock key or "activationView") as a PNG at ``scale``× its size on screen."""
        from .export import export_png

        widget = self.activation_view if key == "activationView" else self.docks[key].widget()
        if not path:
            path, _ = QFileDialog.getSaveFileName(self, "Export panel as PNG", str(self._last_dir() / f"{key}.png"),
                                                  "PNG images (*.png)")
        if not path:
            return None
        try:
            size = export_png(widget, path if path.endswith(".png") else path + ".png", scale)
        except OSError as e:
            self._on_failed(f"Could not write {path}: {e}")
            return None
        self.statusBar().showMessage(f"Exported {path} ({size[0]}×{size[1]})", 6000)
        return size

    def export_weights_gif(self, path: str | None = None, first: int | None = None, last: int | None = None,
                           fps: float = 8.0):
        """Ask the worker for the kept iterations in [first, last]; _write_gif_frames renders them."""
        snap = self.controller.latest
        if snap is None:
            return
        kept = list(snap.timeline) or [snap.iteration]
        if first is None or last is None:
            text, ok = QInputDialog.getText(self, "Export weights animation",
                                            f"Iterations to animate (kept: {kept[0]}–{kept[-1]}):",
                                            text=f"{kept[0]}-{kept[-1]}")
            if not ok:
                return
            try:
                first, last = (int(v) for v in text.replace("–", "-").split("-"))
            except ValueError:
                self._on_failed(f"“{text}” is not a range like 0-400")
                return
        if not path:
            path, _ = QFileDialog.getSaveFileName(self, "Export weights animation",
                                                  str(self._last_dir() / "weights.gif"), "GIF animations (*.gif)")
        if not path:
            return
        self._gif_request = (path if path.endswith(".gif") else path + ".gif", fps)
        self.controller.frames(min(first, last), max(first, last), 80)

    @Slot(object)
    def _write_gif_frames(self, snaps):
        from .export import render_image, write_gif

        if self._gif_request is None:
            return
        path, fps = self._gif_request
        self._gif_request = None
        if not snaps:
            self._on_failed("No kept iterations in that range: pause, then pick a range the timeline shows")
            return
        frames = []
        for s in snaps:
            self.weight_panel.show_snapshot(s)
            frames.append(render_image(self.weight_panel, 1.0))
        self._rendered = None  # draw the live snapshot again on the next frame
        try:
            write_gif(path, frames, fps)
        except OSError as e:
            self._on_failed(f"Could not write {path}: {e}")
            return
        self.gif_written = (path, len(frames))
        self.statusBar().showMessage(f"Exported {path}: {len(frames)} frames, iterations "
                                     f"{snaps[0].iteration:,}–{snaps[-1].iteration:,}", 8000)

    def _save_model(self):
        path, _ = QFileDialog.getSaveFileName(self, "Save model", str(self._last_dir() / "model.npz"),
                                              "nnviz models (*.npz)")
        if path:
            if not path.endswith(".npz"):
                path += ".npz"
            self.settings.setValue("lastDir", str(Path(path).parent))
            self.controller.save_model(path)

    def _export_png(self):
        path, _ = QFileDialog.getSaveFileName(self, "Export view as PNG", str(self._last_dir() / "nnviz.png"),
                                              "PNG images (*.png)")
        if path:
            ok = self.grab().save(path if path.endswith(".png") else path + ".png")
            self.statusBar().showMessage(f"Exported {path}" if ok else f"Could not write {path}", 6000)

    def _last_dir(self) -> Path:
        return Path(self.settings.value("lastDir", str(Path.home())))

    def _add_recent(self, path: str):
        recent = [p for p in (self.settings.value("recent") or []) if p != path]
        self.settings.setValue("recent", ([path] + recent)[:MAX_RECENT])
        self._refresh_recent()

    def _refresh_recent(self):
        self.recent_menu.clear()
        recent = self.settings.value("recent") or []
        if isinstance(recent, str):
            recent = [recent]
        for p in recent:
            self.recent_menu.addAction(p, lambda p=p: self._open_model(p))
        self.recent_menu.setEnabled(bool(recent))

    # -- help ------------------------------------------------------------------------------

    def _about(self):
        QMessageBox.about(self, "About nnviz",
                          f"<b>nnviz {__version__}</b><p>See a neural network learn: paint an input, watch "
                          "every layer respond, see each neuron's weights, and step gradient descent.</p>"
                          "<p>Lessons after Frontend Masters' <i>Hard Parts of AI</i>, 3Blue1Brown's "
                          "<i>But what is a neural network?</i> and a 2018 meetup talk on TensorFlow. "
                          "Data: UCI optical digits, MNIST (see resources/ATTRIBUTION.md).</p>")

    def _show_shortcuts(self):
        rows = []
        for act in self.findChildren(QAction):
            keys = ", ".join(k.toString(QKeySequence.NativeText) for k in act.shortcuts())
            if keys and act.text():
                rows.append(f"<tr><td>{act.text().replace('&', '')}</td><td><b>{keys}</b></td></tr>")
        QMessageBox.information(self, "Keyboard shortcuts", "<table>" + "".join(sorted(set(rows))) + "</table>")

    # -- shutdown ----------------------------------------------------------------------------

    def _confirm_quit(self) -> bool:
        """Ask before dropping examples that could not be autosaved; True to go on quitting."""
        if not (self.examples_unsaved and len(self.user_examples)):
            return True
        box = QMessageBox(QMessageBox.Warning, "Unsaved examples",
                          f"Your {len(self.user_examples)} examples could not be saved automatically. "
                          "Export them to a file before quitting?", parent=self)
        export = box.addButton("Export…", QMessageBox.AcceptRole)
        box.addButton("Quit without saving", QMessageBox.DestructiveRole)
        cancel = box.addButton(QMessageBox.Cancel)
        box.setDefaultButton(export)
        box.exec()
        if box.clickedButton() is cancel:
            return False
        if box.clickedButton() is export:
            return bool(self._export_examples())
        return True

    def closeEvent(self, event):
        modal = QApplication.activeModalWidget()
        if modal is not None and modal is not self:
            modal.reject() if hasattr(modal, "reject") else modal.close()  # e.g. the rebuild question
        if not self._confirm_quit():
            event.ignore()
            return
        self._display.stop()
        self._session.stop()
        self.autosave_session()
        self.settings.setValue("running", False)
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("windowState", self.saveState())
        self.controller.shutdown()
        super().closeEvent(event)
