"""Fixtures shared by both halves of the test suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.loopback import ScriptedServer, scripted_server


@pytest.fixture(scope="session")
def _scripted_server_session() -> Iterator[ScriptedServer]:
    with scripted_server() as server:
        yield server


@pytest.fixture
def scripted(_scripted_server_session: ScriptedServer) -> ScriptedServer:
    """The loopback server with an empty script and no hits."""
    _scripted_server_session.reset()
    return _scripted_server_session
