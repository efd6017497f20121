"""Fixtures shared by both halves of the test suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.loopback import ScriptedServer, scripted_server


def pytest_configure(config: pytest.Config) -> None:
    # The sandbox fixtures (oneall_sandbox, oneall_sandbox_fresh, ...) come from the package's
    # pytest plugin; register it here when the package is not installed (no entry point).
    import oneall_push.testing as plugin

    if not config.pluginmanager.is_registered(plugin):
        config.pluginmanager.register(plugin, "oneall_push")


@pytest.fixture(scope="session")
def _scripted_server_session() -> Iterator[ScriptedServer]:
    with scripted_server() as server:
        yield server


@pytest.fixture
def scripted(_scripted_server_session: ScriptedServer) -> ScriptedServer:
    """The loopback server with an empty script and no hits."""
    _scripted_server_session.reset()
    return _scripted_server_session
