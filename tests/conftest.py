"""Shared test set-up: hypothesis profiles, the slow marker, and outside tools.

* ``HYPOTHESIS_PROFILE=deep`` (``make test-deep``) runs many more examples than the default.
* Tests marked ``slow`` run with ``--run-slow`` (``make test-all``) and always under CI=true.
* ``need(module_or_program)`` skips a test when an outside tool is missing — but never under
  CI=true, where a missing tool is a failure.
* An op that is not built in, ``atan`` (``atan_op.py``), is registered before collection, so
  every test generated from the op table covers it too; the ``atan_op`` fixture returns it.
"""
import importlib
import os
import shutil

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("deep", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_configure(config):
    import atan_op
    atan_op.registered()  # before collection: the table-driven tests pick it up


@pytest.fixture
def atan_op():
    """The registered ``atan`` Op (see atan_op.py): check that a new op reaches your module."""
    import atan_op as module
    return module.registered()


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", default=False,
                     help="also run tests marked slow (always on under CI=true)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-slow") or IN_CI:
        return
    skip = pytest.mark.skip(reason="slow: run with --run-slow or make test-all")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def need(tool: str):
    """Import a module, or find a program on PATH ("program:dot"); skip if missing, except in CI."""
    if tool.startswith("program:"):
        program = tool.split(":", 1)[1]
        found = shutil.which(program)
        if found:
            return found
        reason = f"the {program!r} program is not installed"
    else:
        try:
            return importlib.import_module(tool)
        except ImportError:
            reason = f"the Python package {tool!r} is not installed"
    if IN_CI:
        pytest.fail(f"{reason}, and CI=true requires it (make test installs it)")
    pytest.skip(reason)
