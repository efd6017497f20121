"""Jobs for asynchronous uploads: a handle that resolves when OneAll calls back.

An asynchronous endpoint (``twitter.upload_video``, ``youtube.upload_video``) answers "queued"
and POSTs the result to a callback URL minutes later. With ``callbacks=CallbackConfig(...)`` on
the client, the job manager gives each job an id and a signed callback URL, registers the job
in the store before the POST is sent, and returns a job handle whose ``wait`` returns
the typed result. A caller-given ``callback_url`` makes the job unmanaged: it is sent as is,
and ``wait`` raises :class:`~oneall_push.errors.UnmanagedJobError`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

import attrs

from .._io import AsyncBackend
from .._validate import seconds
from ..errors import (
    APIError,
    ConnectError,
    JobNotFoundError,
    JobTimeoutError,
    RequestValidationError,
    ServerError,
    UnmanagedJobError,
)
from ..models.results import QueuedResult, Result, VideoResult

# The callback machinery (records, outcomes, stores, signing) loads when a client is built or a
# job is made, not when the client class is imported.
if TYPE_CHECKING:
    from ..callbacks.config import CallbackConfig
    from ..callbacks.records import JobRecord
    from ..endpoints import Endpoint
    from ..models.requests import RequestModel
    from .stores import AsyncCallbackStore

__all__ = ["AsyncJob", "AsyncJobManager"]

logger = logging.getLogger("oneall_push.callbacks")

R = TypeVar("R", bound=Result)


@attrs.frozen(eq=False)
class AsyncJob(Generic[R]):
    """A queued asynchronous upload. ``wait`` returns its typed result.

    ``record`` is serializable (``job.to_dict()``, without the signed callback URL): another
    process with the same store rebuilds the handle with ``client.jobs.from_dict(data)``.
    """

    record: JobRecord
    result_type: type[R]
    _manager: AsyncJobManager = attrs.field(repr=False, alias="manager")
    # OneAll's immediate "added to the queue" answer (absent for rebuilt handles).
    queued: QueuedResult | None = attrs.field(default=None, repr=False)

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def managed(self) -> bool:
        return self.record.managed

    def to_dict(self) -> dict[str, Any]:
        """The job record as JSON-ready data, without the callback URL.

        The signed URL would let whoever holds the data post a result of their own.
        """
        return self.record.to_dict()

    def with_queued(self, queued: QueuedResult) -> AsyncJob[R]:
        return attrs.evolve(self, queued=queued)

    def _require_managed(self) -> None:
        if not self.record.managed:
            raise UnmanagedJobError(
                f"job {self.id} ({self.record.endpoint}) is unmanaged: the caller gave its own "
                "callback_url, or the client has no callbacks= configuration, so OneAll's "
                "result goes to that URL and cannot be waited on here"
            )

    async def wait(self, *, timeout: float) -> R:
        """Wait up to ``timeout`` seconds for OneAll's callback and return the typed result.

        Raises :class:`~oneall_push.errors.JobFailedError` if the callback reports a failure,
        :class:`~oneall_push.errors.JobTimeoutError` if none arrived in time (the job may still
        complete: wait again later, the result is kept until its TTL), and
        :class:`~oneall_push.errors.RequestValidationError` for a ``timeout`` that is not a
        non-negative number of seconds.
        """
        timeout = seconds(timeout, "timeout", zero=True)
        self._require_managed()
        from ..callbacks.outcome import result_from_outcome

        outcome = await self._manager.store_or_fail().wait(self.id, timeout)
        if outcome is None:
            raise JobTimeoutError(self.id, timeout)
        return result_from_outcome(
            outcome, self.result_type, job_id=self.id, endpoint_id=self.record.endpoint
        )

    async def poll(self) -> R | None:
        """The typed result if the callback has arrived, else ``None`` (never waits)."""
        self._require_managed()
        from ..callbacks.outcome import result_from_outcome

        outcome = await self._manager.store_or_fail().get(self.id)
        if outcome is None:
            return None
        return result_from_outcome(
            outcome, self.result_type, job_id=self.id, endpoint_id=self.record.endpoint
        )


def _provably_not_queued(exc: BaseException) -> bool:
    """True when OneAll certainly did not queue the job, so its record can go."""
    if isinstance(exc, (ConnectError, RequestValidationError)):
        return True
    return isinstance(exc, APIError) and not isinstance(exc, ServerError)


class AsyncJobManager:
    """Creates, registers and finds jobs: ``client.jobs``."""

    def __init__(
        self,
        config: CallbackConfig | None,
        store: AsyncCallbackStore | None,
        backend: AsyncBackend,
    ) -> None:
        self.config = config
        self._owns_store = store is None
        # Always a store (an empty memory one without callbacks=), so code that hands it to a
        # receiver needs no None check.
        if store is None:
            from .stores import AsyncMemoryStore

            store = AsyncMemoryStore()
        self.store: AsyncCallbackStore = store
        self._backend = backend

    def __repr__(self) -> str:
        url = self.config.public_url if self.config is not None else None
        return f"{type(self).__name__}(public_url={url!r}, store={self.store!r})"

    def store_or_fail(self) -> AsyncCallbackStore:
        if self.config is None and self._owns_store:
            raise UnmanagedJobError(
                "no callback store: pass callbacks=CallbackConfig(...) (and callback_store= to "
                "share results between processes) to the client"
            )
        return self.store

    def prepare(
        self, endpoint: Endpoint, identity_token: str, payload: RequestModel, result_type: type[R]
    ) -> tuple[AsyncJob[R], RequestModel]:
        """Create the job and, when managed, sign its callback URL into the payload (no I/O).

        The payload's validators check the signed URL; :meth:`register` stores the record.
        """
        from ..callbacks import signing
        from ..callbacks.records import JobRecord

        caller_url = getattr(payload, "callback_url", None)
        now = self._backend.wall_clock()
        job_id = signing.new_job_id()
        managed = caller_url is None and self.config is not None
        url = caller_url
        if managed and self.config is not None:
            url = signing.callback_url(self.config, job_id, now=now)
            payload = attrs.evolve(payload, callback_url=url)  # type: ignore[call-arg]
        record = JobRecord(
            id=job_id,
            endpoint=endpoint.id,
            identity_token=identity_token,
            created=dt.datetime.fromtimestamp(now, dt.timezone.utc),
            callback_url=url,
            managed=managed,
        )
        return AsyncJob(record, result_type, self), payload

    async def register(self, job: AsyncJob[R]) -> None:
        """Store a managed job's record; call it before the POST is sent.

        A callback that outruns OneAll's answer then finds its job. The record is kept for
        the URL's lifetime plus the result's, so a result that came last minute is still
        found by id.
        """
        if job.managed and self.config is not None:
            await self.store_or_fail().register(job.record, ttl=self.config.record_ttl)

    async def abandon(self, job: AsyncJob[R], exc: BaseException | None = None) -> None:
        """Forget a job whose POST failed, unless OneAll may have queued it anyway."""
        if not job.managed:
            return
        if exc is not None and not _provably_not_queued(exc):
            logger.warning(
                "job %s: the POST's outcome is unknown; its record is kept, wait on it with "
                "client.jobs.get(%r)",
                job.id,
                job.id,
            )
            return
        try:
            await self.store.discard(job.id)
        except Exception:  # the record expires anyway; keep the caller's error
            logger.info("job %s: could not discard its record", job.id)

    @overload
    def from_record(self, record: JobRecord) -> AsyncJob[VideoResult]: ...
    @overload
    def from_record(self, record: JobRecord, result_type: type[R]) -> AsyncJob[R]: ...
    def from_record(self, record: JobRecord, result_type: type[Any] | None = None) -> AsyncJob[Any]:
        """Rebuild a job handle (in this or another process) from its record.

        The result type comes from the endpoint table (``VideoResult`` for every asynchronous
        endpoint today); pass ``result_type`` to override it.
        """
        from ..callbacks.outcome import callback_result_type

        rtype = result_type if result_type is not None else callback_result_type(record.endpoint)
        return AsyncJob(record, rtype, self)

    def from_dict(self, data: Mapping[str, Any]) -> AsyncJob[VideoResult]:
        """Rebuild a job handle from ``job.to_dict()`` output.

        A ``callback_url`` in ``data`` (older versions wrote it) is ignored.
        """
        from ..callbacks.records import JobRecord

        return self.from_record(JobRecord.from_dict(dict(data)))

    @overload
    async def get(self, job_id: str) -> AsyncJob[VideoResult]: ...
    @overload
    async def get(self, job_id: str, result_type: type[R]) -> AsyncJob[R]: ...
    async def get(self, job_id: str, result_type: type[Any] | None = None) -> AsyncJob[Any]:
        """Find a managed job by id in the store; :class:`JobNotFoundError` if unknown."""
        record = await self.store_or_fail().lookup(job_id)
        if record is None:
            raise JobNotFoundError(job_id)
        return self.from_record(record, result_type) if result_type else self.from_record(record)

    async def close(self) -> None:
        """Close the store if this manager created it."""
        if self._owns_store:
            await self.store.close()
