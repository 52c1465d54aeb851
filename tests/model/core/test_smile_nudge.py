"""The smile lesson re-enacted: zero weights, step 1, nudge each weight, apply all at once."""

import numpy as np

from nnviz.model.data.datasets import SIGN, correct, smile, smile_population
from nnviz.model.lessons import get_lesson
from nnviz.model.core.network import Network
from nnviz.model.core.nudge import nudge_deltas, nudge_step


def smile_net():
    return Network([12, 1], hidden="linear", output="linear", bias=False, init="zeros")


def test_smile_data_is_the_lesson_setup():
    d = smile()
    assert d.image_shape == (4, 3) and d.x_train.shape == (4, 12)
    assert set(np.unique(d.x_train)) <= {0.0, 1.0}
    assert sorted(d.y_train[:, 0]) == [-1, -1, 1, 1]
    assert len(d.x_test) >= 3 and d.task == SIGN


def test_population_is_every_3x4_image_once():
    pop = smile_population()
    assert pop.shape == (4096, 12)
    assert len({row.tobytes() for row in pop}) == 4096
    np.testing.assert_array_equal(pop[0], 0)
    np.testing.assert_array_equal(pop[4095], 1)


def test_first_iteration_reenacts_the_lesson():
    d, net = smile(), smile_net()
    out = nudge_step(net, d.x_train, d.y_train, "mse", 1.0)
    assert out.accepted
    assert set(np.unique(net.weights[0])) <= {-1.0, 0.0, 1.0}
    outputs = net.predict(d.x_train)[:, 0]
    targets = d.y_train[:, 0]
    # three outputs exactly right, the fourth gives 3 where 1 was wanted
    assert (outputs == targets).sum() == 3
    wrong = outputs != targets
    assert outputs[wrong].tolist() == [3.0] and targets[wrong].tolist() == [1.0]


def test_each_weight_is_judged_on_its_own():
    # Independent reference: from zero, +1 on pixel i changes the squared error of image j
    # by (1 - t_j)^2 - t_j^2 = 1 - 2 t_j where pixel i is on; keep the better direction.
    d = smile()
    res = nudge_deltas(smile_net(), d.x_train, d.y_train, "mse", 1.0)
    t = d.y_train[:, 0]
    up = (d.x_train * (1 - 2 * t)[:, None]).sum(0)
    down = (d.x_train * (1 + 2 * t)[:, None]).sum(0)
    expected = np.where((up < 0) & (up < down), 1, np.where((down < 0) & (down < up), -1, 0))
    np.testing.assert_array_equal(res.delta_w[0][0], expected)
    np.testing.assert_allclose(res.loss_up[0][0] - res.base_loss, up / 4, atol=1e-6)


def test_later_iterations_reach_all_of_the_training_sample_and_never_raise_the_loss():
    lesson = get_lesson("smile")
    t = lesson.build()
    losses = []
    for _ in range(lesson.epochs):
        t.step()
        losses.append(t.network.loss(t.dataset.x_train, t.dataset.y_train, "mse"))
    assert all(b <= a + 1e-9 for a, b in zip(losses, losses[1:]))
    assert correct(SIGN, t.network.predict(t.dataset.x_train), t.dataset.y_train).all()
    w = t.network.weights[0].reshape(4, 3)
    # reading the weights: the mouth's middle low is a smile pixel, high is a non-smile pixel
    assert w[3, 1] > 0 and w[2, 1] < 0


def test_an_overshooting_combined_move_is_undone_and_the_step_halved():
    t = get_lesson("smile").build()
    t.step()  # 3 of 4 right
    w = t.network.weights[0].copy()
    t.step()  # all at once with step 1 would raise the loss
    assert "undone" in t.message
    np.testing.assert_array_equal(t.network.weights[0], w)
    assert t._nudge == 0.5
    assert not np.any(t.update_w[0])
