"""The lesson guide's controller: what the learner did, as facts for the Guide panel, and what
its "Show me" asks for, as commands.

It is a view like the others (graphics.view_protocol): the frame renderer hands it each frame,
from which it reads the facts (nnviz.model.guide.DEFAULT_FACTS) — the iteration shown, how
many examples are exactly right, the answer for the painting, the selected neuron, the
settings, the Explore tab. Progress is kept per lesson in the settings (``guide/<lesson>``).
"""

from __future__ import annotations

import json

import numpy as np
from PySide6.QtCore import QObject, QSettings, Signal

from ...model.data.datasets import answer_name
from ...model.errors import NNVizError
from ...model.guide import builtin_guide, default_facts, guide_from_dict, load_guide
from ..graphics.highlight import WidgetHighlight
from ..graphics.view_protocol import LessonView


class GuideController(LessonView, QObject):
    """``panel``: the LessonGuide; ``views``: an object with the window's pixel_editor,
    weight_panel, explore, guide_dock, select_neuron(layer, neuron) and raise_dock(key);
    ``window``: where targets are highlighted."""

    follows_input = True  # "paint a face it calls a smile" is judged as the learner paints
    message = Signal(str)
    openRequested = Signal()

    def __init__(self, panel, controller, views, window, settings: QSettings, parent=None):
        super().__init__(parent)
        self.panel, self.controller, self.v, self.window, self.settings = panel, controller, views, window, settings
        self.lesson, self._closed_for_lesson, self._wanted = None, False, ""
        self.own = {}  # lesson -> a Guide from a lesson file or a guide file, used instead of the built-in one
        self.facts = {}
        self._selected = None
        self._picked, self._picks = None, 0  # the feature-map pixel last chosen, and how many so far
        self.highlight = WidgetHighlight(self)
        panel.actionRequested.connect(self.perform)
        panel.highlightRequested.connect(self._point)
        panel.progressChanged.connect(self._save)
        panel.progressChanged.connect(self._stop_where_the_step_says)
        self._shown = None  # (guide key, current step, done flags) when the progress last changed
        self._stop_sent = None  # the epoch the training thread was last told to pause a run at

    # -- the view hooks -----------------------------------------------------------------------

    def set_lesson(self, dataset) -> None:
        lesson = self.controller.lesson
        self.lesson, self._selected, self._picked = (lesson.name if lesson else None), None, None
        self.highlight.clear()
        guide = self.own.get(self.lesson) or (builtin_guide(self.lesson) if self.lesson else None)
        saved = self.settings.value(f"guide/{self.lesson}", "")
        try:
            progress = json.loads(saved) if saved else None
        except (TypeError, ValueError):
            progress = None  # a damaged entry: the guide starts afresh
        self.panel.set_guide(guide, progress)
        self._stop_at(self.panel.progress())  # another lesson: its own step's epoch, or none
        self._shown = self._progress_state()
        # a lesson without a guide gives the panel's room back to the editor; the guide comes back
        # with the next lesson that has one, if the learner had it open
        dock = self.v.guide_dock
        if guide is None and dock.isVisible():
            self._closed_for_lesson = True
            dock.hide()
        elif guide is not None and self._closed_for_lesson:
            self._closed_for_lesson = False
            self.openRequested.emit()

    def select_neuron(self, layer: int, neuron: int) -> None:
        self._selected = (layer, neuron)

    def pick_pixel(self, layer: int, channel: int, row: int, col: int) -> None:
        """The learner chose a feature-map pixel to see how it is made (a click, or Show me)."""
        self._picked, self._picks = (layer, channel, row, col), self._picks + 1
        if self.facts:  # judged now: a click on a paused network brings no new frame
            self.facts = {**self.facts, "picked_pixel": self._picked, "pixel_picks": self._picks}
            self.panel.update_facts(self.facts)

    def show_snapshot(self, snap, frame=None) -> None:
        if frame is None or frame.dataset is None or not self.panel.isVisible():
            return
        ds = frame.dataset
        acts = frame.forward[1]
        painted = not frame.blank
        accuracy = frame.test_accuracy
        if accuracy is None and len(snap.history["test_accuracy"]):
            accuracy = float(snap.history["test_accuracy"][-1])  # while running: the newest evaluation
        explore = self.v.explore
        self.facts = default_facts(  # a fact the guides do not know is a KeyError, not a silent no-op
            lesson=snap.lesson, iteration=snap.iteration, epoch=snap.epoch,
            exactly_right=frame.exact[0] if frame.exact else 0, n_train=len(ds.x_train),
            answer=answer_name(ds.task, ds.class_names, acts[-1][0]) if painted and acts else None,
            painted=painted, selected_neuron=self._selected, settings=dict(snap.settings),
            hidden=snap.hidden, test_accuracy=accuracy, weight_edits=snap.hand_edits,
            tab=explore.tabText(explore.currentIndex()) if explore.on_screen() else "",
            input=frame.painted_key, picked_pixel=self._picked, pixel_picks=self._picks,
        )
        self.panel.update_facts(self.facts)

    # -- opening and progress --------------------------------------------------------------------

    def opened(self) -> None:
        """The guide dock was opened: frame what the current step points at."""
        self._point(self._wanted)

    def attach_files(self, files) -> None:
        """Lesson files bring their own guide and save the one in use (a teacher's walk-through)."""
        files.guide_for = lambda lesson: self.own[lesson].to_dict() if lesson in self.own else None
        files.guideOpened.connect(self.use_guide)
        self._files = files

    def use_guide(self, lesson: str, guide) -> None:
        """``guide`` (a dict in nnviz.model.guide's format, or a Guide) for ``lesson`` from now on."""
        self.own[lesson] = guide_from_dict(guide) if isinstance(guide, dict) else guide
        if lesson == self.lesson:
            self.set_lesson(None)
        self.openRequested.emit()

    def open_file(self, path: str | None = None) -> bool:
        """Help ▸ Open guide file…: a teacher's walk-through (JSON); saved with the next lesson file."""
        path = path or self._files.ask_open("Open guide file", "Lesson guides (*.json);;All files (*)")
        if not path:
            return False
        try:
            guide = load_guide(path)
        except NNVizError as e:
            self.message.emit(str(e))
            return False
        self.use_guide(guide.lesson, guide)
        where = "" if guide.lesson == self.lesson else f"; it is for the {guide.lesson} lesson and opens with it"
        self.message.emit(f"Guide “{guide.title}” ({len(guide.steps)} steps){where}. Save a lesson file to "
                          "hand it out with the network.")
        return True

    def _save(self) -> None:
        progress = self.panel.progress()
        if self.lesson and progress is not None:
            self.settings.setValue(f"guide/{self.lesson}", json.dumps(progress.to_dict()))

    def _stop_where_the_step_says(self) -> None:
        """A step that trains until its check holds ("let it run for two epochs"; its Show me runs or
        steps) pauses the run when it ticks, as the learner would; a run started for any other step
        goes on."""
        p = self.panel.progress()
        self._stop_at(p)
        before, self._shown = self._shown, self._progress_state()
        if p is None or before is None or before[0] != p.guide.key:
            return
        _, i, done = before
        if i < len(p.done) and not done[i] and p.done[i] and self.controller.running \
                and (p.guide.steps[i].action or {}).get("do") in ("run", "step"):
            self.controller.pause()

    def _stop_at(self, p) -> None:
        """The training thread pauses a run at the current step's epoch ("let it run for two
        epochs"): ticking the step from the window's frames alone, a busy window ran past it."""
        want = None
        if p is not None and 0 <= p.current < min(len(p.guide.steps), len(p.done)) and not p.done[p.current]:
            want = (p.guide.steps[p.current].check or {}).get("epoch_at_least")
        if want != self._stop_sent:
            self._stop_sent = want
            self.controller.stop_at_epoch(want)

    def _progress_state(self):
        p = self.panel.progress()
        return None if p is None else (p.guide.key, p.current, tuple(p.done))

    def _point(self, name: str, bring_forward: bool = False) -> None:
        """Frame the step's widget while the guide is open, bringing a dock tabbed behind another
        forward. The Explore tabs only on "Show me": a step that points at them asks the learner
        to open one, and bringing them forward on its own would do the learner's part."""
        self._wanted = name
        if name and self.v.guide_dock.isVisible():
            self.highlight.show(self.window, name, raise_dock=bring_forward or name != "exploreTabs")
        else:
            self.highlight.clear()

    # -- "Show me" --------------------------------------------------------------------------------

    def perform(self, action: dict) -> None:
        """Carry out a guide action (nnviz.model.guide.ACTIONS) as the learner would."""
        c, v, do = self.controller, self.v, action["do"]
        try:
            if do == "step":
                c.step(action.get("n", 1))
            elif do == "run":
                c.run()
            elif do == "pause":
                c.pause()
            elif do == "set":
                c.change_settings(**{action["setting"]: action["value"]})
            elif do == "select_neuron":
                v.select_neuron(action["layer"], action["neuron"])
            elif do == "load_example":
                x, _ = c.dataset.split(action["split"])
                self._paint(x[action["index"]])
            elif do == "paint":
                img = np.zeros(v.pixel_editor.canvas.shape, np.float32)
                for r, col in action["pixels"]:
                    img[r, col] = 1.0
                self._paint(img)
            elif do == "open_tab":
                v.raise_dock("explore")
                titles = [v.explore.tabText(i) for i in range(v.explore.count())]
                v.explore.setCurrentIndex(titles.index(action["title"]))
            elif do == "rebuild":
                sizes = action.get("hidden_sizes") or list(c.latest.sizes[1:-1])
                c.rebuild(sizes, action["activation"], c.latest.seed)
            elif do == "set_weight":
                v.weight_panel.set_weight(action["layer"], action["neuron"], action["index"], action["value"])
            elif do == "rewind":
                c.preview(action["iteration"])
            elif do == "select_pixel":
                a = action
                if not v.select_pixel(a["layer"], a["channel"], a["row"], a["col"]):
                    raise ValueError("that is not a feature-map pixel of this network")
                self.pick_pixel(a["layer"], a["channel"], a["row"], a["col"])
        except (NNVizError, IndexError, ValueError, KeyError) as e:
            self.message.emit(f"The guide could not do that here: {e}")
            return
        steps, i = self.panel.steps(), self.panel.current()
        if 0 <= i < len(steps) and steps[i].get("target"):
            self._point(steps[i]["target"], bring_forward=True)

    def _paint(self, x) -> None:
        ed = self.v.pixel_editor
        ed.load_input(np.asarray(x, dtype=np.float32).reshape(ed.canvas.shape))  # a dataset image, as is
        self.v.raise_dock("pixelEditor")
