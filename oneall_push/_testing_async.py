"""The plugin's async fixture, registered by :mod:`oneall_push.testing` when pytest-asyncio runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest_asyncio

from ._testing_support import quick_retry_kwargs

if TYPE_CHECKING:
    from . import AsyncOneAll
    from .sandbox import Sandbox

__all__ = ["async_oneall_client"]


@pytest_asyncio.fixture
async def async_oneall_client(oneall_sandbox: Sandbox) -> AsyncIterator[AsyncOneAll]:
    """An asynchronous client aimed at the sandbox (needs pytest-asyncio)."""
    from . import AsyncOneAll

    async with AsyncOneAll(**quick_retry_kwargs(oneall_sandbox)) as client:
        yield client
