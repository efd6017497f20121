"""X API v2 media upload: the dedicated endpoints, and an orchestrator that streams a file.

``upload()`` reads the source one chunk at a time, sends appends with bounded concurrency
(each retried on its own), finalizes, and polls processing with an overall deadline.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from .._io import (
    AsyncBackend,
    AsyncDefaultTransport,
    AsyncSignal,
    AsyncTransport,
    Request,
    Response,
    Timeout,
)
from .._retry import RetryStopped, RetryWouldPassDeadline
from .._xmedia._io import AsyncMediaSource
from .._xmedia._media_types import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_MAX_CHUNK_SIZE,
    MAX_SEGMENTS,
    SNIFF_BYTES,
    ChunkPlan,
    check_one_shot,
    check_total_bytes,
    infer_category,
    plan_chunks,
    resolve_media_type,
)
from .._xmedia._models import (
    MediaProgressCallback,
    ProcessingProgress,
    SentCounter,
    UploadedMedia,
    UploadProgress,
    XRetryPolicy,
)
from .._xmedia._retry import XRetryRules
from .._xmedia._wire import (
    BearerAuth,
    XAuth,
    error_from_response,
    json_body,
    media_from_document,
    multipart_prefix,
    parse_document,
)
from ..errors import (
    ConfigurationError,
    MediaAfterFinalizeError,
    MediaProcessingError,
    MediaProcessingTimeoutError,
    MediaSessionExpiredError,
    MediaSourceError,
    MediaUploadAbortedError,
    RequestValidationError,
)
from ._client import USER_AGENT
from ._retry import send_with_retries
from ._xmedia_io import AsyncChunkReader

__all__ = ["DEFAULT_MAX_CONCURRENCY", "AsyncXMedia"]

logger = logging.getLogger("oneall_push.xmedia")

DEFAULT_BASE_URL = "https://api.x.com"
# Appends in flight at once: the knee of the max_concurrency sweep in
# benchmarks/bench_xmedia.py (loopback). X does not document out-of-order appends; each chunk
# carries its segment_index.
DEFAULT_MAX_CONCURRENCY = 3
MAX_CONCURRENCY = 16
DEFAULT_PROCESSING_DEADLINE = 1800.0
# A status check made right at the processing deadline still gets this long to answer.
MIN_CHECK_TIME = 1.0
_MEDIA_ID = re.compile(r"\A[0-9]{1,19}\Z")


class _Appends:
    """What the concurrent appends of one upload share: the first failure, and the flag that
    stops the others' retries and wakes their waits (a thread in the sync client cannot be
    cancelled, and a rate-limit wait can last minutes)."""

    __slots__ = ("failure", "stop")

    def __init__(self, stop: AsyncSignal) -> None:
        self.stop = stop
        self.failure: Exception | None = None

    def fail(self, exc: Exception) -> None:
        if self.failure is None:
            self.failure = exc
        self.stop.set()


def _check_media_id(media_id: str) -> str:
    if not isinstance(media_id, str) or not _MEDIA_ID.match(media_id):
        raise RequestValidationError("media_id", "must be 1 to 19 digits (a string)")
    return media_id


def _owner_list(additional_owners: Sequence[str]) -> list[str]:
    if isinstance(additional_owners, (str, bytes, bytearray)) or not isinstance(
        additional_owners, Iterable
    ):
        raise RequestValidationError(
            "additional_owners", "must be a list of user ids, not a single value"
        )
    owners = list(additional_owners)
    if len(owners) > 100:
        raise RequestValidationError("additional_owners", "at most 100 user ids")
    for owner in owners:
        if not isinstance(owner, str) or not _MEDIA_ID.match(owner):
            raise RequestValidationError(
                "additional_owners", "user ids are strings of 1 to 19 digits"
            )
    return owners


def _check_shared(shared: bool | None) -> None:
    if shared is not None and not isinstance(shared, bool):
        raise RequestValidationError("shared", "must be True, False or None (a real bool)")


def _check_alt_text(text: str) -> None:
    if not isinstance(text, str) or not text.strip() or len(text) > 1000:
        raise RequestValidationError("alt_text", "must be 1 to 1000 characters")


def _check_deadline(field: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise RequestValidationError(field, "must be a positive number of seconds")
    return float(value)


def _int_setting(name: str, value: int, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigurationError(f"{name} must be an integer, not {type(value).__name__}")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ConfigurationError(f"{name} must be {bound}, got {value}")
    return value


def _seconds_setting(name: str, value: float, *, positive: bool) -> float:
    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and not math.isnan(value)
    if not ok or value < 0 or (positive and value == 0):
        rule = "a positive" if positive else "a non-negative"
        raise ConfigurationError(f"{name} must be {rule} number of seconds, got {value!r}")
    return float(value)


def _cap(limit: float | None, left: float) -> float:
    return left if limit is None else min(limit, left)


class AsyncXMedia:
    """Client for X API v2 media upload.

    ``bearer_token`` is an OAuth 2.0 user token with the ``media.write`` scope (app-only bearer
    tokens are refused by X); ``auth=`` takes any object with ``headers(method, url)`` instead,
    e.g. an OAuth 1.0a signer (called once per attempt). Use it as a context manager, or call
    :meth:`close`.
    """

    def __init__(
        self,
        *,
        bearer_token: str | None = None,
        auth: XAuth | None = None,
        base_url: str = DEFAULT_BASE_URL,
        timeout: Timeout | float | None = None,
        retry: XRetryPolicy | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        max_chunk_size: int = DEFAULT_MAX_CHUNK_SIZE,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        processing_deadline: float = DEFAULT_PROCESSING_DEADLINE,
        # The floor under check_after_secs; keep it at 1 s against the real API.
        min_poll_interval: float = 1.0,
        transport: AsyncTransport | None = None,
        backend: AsyncBackend | None = None,
        user_agent: str | None = None,
    ) -> None:
        if (bearer_token is None) == (auth is None):
            raise ConfigurationError("give exactly one of bearer_token= or auth=")
        if auth is not None and not callable(getattr(auth, "headers", None)):
            raise ConfigurationError("auth must have a headers(method, url) method")
        self._auth: XAuth = auth if auth is not None else BearerAuth(bearer_token or "")
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise ConfigurationError(f"base_url must be an absolute http(s) URL, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.timeout = Timeout.coerce(timeout, Timeout(connect=10.0, read=120.0))
        if retry is not None and not isinstance(retry, XRetryPolicy):
            raise ConfigurationError("retry must be an XRetryPolicy")
        self.retry = retry if retry is not None else XRetryPolicy()
        self.chunk_size = _int_setting("chunk_size", chunk_size, 1)
        self.max_chunk_size = _int_setting("max_chunk_size", max_chunk_size, 1)
        if chunk_size > max_chunk_size:
            raise ConfigurationError(
                f"chunk_size ({chunk_size}) must not exceed max_chunk_size ({max_chunk_size})"
            )
        self.max_concurrency = _int_setting("max_concurrency", max_concurrency, 1, MAX_CONCURRENCY)
        self.processing_deadline = _seconds_setting(
            "processing_deadline", processing_deadline, positive=True
        )
        self.min_poll_interval = _seconds_setting(
            "min_poll_interval", min_poll_interval, positive=False
        )
        self._transport = (
            transport if transport is not None else AsyncDefaultTransport(self.max_concurrency)
        )
        self._backend = backend if backend is not None else AsyncBackend()
        self._user_agent = user_agent or USER_AGENT

    def __repr__(self) -> str:
        # Only the auth's type: a custom signer's repr may show its secrets.
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, auth={type(self._auth).__name__})"
        )

    async def __aenter__(self) -> AsyncXMedia:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Release the connection pool."""
        await self._transport.close()

    # --- the dedicated endpoints ----------------------------------------------------------

    async def initialize(
        self,
        *,
        media_type: str,
        total_bytes: int,
        media_category: str | None = None,
        additional_owners: Sequence[str] = (),
        shared: bool | None = None,
    ) -> UploadedMedia:
        """Open an upload session: ``POST /2/media/upload/initialize`` (JSON body).

        Retried only when X provably did not process it (connect error, 429): a repeat would
        open a second session.
        """
        resolve_media_type(media_type, b"", None)
        if media_category is not None:
            infer_category(media_type, "tweet", media_category)
        check_total_bytes(total_bytes)
        owners = _owner_list(additional_owners)
        _check_shared(shared)
        document: dict[str, Any] = {"media_type": media_type, "total_bytes": total_bytes}
        if media_category is not None:
            document["media_category"] = media_category
        if owners:
            document["additional_owners"] = owners
        if shared is not None:
            document["shared"] = shared
        answer = await self._exchange(
            "POST",
            "/2/media/upload/initialize",
            body=json_body(document),
            content_type="application/json",
            endpoint="media.initialize",
            ambiguous_retries=0,
        )
        media = media_from_document(answer, status=200, endpoint="media.initialize")
        return media.evolve(media_type=media_type, media_category=media_category)

    async def append(self, media_id: str, segment_index: int, media: bytes) -> None:
        """Send one chunk: ``POST /2/media/upload/{id}/append`` (multipart ``media`` +
        ``segment_index``). Retried on connect errors, broken exchanges, 5xx and 429."""
        _check_media_id(media_id)
        if (
            isinstance(segment_index, bool)
            or not isinstance(segment_index, int)
            or not 0 <= segment_index < MAX_SEGMENTS
        ):
            raise RequestValidationError("segment_index", "must be an integer from 0 to 999")
        if not isinstance(media, (bytes, bytearray, memoryview)) or not media:
            raise RequestValidationError("media", "must be non-empty bytes")
        form = multipart_prefix([("segment_index", str(segment_index))])
        await self._send_append(media_id, form.wrap(bytes(media)), form.content_type, None, None)

    async def finalize(self, media_id: str) -> UploadedMedia:
        """Close the upload: ``POST /2/media/upload/{id}/finalize`` with the JSON body ``{}``.

        Retried once after a broken exchange or 5xx: finalizing twice answers the same media.
        """
        _check_media_id(media_id)
        answer = await self._exchange(
            "POST",
            f"/2/media/upload/{media_id}/finalize",
            body=b"{}",
            content_type="application/json",
            endpoint="media.finalize",
            ambiguous_retries=1,
        )
        return media_from_document(answer, status=200, endpoint="media.finalize")

    async def status(self, media_id: str) -> UploadedMedia:
        """Processing status: ``GET /2/media/upload?media_id=...&command=STATUS``."""
        _check_media_id(media_id)
        return await self._status(media_id, None)

    async def create_metadata(self, media_id: str, metadata: Mapping[str, Any]) -> Any:
        """Attach metadata: ``POST /2/media/metadata`` ``{"id": ..., "metadata": {...}}``.

        Returns X's ``data`` object.
        """
        _check_media_id(media_id)
        if not isinstance(metadata, Mapping):
            raise RequestValidationError("metadata", "must be a mapping")
        alt = metadata.get("alt_text")
        if isinstance(alt, Mapping):
            _check_alt_text(alt.get("text", ""))
        answer = await self._exchange(
            "POST",
            "/2/media/metadata",
            body=json_body({"id": media_id, "metadata": dict(metadata)}),
            content_type="application/json",
            endpoint="media.metadata",
            ambiguous_retries=1,
        )
        return answer.get("data", answer) if isinstance(answer, Mapping) else answer

    async def set_alt_text(self, media_id: str, text: str) -> Any:
        """Set the alt text of an image or GIF (1 to 1000 characters)."""
        _check_alt_text(text)
        return await self.create_metadata(media_id, {"alt_text": {"text": text}})

    async def simple_upload(
        self,
        source: AsyncMediaSource,
        *,
        media_type: str | None = None,
        media_category: str | None = None,
        target: str = "tweet",
        total_bytes: int | None = None,
        additional_owners: Sequence[str] = (),
        shared: bool | None = None,
        alt_text: str | None = None,
    ) -> UploadedMedia:
        """One-shot upload for images and subtitles: ``POST /2/media/upload`` (multipart).

        The whole file is sent in one request, so it is held in memory: only images (5 MiB,
        GIF 15 MiB) and subtitles (text/srt, text/vtt; 5 MiB) are taken, checked before the
        file is read. Use :meth:`upload` for video and anything large. If setting ``alt_text``
        fails after X took the file, MediaAfterFinalizeError carries the new ``media_id``.
        """
        if alt_text is not None:
            _check_alt_text(alt_text)
        owners = _owner_list(additional_owners)
        _check_shared(shared)
        if media_type is not None:
            resolve_media_type(media_type, b"", None)
            check_one_shot(media_type, None, 1)
        reader = await AsyncChunkReader.open(source, total_bytes=total_bytes, backend=self._backend)
        try:
            head = await reader.head(SNIFF_BYTES)
            mtype = resolve_media_type(media_type, head, reader.name)
            category = infer_category(mtype, target, media_category)
            check_one_shot(mtype, category, reader.total_bytes)
            fields = [("media_category", category or "tweet_image"), ("media_type", mtype)]
            if owners:
                fields.append(("additional_owners", ",".join(owners)))
            if shared is not None:
                fields.append(("shared", "true" if shared else "false"))
            form = multipart_prefix(fields)
            body = form.wrap(await reader.read(reader.total_bytes))
            await reader.finish()
        finally:
            await reader.close()
        answer = await self._exchange(
            "POST",
            "/2/media/upload",
            body=body,
            content_type=form.content_type,
            endpoint="media.upload",
            ambiguous_retries=0,
        )
        media = media_from_document(answer, status=200, endpoint="media.upload")
        media = media.evolve(media_type=mtype, media_category=category)
        if alt_text is not None:
            await self._alt_text_after_upload(media, alt_text)
        return media

    # --- the orchestrator -----------------------------------------------------------------

    async def upload(
        self,
        source: AsyncMediaSource,
        *,
        media_type: str | None = None,
        media_category: str | None = None,
        target: str = "tweet",
        total_bytes: int | None = None,
        additional_owners: Sequence[str] = (),
        shared: bool | None = None,
        alt_text: str | None = None,
        wait: bool = True,
        processing_deadline: float | None = None,
        progress: MediaProgressCallback | None = None,
    ) -> UploadedMedia:
        """Upload a file in chunks and return X's media object, processed.

        ``source``: a path, a binary file object, bytes, or an iterator of bytes pieces with
        ``total_bytes`` (in the async client a plain iterator is advanced in a worker thread,
        so it may block; an async iterator runs on the loop). ``media_type`` is sniffed from
        the content (then the file name) when omitted; ``media_category`` is inferred from it
        and ``target`` (``tweet``, ``dm`` or ``amplify``). Chunks are ``chunk_size`` bytes,
        raised so the upload fits 1000 segments; up to ``max_concurrency`` are in flight (and
        in memory) at once.

        Bad arguments raise RequestValidationError before anything is sent. Once X opened the
        session, a failure before finalize succeeded raises MediaUploadAbortedError (or its
        MediaSourceError / MediaSessionExpiredError) carrying ``media_id`` and the bytes X
        acknowledged; the original error is its ``cause``.

        With ``wait`` (the default), processing is polled until it succeeds, raising
        MediaProcessingError when it fails and MediaProcessingTimeoutError after
        ``processing_deadline`` seconds. Once finalize succeeded the media is on X: a status
        check or ``alt_text`` that fails raises MediaAfterFinalizeError with ``media_id`` and
        the last ``media`` (reuse them; do not upload again). ``progress`` receives
        UploadProgress events (media bytes acknowledged), then ProcessingProgress events.
        """
        owners = _owner_list(additional_owners)
        _check_shared(shared)
        if alt_text is not None:
            _check_alt_text(alt_text)
        if media_type is not None:
            resolve_media_type(media_type, b"", None)
        if processing_deadline is not None:
            _check_deadline("processing_deadline", processing_deadline)
        if not isinstance(wait, bool):
            raise RequestValidationError("wait", "must be True or False")
        if progress is not None and not callable(progress):
            raise RequestValidationError("progress", "must be callable")
        reader = await AsyncChunkReader.open(source, total_bytes=total_bytes, backend=self._backend)
        try:
            head = await reader.head(SNIFF_BYTES)
            mtype = resolve_media_type(media_type, head, reader.name)
            category = infer_category(mtype, target, media_category)
            plan = plan_chunks(reader.total_bytes, self.chunk_size, self.max_chunk_size)
            opened = self._backend.monotonic()
            session = await self.initialize(
                media_type=mtype,
                total_bytes=plan.total_bytes,
                media_category=category,
                additional_owners=owners,
                shared=shared,
            )
            logger.debug(
                "media %s: %d bytes in %d segments of %d",
                session.id,
                plan.total_bytes,
                plan.segments,
                plan.chunk_size,
            )
            sent = SentCounter(plan.total_bytes)
            expires_at = (
                None if session.expires_after_secs is None else opened + session.expires_after_secs
            )
            try:
                await self._append_all(session.id, reader, plan, sent, progress, expires_at)
            except Exception as exc:
                aborted = _aborted(session.id, sent, exc)
                raise aborted from aborted.cause
        finally:
            await reader.close()
        try:
            media = await self.finalize(session.id)
        except Exception as exc:
            aborted = _aborted(session.id, sent, exc)
            raise aborted from aborted.cause
        media = media.evolve(media_type=mtype, media_category=category)
        if media.processing_info is not None:
            self._emit_processing(media, progress)
            if wait:
                media = await self.wait_for_processing(
                    media, deadline=processing_deadline, progress=progress
                )
        if alt_text is not None:
            await self._alt_text_after_upload(media, alt_text)
        return media

    async def wait_for_processing(
        self,
        media: UploadedMedia,
        *,
        deadline: float | None = None,
        progress: MediaProgressCallback | None = None,
    ) -> UploadedMedia:
        """Poll status until processing succeeds; return the final media object.

        Waits ``check_after_secs`` (at least ``min_poll_interval``) between checks. Stops on
        ``succeeded``, on ``failed`` and on any ``error`` even while ``in_progress``
        (MediaProcessingError), and after ``deadline`` seconds (MediaProcessingTimeoutError),
        which also bounds retry and rate-limit waits inside a status check. A status check
        that fails otherwise raises MediaAfterFinalizeError (``step="status"``) carrying the
        last media seen.
        """
        limit = (
            self.processing_deadline if deadline is None else _check_deadline("deadline", deadline)
        )
        give_up_at = self._backend.monotonic() + limit
        while True:
            info = media.processing_info
            if info is not None and info.failed:
                error = info.error
                raise MediaProcessingError(
                    media.id,
                    code=None if error is None else error.code,
                    name=None if error is None else error.name,
                    message="processing failed" if error is None else error.message,
                )
            if info is None or info.finished:
                return media
            remaining = give_up_at - self._backend.monotonic()
            if remaining <= 0:
                raise MediaProcessingTimeoutError(media.id, limit, info.state)
            delay = max(info.check_after_secs or 0.0, self.min_poll_interval)
            await self._backend.sleep(min(delay, remaining))
            known = media
            try:
                media = await self._status(media.id, give_up_at)
            except RetryWouldPassDeadline as exc:
                raise MediaProcessingTimeoutError(media.id, limit, info.state) from exc.__cause__
            except Exception as exc:
                raise MediaAfterFinalizeError(
                    known.id, step="status", media=known, cause=exc
                ) from exc
            media = media.evolve(media_type=known.media_type, media_category=known.media_category)
            self._emit_processing(media, progress)

    # --- internals ------------------------------------------------------------------------

    async def _alt_text_after_upload(self, media: UploadedMedia, text: str) -> None:
        try:
            await self.set_alt_text(media.id, text)
        except Exception as exc:
            raise MediaAfterFinalizeError(
                media.id, step="metadata", media=media, cause=exc
            ) from exc

    async def _status(self, media_id: str, give_up_at: float | None) -> UploadedMedia:
        answer = await self._exchange(
            "GET",
            "/2/media/upload",
            query={"media_id": media_id, "command": "STATUS"},
            endpoint="media.status",
            ambiguous_retries=self.retry.max_retries,
            give_up_at=give_up_at,
        )
        return media_from_document(answer, status=200, endpoint="media.status")

    def _emit_processing(
        self, media: UploadedMedia, progress: MediaProgressCallback | None
    ) -> None:
        info = media.processing_info
        if progress is None or info is None:
            return
        progress(
            ProcessingProgress(
                media_id=media.id,
                state=info.state,
                progress_percent=info.progress_percent,
                check_after_secs=info.check_after_secs,
            )
        )

    def _check_session(self, expires_at: float | None) -> None:
        if expires_at is not None and self._backend.monotonic() >= expires_at:
            raise RetryWouldPassDeadline()

    async def _append_all(
        self,
        media_id: str,
        reader: AsyncChunkReader,
        plan: ChunkPlan,
        sent: SentCounter,
        progress: MediaProgressCallback | None,
        expires_at: float | None,
    ) -> None:
        if self.max_concurrency == 1 or plan.segments == 1:
            for index in range(plan.segments):
                self._check_session(expires_at)
                body, content_type, size = await self._next_body(reader, plan, index)
                await self._append_counted(
                    media_id, index, body, content_type, size, sent, progress, expires_at, None
                )
        else:
            appends = _Appends(self._backend.signal())
            # The reader's (or the session check's) own failure: it wins over append errors.
            halted: Exception | None = None
            pool_error: Exception | None = None
            try:
                async with self._backend.task_pool(self.max_concurrency) as pool:
                    for index in range(plan.segments):
                        if appends.stop.is_set():
                            break  # an append failed: leaving the pool raises it
                        try:
                            self._check_session(expires_at)
                            body, content_type, size = await self._next_body(reader, plan, index)
                        except Exception as exc:
                            # Appends in flight finish (and are counted); none starts a retry.
                            halted = exc
                            appends.stop.set()
                            break
                        # Read before a slot frees: at most max_concurrency + 1 chunks in memory.
                        await pool.submit(
                            self._append_counted,
                            media_id,
                            index,
                            body,
                            content_type,
                            size,
                            sent,
                            progress,
                            expires_at,
                            appends,
                        )
                        del body  # the task holds the chunk; free it before the next read
            except Exception as exc:
                pool_error = exc
            failure = halted or appends.failure or pool_error
            if failure is not None:
                raise failure
        await reader.finish()
        self._check_session(expires_at)

    async def _next_body(
        self, reader: AsyncChunkReader, plan: ChunkPlan, index: int
    ) -> tuple[bytes, str, int]:
        """The multipart body of segment ``index``, its content type and media byte count."""
        chunk = await reader.read(plan.size_of(index))
        form = multipart_prefix([("segment_index", str(index))])
        return form.wrap(chunk), form.content_type, len(chunk)

    async def _append_counted(
        self,
        media_id: str,
        index: int,
        body: bytes,
        content_type: str,
        size: int,
        sent: SentCounter,
        progress: MediaProgressCallback | None,
        expires_at: float | None,
        appends: _Appends | None,
    ) -> None:
        try:
            await self._send_append(
                media_id,
                body,
                content_type,
                expires_at,
                None if appends is None else appends.stop,
            )
            if progress is None:
                sent.add(size)
                return
            callback = progress

            def emit(done: int) -> None:
                callback(
                    UploadProgress(
                        media_id=media_id,
                        segment_index=index,
                        bytes_sent=done,
                        total_bytes=sent.total,
                    )
                )

            sent.add(size, emit)
        except Exception as exc:
            if appends is not None and not isinstance(exc, RetryStopped):
                appends.fail(exc)
            raise

    async def _send_append(
        self,
        media_id: str,
        body: bytes,
        content_type: str,
        expires_at: float | None,
        stop: AsyncSignal | None,
    ) -> None:
        await self._exchange(
            "POST",
            f"/2/media/upload/{media_id}/append",
            body=body,
            content_type=content_type,
            endpoint="media.append",
            ambiguous_retries=self.retry.max_retries,
            give_up_at=expires_at,
            stop=stop,
        )

    def _request(
        self,
        method: str,
        url: str,
        body: bytes | None,
        content_type: str | None,
        endpoint: str,
        give_up_at: float | None,
    ) -> Request:
        """One attempt: auth headers are made anew (an OAuth 1.0a nonce must not repeat)."""
        headers = {
            **self._auth.headers(method, url),
            "Accept": "application/json",
            "User-Agent": self._user_agent,
        }
        if content_type is not None:
            headers["Content-Type"] = content_type
        timeout = self.timeout
        if give_up_at is not None:
            left = max(give_up_at - self._backend.monotonic(), MIN_CHECK_TIME)
            timeout = Timeout(connect=_cap(timeout.connect, left), read=_cap(timeout.read, left))
        return Request(
            method=method, url=url, headers=headers, body=body, timeout=timeout, endpoint=endpoint
        )

    async def _exchange(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
        endpoint: str,
        ambiguous_retries: int,
        give_up_at: float | None = None,
        stop: AsyncSignal | None = None,
    ) -> Any:
        """Send with the retry rules; the parsed JSON of a 2xx (None when empty).

        With ``give_up_at`` (a monotonic instant), request timeouts are capped by the time left
        and a retry wait that would pass it raises RetryWouldPassDeadline instead of sleeping.
        Once ``stop`` is set, no retry starts and a retry wait ends early (RetryStopped).
        """
        url = self.base_url + path + (f"?{urlencode(query)}" if query else "")
        rules = XRetryRules(
            self.retry,
            ambiguous_retries=ambiguous_retries,
            endpoint=endpoint,
            wall_clock=self._backend.wall_clock,
        )
        response = await send_with_retries(
            self._transport,
            self._backend,
            rules,
            lambda _attempt: self._request(method, url, body, content_type, endpoint, give_up_at),
            give_up_at=give_up_at,
            stop=stop,
        )
        return _success_document(response, endpoint)


def _success_document(response: Response, endpoint: str) -> Any:
    """The JSON of a 2xx; one that carries only ``errors`` (no ``data``) is an error."""
    document = parse_document(response.body)
    if isinstance(document, Mapping) and document.get("errors") and "data" not in document:
        raise error_from_response(response.status, response.headers, response.body, endpoint)
    return document


def _aborted(media_id: str, sent: SentCounter, exc: Exception) -> MediaUploadAbortedError:
    """The error for an upload stopped between initialize and a successful finalize."""
    done, total = sent.value, sent.total
    if isinstance(exc, RetryWouldPassDeadline):
        return MediaSessionExpiredError(
            media_id,
            bytes_acknowledged=done,
            total_bytes=total,
            reason="X's upload session expired (expires_after_secs) before finalize",
            cause=exc.__cause__,
        )
    if isinstance(exc, RequestValidationError) and exc.field == "source":
        return MediaSourceError(
            media_id, rule=exc.rule, bytes_acknowledged=done, total_bytes=total, cause=exc
        )
    return MediaUploadAbortedError(
        media_id,
        bytes_acknowledged=done,
        total_bytes=total,
        reason=str(exc) or type(exc).__name__,
        cause=exc,
    )
