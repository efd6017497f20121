"""Social Sharing: one message published to several of a user's networks at once.

The request models check OneAll's rules when built (before anything is sent); the result keeps
one :class:`Publication` per provider. A publication that failed is data, not an exception:
``message.failed()`` lists them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import attrs

from .._repr import fields_repr
from ..errors import RequestValidationError
from .accounts import _date, _map, _text
from .results import _NOT_FROM_AN_ANSWER, Envelope

__all__ = [
    "LOGIN_PROVIDERS",
    "IdentityRelink",
    "IdentitySynchronize",
    "Publication",
    "SharingMessage",
    "SharingPublish",
    "SharingRepublish",
]

# The provider keys OneAll's Social Login knows (docs.oneall.com/services/providers; inferred:
# the list grows, pass a newer key with extra_fields if OneAll adds one).
LOGIN_PROVIDERS = frozenset(
    {
        "amazon", "apple", "battlenet", "blogger", "discord", "disqus", "draugiem", "dribbble",
        "facebook", "foursquare", "github", "google", "instagram", "line", "linkedin",
        "livejournal", "mailru", "meetup", "microsoft", "odnoklassniki", "openid", "patreon",
        "paypal", "pinterest", "pixelpin", "reddit", "skyrock", "soundcloud", "stackexchange",
        "steam", "tiktok", "tumblr", "twitch", "twitter", "vimeo", "vkontakte", "weibo",
        "windowslive", "wordpress", "xing", "yahoo", "youtube",
    }
)  # fmt: skip


def _names(value: Sequence[str] | None) -> tuple[str, ...] | None:
    if isinstance(value, str):
        raise RequestValidationError("providers", "must be a list of provider names, not a str")
    return None if value is None else tuple(value)


def _check_token(field: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise RequestValidationError(field, "must be a non-empty string")


def _check_url(field: str, value: str | None) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise RequestValidationError(field, "must be a string")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise RequestValidationError(field, "must be an absolute http(s) URL")


def _target(
    user_token: str | None, providers: Sequence[str] | None, identity_token: str | None
) -> dict[str, Any]:
    """Exactly one of user_token+providers or identity_token."""
    if identity_token is not None:
        if user_token is not None or providers is not None:
            raise RequestValidationError(
                "identity_token", "give either identity_token or user_token and providers, not both"
            )
        _check_token("identity_token", identity_token)
        return {"publish_for_identity": {"identity_token": identity_token}}
    if user_token is None:
        raise RequestValidationError(
            "user_token", "give either identity_token or user_token and providers"
        )
    _check_token("user_token", user_token)
    if not providers:
        raise RequestValidationError("providers", "must be a non-empty list of provider names")
    for name in providers:
        if name not in LOGIN_PROVIDERS:
            raise RequestValidationError("providers", f"{name!r} is not a provider OneAll knows")
    if len(set(providers)) != len(providers):
        raise RequestValidationError("providers", "must not repeat a provider")
    return {"publish_for_user": {"user_token": user_token, "providers": list(providers)}}


@attrs.frozen(kw_only=True)
class SharingPublish:
    """``request.sharing_message`` of ``POST /sharing/messages.json``."""

    user_token: str | None = None
    providers: tuple[str, ...] | None = attrs.field(default=None, converter=_names)
    identity_token: str | None = None
    text: str | None = None
    picture_url: str | None = None
    video_url: str | None = None
    link_url: str | None = None
    link_name: str | None = None
    link_caption: str | None = None
    link_description: str | None = None
    enable_tracking: bool = False

    def __attrs_post_init__(self) -> None:
        _target(self.user_token, self.providers, self.identity_token)
        for name in ("picture_url", "video_url", "link_url"):
            _check_url(name, getattr(self, name))
        if self.text is not None and (not isinstance(self.text, str) or not self.text.strip()):
            raise RequestValidationError("text", "must be non-empty text when given")
        link_details = (self.link_name, self.link_caption, self.link_description)
        if self.link_url is None and any(v is not None for v in link_details):
            raise RequestValidationError(
                "link_url", "is required with link_name/caption/description"
            )
        if not any((self.text, self.picture_url, self.video_url, self.link_url)):
            raise RequestValidationError(
                "text",
                "a message needs at least one part: text, picture_url, video_url or link_url",
            )
        if not isinstance(self.enable_tracking, bool):
            raise RequestValidationError("enable_tracking", "must be True or False")

    def to_wire(self) -> dict[str, Any]:
        parts: dict[str, Any] = {}
        if self.text is not None:
            parts["text"] = {"body": self.text}
        if self.picture_url is not None:
            parts["picture"] = {"url": self.picture_url}
        if self.video_url is not None:
            parts["video"] = {"url": self.video_url}
        if self.link_url is not None:
            link = {"url": self.link_url}
            for key in ("name", "caption", "description"):
                value = getattr(self, f"link_{key}")
                if value is not None:
                    link[key] = value
            parts["link"] = link
        parts["flags"] = {"enable_tracking": 1 if self.enable_tracking else 0}
        node = _target(self.user_token, self.providers, self.identity_token)
        node["parts"] = parts
        return node


@attrs.frozen(kw_only=True)
class SharingRepublish:
    """``request.sharing_message`` of ``POST /sharing/messages/<token>.json`` (re-publish)."""

    user_token: str | None = None
    providers: tuple[str, ...] | None = attrs.field(default=None, converter=_names)
    identity_token: str | None = None

    def __attrs_post_init__(self) -> None:
        _target(self.user_token, self.providers, self.identity_token)

    def to_wire(self) -> dict[str, Any]:
        return _target(self.user_token, self.providers, self.identity_token)


@attrs.frozen(kw_only=True)
class IdentitySynchronize:
    """``request.synchronize`` of ``PUT /identities/<identity_token>/synchronize.json``."""

    update_user_data: bool = True
    force_token_update: bool = False

    def __attrs_post_init__(self) -> None:
        for name in ("update_user_data", "force_token_update"):
            if not isinstance(getattr(self, name), bool):
                raise RequestValidationError(name, "must be True or False")

    def to_wire(self) -> dict[str, Any]:
        return {
            "update_user_data": self.update_user_data,
            "force_token_update": self.force_token_update,
        }


@attrs.frozen(kw_only=True)
class IdentityRelink:
    """``request.user`` of ``PUT /identities/<identity_token>/link.json`` (shape inferred)."""

    user_token: str

    def __attrs_post_init__(self) -> None:
        _check_token("user_token", self.user_token)

    def to_wire(self) -> dict[str, Any]:
        return {"user_token": self.user_token}


@attrs.frozen(kw_only=True, repr=False)
class Publication:
    """What one provider did with the message: ``status`` flag, code and message."""

    __repr__ = fields_repr

    provider: str | None = None
    identity_token: str | None = None
    user_token: str | None = None
    date: dt.datetime | None = None
    flag: str = ""
    code: int | None = None
    message: str = ""
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @property
    def ok(self) -> bool:
        return self.flag == "success"

    @classmethod
    def from_data(cls, data: Any) -> Publication:
        node = _map(data)
        status = _map(node.get("status"))
        code = status.get("code")
        message = status.get("message", status.get("info"))
        return cls(
            provider=_text(node, "provider"),
            identity_token=_text(node, "identity_token"),
            user_token=_text(node, "user_token"),
            date=_date(node, "date_publication") or _date(node, "date"),
            flag=str(status.get("flag", "")),
            code=code if isinstance(code, int) and not isinstance(code, bool) else None,
            message=message if isinstance(message, str) else "",
            raw=dict(node),
        )


@attrs.frozen(kw_only=True, repr=False)
class SharingMessage:
    """A sharing message and its per-provider publications (``data.sharing_message``)."""

    __repr__ = fields_repr

    sharing_message_token: str
    date_creation: dt.datetime | None = None
    date_last_published: dt.datetime | None = None
    publications: tuple[Publication, ...] = ()
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)
    envelope: Envelope = attrs.field(default=_NOT_FROM_AN_ANSWER, repr=False, eq=False)

    def failed(self) -> list[Publication]:
        """The publications a provider refused."""
        return [p for p in self.publications if not p.ok]

    def succeeded(self) -> list[Publication]:
        return [p for p in self.publications if p.ok]

    @classmethod
    def from_data(cls, data: Any) -> SharingMessage:
        node = _map(data)
        for key in ("sharing_message", "message"):
            if isinstance(node.get(key), Mapping):
                node = node[key]
                break
        token = _text(node, "sharing_message_token")
        if not token:
            raise ValueError("sharing message has no sharing_message_token")
        value: Any = node.get("publications", [])
        if isinstance(value, Mapping):
            value = value.get("entries", value.get("publication", []))
        items = value if isinstance(value, Sequence) and not isinstance(value, str) else []
        return cls(
            sharing_message_token=token,
            date_creation=_date(node, "date_creation"),
            date_last_published=_date(node, "date_last_published"),
            publications=tuple(Publication.from_data(p) for p in items),
            raw=dict(node),
        )
