"""The X sandbox's credentials: bearer tokens, OAuth 1.0a signatures verified against the
configured consumer and token secrets, and an OAuth 2.0 token endpoint (``/2/oauth2/token``)
with expiry, refresh-token rotation and revoked refresh tokens."""

from __future__ import annotations

import base64
import hmac
import secrets
import threading
import time
from typing import Any
from urllib.parse import parse_qsl, unquote

import attrs
from aiohttp import web

from .._xauth import oauth1_header
from ._x_answers import problem

__all__ = ["DEFAULT_USER_ID", "X_USER", "XCredentials", "oauth1_params"]

DEFAULT_USER_ID = "2244994945"
# The calling user's id, set on the request by the sandbox's auth check.
X_USER = web.RequestKey("x_user", str)
NONCE_WINDOW = 300  # seconds a timestamp may be off


def oauth1_params(header: str) -> dict[str, str]:
    """The parameters of an ``OAuth k="v", ...`` header (empty when it is not one)."""
    scheme, _, rest = header.partition(" ")
    if scheme != "OAuth":
        return {}
    found: dict[str, str] = {}
    for item in rest.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep or len(value) < 2 or value[0] != '"' or value[-1] != '"':
            return {}
        found[unquote(key)] = unquote(value[1:-1])
    return found


@attrs.define
class _Issued:
    user_id: str
    client_id: str
    expires_at: float


@attrs.define(kw_only=True)
class XCredentials:
    """Who may call the sandbox. ``bearer_tokens`` (user ``DEFAULT_USER_ID``);
    ``consumers`` (OAuth 1.0a consumer key -> secret) with ``access_tokens`` (token ->
    (secret, user id)); ``oauth2_clients`` (client id -> secret, None for a public client)
    whose tokens come from ``/2/oauth2/token``; ``access_token_lifetime`` in seconds."""

    bearer_tokens: tuple[str, ...] = ()
    consumers: dict[str, str] = attrs.Factory(dict)
    access_tokens: dict[str, tuple[str, str]] = attrs.Factory(dict)
    oauth2_clients: dict[str, str | None] = attrs.Factory(dict)
    access_token_lifetime: float = 7200.0
    clock: Any = time.time
    issued: dict[str, _Issued] = attrs.Factory(dict)
    refresh_tokens: dict[str, tuple[str, str]] = attrs.Factory(dict)  # token -> (client, user)
    revoked: set[str] = attrs.Factory(set)
    refresh_requests: int = 0
    seen_nonces: set[str] = attrs.Factory(set)
    _lock: threading.Lock = attrs.Factory(threading.Lock)

    def grant(self, client_id: str, user_id: str = DEFAULT_USER_ID) -> tuple[str, str]:
        """Issue an access and a refresh token to ``client_id`` (as an authorization code
        exchange would); returns them."""
        with self._lock:
            return self._issue(client_id, user_id)

    def _issue(self, client_id: str, user_id: str) -> tuple[str, str]:
        access = "at-" + secrets.token_hex(12)
        refresh = "rt-" + secrets.token_hex(12)
        self.issued[access] = _Issued(user_id, client_id, self.clock() + self.access_token_lifetime)
        self.refresh_tokens[refresh] = (client_id, user_id)
        return access, refresh

    def expire(self, access_token: str) -> None:
        with self._lock:
            self.issued[access_token].expires_at = 0.0

    def revoke(self, refresh_token: str) -> None:
        with self._lock:
            self.refresh_tokens.pop(refresh_token, None)
            self.revoked.add(refresh_token)

    def user_of(self, request: web.Request) -> str | web.Response:
        """The calling user's id, or the 401 to answer."""
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer":
            if token in self.bearer_tokens:
                return DEFAULT_USER_ID
            with self._lock:
                issued = self.issued.get(token)
            if issued is not None and issued.expires_at > self.clock():
                return issued.user_id
            return _unauthorized()
        if scheme == "OAuth":
            return self._oauth1(request, oauth1_params(header))
        return _unauthorized()

    def _oauth1(self, request: web.Request, params: dict[str, str]) -> str | web.Response:
        consumer = self.consumers.get(params.get("oauth_consumer_key", ""))
        token = self.access_tokens.get(params.get("oauth_token", ""))
        nonce = params.get("oauth_nonce", "")
        stamp = params.get("oauth_timestamp", "")
        if consumer is None or token is None or not nonce or not stamp.isdigit():
            return _unauthorized()
        if params.get("oauth_signature_method") != "HMAC-SHA1":
            return _unauthorized()
        if abs(int(stamp) - self.clock()) > NONCE_WINDOW:
            return _unauthorized()
        expected = oauth1_params(
            oauth1_header(
                request.method,
                str(request.url),
                consumer_key=params["oauth_consumer_key"],
                consumer_secret=consumer,
                token=params["oauth_token"],
                token_secret=token[0],
                nonce=nonce,
                timestamp=stamp,
            )
        )["oauth_signature"]
        if not hmac.compare_digest(expected, params.get("oauth_signature", "")):
            return _unauthorized()
        with self._lock:
            if nonce in self.seen_nonces:
                return _unauthorized()
            self.seen_nonces.add(nonce)
        return token[1]

    async def token_endpoint(self, request: web.Request) -> web.Response:
        """``POST /2/oauth2/token`` with ``grant_type=refresh_token``: rotates the refresh
        token (the old one stops working), public clients name ``client_id`` in the body,
        confidential ones authenticate with HTTP Basic."""
        form = dict(parse_qsl((await request.read()).decode("utf-8", "replace")))
        with self._lock:
            self.refresh_requests += 1
        client_id = self._client(request, form)
        if client_id is None:
            return _oauth_error(401, "invalid_client", "Client authentication failed")
        if form.get("grant_type") != "refresh_token":
            return _oauth_error(400, "unsupported_grant_type", "Only refresh_token is emulated")
        refresh = form.get("refresh_token", "")
        with self._lock:
            owner = self.refresh_tokens.pop(refresh, None)
            if owner is None or owner[0] != client_id:
                return _oauth_error(
                    400, "invalid_request", "Value passed for the token was invalid."
                )
            access, new_refresh = self._issue(client_id, owner[1])
        return web.json_response(
            {
                "token_type": "bearer",
                "expires_in": int(self.access_token_lifetime),
                "access_token": access,
                "scope": "tweet.read tweet.write users.read media.write offline.access",
                "refresh_token": new_refresh,
            }
        )

    def _client(self, request: web.Request, form: dict[str, str]) -> str | None:
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            try:
                ident, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return None
            ident, secret = unquote(ident), unquote(secret)
            expected = self.oauth2_clients.get(ident)
            if expected is not None and hmac.compare_digest(expected, secret):
                return ident
            return None
        ident = form.get("client_id", "")
        if ident in self.oauth2_clients and self.oauth2_clients[ident] is None:
            return ident
        return None


def _unauthorized() -> web.Response:
    return problem(401, "Unauthorized", "Unauthorized", kind="about:blank")


def _oauth_error(status: int, error: str, description: str) -> web.Response:
    return web.json_response({"error": error, "error_description": description}, status=status)
