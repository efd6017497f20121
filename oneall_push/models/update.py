"""Update API payloads (PUT bodies under ``request.update``), the Pull API's query parameters,
and the typed confirmation an edit or a delete answers with.

OneAll documents only that an Update call "returns a HTTP status code 200 ... or an appropriate
message body": the confirmation carries the edited or deleted object's id (from the path), the
status and its info, and the whole envelope; it is never ``None``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, get_args

import attrs

from .._io._response import Response
from .._repr import fields_repr
from ..errors import RequestValidationError
from . import _rules as r
from .requests import PrivacyStatus, RequestModel
from .results import _NOT_FROM_AN_ANSWER, Envelope

__all__ = [
    "Deleted",
    "FacebookPagePostUpdate",
    "PinterestPinUpdate",
    "TwitterTweetsQuery",
    "Updated",
    "YouTubeChannelSectionUpdate",
    "YouTubePlaylistUpdate",
]


# --- Update payloads --------------------------------------------------------------------------


@attrs.frozen(kw_only=True, repr=False)
class FacebookPagePostUpdate(RequestModel):
    """``request.update.post``: the same link-xor-attachments rule as the publish."""

    message: str | None = attrs.field(default=None, validator=r.text(required=False))
    link: str | None = attrs.field(default=None, validator=r.http_url(required=False))
    attachments: tuple[str, ...] | None = attrs.field(
        default=None, converter=r.to_id_tuple, validator=r.id_list()
    )

    def __attrs_post_init__(self) -> None:
        r.one_of_required(self, "message", "link", "attachments")
        r.not_both(self, "link", "attachments")


@attrs.frozen(kw_only=True, repr=False)
class PinterestPinUpdate(RequestModel):
    """``request.update.pin``; ``board`` is a board *name* from ``pinterest.list_boards``."""

    board: str | None = attrs.field(default=None, validator=r.text(required=False))
    description: str | None = attrs.field(default=None, validator=r.text(required=False))
    link: str | None = attrs.field(default=None, validator=r.http_url(required=False))

    def __attrs_post_init__(self) -> None:
        r.one_of_required(self, "board", "description", "link")


@attrs.frozen(kw_only=True, repr=False)
class YouTubePlaylistUpdate(RequestModel):
    """``request.update.playlist`` (``title`` is required, as the docs mark it)."""

    title: str = attrs.field(validator=r.text(max_length=150))
    description: str | None = attrs.field(
        default=None, validator=r.text(required=False, max_length=5000)
    )
    privacy_status: PrivacyStatus | None = attrs.field(
        default=None, validator=r.choice(get_args(PrivacyStatus))
    )
    default_language: str | None = attrs.field(default=None, validator=r.text(required=False))


@attrs.frozen(kw_only=True, repr=False)
class YouTubeChannelSectionUpdate(RequestModel):
    """``request.update.channel.section`` (the docs' field list is cut off: inferred)."""

    type: str | None = attrs.field(default=None, validator=r.text(required=False))
    style: str | None = attrs.field(default=None, validator=r.text(required=False))
    title: str | None = attrs.field(default=None, validator=r.text(required=False, max_length=100))
    position: int | None = attrs.field(default=None, validator=r.non_negative_int())
    default_language: str | None = attrs.field(
        default=None, validator=r.text(required=False), metadata={"wire": "defaultLanguage"}
    )
    playlists: tuple[str, ...] | None = attrs.field(
        default=None, converter=r.to_id_tuple, validator=r.id_list()
    )

    def __attrs_post_init__(self) -> None:
        r.one_of_required(
            self, "type", "style", "title", "position", "default_language", "playlists"
        )


# --- Pull query parameters -------------------------------------------------------------------


def _positive_count(limit: int) -> Any:
    def check(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= limit:
            raise RequestValidationError(
                attribute.name,
                f"must be a whole number from 1 to {limit}",
                model=type(inst).__name__,
            )

    return check


@attrs.frozen(kw_only=True, repr=False)
class TwitterTweetsQuery(RequestModel):
    """``?num_tweets=&after_tweet_id=&only_tweet_id=`` (from OneAll's PHP SDK: inferred)."""

    num_tweets: int | None = attrs.field(default=None, validator=_positive_count(200))
    after_tweet_id: str | None = attrs.field(
        default=None, converter=r.to_id, validator=r.identifier(required=False)
    )
    only_tweet_id: str | None = attrs.field(
        default=None, converter=r.to_id, validator=r.identifier(required=False)
    )

    def to_query(self) -> dict[str, str]:
        return {
            a.name: str(getattr(self, a.name))
            for a in attrs.fields(type(self))
            if getattr(self, a.name) is not None
        }


# --- confirmations ---------------------------------------------------------------------------


@attrs.frozen(kw_only=True, repr=False)
class _Confirmation:
    __repr__ = fields_repr

    # The id of the edited or deleted object (the last id of the path).
    id: str = ""
    status: int = 0
    info: str = ""
    resource: str | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)
    envelope: Envelope = attrs.field(default=_NOT_FROM_AN_ANSWER, repr=False, eq=False)
    http: Response | None = attrs.field(default=None, repr=False, eq=False)

    @classmethod
    def from_data(cls, data: Any) -> Any:
        return cls(raw=dict(data) if isinstance(data, Mapping) else {})

    @property
    def date(self) -> dt.datetime | None:
        """When OneAll processed the request (the envelope's date)."""
        return self.envelope.date


@attrs.frozen(kw_only=True, repr=False)
class Updated(_Confirmation):
    """An Update API PUT went through."""

    updated: bool = True

    @classmethod
    def from_data(cls, data: Any) -> Updated:
        return cls(raw=dict(data) if isinstance(data, Mapping) else {})


@attrs.frozen(kw_only=True, repr=False)
class Deleted(_Confirmation):
    """An Update API DELETE went through: the object is gone (a second delete is a 404)."""

    deleted: bool = True

    @classmethod
    def from_data(cls, data: Any) -> Deleted:
        return cls(raw=dict(data) if isinstance(data, Mapping) else {})
