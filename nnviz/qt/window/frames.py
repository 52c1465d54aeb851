"""The frame renderer: the display timer and the per-frame steps, the only reader of the
latest snapshot.

Snapshots arrive from the training thread far faster than a screen refreshes; the renderer
draws only the newest one, on a ~60 Hz timer while stepping (~30 Hz while running: painting
holds the GIL the trainer needs). Painting runs inference on the GUI thread against that
snapshot, never waiting for training.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QLabel, QStatusBar

from ...model.core.messages import counter_texts
from ...model.data.datasets import SIGN, correct, exactly_right
from ..render.plot_style import fix_label_size

DISPLAY_MS = 16  # ~60 Hz when stepping: every iteration shows at once
RUNNING_DISPLAY_MS = 33  # ~30 Hz while running
CURVES_EVERY = 6  # while running, redraw the curves and unit health on every 6th frame (~5 Hz)
HEALTH_SAMPLE = 256  # training images on which dead / saturated units are judged
EXACT_LIMIT = 4096  # exact-target counts are for small training sets (the smile's 4 faces)
#: the widest text each status-bar field shows, so its size never changes
STATUS_WIDEST = {"iteration": "iteration 99,999,999", "epoch": "epoch 9,999.99", "loss": "loss 999.9999",
                 "accuracy": "test accuracy 100.0%", "exact": "99 of 99 exactly right", "speed": "99,999 steps/s"}


class StatusFields:
    """The permanent status-bar fields: iteration, epoch, loss, test accuracy, speed."""

    def __init__(self, bar: QStatusBar):
        self.labels = {}
        for key, widest in STATUS_WIDEST.items():
            lab = QLabel()
            lab.setObjectName(f"status_{key}")
            fix_label_size(lab, widest)  # they change every frame while training runs
            bar.addPermanentWidget(lab)
            self.labels[key] = lab

    def show(self, snap, test_accuracy: float | None = None, exact: tuple[int, int] | None = None) -> None:
        """``test_accuracy``: of the shown weights on the whole test split (None: the newest
        evaluation in the history, while training runs); ``exact``: (exactly right, of) training
        examples for a lesson whose outputs have exact targets (the smile), else None."""
        texts = counter_texts(snap)
        if test_accuracy is not None and math.isfinite(test_accuracy):
            texts["accuracy"] = f"test accuracy {test_accuracy:.1%}"
            self.labels["accuracy"].setToolTip("of the weights shown, on the whole test split")
        else:
            self.labels["accuracy"].setToolTip("at the newest evaluation (four per epoch), on the test split")
        texts["speed"] = f"{snap.steps_per_second:,.0f} steps/s" if snap.steps_per_second else "paused"
        self.labels["exact"].setVisible(exact is not None)
        if exact is not None:
            texts["exact"] = f"{exact[0]} of {exact[1]} exactly right"
            self.labels["exact"].setToolTip("training examples whose output is its target exactly (+1 or −1), "
                                            "as the lesson counts; the accuracy plot counts by sign")
        for key, text in texts.items():
            self.labels[key].setText(text)


class FrameRenderer(QObject):
    """Draws the controller's latest snapshot into the views, at most once per display tick.

    ``lessonDone(text)``: every training example became exactly right while training ran (the
    smile lesson stops there); training has been paused.

    ``views``: an object with the window's widgets (pixel_editor, readout, browser,
    weight_panel, activation_view, training_panel, timeline_bar, explore).
    """

    lessonDone = Signal(str)

    def __init__(self, controller, views, status: StatusFields, parent=None):
        super().__init__(parent)
        self._scores = (None, None, None)  # (snapshot, test accuracy, exact) last measured
        self._message = ""  # the snapshot message the training panel shows
        self._done_generation = None
        self.controller, self.v, self.status = controller, views, status
        self.rendered = None  # the snapshot on screen
        self.frames_rendered = 0  # lesson frames drawn so far (start-up benchmark, tests)
        self._layout_key = None
        self._frame = 0
        self._health_sample = (None, None)
        self.timer = QTimer(self)
        self.timer.setInterval(DISPLAY_MS)
        self.timer.timeout.connect(self.render_latest)
        controller.runningChanged.connect(
            lambda running: self.timer.setInterval(RUNNING_DISPLAY_MS if running else DISPLAY_MS))

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def new_lesson(self) -> None:
        """A lesson opened: lay the views out again on its first snapshot."""
        self._layout_key = None

    def redraw(self) -> None:
        """Draw the latest snapshot again on the next tick (e.g. after a view showed another)."""
        self.rendered = None

    @Slot()
    def render_latest(self) -> None:
        c, v = self.controller, self.v
        snap, ds = c.latest, c.dataset
        if snap is None or snap is self.rendered or ds is None:
            return
        if (c.lesson is not None and snap.lesson and snap.lesson != c.lesson.name) or snap.sizes[0] != ds.n_inputs:
            return  # the previous lesson's last snapshot, after the new lesson's data: wait for its first
        self.rendered = snap
        self.frames_rendered += 1
        key = (snap.sizes, snap.hidden, ds.name)
        if key != self._layout_key:
            v.weight_panel.set_layout(list(snap.sizes), ds.image_shape, ds.class_names)
            v.activation_view.set_layout(list(snap.sizes), ds.image_shape, ds.class_names, ds.task)
            self._layout_key = key
        v.weight_panel.show_snapshot(snap)
        steps_per_epoch = max(1.0, math.ceil(len(ds.x_train) / snap.settings["batch_size"]))
        self._frame += 1
        slow_part = not c.running or self._frame % CURVES_EVERY == 0
        v.training_panel.show_counters(snap, steps_per_epoch, curves=slow_part)
        v.training_panel.show_settings(snap.settings, snap.sizes, snap.hidden, snap.seed)
        self._show_message(snap.message)
        self.update_inference()
        if slow_part:
            self._update_health(snap, ds)
        accuracy, exact = self._measure(snap, ds)
        self.status.show(snap, accuracy, exact)
        self._stop_when_done(snap, exact)
        v.timeline_bar.show_snapshot(snap, c.running)
        self.refresh_explore()
        if not c.running:
            self.mark_predictions(snap)

    def _show_message(self, message: str) -> None:
        """The snapshot's note (e.g. a nudge undone) while it holds; taken down when it no longer
        does, unless something else has been written there since."""
        panel = self.v.training_panel
        if message != self._message:
            if message or panel.message_label.text() == self._message:
                panel.show_message(message)
            self._message = message

    def _measure(self, snap, ds):
        """(test accuracy of the shown weights or None while running, (exact, n) or None)."""
        if self._scores[0] is snap:
            return self._scores[1:]
        net, running = snap.network(), self.controller.running
        accuracy = exact = None
        with np.errstate(all="ignore"):
            if not running and len(ds.x_test):
                accuracy = float(correct(ds.task, net.predict(ds.x_test), ds.y_test).mean())
            if ds.task == SIGN and len(ds.x_train) <= EXACT_LIMIT:
                right = exactly_right(net.predict(ds.x_train), ds.y_train)
                exact = (int(right.sum()), len(right))
        self._scores = (snap, accuracy, exact)
        return accuracy, exact

    def _stop_when_done(self, snap, exact) -> None:
        """Pause once a run makes every training example exactly right (once per run)."""
        if not (exact and exact[0] == exact[1] and self.controller.running and not snap.rewound) \
                or self._done_generation == snap.generation:
            return
        self._done_generation = snap.generation
        self.controller.pause()
        self.lessonDone.emit(f"<b>Every training example is exactly right</b> ({exact[1]} of {exact[1]}) "
                             f"at iteration {snap.iteration:,}: training is done, as in the lesson, so it "
                             f"was paused. Now paint a face it has never seen and see what it says.")

    @Slot()
    def update_inference(self) -> None:
        """One forward pass of the painted input on the latest snapshot (GUI thread)."""
        snap, v = self.controller.latest, self.v
        if snap is None or self._layout_key is None:
            return
        x = v.pixel_editor.image().reshape(1, -1)
        if x.shape[1] != snap.sizes[0]:
            return  # the editor is still on the previous lesson's grid
        zs, acts = snap.network().forward_full(x)
        v.activation_view.show_activations(zs, acts, snap)
        v.readout.set_output(acts[-1][0], blank=not v.pixel_editor.raw_image().any())
        if not self.controller.running:
            self.refresh_explore()

    def refresh_explore(self) -> None:
        ed = self.v.pixel_editor
        self.v.explore.refresh(self.controller.latest, ed.image(),
                               (ed.canvas.shape, ed.canvas.revision, id(ed.canvas)), self.controller.running)

    def mark_predictions(self, snap=None) -> None:
        """Mark the browsed examples right/wrong under the latest weights (skipped while running)."""
        snap = snap or self.controller.latest
        ds, browser = self.controller.dataset, self.v.browser
        if snap is None or ds is None or not browser.isVisible():
            return
        x, _ = ds.split(browser.split)
        if x.shape[1] != snap.sizes[0]:
            return
        out = snap.network().predict(x)
        browser.set_predictions(browser.split, out[:, 0] if ds.task == SIGN else out.argmax(axis=1))

    def _update_health(self, snap, ds) -> None:
        """Flag dead / saturated hidden units, judged on a fixed sample of training images."""
        from ...model.analysis.health import network_health

        view = self.v.activation_view
        if len(snap.sizes) < 3 or ds.n_inputs != snap.sizes[0]:
            view.set_health(None)
            return
        if self._health_sample[0] is not ds:
            idx = np.random.default_rng(0).permutation(len(ds.x_train))[:HEALTH_SAMPLE]
            self._health_sample = (ds, ds.x_train[idx])
        with np.errstate(all="ignore"):
            view.set_health(network_health(snap.network(), self._health_sample[1]))
