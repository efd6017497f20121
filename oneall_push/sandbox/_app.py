"""The sandbox's aiohttp application: one route per row of the endpoint table.

Each Push request goes through these steps, in the order a real deployment would meet them:

1. connection faults (rules with only ``latency`` / ``reset=before``): they can hit any request,
   authenticated or not, as a network or load balancer would;
2. HTTP Basic credentials (401), so an unauthenticated request cannot use up a ``times=`` rule;
3. request faults (injected status, with Retry-After only when the rule sets ``retry_after``:
   OneAll documents no rate-limit headers; ``reset=after`` is noted here);
4. identity token of the right provider (404);
5. rows the table marks ``deprecated`` (Facebook profile publishing, gone since 2018-08-01): 403.
   An emulation choice: OneAll's docs mark the endpoint deprecated but show no answer for it;
6. the payload node, checked with the client's own request models (400 naming the node and the
   payload key);
7. provider rules: tweet attachments must be media this identity uploaded (400), a tweet may not
   repeat a text this identity already tweeted (409: Twitter refuses duplicates; how OneAll
   relays that is not documented, the 409 and its text are the sandbox's inference);
8. the result is stored and answered, or, with ``reset=after``, stored and the connection
   dropped. An accepted asynchronous upload rolls the callback faults and gets its video id now;
   the callback carries it later.

Any unexpected error becomes a logged 500 in OneAll's envelope, listed in ``/_sandbox/requests``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import datetime as dt
import email.utils
import hashlib
import hmac
import json
import logging
import re
import socket
import struct
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

import aiohttp
import attrs
from aiohttp import web

from .._convert import _wire_name
from .._envelope import node_label
from ..callbacks.signing import redact_signature
from ..endpoints import ENDPOINTS, Endpoint
from ..errors import RequestValidationError
from ..models import results as rs
from ..models.requests import RequestModel
from ._faults import MAX_SECONDS, FaultDecision, FaultRule, Phase, seconds
from ._state import CallbackLog, Identity, PushRecord, SandboxState
from .xmedia import XMediaSandbox

__all__ = ["SUCCESS_INFO", "QUEUED_TEXT", "Sandbox", "SandboxConfig"]

logger = logging.getLogger("oneall_push.sandbox")

SUCCESS_INFO = "Your request has been processed successfully"
QUEUED_TEXT = "The video has been added to the queue and will be uploaded soon."
AUTH_INFO = (
    "Authentication credentials are missing or incorrect: "
    "http://docs.oneall.com/api/basic/authentication/"
)
# The meaning OneAll's docs give each error status (the 429 text is OneAll's own wording).
STATUS_INFO: dict[int, str] = {
    400: "The request is invalid",
    401: AUTH_INFO,
    403: "The request was understood but has been refused",
    404: "The requested resource does not exist",
    409: "The request is correct but cannot be executed",
    429: "You have send too many requests in a given amount of time",
    500: "An internal error occurred",
    502: "The API has technical problems or is in maintenance",
    503: "The API is overloaded with requests",
}
FAULT_SUFFIX = " (fault injected by the oneall-push sandbox)"
# Inferred, not documented: Twitter refuses a repeated status ("Status is a duplicate."); how
# OneAll relays that is unknown, so the sandbox answers 409, OneAll's "correct but cannot be
# executed".
DUPLICATE_TWEET = (
    "The request is correct but cannot be executed: Twitter refused the tweet because this "
    "identity has already published the same text (Status is a duplicate.)"
)
# Where the X API v2 media upload emulator is mounted.
X_MEDIA_PATH = "/x"
_ENDPOINT_KEY = web.RequestKey("oneall_push.sandbox.endpoint", str)
# Each row's concrete-path regex, from the table (matched against the raw, quoted path).
_ROUTES: tuple[tuple[Endpoint, re.Pattern[str]], ...] = tuple(
    (e, e.path_pattern()) for e in ENDPOINTS
)

_OBJECT_NAME: dict[type[rs.Result], str] = {
    rs.PostResult: "post",
    rs.PictureResult: "picture",
    rs.VideoResult: "video",
    rs.QueuedResult: "video",
    rs.PinResult: "pin",
    rs.BoardResult: "board",
    rs.PlaylistResult: "playlist",
    rs.PlaylistVideoResult: "video",
    rs.ChannelSectionResult: "section",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _rules(value: Iterable[FaultRule]) -> tuple[FaultRule, ...]:
    return tuple(value)


def _callback_delay(value: Any) -> float:
    return seconds("callback_delay", value)


def _reorder_window(value: Any) -> float:
    return seconds("reorder_window", value)


@attrs.frozen(kw_only=True)
class SandboxConfig:
    """How a sandbox starts. ``reset()`` returns to exactly this state."""

    public_key: str = "sandbox-public-key"
    private_key: str = "sandbox-private-key"
    seed: int = 0
    identities_per_provider: int = 2
    # Seconds between accepting an async upload and posting its callback.
    callback_delay: float = attrs.field(default=0.2, converter=_callback_delay)
    # How long a "reorder" callback waits for a partner when none has been accepted yet. Once
    # one is accepted it waits for that one, however long it takes.
    reorder_window: float = attrs.field(default=2.0, converter=_reorder_window)
    faults: tuple[FaultRule, ...] = attrs.field(default=(), converter=_rules)

    def __attrs_post_init__(self) -> None:
        if self.reorder_window <= 0:
            raise ValueError(f"reorder_window must be above 0 and at most {MAX_SECONDS:g} seconds")


def rfc2822_now() -> str:
    return email.utils.format_datetime(dt.datetime.now(dt.timezone.utc).replace(microsecond=0))


def envelope(
    resource: str,
    *,
    code: int = 200,
    info: str = SUCCESS_INFO,
    data: Mapping[str, Any] | None = None,
    date: str | None = None,
) -> dict[str, Any]:
    """OneAll's response envelope; errors carry only ``response.request`` (no ``result``)."""
    request = {
        "date": date or rfc2822_now(),
        "resource": resource,
        "status": {"flag": "success" if code < 400 else "error", "code": code, "info": info},
    }
    response: dict[str, Any] = {"request": request}
    if data is not None:
        response["result"] = {"data": dict(data)}
    return {"response": response}


