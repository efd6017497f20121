"""X posts, colour-free: the models, the request body built and checked before sending, and the
answer read tolerantly."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import attrs

from .._io._response import Response
from .._xmedia._models import UploadedMedia
from .._xmedia._rate_limit import RateLimit, rate_limit_from_headers
from ..errors import RequestValidationError, UnreadableSuccessError

__all__ = [
    "REPLY_SETTINGS",
    "Poll",
    "Post",
    "PostDeleted",
    "ReplySettings",
    "build_body",
    "check_post_id",
    "deleted_from_answer",
    "post_from_answer",
]

ReplySettings = Literal["following", "mentionedUsers", "subscribers", "verified"]
REPLY_SETTINGS = ("following", "mentionedUsers", "subscribers", "verified")
_ID = re.compile(r"\A[0-9]{1,19}\Z")
MAX_MEDIA = 4
MAX_TAGGED = 10


@attrs.frozen
class Poll:
    """A poll: 2 to 4 ``options`` of 1 to 25 characters, open ``duration_minutes`` (5 to 10080)."""

    options: Sequence[str]
    duration_minutes: int


@attrs.frozen
class Post:
    """A published post: ``id``, ``text`` as X stored it, and ``edit_history_post_ids``."""

    id: str
    text: str
    edit_history_post_ids: tuple[str, ...] = ()
    # Messages of ``errors`` sent alongside ``data`` (non-fatal).
    warnings: tuple[str, ...] = ()
    rate_limit: RateLimit | None = attrs.field(default=None, repr=False, eq=False)
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)
    # The HTTP answer (status, headers, elapsed seconds, attempt); None when built by hand.
    http: Response | None = attrs.field(default=None, repr=False, eq=False)


@attrs.frozen
class PostDeleted:
    """The answer of a delete: ``deleted`` is X's word on it."""

    id: str
    deleted: bool
    rate_limit: RateLimit | None = attrs.field(default=None, repr=False, eq=False)
    http: Response | None = attrs.field(default=None, repr=False, eq=False)


