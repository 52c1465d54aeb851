"""nnviz: see a neural network learn.

`nnviz.model` is the NumPy model (no Qt); `nnviz.qt` is the desktop app.
"""

__version__ = "0.1.0"
