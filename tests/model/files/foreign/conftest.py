"""What the foreign-reader fuzz tests share."""

import tracemalloc

import pytest


@pytest.fixture
def small_peak(request):
    """Fails the test when it allocated more than its module's PEAK_BYTES: a hostile size believed."""
    tracemalloc.start()
    yield
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    limit = request.module.PEAK_BYTES
    assert peak < limit, f"{peak:,} bytes allocated"
