"""X API v2 media upload: the dedicated endpoints, each one call with its retry rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from .._config import USER_AGENT, check_base_url, check_network
from .._io import (
    AsyncBackend,
    AsyncDefaultTransport,
    AsyncSignal,
    AsyncTransport,
    Request,
    Response,
    Timeout,
)
from .._observe import Observer
from .._xauth import OAuth2UserToken, token_set_from
from .._xmedia._checks import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_PROCESSING_DEADLINE,
    MAX_CONCURRENCY,
    MIN_CHECK_TIME,
    cap,
    check_alt_text,
    check_media_id,
    check_segment,
    check_shared,
    int_setting,
    owner_list,
    seconds_setting,
)
from .._xmedia._media_types import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_MAX_CHUNK_SIZE,
    check_total_bytes,
    infer_category,
    resolve_media_type,
)
from .._xmedia._models import UploadedMedia, XRetryPolicy
from .._xmedia._retry import XRetryRules
from .._xmedia._wire import (
    ROUTES,
    Answer,
    BearerAuth,
    XAuth,
    error_from_response,
    json_body,
    multipart_prefix,
    parse_document,
)
from ..errors import (
    ConfigurationError,
    RequestValidationError,
    TransportError,
    XAPIError,
    XOAuthRefreshError,
    XReauthorizationRequiredError,
)
from ._retry import send_with_retries

if TYPE_CHECKING:
    import ssl

    from ..hooks import Hooks

__all__ = ["AsyncXMediaCalls"]

TOKEN_PATH = "/2/oauth2/token"


class AsyncXMediaCalls:
    """The X media endpoints one call at a time: settings, auth, transport and backend.

    The media client (``oneall_push.xmedia``) adds the streaming upload and the processing
    poller on top.
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
        proxy: str | None = None,
        trust_env: bool = True,
        ssl_context: ssl.SSLContext | None = None,
        hooks: Hooks | None = None,
        tracing: bool = True,
    ) -> None:
        check_network(transport, proxy, trust_env, ssl_context)
        if (bearer_token is None) == (auth is None):
            raise ConfigurationError("give exactly one of bearer_token= or auth=")
        if auth is not None and not callable(getattr(auth, "headers", None)):
            raise ConfigurationError(
                "auth must be BearerToken, OAuth1, OAuth2UserToken or have a headers(method, url) method"
            )
        self._auth: XAuth = auth if auth is not None else BearerAuth(bearer_token or "")
        self.base_url = check_base_url(base_url)
        self.timeout = Timeout.coerce(timeout, Timeout(connect=10.0, read=120.0))
        if retry is not None and not isinstance(retry, XRetryPolicy):
            raise ConfigurationError("retry must be an XRetryPolicy")
        self.retry = retry if retry is not None else XRetryPolicy()
        self.chunk_size = int_setting("chunk_size", chunk_size, 1)
        self.max_chunk_size = int_setting("max_chunk_size", max_chunk_size, 1)
        if chunk_size > max_chunk_size:
            raise ConfigurationError(
                f"chunk_size ({chunk_size}) must not exceed max_chunk_size ({max_chunk_size})"
            )
        self.max_concurrency = int_setting("max_concurrency", max_concurrency, 1, MAX_CONCURRENCY)
        self.processing_deadline = seconds_setting(
            "processing_deadline", processing_deadline, positive=True
        )
        self.min_poll_interval = seconds_setting(
            "min_poll_interval", min_poll_interval, positive=False
        )
        self._transport = (
            transport
            if transport is not None
            else AsyncDefaultTransport(
                self.max_concurrency, proxy=proxy, trust_env=trust_env, ssl_context=ssl_context
            )
        )
        self._backend = backend if backend is not None else AsyncBackend()
        self._user_agent = user_agent or USER_AGENT
        self._observer = Observer("x", hooks=hooks, tracing=tracing)

    def __repr__(self) -> str:
        # Only the auth's type: a custom signer's repr may show its secrets.
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, auth={type(self._auth).__name__})"
        )

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
        owners = owner_list(additional_owners)
        check_shared(shared)
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
        media = answer.media("media.initialize")
        return media.evolve(media_type=media_type, media_category=media_category)

    async def append(self, media_id: str, segment_index: int, media: bytes) -> None:
        """Send one chunk: ``POST /2/media/upload/{id}/append`` (multipart ``media`` +
        ``segment_index``). Retried on connect errors, broken exchanges, 5xx and 429."""
        check_media_id(media_id)
        check_segment(segment_index, media)
        form = multipart_prefix([("segment_index", str(segment_index))])
        await self._send_append(media_id, form.wrap(bytes(media)), form.content_type, None, None)

    async def finalize(self, media_id: str) -> UploadedMedia:
        """Close the upload: ``POST /2/media/upload/{id}/finalize`` with the JSON body ``{}``.

        Retried once after a broken exchange or 5xx: finalizing twice answers the same media.
        """
        check_media_id(media_id)
        answer = await self._exchange(
            "POST",
            f"/2/media/upload/{media_id}/finalize",
            body=b"{}",
            content_type="application/json",
            endpoint="media.finalize",
            ambiguous_retries=1,
        )
        return answer.media("media.finalize")

    async def status(self, media_id: str) -> UploadedMedia:
        """Processing status: ``GET /2/media/upload?media_id=...&command=STATUS``."""
        check_media_id(media_id)
        return await self._status(media_id, None)

    async def create_metadata(self, media_id: str, metadata: Mapping[str, Any]) -> Any:
        """Attach metadata: ``POST /2/media/metadata`` ``{"id": ..., "metadata": {...}}``.

        Returns X's ``data`` object.
        """
        check_media_id(media_id)
        if not isinstance(metadata, Mapping):
            raise RequestValidationError("metadata", "must be a mapping")
        alt = metadata.get("alt_text")
        if isinstance(alt, Mapping):
            check_alt_text(alt.get("text", ""))
        answer = await self._exchange(
            "POST",
            "/2/media/metadata",
            body=json_body({"id": media_id, "metadata": dict(metadata)}),
            content_type="application/json",
            endpoint="media.metadata",
            ambiguous_retries=1,
        )
        document = answer.document
        return document.get("data", document) if isinstance(document, Mapping) else document

    async def set_alt_text(self, media_id: str, text: str) -> Any:
        """Set the alt text of an image or GIF (1 to 1000 characters)."""
        check_alt_text(text)
        return await self.create_metadata(media_id, {"alt_text": {"text": text}})

    # --- one call ---------------------------------------------------------------------------

    async def _status(self, media_id: str, give_up_at: float | None) -> UploadedMedia:
        answer = await self._exchange(
            "GET",
            "/2/media/upload",
            query={"media_id": media_id, "command": "STATUS"},
            endpoint="media.status",
            ambiguous_retries=self.retry.max_retries,
            give_up_at=give_up_at,
        )
        return answer.media("media.status")

    async def _send_append(
        self,
        media_id: str,
        body: bytes | bytearray,
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
        body: bytes | bytearray | None,
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
            timeout = Timeout(connect=cap(timeout.connect, left), read=cap(timeout.read, left))
        return Request(
            method=method,
            url=url,
            headers=headers,
            body=body,
            timeout=timeout,
            endpoint=endpoint,
            route=ROUTES.get(endpoint),
        )

    async def _exchange(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        body: bytes | bytearray | None = None,
        content_type: str | None = None,
        endpoint: str,
        ambiguous_retries: int,
        give_up_at: float | None = None,
        stop: AsyncSignal | None = None,
    ) -> Answer:
        """Send with the retry rules; the parsed JSON of a 2xx (None when empty) with its
        status and headers.

        With ``give_up_at`` (a monotonic instant), request timeouts are capped by the time left
        and a retry wait that would pass it raises RetryWouldPassDeadline instead of sleeping.
        Once ``stop`` is set, no retry starts and a retry wait ends early (RetryStopped).

        With a refreshable :class:`OAuth2UserToken`, a token due to expire is refreshed first,
        and a 401 refreshes it once and replays the call once (a 401 was not processed).
        """
        url = self.base_url + path + (f"?{urlencode(query)}" if query else "")
        rules = XRetryRules(
            self.retry,
            ambiguous_retries=ambiguous_retries,
            endpoint=endpoint,
            wall_clock=self._backend.wall_clock,
        )

        async def send() -> Answer:
            return await send_with_retries(
                self._transport,
                self._backend,
                rules,
                lambda _attempt: self._request(
                    method, url, body, content_type, endpoint, give_up_at
                ),
                lambda response: _success_document(response, endpoint),
                observer=self._observer,
                give_up_at=give_up_at,
                stop=stop,
            )

        token = self._auth
        if not isinstance(token, OAuth2UserToken) or not token.can_refresh:
            return await send()
        if token.due(self._backend.wall_clock()):
            await self._refresh(token, token.generation)
        seen = token.generation
        try:
            return await send()
        except XAPIError as exc:
            if exc.status != 401:
                raise
        await self._refresh(token, seen)
        # Once only: a second 401 (the fresh token refused too) is raised as itself.
        return await send()

    async def _refresh(self, token: OAuth2UserToken, seen: int) -> None:
        """Refresh ``token`` unless another call did since it was at generation ``seen``:
        one refresh at a time per credential, however many calls wait."""
        async with token.flight_lock(self._backend):
            if token.generation != seen:
                return
            body, headers = token.refresh_request()
            headers["Accept"] = "application/json"
            headers["User-Agent"] = self._user_agent
            request = Request(
                method="POST",
                url=self.base_url + TOKEN_PATH,
                headers=headers,
                body=body,
                timeout=self.timeout,
                endpoint="oauth2.token",
                route=TOKEN_PATH,
            )
            rules = XRetryRules(
                self.retry,
                # The old refresh token dies once the endpoint rotates it: never repeat a
                # request that may have reached it.
                ambiguous_retries=0,
                endpoint="oauth2.token",
                wall_clock=self._backend.wall_clock,
            )
            try:
                document = await send_with_retries(
                    self._transport,
                    self._backend,
                    rules,
                    lambda _attempt: request,
                    # Not kept on any error: a 2xx body holds the new tokens.
                    lambda response: parse_document(response.body),
                    observer=self._observer,
                )
            except XAPIError as exc:
                raise refresh_refused(token, exc) from exc
            except TransportError as exc:
                error = XOAuthRefreshError(
                    token.redact(f"the token endpoint could not be reached: {exc}")
                )
                raise error from exc
            tokens = token_set_from(document, now=self._backend.wall_clock())
            if tokens is None:
                raise XOAuthRefreshError(
                    "the token endpoint's answer carries no usable access_token "
                    "(the refresh token may have been rotated: re-authorise if this repeats)",
                    status=200,
                )
            token.apply(tokens)


def refresh_refused(token: OAuth2UserToken, error: XAPIError) -> XOAuthRefreshError:
    """The typed error for a token endpoint's refusal: 400 ``invalid_grant`` or
    ``invalid_request`` (X's answer for a revoked, expired or used refresh token) and 401 mean
    the user must authorise again; anything else is an :class:`XOAuthRefreshError`."""
    document = parse_document(error.http.body) if error.http is not None else None
    code = description = None
    if isinstance(document, Mapping):
        code = document.get("error") if isinstance(document.get("error"), str) else None
        text = document.get("error_description")
        description = text if isinstance(text, str) else None
    reason = token.redact(": ".join(p for p in (code, description) if p) or f"HTTP {error.status}")
    refused = error.status == 401 or (
        error.status == 400 and code in ("invalid_grant", "invalid_request")
    )
    kind = XReauthorizationRequiredError if refused else XOAuthRefreshError
    result = kind(reason, status=error.status)
    result.http = error.http
    return result


def _success_document(response: Response, endpoint: str) -> Answer:
    """The JSON of a 2xx; one that carries only ``errors`` (no ``data``) is an error."""
    document = parse_document(response.body)
    if isinstance(document, Mapping) and document.get("errors") and "data" not in document:
        raise error_from_response(
            response.status, response.headers, response.body, endpoint, response
        )
    return Answer(document, response.status, response.headers, response)
