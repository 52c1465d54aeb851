"""The frame renderer: the display timer and the per-frame steps, the only reader of the
latest snapshot.

Every panel is a view with the four hooks of ``graphics.view_protocol``: the renderer builds one
``Frame`` per display tick (the painted input, its forward pass, the scores of the weights
shown, unit health) and hands it to each view in turn; views that draw the painted input
are also given a frame when the learner paints.

Snapshots arrive from the training thread far faster than a screen refreshes; the renderer
draws only the newest one, on a ~60 Hz timer while stepping (~30 Hz while running: painting
holds the GIL the trainer needs). Painting runs inference on the GUI thread against that
snapshot, never waiting for training.

A frame that lays the views out anew (a lesson, a rebuild: new plots in every panel) is drawn
over a few display ticks, one view after another until about ``LAYOUT_BUDGET_S`` of work (none:
one view a tick, as each view's drawing is followed by the layout and paint it causes, and two
views in one tick held the window 100-200 ms), so the window keeps answering; the views still
waiting are covered (blank, never the previous lesson's pictures), and the frame counts as on
screen (``rendered``) once the last is drawn.
A direct ``render_latest()`` (tests, tools) still draws every view at once.
"""

from __future__ import annotations

import math
import time

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from ...model.core.messages import counter_texts
from ...model.data.datasets import SIGN, exactly_right
from ..graphics.plot_style import fix_label_size
from ..graphics.view_protocol import Frame, LessonView

DISPLAY_MS = 16  # ~60 Hz when stepping: every iteration shows at once
RUNNING_DISPLAY_MS = 33  # ~30 Hz while running
CURVES_EVERY = 6  # while running, redraw the curves and unit health on every 6th frame (~5 Hz)
LAYOUT_BUDGET_S = 0.0  # seconds of drawing per tick for a new layout: one view each (module docs)
EXACT_LIMIT = 4096  # exact-target counts are for small training sets (the smile's 4 faces)
#: the widest text each status-bar field shows, so its size never changes
STATUS_WIDEST = {"iteration": "iteration 99,999,999", "epoch": "epoch 9,999.99", "loss": "loss 999.9999",
                 "accuracy": "test accuracy 100.0%", "exact": "99 of 99 exactly right", "speed": "99,999 steps/s"}


#: the fields a long transient message may cover, first given up first: the training panel
#: shows the iteration, epoch and loss too
GIVE_WAY = ("speed", "epoch", "exact", "iteration", "loss", "accuracy")


