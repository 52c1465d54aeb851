"""What a model file from elsewhere does not say, asked of the learner.

A PyTorch state_dict holds the layers' shapes, not the hidden activation of a dense stack nor
the pooling and padding between conv layers. :func:`ask_activation` and :func:`ask_spec` show
the file's tensors and return the answer, or None when the learner cancels (then nothing
opens). Nor does a file say how its author scaled the input: :func:`ask_transform` offers the
usual choices when the model has no input transform. Tests and scripts answer by monkeypatching
these functions, as with ``ask_label``.
"""

from __future__ import annotations

import json

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QPlainTextEdit,
                               QVBoxLayout)

from ...model.errors import NNVizError

HIDDEN_CHOICES = ("relu", "sigmoid", "tanh", "linear", "leaky_relu", "elu", "gelu", "silu")
#: (label, input-transform entries) offered for a model without one; the first is the default
TRANSFORM_CHOICES = (
    ("None: pixels 0–1 as they are", {}),
    ("MNIST's usual normalisation: (x − 0.1307) / 0.3081", {"mean": [0.1307], "std": [0.3081]}),
    ("Raw 0–255 pixels (x × 255)", {"scale": 255.0}),
)
#: where the learner starts when no layer stack fits the shapes (the layers are theirs to write)
EMPTY_SPEC = {"input_shape": [1, 8, 8], "layers": [], "output": "softmax", "bias": True}


def tensor_lines(tensors) -> str:
    """``0.weight (16, 64)`` per (name, shape), one a line."""
    return "\n".join(f"{name} ({', '.join(map(str, shape))})" for name, shape in tensors)


def spec_text(spec: dict) -> str:
    """The spec as JSON with one layer a line (``indent`` would give every number a line of its own)."""
    items = []
    for key, value in spec.items():
        if key == "layers" and isinstance(value, list) and value:
            layers = ",\n    ".join(json.dumps(layer) for layer in value)
            items.append(f'  "layers": [\n    {layers}\n  ]')
        else:
            items.append(f"  {json.dumps(key)}: {json.dumps(value)}")
    return "{\n" + ",\n".join(items) + "\n}"


def _tensor_box(tensors, rows: int = 6) -> QPlainTextEdit:
    box = QPlainTextEdit(tensor_lines(tensors))
    box.setObjectName("tensorList")
    box.setReadOnly(True)
    box.setMaximumHeight(box.fontMetrics().lineSpacing() * min(rows, max(2, len(tensors))) + 14)
    return box


def _choice_row(dialog: QDialog, lay: QVBoxLayout, name: str, label: str, items) -> QComboBox:
    """A labelled choice (objectName ``name``) and OK / Cancel under the dialog's text; returns the choice."""
    form = QFormLayout()
    choice = QComboBox()
    choice.setObjectName(name)
    choice.addItems(list(items))
    form.addRow(label, choice)
    lay.addLayout(form)
    box = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
    box.accepted.connect(dialog.accept)
    box.rejected.connect(dialog.reject)
    lay.addWidget(box)
    return choice


class ActivationDialog(QDialog):
    """objectName ``activationDialog``; ``choice`` (``activationChoice``) holds the answer."""

    def __init__(self, file_name: str, tensors, parent=None):
        super().__init__(parent)
        self.setObjectName("activationDialog")
        self.setWindowTitle(f"Open {file_name}")
        lay = QVBoxLayout(self)
        text = QLabel(f"<b>{file_name}</b> holds a dense network's weights. The file does not say which "
                      "activation its hidden layers use: choose the one the model was trained with.")
        text.setWordWrap(True)
        lay.addWidget(text)
        lay.addWidget(_tensor_box(tensors))
        self.choice = _choice_row(self, lay, "activationChoice", "Hidden activation:",
                                  HIDDEN_CHOICES)  # relu first: what PyTorch courses use


