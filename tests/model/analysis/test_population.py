"""The smile population: counts against a direct loop, groups that partition all 4,096 pictures."""

import itertools

import numpy as np
import pytest

from nnviz.model.data.datasets import SMILE_TEST, SMILE_TRAIN, face
from nnviz.model.lessons import get_lesson
from nnviz.model.analysis.population import (
    KINDS, MOUTH_KIND, N_MOUTHS, mouth_ids, mouth_kind, mouth_rows, run_population, sample_kinds,
)


def trained_smile(steps=12):
    t = get_lesson("smile").build(seed=0)
    for _ in range(steps):
        t.step()
    return t


def all_pictures():
    """Every 3×4 picture built pixel by pixel (independent of smile_population)."""
    for bits in itertools.product((0.0, 1.0), repeat=12):
        yield np.array(bits[::-1], np.float32)  # reversed: any order works, the set is what matters


# The kinds, written out as pictures of the two mouth rows (top row, bottom row).
EXPECTED = {
    "smiling": [("#.#", ".#."), ("#.#", "###"), ("#.#", "##."), ("#.#", ".##")],
    "frowning": [(".#.", "#.#"), ("###", "#.#"), ("##.", "#.#"), (".##", "#.#")],
    "straight": [("###", "..."), ("...", "###")],
    "no mouth": [("...", "...")],
}


@pytest.mark.parametrize("steps", [0, 1, 12])
def test_count_equals_a_direct_count(steps):
    t = trained_smile(steps)
    pop = run_population(t.network)
    w = t.network.weights[0][0].astype(np.float64)
    direct = 0
    for img in all_pictures():
        output = sum(float(wi) * float(xi) for wi, xi in zip(w, img))
        direct += output > 0
    assert pop.count == direct
    assert len(pop.images) == 4096 and len({tuple(r) for r in pop.images}) == 4096


def test_mouth_groups_and_kinds_partition_all_4096():
    pop = run_population(trained_smile().network)
    groups = [pop.group(m) for m in range(N_MOUTHS)]
    assert [len(g) for g in groups] == [64] * 64
    assert np.sort(np.concatenate(groups)).tolist() == list(range(4096))
    kinds = [np.flatnonzero(pop.kind == k) for k in range(len(KINDS))]
    assert np.sort(np.concatenate(kinds)).tolist() == list(range(4096))
    table = pop.kind_table()
    assert sum(r["images"] for r in table) == 4096 and sum(r["smiles"] for r in table) == pop.count
    assert sum(r["mouths"] for r in table) == 64
    for k, r in enumerate(table):
        assert r["smiles"] == int(pop.smile[kinds[k]].sum()) and r["images"] == 64 * r["mouths"]
        assert sorted(pop.kind_mouths(k).tolist()) == sorted(set(pop.mouth[kinds[k]].tolist()))
    # every picture in a group really has that mouth
    for m in (0, 5, 63):
        assert all((pop.images[i].reshape(4, 3)[2:] == mouth_rows(m)).all() for i in pop.group(m))


def test_kinds_are_the_written_out_mouths():
    for kind, mouths in EXPECTED.items():
        ids = {int(mouth_ids(face("...", "...", top, bottom)[None])[0]) for top, bottom in mouths}
        assert {m for m in range(64) if KINDS[mouth_kind(m)] == kind} == ids
    assert int((MOUTH_KIND == KINDS.index("other")).sum()) == 64 - sum(len(v) for v in EXPECTED.values())


def test_the_lesson_faces_fall_in_the_expected_kinds():
    kinds = [KINDS[MOUTH_KIND[mouth_ids(x[None])[0]]] for x, _ in SMILE_TRAIN + SMILE_TEST]
    assert kinds == ["smiling", "smiling", "straight", "straight",
                     "smiling", "smiling", "frowning", "other", "straight"]
    d = trained_smile(0).dataset
    rows = sample_kinds(d.x_train, d.y_train)
    assert [(r["kind"], r["smiles"], r["not"]) for r in rows] == [
        ("smiling", 2, 0), ("frowning", 0, 0), ("straight", 0, 2), ("no mouth", 0, 0), ("other", 0, 0)]


def test_group_share_is_the_share_called_a_smile():
    pop = run_population(trained_smile().network)
    share = pop.group_share()
    for m in range(64):
        idx = [i for i in range(4096) if pop.mouth[i] == m]
        assert share[m] == pytest.approx(np.mean([pop.outputs[i] > 0 for i in idx]))