def check_post_id(field: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise RequestValidationError(field, "must be a post id (a string of 1 to 19 digits)")
    text = str(value)
    if not _ID.match(text):
        raise RequestValidationError(field, "must be a string of 1 to 19 digits")
    return text


def _ids(field: str, values: Any, most: int) -> list[str]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise RequestValidationError(field, "must be a list of ids")
    found = [check_post_id(field, v) for v in values]
    if len(found) > most:
        raise RequestValidationError(field, f"takes at most {most} ids")
    return found


def media_ids(media: Any) -> list[str]:
    if isinstance(media, (str, bytes, UploadedMedia)) or not isinstance(media, Sequence):
        raise RequestValidationError("media", "must be a list of media ids or uploaded media")
    if not 1 <= len(media) <= MAX_MEDIA:
        raise RequestValidationError("media", f"takes 1 to {MAX_MEDIA} items")
    return [check_post_id("media", m.id if isinstance(m, UploadedMedia) else m) for m in media]


def _string(field: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RequestValidationError(field, "must be a non-empty string")
    return value


def _flag(field: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise RequestValidationError(field, "must be True or False")
    return value


def _poll(poll: Any) -> dict[str, Any]:
    if not isinstance(poll, Poll):
        raise RequestValidationError("poll", "must be a Poll")
    options = poll.options
    if isinstance(options, str) or not isinstance(options, Sequence):
        raise RequestValidationError("poll.options", "must be a list of strings")
    if not 2 <= len(options) <= 4:
        raise RequestValidationError("poll.options", "takes 2 to 4 options")
    for option in options:
        if not isinstance(option, str) or not 1 <= len(option) <= 25:
            raise RequestValidationError("poll.options", "each option is 1 to 25 characters")
    minutes = poll.duration_minutes
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 5 <= minutes <= 10080:
        raise RequestValidationError("poll.duration_minutes", "must be 5 to 10080 minutes")
    return {"options": list(options), "duration_minutes": minutes}


def _exclusive(present: Mapping[str, bool]) -> None:
    """X's documented exclusions: media excludes quote, poll and card; poll excludes quote and
    card; card excludes quote, poll, media and the DM deep link."""
    rules = (
        ("media", ("quote_post_id", "poll", "card_uri")),
        ("poll", ("quote_post_id", "card_uri")),
        ("card_uri", ("quote_post_id", "direct_message_deep_link")),
    )
    for field, excluded in rules:
        if not present[field]:
            continue
        for other in excluded:
            if present[other]:
                raise RequestValidationError(field, f"cannot be combined with {other}")


def build_body(
    text: str,
    *,
    media: Sequence[str | UploadedMedia] | None = None,
    tagged_user_ids: Sequence[str] | None = None,
    reply_to: str | None = None,
    exclude_reply_user_ids: Sequence[str] | None = None,
    quote_post_id: str | None = None,
    poll: Poll | None = None,
    reply_settings: str | None = None,
    place_id: str | None = None,
    community_id: str | None = None,
    for_super_followers_only: bool | None = None,
    nullcast: bool | None = None,
    made_with_ai: bool | None = None,
    paid_partnership: bool | None = None,
    edit_of: str | None = None,
    card_uri: str | None = None,
    direct_message_deep_link: str | None = None,
    share_with_followers: bool | None = None,
) -> dict[str, Any]:
    """The ``POST /2/tweets`` body, checked; ``text`` is always sent (X rejects an absent one)."""
    if not isinstance(text, str):
        raise RequestValidationError("text", "must be a string")
    _exclusive(
        {
            "media": media is not None,
            "quote_post_id": quote_post_id is not None,
            "poll": poll is not None,
            "card_uri": card_uri is not None,
            "direct_message_deep_link": direct_message_deep_link is not None,
        }
    )
    if not text.strip() and media is None:
        raise RequestValidationError("text", "must not be empty unless media is attached")
    body: dict[str, Any] = {"text": text}
    if media is not None:
        body["media"] = {"media_ids": media_ids(media)}
        if tagged_user_ids is not None:
            body["media"]["tagged_user_ids"] = _ids("tagged_user_ids", tagged_user_ids, MAX_TAGGED)
    elif tagged_user_ids is not None:
        raise RequestValidationError("tagged_user_ids", "needs media")
    if reply_to is not None:
        body["reply"] = {"in_reply_to_tweet_id": check_post_id("reply_to", reply_to)}
        if exclude_reply_user_ids is not None:
            body["reply"]["exclude_reply_user_ids"] = _ids(
                "exclude_reply_user_ids", exclude_reply_user_ids, 50
            )
    elif exclude_reply_user_ids is not None:
        raise RequestValidationError("exclude_reply_user_ids", "needs reply_to")
    if quote_post_id is not None:
        body["quote_tweet_id"] = check_post_id("quote_post_id", quote_post_id)
    if poll is not None:
        body["poll"] = _poll(poll)
    if reply_settings is not None:
        if not isinstance(reply_settings, str) or reply_settings not in REPLY_SETTINGS:
            raise RequestValidationError(
                "reply_settings", f"must be one of {', '.join(REPLY_SETTINGS)}"
            )
        body["reply_settings"] = reply_settings
    if place_id is not None:
        body["geo"] = {"place_id": _string("place_id", place_id)}
    if community_id is not None:
        body["community_id"] = check_post_id("community_id", community_id)
    if edit_of is not None:
        body["edit_options"] = {"previous_post_id": check_post_id("edit_of", edit_of)}
    if card_uri is not None:
        body["card_uri"] = _string("card_uri", card_uri)
    if direct_message_deep_link is not None:
        body["direct_message_deep_link"] = _string(
            "direct_message_deep_link", direct_message_deep_link
        )
    for name, value in (
        ("for_super_followers_only", for_super_followers_only),
        ("nullcast", nullcast),
        ("made_with_ai", made_with_ai),
        ("paid_partnership", paid_partnership),
        ("share_with_followers", share_with_followers),
    ):
        if value is not None:
            body[name] = _flag(name, value)
    return body


def _excerpt(document: Any) -> str:
    return repr(document)[:200]


def _messages(document: Mapping[str, Any]) -> tuple[str, ...]:
    errors = document.get("errors")
    if not isinstance(errors, list):
        return ()
    out = []
    for item in errors:
        if isinstance(item, Mapping):
            text = item.get("message") or item.get("detail") or item.get("title")
            if text:
                out.append(str(text))
    return tuple(out)


def post_from_answer(
    document: Any,
    *,
    status: int,
    headers: Mapping[str, str],
    endpoint: str,
    http: Response | None = None,
) -> Post:
    """The post X created. A 2xx without a readable id may still have published: an unknown
    outcome (UnreadableSuccessError), never one to retry."""
    data = document.get("data") if isinstance(document, Mapping) else None
    ident = data.get("id") if isinstance(data, Mapping) else None
    if not isinstance(ident, (str, int)) or isinstance(ident, bool) or not _ID.match(str(ident)):
        error = UnreadableSuccessError(
            "X answered success without a readable post id",
            status=status,
            body_excerpt=_excerpt(document),
            endpoint=endpoint,
        )
        error.http = http
        raise error
    assert isinstance(data, Mapping) and isinstance(document, Mapping)
    history = data.get("edit_history_post_ids", data.get("edit_history_tweet_ids"))
    text = data.get("text")
    return Post(
        id=str(ident),
        text=text if isinstance(text, str) else "",
        edit_history_post_ids=tuple(str(h) for h in history)
        if isinstance(history, list)
        else (str(ident),),
        warnings=_messages(document),
        rate_limit=rate_limit_from_headers(headers),
        raw=document,
        http=http,
    )


def deleted_from_answer(
    post_id: str,
    document: Any,
    *,
    status: int,
    headers: Mapping[str, str],
    endpoint: str,
    http: Response | None = None,
) -> PostDeleted:
    data = document.get("data") if isinstance(document, Mapping) else None
    flag = data.get("deleted") if isinstance(data, Mapping) else None
    if not isinstance(flag, bool):
        error = UnreadableSuccessError(
            "X answered success without saying whether the post was deleted",
            status=status,
            body_excerpt=_excerpt(document),
            endpoint=endpoint,
        )
        error.http = http
        raise error
    return PostDeleted(
        id=post_id, deleted=flag, rate_limit=rate_limit_from_headers(headers), http=http
    )
