"""Comparing networks' parameters in tests: a trainer's, copied, and two lists of them exactly."""

import numpy as np


def weights(t):
    """Copies of a trainer's weights then biases, in layer order."""
    return [w.copy() for w in t.network.weights] + [b.copy() for b in t.network.biases]


def assert_same(a, b):
    """The same arrays, bit for bit (a run kept and brought back is the very same run)."""
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
