"""What a neuron wants: the tab shows the model's ascent and saliency numbers; its button loads the result."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from nnviz.model.lessons import get_lesson
from nnviz.model.analysis.neuron_input import activation, maximize, saliency
from nnviz.qt.explore.neuron_input_view import NeuronInputView
from nnviz.qt.graphics.view_protocol import Frame
from tests.qt.conftest import shown


def trained(lesson, n):
    t = get_lesson(lesson).build(seed=0)
    for _ in range(n):
        t.step()
    return t, t.snapshot(lesson=lesson)


@pytest.fixture
def digits():
    return trained("digits", 200)


def test_default_neuron_is_the_top_answer_and_from_blank_climbs(qtbot, digits):
    t, snap = digits
    v = shown(qtbot, NeuronInputView(), 560, 700)
    v.set_lesson(t.dataset)
    painted = t.dataset.x_test[3]
    v.show_snapshot(snap, Frame(snap, painted=painted))
    top = int(snap.network().predict(painted[None])[0].argmax())
    assert v.target() == (3, top)
    assert f"output “{top}”" in v.header.text()
    v.steps.setValue(40)
    v.step_size.setValue(0.05)
    qtbot.mouseClick(v.from_blank, Qt.LeftButton)
    r = v.result
    x, trace = maximize(snap.network(), 3, top, np.zeros(64, np.float32), 40, 0.05)
    np.testing.assert_array_equal(r["x"], x)
    np.testing.assert_array_equal(r["trace"], trace)
    before = activation(snap.network(), np.zeros(64), 3, top)
    after = activation(snap.network(), x, 3, top)
    assert after > before
    assert f"activation {before:.3f}" in v.start_caption.text()
    assert f"activation {after:.3f}" in v.best_caption.text()
    assert f"{before:.3f} → {after:.3f}" in v.result_text.text()
    xs, ys = v.trace_curve.getData()
    np.testing.assert_array_equal(ys, trace)
    assert not v.best_pic.pixmap().isNull()


def test_a_selected_neuron_from_the_drawing_and_load_into_editor(qtbot, digits):
    t, snap = digits
    v = shown(qtbot, NeuronInputView(), 560, 700)
    v.set_lesson(t.dataset)
    painted = t.dataset.x_test[0]
    v.show_snapshot(snap, Frame(snap, painted=painted))
    v.select_neuron(2, 7)
    v.show_snapshot(snap, Frame(snap, painted=painted))
    assert v.target() == (2, 7) and "neuron 7 of hidden layer 2 (relu)" in v.header.text()
    assert v.top_button.isEnabled()
    v.steps.setValue(30)
    qtbot.mouseClick(v.from_drawing, Qt.LeftButton)
    x, trace = maximize(snap.network(), 2, 7, painted, 30, v.step_size.value())
    np.testing.assert_array_equal(v.result["x"], x)
    np.testing.assert_array_equal(v.result["start"], painted)
    assert v.result["trace"][-1] == activation(snap.network(), x, 2, 7) > activation(snap.network(), painted, 2, 7)
    got = []
    v.loadInput.connect(got.append)
    assert v.load.isEnabled()
    qtbot.mouseClick(v.load, Qt.LeftButton)
    np.testing.assert_array_equal(got[0], x)
    assert got[0].dtype == np.float32 and got[0].shape == (64,)
    # back to the top answer; selecting an input pixel (layer 0) changes nothing
    qtbot.mouseClick(v.top_button, Qt.LeftButton)
    v.select_neuron(0, 5)
    assert v.chosen is None and v.target()[0] == 3 and v.result is None and not v.load.isEnabled()


def test_saliency_is_the_models_and_drawn_green_where_brightening_helps(qtbot, digits):
    t, snap = digits
    v = shown(qtbot, NeuronInputView(), 560, 700)
    v.set_lesson(t.dataset)
    painted = t.dataset.x_test[5]
    v.show_snapshot(snap, Frame(snap, painted=painted))
    top, g = saliency(snap.network(), painted)
    assert v.saliency_target == top
    np.testing.assert_allclose(v.saliency, g)
    assert f"“{top}”" in v.sal_text.text()
    # the pure heatmap: the most positive pixel is drawn green, the most negative red
    img = v.heat_pic.pixmap().toImage()
    h, w = t.dataset.image_shape
    inner_w, inner_h = img.width() - 4, img.height() - 4

    def color_of(k):
        r, c = divmod(int(k), w)
        return img.pixelColor(2 + int((c + 0.5) * inner_w / w), 2 + int((r + 0.5) * inner_h / h))

    up, down = color_of(np.argmax(g)), color_of(np.argmin(g))
    assert up.green() > 150 and up.red() < 100
    assert down.red() > 150 and down.green() < 100
    # hovering a cell names its number
    r, c = divmod(int(np.argmax(g)), w)
    assert f"{0.1 * g[np.argmax(g)]:+.3f}" in v._describe_saliency(r, c)
    pic = v.heat_pic
    pix = pic.pixmap()
    pos = QPoint(int((pic.width() - pix.width()) / 2 + 2 + (c + 0.5) * inner_w / w),
                 int((pic.height() - pix.height()) / 2 + 2 + (r + 0.5) * inner_h / h))
    assert pic.cell_at(pos) == (r, c)


def test_smile_wants_the_positive_weights(qtbot):
    t, snap = trained("smile", 12)
    v = shown(qtbot, NeuronInputView(), 560, 700)
    v.set_lesson(t.dataset)
    v.show_snapshot(snap, Frame(snap, painted=t.dataset.x_test[0]))
    assert v.target() == (1, 0) and "smile output" in v.header.text()
    np.testing.assert_allclose(v.saliency, snap.weights[0][0], rtol=1e-6)
    v.steps.setValue(500)
    v.step_size.setValue(0.1)
    v.run(blank=True)
    x = v.result["x"]
    w = np.asarray(snap.weights[0][0])
    np.testing.assert_array_equal(x, (w > 0).astype(np.float32))  # every helpful pixel lit, nothing else
    assert v.result["trace"][-1] == pytest.approx(w[w > 0].sum())
    assert "stopped early at a peak" in v.result_text.text()


def test_a_neuron_that_cannot_climb_says_so(qtbot):
    t = get_lesson("digits").build(seed=0)
    # a first-layer ReLU with only negative weights (and bias 0) never switches on for pixels in [0, 1]
    t.network.weights[0][0] = -np.abs(t.network.weights[0][0]) - 0.01
    snap = t.snapshot(lesson="digits")
    v = shown(qtbot, NeuronInputView(), 560, 700)
    v.set_lesson(t.dataset)
    v.show_snapshot(snap, Frame(snap, painted=np.zeros(64, np.float32)))
    v.select_neuron(1, 0)
    v.run(blank=True)
    assert len(v.result["trace"]) == 1 and v.result["trace"][0] == 0
    assert "Could not climb" in v.result_text.text()


def test_a_conv_filter_wants_a_picture_its_climb_and_the_drawings_saliency_are_the_models(qtbot):
    t, snap = trained("conv", 40)
    v = shown(qtbot, NeuronInputView(), 560, 700)
    v.set_lesson(t.dataset)
    painted = t.dataset.x_test[2]
    v.show_snapshot(snap, Frame(snap, painted=painted))
    assert v.note_text() is None and v.picker.isVisible()
    top = int(snap.network().predict(painted[None])[0].argmax())
    assert v.target() == (4, top)  # the output of the answer, until a unit is picked
    target, s = saliency(snap.network(), painted)
    assert target == top
    np.testing.assert_allclose(v.saliency, s)  # |d score / d pixel| in the input's shape
    assert v.heat_pic.shape == (8, 8)
    v.picker.layer_box.setCurrentIndex(0)  # conv layer 1's filters
    v.picker.unit_box.setValue(3)  # filter 3
    assert v.target() == (1, 3) and "filter 3 of conv layer 1" in v.header.text()
    means = snap.network().forward(painted[None])[1][0].mean(axis=(1, 2))  # which filter the drawing lights up
    assert f"most active map of layer 1 is <b>{means.argmax()}</b> (mean {means.max():.3f})" in v.header.text()
    # by default the filter's centre pixel is climbed (row 4, column 4 of its 8×8 map: 3 * 64 + 4 * 8 + 4)
    assert v.channel_row.isVisible() and v.channel_unit.currentData() == "centre"
    assert "its centre pixel (row 4, column 4 of its 8×8 map" in v.header.text()
    v.steps.setValue(30)
    qtbot.mouseClick(v.from_blank, Qt.LeftButton)
    x, trace = maximize(snap.network(), 1, 3 * 64 + 4 * 8 + 4, np.zeros(64, np.float32), 30, v.step_size.value())
    np.testing.assert_array_equal(v.result["x"], x)
    np.testing.assert_array_equal(v.result["trace"], trace)
    assert trace[-1] > trace[0] and trace[-1] == activation(snap.network(), x, 1, 3 * 64 + 36)
    # the map's mean is still there to climb
    v.channel_unit.setCurrentIndex(v.channel_unit.findData("mean"))
    assert v.result is None and "the mean of its feature map" in v.header.text()
    qtbot.mouseClick(v.from_blank, Qt.LeftButton)
    x, trace = maximize(snap.network(), 1, 3, np.zeros(64, np.float32), 30, v.step_size.value(), channel=True)
    np.testing.assert_array_equal(v.result["x"], x)
    assert trace[-1] > trace[0] and trace[-1] == activation(snap.network(), x, 1, 3, channel=True)
    assert v.best_pic.shape == (8, 8) and v.load.isEnabled()
    with qtbot.waitSignal(v.loadInput) as got:
        qtbot.mouseClick(v.load, Qt.LeftButton)
    np.testing.assert_array_equal(got.args[0], x)
    # back to an MLP lesson: nothing of the conv net stays
    m, msnap = trained("digits", 5)
    v.set_lesson(m.dataset)
    v.show_snapshot(msnap, Frame(msnap, painted=m.dataset.x_test[0]))
    assert v.result is None and not v.picker.isVisible() and v.target()[0] == 3


def test_the_conv_picker_shows_the_top_answers_output_until_a_unit_is_picked(qtbot):
    t, snap = trained("conv", 10)
    v = shown(qtbot, NeuronInputView(), 560, 700)
    v.set_lesson(t.dataset)
    v.show_snapshot(snap, Frame(snap, painted=t.dataset.x_test[2]))
    assert v.picker.unit() == v.target() and v.target()[0] == 4


def test_back_to_the_answer_puts_the_picker_on_the_answers_output_at_once(qtbot):
    """It kept showing "layer 1 … filter 0" while the header asked about output "7"."""
    t, snap = trained("conv", 10)
    v = shown(qtbot, NeuronInputView(), 560, 700)
    v.set_lesson(t.dataset)
    v.show_snapshot(snap, Frame(snap, painted=t.dataset.x_test[2]))
    v.picker.changed.emit(1, 0)  # the learner picks layer 1's filter 0
    assert v.target() == (1, 0) and v.picker.unit() == (1, 0)
    v.top_button.click()
    assert v.target()[0] == 4 and v.picker.unit() == v.target()  # no snapshot needed in between


def test_a_batch_norm_channel_wants_a_picture_through_the_norm_the_pool_and_the_transform(qtbot):
    """After a linear conv the batch norm's ReLU is where a filter's response is: its channels are
    offered, the climb and the saliency are the model's, the picture stays paintable ([0, 1])."""
    from tests.qt.views.test_conv_network_view import BN_SPEC

    t = get_lesson("conv").build(seed=0, spec=BN_SPEC)
    for _ in range(5):
        t.step()
    snap = t.snapshot(lesson="conv")
    v = shown(qtbot, NeuronInputView(), 560, 700)
    v.set_lesson(t.dataset)
    painted = t.dataset.x_test[2]
    v.show_snapshot(snap, Frame(snap, painted=painted))
    assert [L for L, _, _ in v.picker._choices] == [1, 2, 4, 6]
    target, s = saliency(snap.network(), painted)
    np.testing.assert_allclose(v.saliency, s)
    v.picker.layer_box.setCurrentIndex(1)  # the batch norm's channels
    v.picker.unit_box.setValue(2)
    assert v.target() == (2, 2) and "channel 2 of batch-norm layer 2" in v.header.text()
    v.channel_unit.setCurrentIndex(v.channel_unit.findData("mean"))
    assert "then relu" in v.header.text()
    v.steps.setValue(30)
    qtbot.mouseClick(v.from_blank, Qt.LeftButton)
    x, trace = maximize(snap.network(), 2, 2, np.zeros(64, np.float32), 30, v.step_size.value(), channel=True)
    np.testing.assert_array_equal(v.result["x"], x)
    assert trace[-1] > trace[0] and 0 <= x.min() and x.max() <= 1