def _json_response(
    document: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.Response(
        status=status,
        # Never NaN or Infinity: they are not JSON.
        body=json.dumps(document, allow_nan=False).encode(),
        content_type="application/json",
        headers=headers,
    )


def _error(
    resource: str, code: int, info: str, headers: Mapping[str, str] | None = None
) -> web.Response:
    return _json_response(envelope(resource, code=code, info=info), code, headers)


def _drop_connection(request: web.Request) -> None:
    """Close the client's connection abruptly (TCP RST where the platform allows it)."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


def _dropped(request: web.Request) -> web.Response:
    _drop_connection(request)
    # Nothing reaches the client: the transport is gone.
    return web.Response(status=500)


def _model_from_node(endpoint: Endpoint, node: Mapping[str, Any]) -> RequestModel:
    """Build the request model by keyword, so the client's validators and converters apply."""
    kwargs: dict[str, Any] = {}
    for a in attrs.fields(endpoint.request):
        wire = _wire_name(a)
        if wire in node:
            kwargs[a.name] = node[wire]
        elif a.default is attrs.NOTHING:
            raise RequestValidationError(wire, "is required")
    return endpoint.request(**kwargs)


def _find_node(document: Any, endpoint: Endpoint) -> Any:
    node: Any = document
    for key in ("request", "push", *endpoint.root):
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node if isinstance(node, Mapping) else None


def _owner_number(token: str, digits: int) -> str:
    value = int(hashlib.sha256(token.encode()).hexdigest(), 16)
    low = 10 ** (digits - 1)
    return str(low + value % (9 * low))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "board"


def _unreachable(url: str) -> bool:
    """True for hosts under the reserved ``.invalid`` TLD (RFC 2606): nothing can be downloaded."""
    host = urlsplit(url).hostname or ""
    return host == "invalid" or host.endswith(".invalid")


def _seconds_header(value: float) -> str:
    """Seconds for a header, without an exponent (``1e-05`` is not a number to every parser)."""
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _wire_names(endpoint: Endpoint, error: RequestValidationError) -> tuple[str, str]:
    """The error's field and rule with Python attribute names replaced by the payload keys."""
    renames = {
        a.name: _wire_name(a) for a in attrs.fields(endpoint.request) if _wire_name(a) != a.name
    }
    field = "/".join(renames.get(part, part) for part in error.field.split("/"))
    rule = error.rule
    for name, wire in renames.items():
        rule = re.sub(rf"\b{re.escape(name)}\b", wire, rule)
    return field, rule


class Sandbox:
    """A stateful OneAll Push API emulator. Inspect and steer it from any thread."""

    def __init__(
        self, config: SandboxConfig | None = None, *, x_media: XMediaSandbox | None = None
    ) -> None:
        self.config = config or SandboxConfig()
        self.state = SandboxState(
            seed=self.config.seed,
            identities_per_provider=self.config.identities_per_provider,
            faults=self.config.faults,
        )
        # The X API v2 media upload emulator, served under /x (its own state, tokens, faults).
        self.x_media = x_media if x_media is not None else XMediaSandbox()
        self._base_url: str | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        # Loop-side callback bookkeeping (touched only on the sandbox's event loop).
        self._held: list[tuple[CallbackLog, asyncio.Event]] = []
        # Accepted "reorder" uploads (ids of their records) whose callback is not ready yet.
        self._reorder_in_flight: set[int] = set()
        self._gates: list[asyncio.Event] = []  # uploads waiting for release_callbacks()
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def base_url(self) -> str | None:
        """``http://host:port`` once serving, else None."""
        return self._base_url

    @base_url.setter
    def base_url(self, value: str | None) -> None:
        self._base_url = value
        self.x_media.base_url = None if value is None else value + X_MEDIA_PATH

    @property
    def x_media_url(self) -> str | None:
        """The base URL to give ``AsyncXMedia``/``XMedia`` (``base_url=``) for this sandbox."""
        return self.x_media.base_url

    # --- the application -----------------------------------------------------------------

    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._envelope_errors])
        # One catch-all per top-level segment of the table's paths; rows are matched by their
        # own Endpoint.path_pattern() in _route.
        for top in sorted({e.path.split("/")[1] for e in ENDPOINTS}):
            app.router.add_route("*", f"/{top}/{{tail:.*}}", self._route)
        self._add_inspection_routes(app)
        app.add_subapp(X_MEDIA_PATH, self.x_media.make_app())
        app.on_startup.append(self._on_startup)
        app.on_cleanup.append(self._on_cleanup)
        return app

    async def _on_startup(self, app: web.Application) -> None:
        self._loop = asyncio.get_running_loop()

    def _drop_held(self) -> None:
        """Forget callbacks held for reordering; open the release gates (on the sandbox's loop)."""
        held, self._held = self._held, []
        for _, event in held:
            event.set()
        self._open_gates()

    def _open_gates(self) -> None:
        gates, self._gates = self._gates, []
        for gate in gates:
            gate.set()

    @web.middleware
    async def _envelope_errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if request.path.startswith(("/_sandbox", "/x/")) or exc.status < 400:
                raise
            info = STATUS_INFO.get(exc.status, exc.reason)
            if exc.status == 404:
                info = f"The resource {request.path} does not exist"
            elif exc.status == 405:
                info = f"The method {request.method} is not allowed on {request.path}"
            return _error(request.path, exc.status, info)
        except Exception as exc:
            return self._internal_error(request, exc)

    def _internal_error(self, request: web.Request, exc: Exception) -> web.Response:
        """A bug in the sandbox: log it, list it in /_sandbox/requests, answer 500 as OneAll."""
        logger.error("sandbox error on %s %s", request.method, request.path, exc_info=exc)
        info = (
            f"{STATUS_INFO[500]} ({type(exc).__name__} in the oneall-push sandbox; "
            "its log has the traceback)"
        )
        endpoint = request.get(_ENDPOINT_KEY)
        self.state.log_request(
            method=request.method,
            path=request.rel_url.raw_path,
            endpoint=endpoint,
            status=500,
            outcome="error",
            info=info,
        )
        if request.path.startswith(X_MEDIA_PATH + "/"):
            problem = {"title": "Internal Server Error", "detail": info, "status": 500}
            return _json_response(problem, 500)
        if request.path.startswith("/_sandbox"):
            return _json_response({"error": info}, 500)
        return _error(request.rel_url.raw_path, 500, info)

    async def _on_cleanup(self, app: web.Application) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._drop_held()
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _spawn(self, coro: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- Push requests -------------------------------------------------------------------

    async def _route(self, request: web.Request) -> web.StreamResponse:
        """Find the row whose path pattern matches; 405 for another method, else 404."""
        path = request.rel_url.raw_path
        allowed: set[str] = set()
        for endpoint, pattern in _ROUTES:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            if request.method != endpoint.method:
                allowed.add(endpoint.method)
                continue
            params = {name: unquote(value) for name, value in match.groupdict().items()}
            return await self._handle_push(endpoint, request, params)
        if allowed:
            raise web.HTTPMethodNotAllowed(request.method, sorted(allowed))
        raise web.HTTPNotFound()

    async def _handle_push(
        self, endpoint: Endpoint, request: web.Request, params: dict[str, str]
    ) -> web.StreamResponse:
        resource = request.rel_url.raw_path
        request[_ENDPOINT_KEY] = endpoint.id
        body = await request.read()
        decision = self._decide(endpoint, "connection")

        def log(status: int, outcome: str, info: str = "") -> None:
            self.state.log_request(
                method=request.method,
                path=resource,
                endpoint=endpoint.id,
                status=status,
                outcome=outcome,
                fault=decision.label,
                info=info,
            )

        if decision.latency:
            await asyncio.sleep(decision.latency)
        if decision.reset == "before":
            log(0, "reset-before")
            return _dropped(request)
        if not self._authorized(request.headers.get("Authorization")):
            log(401, "rejected", AUTH_INFO)
            return _error(resource, 401, AUTH_INFO)

        later = self._decide(endpoint, "request")
        decision = decision.then(later)
        if later.latency:
            await asyncio.sleep(later.latency)
        if decision.reset == "before":
            log(0, "reset-before")
            return _dropped(request)
        if decision.status is not None:
            headers = {"X-Sandbox-Fault": decision.label}
            # Only on request: OneAll documents no rate-limit headers, not even on 429.
            if decision.retry_after is not None:
                headers["Retry-After"] = _seconds_header(decision.retry_after)
            info = STATUS_INFO[decision.status] + FAULT_SUFFIX
            log(decision.status, "fault", info)
            return _error(resource, decision.status, info, headers)

        rejected = self._check_request(endpoint, params, body)
        if isinstance(rejected, tuple):
            code, info = rejected
            log(code, "rejected", info)
            return _error(resource, code, info)
        if endpoint.async_callback:
            decision = decision.then(self._decide(endpoint, "callback"))
        record = self._publish(endpoint, rejected, resource, decision)
        if decision.reset == "after":
            log(0, "reset-after")
            return _dropped(request)
        log(200, "ok")
        return _json_response(envelope(resource, data=record.result, date=record.date))

    def _decide(self, endpoint: Endpoint, phase: Phase) -> FaultDecision:
        return self.state.decide(endpoint.id, phase=phase, async_upload=endpoint.async_callback)

    def _check_request(
        self, endpoint: Endpoint, params: dict[str, str], body: bytes
    ) -> _Checked | tuple[int, str]:
        token = params["identity_token"]
        identity = self.state.identity(token)
        if identity is None:
            return 404, f"The identity_token [{token}] is invalid or does not exist"
        if identity.provider != endpoint.provider:
            return 404, (
                f"The identity_token [{token}] belongs to a {identity.provider} identity, "
                f"not to a {endpoint.provider} identity"
            )
        if endpoint.deprecated is not None:
            # The 403 is the sandbox's choice; the text is the table's deprecation note.
            return 403, f"This endpoint is deprecated. {endpoint.deprecated}"
        label = node_label(endpoint.root)
        bad_node = (
            f"The request cannot be processed. Please verify the format of the [{label}] node."
        )
        try:
            document = json.loads(body.decode("utf-8")) if body.strip() else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            return 400, f"{bad_node} (the body is not valid JSON)"
        node = _find_node(document, endpoint)
        if node is None:
            return 400, bad_node
        try:
            model = _model_from_node(endpoint, node)
        except RequestValidationError as exc:
            field, rule = _wire_names(endpoint, exc)
            return 400, f"{bad_node} ({field}: {rule})"
        attachments = getattr(model, "attachments", None)
        if endpoint.provider == "twitter" and attachments:
            unknown = self.state.unknown_media(token, attachments)
            if unknown:
                return 400, (
                    f"{bad_node} (attachments: {', '.join(unknown)} is not a picture or video "
                    "uploaded by this identity)"
                )
        message = getattr(model, "message", None)
        if endpoint.id == "twitter.publish_tweet" and self.state.published_tweet(
            token, str(message)
        ):
            return 409, DUPLICATE_TWEET
        return _Checked(identity=identity, params=params, node=dict(node), model=model)

    def _authorized(self, header: str | None) -> bool:
        if not header or not header.startswith("Basic "):
            return False
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        user, sep, password = decoded.partition(":")
        ok_user = hmac.compare_digest(user.encode(), self.config.public_key.encode())
        ok_password = hmac.compare_digest(password.encode(), self.config.private_key.encode())
        return bool(sep) and ok_user and ok_password

    def _publish(
        self, endpoint: Endpoint, checked: _Checked, resource: str, decision: FaultDecision
    ) -> PushRecord:
        identity, params, node, model = (
            checked.identity,
            checked.params,
            checked.node,
            checked.model,
        )

        def publish() -> PushRecord:
            planned: str | None = None
            if endpoint.async_callback:
                data: dict[str, Any] = {"object": "video", "result": QUEUED_TEXT}
                status = "queued"
                ids = self.state.ids
                planned = ids.snowflake() if endpoint.provider == "twitter" else ids.base64url(11)
            else:
                data = self._result_data(endpoint, identity, params, model)
                status = "published"
            record = self.state.add_record(
                planned_video_id=planned,
                endpoint=endpoint.id,
                provider=endpoint.provider,
                identity_token=identity.token,
                resource=resource,
                path_params=params,
                payload=node,
                date=rfc2822_now(),
                status=status,
                result=data,
            )
            if endpoint.provider == "twitter" and endpoint.result is rs.PictureResult:
                self.state.media.setdefault(identity.token, set()).add(data["picture_id"])
            if endpoint.async_callback:
                self.state.pending_uploads += 1
            return record

        record, generation = self.state.locked(lambda: (publish(), self.state.generation))
        if endpoint.async_callback:
            if decision.callback == "reorder" and getattr(model, "callback_url", None):
                self._reorder_in_flight.add(id(record))
            self._spawn(
                self._complete_upload(endpoint, identity, model, record, decision, generation)
            )
        return record

    def _result_data(
        self, endpoint: Endpoint, identity: Identity, params: Mapping[str, str], model: Any
    ) -> dict[str, Any]:
        """Documented result fields with realistic ids (called under the state lock)."""
        ids = self.state.ids
        provider = endpoint.provider
        cls = endpoint.result
        data: dict[str, Any] = {"provider": provider, "object": _OBJECT_NAME.get(cls, "post")}
        owner = str(getattr(model, "id", None) or _owner_number(identity.token, 15))
        if cls is rs.PostResult:
            if provider == "twitter":
                post_id = ids.snowflake()
                location = f"https://twitter.com/{identity.name}/status/{post_id}"
            elif provider == "linkedin":
                post_id = f"urn:li:share:{ids.snowflake()}"
                location = f"https://www.linkedin.com/feed/update/{post_id}/"
            else:
                post_id = f"{owner}_{ids.digits(17)}"
                location = f"https://www.facebook.com/{post_id}"
            data.update(post_id=post_id, post_location=location)
        elif cls is rs.PictureResult:
            if provider == "twitter":
                data["picture_id"] = ids.snowflake()
            else:
                picture_id = ids.digits(17)
                data.update(
                    picture_id=picture_id, picture_location=f"https://www.facebook.com/{picture_id}"
                )
                if getattr(model, "create_post", None) is not False:
                    post_id = f"{owner}_{picture_id}"
                    data.update(
                        post_id=post_id, post_location=f"https://www.facebook.com/{post_id}"
                    )
        elif cls is rs.VideoResult:
            video_id = ids.digits(16)
            data.update(
                video_id=video_id,
                video_location=f"https://www.facebook.com/{owner}/videos/{video_id}",
            )
        elif cls is rs.PinResult:
            pin_id = ids.digits(18)
            data.update(pin_id=pin_id, pin_location=f"https://www.pinterest.com/pin/{pin_id}/")
        elif cls is rs.BoardResult:
            data.update(
                board_id=ids.digits(18),
                board_location=f"https://www.pinterest.com/{identity.name}/{_slug(model.name)}/",
            )
        elif cls is rs.PlaylistResult:
            playlist_id = "PL" + ids.base64url(32)
            data.update(
                playlist_id=playlist_id,
                playlist_location=f"https://www.youtube.com/playlist?list={playlist_id}",
            )
        elif cls is rs.PlaylistVideoResult:
            data.update(
                playlist_id=params["playlist_id"],
                video_id=model.id,
                playlist_item_id="UE" + ids.base64url(46),
            )
        elif cls is rs.ChannelSectionResult:
            data["section_id"] = f"UC{ids.base64url(22)}.{ids.base64url(22)}"
        return data

    # --- asynchronous uploads and their callbacks ----------------------------------------

    async def _complete_upload(
        self,
        endpoint: Endpoint,
        identity: Identity,
        model: Any,
        record: PushRecord,
        decision: FaultDecision,
        generation: int,
    ) -> None:
        """Complete an accepted upload; count it settled however this ends."""
        try:
            await self._run_upload(endpoint, identity, model, record, decision, generation)
        finally:
            self._reorder_in_flight.discard(id(record))

            def settle() -> None:
                self.state.pending_uploads -= 1

            self.state.locked(settle)

    async def _wait_for_release(self) -> None:
        """While callbacks are held (``hold_callbacks``), wait for ``release_callbacks``."""
        while self.state.callbacks_held:
            gate = asyncio.Event()
            self._gates.append(gate)
            # Re-checked after registering: a release in between has already cleared the flag.
            if self.state.callbacks_held:
                await gate.wait()

    async def _run_upload(
        self,
        endpoint: Endpoint,
        identity: Identity,
        model: Any,
        record: PushRecord,
        decision: FaultDecision,
        generation: int,
    ) -> None:
        mode = decision.callback or "normal"
        delay = self.config.callback_delay + (decision.callback_delay if mode == "delay" else 0.0)
        await asyncio.sleep(delay)
        await self._wait_for_release()
        video_url = str(getattr(model, "video_url", ""))
        callback_url: str | None = getattr(model, "callback_url", None)
        resource = record.resource.lstrip("/")  # OneAll's callbacks omit the leading slash
        failed = mode == "fail" or _unreachable(video_url)

        def complete() -> CallbackLog | None:
            if self.state.generation != generation:
                return None  # the sandbox was reset meanwhile
            if failed:
                # Inferred: OneAll documents no failure callback; this is an error envelope.
                info = (
                    f"The video could not be uploaded: the file at [{video_url}] could not be "
                    "downloaded or has an unsupported format"
                )
                body = envelope(resource, code=400, info=info)
                record.status, record.error = "failed", info
            else:
                video_id = record.planned_video_id
                assert video_id is not None
                data = {
                    "provider": endpoint.provider,
                    "object": "video",
                    "video_id": video_id,
                    "date_creation": record.date,
                }
                body = envelope(resource, data=data)
                record.status, record.result = "completed", data
                self.state.media.setdefault(identity.token, set()).add(video_id)
            entry = CallbackLog(
                seq=len(self.state.callbacks) + 1,
                record=record.seq,
                url=callback_url,
                body=body,
                mode=mode if mode != "fail" else "normal",
            )
            self.state.callbacks.append(entry)
            return entry

        entry = self.state.locked(complete)
        if entry is None:
            return
        if entry.url is None or entry.mode == "never":
            self._finish(entry)
        elif entry.mode == "reorder":
            self._reorder_in_flight.discard(id(record))
            await self._reorder(entry)
        else:
            await self._deliver(entry, last=entry.mode != "duplicate")
            if entry.mode == "duplicate":
                await self._deliver(entry)

    def _finish(self, entry: CallbackLog) -> None:
        def finish() -> None:
            entry.finished = True

        self.state.locked(finish)

    async def _reorder(self, entry: CallbackLog) -> None:
        """Hold a callback until its partner, the next "reorder" callback, overtakes it.

        It waits for a partner that was already accepted however long that takes; only when none
        is in flight does ``reorder_window`` bound the wait, then it goes out alone.
        """
        if self._held:
            earlier, released = self._held.pop(0)
            await self._deliver(entry)
            released.set()
            await self._deliver(earlier)
            return
        pair = (entry, asyncio.Event())
        self._held.append(pair)
        while True:
            try:
                await asyncio.wait_for(pair[1].wait(), self.config.reorder_window)
                return  # a partner delivered it, or a reset dropped it
            except asyncio.TimeoutError:
                if pair not in self._held:
                    return  # a partner took it and is delivering it
                if not self._reorder_in_flight:
                    self._held.remove(pair)
                    await self._deliver(entry)
                    return

    async def _deliver(self, entry: CallbackLog, *, last: bool = True) -> None:
        assert entry.url is not None
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        status: int | None = None
        error: str | None = None

        def attempt() -> None:
            self.state.deliveries += 1
            if entry.delivery_seq is None:
                entry.delivery_seq = self.state.deliveries

        self.state.locked(attempt)
        try:
            async with self._session.post(
                entry.url,
                data=json.dumps(entry.body).encode(),
                headers={"Content-Type": "application/json", "User-Agent": "OneAll-Sandbox"},
            ) as resp:
                await resp.read()
                status = resp.status
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            # The callback URL carries the client's signature: keep it out of logs and state.
            error = redact_signature(f"{type(exc).__name__}: {exc}")
            logger.warning("sandbox callback to %s failed: %s", redact_signature(entry.url), error)

        def note() -> None:
            entry.delivered += 1
            entry.http_status = status
            entry.error = error
            entry.finished = entry.finished or last

        self.state.locked(note)

    # --- the inspection API --------------------------------------------------------------

    def _add_inspection_routes(self, app: web.Application) -> None:
        r = app.router
        r.add_get("/_sandbox", self._api_summary)
        r.add_get("/_sandbox/", self._api_summary)
        r.add_post("/_sandbox/reset", self._api_reset)
        r.add_get("/_sandbox/identities", self._api_identities)
        r.add_post("/_sandbox/identities", self._api_add_identity)
        r.add_get("/_sandbox/records", self._api_records)
        r.add_get("/_sandbox/requests", self._api_requests)
        r.add_get("/_sandbox/callbacks", self._api_callbacks)
        r.add_post("/_sandbox/callbacks/hold", self._api_hold_callbacks)
        r.add_post("/_sandbox/callbacks/release", self._api_release_callbacks)
        r.add_get("/_sandbox/faults", self._api_faults)
        r.add_post("/_sandbox/faults", self._api_add_fault)
        r.add_delete("/_sandbox/faults", self._api_clear_faults)
        r.add_delete("/_sandbox/faults/{id}", self._api_remove_fault)
        r.add_get("/_sandbox/sink", self._api_sink)
        r.add_post("/_sandbox/sink", self._api_sink_receive)
        r.add_post("/_sandbox/sink/{tail:.*}", self._api_sink_receive)

    def summary(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "public_key": self.config.public_key,
            "private_key": self.config.private_key,
            "seed": self.config.seed,
            "callback_delay": self.config.callback_delay,
            "callbacks_held": self.state.callbacks_held,
            "pending_uploads": self.state.pending_uploads,
            "identities": self.identities(),
            "endpoints": [
                {"id": e.id, "method": e.method, "path": e.path, "async": e.async_callback}
                for e in ENDPOINTS
            ],
            "faults": self.faults(),
            "x_media": {"base_url": self.x_media_url, "bearer_tokens": list(self.x_media.tokens)},
        }

    async def _api_summary(self, request: web.Request) -> web.Response:
        return _json_response(self.summary())

    async def _api_reset(self, request: web.Request) -> web.Response:
        self.reset()
        return _json_response({"reset": True})

    async def _api_identities(self, request: web.Request) -> web.Response:
        return _json_response(self.identities())

    async def _api_add_identity(self, request: web.Request) -> web.Response:
        data = await _read_json(request)
        try:
            identity = self.add_identity(
                str(data.get("provider", "")),
                token=data.get("identity_token"),
                name=data.get("name"),
            )
        except ValueError as exc:
            return _json_response({"error": str(exc)}, 400)
        return _json_response(identity.to_dict(), 201)

    async def _api_records(self, request: web.Request) -> web.Response:
        q = request.query
        return _json_response(
            self.records(
                identity_token=q.get("identity_token"),
                endpoint=q.get("endpoint"),
                provider=q.get("provider"),
            )
        )

    async def _api_requests(self, request: web.Request) -> web.Response:
        return _json_response(self.requests(endpoint=request.query.get("endpoint")))

    async def _api_callbacks(self, request: web.Request) -> web.Response:
        return _json_response(self.callbacks())

    async def _api_hold_callbacks(self, request: web.Request) -> web.Response:
        self.hold_callbacks()
        return _json_response({"held": True})

    async def _api_release_callbacks(self, request: web.Request) -> web.Response:
        self.release_callbacks()
        return _json_response({"held": False})

    async def _api_faults(self, request: web.Request) -> web.Response:
        return _json_response(self.faults())

    async def _api_add_fault(self, request: web.Request) -> web.Response:
        data = await _read_json(request)
        try:
            rule = FaultRule.from_dict(data)
        except (ValueError, KeyError) as exc:
            return _json_response({"error": str(exc)}, 400)
        serial = self.add_fault(rule)
        return _json_response({"id": serial, "spec": rule.spec(), **rule.to_dict()}, 201)

    async def _api_clear_faults(self, request: web.Request) -> web.Response:
        self.clear_faults()
        return _json_response({"cleared": True})

    async def _api_remove_fault(self, request: web.Request) -> web.Response:
        try:
            serial = int(request.match_info["id"])
        except ValueError:
            return _json_response({"error": "fault ids are integers"}, 400)
        if not self.state.remove_fault(serial):
            return _json_response({"error": f"no fault {serial}"}, 404)
        return _json_response({"removed": serial})

    async def _api_sink(self, request: web.Request) -> web.Response:
        return _json_response(self.sink())

    async def _api_sink_receive(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            body: Any = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            body = raw.decode("utf-8", errors="replace")
        entry = {"path": request.path_qs, "body": body}
        self.state.locked(lambda: self.state.sink.append(entry))
        return _json_response({"received": True})

    # --- the same controls, for Python callers in any thread -----------------------------

    def identities(self, provider: str | None = None) -> list[dict[str, Any]]:
        with self.state._cond:
            return [
                i.to_dict()
                for i in self.state.identities.values()
                if provider is None or i.provider == provider
            ]

    def tokens(self, provider: str) -> list[str]:
        return self.state.tokens(provider)

    def token(self, provider: str, index: int = 0) -> str:
        """The ``index``-th identity token of ``provider``."""
        return self.state.tokens(provider)[index]

    def add_identity(
        self, provider: str, *, token: str | None = None, name: str | None = None
    ) -> Identity:
        return self.state.add_identity(provider, token, name)

    def records(
        self,
        *,
        identity_token: str | None = None,
        endpoint: str | None = None,
        provider: str | None = None,
    ) -> list[dict[str, Any]]:
        with self.state._cond:
            return [
                r.to_dict()
                for r in self.state.records
                if (identity_token is None or r.identity_token == identity_token)
                and (endpoint is None or r.endpoint == endpoint)
                and (provider is None or r.provider == provider)
            ]

    def requests(self, *, endpoint: str | None = None) -> list[dict[str, Any]]:
        with self.state._cond:
            return [
                r.to_dict()
                for r in self.state.requests
                if endpoint is None or r.endpoint == endpoint
            ]

    def callbacks(self) -> list[dict[str, Any]]:
        with self.state._cond:
            return [c.to_dict() for c in self.state.callbacks]

    def sink(self) -> list[dict[str, Any]]:
        with self.state._cond:
            return [dict(e) for e in self.state.sink]

    def sink_url(self, name: str = "") -> str:
        """A URL on this sandbox that accepts and records callbacks (use as callback_url)."""
        if self.base_url is None:
            raise RuntimeError("the sandbox is not serving yet")
        return f"{self.base_url}/_sandbox/sink/{name}".rstrip("/")

    def faults(self) -> list[dict[str, Any]]:
        return self.state.describe_faults()

    def add_fault(self, rule: FaultRule | str | None = None, **fields: Any) -> int:
        """Add a fault rule: a FaultRule, a spec string, keywords, or a spec plus keywords.

        ``add_fault("status=503", times=1)`` merges the two; a key given in both with different
        values is a ValueError, as is a FaultRule with keywords.
        """
        if isinstance(rule, FaultRule):
            if fields:
                raise ValueError(
                    f"add_fault: give a FaultRule or keywords, not both ({', '.join(fields)})"
                )
        elif isinstance(rule, str):
            if "spec" in fields:
                raise ValueError("add_fault: give the spec once, positionally or as spec=")
            rule = FaultRule.from_dict({**fields, "spec": rule})
        elif rule is None:
            rule = FaultRule.from_dict(fields)
        else:
            raise TypeError(f"add_fault: expected a FaultRule or a spec string, not {rule!r}")
        return self.state.add_fault(rule)

    def clear_faults(self) -> None:
        self.state.clear_faults()

    def hold_callbacks(self) -> None:
        """Keep accepted uploads queued: none completes or calls back until released.

        Lets a test order events without relying on timing, e.g. publish a tweet while an
        upload is certainly still queued. ``reset()`` releases too.
        """

        def hold() -> None:
            self.state.callbacks_held = True

        self.state.locked(hold)

    def release_callbacks(self) -> None:
        """Let held uploads complete and call back, in the order they became due."""

        def release() -> None:
            self.state.callbacks_held = False

        self.state.locked(release)
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._open_gates)

    def reset(self) -> None:
        """Back to the configured start: identities, faults and seeded ids; nothing published.

        Callbacks still pending from before the reset are dropped, and held ones released (to
        be dropped).
        """
        self.state.reset()
        self.x_media.reset()
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._drop_held)

    def wait_for_callbacks(self, count: int, *, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Block until at least ``count`` callbacks are finished; return the finished ones.

        A callback is one per completed or failed upload since the last reset (a duplicated one
        counts once). It is finished when every planned delivery was attempted, whatever the
        receiver answered (see ``http_status``, ``error``); at once for ``callback=never`` or
        an upload without ``callback_url``. TimeoutError after ``timeout`` seconds.
        """

        def done() -> list[dict[str, Any]] | None:
            finished = [c for c in self.state.callbacks if c.finished]
            return [c.to_dict() for c in finished] if len(finished) >= count else None

        return self.state.wait_for(done, timeout)

    def wait_for_sink(self, count: int, *, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Block until the sink received at least ``count`` POSTs (each duplicate counts)."""

        def done() -> list[dict[str, Any]] | None:
            return [dict(e) for e in self.state.sink] if len(self.state.sink) >= count else None

        return self.state.wait_for(done, timeout)

    def wait_for_idle(self, *, timeout: float = 10.0) -> None:
        """Block until no accepted upload is pending: each completed (or was dropped by a
        reset) and its deliveries were attempted. Held callbacks keep it from being idle.
        """
        self.state.wait_for(lambda: self.state.pending_uploads == 0, timeout)

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``AsyncOneAll``/``OneAll`` aimed at this sandbox."""
        if self.base_url is None:
            raise RuntimeError("the sandbox is not serving yet")
        return {
            "base_url": self.base_url,
            "public_key": self.config.public_key,
            "private_key": self.config.private_key,
        }

    def describe(self) -> str:
        """Human-readable startup text: base URL, credentials, identity tokens."""
        lines = [
            f"OneAll Push sandbox listening on {self.base_url}",
            "",
            f"  ONEALL_BASE_URL={self.base_url}",
            f"  ONEALL_PUBLIC_KEY={self.config.public_key}",
            f"  ONEALL_PRIVATE_KEY={self.config.private_key}",
            "",
            "  identity tokens:",
        ]
        for identity in self.identities():
            lines.append(f"    {identity['provider']:<10} {identity['identity_token']}")
        lines += [
            "",
            f"  seed {self.config.seed}; callbacks after {self.config.callback_delay:g} s",
            f"  inspection API: {self.base_url}/_sandbox  (records, requests, callbacks, "
            "faults, identities, reset, sink)",
        ]
        for fault in self.faults():
            lines.append(f"  fault #{fault['id']}: {fault['spec']}")
        tokens = ", ".join(self.x_media.tokens)
        lines.append(f"  X media upload API: {self.x_media_url}  (bearer token {tokens})")
        return "\n".join(lines)


@attrs.frozen(kw_only=True)
class _Checked:
    identity: Identity
    params: dict[str, str]
    node: dict[str, Any]
    model: RequestModel


async def _read_json(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise web.HTTPBadRequest(text=f"body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text="body must be a JSON object")
    return data
