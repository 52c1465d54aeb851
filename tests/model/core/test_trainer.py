"""The fast training step against the reference backprop, plus counters, history and settings."""

import numpy as np
import pytest

from nnviz.model.data.datasets import Dataset
from nnviz.model.errors import SettingsError
from nnviz.model.core.network import Network
from nnviz.model.core.settings import TrainSettings
from nnviz.model.core.trainer import Trainer


def toy_dataset(n=50, d=6, k=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, d)).astype(np.float32)
    y = rng.integers(0, k, n)
    return Dataset("toy", x[:40], y[:40], x[40:], y[40:], (2, 3), tuple("abc"))


@pytest.mark.parametrize("hidden", ["sigmoid", "relu", "tanh", "linear"])
@pytest.mark.parametrize("output,loss", [("softmax", "cross_entropy"), ("sigmoid", "cross_entropy"),
                                         ("softmax", "mse"), ("linear", "mse")])
def test_one_sgd_step_is_minus_lr_times_the_reference_gradient(hidden, output, loss):
    data = toy_dataset()
    net = Network([6, 5, 4, 3], hidden=hidden, output=output, seed=2)
    ref = net.copy()
    t = Trainer(net, data, TrainSettings(learning_rate=0.5, loss=loss, batch_size=8))
    X, Y = data.x_train[:8], data.y_train[:8]
    ref_loss, dW, db = ref.gradients(X, Y, loss)
    got = t.train_batch(X, Y)
    assert got == pytest.approx(ref_loss, rel=1e-5)
    for w_new, w_old, g in zip(net.weights, ref.weights, dW):
        np.testing.assert_allclose(w_new, w_old - 0.5 * g, rtol=1e-4, atol=1e-6)
    for b_new, b_old, g in zip(net.biases, ref.biases, db):
        np.testing.assert_allclose(b_new, b_old - 0.5 * g, rtol=1e-4, atol=1e-6)
    # the update the app shows as ΔW is exactly what changed
    for u, w_new, w_old in zip(t.update_w, net.weights, ref.weights):
        np.testing.assert_allclose(u, w_new - w_old, atol=1e-6)


def test_l2_adds_lambda_w_to_the_gradient():
    data = toy_dataset()
    net = Network([6, 4, 3], seed=1)
    ref = net.copy()
    t = Trainer(net, data, TrainSettings(learning_rate=0.1, l2=0.01, batch_size=8))
    X, Y = data.x_train[:8], data.y_train[:8]
    _, dW, _ = ref.gradients(X, Y)
    t.train_batch(X, Y)
    np.testing.assert_allclose(net.weights[0], ref.weights[0] - 0.1 * (dW[0] + 0.01 * ref.weights[0]), atol=1e-6)


def _unchanged_output_columns(dropout):
    data = toy_dataset()
    net = Network([6, 400, 3], hidden="relu", seed=0)
    t = Trainer(net, data, TrainSettings(learning_rate=0.1, dropout=dropout, batch_size=1))
    before = net.weights[1].copy()
    t.train_batch(data.x_train[:1], data.y_train[:1])
    return np.all(net.weights[1] == before, axis=0).mean(), t


def test_dropout_drops_about_that_share_of_units_while_training():
    # A dropped hidden unit passes no gradient to its outgoing weights for that sample.
    dead, _ = _unchanged_output_columns(0.0)
    dropped, t = _unchanged_output_columns(0.5)
    assert dropped - dead == pytest.approx(0.5 * (1 - dead), abs=0.08)
    # evaluation uses every unit: deterministic
    assert t.evaluate("test") == t.evaluate("test")


@pytest.mark.parametrize("optimizer,lr", [("sgd", 1.0), ("momentum", 0.1), ("adam", 0.02)])
def test_every_optimizer_lowers_the_loss_on_a_fixed_batch(optimizer, lr):
    data = toy_dataset()
    net = Network([6, 8, 3], hidden="tanh", seed=0)
    t = Trainer(net, data, TrainSettings(learning_rate=lr, optimizer=optimizer, batch_size=40))
    first = t.train_batch(data.x_train, data.y_train)
    for _ in range(200):
        last = t.train_batch(data.x_train, data.y_train)
    assert last < 0.8 * first


def test_adam_first_step_moves_each_weight_by_about_lr():
    data = toy_dataset()
    net = Network([6, 3], seed=0)
    before = net.weights[0].copy()
    Trainer(net, data, TrainSettings(learning_rate=0.01, optimizer="adam", batch_size=40)).train_batch(
        data.x_train, data.y_train)
    np.testing.assert_allclose(np.abs(net.weights[0] - before), 0.01, rtol=1e-3)


