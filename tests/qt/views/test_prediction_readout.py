"""The readout says the network's answer in words and numbers."""

import numpy as np
import pytest

from nnviz.qt.views.prediction_readout import PredictionReadout

DIGITS = tuple(str(i) for i in range(10))


@pytest.fixture
def readout(qtbot):
    r = PredictionReadout()
    qtbot.addWidget(r)
    r.show()
    return r


def test_headline_is_the_argmax_class_and_its_probability(readout):
    readout.set_labels(DIGITS, "classification")
    p = np.full(10, 0.07 / 9, np.float32)
    p[7] = 0.93
    readout.set_output(p)
    assert readout.text() == "7 — 93%"
    np.testing.assert_allclose(readout.bars.values, p, rtol=1e-6)
    assert readout.bars.labels == list(DIGITS)
    p = np.roll(p, -4)  # now the 3 is on top
    readout.set_output(p)
    assert readout.text() == "3 — 93%"
    assert "next" in readout.detail.text()


def test_sigmoid_outputs_are_shown_as_shares(readout):
    readout.set_labels(DIGITS, "classification")
    out = np.zeros(10)
    out[[2, 5]] = 0.6, 0.2  # sums to 0.8: not a distribution
    readout.set_output(out)
    assert readout.text() == "2 — 75%"


def test_sign_task_says_smile_or_not_by_the_sign(readout):
    readout.set_labels(("not a smile", "smile"), "sign")
    assert not readout.bars.isVisible()
    readout.set_output(np.array([2.0]))
    assert readout.text().startswith("smile") and "+2" in readout.text()
    readout.set_output(np.array([-3.0]))
    assert readout.text().startswith("not a smile") and "−3" in readout.text()
    readout.set_output(np.array([0.0]))
    assert "smile" not in readout.text()


def test_a_new_lesson_clears_the_old_answer(readout):
    readout.set_labels(DIGITS, "classification")
    readout.set_output(np.eye(10)[4])
    readout.set_labels(("not a smile", "smile"), "sign")
    assert readout.text() == "—"


def test_non_finite_outputs_say_so(readout):
    readout.set_labels(DIGITS, "classification")
    readout.set_output(np.full(10, np.nan))
    assert "not finite" in readout.text()


def test_output_zero_is_undecided_said_once(readout):
    readout.set_labels(("not a smile", "smile"), "sign")
    readout.set_output(np.array([0.0]))
    assert readout.text() == "undecided  (output 0)"  # not "undecided (output 0) (output +0)"


def test_a_blank_canvas_says_nothing_is_painted_but_keeps_the_bars(readout):
    readout.set_labels(tuple(str(d) for d in range(10)), "classification")
    out = np.full(10, 0.01)
    out[7] = 0.91
    readout.set_output(out, blank=True)
    assert readout.text() == "nothing painted yet" and "7 (91%)" in readout.detail.text()
    assert readout.bars.values[7] == pytest.approx(0.91)
    readout.set_output(out)
    assert readout.text().startswith("7 — 91%")


def test_every_bar_has_its_percentage_even_a_small_one(readout, qtbot):
    readout.set_labels(("a", "b", "c"), "classification")
    readout.resize(300, 200)
    readout.show()
    drawn = []
    from PySide6.QtGui import QPainter
    original = QPainter.drawText

    def spy(self, *args):
        drawn.append(args[-1])
        return original(self, *args)

    QPainter.drawText = spy
    try:
        readout.set_output(np.array([0.94, 0.03, 0.03]))
        readout.bars.repaint()
    finally:
        QPainter.drawText = original
    assert "3%" in drawn and "94%" in drawn
