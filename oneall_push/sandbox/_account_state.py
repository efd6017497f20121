"""The sandbox's accounts: users owning identities, connections (logins), sharing messages.

Kept in :class:`~oneall_push.sandbox._state.SandboxState` (``state.accounts``) and changed
under its lock. An identity's Push token is its ``identity_token``: deleting the identity
removes it from ``state.identities``, so later Push calls with it answer 404.
"""

from __future__ import annotations

from typing import Any

import attrs

from ._ids import IdFactory
from ._responses import rfc2822_now

__all__ = ["AccountBook", "SandboxConnection", "SandboxMessage", "SandboxUser"]


@attrs.define(kw_only=True)
class SandboxUser:
    token: str
    uuid: str
    date_creation: str
    identities: list[str] = attrs.Factory(list)
    date_last_login: str | None = None


@attrs.define(kw_only=True)
class IdentityMeta:
    user_token: str
    date_creation: str
    date_last_update: str
    access_token: str
    synchronized: int = 0


@attrs.frozen(kw_only=True)
class SandboxConnection:
    token: str
    user_token: str
    identity_token: str
    plugin: str
    date: str


@attrs.define(kw_only=True)
class SandboxMessage:
    token: str
    date_creation: str
    date_last_published: str
    parts: dict[str, Any]
    target: dict[str, Any]
    publications: list[dict[str, Any]] = attrs.Factory(list)


class AccountBook:
    """Users, identity details, connections and sharing messages (no locking of its own)."""

    def __init__(self, seed: int) -> None:
        self.ids = IdFactory(seed, stream="accounts")
        self.users: dict[str, SandboxUser] = {}
        self.identity_meta: dict[str, IdentityMeta] = {}
        self.connections: dict[str, SandboxConnection] = {}
        self.messages: dict[str, SandboxMessage] = {}

    def new_user(self) -> SandboxUser:
        user = SandboxUser(token=self.ids.uuid(), uuid=self.ids.uuid(), date_creation=rfc2822_now())
        self.users[user.token] = user
        return user

    def attach(self, identity_token: str, user: SandboxUser) -> None:
        """Give ``user`` the identity (moving it from its previous owner)."""
        meta = self.identity_meta.get(identity_token)
        if meta is not None and meta.user_token in self.users:
            previous = self.users[meta.user_token]
            if identity_token in previous.identities:
                previous.identities.remove(identity_token)
        now = rfc2822_now()
        if meta is None:
            meta = IdentityMeta(
                user_token=user.token,
                date_creation=now,
                date_last_update=now,
                access_token="sandbox-access-" + self.ids.base64url(24),
            )
            self.identity_meta[identity_token] = meta
        meta.user_token = user.token
        if identity_token not in user.identities:
            user.identities.append(identity_token)

    def forget_identity(self, identity_token: str) -> None:
        meta = self.identity_meta.pop(identity_token, None)
        if meta is not None and meta.user_token in self.users:
            owner = self.users[meta.user_token]
            if identity_token in owner.identities:
                owner.identities.remove(identity_token)

    def add_connection(self, user: SandboxUser, identity_token: str, plugin: str) -> str:
        token = self.ids.uuid()
        now = rfc2822_now()
        self.connections[token] = SandboxConnection(
            token=token,
            user_token=user.token,
            identity_token=identity_token,
            plugin=plugin,
            date=now,
        )
        user.date_last_login = now
        return token

    def new_message(self, parts: dict[str, Any], target: dict[str, Any]) -> SandboxMessage:
        now = rfc2822_now()
        message = SandboxMessage(
            token=self.ids.uuid(),
            date_creation=now,
            date_last_published=now,
            parts=parts,
            target=target,
        )
        self.messages[message.token] = message
        return message
