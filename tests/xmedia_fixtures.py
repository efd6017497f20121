"""X media sandbox fixtures, shared by both halves (a plugin: ``pytest_plugins``).

The sandbox runs on a free 127.0.0.1 port in a background thread with its own event loop, so
the generated sync tests use it as well.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from oneall_push.sandbox.xmedia import XMediaSandbox
from tests.xmedia_tokens import X_TOKEN, X_TOKEN_NO_SCOPE


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
