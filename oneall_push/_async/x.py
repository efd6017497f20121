"""The X client: media upload and posts with one credential, one connection pool."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .._io import AsyncBackend, AsyncTransport, Timeout
from .._xmedia._checks import DEFAULT_BASE_URL, DEFAULT_MAX_CONCURRENCY, DEFAULT_PROCESSING_DEADLINE
from .._xmedia._media_types import DEFAULT_CHUNK_SIZE, DEFAULT_MAX_CHUNK_SIZE
from .._xmedia._models import UploadedMedia, XRetryPolicy
from .._xmedia._wire import XAuth, json_body
from .._xposts import (
    Poll,
    Post,
    PostDeleted,
    build_body,
    check_post_id,
    deleted_from_answer,
    post_from_answer,
)
from ..errors import RequestValidationError, XThreadIncompleteError
from .xmedia import AsyncXMedia

if TYPE_CHECKING:
    import ssl

    from ..hooks import Hooks

__all__ = ["AsyncX", "AsyncXPosts"]


class AsyncXPosts:
    """``POST /2/tweets`` and ``DELETE /2/tweets/{id}``, through the client's media calls'
    auth, transport and retry rules."""

    def __init__(self, calls: AsyncXMedia) -> None:
        self._calls = calls

    async def create(
        self,
        text: str = "",
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
        processing_deadline: float | None = None,
    ) -> Post:
        """Publish a post: ``POST /2/tweets``. Checked before sending (RequestValidationError).

        ``media`` takes media ids or the objects ``upload()`` returns; one still processing is
        awaited first (up to ``processing_deadline`` seconds). Not idempotent: retried only
        when X provably did not process it (connect error, 429); an answer lost after
        sending raises an OutcomeUnknownError, never a second post.
        """
        body = build_body(
            text,
            media=media,
            tagged_user_ids=tagged_user_ids,
            reply_to=reply_to,
            exclude_reply_user_ids=exclude_reply_user_ids,
            quote_post_id=quote_post_id,
            poll=poll,
            reply_settings=reply_settings,
            place_id=place_id,
            community_id=community_id,
            for_super_followers_only=for_super_followers_only,
            nullcast=nullcast,
            made_with_ai=made_with_ai,
            paid_partnership=paid_partnership,
            edit_of=edit_of,
            card_uri=card_uri,
            direct_message_deep_link=direct_message_deep_link,
            share_with_followers=share_with_followers,
        )
        for item in media or ():
            if isinstance(item, UploadedMedia) and not item.ready:
                await self._calls.wait_for_processing(item, deadline=processing_deadline)
        answer = await self._calls._exchange(
            "POST",
            "/2/tweets",
            body=json_body(body),
            content_type="application/json",
            endpoint="posts.create",
            ambiguous_retries=0,
        )
        return post_from_answer(
            answer.document,
            status=answer.status,
            headers=answer.headers,
            endpoint="posts.create",
            http=answer.http,
        )

    async def delete(self, post_id: str) -> PostDeleted:
        """Delete a post: ``DELETE /2/tweets/{id}`` (repeating it is harmless)."""
        ident = check_post_id("post_id", post_id)
        answer = await self._calls._exchange(
            "DELETE",
            f"/2/tweets/{ident}",
            endpoint="posts.delete",
            ambiguous_retries=1,
        )
        return deleted_from_answer(
            ident,
            answer.document,
            status=answer.status,
            headers=answer.headers,
            endpoint="posts.delete",
            http=answer.http,
        )

    async def thread(
        self, posts: Sequence[str | Mapping[str, Any]], *, reply_to: str | None = None
    ) -> list[Post]:
        """Publish posts as a thread, each replying to the one before (the first to
        ``reply_to`` when given). An item is the text, or a mapping of :meth:`create`'s
        arguments (``text``, ``media``, ...).

        All items are checked before the first is sent. When one fails, XThreadIncompleteError
        carries the posts already published (``posted``): resume from the last of them.
        """
        if isinstance(posts, (str, bytes)) or not isinstance(posts, Sequence) or not posts:
            raise RequestValidationError("posts", "must be a non-empty list of texts or mappings")
        items: list[dict[str, Any]] = []
        for index, item in enumerate(posts):
            options = {"text": item} if isinstance(item, str) else dict(item)
            if "reply_to" in options:
                raise RequestValidationError(
                    f"posts[{index}].reply_to", "is set by the thread (use thread(reply_to=))"
                )
            parent = reply_to if index == 0 else "1"  # the real parent is not known yet
            try:
                build_body(**{**_body_args(options), "reply_to": parent})
            except TypeError:
                raise RequestValidationError(
                    f"posts[{index}]", "takes only the arguments of create()"
                ) from None
            items.append(options)
        if reply_to is not None:
            check_post_id("reply_to", reply_to)
        done: list[Post] = []
        parent = reply_to
        for index, options in enumerate(items):
            try:
                post = await self.create(**options, reply_to=parent)
            except Exception as exc:
                raise XThreadIncompleteError(done, index, exc) from exc
            done.append(post)
            parent = post.id
        return done


def _body_args(options: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in options.items() if k != "processing_deadline"}


class AsyncX:
    """Client for the X API v2: ``media`` (chunked upload, processing) and ``posts``.

    ``auth`` is a :class:`BearerToken`, :class:`OAuth1` or :class:`OAuth2UserToken`
    (``bearer_token=`` is a shorthand for the first). Use it as a context manager, or call
    :meth:`close`.
    """

    def __init__(
        self,
        *,
        auth: XAuth | None = None,
        bearer_token: str | None = None,
        base_url: str = DEFAULT_BASE_URL,
        timeout: Timeout | float | None = None,
        retry: XRetryPolicy | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        max_chunk_size: int = DEFAULT_MAX_CHUNK_SIZE,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        processing_deadline: float = DEFAULT_PROCESSING_DEADLINE,
        min_poll_interval: float = 1.0,
        transport: AsyncTransport | None = None,
        backend: AsyncBackend | None = None,
        user_agent: str | None = None,
        proxy: str | None = None,
        trust_env: bool = True,
        ssl_context: ssl.SSLContext | None = None,
        hooks: Hooks | None = None,
        tracing: bool = True,
    ) -> None:
        self.media = AsyncXMedia(
            auth=auth,
            bearer_token=bearer_token,
            base_url=base_url,
            timeout=timeout,
            retry=retry,
            chunk_size=chunk_size,
            max_chunk_size=max_chunk_size,
            max_concurrency=max_concurrency,
            processing_deadline=processing_deadline,
            min_poll_interval=min_poll_interval,
            transport=transport,
            backend=backend,
            user_agent=user_agent,
            proxy=proxy,
            trust_env=trust_env,
            ssl_context=ssl_context,
            hooks=hooks,
            tracing=tracing,
        )
        self.posts = AsyncXPosts(self.media)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.media.base_url!r}, auth={type(self.media._auth).__name__})"

    async def __aenter__(self) -> AsyncX:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Release the connection pool."""
        await self.media.close()
