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


_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture(autouse=True)
def _no_proxy_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # The clients honour the proxy variables; the suite talks to loopback only, whatever the
    # machine's settings. The proxy tests set them themselves.
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
