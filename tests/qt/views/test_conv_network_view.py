"""The conv centre view: a deep pixel's whole receptive field outlined on the input, and dead /
saturated channels rimmed on their feature maps with the dense view's legend."""


from nnviz.model.analysis.feature_pixel import field_rect, receptive_field
from nnviz.model.analysis.health import network_health
from nnviz.model.lessons import get_lesson
from nnviz.qt.graphics.view_protocol import Frame
from nnviz.qt.views.conv_network import ConvNetworkView
from tests.qt.conftest import shown


def _mnist_conv():
    t = get_lesson("mnist-conv").build(seed=0)
    t.step()
    return t, t.snapshot(lesson="mnist-conv")


def test_a_deep_pixels_receptive_field_is_outlined_on_the_input(qtbot):
    t, snap = _mnist_conv()
    v = shown(qtbot, ConvNetworkView(), 900, 500)
    v.set_lesson(t.dataset)
    v.show_snapshot(snap, Frame(snap, dataset=t.dataset, painted=t.dataset.x_test[0]))
    assert not v.field_outline.isVisible()  # layer 1: the patch outline is the whole field
    v.select_pixel(3, 2, 4, 5)  # conv 2: a 5×5 window on 12×12 pooled maps of 5×5 windows on 28×28
    rows, cols = receptive_field(v.layers, 3, 4, 5)
    assert field_rect(rows, cols) == (8, 10, 14, 14)
    rect = v.field_outline.rect()
    assert v.field_outline.isVisible() and (rect.y(), rect.x(), rect.height(), rect.width()) == (8, 10, 14, 14)
    v.select_pixel(4, 0, 1, 1)  # after the second pooling: conv-2 rows 2–3, so input rows 4–19
    rect = v.field_outline.rect()
    assert (rect.y(), rect.x(), rect.height(), rect.width()) == (4, 4, 16, 16)


def test_dead_channels_are_rimmed_on_their_maps_with_the_legend(qtbot):
    t, snap = _mnist_conv()
    net = snap.network().copy()  # the snapshot's own arrays are read-only
    net.biases[0][3] = -50.0  # filter 3 of layer 1 never fires: dead, and its pooled map too
    x = t.dataset.x_train[:50]
    v = shown(qtbot, ConvNetworkView(), 900, 500)
    v.set_lesson(t.dataset)
    frame = Frame(snap, dataset=t.dataset, painted=t.dataset.x_test[0])
    frame.health = network_health(net, x)
    v.show_snapshot(snap, frame)
    assert v.feature_maps.flagged[1]["dead"] == [3] and v.feature_maps.flagged[2]["dead"] == [3]
    assert "dead" in v.health_legend.text() and not v.health_legend.isHidden()
    frame = Frame(snap, dataset=t.dataset, painted=t.dataset.x_test[0])
    net.biases[0][3] = 0.1
    frame.health = network_health(net, x)
    v.show_snapshot(snap, frame)
    assert 3 not in v.feature_maps.flagged.get(1, {"dead": []})["dead"]
