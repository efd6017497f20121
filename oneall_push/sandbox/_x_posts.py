"""The X sandbox's ``/2/tweets``: create (with X's body checks, media ownership and
processing state, duplicate-content 403), replies for threads, and delete."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any, Protocol

import attrs
from aiohttp import web

from ._x_answers import PROBLEM, invalid, problem
from ._x_oauth import X_USER
from ._x_state import MEDIA_ID

if TYPE_CHECKING:
    import threading

    from ._x_state import XUpload

__all__ = ["DUPLICATE", "INVALID_MEDIA", "XPost", "XPostRoutes", "check_post_body"]

DUPLICATE = "You are not allowed to create a Tweet with duplicate content."
INVALID_MEDIA = "Your media IDs are invalid."
_ID = re.compile(r"\A[0-9]{1,19}\Z")
_FIELDS = {
    "text",
    "media",
    "reply",
    "quote_tweet_id",
    "poll",
    "reply_settings",
    "geo",
    "edit_options",
    "community_id",
    "share_with_followers",
    "for_super_followers_only",
    "direct_message_deep_link",
    "card_uri",
    "nullcast",
    "made_with_ai",
    "paid_partnership",
}
FIRST_POST_ID = 1990000000000000000


@attrs.define(kw_only=True)
class XPost:
    id: str
    text: str
    author_id: str
    in_reply_to: str | None = None
    media_ids: tuple[str, ...] = ()
    body: dict[str, Any] = attrs.Factory(dict)


def _ids(value: Any, least: int, most: int) -> bool:
    return (
        isinstance(value, list)
        and least <= len(value) <= most
        and all(isinstance(v, str) and _ID.match(v) for v in value)
    )


def check_post_body(document: dict[str, Any]) -> list[str]:
    """X's checks of a CreatePostsRequest (``additionalProperties: false``)."""
    problems = [f"unknown field: {k}" for k in sorted(set(document) - _FIELDS)]
    if "text" not in document or not isinstance(document["text"], str):
        problems.append("text is required (a string)")
    media = document.get("media")
    if media is not None and (
        not isinstance(media, dict) or not _ids(media.get("media_ids"), 1, 4)
    ):
        problems.append("media.media_ids must hold 1 to 4 ids")
    if (
        isinstance(media, dict)
        and "tagged_user_ids" in media
        and not _ids(media["tagged_user_ids"], 0, 10)
    ):
        problems.append("media.tagged_user_ids must hold at most 10 ids")
    reply = document.get("reply")
    if reply is not None and (
        not isinstance(reply, dict) or not _ids([reply.get("in_reply_to_tweet_id")], 1, 1)
    ):
        problems.append("reply.in_reply_to_tweet_id must be an id")
    if "quote_tweet_id" in document and not _ids([document["quote_tweet_id"]], 1, 1):
        problems.append("quote_tweet_id must be an id")
    poll = document.get("poll")
    if poll is not None:
        options = poll.get("options") if isinstance(poll, dict) else None
        minutes = poll.get("duration_minutes") if isinstance(poll, dict) else None
        if not (
            isinstance(options, list)
            and 2 <= len(options) <= 4
            and all(isinstance(o, str) and 1 <= len(o) <= 25 for o in options)
        ):
            problems.append("poll.options must be 2 to 4 strings of 1 to 25 characters")
        if not (
            isinstance(minutes, int) and not isinstance(minutes, bool) and 5 <= minutes <= 10080
        ):
            problems.append("poll.duration_minutes must be 5 to 10080")
    if "reply_settings" in document and document["reply_settings"] not in (
        "following",
        "mentionedUsers",
        "subscribers",
        "verified",
    ):
        problems.append("reply_settings is not one of the allowed values")
    present = {
        k
        for k in ("media", "quote_tweet_id", "poll", "card_uri", "direct_message_deep_link")
        if k in document
    }
    for field, excluded in (
        ("media", {"quote_tweet_id", "poll", "card_uri"}),
        ("poll", {"quote_tweet_id", "card_uri"}),
        ("card_uri", {"quote_tweet_id", "direct_message_deep_link"}),
    ):
        if field in present and present & excluded:
            problems.append(
                f"{field} is mutually exclusive with {', '.join(sorted(present & excluded))}"
            )
    if not problems and not document["text"].strip() and media is None:
        problems.append("text must not be empty without media")
    return problems


