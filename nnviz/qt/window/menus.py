"""The menu bar and toolbar, built from the action table, and the Help dialogs.

``build_window_menus(win)`` takes the window (its actions, docks, editor and controllers)
and returns the pieces the window keeps updating: the recent-files menu, the lesson and
palette actions, and the lesson chooser.
"""

from __future__ import annotations

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QMessageBox, QToolBar

from ... import __version__
from ...model.lessons import LESSONS
from ..graphics.palettes import PALETTES
from .action_table import TOOLBAR, build_menus, make_action


def build_window_menus(win):
    """(recent menu, {lesson: action}, {palette: action}, lesson combo box) for ``win``."""
    a, made = win.actions, {}

    def editor(menu):
        ed = win.pixel_editor
        menu.addActions([ed.clear_action, ed.invert_action])  # its Undo and Redo are Edit ▸ Undo's

    def recent(menu):
        made["recent"] = menu.addMenu("Open &recent")

    def export_panel(menu):
        sub = menu.addMenu("Export &panel as PNG (2×)")
        for key, dock in win.docks.items():
            sub.addAction(dock.windowTitle(), lambda k=key: win.exports.export_panel(k))
        sub.addAction("Activations", lambda: win.exports.export_panel("activationView"))

    def lessons(menu):
        group, made["lessons"] = QActionGroup(win), {}
        for i, (name, lesson) in enumerate(LESSONS.items(), start=1):
            act = make_action(win, lesson.title, lambda _=False, n=name: win.choose_lesson(n),
                              QKeySequence(f"Ctrl+{i}"), lesson.description[:120] + "…", checkable=True)
            group.addAction(act)
            menu.addAction(act)
            made["lessons"][name] = act

    def docks(menu):
        menu.addActions([dock.toggleViewAction() for dock in win.docks.values()])

    def palette(menu):
        pm = menu.addMenu("&Palette")
        group, made["palettes"] = QActionGroup(win), {}
        for name in PALETTES:
            act = make_action(win, name, lambda _=False, n=name: win.set_palette(n), checkable=True)
            group.addAction(act)
            pm.addAction(act)
            made["palettes"][name] = act

    build_menus(win.menuBar(), a, {"editor": editor, "recent": recent, "export_panel": export_panel,
                                   "lessons": lessons, "docks": docks, "palette": palette})
    tb = QToolBar("Lesson and training", win)
    tb.setObjectName("mainToolBar")
    tb.addWidget(QLabel(" Lesson: "))
    combo = QComboBox()
    combo.setObjectName("lessonCombo")
    for name, lesson in LESSONS.items():
        combo.addItem(lesson.title, name)
    combo.activated.connect(lambda i: win.choose_lesson(combo.itemData(i)))
    tb.addWidget(combo)
    tb.addSeparator()
    tb.addActions([a[k] for k in TOOLBAR])
    win.addToolBar(tb)
    return made["recent"], made["lessons"], made["palettes"], combo


def show_about(parent) -> None:
    QMessageBox.about(parent, "About nnviz",
                      f"<b>nnviz {__version__}</b><p>See a neural network learn: paint an input, watch "
                      "every layer respond, see each neuron's weights, and step gradient descent.</p>"
                      "<p>Lessons after Frontend Masters' <i>Hard Parts of AI</i>, 3Blue1Brown's "
                      "<i>But what is a neural network?</i> and a 2018 meetup talk on TensorFlow. "
                      "Data: UCI optical digits, MNIST (see resources/ATTRIBUTION.md).</p>")


def show_shortcuts(parent) -> None:
    """Every action with a shortcut, in a table."""
    rows = []
    for act in parent.findChildren(QAction):
        keys = ", ".join(k.toString(QKeySequence.NativeText) for k in act.shortcuts())
        if keys and act.text():
            rows.append(f"<tr><td>{act.text().replace('&', '')}</td><td><b>{keys}</b></td></tr>")
    QMessageBox.information(parent, "Keyboard shortcuts", "<table>" + "".join(sorted(set(rows))) + "</table>")
