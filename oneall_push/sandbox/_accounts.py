"""Connections, users, identities and Social Sharing, answered from the sandbox's state.

Routes come from ``ACCOUNT_ENDPOINTS``; each request meets connection faults, credentials,
request faults, then the row's own checks. Sharing publishes to each target identity as Push
would and records one publication each; a fault rule with ``provider=`` fails that provider's
publication only (a failed publication is in the answer, the message still succeeds).
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from aiohttp import web

from ..endpoints import ACCOUNT_ENDPOINTS, PROVIDERS, ApiEndpoint
from ._responses import (
    AUTH_INFO,
    FAULT_SUFFIX,
    STATUS_INFO,
    dropped,
    envelope,
    error_response,
    json_response,
    rfc2822_now,
    seconds_header,
)

if TYPE_CHECKING:
    from ._account_state import AccountBook, SandboxUser
    from ._push import PushPipeline
    from ._state import SandboxState

__all__ = ["AccountRoutes", "TOP_SEGMENTS"]

_ROUTES: tuple[tuple[ApiEndpoint, re.Pattern[str]], ...] = tuple(
    (e, e.path_pattern()) for e in ACCOUNT_ENDPOINTS
)
TOP_SEGMENTS = tuple(
    sorted({e.path.split("/")[1].removesuffix(".json") for e in ACCOUNT_ENDPOINTS})
)
MAX_PAGE = 500
_NOUN = {
    "connection_token": "connection",
    "user_token": "user",
    "identity_token": "identity",
    "sharing_message_token": "sharing message",
}


class _Refused(Exception):
    def __init__(self, status: int, info: str) -> None:
        self.status, self.info = status, info


def _missing(kind: str, token: str) -> _Refused:
    return _Refused(404, f"No {_NOUN[kind]} has been found for the specified {kind} [{token}]")


class AccountRoutes:
    def __init__(self, state: SandboxState, push: PushPipeline) -> None:
        self.state = state
        self.push = push

    async def route(self, request: web.Request) -> web.StreamResponse:
        path = request.rel_url.raw_path
        allowed: set[str] = set()
        for endpoint, pattern in _ROUTES:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            if request.method != endpoint.method:
                allowed.add(endpoint.method)
                continue
            params = {k: unquote(v) for k, v in match.groupdict().items()}
            return await self._handle(endpoint, request, params)
        if allowed:
            raise web.HTTPMethodNotAllowed(request.method, sorted(allowed))
        raise web.HTTPNotFound()

    async def _handle(
        self, endpoint: ApiEndpoint, request: web.Request, params: dict[str, str]
    ) -> web.StreamResponse:
        resource = request.rel_url.raw_path
        body = await request.read()

        def log(status: int, outcome: str, info: str = "", fault: str = "") -> None:
            self.state.log_request(
                method=request.method,
                path=resource,
                endpoint=endpoint.id,
                status=status,
                outcome=outcome,
                fault=fault,
                info=info,
            )

        decision = self.state.decide(endpoint.id, phase="connection", async_upload=False)
        if decision.latency:
            await asyncio.sleep(decision.latency)
        if decision.reset == "before":
            log(0, "reset-before", fault=decision.label)
            return dropped(request)
        if not self.push._authorized(request.headers.get("Authorization")):
            log(401, "rejected", AUTH_INFO)
            return error_response(resource, 401, AUTH_INFO)
        later = self.state.decide(endpoint.id, phase="request", async_upload=False)
        decision = decision.then(later)
        if later.latency:
            await asyncio.sleep(later.latency)
        if decision.status is not None:
            headers = {"X-Sandbox-Fault": decision.label}
            if decision.retry_after is not None:
                headers["Retry-After"] = seconds_header(decision.retry_after)
            info = STATUS_INFO[decision.status] + FAULT_SUFFIX
            log(decision.status, "fault", info, decision.label)
            return error_response(resource, decision.status, info, headers)
        try:
            document = json.loads(body.decode("utf-8")) if body.strip() else {}
        except (UnicodeDecodeError, json.JSONDecodeError):
            log(400, "rejected", "the body is not valid JSON")
            return error_response(resource, 400, "The request body is not valid JSON")
        node: Any = document.get("request", {}) if isinstance(document, dict) else {}
        if endpoint.root is not None:
            node = node.get(endpoint.root) if isinstance(node, dict) else None
            if not isinstance(node, dict):
                node = {} if endpoint.root == "synchronize" else None
        query = dict(request.rel_url.query)
        handler = getattr(self, "_" + endpoint.id.replace(".", "_"))
        try:
            data = self.state.locked(lambda: handler(params, query, node))
        except _Refused as refused:
            log(refused.status, "rejected", refused.info)
            return error_response(resource, refused.status, refused.info)
        if decision.reset == "after":
            log(0, "reset-after", fault=decision.label)
            return dropped(request)
        log(200, "ok")
        return json_response(envelope(resource, data=data))

    # --- helpers (called under the state lock) -------------------------------------------

    @property
    def book(self) -> AccountBook:
        return self.state.accounts

    def _user(self, token: str) -> SandboxUser:
        user = self.book.users.get(token)
        if user is None:
            raise _missing("user_token", token)
        return user

    def _identity_node(self, token: str) -> dict[str, Any]:
        identity = self.state.identities.get(token)
        meta = self.book.identity_meta.get(token)
        if identity is None or meta is None:
            raise _missing("identity_token", token)
        return {
            "identity_token": token,
            "user_token": meta.user_token,
            "provider": identity.provider,
            "id": token[:8],
            "displayName": identity.name,
            "preferredUsername": identity.name.replace(" ", "").lower(),
            "profileUrl": f"https://{identity.provider}.example/{token[:8]}",
            "date_creation": meta.date_creation,
            "date_last_update": meta.date_last_update,
            "source": {
                "name": identity.provider.capitalize(),
                "key": identity.provider,
                "access_token": {"key": meta.access_token},
            },
        }

    def _user_node(self, user: SandboxUser) -> dict[str, Any]:
        return {
            "user_token": user.token,
            "uuid": user.uuid,
            "date_creation": user.date_creation,
            "date_last_login": user.date_last_login,
            "identities": [self._identity_node(t) for t in user.identities],
        }

    def _page(self, key: str, items: list[Any], query: dict[str, str]) -> dict[str, Any]:
        try:
            page = int(query.get("page", "1"))
            size = int(query.get("entries_per_page", "250"))
        except ValueError:
            raise _Refused(400, "page and entries_per_page must be whole numbers") from None
        if page < 1 or not 1 <= size <= MAX_PAGE:
            raise _Refused(400, f"entries_per_page must be between 1 and {MAX_PAGE}, page >= 1")
        direction = query.get("order_direction", "asc")
        if direction not in ("asc", "desc"):
            raise _Refused(400, "order_direction must be asc or desc")
        if direction == "desc":
            items = items[::-1]
        total = len(items)
        chunk = items[(page - 1) * size : page * size]
        return {
            key: {
                "pagination": {
                    "current_page": page,
                    "total_pages": max(1, -(-total // size)),
                    "entries_per_page": size,
                    "total_entries": total,
                    "order": {"field": "date_creation", "direction": direction},
                },
                "count": len(chunk),
                "entries": chunk,
            }
        }

    def _confirm(self, query: dict[str, str]) -> None:
        if query.get("confirm_deletion") != "true":
            raise _Refused(400, "Please confirm the deletion with confirm_deletion=true")

    # --- connections ---------------------------------------------------------------------

    def _connection_node(self, token: str) -> dict[str, Any]:
        connection = self.book.connections.get(token)
        if connection is None:
            raise _missing("connection_token", token)
        user: dict[str, Any] = {"user_token": connection.user_token}
        if connection.identity_token in self.state.identities:
            user["identity"] = self._identity_node(connection.identity_token)
        return {
            "connection": {
                "connection_token": token,
                "date": connection.date,
                "plugin": connection.plugin,
            },
            "user": user,
        }

    def _connections_get(self, params: dict[str, str], query: dict[str, str], _: Any) -> Any:
        return self._connection_node(params["connection_token"])

    def _connections_list(self, params: dict[str, str], query: dict[str, str], _: Any) -> Any:
        entries = [
            {"connection_token": c.token, "date": c.date, "plugin": c.plugin}
            for c in self.book.connections.values()
        ]
        return self._page("connections", entries, query)

    # --- users ---------------------------------------------------------------------------

    def _users_get(self, params: dict[str, str], query: dict[str, str], _: Any) -> Any:
        return {"user": self._user_node(self._user(params["user_token"]))}

    def _users_list(self, params: dict[str, str], query: dict[str, str], _: Any) -> Any:
        users = list(self.book.users.values())
        return self._page(
            "users",
            [{"user_token": u.token, "date_creation": u.date_creation} for u in users],
            query,
        )

    def _users_contacts(self, params: dict[str, str], query: dict[str, str], _: Any) -> Any:
        user = self._user(params["user_token"])
        return {"contacts": [_contact(t) for t in user.identities]}

    def _users_delete(self, params: dict[str, str], query: dict[str, str], _: Any) -> Any:
        user = self._user(params["user_token"])
        self._confirm(query)
        for token in list(user.identities):
            self.state.identities.pop(token, None)
            self.book.forget_identity(token)
        del self.book.users[user.token]
        return None

    # --- identities ----------------------------------------------------------------------

    def _identities_get(self, params: dict[str, str], query: dict[str, str], _: Any) -> Any:
        return {"identity": self._identity_node(params["identity_token"])}

    def _identities_list(self, params: dict[str, str], query: dict[str, str], _: Any) -> Any:
        entries = [self._identity_node(t) for t in self.book.identity_meta]
        return self._page("identities", entries, query)

    def _identities_synchronize(
        self, params: dict[str, str], query: dict[str, str], node: Any
    ) -> Any:
        token = params["identity_token"]
        self._identity_node(token)  # 404 if unknown
        meta = self.book.identity_meta[token]
        meta.date_last_update = rfc2822_now()
        meta.synchronized += 1
        if node.get("force_token_update") is True:
            meta.access_token = "sandbox-access-" + self.book.ids.base64url(24)
        return {"identity": self._identity_node(token)}

    def _identities_relink(self, params: dict[str, str], query: dict[str, str], node: Any) -> Any:
        token = params["identity_token"]
        self._identity_node(token)
        if node is None or not isinstance(node.get("user_token"), str):
            raise _Refused(400, "The request cannot be processed: request->user->user_token")
        self.book.attach(token, self._user(node["user_token"]))
        return {"identity": self._identity_node(token)}

    def _identities_delete(self, params: dict[str, str], query: dict[str, str], _: Any) -> Any:
        token = params["identity_token"]
        self._identity_node(token)
        self._confirm(query)
        # Gone for Push as well: later Push calls with this token answer 404.
        self.state.identities.pop(token, None)
        self.book.forget_identity(token)
        return None

    def _identities_contacts(self, params: dict[str, str], query: dict[str, str], _: Any) -> Any:
        self._identity_node(params["identity_token"])
        return {"contacts": [_contact(params["identity_token"])]}

    # --- sharing -------------------------------------------------------------------------

    def _targets(self, node: Any) -> list[str]:
        if not isinstance(node, dict):
            raise _Refused(400, "The request cannot be processed: request->sharing_message")
        for_identity = node.get("publish_for_identity")
        for_user = node.get("publish_for_user")
        if isinstance(for_identity, dict) == isinstance(for_user, dict):
            raise _Refused(400, "Give exactly one of publish_for_user and publish_for_identity")
        if isinstance(for_identity, dict):
            token = str(for_identity.get("identity_token", ""))
            self._identity_node(token)
            return [token]
        assert isinstance(for_user, dict)
        user = self._user(str(for_user.get("user_token", "")))
        providers = for_user.get("providers")
        if not isinstance(providers, list) or not providers:
            raise _Refused(400, "publish_for_user needs a list of providers")
        return [t for t in user.identities if self.state.identities[t].provider in providers]

    def _publish_to(self, message: Any, targets: list[str]) -> None:
        for token in targets:
            identity = self.state.identities[token]
            meta = self.book.identity_meta[token]
            fault = self.state.faults.decide(
                "sharing.publish",
                phase="request",
                async_upload=False,
                provider=identity.provider,
                provider_rules_only=True,
            )
            now = rfc2822_now()
            if fault.status is not None:
                status = {
                    "flag": "error",
                    "code": fault.status,
                    "message": STATUS_INFO[fault.status] + FAULT_SUFFIX,
                }
            else:
                status = {"flag": "success", "code": 200, "message": "Published"}
            publication = {
                "status": status,
                "provider": identity.provider,
                "user_token": meta.user_token,
                "identity_token": token,
                "date_publication": now,
            }
            message.publications.append(publication)
            record = self.state.records
            record.append(_record(len(record) + 1, identity.provider, token, message, status, now))
        message.date_last_published = rfc2822_now()

    def _message_node(self, token: str) -> dict[str, Any]:
        message = self.book.messages.get(token)
        if message is None:
            raise _missing("sharing_message_token", token)
        return {
            "sharing_message": {
                "sharing_message_token": message.token,
                "date_creation": message.date_creation,
                "date_last_published": message.date_last_published,
                "publications": list(message.publications),
            }
        }

    def _sharing_publish(self, params: dict[str, str], query: dict[str, str], node: Any) -> Any:
        targets = self._targets(node)
        parts = node.get("parts")
        if not isinstance(parts, dict) or not any(
            k in parts for k in ("text", "picture", "video", "link")
        ):
            raise _Refused(400, "A message needs at least one part: text, picture, video, link")
        message = self.book.new_message(parts, {k: v for k, v in node.items() if k != "parts"})
        self._publish_to(message, targets)
        return self._message_node(message.token)

    def _sharing_get(self, params: dict[str, str], query: dict[str, str], _: Any) -> Any:
        return self._message_node(params["sharing_message_token"])

    def _sharing_list(self, params: dict[str, str], query: dict[str, str], _: Any) -> Any:
        entries = [self._message_node(t)["sharing_message"] for t in self.book.messages]
        return self._page("sharing_messages", entries, query)

    def _sharing_republish(self, params: dict[str, str], query: dict[str, str], node: Any) -> Any:
        token = params["sharing_message_token"]
        self._message_node(token)
        self._publish_to(self.book.messages[token], self._targets(node))
        return self._message_node(token)

    def _sharing_delete(self, params: dict[str, str], query: dict[str, str], _: Any) -> Any:
        token = params["sharing_message_token"]
        self._message_node(token)
        del self.book.messages[token]
        return None

    # --- logins (the inspection API and Sandbox.login) -----------------------------------

    def login(self, provider: str, user_token: str | None = None, name: str | None = None) -> str:
        """A Social Login (or, with ``user_token``, a Social Link): a new identity of
        ``provider`` owned by a new (or that) user; returns the connection_token."""
        if provider not in PROVIDERS:
            raise ValueError(f"unknown provider {provider!r}; known: {', '.join(PROVIDERS)}")

        def login() -> str:
            user = self.book.users.get(user_token) if user_token else self.book.new_user()
            if user is None:
                raise ValueError(f"unknown user_token {user_token!r}")
            identity = self.state._add_identity(provider, None, name)
            self.book.attach(identity.token, user)
            plugin = "social_link" if user_token else "social_login"
            return str(self.book.add_connection(user, identity.token, plugin))

        return self.state.locked(login)


def _contact(token: str) -> dict[str, Any]:
    return {
        "name": f"Contact of {token[:8]}",
        "profileUrl": f"https://contacts.example/{token[:8]}",
    }


def _record(
    seq: int, provider: str, token: str, message: Any, status: dict[str, Any], date: str
) -> Any:
    from ._state import PushRecord

    return PushRecord(
        seq=seq,
        endpoint="sharing.publish",
        provider=provider,
        identity_token=token,
        resource="/sharing/messages.json",
        path_params={"sharing_message_token": message.token},
        payload=dict(message.parts),
        date=date,
        status="published" if status["flag"] == "success" else "failed",
        result={"sharing_message_token": message.token, "status": status},
        error=None if status["flag"] == "success" else str(status["message"]),
    )
