"""The sandbox facade: its aiohttp application, and the controls that inspect and steer it.

The jobs behind it have files of their own: the Push pipeline (``_push``), callback delivery
(``_delivery``), the ``/_sandbox`` inspection API (``_inspection``), the answers' shapes
(``_responses``) and serving (``_serving``, ``_server``).

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

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from ..endpoints import ENDPOINTS, Provider
from ._accounts import TOP_SEGMENTS, AccountRoutes
from ._config import SandboxConfig
from ._delivery import CallbackDelivery
from ._faults import FaultRule
from ._inspection import InspectionAPI
from ._provider_api import PROVIDER_API_SEGMENTS, ProviderApiRoutes
from ._push import ENDPOINT_KEY, PushPipeline
from ._responses import (
    QUEUED_TEXT,
    STATUS_INFO,
    SUCCESS_INFO,
    envelope,
    error_response,
    json_response,
)
from ._state import Identity, SandboxState
from .xmedia import XMediaSandbox

__all__ = ["QUEUED_TEXT", "SUCCESS_INFO", "Sandbox", "SandboxConfig", "envelope"]

logger = logging.getLogger("oneall_push.sandbox")

# Where the X API v2 media upload emulator is mounted.
X_MEDIA_PATH = "/x"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


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
        self._delivery = CallbackDelivery(self.state, self.config)
        self._push = PushPipeline(self.state, self.config, self._delivery)
        self._accounts = AccountRoutes(self.state, self._push)
        self._provider_api = ProviderApiRoutes(self.state, self._push)

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
            app.router.add_route("*", f"/{top}/{{tail:.*}}", self._push.route)
        # Connections, users, identities and sharing (their rows in ACCOUNT_ENDPOINTS).
        for top in TOP_SEGMENTS:
            app.router.add_route("*", f"/{top}.json", self._accounts.route)
            app.router.add_route("*", f"/{top}/{{tail:.*}}", self._accounts.route)
        # The Update and Pull APIs (their rows in PROVIDER_API_ENDPOINTS).
        for top in PROVIDER_API_SEGMENTS:
            app.router.add_route("*", f"/{top}/{{tail:.*}}", self._provider_api.route)
        InspectionAPI(self).install(app)
        app.add_subapp(X_MEDIA_PATH, self.x_media.make_app())
        app.on_startup.append(self._delivery.on_startup)
        app.on_cleanup.append(self._delivery.on_cleanup)
        return app

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
            return error_response(request.path, exc.status, info)
        except Exception as exc:
            return self._internal_error(request, exc)

    def _internal_error(self, request: web.Request, exc: Exception) -> web.Response:
        """A bug in the sandbox: log it, list it in /_sandbox/requests, answer 500 as OneAll."""
        logger.error("sandbox error on %s %s", request.method, request.path, exc_info=exc)
        info = (
            f"{STATUS_INFO[500]} ({type(exc).__name__} in the oneall-push sandbox; "
            "its log has the traceback)"
        )
        endpoint = request.get(ENDPOINT_KEY)
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
            return json_response(problem, 500)
        if request.path.startswith("/_sandbox"):
            return json_response({"error": info}, 500)
        return error_response(request.rel_url.raw_path, 500, info)

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

    # --- the controls, for Python callers in any thread ----------------------------------

    def identities(self, provider: str | None = None) -> list[dict[str, Any]]:
        with self.state._cond:
            return [
                i.to_dict()
                for i in self.state.identities.values()
                if provider is None or i.provider == provider
            ]

    def login(self, provider: str, *, user_token: str | None = None) -> str:
        """Simulate a Social Login with ``provider`` (a Social Link with ``user_token``): a
        new identity, owned by a new (or that) user; returns the connection_token OneAll
        would POST to the login callback."""
        return self._accounts.login(provider, user_token)

    def tokens(self, provider: Provider) -> list[str]:
        return self.state.tokens(provider)

    def token(self, provider: Provider, index: int = 0) -> str:
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
        self._delivery.release()

    def reset(self) -> None:
        """Back to the configured start: identities, faults and seeded ids; nothing published.

        Callbacks still pending from before the reset are dropped, and held ones released (to
        be dropped).
        """
        self.state.reset()
        self.x_media.reset()
        self._delivery.drop()

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
            "faults, identities, login, reset, sink)",
        ]
        for fault in self.faults():
            lines.append(f"  fault #{fault['id']}: {fault['spec']}")
        tokens = ", ".join(self.x_media.tokens)
        lines.append(f"  X media upload API: {self.x_media_url}  (bearer token {tokens})")
        return "\n".join(lines)
