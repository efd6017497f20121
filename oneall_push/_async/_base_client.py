"""What every endpoint call goes through: build the request, send it with the retry rules,
read the answer."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode

import attrs

from .._config import RetryPolicy
from .._envelope import (
    decode_json,
    encode_push_body,
    encode_request_body,
    error_for_envelope,
    merge_extra_fields,
    parse_envelope,
    push_node,
    structure_result,
)
from .._io import AsyncBackend, AsyncTransport, Request, Response, Timeout
from .._observe import Observer
from .._retry import PushRetryRules
from ..errors import (
    NotFoundError,
    OutcomeUnknownError,
    ResponseDecodeError,
    TokenNotFoundError,
    error_for_status,
)
from ..models.requests import RequestModel
from ..models.results import Envelope, QueuedResult, Result
from ..reconcile import PushAttempt
from ._retry import send_with_retries
from .jobs import AsyncJob, AsyncJobManager

if TYPE_CHECKING:
    from ..endpoints import ApiEndpoint, Endpoint

__all__ = ["AsyncBaseClient"]

R = TypeVar("R", bound=Result)
T = TypeVar("T")


class AsyncBaseClient:
    """The transport, backend, retry rules and job manager one client's calls share."""

    base_url: str
    timeout: Timeout
    jobs: AsyncJobManager
    _transport: AsyncTransport
    _backend: AsyncBackend
    _request_headers: Callable[[], dict[str, str]]
    _strict_results: bool
    _retry_rules: PushRetryRules
    _observer: Observer

    @property
    def retry(self) -> RetryPolicy:
        return self._retry_rules.policy

    @retry.setter
    def retry(self, policy: RetryPolicy) -> None:
        self._retry_rules = PushRetryRules(policy)

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
        started = self._backend.wall_clock()
        try:
            return await self._send(
                request, lambda answer: self._parse(endpoint, answer, result_type)
            )
        except OutcomeUnknownError as exc:
            self._stamp(exc, endpoint, path_params, payload, extra_fields, started)
            raise

    def _stamp(
        self,
        error: OutcomeUnknownError,
        endpoint: Endpoint,
        path_params: Mapping[str, str],
        payload: RequestModel,
        extra_fields: Mapping[str, Any] | None,
        started: float,
    ) -> None:
        """Keep what an unknown outcome sent, for ``reconcile``."""
        error.push_attempt = PushAttempt(
            endpoint=endpoint.id,
            identity_token=path_params.get("identity_token", ""),
            path_params=dict(path_params),
            payload=push_node(payload, extra_fields),
            attempted_at=_dt.datetime.fromtimestamp(started, tz=_dt.timezone.utc),
        )

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
        started = self._backend.wall_clock()
        try:
            queued = await self._send(
                request, lambda answer: self._parse(endpoint, answer, QueuedResult)
            )
        except BaseException as exc:
            if isinstance(exc, OutcomeUnknownError):
                self._stamp(exc, endpoint, path_params, payload, extra_fields, started)
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
        path = endpoint.render_path(path_params)
        body = encode_push_body(endpoint.root, push_node(payload, extra_fields))
        return Request(
            method=endpoint.method,
            url=self.base_url + path,
            headers=self._request_headers(),
            body=body,
            timeout=Timeout.coerce(timeout, self.timeout),
            endpoint=endpoint.id,
            route=endpoint.path,
        )

    async def _send(self, request: Request, read: Callable[[Response], T]) -> T:
        return await send_with_retries(
            self._transport,
            self._backend,
            self._retry_rules,
            lambda _attempt: request,
            read,
            observer=self._observer,
        )

    async def _call_account(
        self,
        endpoint: ApiEndpoint,
        path_params: Mapping[str, str],
        *,
        query: Mapping[str, str] | None = None,
        payload: Any = None,
        extra_fields: Mapping[str, Any] | None = None,
        timeout: Timeout | float | None = None,
    ) -> tuple[Envelope, Any, Response]:
        """Send one connection, user, identity or sharing call; the envelope and its data."""
        path = endpoint.render_path(path_params)
        pairs = [*endpoint.query, *(query or {}).items()]
        url = self.base_url + path + ("?" + urlencode(pairs) if pairs else "")
        body = None
        if endpoint.root is not None:
            if isinstance(payload, RequestModel):
                node = push_node(payload, extra_fields)
            else:
                node = merge_extra_fields(
                    payload.to_wire(), extra_fields, {a.name for a in attrs.fields(type(payload))}
                )
            # Update rows nest the payload below request.update (``post``, ``channel.section``).
            for key in reversed(endpoint.node):
                node = {key: node}
            body = encode_request_body(endpoint.root, node)
        request = Request(
            method=endpoint.method,
            url=url,
            headers=self._request_headers(),
            body=body,
            timeout=Timeout.coerce(timeout, self.timeout),
            endpoint=endpoint.id,
            route=endpoint.path,
        )
        return await self._send(request, lambda answer: self._read_account(endpoint, answer))

    def _read_account(
        self, endpoint: ApiEndpoint, response: Response
    ) -> tuple[Envelope, Any, Response]:
        try:
            return (*self._envelope_of(endpoint.id, response), response)
        except NotFoundError as exc:
            if endpoint.token is None:
                raise
            raise TokenNotFoundError(
                exc.status,
                exc.info,
                token_kind=endpoint.token,
                resource=exc.resource,
                endpoint=exc.endpoint,
                body=exc.body,
                retry_after=exc.retry_after,
                headers=exc.headers,
            ) from None

    def _envelope_of(self, endpoint_id: str, response: Response) -> tuple[Envelope, Any]:
        try:
            document = decode_json(response.body, status=response.status, endpoint=endpoint_id)
            envelope, data = parse_envelope(document, status=response.status, endpoint=endpoint_id)
        except ResponseDecodeError as exc:
            if response.status < 400:
                raise
            raise error_for_status(response.status)(
                response.status,
                str(exc),
                endpoint=endpoint_id,
                retry_after=response.retry_after,
                headers=response.headers,
            ) from exc
        if response.status >= 400 or envelope.status.flag == "error":
            raise error_for_envelope(
                envelope,
                http_status=response.status,
                endpoint=endpoint_id,
                retry_after=response.retry_after,
                headers=response.headers,
            )
        return envelope, data

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
                retry_after=response.retry_after,
                headers=response.headers,
            ) from exc
        if response.status >= 400 or envelope.status.flag == "error":
            raise error_for_envelope(
                envelope,
                http_status=response.status,
                endpoint=endpoint.id,
                retry_after=response.retry_after,
                headers=response.headers,
            )
        result = structure_result(
            data, envelope, result_type, endpoint=endpoint.id, strict=self._strict_results
        )
        # Results are frozen; the answer is attached in place, like the envelope.
        object.__setattr__(result, "http", response)
        return result
