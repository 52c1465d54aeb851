"""The window's actions as one table (text, shortcut, tooltip, objectName), and the menus.

Tools and tests find actions by objectName (``stepAction``, ``runAction`` …); a row's slot
is a name the window maps to a callable, so the table stays data.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

from ..views.actions import make_action

#: key -> (text, shortcut(s) or None, tooltip, objectName, checkable)
ACTIONS = {
    "step": ("&Step", [Qt.Key_Right, Qt.Key_N], "Train exactly one iteration (one mini-batch)", "stepAction", False),
    "step_n": ("Step ×&N", "Shift+Right", "Train N iterations", "stepNAction", False),
    "run": ("&Run", Qt.Key_Space, "Run or pause training", "runAction", False),
    "reset": ("R&eset", Qt.Key_R, "Fresh weights from the seed; the same seed replays the same run "
              "(Undo brings the run back)", "resetAction", False),
    # Shift+R, beside R: Ctrl+Z is Edit ▸ Undo, the learner's last action whatever it was
    "undo_run": ("&Undo reset or rebuild", "Shift+R", "Bring back the run the last reset, rebuild, opened "
                 "model or continue-from-here replaced; again to swap back", "undoRunAction", False),
    "undo": ("&Undo", QKeySequence.Undo, "Take back your last action, whatever it was: a stroke, an example, a "
             "weight set by hand, a reset or rebuild", "undoAction", False),
    "redo": ("&Redo", [QKeySequence("Ctrl+Shift+Z"), QKeySequence.Redo], "Do again what Undo took back",
             "redoAction", False),
    "open": ("&Open model…", QKeySequence.Open, "", "", False),
    "save": ("&Save model…", QKeySequence.Save, "", "", False),
    "export_safetensors": ("Export model as safe&tensors…", None, "The network for PyTorch (its spec in the "
                           "metadata; the README shows the three lines that load it)", "exportSafetensorsAction",
                           False),
    "export_onnx": ("Export model as O&NNX…", None, "The network as an ONNX graph (needs the onnx package)",
                    "exportOnnxAction", False),
    "open_data": ("Open &dataset…", "Ctrl+Shift+O",
                  "Train on other images of the same size: MNIST IDX files or an nnviz .npz", "", False),
    "export": ("&Export view as PNG…", "Ctrl+E", "", "", False),
    "save_lesson": ("Save &lesson file…", "Ctrl+Shift+S", "One .nnviz file with the settings, seed, weights, "
                    "history and your examples, to hand a prepared moment to a class", "", False),
    "open_lesson": ("Open lesson &file…", "Ctrl+L", "Open a .nnviz lesson file", "", False),
    "export_gif": ("Export weights &animation (GIF)…", None,
                   "The weight panel over a range of past iterations, as an animated GIF", "", False),
    "quit": ("&Quit", QKeySequence.Quit, "", "", False),
    "add_example": ("&Add drawing to training set…", "Ctrl+Return",
                    "Label the painted input and add it to the training data", "", False),
    "export_examples": ("E&xport my examples…", None, "Save the examples you added as an .npz file", "", False),
    "import_examples": ("&Import examples…", None, "Add examples from an .npz file exported by nnviz", "", False),
    "remove_example": ("Re&move selected example", "Ctrl+Backspace",
                       "Remove the selected one of your own examples (undoable)", "", False),
    "undo_example": ("Undo example change", "Ctrl+Alt+Z", "Undo adding or removing an example", "", False),
    "redo_example": ("Redo example change", "Ctrl+Alt+Shift+Z", "Redo adding or removing an example", "", False),
    "guide": ("&Guide to this lesson", QKeySequence.HelpContents, "The lesson step by step: what to look at, "
              "what to try, and a Show me button for each step", "guideAction", False),
    "guide_file": ("Open guide &file…", None, "A walk-through of your own (JSON, the guide format); Save lesson "
                   "file hands it to a class with the network", "", False),
    "about": ("&About nnviz", None, "", "", False),
    "shortcuts": ("&Keyboard shortcuts", "Ctrl+F1", "", "", False),
    "reset_layout": ("Reset &layout", None, "Every panel back where it was at the first start, at its first size",
                     "resetLayoutAction", False),
    "delta": ("Show last &change (ΔW)", "D", "Show what the last iteration changed instead of the weights", "",
              True),
    "pre": ("Show &pre-activations", "P", "Show z = w·a + b instead of the activations", "", True),
}

#: menu title -> entries: an action key, "-" for a separator, or "@name" for a submenu the window fills
MENUS = {
    "&File": ["open", "save", "export_safetensors", "export_onnx", "@recent", "open_data", "-", "import_examples",
              "export_examples", "-", "open_lesson", "save_lesson", "-", "export", "@export_panel", "export_gif",
              "-", "quit"],
    "&Edit": ["undo", "redo", "-", "@editor", "-", "add_example", "remove_example"],
    "&Lesson": ["@lessons"],
    "&Training": ["step", "step_n", "run", "reset", "undo_run"],
    "&View": ["@docks", "reset_layout", "-", "delta", "pre", "@palette"],
    "&Help": ["guide", "guide_file", "-", "shortcuts", "about"],
}
TOOLBAR = ["step", "step_n", "run", "reset"]


def build_actions(parent, slots: dict) -> dict[str, QAction]:
    """Every ACTIONS row as a QAction on ``parent``; ``slots`` maps keys to callables (checkable
    actions without a slot are connected by the caller through ``toggled``)."""
    out = {}
    for key, (text, shortcut, tip, name, checkable) in ACTIONS.items():
        out[key] = make_action(parent, text, slots.get(key), shortcut, tip, checkable, name)
        parent.addAction(out[key])
    return out


def build_menus(menubar, actions: dict, submenus: dict) -> dict:
    """The MENUS table in ``menubar``; ``submenus`` maps "@name" entries to a function
    ``fill(menu)`` that adds actions to the menu (or builds a submenu). Returns title -> QMenu."""
    menus = {}
    for title, entries in MENUS.items():
        menu = menus[title] = menubar.addMenu(title)
        for entry in entries:
            if entry == "-":
                menu.addSeparator()
            elif entry.startswith("@"):
                submenus[entry[1:]](menu)
            else:
                menu.addAction(actions[entry])
    return menus
