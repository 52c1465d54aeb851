import os

# Qt must never need a screen in tests; set before PySide6 is imported anywhere.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from hypothesis import HealthCheck, settings

from tests.fuzzing import THOROUGH

# Hypothesis runs every property with one of two profiles, never numbers per file: "default"
# (the same cases every run, enough to catch what the fuzzers have found) and "thorough" (ten
# times as many, new ones each run), chosen by NNVIZ_THOROUGH=1 or --hypothesis-profile=thorough.
_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture]
settings.register_profile("default", max_examples=100, derandomize=True, database=None, deadline=None,
                          suppress_health_check=_QUIET)
settings.register_profile("thorough", max_examples=1000, database=None, deadline=None, suppress_health_check=_QUIET)
settings.load_profile("thorough" if THOROUGH else "default")


#: fixtures that build the whole main window (0.5–1 s each on a fresh machine before the test starts)
WHOLE_WINDOW = {"make_window", "shared_window", "laptop"}


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist turns xdist_group marks into its groups
def pytest_collection_modifyitems(items):
    """A test that builds the whole window is ``slow`` (the fast tier runs the model and single
    views); tests marked ``timing`` share one worker, so no two time bounds are measured at once."""
    for item in items:
        if WHOLE_WINDOW & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
        if item.get_closest_marker("timing"):
            item.add_marker(pytest.mark.xdist_group("timing"))


@pytest.fixture(autouse=True)
def _collect_between_tests():
    """Once a Qt test has started a thread, the collector runs only from the GUI thread's timer
    (nnviz.qt.gui_collector); tests that run no event loop get their collections here."""
    yield
    from nnviz.collector import collect_due

    collect_due()
