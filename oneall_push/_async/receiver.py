"""The framework-agnostic callback receiver: (path, query string, raw body) -> (status, body).

Mount it in any web framework (see ``docs/callbacks.md`` for WSGI and ASGI recipes), or use
the ready-made receivers in :mod:`oneall_push.callbacks.aiohttp_app` and
:mod:`oneall_push.callbacks.server`. It verifies, stores and answers; it never runs user code.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from .._io import AsyncBackend
from ..callbacks import signing
from ..callbacks._refusals import RefusalLog
from ..callbacks.config import CallbackConfig
from ..callbacks.outcome import MAX_BODY, CallbackResponse, parse_callback_body
from ..errors import CallbackStoreError, CallbackVerificationError, MalformedCallbackError
from .stores import AsyncCallbackStore

__all__ = ["AsyncCallbackHandler", "CallbackResponse"]

logger = logging.getLogger("oneall_push.callbacks")


class AsyncCallbackHandler:
    """Verifies a callback's signed URL, parses its body and stores the outcome.

    ``handle(path, query, body)`` answers 405 (with ``Allow: POST``) for any other method, 403
    for a bad or expired signature (checked before the body is parsed; a correctly signed but
    expired one is logged at WARNING with its job id), 404 for an unknown job, 400 for a malformed body, 200 for a stored or
    duplicate callback, 503 if the store cannot be reached (OneAll may then retry).
    """

    def __init__(
        self,
        config: CallbackConfig,
        store: AsyncCallbackStore,
        *,
        backend: AsyncBackend | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self._backend = backend if backend is not None else AsyncBackend()
        # Forged requests are anyone's to send: no WARNING per request.
        self._refusals = RefusalLog(logger)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(public_url={self.config.public_url!r}, store={self.store!r})"

    async def handle(
        self,
        path: str,
        query: str | Mapping[str, str] | Mapping[str, list[str]],
        body: bytes,
        *,
        method: str = "POST",
    ) -> CallbackResponse:
        """Answer one callback. ``path`` is the request path (or just the job id)."""
        if method.upper() != "POST":
            return CallbackResponse.method_not_allowed()
        job_id = signing.job_id_from_path(path)
        if job_id is None:
            return CallbackResponse.of(404, "unknown job")
        try:
            signing.verify(self.config, job_id, query, now=self._backend.wall_clock())
        except CallbackVerificationError as exc:
            if exc.reason == signing.EXPIRED:
                # Correctly signed: OneAll's real answer, later than url_ttl allows.
                logger.warning(
                    "callback for job %s arrived after its signed URL expired and was refused "
                    "(the result is lost; raise CallbackConfig.url_ttl if jobs take this long)",
                    job_id,
                )
            else:
                self._refusals.refused(job_id, exc.reason)
            return CallbackResponse.of(exc.status, exc.reason)
        if len(body) > MAX_BODY:
            return CallbackResponse.of(413, "body too large")
        try:
            record = await self.store.lookup(job_id)
            if record is None:
                logger.warning("callback for unknown or expired job %s", job_id)
                return CallbackResponse.of(404, "unknown job")
            try:
                outcome = parse_callback_body(
                    body, endpoint_id=record.endpoint, received=self._backend.wall_clock()
                )
            except MalformedCallbackError as exc:
                logger.warning("malformed callback for job %s: %s", job_id, exc)
                return CallbackResponse.of(400, "malformed callback body")
            stored = await self.store.put(job_id, outcome, ttl=self.config.result_ttl)
        except CallbackStoreError as exc:
            logger.error("callback for job %s not stored: %s", job_id, exc)
            return CallbackResponse.of(503, "store unavailable, retry later")
        if not stored:
            logger.info("duplicate callback for job %s ignored", job_id)
            return CallbackResponse.of(200, "duplicate ignored")
        logger.debug("callback for job %s stored", job_id)
        return CallbackResponse.of(200, "stored")
