"""The Smile population tab: its numbers are the model's; clicks browse kinds, mouths and faces."""

import numpy as np
from PySide6.QtCore import Qt

from nnviz.model.data.datasets import smile_population
from nnviz.model.lessons import get_lesson
from nnviz.model.analysis.population import KINDS, MOUTH_KIND, run_population, sample_kinds
from nnviz.qt.explore.population_view import ALL, PopulationView
from tests.qt.conftest import shown


def trained(lesson, n):
    t = get_lesson(lesson).build(seed=0)
    for _ in range(n):
        t.step()
    return t, t.snapshot(lesson=lesson)


def click_item(qtbot, view, item):
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=view.visualItemRect(item).center())


def test_header_and_kinds_table_are_the_models_numbers(qtbot):
    t, snap = trained("smile", 12)
    v = shown(qtbot, PopulationView(), 560, 800)
    v.set_lesson(t.dataset)
    v.show_snapshot(snap, None)
    net = snap.network()
    direct = sum(1 for img in smile_population() if net.predict(img[None])[0, 0] > 0)
    assert f"the network calls <b>{direct:,} of 4,096</b>" in v.header.text()
    assert "sample of 4 faces (2 smiles, 2 not)" in v.header.text()
    table = run_population(net).kind_table()
    sample = sample_kinds(t.dataset.x_train, t.dataset.y_train)
    for k, row in enumerate(table):
        assert v.kinds.item(k, 0).text() == KINDS[k]
        assert v.kinds.item(k, 1).text().startswith(f"{row['smiles']:,} of {row['images']:,}")
        seen = sample[k]["smiles"] + sample[k]["not"]
        assert (v.kinds.item(k, 2).text() == "none: never checked") == (seen == 0)
    assert v.kinds.item(len(KINDS), 1).text().startswith(f"{direct:,} of 4,096")
    assert v.kinds.item(KINDS.index("smiling"), 2).text() == "2 smiles, 0 not"
    assert v.kinds.item(KINDS.index("straight"), 2).text() == "0 smiles, 2 not"
    assert "frowning, no mouth, other" in v.lesson_label.text()
    unseen = sum(r["images"] for r in table if r["kind"] in ("frowning", "no mouth", "other"))
    assert f"those {unseen:,} pictures" in v.lesson_label.text()


def test_kind_then_mouth_then_face_loads_that_picture(qtbot):
    t, snap = trained("smile", 12)
    v = shown(qtbot, PopulationView(), 560, 900)
    v.set_lesson(t.dataset)
    v.show_snapshot(snap, None)
    assert v.groups.count() == 64  # all mouths at first
    pop = run_population(snap.network())
    # click the "straight" row of the kinds table
    k = KINDS.index("straight")
    qtbot.mouseClick(v.kinds.viewport(), Qt.LeftButton, pos=v.kinds.visualItemRect(v.kinds.item(k, 1)).center())
    assert v.kind == k and v.groups.count() == int((MOUTH_KIND == k).sum()) == 2
    mouths = [int(v.groups.item(i).data(Qt.UserRole)) for i in range(v.groups.count())]
    assert all(MOUTH_KIND[m] == k for m in mouths)
    share = pop.group_share()
    assert [v.groups.item(i).text() for i in range(2)] == [f"{int(round(share[m] * 64))}/64" for m in mouths]
    # click a mouth: its 64 faces, framed by the network's verdict
    click_item(qtbot, v.groups, v.groups.item(1))
    m = mouths[1]
    assert v.mouth == m and v.faces.count() == 64
    faces = [int(v.faces.item(i).data(Qt.UserRole)) for i in range(64)]
    assert sorted(faces) == sorted(pop.group(m).tolist())
    n = int(pop.smile[faces].sum())
    assert f"<b>{n} of its 64 faces</b>" in v.group_label.text()
    # the two straight-mouthed training faces are marked
    marked = [f for i, f in enumerate(faces) if v.faces.item(i).text() == "sample"]
    train = [int((x > 0.5).astype(int) @ (1 << np.arange(12))) for x in t.dataset.x_train]
    assert sorted(marked) == sorted(f for f in train if f in faces)
    # click a face: loadInput carries exactly that picture
    got, status = [], []
    v.loadInput.connect(got.append)
    v.statusMessage.connect(status.append)
    item = v.faces.item(9)
    click_item(qtbot, v.faces, item)
    i = int(item.data(Qt.UserRole))
    np.testing.assert_array_equal(got[0], smile_population()[i])
    assert got[0].dtype == np.float32 and got[0].shape == (12,)
    assert ("not a smile" in status[0]) == (not pop.smile[i])
    # back to all mouths via the last row
    qtbot.mouseClick(v.kinds.viewport(), Qt.LeftButton,
                     pos=v.kinds.visualItemRect(v.kinds.item(len(KINDS), 0)).center())
    assert v.kind == ALL and v.groups.count() == 64


