"""The ``/_sandbox`` inspection API: the facade's controls as JSON over HTTP."""

from __future__ import annotations

import json
from typing import Any, Protocol

from aiohttp import web

from ._faults import FaultRule
from ._responses import json_response, read_json
from ._state import Identity, SandboxState

__all__ = ["InspectionAPI", "SandboxControls"]


class SandboxControls(Protocol):
    """What the inspection API steers: the :class:`~oneall_push.sandbox.Sandbox` facade."""

    state: SandboxState

    def summary(self) -> dict[str, Any]: ...
    def reset(self) -> None: ...
    def identities(self, provider: str | None = None) -> list[dict[str, Any]]: ...
    def add_identity(
        self, provider: str, *, token: str | None = None, name: str | None = None
    ) -> Identity: ...
    def records(
        self,
        *,
        identity_token: str | None = None,
        endpoint: str | None = None,
        provider: str | None = None,
    ) -> list[dict[str, Any]]: ...
    def requests(self, *, endpoint: str | None = None) -> list[dict[str, Any]]: ...
    def callbacks(self) -> list[dict[str, Any]]: ...
    def hold_callbacks(self) -> None: ...
    def release_callbacks(self) -> None: ...
    def faults(self) -> list[dict[str, Any]]: ...
    def add_fault(self, rule: FaultRule | str | None = None, **fields: Any) -> int: ...
    def clear_faults(self) -> None: ...
    def sink(self) -> list[dict[str, Any]]: ...
    def login(self, provider: str, *, user_token: str | None = None) -> str: ...


class InspectionAPI:
    """JSON routes under ``/_sandbox`` for any HTTP client (the CLI, curl, other languages)."""

    def __init__(self, sandbox: SandboxControls) -> None:
        self.sandbox = sandbox

    def install(self, app: web.Application) -> None:
        """Add the ``/_sandbox`` routes to ``app``."""
        r = app.router
        r.add_get("/_sandbox", self._api_summary)
        r.add_get("/_sandbox/", self._api_summary)
        r.add_post("/_sandbox/reset", self._api_reset)
        r.add_get("/_sandbox/identities", self._api_identities)
        r.add_post("/_sandbox/identities", self._api_add_identity)
        r.add_post("/_sandbox/login", self._api_login)
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

    async def _api_summary(self, request: web.Request) -> web.Response:
        return json_response(self.sandbox.summary())

    async def _api_reset(self, request: web.Request) -> web.Response:
        self.sandbox.reset()
        return json_response({"reset": True})

    async def _api_identities(self, request: web.Request) -> web.Response:
        return json_response(self.sandbox.identities())

    async def _api_login(self, request: web.Request) -> web.Response:
        """``{"provider": "twitter", "user_token"?: ...}`` -> ``{"connection_token": ...}``."""
        data = await read_json(request)
        user_token = data.get("user_token")
        try:
            token = self.sandbox.login(
                str(data.get("provider", "")),
                user_token=user_token if isinstance(user_token, str) else None,
            )
        except ValueError as exc:
            return json_response({"error": str(exc)}, 400)
        return json_response({"connection_token": token}, 201)

    async def _api_add_identity(self, request: web.Request) -> web.Response:
        data = await read_json(request)
        try:
            identity = self.sandbox.add_identity(
                str(data.get("provider", "")),
                token=data.get("identity_token"),
                name=data.get("name"),
            )
        except ValueError as exc:
            return json_response({"error": str(exc)}, 400)
        return json_response(identity.to_dict(), 201)

    async def _api_records(self, request: web.Request) -> web.Response:
        q = request.query
        return json_response(
            self.sandbox.records(
                identity_token=q.get("identity_token"),
                endpoint=q.get("endpoint"),
                provider=q.get("provider"),
            )
        )

    async def _api_requests(self, request: web.Request) -> web.Response:
        return json_response(self.sandbox.requests(endpoint=request.query.get("endpoint")))

    async def _api_callbacks(self, request: web.Request) -> web.Response:
        return json_response(self.sandbox.callbacks())

    async def _api_hold_callbacks(self, request: web.Request) -> web.Response:
        self.sandbox.hold_callbacks()
        return json_response({"held": True})

    async def _api_release_callbacks(self, request: web.Request) -> web.Response:
        self.sandbox.release_callbacks()
        return json_response({"held": False})

    async def _api_faults(self, request: web.Request) -> web.Response:
        return json_response(self.sandbox.faults())

    async def _api_add_fault(self, request: web.Request) -> web.Response:
        data = await read_json(request)
        try:
            rule = FaultRule.from_dict(data)
        except (ValueError, KeyError) as exc:
            return json_response({"error": str(exc)}, 400)
        serial = self.sandbox.add_fault(rule)
        return json_response({"id": serial, "spec": rule.spec(), **rule.to_dict()}, 201)

    async def _api_clear_faults(self, request: web.Request) -> web.Response:
        self.sandbox.clear_faults()
        return json_response({"cleared": True})

    async def _api_remove_fault(self, request: web.Request) -> web.Response:
        try:
            serial = int(request.match_info["id"])
        except ValueError:
            return json_response({"error": "fault ids are integers"}, 400)
        if not self.sandbox.state.remove_fault(serial):
            return json_response({"error": f"no fault {serial}"}, 404)
        return json_response({"removed": serial})

    async def _api_sink(self, request: web.Request) -> web.Response:
        return json_response(self.sandbox.sink())

    async def _api_sink_receive(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            body: Any = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            body = raw.decode("utf-8", errors="replace")
        entry = {"path": request.path_qs, "body": body}
        self.sandbox.state.locked(lambda: self.sandbox.state.sink.append(entry))
        return json_response({"received": True})
