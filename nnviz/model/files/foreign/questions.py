"""The refusals that ask a question: a file whose tensors do not say the whole network, and
what the caller (a dialog, the CLI's ``--activation`` / ``--spec``) must supply."""

from __future__ import annotations

from ...errors import DataFormatError


class NeedsArchitecture(DataFormatError):
    """The file's tensors do not say the whole network; the caller must supply what is ``missing``.

    ``missing`` is "activation" (a dense stack: pass ``activation=``, the CLI's ``--activation``)
    or "spec" (a conv stack: pass ``spec=``, the CLI's ``--spec FILE``). ``tensors`` lists the
    parameter tensors as ``(name, shape)`` in layer order; ``draft`` is a spec of the layers the
    shapes show (conv layers with padding 0 and no pooling: the learner completes it), or None.
    """

    missing = ""

    def __init__(self, path, problem: str, tensors=(), draft: dict | None = None):
        super().__init__(path, problem)
        self.tensors = [(str(n), tuple(s)) for n, s in tensors]
        self.draft = draft


class NeedsActivation(NeedsArchitecture):
    """A dense stack whose hidden activation the file does not say."""

    missing = "activation"


class NeedsSpec(NeedsArchitecture):
    """A conv stack: the pooling, flattening and padding between its layers are not in the file."""

    missing = "spec"
