"""Connections, users, identities and contacts: what a login resolves to.

Parsing is tolerant: every field but the token is optional, unknown fields stay in ``raw``.
An identity's provider access token is a :class:`~oneall_push._secret.Secret` (never shown in
str, repr or logs) and is blanked in ``raw``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Generic, TypeVar

import attrs

from .._dates import parse_date
from .._repr import fields_repr
from .._secret import Secret
from .results import _NOT_FROM_AN_ANSWER, Envelope

__all__ = [
    "Connection",
    "Contact",
    "ContactList",
    "Deletion",
    "Identity",
    "Page",
    "User",
    "redact_identity",
]

T = TypeVar("T")
_REDACTED = "***"


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _date(data: Mapping[str, Any], key: str) -> dt.datetime | None:
    try:
        return parse_date(data.get(key))
    except (ValueError, TypeError):
        return None


def _first_value(value: Any) -> str | None:
    """``[{"value": "a@b"}]`` (OneAll's emails, urls, photos) -> ``"a@b"``."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        for item in value:
            if isinstance(item, Mapping) and isinstance(item.get("value"), str):
                return str(item["value"])
    return None


def _secret(value: Any) -> Secret | None:
    return Secret(value) if isinstance(value, str) and value else None


def redact_identity(data: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of an identity node with ``source.access_token`` values blanked."""
    copy = dict(data)
    source = copy.get("source")
    if isinstance(source, Mapping):
        source = dict(source)
        token = source.get("access_token")
        if isinstance(token, Mapping):
            source["access_token"] = {k: _REDACTED for k in token}
        elif token is not None:
            source["access_token"] = _REDACTED
        copy["source"] = source
    return copy


@attrs.frozen(kw_only=True, repr=False)
class Identity:
    """One social network account of a user (``data.identity``)."""

    __repr__ = fields_repr

    identity_token: str
    user_token: str | None = None
    provider: str | None = None
    provider_identity_id: str | None = None
    display_name: str | None = None
    preferred_username: str | None = None
    profile_url: str | None = None
    picture_url: str | None = None
    email: str | None = None
    date_creation: dt.datetime | None = None
    date_last_update: dt.datetime | None = None
    # The provider's OAuth token (and, for OAuth 1.0a networks such as Twitter, its secret).
    access_token: Secret | None = None
    access_token_secret: Secret | None = attrs.field(default=None, repr=False)
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)
    envelope: Envelope = attrs.field(default=_NOT_FROM_AN_ANSWER, repr=False, eq=False)

    @classmethod
    def from_data(cls, data: Any, *, user_token: str | None = None) -> Identity:
        node = _map(data)
        if "identity" in node and isinstance(node["identity"], Mapping):
            node = node["identity"]
        token = _text(node, "identity_token")
        if not token:
            raise ValueError("identity has no identity_token")
        source = _map(node.get("source"))
        access = source.get("access_token")
        access_map = _map(access)
        key = access_map.get("key") if access_map else access
        return cls(
            identity_token=token,
            user_token=_text(node, "user_token") or user_token,
            provider=_text(node, "provider") or _text(source, "key"),
            provider_identity_id=_text(node, "id"),
            display_name=_text(node, "displayName"),
            preferred_username=_text(node, "preferredUsername"),
            profile_url=_text(node, "profileUrl"),
            picture_url=_text(node, "pictureUrl") or _text(node, "thumbnailUrl"),
            email=_first_value(node.get("emails")),
            date_creation=_date(node, "date_creation"),
            date_last_update=_date(node, "date_last_update"),
            access_token=_secret(key),
            access_token_secret=_secret(access_map.get("secret")),
            raw=redact_identity(node),
        )


def _identities(value: Any, user_token: str | None) -> tuple[Identity, ...]:
    """Both documented shapes: a list, or ``{"identity": [...]}`` (a lone one too)."""
    if isinstance(value, Mapping):
        value = value.get("identity", [])
        if isinstance(value, Mapping):
            value = [value]
    if not isinstance(value, Sequence) or isinstance(value, str):
        return ()
    found = []
    for item in value:
        try:
            found.append(Identity.from_data(item, user_token=user_token))
        except ValueError:
            continue  # an entry without a token cannot be used: skipped, not fatal
    return tuple(found)


@attrs.frozen(kw_only=True, repr=False)
class User:
    """A OneAll user and the identities linked to it (``data.user``)."""

    __repr__ = fields_repr

    user_token: str
    uuid: str | None = None
    date_creation: dt.datetime | None = None
    date_last_login: dt.datetime | None = None
    identities: tuple[Identity, ...] = ()
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)
    envelope: Envelope = attrs.field(default=_NOT_FROM_AN_ANSWER, repr=False, eq=False)

    @classmethod
    def from_data(cls, data: Any) -> User:
        node = _map(data)
        if "user" in node and isinstance(node["user"], Mapping):
            node = node["user"]
        token = _text(node, "user_token")
        if not token:
            raise ValueError("user has no user_token")
        identities = _identities(node.get("identities"), token)
        if not identities and isinstance(node.get("identity"), Mapping):
            identities = _identities([node["identity"]], token)
        raw = dict(node)
        raw.pop("identities", None)
        raw.pop("identity", None)
        return cls(
            user_token=token,
            uuid=_text(node, "uuid"),
            date_creation=_date(node, "date_creation"),
            date_last_login=_date(node, "date_last_login"),
            identities=identities,
            raw=raw,
        )

    def by_provider(self, provider: str) -> tuple[Identity, ...]:
        """The identities of one provider (``"twitter"``)."""
        return tuple(i for i in self.identities if i.provider == provider)


@attrs.frozen(kw_only=True, repr=False)
class Connection:
    """One login through Social Login or Social Link (``data.connection`` and ``data.user``)."""

    __repr__ = fields_repr

    connection_token: str
    date: dt.datetime | None = None
    plugin: str | None = None
    status_info: str | None = None
    user_token: str | None = None
    # The identity the user logged in with, when the answer carries it.
    identity: Identity | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)
    envelope: Envelope = attrs.field(default=_NOT_FROM_AN_ANSWER, repr=False, eq=False)

    @classmethod
    def from_data(cls, data: Any) -> Connection:
        node = _map(data)
        connection = _map(node.get("connection")) if "connection" in node else node
        token = _text(connection, "connection_token")
        if not token:
            raise ValueError("connection has no connection_token")
        user = _map(node.get("user") or connection.get("user"))
        user_token = _text(user, "user_token")
        identity = None
        if isinstance(user.get("identity"), Mapping):
            try:
                identity = Identity.from_data(user["identity"], user_token=user_token)
            except ValueError:
                identity = None
        plugin = connection.get("plugin")
        raw = dict(node)
        if user:
            raw["user"] = {k: v for k, v in user.items() if k != "identity"}
        return cls(
            connection_token=token,
            date=_date(connection, "date"),
            plugin=plugin if isinstance(plugin, str) else _text(_map(plugin), "key"),
            status_info=_text(_map(node.get("status")), "info"),
            user_token=user_token,
            identity=identity,
            raw=raw,
        )


@attrs.frozen(kw_only=True, repr=False)
class Contact:
    """One contact (friend, follower) as a provider reports it."""

    __repr__ = fields_repr

    name: str | None = None
    profile_url: str | None = None
    picture_url: str | None = None
    provider_identity_id: str | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @classmethod
    def from_data(cls, data: Any) -> Contact:
        node = _map(data)
        name = node.get("name")
        return cls(
            name=name if isinstance(name, str) else _text(_map(name), "formatted"),
            profile_url=_text(node, "profileUrl"),
            picture_url=_text(node, "pictureUrl"),
            provider_identity_id=_text(node, "id"),
            raw=dict(node),
        )


@attrs.frozen(kw_only=True, repr=False)
class ContactList:
    """The contacts of a user or an identity (shape inferred: ``entries`` kept tolerant)."""

    __repr__ = fields_repr

    contacts: tuple[Contact, ...] = ()
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)
    envelope: Envelope = attrs.field(default=_NOT_FROM_AN_ANSWER, repr=False, eq=False)

    @classmethod
    def from_data(cls, data: Any) -> ContactList:
        node = _map(data)
        value: Any = node.get("contacts", node.get("identities", []))
        if isinstance(value, Mapping):
            value = value.get("entries", value.get("contact", []))
        items = value if isinstance(value, Sequence) and not isinstance(value, str) else []
        return cls(contacts=tuple(Contact.from_data(c) for c in items), raw=dict(node))

    def __len__(self) -> int:
        return len(self.contacts)


@attrs.frozen(kw_only=True, repr=False)
class Deletion:
    """The answer to a delete: OneAll's status ``info`` says what was removed."""

    __repr__ = fields_repr

    deleted: bool = True
    info: str = ""
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)
    envelope: Envelope = attrs.field(default=_NOT_FROM_AN_ANSWER, repr=False, eq=False)

    @classmethod
    def from_data(cls, data: Any) -> Deletion:
        return cls(raw=dict(_map(data)))


@attrs.frozen(kw_only=True, repr=False)
class Page(Generic[T]):
    """One page of a list resource, with OneAll's ``pagination`` totals."""

    __repr__ = fields_repr

    entries: tuple[T, ...]
    current_page: int
    total_pages: int
    entries_per_page: int
    total_entries: int
    order_field: str | None = None
    order_direction: str | None = None
    envelope: Envelope = attrs.field(default=_NOT_FROM_AN_ANSWER, repr=False, eq=False)

    @property
    def is_last(self) -> bool:
        return not self.entries or self.current_page >= self.total_pages


def _int(value: Any, default: int) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return default


def page_totals(node: Mapping[str, Any], *, page: int, size: int, count: int) -> dict[str, Any]:
    """``pagination{current_page,total_pages,entries_per_page,total_entries,order{}}``."""
    pagination = _map(node.get("pagination"))
    order = _map(pagination.get("order"))
    return {
        "current_page": _int(pagination.get("current_page"), page),
        "total_pages": _int(pagination.get("total_pages"), page),
        "entries_per_page": _int(pagination.get("entries_per_page"), size),
        "total_entries": _int(pagination.get("total_entries"), count),
        "order_field": _text(order, "field"),
        "order_direction": _text(order, "direction"),
    }