def media_problem(upload: XUpload | None, user: str, state: str | None) -> bool:
    """Whether X would refuse the media: unknown, another user's, or not processed yet
    (``state`` is its processing state, None when it needs no processing)."""
    if upload is None or not upload.finalized:
        return True
    if upload.owner is not None and upload.owner != user:
        return True
    return state not in (None, "succeeded")


def duplicate_response() -> web.Response:
    return problem(
        403,
        "Forbidden",
        DUPLICATE,
        kind=PROBLEM + "client-forbidden",
        messages=(DUPLICATE,),
    )


def invalid_media() -> web.Response:
    return invalid(INVALID_MEDIA)


def not_found_post(post_id: str) -> web.Response:
    return problem(
        404,
        "Not Found Error",
        f"Could not find tweet with id: [{post_id}].",
        kind=PROBLEM + "resource-not-found",
    )


class _Box(Protocol):
    """What the handlers use of the sandbox."""

    _lock: threading.Lock
    uploads: dict[str, XUpload]
    posts: dict[str, XPost]
    processing_polls: int
    check_after_secs: int
    _next_post_id: int

    async def _admit(self, request: web.Request, endpoint: str) -> web.Response | None: ...

    async def _json_object(self, request: web.Request) -> dict[str, Any] | web.Response: ...


class XPostRoutes:
    """The ``/2/tweets`` handlers of one sandbox (its auth, faults, uploads and posts)."""

    def __init__(self, box: _Box) -> None:
        self._box = box

    async def create(self, request: web.Request) -> web.StreamResponse:
        failure = await self._box._admit(request, "posts.create")
        if failure is not None:
            return failure
        document = await self._box._json_object(request)
        if isinstance(document, web.Response):
            return document
        problems = check_post_body(document)
        if problems:
            return invalid(*problems)
        user = request[X_USER]
        media_ids = tuple((document.get("media") or {}).get("media_ids", ()))
        for media_id in media_ids:
            with self._box._lock:
                upload = self._box.uploads.get(media_id)
            info = None
            if upload is not None:
                info = upload.processing_info(
                    processing_polls=self._box.processing_polls,
                    check_after_secs=self._box.check_after_secs,
                )
            if media_problem(upload, user, None if info is None else info["state"]):
                return invalid_media()
        reply_to = (document.get("reply") or {}).get("in_reply_to_tweet_id")
        text = document["text"]
        with self._box._lock:
            if reply_to is not None and reply_to not in self._box.posts:
                return invalid("The post you are replying to does not exist (or was deleted).")
            if text.strip() and any(
                p.text == text and p.author_id == user for p in self._box.posts.values()
            ):
                return duplicate_response()
            post_id = str(self._box._next_post_id)
            self._box._next_post_id += 1
            self._box.posts[post_id] = XPost(
                id=post_id,
                text=text,
                author_id=user,
                in_reply_to=reply_to,
                media_ids=media_ids,
                body=document,
            )
        return web.json_response(
            {"data": {"id": post_id, "text": text, "edit_history_tweet_ids": [post_id]}},
            status=201,
            headers=self._post_limits(user),
        )

    def _post_limits(self, user: str) -> dict[str, str]:
        with self._box._lock:
            used = sum(1 for p in self._box.posts.values() if p.author_id == user)
        reset = str(int(time.time()) + 900)
        return {
            "x-rate-limit-limit": "100",
            "x-rate-limit-remaining": str(max(0, 100 - used)),
            "x-rate-limit-reset": reset,
            "x-app-limit-24hour-limit": "10000",
            "x-app-limit-24hour-remaining": str(max(0, 10000 - used)),
            "x-app-limit-24hour-reset": str(int(time.time()) + 86400),
        }

    async def delete(self, request: web.Request) -> web.StreamResponse:
        failure = await self._box._admit(request, "posts.delete")
        if failure is not None:
            return failure
        post_id = request.match_info["post_id"]
        if not MEDIA_ID.match(post_id):
            return invalid(f"The `id` query parameter value [{post_id}] is not valid")
        with self._box._lock:
            post = self._box.posts.get(post_id)
            if post is None:
                return not_found_post(post_id)
            if post.author_id != request[X_USER]:
                return problem(403, "Forbidden", "You are not allowed to delete this Tweet.")
            del self._box.posts[post_id]
        return web.json_response({"data": {"deleted": True}})