class SpecDialog(QDialog):
    """objectName ``specDialog``: the draft spec as editable JSON (``specEdit``). OK hands the spec to
    ``check(spec)``; its result is ``result``, or its one-line error stays shown (``specError``)
    with the dialog open, so a wrong guess can be corrected in place."""

    def __init__(self, file_name: str, tensors, draft: dict | None, check, parent=None):
        super().__init__(parent)
        self.setObjectName("specDialog")
        self.setWindowTitle(f"Open {file_name}")
        self.check, self.result = check, None
        lay = QVBoxLayout(self)
        guess = ("Below is a layer stack that fits every shape (a guess): check the padding and pooling "
                 "against the model's code, correct it, then OK." if draft else
                 "No simple layer stack fits these shapes: write the network's spec below.")
        # said here in the window's words (the CLI's message names its --spec flag instead)
        conv = any(len(shape) == 4 for _, shape in tensors)
        why = ("holds convolution layers. The pooling, flattening and padding between them are not in the file."
               if conv else "holds dense layers whose shapes do not say the whole network: the input's shape "
                            "(its width and height) or the layers' order is not in the file.")
        text = QLabel(f"<b>{file_name}</b> {why} {guess}")
        text.setWordWrap(True)
        lay.addWidget(text)
        lay.addWidget(_tensor_box(tensors))
        self.edit = QPlainTextEdit(spec_text(draft or EMPTY_SPEC))
        self.edit.setObjectName("specEdit")
        self.edit.setMinimumSize(560, 200)
        lay.addWidget(self.edit, 1)
        self.error = QLabel()
        self.error.setObjectName("specError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c0392b")
        self.error.hide()
        lay.addWidget(self.error)
        box = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        box.accepted.connect(self.try_accept)
        box.rejected.connect(self.reject)
        lay.addWidget(box)

    def try_accept(self) -> bool:
        """Check the text as a spec; accept when it makes the network, else show why."""
        try:
            spec = json.loads(self.edit.toPlainText())
            if not isinstance(spec, dict):
                raise ValueError("a spec is a JSON object with \"input_shape\" and \"layers\"")
            self.result = self.check(spec)
        except ValueError as e:  # json's errors say the line and column
            return self._refuse(f"Not a JSON spec: {e}")
        except (NNVizError, TypeError, KeyError) as e:  # a spec of the wrong types
            return self._refuse(str(e) or type(e).__name__)
        self.accept()
        return True

    def _refuse(self, message: str) -> bool:
        self.error.setText(message.splitlines()[0][:400])
        self.error.show()
        return False


def ask_activation(file_name: str, tensors, parent=None) -> str | None:
    """The hidden activation the learner chose (one of HIDDEN_CHOICES), or None."""
    dialog = ActivationDialog(file_name, tensors, parent)
    return dialog.choice.currentText() if dialog.exec() == QDialog.Accepted else None


def ask_spec(file_name: str, tensors, draft: dict | None, check, parent=None):
    """``check(spec)`` of the spec the learner confirmed (asked again while it raises), or None."""
    dialog = SpecDialog(file_name, tensors, draft, check, parent)
    return dialog.result if dialog.exec() == QDialog.Accepted else None


class TransformDialog(QDialog):
    """objectName ``transformDialog``: how the model's author scaled the input (``transformChoice``,
    :data:`TRANSFORM_CHOICES`; default none)."""

    def __init__(self, file_name: str, parent=None):
        super().__init__(parent)
        self.setObjectName("transformDialog")
        self.setWindowTitle(f"Open {file_name}")
        lay = QVBoxLayout(self)
        text = QLabel(f"<b>{file_name}</b> does not say how its author scaled the input images. nnviz's "
                      "pixels are 0 (black) to 1 (white); many models were trained on normalised or on "
                      "raw 0–255 pixels, and read others worse. Which did this one use?")
        text.setWordWrap(True)
        lay.addWidget(text)
        self.choice = _choice_row(self, lay, "transformChoice", "Input:", [label for label, _ in TRANSFORM_CHOICES])

    def entries(self) -> dict:
        return dict(TRANSFORM_CHOICES[self.choice.currentIndex()][1])


def ask_transform(file_name: str, parent=None) -> dict | None:
    """The input-transform entries the learner chose ({} for none), or None when cancelled."""
    dialog = TransformDialog(file_name, parent)
    return dialog.entries() if dialog.exec() == QDialog.Accepted else None
