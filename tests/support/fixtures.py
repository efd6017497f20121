"""Fixtures shared by both halves, registered by ``tests/conftest.py``.

The servers run on free 127.0.0.1 ports in background threads with their own event loops, so
the generated sync tests use them as well.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from oneall_push.sandbox.xmedia import XMediaSandbox
from tests.support.loopback import ScriptedServer, scripted_server
from tests.support.x_tokens import X_TOKEN, X_TOKEN_NO_SCOPE


@pytest.fixture(scope="session")
def _scripted_server_session() -> Iterator[ScriptedServer]:
    with scripted_server() as server:
        yield server


@pytest.fixture
def scripted(_scripted_server_session: ScriptedServer) -> ScriptedServer:
    """The loopback server with an empty script and no hits."""
    _scripted_server_session.reset()
    return _scripted_server_session


@pytest.fixture(scope="session")
def _x_sandbox_session() -> Iterator[XMediaSandbox]:
    sandbox = XMediaSandbox(
        tokens=(X_TOKEN,), scopeless_tokens=(X_TOKEN_NO_SCOPE,), check_after_secs=0
    )
    with sandbox.serve_in_thread():
        yield sandbox


@pytest.fixture
def x_sandbox(_x_sandbox_session: XMediaSandbox) -> XMediaSandbox:
    """The session's X media sandbox, reset: no uploads, no faults, instant processing steps."""
    _x_sandbox_session.reset()
    return _x_sandbox_session
