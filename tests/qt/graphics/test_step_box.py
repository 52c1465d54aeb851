"""A halved step or a tiny weight is shown whole in its field, not cut to a number ten thousand times larger."""

from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QWidget

from nnviz.qt.graphics.step_box import StepBox


def test_a_tiny_weight_is_shown_whole_in_the_weight_field(qtbot):
    row = QWidget()  # the weight editor's row: a label that takes what is left, then the field
    qtbot.addWidget(row)
    label = QLabel("weight from input pixel (27, 27) into neuron 15 of layer 1")
    label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
    box = StepBox()
    box.setRange(-1e6, 1e6)
    box.setValue(-6.103515625e-05)
    lay = QHBoxLayout(row)
    lay.addWidget(label, 1)
    lay.addWidget(box)
    row.resize(330, 40)
    row.show()
    qtbot.waitExposed(row)
    edit = box.lineEdit()
    assert edit.text() == "-6.10352e-05"
    assert edit.fontMetrics().horizontalAdvance(edit.text()) < edit.width() - 2  # all of it in view
