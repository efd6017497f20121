"""The client: credentials, the retry loop and the one code path every endpoint goes through."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, TypeVar

from .._backends import AsyncBackend
from .._config import Credentials, RetryPolicy, parse_retry_after, resolve_base_url
from .._config import settings_from_env as _settings_from_env
from .._envelope import (
    decode_json,
    encode_push_body,
    error_for_envelope,
    parse_envelope,
    push_node,
    structure_result,
)
from .._transport import AsyncHttpTransport, AsyncTransport, Request, Response, Timeout
from .._version import __version__
from ..callbacks.config import CallbackConfig
from ..endpoints import Endpoint
from ..errors import ConnectError, RequestValidationError, ResponseDecodeError, error_for_status
from ..models.requests import RequestModel
from ..models.results import QueuedResult, Result
from ._resources import AsyncResources
from .jobs import AsyncCallbackStore, AsyncJob, AsyncJobManager

__all__ = ["AsyncOneAll"]

logger = logging.getLogger("oneall_push")

R = TypeVar("R", bound=Result)

USER_AGENT = f"oneall-push-python/{__version__}"


class AsyncOneAll(AsyncResources):
    """Client for the OneAll Push API.

    One method per documented resource, grouped by provider: ``client.twitter.publish_tweet``,
    ``client.facebook.publish_page_post``, ... Use it as a context manager, or call
    :meth:`close` when done.
    """

    def __init__(
        self,
        *,
        public_key: str,
        private_key: str,
        subdomain: str | None = None,
        base_url: str | None = None,
        timeout: Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        callbacks: CallbackConfig | None = None,
        callback_store: AsyncCallbackStore | None = None,
        transport: AsyncTransport | None = None,
        backend: AsyncBackend | None = None,
        user_agent: str | None = None,
        strict_results: bool = False,
    ) -> None:
        self._credentials = Credentials(public_key, private_key)
        self.base_url = resolve_base_url(subdomain, base_url)
        self.timeout = Timeout.coerce(timeout, Timeout())
        self.retry = retry if retry is not None else RetryPolicy()
        self._transport = transport if transport is not None else AsyncHttpTransport()
        self._backend = backend if backend is not None else AsyncBackend()
        self._headers = {
            "Authorization": self._credentials.authorization(),
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": user_agent or USER_AGENT,
        }
        self._strict_results = strict_results
        self.jobs = AsyncJobManager(callbacks, callback_store, self._backend)
        self._bind_resources(self)

    @classmethod
    def from_env(cls, **overrides: Any) -> AsyncOneAll:
        """Build a client from ONEALL_SUBDOMAIN, ONEALL_PUBLIC_KEY, ONEALL_PRIVATE_KEY and
        ONEALL_BASE_URL; keyword arguments override them."""
        settings: dict[str, Any] = dict(_settings_from_env())
        settings.update(overrides)
        return cls(**settings)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, "
            f"public_key={self._credentials.public_key!r})"
        )

    async def __aenter__(self) -> AsyncOneAll:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Release the connection pool (and the callback store, if this client made it)."""
        await self.jobs.close()
        await self._transport.close()

    async def _call(
        self,
        endpoint: Endpoint,
        path_params: Mapping[str, str],
        payload: RequestModel,
        result_type: type[R],
        *,
        extra_fields: Mapping[str, Any] | None,
        timeout: Timeout | float | None,
    ) -> R:
        """Validate, send with the retry policy, and parse one Push call."""
        request = self._build_request(endpoint, path_params, payload, extra_fields, timeout)
        response = await self._send(request)
        return self._parse(endpoint, response, result_type)

    async def _start_job(
        self,
        endpoint: Endpoint,
        path_params: Mapping[str, str],
        payload: RequestModel,
        result_type: type[R],
        *,
        extra_fields: Mapping[str, Any] | None,
        timeout: Timeout | float | None,
    ) -> AsyncJob[R]:
        """Send an asynchronous upload; the returned job resolves from OneAll's callback."""
        job, payload = self.jobs.prepare(
            endpoint, path_params.get("identity_token", ""), payload, result_type
        )
        # Every check runs before anything is stored: bad input leaves no record behind.
        request = self._build_request(endpoint, path_params, payload, extra_fields, timeout)
        # The job exists before the POST is sent: a callback that outruns the response is kept.
        await self.jobs.register(job)
        try:
            response = await self._send(request)
            queued = self._parse(endpoint, response, QueuedResult)
        except BaseException as exc:
            await self.jobs.abandon(job, exc)
            raise
        return job.with_queued(queued)

    def _build_request(
        self,
        endpoint: Endpoint,
        path_params: Mapping[str, str],
        payload: RequestModel,
        extra_fields: Mapping[str, Any] | None,
        timeout: Timeout | float | None,
    ) -> Request:
        if not isinstance(payload, endpoint.request):
            raise RequestValidationError(
                "payload", f"{endpoint.id} takes {endpoint.request.__name__}"
            )
        path = endpoint.render_path(path_params)
        body = encode_push_body(endpoint.root, push_node(payload, extra_fields))
        return Request(
            method=endpoint.method,
            url=self.base_url + path,
            headers=self._headers,
            body=body,
            timeout=Timeout.coerce(timeout, self.timeout),
            endpoint=endpoint.id,
        )

    async def _send(self, request: Request) -> Response:
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self._transport.send(request)
            except ConnectError:
                delay = self.retry.delay_for_connect_error(attempt)
                if delay is None:
                    raise
                logger.info(
                    "%s: connect failed, retry %d in %.2fs", request.endpoint, attempt, delay
                )
                await self._transport.sleep(delay)
                continue
            logger.debug("%s %s -> %d", request.method, request.endpoint, response.status)
            if response.status in (429, 503):
                retry_after = parse_retry_after(response.header("retry-after"))
                delay = self.retry.delay_for_status(response.status, retry_after, attempt)
                if delay is not None:
                    logger.info(
                        "%s: HTTP %d, retry %d in %.2fs",
                        request.endpoint,
                        response.status,
                        attempt,
                        delay,
                    )
                    await self._transport.sleep(delay)
                    continue
            return response

    def _parse(self, endpoint: Endpoint, response: Response, result_type: type[R]) -> R:
        try:
            document = decode_json(response.body, status=response.status, endpoint=endpoint.id)
            envelope, data = parse_envelope(document, status=response.status, endpoint=endpoint.id)
        except ResponseDecodeError as exc:
            if response.status < 400:
                raise
            # A proxy's HTML 502 or a gateway's own JSON still deserves the status's class.
            raise error_for_status(response.status)(
                response.status,
                str(exc),
                endpoint=endpoint.id,
                retry_after=parse_retry_after(response.header("retry-after")),
            ) from exc
        if response.status >= 400 or envelope.status.flag == "error":
            raise error_for_envelope(
                envelope,
                http_status=response.status,
                endpoint=endpoint.id,
                retry_after=parse_retry_after(response.header("retry-after")),
            )
        return structure_result(
            data, envelope, result_type, endpoint=endpoint.id, strict=self._strict_results
        )
