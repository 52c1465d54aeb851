"""nnviz: see a neural network learn.

`nnviz.model` is the NumPy model (no Qt); `nnviz.qt` is the desktop app.
"""

import os

# One BLAS thread per Python thread. The nets are small, so BLAS threads gain little, and in
# the app the training thread and the painting thread both call BLAS: OpenBLAS's spinning
# worker threads then fight over the cores (measured: a GUI-thread forward pass 10× slower
# while training ran). Must be set before NumPy loads; a user's explicit setting wins.
for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

__version__ = "0.1.0"
