"""Typed results: the documented ``result.data`` fields under their documented names.

The identifier of what was published (``post_id``, ``picture_id``, ``video_id``, ...) is a
``str``: a successful answer without it raises ``PublishedButIncompleteError`` (do not retry:
it went out). Every other field is optional: OneAll adds fields over time, and several result
shapes are inferred. ``envelope`` keeps the whole response (date, resource, status, raw JSON).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs

from .._dates import parse_date
from .._io._response import Response
from .._repr import fields_repr

__all__ = [
    "BoardResult",
    "ChannelSectionResult",
    "Envelope",
    "PictureResult",
    "PinResult",
    "PlaylistResult",
    "PlaylistVideoResult",
    "PostResult",
    "QueuedResult",
    "Result",
    "Status",
    "VideoResult",
    "required_ids",
]


@attrs.frozen(kw_only=True)
class Status:
    flag: str
    code: int
    info: str = ""


@attrs.frozen(kw_only=True)
class Envelope:
    """The ``response.request`` part of OneAll's answer, plus the raw decoded JSON."""

    status: Status
    resource: str | None = None
    # The date as sent; ``date`` parses it on first use (tolerating the docs' "  0200" form).
    date_text: str | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @property
    def date(self) -> dt.datetime | None:
        try:
            return parse_date(self.date_text)
        except ValueError:
            return None


# The envelope of a result built by hand (in a test, say) rather than read from an answer.
_NOT_FROM_AN_ANSWER = Envelope(status=Status(flag="", code=0, info="not read from an answer"))


@attrs.frozen(kw_only=True, repr=False)
class Result:
    """Base of every result. ``envelope`` and ``http`` are set by the client, not read from
    ``data``: ``http`` is the HTTP answer (status, headers such as a request id, elapsed
    seconds, attempt), None for a result not read from one (a callback's, say)."""

    provider: str | None = None
    object: str | None = None
    envelope: Envelope = attrs.field(default=_NOT_FROM_AN_ANSWER, repr=False, eq=False)
    http: Response | None = attrs.field(default=None, repr=False, eq=False)

    __repr__ = fields_repr


@attrs.frozen(kw_only=True, repr=False)
class PostResult(Result):
    post_id: str
    post_location: str | None = None


@attrs.frozen(kw_only=True, repr=False)
class PictureResult(Result):
    picture_id: str
    picture_location: str | None = None
    post_id: str | None = None
    post_location: str | None = None


@attrs.frozen(kw_only=True, repr=False)
class VideoResult(Result):
    """A finished video upload (synchronous answer, or the body of OneAll's callback)."""

    video_id: str
    video_location: str | None = None
    post_id: str | None = None
    post_location: str | None = None
    date_creation: dt.datetime | None = None


@attrs.frozen(kw_only=True, repr=False)
class QueuedResult(Result):
    """The immediate answer of an asynchronous upload: the video was queued."""

    result: str | None = None


@attrs.frozen(kw_only=True, repr=False)
class PinResult(Result):
    pin_id: str
    pin_location: str | None = None


@attrs.frozen(kw_only=True, repr=False)
class BoardResult(Result):
    board_id: str
    board_location: str | None = None


@attrs.frozen(kw_only=True, repr=False)
class PlaylistResult(Result):
    playlist_id: str
    playlist_location: str | None = None


@attrs.frozen(kw_only=True, repr=False)
class PlaylistVideoResult(Result):
    """Nothing is documented of this answer (the shape is inferred): every field is optional."""

    playlist_id: str | None = None
    video_id: str | None = None
    playlist_item_id: str | None = None


@attrs.frozen(kw_only=True, repr=False)
class ChannelSectionResult(Result):
    """Nothing is documented of this answer (the shape is inferred): every field is optional."""

    section_id: str | None = None


_REQUIRED: dict[type[Result], tuple[str, ...]] = {}


def required_ids(result_type: type[Result]) -> tuple[str, ...]:
    """The fields a successful answer must carry (``("post_id",)`` for ``PostResult``)."""
    found = _REQUIRED.get(result_type)
    if found is None:
        found = tuple(
            field.name for field in attrs.fields(result_type) if field.default is attrs.NOTHING
        )
        _REQUIRED[result_type] = found
    return found
