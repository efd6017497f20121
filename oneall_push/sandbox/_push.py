"""The Push pipeline: each request to a row of the endpoint table, checked in the order a real
deployment would meet the checks (see :mod:`oneall_push.sandbox._app`), published and answered."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

import attrs
from aiohttp import web

from .._convert import _wire_name
from .._envelope import node_label
from ..endpoints import ENDPOINTS, Endpoint
from ..errors import RequestValidationError
from ..models import results as rs
from ..models.requests import RequestModel
from ._config import SandboxConfig
from ._delivery import CallbackDelivery
from ._faults import FaultDecision, Phase
from ._responses import (
    AUTH_INFO,
    DUPLICATE_TWEET,
    FAULT_SUFFIX,
    QUEUED_TEXT,
    STATUS_INFO,
    dropped,
    envelope,
    error_response,
    json_response,
    rfc2822_now,
    seconds_header,
)
from ._state import Identity, PushRecord, SandboxState

__all__ = ["ENDPOINT_KEY", "PushPipeline"]

# The table id of the row a request matched, for the error log.
ENDPOINT_KEY = web.RequestKey("oneall_push.sandbox.endpoint", str)

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


class PushPipeline:
    """Answers the Push API's routes from the sandbox's state; hands accepted uploads to the
    callback delivery."""

    def __init__(
        self, state: SandboxState, config: SandboxConfig, delivery: CallbackDelivery
    ) -> None:
        self.state = state
        self.config = config
        self.delivery = delivery

    async def route(self, request: web.Request) -> web.StreamResponse:
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
        request[ENDPOINT_KEY] = endpoint.id
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
            return dropped(request)
        if not self._authorized(request.headers.get("Authorization")):
            log(401, "rejected", AUTH_INFO)
            return error_response(resource, 401, AUTH_INFO)

        later = self._decide(endpoint, "request")
        decision = decision.then(later)
        if later.latency:
            await asyncio.sleep(later.latency)
        if decision.reset == "before":
            log(0, "reset-before")
            return dropped(request)
        if decision.status is not None:
            headers = {"X-Sandbox-Fault": decision.label}
            # Only on request: OneAll documents no rate-limit headers, not even on 429.
            if decision.retry_after is not None:
                headers["Retry-After"] = seconds_header(decision.retry_after)
            info = STATUS_INFO[decision.status] + FAULT_SUFFIX
            log(decision.status, "fault", info)
            return error_response(resource, decision.status, info, headers)

        rejected = self._check_request(endpoint, params, body)
        if isinstance(rejected, tuple):
            code, info = rejected
            log(code, "rejected", info)
            return error_response(resource, code, info)
        if endpoint.async_callback:
            decision = decision.then(self._decide(endpoint, "callback"))
        record = self._publish(endpoint, rejected, resource, decision)
        if decision.reset == "after":
            log(0, "reset-after")
            return dropped(request)
        log(200, "ok")
        return json_response(envelope(resource, data=record.result, date=record.date))

    def _decide(self, endpoint: Endpoint, phase: Phase) -> FaultDecision:
        return self.state.decide(
            endpoint.id,
            phase=phase,
            async_upload=endpoint.async_callback,
            provider=endpoint.provider,
        )

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
            self.delivery.accept(endpoint, identity, model, record, decision, generation)
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


@attrs.frozen(kw_only=True)
class _Checked:
    identity: Identity
    params: dict[str, str]
    node: dict[str, Any]
    model: RequestModel


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
