"""Dead ReLU and saturated sigmoid units are flagged on the activation view."""

import numpy as np

from nnviz.model.core.health import unit_health
from tests.qt.conftest import wait_iteration


def test_unit_health_on_hand_built_activations():
    relu = [np.array([[0.0, 0.5, 0.0], [0.0, 0.0, 0.0], [0.0, 1.0, 0.2]])]
    h = unit_health(relu, "relu")[0]
    assert h.dead.tolist() == [True, False, False] and not h.saturated.any()
    sig = [np.array([[0.999, 0.5], [0.995, 0.2], [0.001, 0.6]] * 10)]
    h = unit_health(sig, "sigmoid")[0]
    assert h.saturated.tolist() == [True, False] and not h.dead.any()
    assert h.share[0] == 1.0


def test_a_killed_relu_unit_is_flagged_in_the_window(qtbot, make_window):
    win = make_window("digits")
    win.controller.step()
    snap = wait_iteration(qtbot, win, 1)
    # kill hidden unit 5 of layer 1: a bias so negative that no image can switch it on
    net = snap.network().copy()
    net.biases[0][5] = -1e3
    from nnviz.model.files.modelfile import SavedModel
    win.controller.install(SavedModel(net, "digits", 1, 0, snap.seed, snap.settings, __import__(
        "nnviz.model.core.history", fromlist=["History"]).History()))
    qtbot.waitUntil(lambda: win.controller.latest.generation > snap.generation, timeout=5000)
    win.frames.render_latest()
    h = win.activation_view.health
    assert h[0].dead[5]
    assert "dead" in win.activation_view.plots[1].titleLabel.text
    assert "dead" in win.activation_view.hover_text(1, 5)
    assert win.activation_view.health_items[1].isVisible()


def test_a_running_publish_not_judged_keeps_the_runs_last_judgement_and_a_new_run_drops_it(qtbot, make_window):
    from dataclasses import replace

    win = make_window("digits")
    win.controller.step()
    snap = wait_iteration(qtbot, win, 1)
    judged = win.frames._judge_health(snap)
    assert judged is snap.health and judged is not None
    unjudged = replace(snap, iteration=2, health=None)  # a running publish the session did not judge
    assert win.frames._judge_health(unjudged) is judged  # the rims stay, not cleared and redrawn
    assert win.frames._judge_health(replace(unjudged, generation=snap.generation + 1)) is None  # another run
