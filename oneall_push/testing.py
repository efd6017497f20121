"""pytest fixtures for testing your own code against the local OneAll Push sandbox.

Installed with the package as a pytest plugin (entry point ``oneall_push``), so the fixtures are
available in every test without imports:

``oneall_sandbox`` (session)
    A :class:`~oneall_push.sandbox.Sandbox` served on a free 127.0.0.1 port by a background
    thread: ``base_url``, ``client_kwargs()``, ``token("twitter")``, ``records()``,
    ``requests()``, ``callbacks()``, ``sink_url()``, ``wait_for_sink(n)``,
    ``wait_for_callbacks(n)``, ``wait_for_idle()``, ``hold_callbacks()`` /
    ``release_callbacks()``, ``add_fault("status=503")``, ``clear_faults()``,
    ``add_identity("twitter")``, ``reset()``; X media upload at ``x_media_url`` (state in
    ``x_media``).
``oneall_sandbox_fresh`` (function)
    The same sandbox, reset before the test: no records, no faults but the configured ones.
``oneall_client`` / ``async_oneall_client`` (function)
    A :class:`~oneall_push.OneAll` / :class:`~oneall_push.AsyncOneAll` aimed at the sandbox,
    closed after the test. The async one needs pytest-asyncio.
``oneall_sandbox_config`` (session)
    Override it in your ``conftest.py`` to change the seed, credentials, callback delay or
    start-up faults (return a :class:`~oneall_push.sandbox.SandboxConfig`).

Importing this module is cheap and has no side effects: the sandbox starts only when a test
asks for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from . import OneAll
    from .sandbox import Sandbox, SandboxConfig

__all__ = [
    "oneall_client",
    "oneall_sandbox",
    "oneall_sandbox_config",
    "oneall_sandbox_fresh",
]


@pytest.fixture(scope="session")
def oneall_sandbox_config() -> SandboxConfig:
    """The configuration of the session's sandbox (override to customise)."""
    from .sandbox import SandboxConfig

    return SandboxConfig(callback_delay=0.05, reorder_window=1.0)


@pytest.fixture(scope="session")
def oneall_sandbox(oneall_sandbox_config: SandboxConfig) -> Iterator[Sandbox]:
    """A OneAll Push sandbox on a free loopback port, for the whole session."""
    from .sandbox import Sandbox, SandboxThread

    server = SandboxThread(Sandbox(oneall_sandbox_config), host="127.0.0.1", port=0)
    sandbox = server.start()
    try:
        yield sandbox
    finally:
        server.stop()


@pytest.fixture
def oneall_sandbox_fresh(oneall_sandbox: Sandbox) -> Sandbox:
    """The session's sandbox, reset to its configured start."""
    oneall_sandbox.reset()
    return oneall_sandbox


@pytest.fixture
def oneall_client(oneall_sandbox: Sandbox) -> Iterator[OneAll]:
    """A synchronous client aimed at the sandbox."""
    from . import OneAll
    from ._testing_support import quick_retry_kwargs

    with OneAll(**quick_retry_kwargs(oneall_sandbox)) as client:
        yield client


def pytest_configure(config: pytest.Config) -> None:
    # The async client fixture needs pytest-asyncio: it is registered only where that plugin
    # runs (then asyncio is loaded anyway), so importing this plugin never imports asyncio.
    if config.pluginmanager.has_plugin("asyncio"):
        from . import _testing_async

        if not config.pluginmanager.is_registered(_testing_async):
            config.pluginmanager.register(_testing_async, "oneall_push.async_fixtures")
