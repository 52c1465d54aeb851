"""UndoStack: the bookkeeping the canvas and the learner's examples share."""

from nnviz.model.undo import UndoStack


def _editor(limit=None):
    """A number that edits add to, with snapshot steps (the canvas's way)."""
    state = {"value": 0}
    stack = UndoStack(limit)

    def edit(delta):
        stack.push(state["value"])  # the state to go back to
        state["value"] += delta

    def swap(previous):
        now, state["value"] = state["value"], previous
        return now

    return state, stack, edit, swap


def test_undo_and_redo_walk_back_and_forth_through_the_steps():
    state, stack, edit, swap = _editor()
    assert not stack.can_undo and not stack.can_redo and stack.undo(swap) is False and stack.redo(swap) is False
    for d in (1, 10, 100):
        edit(d)
    assert state["value"] == 111 and stack.can_undo and not stack.can_redo
    assert stack.undo(swap) and state["value"] == 11
    assert stack.undo(swap) and state["value"] == 1
    assert stack.redo(swap) and state["value"] == 11 and stack.can_redo
    assert stack.undo(swap) and stack.undo(swap) and state["value"] == 0
    assert not stack.can_undo and stack.undo(swap) is False and state["value"] == 0
    assert stack.redo(swap) and stack.redo(swap) and stack.redo(swap) and state["value"] == 111
    assert stack.redo(swap) is False


def test_a_new_step_after_undo_clears_redo():
    state, stack, edit, swap = _editor()
    edit(1)
    edit(2)
    stack.undo(swap)
    edit(5)
    assert state["value"] == 6 and not stack.can_redo and stack.can_undo


def test_the_limit_keeps_only_the_newest_steps():
    state, stack, edit, swap = _editor(limit=2)
    for d in (1, 2, 4):
        edit(d)
    assert stack.undo(swap) and stack.undo(swap) and state["value"] == 1
    assert stack.undo(swap) is False  # the first step was dropped
    _, none, edit0, swap0 = _editor(limit=0)
    edit0(1)
    assert not none.can_undo and none.undo(swap0) is False


def test_replayable_steps_are_their_own_way_back():
    """The examples' way: a step is an edit; undo applies its inverse, redo applies it again."""
    items, stack = [], UndoStack()

    def apply(step, inverse=False):
        kind, x = step
        if (kind == "add") != inverse:
            items.append(x)
        else:
            items.remove(x)
        return step

    for x in "ab":
        stack.push(apply(("add", x)))
    stack.push(apply(("remove", "a")))
    assert items == ["b"]
    assert stack.undo(lambda s: apply(s, inverse=True)) and items == ["b", "a"]
    assert stack.undo(lambda s: apply(s, inverse=True)) and items == ["a"]
    assert stack.redo(apply) and items == ["a", "b"]
