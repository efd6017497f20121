"""The callback receiver as an aiohttp application, to mount in an existing aiohttp server.

::

    app = web.Application()
    app.add_subapp("/oneall/cb/", make_callback_app(config, store))

OneAll's POST to ``<public_url>/<job_id>?exp=...&sig=...`` is verified, stored and answered
at once; nothing else runs in the request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from .._async.receiver import AsyncCallbackHandler
from .._async.stores import AsyncCallbackStore
from ..callbacks.config import CallbackConfig
from ..callbacks.outcome import MAX_BODY, CallbackResponse

__all__ = ["HANDLER_KEY", "callback_view", "make_callback_app"]

# The receiver's handler, for code that needs its store: ``app[HANDLER_KEY].store``.
HANDLER_KEY = web.AppKey("oneall_push.callback_handler", AsyncCallbackHandler)


def _to_web(answer: CallbackResponse) -> web.Response:
    return web.Response(
        status=answer.status,
        reason=answer.reason,
        body=answer.body,
        headers=dict(answer.headers),
    )


async def _read_body(request: web.Request) -> bytes | None:
    """The whole body (Content-Length or chunked, however it is split), or ``None`` past MAX_BODY.

    ``content.read(n)`` returns only what has arrived so far; ``request.read()`` obeys the
    *root* application's ``client_max_size``, not this sub-application's.
    """
    body = bytearray()
    while True:
        chunk = await request.content.read(MAX_BODY + 1 - len(body))
        if not chunk:
            return bytes(body)
        body += chunk
        if len(body) > MAX_BODY:
            return None


def callback_view(
    handler: AsyncCallbackHandler,
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """A route handler for ``POST .../{job_id}`` (the job id may also end the path)."""

    async def view(request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > MAX_BODY:
            return _to_web(CallbackResponse.of(413, "body too large"))
        body = await _read_body(request)
        if body is None:
            return _to_web(CallbackResponse.of(413, "body too large"))
        job_id = request.match_info.get("job_id", request.path)
        answer = await handler.handle(
            job_id, request.rel_url.raw_query_string, body, method=request.method
        )
        return _to_web(answer)

    return view


def make_callback_app(
    config: CallbackConfig | AsyncCallbackHandler, store: AsyncCallbackStore | None = None
) -> web.Application:
    """An aiohttp application answering ``POST /{job_id}``; mount it under any prefix.

    Pass the client's ``CallbackConfig`` and the store its jobs use (``client.jobs.store``),
    or a ready :class:`AsyncCallbackHandler`.
    """
    if isinstance(config, AsyncCallbackHandler):
        handler = config
    else:
        if store is None:
            raise TypeError("make_callback_app(config, store): the store is required")
        handler = AsyncCallbackHandler(config, store)
    app = web.Application(client_max_size=MAX_BODY + 1)
    view = callback_view(handler)
    app.router.add_route("*", "/{job_id}", view)
    app[HANDLER_KEY] = handler
    return app