def test_step_counts_iterations_epochs_and_records_history():
    data = toy_dataset()
    t = Trainer(Network([6, 4, 3], seed=0), data, TrainSettings(batch_size=16), seed=3)
    assert t.steps_per_epoch == 3  # 40 samples: 16 + 16 + 8
    for _ in range(7):
        t.step()
    assert t.iteration == 7 and t.epoch == 2
    h = t.history.frozen()
    assert len(h["loss"]) == 7 and np.isfinite(h["loss"]).all()
    assert h["iteration"][0] == 1 and len(h["test_accuracy"]) >= 2
    assert not h["loss"].flags.writeable


def test_an_epoch_visits_every_training_example_once():
    data = toy_dataset()
    t = Trainer(Network([6, 3], seed=0), data, TrainSettings(batch_size=16), seed=0)
    seen = [t.next_batch()[0] for _ in range(3)]
    rows = np.concatenate(seen)
    assert len(rows) == 40
    assert len({r.tobytes() for r in rows}) == len({r.tobytes() for r in data.x_train})


def test_reset_with_the_same_seed_replays_exactly():
    data = toy_dataset()
    t = Trainer(Network([6, 5, 3], seed=4), data, TrainSettings(batch_size=8), seed=4)
    for _ in range(10):
        t.step()
    first = [w.copy() for w in t.network.weights]
    t.reset(4)
    assert t.iteration == 0 and len(t.history) == 0
    for _ in range(10):
        t.step()
    assert all(np.array_equal(a, b) for a, b in zip(first, t.network.weights))


def test_settings_change_between_iterations_keeps_the_weights():
    data = toy_dataset()
    t = Trainer(Network([6, 5, 3], seed=0), data, TrainSettings(batch_size=8))
    t.step()
    w = t.network.weights[0].copy()
    t.apply_settings(learning_rate=0.5, batch_size=4, optimizer="adam")
    np.testing.assert_array_equal(t.network.weights[0], w)
    X, _ = t.next_batch()
    assert len(X) == 4 and t.iteration == 1


@pytest.mark.parametrize("change", [dict(batch_size=0), dict(learning_rate=-1), dict(learning_rate=float("nan")),
                                    dict(dropout=1.0), dict(optimizer="rmsprop"), dict(colour="red")])
def test_bad_settings_are_refused_and_the_old_ones_kept(change):
    t = Trainer(Network([6, 3]), toy_dataset(), TrainSettings())
    with pytest.raises(SettingsError):
        t.apply_settings(**change)
    assert t.settings == TrainSettings()


def test_network_must_fit_the_dataset():
    with pytest.raises(SettingsError, match="does not fit"):
        Trainer(Network([5, 3]), toy_dataset())


def test_the_cheap_evaluation_scores_its_fixed_subset_and_follows_a_new_dataset(monkeypatch):
    """The subset is gathered once (it was a 6 MB copy every ~30 iterations on mnist), but a
    dataset swapped in (the learner's own examples added) is scored, not the old one."""
    from nnviz.model.core import trainer as trainer_module
    from nnviz.model.core.functions import output_loss_and_delta

    monkeypatch.setattr(trainer_module, "EVAL_LIMIT", 25)  # a subset smaller than the split
    data = toy_dataset(n=80)
    t = Trainer(Network([6, 4, 3], seed=0), data, TrainSettings(batch_size=8), seed=3)

    def reference(d, split):
        rng = np.random.default_rng(t.seed + 1)  # the train split's draw, then the test split's
        idx = np.sort([rng.permutation(len(d.x_train)), rng.permutation(len(d.x_test))][split == "test"][:25])
        x, y = d.split(split)
        z, out = t.network.output_full(x[idx])
        loss = output_loss_and_delta("softmax", "cross_entropy", z, out, y[idx])[0]
        return loss, float((out.argmax(axis=1) == y[idx]).mean())

    for _ in range(3):
        t.step()
        np.testing.assert_allclose(t.evaluate("train", limit=True), reference(data, "train"), rtol=1e-6)
    other = toy_dataset(n=80, seed=9)
    t.set_dataset(other)
    np.testing.assert_allclose(t.evaluate("train", limit=True), reference(other, "train"), rtol=1e-6)
    np.testing.assert_allclose(t.evaluate("test", limit=True), reference(other, "test"), rtol=1e-6)
