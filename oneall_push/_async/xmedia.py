"""X API v2 media upload: the client, streaming a file through the dedicated endpoints.

``upload()`` reads the source one chunk at a time, sends appends with bounded concurrency
(each retried on its own), finalizes, and polls processing with an overall deadline.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from .._io import AsyncSignal
from .._retry import RetryStopped, RetryWouldPassDeadline
from .._tracing import CallSpan
from .._xmedia._buffers import BodyBuffers
from .._xmedia._checks import (
    DEFAULT_MAX_CONCURRENCY,
    check_alt_text,
    check_deadline,
    check_shared,
    owner_list,
)
from .._xmedia._io import AsyncMediaSource
from .._xmedia._media_types import (
    SNIFF_BYTES,
    ChunkPlan,
    MediaCategory,
    UploadTarget,
    check_one_shot,
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
)
from .._xmedia._wire import multipart_prefix
from ..errors import (
    MediaAfterFinalizeError,
    MediaProcessingError,
    MediaProcessingTimeoutError,
    MediaSessionExpiredError,
    MediaSourceError,
    MediaUploadAbortedError,
    RequestValidationError,
)
from ._xmedia_calls import AsyncXMediaCalls
from ._xmedia_io import AsyncChunkReader

__all__ = ["DEFAULT_MAX_CONCURRENCY", "AsyncXMedia"]

logger = logging.getLogger("oneall_push.xmedia")


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


class AsyncXMedia(AsyncXMediaCalls):
    """Client for X API v2 media upload.

    ``bearer_token`` is an OAuth 2.0 user token with the ``media.write`` scope (app-only bearer
    tokens are refused by X); ``auth=`` takes any object with ``headers(method, url)`` instead,
    e.g. an OAuth 1.0a signer (called once per attempt). Use it as a context manager, or call
    :meth:`close`.
    """

    async def __aenter__(self) -> AsyncXMedia:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def simple_upload(
        self,
        source: AsyncMediaSource,
        *,
        media_type: str | None = None,
        media_category: MediaCategory | None = None,
        target: UploadTarget = "tweet",
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
            check_alt_text(alt_text)
        owners = owner_list(additional_owners)
        check_shared(shared)
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
        media = answer.media("media.upload")
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
        media_category: MediaCategory | None = None,
        target: UploadTarget = "tweet",
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
        span = self._observer.operation("media.upload")
        try:
            media = await self._upload(
                source,
                media_type=media_type,
                media_category=media_category,
                target=target,
                total_bytes=total_bytes,
                additional_owners=additional_owners,
                shared=shared,
                alt_text=alt_text,
                wait=wait,
                processing_deadline=processing_deadline,
                progress=progress,
                span=span,
            )
        except BaseException as exc:
            if span is not None:
                span.end(None, exc)
            raise
        if span is not None:
            span.end(None, None)
        return media

    async def _upload(
        self,
        source: AsyncMediaSource,
        *,
        media_type: str | None = None,
        media_category: MediaCategory | None = None,
        target: UploadTarget = "tweet",
        total_bytes: int | None = None,
        additional_owners: Sequence[str] = (),
        shared: bool | None = None,
        alt_text: str | None = None,
        wait: bool = True,
        processing_deadline: float | None = None,
        progress: MediaProgressCallback | None,
        span: CallSpan | None,
    ) -> UploadedMedia:
        owners = owner_list(additional_owners)
        check_shared(shared)
        if alt_text is not None:
            check_alt_text(alt_text)
        if media_type is not None:
            resolve_media_type(media_type, b"", None)
        if processing_deadline is not None:
            check_deadline("processing_deadline", processing_deadline)
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
            if span is not None:
                span.set_attributes(
                    {
                        "oneall_push.upload.bytes": plan.total_bytes,
                        "oneall_push.upload.segments": plan.segments,
                        "oneall_push.upload.chunk_size": plan.chunk_size,
                        "oneall_push.upload.media_type": mtype,
                        "oneall_push.upload.media_category": category,
                    }
                )
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

        Waits ``check_after_secs`` (at least ``min_poll_interval``) between checks, never
        less. Stops on ``succeeded``, on ``failed`` and on any ``error`` even while
        ``in_progress`` (MediaProcessingError), and with MediaProcessingTimeoutError after
        ``deadline`` seconds, or as soon as the next allowed check would come after it (no
        early last check); the deadline also bounds retry and rate-limit waits inside a
        status check. A status check
        that fails otherwise raises MediaAfterFinalizeError (``step="status"``) carrying the
        last media seen.
        """
        limit = (
            self.processing_deadline if deadline is None else check_deadline("deadline", deadline)
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
            delay = max(info.check_after_secs or 0.0, self.min_poll_interval)
            if remaining <= 0 or delay > remaining:
                # X asked not to be polled before the deadline passes: no early last poll.
                raise MediaProcessingTimeoutError(media.id, limit, info.state)
            await self._backend.sleep(delay)
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
        buffers = BodyBuffers()
        if self.max_concurrency == 1 or plan.segments == 1:
            for index in range(plan.segments):
                self._check_session(expires_at)
                body, content_type, size = await self._next_body(reader, plan, index, buffers)
                await self._append_counted(
                    media_id,
                    index,
                    body,
                    content_type,
                    size,
                    sent,
                    progress,
                    expires_at,
                    None,
                    buffers,
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
                            body, content_type, size = await self._next_body(
                                reader, plan, index, buffers
                            )
                        except Exception as exc:
                            # Appends in flight finish (and are counted); none starts a retry.
                            halted = exc
                            appends.stop.set()
                            break
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
                            buffers,
                        )
                        # Read before a slot frees: at most max_concurrency + 1 buffers.
                        del body
            except Exception as exc:
                pool_error = exc
            failure = halted or appends.failure or pool_error
            if failure is not None:
                raise failure
        await reader.finish()
        self._check_session(expires_at)

    async def _next_body(
        self, reader: AsyncChunkReader, plan: ChunkPlan, index: int, buffers: BodyBuffers
    ) -> tuple[bytearray, str, int]:
        """The multipart body of segment ``index`` (in a reused buffer), its content type and
        media byte count."""
        size = plan.size_of(index)
        form = multipart_prefix([("segment_index", str(index))])
        body, place = buffers.take(form, size)
        try:
            with memoryview(body) as view:
                await reader.read_into(view[place])
        except BaseException:
            buffers.give(body)
            raise
        return body, form.content_type, size

    async def _append_counted(
        self,
        media_id: str,
        index: int,
        body: bytearray,
        content_type: str,
        size: int,
        sent: SentCounter,
        progress: MediaProgressCallback | None,
        expires_at: float | None,
        appends: _Appends | None,
        buffers: BodyBuffers,
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
        finally:
            buffers.give(body)


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
