"""The timeline scrubber: move every view to a past iteration, then continue from there.

The worker keeps past trainer states (nnviz.model.timeline); each paused snapshot
lists the kept iterations. Dragging the slider asks the worker to show the nearest
one; "Continue from here" makes it the live network (later states are dropped).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QWidget


class TimelineBar(QWidget):
    """objectName ``timelineBar``: slider over kept iterations, Live and Continue buttons."""

    previewRequested = Signal(int)  # show this past iteration
    resumeRequested = Signal(int)  # continue training from it

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("timelineBar")
        self.iterations: tuple = ()
        self.live_iteration = 0
        self._updating = False
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setObjectName("timelineSlider")
        self.slider.setToolTip("Rewind: drag to any kept past iteration (recent ones are all kept, older ones "
                               "thinned). Every view follows.")
        self.slider.valueChanged.connect(self._moved)
        self.label = QLabel("timeline")
        self.label.setMinimumWidth(230)
        self.live_button = QPushButton("Live")
        self.live_button.setToolTip("Back to the network as training left it")
        self.live_button.clicked.connect(lambda: self.previewRequested.emit(self.live_iteration))
        self.resume_button = QPushButton("Continue from here")
        self.resume_button.setObjectName("resumeButton")
        self.resume_button.setToolTip("Make this past iteration the live network and train on from it "
                                      "(with the current settings); later iterations are forgotten")
        self.resume_button.clicked.connect(lambda: self.resumeRequested.emit(self.shown_iteration))
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 2, 8, 2)
        lay.addWidget(QLabel("Timeline"))
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.label)
        lay.addWidget(self.live_button)
        lay.addWidget(self.resume_button)
        self.shown_iteration = 0

    def show_snapshot(self, snap, running: bool) -> None:
        """Reflect the kept iterations and which one is shown (no signals echo back)."""
        self.live_iteration = snap.live_iteration if snap.live_iteration is not None else snap.iteration
        self.shown_iteration = snap.iteration
        rewound = snap.rewound
        if running or not snap.timeline:
            self.slider.setEnabled(False)
            # while running, no number: the counters show it, and a label changing every frame costs
            self.label.setText("training — pause to rewind" if running else f"iteration {snap.iteration:,}")
        else:
            self.iterations = tuple(snap.timeline)
            self._updating = True
            try:
                self.slider.setRange(0, len(self.iterations) - 1)
                self.slider.setValue(self._index_of(snap.iteration))
            finally:
                self._updating = False
            self.slider.setEnabled(len(self.iterations) > 1)
            self.label.setText(f"viewing iteration {snap.iteration:,} of {self.live_iteration:,}" if rewound
                               else f"iteration {snap.iteration:,} (live) · {len(self.iterations):,} kept")
        if rewound != getattr(self, "_styled_rewound", None):  # a new style sheet re-polishes the label
            self._styled_rewound = rewound
            self.label.setStyleSheet("color: #8a4b00; font-weight: 600;" if rewound else "")
        self.live_button.setEnabled(rewound)
        self.resume_button.setEnabled(rewound and not running)

    def _index_of(self, iteration: int) -> int:
        its = self.iterations
        return min(range(len(its)), key=lambda i: abs(its[i] - iteration)) if its else 0

    def _moved(self, index: int) -> None:
        if not self._updating and 0 <= index < len(self.iterations):
            self.label.setText(f"viewing iteration {self.iterations[index]:,} of {self.live_iteration:,}")
            self.previewRequested.emit(int(self.iterations[index]))
