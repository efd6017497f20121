"""X API v2 media upload: the dedicated endpoints, and an orchestrator that streams a file.

``upload()`` reads the source one chunk at a time, sends appends with bounded concurrency
(each retried on its own), finalizes, and polls processing with an overall deadline.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from .._backends import AsyncBackend
from .._transport import AsyncHttpTransport, AsyncTransport, Request, Response, Timeout
from .._version import __version__
from .._xmedia._io import AsyncChunkReader, AsyncMediaSource
from .._xmedia._media_types import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_MAX_CHUNK_SIZE,
    MAX_SEGMENTS,
    SNIFF_BYTES,
    ChunkPlan,
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
from .._xmedia._wire import (
    BearerAuth,
    XAuth,
    error_from_response,
    json_body,
    media_from_document,
    multipart_prefix,
    parse_document,
    parse_rate_limit,
)
from ..errors import (
    ConfigurationError,
    ConnectError,
    MediaProcessingError,
    MediaProcessingTimeoutError,
    OutcomeUnknownError,
    RequestValidationError,
    XAPIError,
    XRateLimitError,
)

__all__ = ["DEFAULT_MAX_CONCURRENCY", "AsyncXMedia"]

logger = logging.getLogger("oneall_push.xmedia")

DEFAULT_BASE_URL = "https://api.x.com"
# Appends in flight at once. Measured with benchmarks/bench_xmedia.py on loopback; X does not
# document out-of-order appends, each chunk carries its segment_index.
DEFAULT_MAX_CONCURRENCY = 3
MAX_CONCURRENCY = 16
DEFAULT_PROCESSING_DEADLINE = 1800.0
USER_AGENT = f"oneall-push-python/{__version__}"
_MEDIA_ID = re.compile(r"\A[0-9]{1,19}\Z")


def _check_media_id(media_id: str) -> str:
    if not isinstance(media_id, str) or not _MEDIA_ID.match(media_id):
        raise RequestValidationError("media_id", "must be 1 to 19 digits (a string)")
    return media_id


def _owner_list(additional_owners: Sequence[str]) -> list[str]:
    owners = [str(o) for o in additional_owners]
    if len(owners) > 100:
        raise RequestValidationError("additional_owners", "at most 100 user ids")
    for owner in owners:
        if not _MEDIA_ID.match(owner):
            raise RequestValidationError("additional_owners", "user ids are 1 to 19 digits")
    return owners


def _check_alt_text(text: str) -> None:
    if not isinstance(text, str) or not text.strip() or len(text) > 1000:
        raise RequestValidationError("alt_text", "must be 1 to 1000 characters")


class AsyncXMedia:
    """Client for X API v2 media upload.

    ``bearer_token`` is an OAuth 2.0 user token with the ``media.write`` scope (app-only bearer
    tokens are refused by X); ``auth=`` takes any object with ``headers(method, url)`` instead,
    e.g. an OAuth 1.0a signer. Use it as a context manager, or call :meth:`close`.
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
        self._auth: XAuth = auth if auth is not None else BearerAuth(bearer_token or "")
        if not base_url.startswith(("http://", "https://")):
            raise ConfigurationError(f"base_url must be an absolute http(s) URL, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.timeout = Timeout.coerce(timeout, Timeout(connect=10.0, read=120.0))
        self.retry = retry if retry is not None else XRetryPolicy()
        if not 1 <= max_concurrency <= MAX_CONCURRENCY:
            raise ConfigurationError(f"max_concurrency must be between 1 and {MAX_CONCURRENCY}")
        if chunk_size < 1 or max_chunk_size < chunk_size:
            raise ConfigurationError("need 1 <= chunk_size <= max_chunk_size")
        if processing_deadline <= 0:
            raise ConfigurationError("processing_deadline must be positive")
        self.chunk_size = chunk_size
        self.max_chunk_size = max_chunk_size
        self.max_concurrency = max_concurrency
        self.processing_deadline = processing_deadline
        self.min_poll_interval = min_poll_interval
        self._transport = transport if transport is not None else AsyncHttpTransport()
        self._backend = backend if backend is not None else AsyncBackend()
        self._user_agent = user_agent or USER_AGENT

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, auth={self._auth!r})"

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
        plan_chunks(total_bytes, 1, total_bytes)
        document: dict[str, Any] = {"media_type": media_type, "total_bytes": total_bytes}
        if media_category is not None:
            document["media_category"] = media_category
        owners = _owner_list(additional_owners)
        if owners:
            document["additional_owners"] = owners
        if shared is not None:
            document["shared"] = bool(shared)
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
        if not isinstance(segment_index, int) or not 0 <= segment_index < MAX_SEGMENTS:
            raise RequestValidationError("segment_index", "must be an integer from 0 to 999")
        if not media:
            raise RequestValidationError("media", "a chunk cannot be empty")
        form = multipart_prefix([("segment_index", str(segment_index))])
        await self._send_append(media_id, form.wrap(media), form.content_type)

    async def finalize(self, media_id: str) -> UploadedMedia:
        """Close the upload: ``POST /2/media/upload/{id}/finalize`` with the JSON body ``{}``."""
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
        answer = await self._exchange(
            "GET",
            "/2/media/upload",
            query={"media_id": media_id, "command": "STATUS"},
            endpoint="media.status",
            ambiguous_retries=self.retry.max_retries,
        )
        return media_from_document(answer, status=200, endpoint="media.status")

    async def create_metadata(self, media_id: str, metadata: Mapping[str, Any]) -> Any:
        """Attach metadata: ``POST /2/media/metadata`` ``{"id": ..., "metadata": {...}}``.

        Returns X's ``data`` object.
        """
        _check_media_id(media_id)
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

        The whole file is sent in one request, so it is held in memory; use :meth:`upload`
        for video and anything large.
        """
        if alt_text is not None:
            _check_alt_text(alt_text)
        owners = _owner_list(additional_owners)
        reader = AsyncChunkReader.open(source, total_bytes=total_bytes)
        try:
            head = await reader.head(SNIFF_BYTES)
            mtype = resolve_media_type(media_type, head, reader.name)
            category = infer_category(mtype, target, media_category)
            plan_chunks(reader.total_bytes, reader.total_bytes, reader.total_bytes)
            fields = [("media_category", category or "tweet_image"), ("media_type", mtype)]
            if owners:
                fields.append(("additional_owners", ",".join(owners)))
            if shared is not None:
                fields.append(("shared", "true" if shared else "false"))
            form = multipart_prefix(fields)
            body = form.wrap(await reader.read(reader.total_bytes))
            await reader.check_exhausted()
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
            await self.set_alt_text(media.id, alt_text)
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
        ``total_bytes``. ``media_type`` is sniffed from the content (then the file name) when
        omitted; ``media_category`` is inferred from it and ``target`` (``tweet``, ``dm`` or
        ``amplify``). Chunks are ``chunk_size`` bytes, raised so the upload fits 1000
        segments; up to ``max_concurrency`` are in flight (and in memory) at once.

        With ``wait`` (the default), processing is polled until it succeeds, raising
        MediaProcessingError when it fails and MediaProcessingTimeoutError after
        ``processing_deadline`` seconds. ``progress`` receives UploadProgress events, then
        ProcessingProgress events.
        """
        owners = _owner_list(additional_owners)
        if alt_text is not None:
            _check_alt_text(alt_text)
        reader = AsyncChunkReader.open(source, total_bytes=total_bytes)
        try:
            head = await reader.head(SNIFF_BYTES)
            mtype = resolve_media_type(media_type, head, reader.name)
            category = infer_category(mtype, target, media_category)
            plan = plan_chunks(reader.total_bytes, self.chunk_size, self.max_chunk_size)
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
            await self._append_all(session.id, reader, plan, progress)
        finally:
            await reader.close()
        media = await self.finalize(session.id)
        media = media.evolve(media_type=mtype, media_category=category)
        if media.processing_info is not None:
            self._emit_processing(media, progress)
            if wait:
                media = await self.wait_for_processing(
                    media, deadline=processing_deadline, progress=progress
                )
        if alt_text is not None:
            await self.set_alt_text(media.id, alt_text)
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
        (MediaProcessingError), and after ``deadline`` seconds (MediaProcessingTimeoutError).
        """
        limit = self.processing_deadline if deadline is None else deadline
        started = self._backend.monotonic()
        while True:
            info = media.processing_info
            if info is None:
                return media
            if info.error is not None or info.state == "failed":
                error = info.error
                raise MediaProcessingError(
                    media.id,
                    code=None if error is None else error.code,
                    name=None if error is None else error.name,
                    message="processing failed" if error is None else error.message,
                )
            if info.state == "succeeded":
                return media
            remaining = limit - (self._backend.monotonic() - started)
            if remaining <= 0:
                raise MediaProcessingTimeoutError(media.id, limit, info.state)
            delay = max(info.check_after_secs or 0.0, self.min_poll_interval)
            await self._backend.sleep(min(delay, remaining))
            known = media
            media = await self.status(media.id)
            media = media.evolve(media_type=known.media_type, media_category=known.media_category)
            self._emit_processing(media, progress)

    # --- internals ------------------------------------------------------------------------

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

    async def _append_all(
        self,
        media_id: str,
        reader: AsyncChunkReader,
        plan: ChunkPlan,
        progress: MediaProgressCallback | None,
    ) -> None:
        sent = SentCounter(plan.total_bytes)
        if self.max_concurrency == 1 or plan.segments == 1:
            for index in range(plan.segments):
                body, content_type = await self._next_body(reader, plan, index)
                await self._append_counted(media_id, index, body, content_type, sent, progress)
        else:
            async with self._backend.task_pool(self.max_concurrency) as pool:
                for index in range(plan.segments):
                    # Read before a slot frees: at most max_concurrency + 1 chunks in memory.
                    body, content_type = await self._next_body(reader, plan, index)
                    await pool.submit(
                        self._append_counted, media_id, index, body, content_type, sent, progress
                    )
                    del body
        await reader.check_exhausted()

    async def _next_body(
        self, reader: AsyncChunkReader, plan: ChunkPlan, index: int
    ) -> tuple[bytes, str]:
        form = multipart_prefix([("segment_index", str(index))])
        return form.wrap(await reader.read(plan.size_of(index))), form.content_type

    async def _append_counted(
        self,
        media_id: str,
        index: int,
        body: bytes,
        content_type: str,
        sent: SentCounter,
        progress: MediaProgressCallback | None,
    ) -> None:
        size = len(body)
        await self._send_append(media_id, body, content_type)
        del body
        done = sent.add(size)
        if progress is not None:
            progress(
                UploadProgress(
                    media_id=media_id,
                    segment_index=index,
                    bytes_sent=min(done, sent.total),
                    total_bytes=sent.total,
                )
            )

    async def _send_append(self, media_id: str, body: bytes, content_type: str) -> None:
        await self._exchange(
            "POST",
            f"/2/media/upload/{media_id}/append",
            body=body,
            content_type=content_type,
            endpoint="media.append",
            ambiguous_retries=self.retry.max_retries,
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
    ) -> Any:
        """Send with the retry policy; the parsed JSON of a 2xx (None when empty)."""
        url = self.base_url + path + (f"?{urlencode(query)}" if query else "")
        headers = {
            **self._auth.headers(method, url),
            "Accept": "application/json",
            "User-Agent": self._user_agent,
        }
        if content_type is not None:
            headers["Content-Type"] = content_type
        request = Request(
            method=method,
            url=url,
            headers=headers,
            body=body,
            timeout=self.timeout,
            endpoint=endpoint,
        )
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self._transport.send(request)
            except ConnectError as exc:
                delay = self._delay_after_network_error(exc, attempt, self.retry.max_retries)
            except OutcomeUnknownError as exc:
                delay = self._delay_after_network_error(exc, attempt, ambiguous_retries)
            else:
                if 200 <= response.status < 300:
                    return parse_document(response.body)
                delay = self._delay_after_status(response, attempt, ambiguous_retries, endpoint)
            logger.info("%s: retry %d in %.2f s", endpoint, attempt, delay)
            await self._backend.sleep(delay)

    def _delay_after_network_error(self, exc: Exception, attempt: int, allowed: int) -> float:
        if attempt > min(allowed, self.retry.max_retries):
            raise exc
        logger.info("network error: %s", exc)
        return self.retry.backoff(attempt)

    def _delay_after_status(
        self, response: Response, attempt: int, ambiguous_retries: int, endpoint: str
    ) -> float:
        error = error_from_response(response.status, response.headers, response.body, endpoint)
        logger.info("%s", error)
        if attempt > self.retry.max_retries:
            raise error
        if isinstance(error, XRateLimitError):
            info = parse_rate_limit(response.headers)
            if info is None or info.reset is None:
                return self.retry.backoff(attempt)
            wait = info.reset - self._backend.wall_clock()
            if wait > self.retry.max_rate_limit_wait:
                raise error
            return wait if wait > 0 else self.retry.backoff(attempt)
        if type(error) is not XAPIError or attempt > ambiguous_retries:
            raise error
        edge_404 = response.status == 404 and not response.body.strip()
        if response.status >= 500 or edge_404:
            return self.retry.backoff(attempt)
        raise error
