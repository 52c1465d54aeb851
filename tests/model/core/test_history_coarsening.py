"""A run left going overnight: the history's memory levels off (older iterations folded into
blocks that keep each one's lowest, highest and mean loss; older evaluation and health rows
thinned), while every spike, the newest iterations and the views already handed out stay exact."""

import numpy as np
import pytest

from nnviz.model.core import history as H


@pytest.fixture
def small(monkeypatch):
    """The same rules at a scale a test can reach: 512 fine iterations, 16 blocks, 64 rows."""
    monkeypatch.setattr(H, "FINE_KEEP", 512)
    monkeypatch.setattr(H, "COARSE_MAX", 16)
    monkeypatch.setattr(H, "FIRST_BLOCK", 8)
    monkeypatch.setattr(H, "ROWS_MAX", 64)


def losses(n, spike_at):
    rng = np.random.default_rng(1)
    loss = 2.0 / (1 + np.arange(n) / 500) + 0.1 * rng.random(n)
    loss[spike_at] = 50.0
    return loss


def test_a_long_run_keeps_bounded_columns_every_spike_and_exact_block_summaries(small):
    n, spike = 20_000, 3_210
    want = losses(n, spike)
    h = H.History()
    early = None
    for i, v in enumerate(want):
        h.record_step(v)
        if i == 700:
            early = h.frozen()  # a snapshot's view, taken before any folding
            early_copy = np.array(early["loss"])
    assert len(h) == n and h.first_loss == want[0]
    assert h.steps.n < 1.5 * H.FINE_KEEP and h.blocks.n < H.COARSE_MAX  # bounded, however long
    f = h.frozen()
    np.testing.assert_array_equal(f["loss"], want[h.folded:])  # the newest iterations exact
    ends = f["loss_block_end"].astype(int)
    starts = np.concatenate([[0], ends[:-1]])
    for j, (a, b) in enumerate(zip(starts, ends)):  # each block against the full record
        assert f["loss_block_min"][j] == want[a:b].min() and f["loss_block_max"][j] == want[a:b].max()
        assert f["loss_block_mean"][j] == pytest.approx(want[a:b].mean(), rel=1e-12)
    assert max(f["loss_block_max"].max(), f["loss"].max()) == 50.0  # the one spike still drawn
    np.testing.assert_array_equal(early["loss"], early_copy)  # views handed out never change


def test_old_evaluation_and_health_rows_are_thinned_the_newest_kept_all(small):
    h = H.History()
    for i in range(1, 1001):
        h.record_eval(iteration=i, epoch=i / 10, train_loss=1.0, train_accuracy=0.5, test_loss=1.0,
                      test_accuracy=0.5, weight_quantiles=np.zeros((2, 7)))
        h.record_health(i, np.ones(2), np.ones(2))
    for col in ("iteration", "health_iteration"):
        it = h.frozen()[col]
        assert len(it) < H.ROWS_MAX and it[-1] == 1000 and it[0] == 1  # first and last always there
        assert np.all(np.diff(it) > 0)  # still in order
        np.testing.assert_array_equal(it[-H.ROWS_MAX // 4:], np.arange(1001 - H.ROWS_MAX // 4, 1001))


def test_a_folded_history_truncates_and_survives_a_file(small):
    want = losses(5_000, 100)
    h = H.History()
    for v in want:
        h.record_step(v)
    assert h.folded > 0
    assert h.folded < 4_900
    cut = h.truncated(4_900)  # among the newest: exact to the iteration
    assert len(cut) == 4_900 and cut.frozen()["loss"][-1] == want[4_899]
    cut = h.truncated(2_001)  # among the blocks: back to the last whole block before it
    assert 2_001 - h.block_size <= len(cut) <= 2_001 and cut.folded == len(cut)
    back = H.History.from_arrays(h.to_arrays())
    assert len(back) == len(h) and back.folded == h.folded and back.first_loss == h.first_loss
    for k, v in h.frozen().items():
        np.testing.assert_array_equal(back.frozen()[k], v)