class StatusFields(LessonView):
    """The permanent status-bar fields: iteration, epoch, loss, test accuracy, exact, speed.

    While a transient message (an undo, a save) is longer than the room the fields leave, the
    least needed fields step aside until it goes: the fields were drawn over its end
    ("undo‹iteration 117")."""

    def __init__(self, bar: QStatusBar):
        self.bar, self.labels, self.aside, self.exact_shown = bar, {}, set(), False
        for key, widest in STATUS_WIDEST.items():
            lab = QLabel()
            lab.setObjectName(f"status_{key}")
            fix_label_size(lab, widest)  # they change every frame while training runs
            bar.addPermanentWidget(lab)
            self.labels[key] = lab
        bar.messageChanged.connect(self._make_room)

    def _wanted(self, key: str) -> bool:
        return key not in self.aside and (key != "exact" or self.exact_shown)

    def _make_room(self, message: str) -> None:
        """Step fields aside (GIVE_WAY order) until ``message`` fits; all back when it is gone."""
        self.aside = set()
        if message:
            need = self.bar.fontMetrics().horizontalAdvance(message) + 24  # the bar's margins and grip
            spacing = self.bar.layout().spacing() if self.bar.layout() else 6
            for key in (None,) + GIVE_WAY:
                if key is not None:
                    self.aside.add(key)
                taken = sum(lab.width() + spacing for k, lab in self.labels.items() if self._wanted(k))
                if need <= self.bar.width() - taken:
                    break
        self.bar.setToolTip(message)  # whole, if even that was not room enough
        for key, lab in self.labels.items():
            lab.setVisible(self._wanted(key))

    def set_lesson(self, dataset) -> None:
        for lab in self.labels.values():
            lab.setText("")

    def show_snapshot(self, snap, frame=None) -> None:
        if frame is None or not frame.input_only:
            self.show(snap, frame.test_accuracy if frame else None, frame.exact if frame else None)

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
        self.exact_shown = exact is not None
        self.labels["exact"].setVisible(self._wanted("exact"))
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

    ``views``: every panel (LessonView), in drawing order; ``painting()``: what is painted now
    (the editor's ``Painting``, an immutable value), the input every frame draws.
    """

    lessonDone = Signal(str)

    def __init__(self, controller, views: list, painting, parent=None):
        super().__init__(parent)
        self._scores = (None, None, None)  # (snapshot, test accuracy, exact) last measured
        self._done_generation = None
        self._selecting = False
        self.controller, self.views, self.painting = controller, list(views), painting
        self.status = next((v for v in self.views if isinstance(v, StatusFields)), None)
        self.rendered = None  # the snapshot on screen
        self.frames_rendered = 0  # lesson frames drawn so far (start-up benchmark, tests)
        self._tick = 0
        self._health = (None, None)  # ((lesson, generation, sizes), the health last judged there)
        self._layout_key = None  # the frame layout the views were last drawn in (Frame.layout_key)
        self._staged = None  # (frame, views still to draw) while a new layout is drawn tick by tick
        self._covers: dict = {}  # view -> the blank widget over it while it waits for its turn
        self.timer = QTimer(self)
        self.timer.setInterval(DISPLAY_MS)
        self.timer.timeout.connect(self.display_tick)
        controller.runningChanged.connect(
            lambda running: self.timer.setInterval(RUNNING_DISPLAY_MS if running else DISPLAY_MS))

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    # -- the hooks, for every view at once ------------------------------------------------

    def set_lesson(self, dataset) -> None:
        """A lesson opened: every view forgets the previous one; its first snapshot lays them out."""
        self.rendered, self._scores, self._layout_key = None, (None, None, None), None
        self._staged = None  # that frame's views are drawn no further: the new lesson's first lays them out
        self._uncover()
        for view in self.views:
            view.set_lesson(dataset)

    def select_neuron(self, layer: int, neuron: int, source=None) -> None:
        """Every view but ``source`` (which shows it already) selects the neuron."""
        if self._selecting:
            return  # a view announcing the selection it was just given
        self._selecting = True
        try:
            for view in self.views:
                if view is not source:
                    view.select_neuron(layer, neuron)
        finally:
            self._selecting = False
        self.refresh_explore()

    def set_palette(self, name: str) -> None:
        for view in self.views:
            view.set_palette(name)

    def redraw(self) -> None:
        """Draw the latest snapshot again on the next tick (e.g. after a view showed another)."""
        self.rendered = None
        if self._staged is not None:
            self._staged[0].redraw = True  # asked while a layout is drawn: once more after it

    # -- frames -----------------------------------------------------------------------------

    def _fits(self, snap) -> bool:
        c, ds = self.controller, self.controller.dataset
        if snap is None or ds is None:
            return False
        # the previous lesson's last snapshot, after the new lesson's data: wait for its first
        return not (c.lesson is not None and snap.lesson and snap.lesson != c.lesson.name) \
            and snap.sizes[0] == ds.n_inputs

    def _frame(self, snap, slow: bool, input_only: bool = False) -> Frame:
        ds, painting = self.controller.dataset, self.painting()
        x = painting.pixels.reshape(-1)
        _, accuracy, exact = self._scores if self._scores[0] is snap else (None, None, None)
        return Frame(snap, ds, running=self.controller.running, slow=slow, input_only=input_only,
                     painted=x if x.size == snap.sizes[0] else None,  # else: still the previous lesson's grid
                     painted_key=painting.key, blank=painting.blank, test_accuracy=accuracy, exact=exact,
                     steps_per_epoch=max(1.0, math.ceil(len(ds.x_train) / snap.settings["batch_size"])))

    @Slot()
    def display_tick(self) -> None:
        """The display timer: the latest snapshot, a new layout spread over ticks."""
        self.render_latest(staged=True)

    def render_latest(self, staged: bool = False) -> None:
        """Draw the latest snapshot into every view (now, unless ``staged``: see the module)."""
        if self._staged is not None:
            if staged:
                return  # the views being laid out come first, on their own ticks
            self._draw_staged(math.inf)  # then the latest, below, if it is another snapshot
        c = self.controller
        snap, ds = c.latest, c.dataset
        if snap is self.rendered or not self._fits(snap):
            return
        self.frames_rendered += 1
        self._tick += 1
        slow = not c.running or self._tick % CURVES_EVERY == 0
        self._measure(snap, ds)
        frame = self._frame(snap, slow)
        if slow:
            frame.health = self._judge_health(snap)
        new_layout, self._layout_key = frame.layout_key != self._layout_key, frame.layout_key
        if staged and new_layout:
            self._staged = (frame, list(self.views))
            self._draw_staged(LAYOUT_BUDGET_S)
            return
        self.rendered = snap
        for view in self.views:
            view.show_snapshot(snap, frame)
        self._stop_when_done(snap, frame.exact)

    def _draw_staged(self, budget: float) -> None:
        """Draw the staged frame's next views until ``budget`` seconds of work, covering those
        still waiting and coming back on the next tick; the frame is on screen after the last."""
        frame, waiting = self._staged
        start = time.perf_counter()
        while waiting:
            view = waiting.pop(0)
            self._uncover(view)  # first: a view covered would take itself for hidden and skip drawing
            try:
                view.show_snapshot(frame.snap, frame)
            except BaseException:  # a view's bug is reported; the others are drawn all the same
                if waiting:
                    self._later(waiting)
                else:
                    self._staged = None
                raise
            if waiting and time.perf_counter() - start > budget:
                self._later(waiting)
                return
        self._staged = None
        self.rendered = None if getattr(frame, "redraw", False) else frame.snap
        self._stop_when_done(frame.snap, frame.exact)

    def _later(self, waiting) -> None:
        """The views ``waiting`` covered, and drawn from the next tick on."""
        self._cover(waiting)
        # a timer, not a posted call: the scenes' own queued work and input come first
        QTimer.singleShot(1, self, self._continue_staged)

    @Slot()
    def _continue_staged(self) -> None:
        if self._staged is not None:
            self._draw_staged(LAYOUT_BUDGET_S)

    def _cover(self, views) -> None:
        """A blank widget over each shown view in ``views`` until it is drawn in the new layout."""
        for view in views:
            if isinstance(view, QWidget) and view.isVisible():
                cover = self._covers.get(view)
                if cover is None:
                    cover = self._covers[view] = QWidget(view)
                    cover.setAutoFillBackground(True)
                cover.setGeometry(view.rect())
                cover.raise_()
                cover.show()

    def _uncover(self, view=None) -> None:
        for v, cover in self._covers.items():
            if view is None or v is view:
                cover.hide()

    @Slot()
    def update_inference(self) -> None:
        """The painted input changed: the views that draw it, on the latest snapshot (GUI thread)."""
        if self._staged is not None:  # a new layout is being drawn: all of it once more after that
            self._staged[0].redraw = True
            return
        snap = self.controller.latest
        if self.rendered is None or not self._fits(snap):
            return
        frame = self._frame(snap, slow=False, input_only=True)
        for view in self.views:
            if view.follows_input:
                view.show_snapshot(snap, frame)

    def refresh_explore(self) -> None:
        """The Explore tab shown changed (or its dock came up): draw it now."""
        self.update_inference()

    def _measure(self, snap, ds):
        """(test accuracy of the shown weights or None while running, (exact, n) or None). The
        accuracy comes measured with the snapshot (the training thread's work); only the smile's
        few training faces are checked here."""
        if self._scores[0] is snap:
            return self._scores[1:]
        accuracy = None if self.controller.running else snap.accuracy
        exact = None
        if ds.task == SIGN and len(ds.x_train) <= EXACT_LIMIT:
            with np.errstate(all="ignore"):
                right = exactly_right(snap.network().predict(ds.x_train), ds.y_train)
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

    def _judge_health(self, snap):
        """Dead / saturated hidden units: judged with the snapshot on the training thread
        (``Snapshot.health``). A running publish may come unjudged; the last judgement of the same
        run and network stands for it then (None: no hidden layer, or none judged yet)."""
        run = (snap.lesson, snap.generation, snap.sizes)
        if snap.health is not None:
            self._health = (run, snap.health)
        return self._health[1] if self._health[0] == run else None
