"""One exception tree for both halves of the library.

Messages never carry credentials: the private key, bearer tokens, callback secrets and signatures
stay out of ``str()`` and ``repr()`` of every exception here.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._io._response import Response
    from ._xmedia._rate_limit import RateLimit
    from .models.results import Envelope

__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "CallbackStoreError",
    "CallbackVerificationError",
    "ConfigurationError",
    "ConflictError",
    "ConnectError",
    "JobFailedError",
    "JobNotFoundError",
    "JobTimeoutError",
    "MalformedCallbackError",
    "MediaAfterFinalizeError",
    "MediaProcessingError",
    "MediaProcessingTimeoutError",
    "MediaSessionExpiredError",
    "MediaSourceError",
    "MediaUploadAbortedError",
    "NotFoundError",
    "TokenNotFoundError",
    "OneAllPushError",
    "OutcomeUnknownError",
    "PermissionDeniedError",
    "ProxyRefusedError",
    "PublishedButIncompleteError",
    "RateLimitError",
    "RequestValidationError",
    "ResponseDecodeError",
    "ServerError",
    "ServiceUnavailableError",
    "TransportError",
    "UnmanagedJobError",
    "UnreadableSuccessError",
    "XAPIError",
    "XDuplicateContentError",
    "XOAuthRefreshError",
    "XRateLimitError",
    "XReauthorizationRequiredError",
    "XThreadIncompleteError",
    "XUsageCapError",
    "XUsageCappedError",
    "error_for_status",
]


class OneAllPushError(Exception):
    """Base class of every error raised by oneall_push.

    ``http`` is the HTTP answer the error was read from (status, headers, elapsed seconds,
    attempt number), or None when there was none (refused before sending, network failure).
    """

    http: Response | None = None


class ConfigurationError(OneAllPushError):
    """The client was configured wrongly (missing credentials, bad base URL, ...)."""


class RequestValidationError(OneAllPushError, ValueError):
    """A request was refused before anything was sent.

    ``field`` names the payload field (dotted for nested ones) and ``rule`` the rule it broke.
    """

    def __init__(self, field: str, rule: str, *, model: str | None = None) -> None:
        self.field = field
        self.rule = rule
        self.model = model
        where = f"{model}.{field}" if model else field
        super().__init__(f"{where}: {rule}")


# --- transport -----------------------------------------------------------------------------


class TransportError(OneAllPushError):
    """The HTTP exchange failed below the API level."""

    def __init__(self, message: str, *, endpoint: str | None = None) -> None:
        self.endpoint = endpoint
        super().__init__(message if endpoint is None else f"{message} ({endpoint})")


class ConnectError(TransportError):
    """The request provably never reached the server (connect failure, pool timeout).

    Safe to retry: nothing was processed.
    """


class ProxyRefusedError(TransportError):
    """The proxy refused the request (``status``: 407 when it wants other credentials).

    Nothing reached the API, and repeating it would meet the same refusal: it is not retried.
    The proxy's credentials never appear in the message.
    """

    def __init__(self, status: int, *, endpoint: str | None = None) -> None:
        self.status = status
        reason = " (proxy authentication required)" if status == 407 else ""
        super().__init__(f"the proxy refused the request: HTTP {status}{reason}", endpoint=endpoint)


class OutcomeUnknownError(TransportError):
    """The request may have been processed: it was sent, then the exchange broke.

    Raised for read timeouts and disconnects after sending. The library never retries these,
    because a Push POST repeated could publish twice. Check the user's timeline before retrying:
    ``client.reconcile(error)`` does it with the Pull API.
    """

    # Set by the OneAll client on the error of a Push call: what was sent, to whom and when
    # (an ``oneall_push.reconcile.PushAttempt``; kept out of the message: it holds a token).
    push_attempt: Any = None


class ResponseDecodeError(OneAllPushError):
    """The server answered with a body that is not the JSON envelope expected."""

    def __init__(
        self, message: str, *, status: int, body_excerpt: str, endpoint: str | None
    ) -> None:
        self.status = status
        self.body_excerpt = body_excerpt
        self.endpoint = endpoint
        super().__init__(
            f"{message} (HTTP {status}, {endpoint or 'unknown endpoint'}): {body_excerpt!r}"
        )


class UnreadableSuccessError(ResponseDecodeError, OutcomeUnknownError):
    """A 2xx answer whose body could not be read (cut short, not JSON, not an envelope).

    The server said it succeeded, so the call may have published: this is an unknown outcome
    (``except OutcomeUnknownError`` catches it), never one to retry blindly. Check first.
    """

    def __init__(
        self, message: str, *, status: int, body_excerpt: str, endpoint: str | None
    ) -> None:
        self.status = status
        self.body_excerpt = body_excerpt
        self.endpoint = endpoint
        OneAllPushError.__init__(
            self,
            f"{message} (HTTP {status}, {endpoint or 'unknown endpoint'}): {body_excerpt!r}; "
            "the request may have been processed: check before retrying",
        )


class PublishedButIncompleteError(OneAllPushError):
    """OneAll reported success, but the answer lacks the id of what was published.

    Do not retry: it went out, and a retry would publish it twice. ``missing`` names the
    absent fields; ``envelope`` (status, resource, raw JSON) and ``data`` (``result.data`` as
    received) keep everything the answer held.
    """

    def __init__(
        self,
        missing: Sequence[str],
        *,
        envelope: Envelope,
        data: Any,
        endpoint: str | None,
    ) -> None:
        self.missing = tuple(missing)
        self.envelope = envelope
        self.data = data
        self.endpoint = endpoint
        self.status = envelope.status.code
        super().__init__(
            f"{endpoint or 'unknown endpoint'}: OneAll reported success but result.data has no "
            f"{', '.join(self.missing)}; do not retry: it was published"
        )


# --- OneAll API errors ---------------------------------------------------------------------


class APIError(OneAllPushError):
    """An API answered with an error: the spine both products' errors share.

    For OneAll: an error status or ``flag: "error"``; for X: see :class:`XAPIError`.
    ``status`` is the HTTP status (OneAll's own code for an error flag), ``headers`` the
    response headers, ``retry_after`` the server's Retry-After hint in seconds (if any),
    ``endpoint`` the table name of the call (``twitter.publish_tweet``, ``media.append``).
    ``info`` is the server's own explanation; ``resource`` the path OneAll reports; ``body``
    OneAll's whole envelope.
    """

    def __init__(
        self,
        status: int,
        info: str,
        *,
        resource: str | None = None,
        endpoint: str | None = None,
        body: Mapping[str, Any] | None = None,
        retry_after: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.info = info
        self.resource = resource
        self.endpoint = endpoint
        self.body = body
        self.retry_after = retry_after
        self.headers: Mapping[str, str] = headers if headers is not None else {}
        super().__init__(self._message())

    def _message(self) -> str:
        return f"HTTP {self.status} from {self.endpoint or self.resource or 'OneAll'}: {self.info}"


class BadRequestError(APIError):
    """400: OneAll refused the request as invalid."""


class AuthenticationError(APIError):
    """401: the public/private key pair is missing or wrong."""


class PermissionDeniedError(APIError):
    """403: understood but refused (missing provider permission, for instance)."""


class NotFoundError(APIError):
    """404: unknown resource or identity token."""


class TokenNotFoundError(NotFoundError):
    """404 for a token: ``token_kind`` is the kind the endpoint expected (``identity_token``,
    ``user_token``, ...): a user_token passed where an identity_token belongs lands here."""

    def __init__(self, status: int, info: str, *, token_kind: str, **kw: Any) -> None:
        self.token_kind = token_kind
        super().__init__(status, info, **kw)

    def _message(self) -> str:
        return f"{super()._message()} (this endpoint expects a {self.token_kind})"


class ConflictError(APIError):
    """409: correct, but cannot be executed."""


class RateLimitError(APIError):
    """429 from either product: too many requests; ``retry_after`` holds the server's hint in
    seconds, if any (X's own 429s are :class:`XRateLimitError` and :class:`XUsageCappedError`)."""


class ServerError(APIError):
    """5xx: OneAll failed or is in maintenance."""


class ServiceUnavailableError(ServerError):
    """503: the API is overloaded."""


_STATUS_TO_ERROR: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
    503: ServiceUnavailableError,
}


def error_for_status(status: int) -> type[APIError]:
    """Return the exception class for an HTTP status (``APIError`` when none is more specific)."""
    if status in _STATUS_TO_ERROR:
        return _STATUS_TO_ERROR[status]
    if status >= 500:
        return ServerError
    return APIError


# --- asynchronous jobs (callbacks) ---------------------------------------------------------


class JobFailedError(OneAllPushError):
    """OneAll's callback reported that the job failed."""

    def __init__(self, job_id: str, status: int, info: str, *, endpoint: str | None = None) -> None:
        self.job_id = job_id
        self.status = status
        self.info = info
        self.endpoint = endpoint
        super().__init__(f"job {job_id} ({endpoint or 'unknown endpoint'}) failed: {status} {info}")


class JobTimeoutError(OneAllPushError, TimeoutError):
    """No callback arrived for a job before the wait gave up. The job may still complete."""

    def __init__(self, job_id: str, timeout: float) -> None:
        self.job_id = job_id
        self.timeout = timeout
        super().__init__(f"no callback for job {job_id} within {timeout:g} s")


class JobNotFoundError(OneAllPushError, LookupError):
    """No job with that id is known to the callback store."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        super().__init__(f"unknown job {job_id}")


class UnmanagedJobError(OneAllPushError):
    """The job has no managed callback (callbacks not configured, or a caller-given callback_url)."""


class CallbackVerificationError(OneAllPushError):
    """A callback request failed verification (bad signature, expired, unknown job)."""

    def __init__(self, reason: str, *, status: int = 403) -> None:
        self.reason = reason
        self.status = status
        super().__init__(reason)


class CallbackStoreError(OneAllPushError):
    """The callback store could not be reached (Redis down, connection lost)."""


class MalformedCallbackError(OneAllPushError, ValueError):
    """A callback body is not a OneAll envelope (the receiver answers 400)."""


# --- X API v2 media upload -----------------------------------------------------------------


class XAPIError(APIError):
    """The X API answered with an error (an :class:`APIError`, like OneAll's).

    ``detail`` and ``messages`` carry the useful cause: X often puts it in ``errors[].message``
    behind a generic ``detail``; ``info`` joins them.
    """

    def __init__(
        self,
        status: int,
        *,
        title: str | None = None,
        detail: str | None = None,
        type: str | None = None,
        messages: Sequence[str] = (),
        endpoint: str | None = None,
        headers: Mapping[str, str] | None = None,
        retry_after: float | None = None,
        rate_limit: RateLimit | None = None,
    ) -> None:
        self.rate_limit = rate_limit
        self.title = title
        self.detail = detail
        self.type = type
        self.messages = tuple(messages)
        parts = [p for p in (title, detail, *self.messages) if p]
        info = "; ".join(parts) if parts else "empty response body"
        super().__init__(status, info, endpoint=endpoint, headers=headers, retry_after=retry_after)

    def _message(self) -> str:
        return f"HTTP {self.status} from X {self.endpoint or ''}: {self.info}".replace("  ", " ")


class XRateLimitError(XAPIError, RateLimitError):
    """429 because a rate-limit window is exhausted; ``reset_at`` says when it reopens.

    Also a :class:`RateLimitError`: ``except RateLimitError`` catches both products' 429s.
    """

    def __init__(self, status: int, *, reset_at: _dt.datetime | None = None, **kw: Any) -> None:
        self.reset_at = reset_at
        super().__init__(status, **kw)


class XUsageCappedError(XAPIError, RateLimitError):
    """The app's usage cap is reached (problem type ``usage-capped``): waiting does not help,
    so it is never retried."""


XUsageCapError = XUsageCappedError


class XDuplicateContentError(XAPIError, PermissionDeniedError):
    """X's 403 for a post whose text duplicates a recent one: change the text."""


class XOAuthRefreshError(OneAllPushError):
    """Refreshing an OAuth 2.0 user token failed (the token endpoint's answer is ``cause``)."""

    def __init__(self, reason: str, *, status: int | None = None) -> None:
        self.reason = reason
        self.status = status
        super().__init__(f"refreshing the OAuth 2.0 token failed: {reason}")


class XReauthorizationRequiredError(XOAuthRefreshError):
    """The refresh token was refused (revoked, expired or already used): the user must
    authorise the app again; the stored token set is worthless."""

    def __init__(self, reason: str, *, status: int | None = None) -> None:
        super().__init__(reason, status=status)
        self.args = (f"the user must re-authorise the app (refresh refused: {reason})",)


class XThreadIncompleteError(OneAllPushError):
    """A thread stopped part-way: ``posted`` holds the posts already published, in order,
    ``failed_index`` the position that failed, ``cause`` the error. Resume from there with
    ``reply_to=posted[-1].id``; do not post the published ones again."""

    def __init__(self, posted: Sequence[Any], failed_index: int, cause: BaseException) -> None:
        self.posted = tuple(posted)
        self.failed_index = failed_index
        self.cause = cause
        super().__init__(
            f"thread stopped at post {failed_index + 1}: {len(self.posted)} published "
            f"({', '.join(p.id for p in self.posted) or 'none'}); cause: {type(cause).__name__}: {cause}"
        )


class MediaProcessingError(OneAllPushError):
    """X finished processing an upload with an error."""

    def __init__(
        self, media_id: str, *, code: int | None, name: str | None, message: str | None
    ) -> None:
        self.media_id = media_id
        self.code = code
        self.name = name
        self.message = message
        super().__init__(
            f"media {media_id} failed processing: {name or 'error'} ({code}): {message or ''}"
        )


class MediaProcessingTimeoutError(OneAllPushError, TimeoutError):
    """Processing did not finish before the overall deadline."""

    def __init__(self, media_id: str, deadline: float, last_state: str | None) -> None:
        self.media_id = media_id
        self.deadline = deadline
        self.last_state = last_state
        super().__init__(
            f"media {media_id} still {last_state or 'processing'} after the {deadline:g} s deadline"
        )


class MediaUploadAbortedError(OneAllPushError):
    """An upload stopped after X opened its session and before finalize succeeded.

    The session ``media_id`` is left open and unfinalized on X (it expires on its own);
    ``bytes_acknowledged`` of ``total_bytes`` were accepted by X. The error that stopped the
    upload is ``cause`` (also ``__cause__``).
    """

    def __init__(
        self,
        media_id: str,
        *,
        bytes_acknowledged: int,
        total_bytes: int,
        reason: str,
        cause: BaseException | None = None,
    ) -> None:
        self.media_id = media_id
        self.bytes_acknowledged = bytes_acknowledged
        self.total_bytes = total_bytes
        self.reason = reason
        self.cause = cause
        super().__init__(
            f"upload of media {media_id} aborted after {bytes_acknowledged} of {total_bytes} "
            f"bytes, not finalized: {reason}"
        )


class MediaSourceError(MediaUploadAbortedError):
    """The source broke its promise mid-upload: an iterator gave more or fewer bytes than
    ``total_bytes``, or a file grew, shrank or was rewritten while it was read.

    ``field`` is ``"source"``; ``rule`` says what went wrong.
    """

    field = "source"

    def __init__(self, media_id: str, *, rule: str, **kw: Any) -> None:
        self.rule = rule
        super().__init__(media_id, reason=f"source: {rule}", **kw)


class MediaSessionExpiredError(MediaUploadAbortedError):
    """X's upload session (``expires_after_secs`` from initialize) ran out before finalize."""


class MediaAfterFinalizeError(OneAllPushError):
    """X accepted the upload (finalize, or the one-shot upload, succeeded), then a later step
    failed: a processing status check (``step="status"``) or setting alt text
    (``step="metadata"``).

    The media is on X: reuse ``media_id`` rather than uploading again (``media`` is the last
    ``UploadedMedia`` seen, e.g. to retry ``wait_for_processing`` or ``set_alt_text``). The
    error that stopped the step is ``cause`` (also ``__cause__``).
    """

    def __init__(self, media_id: str, *, step: str, media: Any, cause: BaseException) -> None:
        self.media_id = media_id
        self.step = step
        self.media = media
        self.cause = cause
        what = {"status": "checking its processing", "metadata": "setting its alt text"}
        super().__init__(
            f"media {media_id} is uploaded (reuse its id, do not upload it again) but "
            f"{what.get(step, step)} failed: {str(cause) or type(cause).__name__}"
        )
