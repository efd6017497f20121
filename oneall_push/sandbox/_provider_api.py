"""The Update and Pull APIs, answered from the same world as Push.

What Push published (the records) is what Pull lists, newest first; Update edits a record's
payload (checked with the same request models as the client, so an edit meets the publish's
rules) or marks it deleted, after which Pull no longer lists it and a second delete is a 404.
Routes come from ``PROVIDER_API_ENDPOINTS``; each request meets connection faults, credentials,
request faults (``provider=`` rules too), the identity check, then the row's own work; a
``reset=after`` fault processes the request and drops the answer.

The Pull answers' shape is the sandbox's inference (no public copy shows one):
``data.<list_key> = {"pagination"?: {...}, "count": n, "entries": [...]}``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import attrs
from aiohttp import web

from .._convert import _wire_name
from ..endpoints import PROVIDER_API_ENDPOINTS, ApiEndpoint
from ..errors import RequestValidationError
from ._responses import (
    AUTH_INFO,
    FAULT_SUFFIX,
    STATUS_INFO,
    dropped,
    envelope,
    error_response,
    json_response,
    seconds_header,
)

if TYPE_CHECKING:
    from ._push import PushPipeline
    from ._state import PushRecord, SandboxState

__all__ = ["PROVIDER_API_SEGMENTS", "ProviderApiRoutes"]

_ROUTES: tuple[tuple[ApiEndpoint, re.Pattern[str]], ...] = tuple(
    (e, e.path_pattern()) for e in PROVIDER_API_ENDPOINTS
)
PROVIDER_API_SEGMENTS = tuple(sorted({e.path.split("/")[1] for e in PROVIDER_API_ENDPOINTS}))
MAX_PULL = 500

# Which Push records an Update row acts on, and how each path id is found in a record:
# (where: "result" / "payload" / "path", key).
_Match = dict[str, tuple[str, str]]
_PAGE_POST: tuple[tuple[str, ...], _Match] = (
    ("facebook.publish_page_post", "facebook.upload_page_picture"),
    {"page_id": ("payload", "id"), "post_id": ("result", "post_id")},
)
_PIN = (("pinterest.publish_pin",), {"pin_id": ("result", "pin_id")})
_SECTION = (("youtube.add_channel_section",), {"section_id": ("result", "section_id")})
_PLAYLIST = (("youtube.create_playlist",), {"playlist_id": ("result", "playlist_id")})
UPDATE_TARGETS: dict[str, tuple[tuple[str, ...], _Match]] = {
    "twitter.delete_tweet": (("twitter.publish_tweet",), {"post_id": ("result", "post_id")}),
    "facebook.update_page_post": _PAGE_POST,
    "facebook.delete_page_post": _PAGE_POST,
    "facebook.delete_page_picture": (
        ("facebook.upload_page_picture",),
        {"page_id": ("payload", "id"), "picture_id": ("result", "picture_id")},
    ),
    "facebook.delete_page_video": (
        ("facebook.upload_page_video",),
        {"page_id": ("payload", "id"), "video_id": ("result", "video_id")},
    ),
    "pinterest.update_pin": _PIN,
    "pinterest.delete_pin": _PIN,
    "youtube.update_channel_section": _SECTION,
    "youtube.delete_channel_section": _SECTION,
    "youtube.update_playlist": _PLAYLIST,
    "youtube.delete_playlist": _PLAYLIST,
    "youtube.delete_playlist_video": (
        ("youtube.add_video_to_playlist",),
        {"playlist_id": ("path", "playlist_id"), "video_id": ("result", "video_id")},
    ),
}

# Pull rows listing records: the Push rows they read, a filter on the path ids, the item shape.
_Item = Callable[["PushRecord"], dict[str, Any]]


def _post_item(r: PushRecord) -> dict[str, Any]:
    item = {
        "post_id": r.result.get("post_id"),
        "message": r.payload.get("message"),
        "link": r.payload.get("link"),
        "picture": r.payload.get("picture") or r.payload.get("url"),
        "date_creation": r.date,
        "post_location": r.result.get("post_location"),
    }
    return {k: v for k, v in item.items() if v is not None}


def _tweet_item(r: PushRecord) -> dict[str, Any]:
    return {
        "tweet_id": r.result["post_id"],
        "text": r.payload.get("message"),
        "date_creation": r.date,
        "tweet_location": r.result.get("post_location"),
    }


def _pin_item(r: PushRecord) -> dict[str, Any]:
    item = {
        "pin_id": r.result.get("pin_id"),
        "board_id": r.path_params.get("board_id"),
        "description": r.payload.get("description"),
        "link": r.payload.get("link"),
        "picture": r.payload.get("picture"),
        "date_creation": r.date,
        "pin_location": r.result.get("pin_location"),
    }
    return {k: v for k, v in item.items() if v is not None}


def _video_item(r: PushRecord) -> dict[str, Any]:
    return {
        "video_id": r.result.get("video_id"),
        "title": r.payload.get("title"),
        "description": r.payload.get("description"),
        "date_creation": r.date,
    }


_PULLED: dict[str, tuple[tuple[str, ...], _Match, _Item]] = {
    "twitter.list_tweets": (("twitter.publish_tweet",), {}, _tweet_item),
    "facebook.list_posts": (
        ("facebook.publish_user_post", "facebook.upload_user_picture"),
        {},
        _post_item,
    ),
    "facebook.list_page_posts": (
        ("facebook.publish_page_post", "facebook.upload_page_picture"),
        {"page_id": ("payload", "id")},
        _post_item,
    ),
    "facebook.list_group_posts": (
        ("facebook.publish_group_post",),
        {"group_id": ("payload", "id")},
        _post_item,
    ),
    "linkedin.list_user_posts": (("linkedin.publish_user_post",), {}, _post_item),
    "linkedin.list_company_posts": (
        ("linkedin.publish_company_post",),
        {"company_id": ("payload", "company")},
        _post_item,
    ),
    "pinterest.list_pins": (("pinterest.publish_pin",), {}, _pin_item),
    "pinterest.list_board_pins": (
        ("pinterest.publish_pin",),
        {"board_id": ("path", "board_id")},
        _pin_item,
    ),
    "youtube.list_videos": (("youtube.upload_video",), {}, _video_item),
}

# Pull rows listing what an account has, not what it published: a few per identity, fixed.
_OWNED = {
    "facebook.list_pages": ("page_id", "Page", 3),
    "facebook.list_groups": ("group_id", "Group", 2),
    "facebook.list_likes": ("id", "Liked page", 2),
    "linkedin.list_companies": ("company_id", "Company", 2),
    "pinterest.list_boards": ("board_id", "Board", 2),
}


def owned_ids(token: str, kind: str, count: int) -> list[str]:
    """The ids of the pages (groups, companies, boards) a sandbox identity has."""
    out = []
    for n in range(1, count + 1):
        digest = hashlib.sha256(f"{token}/{kind}/{n}".encode()).hexdigest()
        out.append(str(10**14 + int(digest, 16) % (9 * 10**14)))
    return out


class _Refused(Exception):
    def __init__(self, status: int, info: str) -> None:
        self.status, self.info = status, info


def _value(record: PushRecord, where: str, key: str) -> Any:
    source = {"result": record.result, "payload": record.payload, "path": record.path_params}
    return source[where].get(key)


def _matches(record: PushRecord, match: _Match, params: dict[str, str]) -> bool:
    return all(str(_value(record, w, k)) == params[name] for name, (w, k) in match.items())


def _int_param(query: dict[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PULL:
        raise _Refused(400, f"{name} must be a whole number from 1 to {MAX_PULL}")
    return int(raw)


class ProviderApiRoutes:
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

        def decide(phase: Any) -> Any:
            return self.state.decide(
                endpoint.id, phase=phase, async_upload=False, provider=endpoint.group
            )

        decision = decide("connection")
        if decision.latency:
            await asyncio.sleep(decision.latency)
        if decision.reset == "before":
            log(0, "reset-before", fault=decision.label)
            return dropped(request)
        if not self.push._authorized(request.headers.get("Authorization")):
            log(401, "rejected", AUTH_INFO)
            return error_response(resource, 401, AUTH_INFO)
        later = decide("request")
        decision = decision.then(later)
        if later.latency:
            await asyncio.sleep(later.latency)
        if decision.reset == "before":
            log(0, "reset-before", fault=decision.label)
            return dropped(request)
        if decision.status is not None:
            headers = {"X-Sandbox-Fault": decision.label}
            if decision.retry_after is not None:
                headers["Retry-After"] = seconds_header(decision.retry_after)
            info = STATUS_INFO[decision.status] + FAULT_SUFFIX
            log(decision.status, "fault", info, decision.label)
            return error_response(resource, decision.status, info, headers)
        query = dict(request.rel_url.query)
        try:
            data = self.state.locked(lambda: self._answer(endpoint, params, query, body))
        except _Refused as refused:
            log(refused.status, "rejected", refused.info)
            return error_response(resource, refused.status, refused.info)
        if decision.reset == "after":
            log(0, "reset-after", fault=decision.label)
            return dropped(request)
        log(200, "ok")
        return json_response(envelope(resource, data=data))

    # --- under the state lock ------------------------------------------------------------

    def _answer(
        self, endpoint: ApiEndpoint, params: dict[str, str], query: dict[str, str], body: bytes
    ) -> Any:
        token = params["identity_token"]
        identity = self.state.identities.get(token)
        if identity is None:
            raise _Refused(404, f"The identity_token [{token}] is invalid or does not exist")
        if identity.provider != endpoint.group:
            raise _Refused(
                404,
                f"The identity_token [{token}] belongs to a {identity.provider} identity, "
                f"not to a {endpoint.group} identity",
            )
        if endpoint.family == "update":
            return self._update(endpoint, params, body)
        return self._pull(endpoint, params, query)

    def _update(self, endpoint: ApiEndpoint, params: dict[str, str], body: bytes) -> Any:
        endpoints, match = UPDATE_TARGETS[endpoint.id]
        target = endpoint.path_params[-1]
        record = next(
            (
                r
                for r in reversed(self.state.records)
                if r.identity_token == params["identity_token"]
                and r.endpoint in endpoints
                and r.status in ("published", "completed")
                and _matches(r, match, params)
            ),
            None,
        )
        noun = target.removesuffix("_id")
        if record is None:
            raise _Refused(404, f"The {noun} [{params[target]}] does not exist or has been deleted")
        if endpoint.method == "DELETE":
            record.status = "deleted"
            return None
        node = self._edit_node(endpoint, body)
        record.payload.update(node)
        record.edits += 1
        return None

    def _edit_node(self, endpoint: ApiEndpoint, body: bytes) -> dict[str, Any]:
        """The ``request.update...`` node, checked with the client's own update model."""
        label = "request->update->" + "->".join(endpoint.node)
        bad = f"The request cannot be processed. Please verify the format of the [{label}] node."
        try:
            document = json.loads(body.decode("utf-8")) if body.strip() else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise _Refused(400, f"{bad} (the body is not valid JSON)") from None
        node: Any = document
        for key in ("request", "update", *endpoint.node):
            node = node.get(key) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            raise _Refused(400, bad)
        assert endpoint.request is not None
        kwargs = {}
        for a in attrs.fields(endpoint.request):
            if _wire_name(a) in node:
                kwargs[a.name] = node[_wire_name(a)]
        try:
            endpoint.request(**kwargs)
        except RequestValidationError as exc:
            raise _Refused(400, f"{bad} ({exc.field}: {exc.rule})") from None
        except TypeError as exc:
            raise _Refused(400, f"{bad} ({exc})") from None
        return dict(node)

    def _pull(self, endpoint: ApiEndpoint, params: dict[str, str], query: dict[str, str]) -> Any:
        token = params["identity_token"]
        key = endpoint.list_key or ""
        if endpoint.id in _OWNED:
            id_key, label, count = _OWNED[endpoint.id]
            entries = [
                {id_key: value, "name": f"Sandy Box {label} {n}"}
                for n, value in enumerate(owned_ids(token, endpoint.id, count), 1)
            ]
        else:
            endpoints, match, item = _PULLED[endpoint.id]
            records = [
                r
                for r in reversed(self.state.records)  # newest first
                if r.identity_token == token
                and r.endpoint in endpoints
                and r.status in ("published", "completed")
                and _matches(r, match, params)
                and (r.endpoint != "youtube.upload_video" or r.result.get("video_id"))
            ]
            entries = [item(r) for r in records]
        if endpoint.id == "twitter.list_tweets":
            entries = self._tweets(entries, query)
        if endpoint.paginated:
            return {key: self._page(entries, query, endpoint.page_param or "")}
        return {key: {"count": len(entries), "entries": entries}}

    def _tweets(self, entries: list[dict[str, Any]], query: dict[str, str]) -> Any:
        only = query.get("only_tweet_id")
        if only is not None:
            return [e for e in entries if e["tweet_id"] == only]
        after = query.get("after_tweet_id")
        if after is not None:
            ids = [e["tweet_id"] for e in entries]
            if after in ids:
                entries = entries[: ids.index(after)]
            elif after.isdigit():
                entries = [e for e in entries if int(e["tweet_id"]) > int(after)]
        return entries[: _int_param(query, "num_tweets", 50)]

    def _page(self, entries: list[Any], query: dict[str, str], size_param: str) -> Any:
        size = _int_param(query, size_param, 25)
        page = _int_param(query, "page", 1)
        chunk = entries[(page - 1) * size : page * size]
        return {
            "pagination": {
                "current_page": page,
                "total_pages": max(1, -(-len(entries) // size)),
                "entries_per_page": size,
                "total_entries": len(entries),
            },
            "count": len(chunk),
            "entries": chunk,
        }
