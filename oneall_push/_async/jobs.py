"""Jobs for asynchronous uploads: a handle that resolves when OneAll calls back."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Generic, TypeVar

import attrs

from .._backends import AsyncBackend
from ..callbacks.config import CallbackConfig
from ..callbacks.records import JobRecord
from ..endpoints import Endpoint
from ..errors import UnmanagedJobError
from ..models.requests import RequestModel
from ..models.results import QueuedResult, Result

__all__ = ["AsyncCallbackStore", "AsyncJob", "AsyncJobManager"]

R = TypeVar("R", bound=Result)


class AsyncCallbackStore:
    """Where callback results are kept until a waiter takes them."""

    async def close(self) -> None:
        pass


class AsyncJob(Generic[R]):
    """A queued asynchronous upload. ``wait`` returns its typed result."""

    def __init__(
        self,
        record: JobRecord,
        result_type: type[R],
        manager: AsyncJobManager,
        queued: QueuedResult | None = None,
    ) -> None:
        self.record = record
        self.result_type = result_type
        self.queued = queued
        self._manager = manager

    @property
    def id(self) -> str:
        return self.record.id

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.record!r})"

    def with_queued(self, queued: QueuedResult) -> AsyncJob[R]:
        return type(self)(self.record, self.result_type, self._manager, queued)

    async def wait(self, *, timeout: float) -> R:
        """Wait for OneAll's callback and return the typed result."""
        if not self.record.managed:
            raise UnmanagedJobError(
                f"job {self.id} has no managed callback: configure callbacks= on the client "
                "and do not pass callback_url"
            )
        raise UnmanagedJobError("callback stores are not available yet")


class AsyncJobManager:
    def __init__(
        self,
        config: CallbackConfig | None,
        store: AsyncCallbackStore | None,
        backend: AsyncBackend,
    ) -> None:
        self.config = config
        self.store = store
        self._backend = backend

    async def prepare(
        self, endpoint: Endpoint, identity_token: str, payload: RequestModel, result_type: type[R]
    ) -> tuple[AsyncJob[R], RequestModel]:
        caller_url = getattr(payload, "callback_url", None)
        record = JobRecord(
            id=uuid.uuid4().hex,
            endpoint=endpoint.id,
            identity_token=identity_token,
            created=dt.datetime.now(dt.timezone.utc),
            callback_url=caller_url,
            managed=False,
        )
        return AsyncJob(record, result_type, self), attrs.evolve(payload)

    async def abandon(self, job: AsyncJob[R]) -> None:
        pass

    async def close(self) -> None:
        pass
