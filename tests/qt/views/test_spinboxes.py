"""A clamped entry is said in words with numbers as a learner writes them."""

import pytest
from PySide6.QtCore import Qt

from nnviz.qt.views.spinboxes import ClampingDoubleSpinBox, ClampingSpinBox, readable


@pytest.mark.parametrize("value, text", [(1e6, "1,000,000"), (4096, "4,096"), (0, "0"), (-1, "-1"),
                                         (1e-7, "0.0000001"), (2.5, "2.5"), (0.00001, "0.00001"),
                                         (0.123456789, "0.123457")])
def test_numbers_read_as_written(value, text):
    assert readable(value) == text


def typed(qtbot, spin, text):
    messages = []
    spin.clamped.connect(messages.append)
    spin.setFocus()
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), text)
    qtbot.keyClick(spin.lineEdit(), Qt.Key_Return)
    return messages


def test_a_batch_size_too_large_is_said_in_words(qtbot):
    spin = ClampingSpinBox()
    qtbot.addWidget(spin)
    spin.what = "batch size"
    spin.setRange(1, 4096)
    assert typed(qtbot, spin, "1000000") == [
        "1,000,000 is more than the largest batch size, 4,096; it is set to 4,096."]
    assert spin.value() == 4096


def test_a_learning_rate_too_small_is_said_in_words(qtbot):
    spin = ClampingDoubleSpinBox()
    qtbot.addWidget(spin)
    spin.what = "learning rate"
    spin.setDecimals(5)
    spin.setRange(1e-5, 10.0)
    assert typed(qtbot, spin, "-1") == [
        "-1 is less than the smallest learning rate, 0.00001; it is set to 0.00001."]
    assert spin.value() == pytest.approx(1e-5)