def test_selection_survives_a_new_snapshot(qtbot):
    t, snap = trained("smile", 1)
    v = shown(qtbot, PopulationView(), 560, 800)
    v.set_lesson(t.dataset)
    v.show_snapshot(snap, None)
    v.choose_kind(KINDS.index("frowning"))
    m = int(v.groups.item(0).data(Qt.UserRole))
    v.choose_group(m)
    before = [v.faces.item(i).toolTip() for i in range(64)]
    for _ in range(11):
        t.step()
    later = t.snapshot(lesson="smile")
    v.show_snapshot(later, None)
    assert v.kind == KINDS.index("frowning") and v.mouth == m and v.faces.count() == 64
    pop = run_population(later.network())
    frown_smiles = int(pop.smile[pop.kind == KINDS.index("frowning")].sum())
    assert v.kinds.item(KINDS.index("frowning"), 1).text().startswith(f"{frown_smiles} of 256")
    assert before != [v.faces.item(i).toolTip() for i in range(64)]  # the outputs moved


def test_other_lessons_get_one_clear_line(qtbot):
    t, snap = trained("digits", 1)
    v = shown(qtbot, PopulationView(), 400, 300)
    v.set_lesson(t.dataset)
    v.show_snapshot(snap, None)
    assert "smile lesson" in v.header.text() and "4,096" in v.header.text()
    assert v.groups.count() == 0 and not v.kinds.isVisible() and not v.faces.isVisible()
    s, snap2 = trained("smile", 12)
    v.set_lesson(s.dataset)
    v.show_snapshot(snap2, None)
    assert v.kinds.isVisible() and v.groups.count() == 64


def test_every_cell_of_the_table_is_shown_whole_in_a_narrow_dock(qtbot):
    """At 1366×768 the dock is about 330 pixels wide: the last column was cut to "ng sa" over "2 s…"."""
    from PySide6.QtCore import QRect

    t = get_lesson("smile").build(seed=0)
    t.step()
    v = shown(qtbot, PopulationView(), 330, 640)
    v.set_lesson(t.dataset)
    v.show_snapshot(t.snapshot(lesson="smile"), None)
    qtbot.wait(50)
    table, fm = v.kinds, v.kinds.fontMetrics()
    header = table.horizontalHeader()
    assert header.length() <= table.viewport().width()  # no column beyond the table's edge
    for j in range(table.columnCount()):
        for line in table.horizontalHeaderItem(j).text().split("\n"):
            assert fm.horizontalAdvance(line) <= header.sectionSize(j), line
        for i in range(table.rowCount()):
            item = table.item(i, j)
            room = QRect(0, 0, table.columnWidth(j) - 6 - (34 if j == 0 else 0), 10_000)
            need = fm.boundingRect(room, Qt.TextWordWrap, item.text())
            assert need.width() <= room.width() and need.height() <= table.rowHeight(i), item.text()
