"""Training controls (step, step ×N, run/pause, speed, reset with seed, settings,
architecture) and the live curves. Widgets only emit intentions; the main window
turns them into commands for the training thread."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox, QDoubleSpinBox, QFormLayout, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
    QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from ...model.core.messages import counter_texts
from ...model.core.functions import HIDDEN_ACTIVATIONS
from ...model.core.messages import model_notes
from ...model.core.optimizers import OPTIMIZERS
from ...model.core.settings import MAX_LEARNING_RATE, METHODS
from ..graphics.scrolling import scrolling_column
from ..graphics.plot_style import fix_label_size
from ..graphics.view_protocol import LessonView
from .plots import TrainingPlots
from .spinboxes import ClampingDoubleSpinBox, ClampingSpinBox

#: speed choices: label -> iterations per second (0 = as fast as possible)
SPEEDS = {"1 step/s": 1, "2 steps/s": 2, "5 steps/s": 5, "10 steps/s": 10, "20 steps/s": 20, "30 steps/s": 30,
          "100 steps/s": 100, "full speed": 0}
FULL_SPEED = "full speed"


def _spin(cls, lo, hi, decimals=None, tip="", what=""):
    s = {QSpinBox: ClampingSpinBox, QDoubleSpinBox: ClampingDoubleSpinBox}[cls]()
    s.what = what or tip.split(":")[0].lower() or "value"
    s.setRange(lo, hi)
    if decimals is not None:
        s.setDecimals(decimals)
        s.setStepType(QDoubleSpinBox.AdaptiveDecimalStepType)
    s.setKeyboardTracking(False)  # apply once typing is done, not on every keystroke
    s.setToolTip(tip)
    return s


class TrainingPanel(LessonView, QWidget):
    """objectName ``trainingPanel``: buttons, counters, settings and plots."""

    settingsEdited = Signal(dict)
    rebuildRequested = Signal(list, str)
    speedChanged = Signal(float)

    def __init__(self, actions: dict, parent=None):
        super().__init__(parent)
        self.setObjectName("trainingPanel")
        self._updating = False
        self._note = ""  # the snapshot's note shown in the message line (see show_snapshot)
        self._shown_settings = None  # what show_settings last put in the widgets; None: show anew

        # counters: iteration and epoch both visible, big
        self.iteration_label = QLabel("iteration 0")
        self.epoch_label = QLabel("epoch 0")
        self.loss_label = QLabel("loss —")
        for lab, widest in ((self.iteration_label, "iteration 99,999,999"), (self.epoch_label, "epoch 9,999.99"),
                            (self.loss_label, "loss 999.9999")):
            lab.setStyleSheet("font-size: 15px; font-weight: 600;")
            fix_label_size(lab, widest)
        self.iteration_label.setObjectName("iterationLabel")
        self.epoch_label.setObjectName("epochLabel")
        self.iteration_label.setToolTip("One iteration = one mini-batch (or one round of nudges)")
        self.message_label = QLabel("")
        self.message_label.setWordWrap(True)
        self.message_label.setObjectName("trainingMessage")
        self.message_label.setVisible(False)

        buttons = QGridLayout()  # two short rows: the training dock sits under the network view
        buttons.setSpacing(4)
        for i, key in enumerate(("step", "step_n", "run", "reset")):
            b = QPushButton()
            b.setObjectName(f"{key}Button")
            a = actions[key]
            b.setText(a.text().replace("&", ""))
            b.setToolTip(a.toolTip())
            b.clicked.connect(a.trigger)
            a.changed.connect(lambda b=b, a=a: (b.setText(a.text().replace("&", "")), b.setEnabled(a.isEnabled())))
            setattr(self, f"{key}_button", b)
            buttons.addWidget(b, *divmod(i, 2))
        self.step_n_spin = _spin(QSpinBox, 2, 100000, tip="How many iterations “Step ×N” runs", what="N for Step ×N")
        self.step_n_spin.setValue(10)
        self.step_n_spin.setObjectName("stepNSpin")
        self.step_n_spin.setPrefix("N = ")
        buttons.addWidget(self.step_n_spin, 0, 2)

        self.speed_combo = QComboBox()
        self.speed_combo.setObjectName("speedCombo")
        self.speed_combo.addItems(list(SPEEDS))
        self.speed_combo.setCurrentText("full speed")
        self.speed_combo.setToolTip("Iterations per second while running: slow motion to watch each step, "
                                    "or as fast as possible")
        self.speed_combo.currentTextChanged.connect(lambda t: self.speedChanged.emit(float(SPEEDS[t])))
        self.seed_spin = _spin(QSpinBox, 0, 2**31 - 1, tip="Random seed: Reset with the same seed replays "
                                                            "the same run exactly", what="seed")
        self.seed_spin.setObjectName("seedSpin")
        self.max_button = QPushButton("max")
        self.max_button.setObjectName("maxSpeedButton")
        self.max_button.setToolTip("Train as fast as possible (one click; pick a speed to slow down again)")
        self.max_button.setMaximumWidth(44)
        self.max_button.clicked.connect(lambda: self.set_speed(0))
        speed_row = QHBoxLayout()
        speed_row.setSpacing(2)
        speed_row.addWidget(self.speed_combo, 1)
        speed_row.addWidget(self.max_button)
        buttons.addLayout(speed_row, 1, 2)

        # settings, applied between two iterations without a reset
        self.lr_spin = _spin(QDoubleSpinBox, 1e-5, MAX_LEARNING_RATE, 5, "Learning rate: how far each step moves "
                             "against the gradient (arrow keys step on a log scale)", what="learning rate")
        self.lr_spin.setObjectName("learningRateSpin")
        self.batch_spin = _spin(QSpinBox, 1, 4096, tip="Examples per mini-batch (per iteration)",
                                what="batch size")
        self.batch_spin.setObjectName("batchSizeSpin")
        self.optimizer_combo = QComboBox()
        self.optimizer_combo.addItems(list(OPTIMIZERS))
        self.optimizer_combo.setObjectName("optimizerCombo")
        self.l2_spin = _spin(QDoubleSpinBox, 0.0, 1.0, 5, "L2 regularization: a penalty on large weights",
                             what="L2 penalty")
        self.dropout_spin = _spin(QDoubleSpinBox, 0.0, 0.9, 2, "Dropout: share of hidden units dropped at "
                                  "each training step", what="dropout")
        self.method_combo = QComboBox()
        self.method_combo.addItems(list(METHODS))
        self.method_combo.setObjectName("methodCombo")
        self.method_combo.setToolTip("gradient: backpropagation; nudge: try each weight ±step on its own, "
                                     "then apply all at once (the smile lesson)")
        self.nudge_spin = _spin(QDoubleSpinBox, 1e-4, 10.0, 4, "Step size of the nudge method",
                                what="nudge step")
        for spin in (self.step_n_spin, self.seed_spin, self.lr_spin, self.batch_spin, self.l2_spin,
                     self.dropout_spin, self.nudge_spin):
            spin.clamped.connect(lambda m: self.show_message(m, error=True))
        form = QFormLayout()
        form.setVerticalSpacing(2)
        form.addRow("seed", self.seed_spin)
        form.addRow("learning rate", self.lr_spin)
        form.addRow("batch size", self.batch_spin)
        form.addRow("optimizer", self.optimizer_combo)
        form.addRow("L2", self.l2_spin)
        form.addRow("dropout", self.dropout_spin)
        form.addRow("method", self.method_combo)
        # the step the nudge method starts from (a setting) and, once halved, the one it uses now
        self.nudge_now = QLabel()
        self.nudge_now.setObjectName("nudgeStepNow")
        self.nudge_now.setToolTip("The step the nudge method uses now: it halves whenever applying every "
                                  "nudge at once raised the loss (the field is where it starts)")
        nudge_row = QHBoxLayout()
        nudge_row.setContentsMargins(0, 0, 0, 0)
        nudge_row.addWidget(self.nudge_spin, 1)
        nudge_row.addWidget(self.nudge_now)
        form.addRow("nudge step", nudge_row)
        self.lr_spin.valueChanged.connect(lambda v: self._emit(learning_rate=v))
        self.batch_spin.valueChanged.connect(lambda v: self._emit(batch_size=v))
        self.optimizer_combo.currentTextChanged.connect(lambda v: self._emit(optimizer=v))
        self.l2_spin.valueChanged.connect(lambda v: self._emit(l2=v))
        self.dropout_spin.valueChanged.connect(lambda v: self._emit(dropout=v))
        self.method_combo.currentTextChanged.connect(lambda v: self._emit(method=v))
        self.nudge_spin.valueChanged.connect(lambda v: self._emit(nudge_step=v))
        settings_box = QGroupBox("Settings")
        settings_box.setToolTip("Applied between two iterations, without a reset (the seed: by Reset and Rebuild)")
        settings_box.setLayout(form)

        self.hidden_edit = QLineEdit()
        self.hidden_edit.setObjectName("hiddenSizesEdit")
        self.hidden_edit.setPlaceholderText("e.g. 16, 16 (empty: no hidden layer)")
        self.hidden_edit.setToolTip("Hidden layer sizes, comma separated")
        self.activation_combo = QComboBox()
        self.activation_combo.addItems(list(HIDDEN_ACTIVATIONS))
        self.rebuild_button = QPushButton("Rebuild…")
        self.rebuild_button.setToolTip("Build a new network with these hidden layers (fresh weights, seeded)")
        self.rebuild_button.clicked.connect(self._request_rebuild)
        # the model's input transform and how batch norm trains (messages.model_notes), in view
        # above the settings whenever the model has them
        self.model_notes = QLabel()
        self.model_notes.setObjectName("modelNotes")
        self.model_notes.setWordWrap(True)
        self.model_notes.setStyleSheet("color: #444;")
        self.model_notes.hide()
        self._notes_spec = None
        arch = QGridLayout()
        arch.addWidget(QLabel("hidden"), 0, 0)
        arch.addWidget(self.hidden_edit, 0, 1)
        arch.addWidget(self.activation_combo, 1, 1)
        arch.addWidget(self.rebuild_button, 2, 1)
        arch_box = QGroupBox("Architecture")
        arch_box.setLayout(arch)

        self.plots = TrainingPlots()

        counters = QGridLayout()
        counters.setHorizontalSpacing(12)
        counters.setVerticalSpacing(0)
        counters.addWidget(self.iteration_label, 0, 0, 1, 2)
        counters.addWidget(self.epoch_label, 1, 0)
        counters.addWidget(self.loss_label, 1, 1)
        # the settings scroll: the counters and buttons stay in view however short the dock is
        self.settings_scroll = scrolling_column((settings_box, arch_box), min_height=48, right_margin=4,
                                                name="settingsScroll")
        self.settings_scroll.setMinimumWidth(self.settings_scroll.widget().minimumSizeHint().width()
                                             + self.settings_scroll.verticalScrollBar().sizeHint().width())
        left = QVBoxLayout()
        left.setSpacing(4)
        left.addLayout(counters)
        left.addLayout(buttons)
        left.addWidget(self.message_label)
        left.addWidget(self.model_notes)  # above the scroll: in view whenever the model has notes
        left.addWidget(self.settings_scroll, 1)
        left_w = QWidget()
        left_w.setLayout(left)
        left_w.setMaximumWidth(360)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 2, 4, 2)
        lay.addWidget(left_w)
        lay.addWidget(self.plots, 1)

    def _emit(self, **change):
        if not self._updating:
            self._shown_settings = None  # the worker's answer is shown even if it refuses the edit
            self.settingsEdited.emit(change)

    def _request_rebuild(self):
        self._shown_settings = None  # a refused or cancelled rebuild shows the real layers again
        text = self.hidden_edit.text().strip()
        try:
            sizes = [int(s) for s in text.replace(";", ",").split(",") if s.strip()]
        except ValueError:
            self.show_message(f"“{text}” is not a list of whole numbers, e.g. 16, 16")
            return
        if any(s < 1 or s > 4096 for s in sizes):
            self.show_message("Each hidden layer needs between 1 and 4096 neurons.")
            return
        self.rebuildRequested.emit(sizes, self.activation_combo.currentText())

    def set_lesson(self, dataset) -> None:
        """Nothing of the previous lesson stays: no curves or readout, no message or warning."""
        self.plots.clear()
        self.show_message("")
        self._note, self._shown_settings = "", None

    def show_snapshot(self, snap, frame=None) -> None:
        """Counters and settings every frame; the curves on the frame's slow beat."""
        if frame is not None and frame.input_only:
            return
        self.show_counters(snap, frame.steps_per_epoch if frame else 1.0, curves=frame is None or frame.slow)
        self.show_settings(snap.settings, snap.sizes, snap.hidden, snap.seed)
        self.show_model_notes(snap.spec)
        now = snap.nudge_step_now
        halved = now is not None and snap.settings["method"] == "nudge" and now != snap.settings["nudge_step"]
        text = f"now {now:g}" if halved else ""
        if self.nudge_now.text() != text:
            self.nudge_now.setText(text)
            self.nudge_now.setVisible(halved)
        # the snapshot's note (e.g. a nudge undone) while it holds; taken down when it no longer
        # does, unless something else has been written there since
        if snap.message != self._note:
            if snap.message or self.message_label.text() == self._note:
                self.show_message(snap.message)
            self._note = snap.message

    def show_model_notes(self, spec) -> None:
        """The model description's notes for this spec (messages.model_notes), set when they change."""
        if spec is self._notes_spec:
            return
        self._notes_spec = spec
        text = model_notes(spec)
        if text != self.model_notes.text():
            self.model_notes.setText(text)
            self.model_notes.setVisible(bool(text))

    def show_message(self, text: str, error: bool = False):
        self.message_label.setStyleSheet("color: #b00020;" if error else "color: #444;")
        self.message_label.setText(text)
        self.message_label.setVisible(bool(text))  # no empty line of room while there is nothing to say

    def show_settings(self, settings: dict, sizes, hidden: str, seed: int):
        """Reflect the worker's settings without echoing them back as edits.

        Skipped when nothing changed since the last call: setting ten widgets' values
        every frame while training runs costs more than a millisecond of the GUI thread."""
        key = (tuple(sorted(settings.items())), tuple(sizes), hidden, seed,
               self.hidden_edit.hasFocus(), self.seed_spin.hasFocus())
        if key == self._shown_settings:
            return
        self._shown_settings = key
        self._updating = True
        try:
            self.lr_spin.setValue(settings["learning_rate"])
            self.batch_spin.setValue(settings["batch_size"])
            self.optimizer_combo.setCurrentText(settings["optimizer"])
            self.l2_spin.setValue(settings["l2"])
            self.dropout_spin.setValue(settings["dropout"])
            self.method_combo.setCurrentText(settings["method"])
            self.nudge_spin.setValue(settings["nudge_step"])
            if not self.hidden_edit.hasFocus():
                self.hidden_edit.setText(", ".join(str(s) for s in sizes[1:-1]))
            self.activation_combo.setCurrentText(hidden)
            if not self.seed_spin.hasFocus():
                self.seed_spin.setValue(seed)
        finally:
            self._updating = False

    def set_speed(self, iterations_per_second: float) -> None:
        """Choose the speed entry nearest ``iterations_per_second`` (0 = full speed); emits speedChanged."""
        target = float(iterations_per_second)
        slow = [k for k in SPEEDS if SPEEDS[k]]
        label = FULL_SPEED if target <= 0 else min(slow, key=lambda k: abs(SPEEDS[k] - target))
        if self.speed_combo.currentText() == label:
            self.speedChanged.emit(float(SPEEDS[label]))  # the worker starts each lesson at full speed
        self.speed_combo.setCurrentText(label)

    def speed(self) -> float:
        """Iterations per second Run trains at (0: as fast as possible)."""
        return float(SPEEDS[self.speed_combo.currentText()])

    def seed(self) -> int:
        """The seed Reset and Rebuild use."""
        return self.seed_spin.value()

    def step_n(self) -> int:
        """How many iterations “Step ×N” runs."""
        return self.step_n_spin.value()

    def show_counters(self, snap, steps_per_epoch: float, curves: bool = True, alternate: bool | None = None):
        """Counters always; the curves when ``curves``. ``alternate`` (default: while training runs,
        i.e. the snapshot has a measured speed) redraws one of the two plots per call."""
        texts = counter_texts(snap)
        for label, key in ((self.iteration_label, "iteration"), (self.epoch_label, "epoch"),
                           (self.loss_label, "loss")):
            label.setText(texts[key])
        self.plots.show_cursor(snap.iteration if snap.rewound else None)
        if curves:
            if alternate is None:
                alternate = bool(snap.steps_per_second) and not snap.rewound
            self.plots.show_history(snap.history, steps_per_epoch, snap.generation, alternate=alternate)
