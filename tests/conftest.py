"""Fixtures shared by both halves of the test suite (defined in ``tests/support/fixtures.py``)."""

from __future__ import annotations

import pytest

pytest_plugins = ["tests.support.fixtures"]


def pytest_configure(config: pytest.Config) -> None:
    # The sandbox fixtures (oneall_sandbox, oneall_sandbox_fresh, ...) come from the package's
    # pytest plugin; register it here when the package is not installed (no entry point).
    import oneall_push.testing as plugin

    if not config.pluginmanager.is_registered(plugin):
        config.pluginmanager.register(plugin, "oneall_push")
