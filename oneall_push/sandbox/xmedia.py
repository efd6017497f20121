"""A local emulator of X API v2 media upload (aiohttp), with X's checks, states and faults.

Routes are absolute (``/2/media/...``): serve :func:`create_app` (or
:meth:`XMediaSandbox.make_app`) on its own or as a sub-application, or add the routes to a
bigger application with :meth:`XMediaSandbox.install`. Uploaded bytes are counted and
checksummed per segment, never kept, so gigabytes can go through it.

Checks, with X's own wording where it is known: bearer token (401 problem+json; 403 for a token
without ``media.write``), ``multipart/form-data; boundary=`` with a semicolon (anything else is
answered as X does: "Requests with bodies must have content-type of application/json."),
``segment_index`` present and 0-999, ASCII-only part headers (no non-ASCII filename), finalize
with a JSON object body, all bytes present and equal to ``total_bytes`` at finalize, segments
0..n-1 without gaps (1-based uploads are named), unknown media ids (404 problem+json).
Processing (video and GIF categories) moves pending -> in_progress -> succeeded or failed, one
step per status check; the outcome is set with ``processing=`` (``succeed``, ``fail``,
``error_in_progress`` (X's trap: an error while the state stays in_progress), ``stuck``).
Faults (:class:`XFault`) are deterministic: a status (5xx), an empty-body status (413, 431,
404), a 429 with ``x-rate-limit-*`` reset headers, a 24-hour 429, or a usage-capped 429;
``max_chunk_bytes`` answers 413 with an empty body to larger chunks, like X's edge. The bearer
token is checked first, so an unauthenticated request never uses up a fault (as in the Push
sandbox).

Run standalone: ``python -m oneall_push.sandbox.xmedia --port 8788`` (prints ``PORT n``).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import json
import sys
import threading
import time
import zlib
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiohttp import web

from .._xmedia._media_types import CATEGORIES, MAX_TOTAL_BYTES, MEDIA_TYPES, PROCESSED_CATEGORIES
from ._x_answers import (
    JSON_ONLY,
    NON_ASCII_FILENAME,
    NOT_JSON_OBJECT,
    data_response,
    drain,
    fault_response,
    form_parts,
    int_or_none,
    invalid,
    is_multipart,
    measure,
    non_ascii_disposition,
    not_found,
    problem,
)
from ._x_oauth import DEFAULT_USER_ID, X_USER, XCredentials
from ._x_posts import FIRST_POST_ID, XPost, XPostRoutes
from ._x_state import FIRST_ID, MEDIA_ID, PROCESSING_OUTCOMES, XFault, XUpload

__all__ = [
    "PROCESSING_OUTCOMES",
    "XMEDIA_SANDBOX",
    "XCredentials",
    "XFault",
    "XMediaSandbox",
    "XPost",
    "XUpload",
    "create_app",
]


class XMediaSandbox:
    """State, configuration and routes of the X media emulator.

    Change the configuration between tests with attributes (``processing``, ``check_after_secs``,
    ``max_chunk_bytes``) or :meth:`add_fault`; :meth:`reset` forgets uploads, faults and counters.
    """

    def __init__(
        self,
        *,
        tokens: tuple[str, ...] = ("sandbox-x-token",),
        scopeless_tokens: tuple[str, ...] = ("sandbox-x-token-no-media-write",),
        processing: str = "succeed",
        processing_polls: int = 2,
        check_after_secs: int = 1,
        expires_after_secs: int = 86400,
        max_chunk_bytes: int | None = None,
        credentials: XCredentials | None = None,
    ) -> None:
        self.tokens = tokens
        # OAuth 1.0a keys and OAuth 2.0 clients; ``tokens`` stay plain bearer tokens.
        self.credentials = credentials if credentials is not None else XCredentials()
        self.scopeless_tokens = scopeless_tokens
        self.processing = processing  # checked here, before it becomes the default
        self._defaults = (processing, processing_polls, check_after_secs, max_chunk_bytes)
        self.expires_after_secs = expires_after_secs
        self.base_url: str | None = None
        self._lock = threading.Lock()
        self.reset()

    @property
    def processing(self) -> str:
        """The outcome of processing for uploads finalized from now on: one of
        ``PROCESSING_OUTCOMES``."""
        return self._processing

    @processing.setter
    def processing(self, value: str) -> None:
        if value not in PROCESSING_OUTCOMES:
            raise ValueError(f"processing must be one of {PROCESSING_OUTCOMES}, got {value!r}")
        self._processing = value

    def reset(self) -> None:
        """Back to the configuration given to the constructor, with no uploads and no faults."""
        with self._lock:
            processing, polls, check_after, max_chunk = self._defaults
            self.processing = processing
            self.processing_polls = polls
            self.check_after_secs = check_after
            self.max_chunk_bytes = max_chunk
            self.faults: list[XFault] = []
            self.uploads: dict[str, XUpload] = {}
            self.log: deque[tuple[str, str, int]] = deque(maxlen=5000)
            self.in_flight = 0
            self.max_in_flight = 0
            self._next_id = FIRST_ID
            self.posts: dict[str, XPost] = {}
            self._next_post_id = FIRST_POST_ID

    def add_fault(self, fault: XFault | None = None, **kwargs: Any) -> XFault:
        """Inject a fault: ``add_fault(endpoint="append", kind="rate_limit", times=2)``."""
        fault = fault if fault is not None else XFault(**kwargs)
        with self._lock:
            self.faults.append(fault)
        return fault

    # --- the application ------------------------------------------------------------------

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        self.install(app)
        return app

    def install(self, app: web.Application) -> None:
        """Add the ``/2/media/...`` routes to ``app``."""
        app.router.add_post("/2/media/upload/initialize", self._initialize)
        app.router.add_post("/2/media/upload/{media_id}/append", self._append)
        app.router.add_post("/2/media/upload/{media_id}/finalize", self._finalize)
        app.router.add_get("/2/media/upload", self._status)
        app.router.add_post("/2/media/upload", self._one_shot)
        app.router.add_post("/2/media/metadata", self._metadata)
        posts = XPostRoutes(self)
        app.router.add_post("/2/tweets", posts.create)
        app.router.add_delete("/2/tweets/{post_id}", posts.delete)
        app.router.add_post("/2/oauth2/token", self._token)

    # --- shared steps ---------------------------------------------------------------------

    def _auth(self, request: web.Request) -> web.Response | None:
        """Check the caller (bearer token, OAuth 1.0a signature or issued OAuth 2.0 token);
        their user id is kept as ``request[X_USER]``."""
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token in self.tokens:
            request[X_USER] = DEFAULT_USER_ID
            return None
        if scheme.lower() == "bearer" and token in self.scopeless_tokens:
            return problem(403, "Forbidden", "Forbidden")
        user = self.credentials.user_of(request)
        if isinstance(user, web.Response):
            return user
        request[X_USER] = user
        return None

    def _fault(self, endpoint: str, segment_index: int | None = None) -> web.Response | None:
        with self._lock:
            for fault in self.faults:
                if fault.matches(endpoint, segment_index):
                    fault.hits += 1
                    break
            else:
                return None
        return fault_response(fault)

    def _upload(self, media_id: str) -> XUpload | web.Response:
        if not MEDIA_ID.match(media_id):
            return invalid(f"The `id` query parameter value [{media_id}] is not valid")
        with self._lock:
            upload = self.uploads.get(media_id)
        return upload if upload is not None else not_found(media_id)

    async def _admit(self, request: web.Request, endpoint: str) -> web.Response | None:
        """Log the call, then check auth and apply faults; a refusal drains the body first."""
        self.log.append((request.method, request.path, -1))
        failure = self._auth(request) or self._fault(endpoint)
        if failure is not None:
            await drain(request)
        return failure

    async def _json_object(self, request: web.Request) -> dict[str, Any] | web.Response:
        if request.content_type != "application/json":
            await drain(request)
            return invalid(JSON_ONLY)
        raw = await request.read()
        try:
            document = json.loads(raw) if raw.strip() else None
        except ValueError:
            return invalid("Request body is not valid JSON.")
        if not isinstance(document, dict):
            return invalid(NOT_JSON_OBJECT)
        return document

    def _new_upload(
        self,
        media_type: str,
        category: str | None,
        total: int,
        *,
        finalized: bool = False,
        owner: str | None = None,
    ) -> XUpload:
        with self._lock:
            media_id = str(self._next_id)
            self._next_id += 1
            prefix = {"amplify_video": "13", "tweet_video": "7", "dm_video": "7"}.get(
                category or "", "16" if media_type == "image/gif" else "3"
            )
            upload = XUpload(
                media_id=media_id,
                media_key=f"{prefix}_{media_id}",
                media_type=media_type,
                media_category=category,
                total_bytes=total,
                expires_after_secs=self.expires_after_secs,
                finalized=finalized,
                owner=owner,
            )
            self.uploads[media_id] = upload
        return upload

    def _media(self, upload: XUpload) -> dict[str, Any]:
        return upload.document(
            processing_polls=self.processing_polls, check_after_secs=self.check_after_secs
        )

    # --- handlers -------------------------------------------------------------------------

    async def _initialize(self, request: web.Request) -> web.StreamResponse:
        failure = await self._admit(request, "initialize")
        if failure is not None:
            return failure
        document = await self._json_object(request)
        if isinstance(document, web.Response):
            return document
        media_type = document.get("media_type")
        total = document.get("total_bytes")
        category = document.get("media_category")
        problems = []
        if media_type not in MEDIA_TYPES:
            problems.append(f"media_type must be one of {sorted(MEDIA_TYPES)}")
        if (
            not isinstance(total, int)
            or isinstance(total, bool)
            or not 0 <= total <= MAX_TOTAL_BYTES
        ):
            problems.append(f"total_bytes must be an integer from 0 to {MAX_TOTAL_BYTES}")
        if category is not None and category not in CATEGORIES:
            problems.append(f"media_category must be one of {sorted(CATEGORIES)}")
        owners = document.get("additional_owners", [])
        if not isinstance(owners, list) or not all(
            isinstance(o, str) and MEDIA_ID.match(o) for o in owners
        ):
            problems.append("additional_owners must be an array of user id strings")
        if "shared" in document and not isinstance(document["shared"], bool):
            problems.append("shared must be a boolean")
        if problems:
            return invalid(*problems)
        assert isinstance(media_type, str) and isinstance(total, int)
        upload = self._new_upload(media_type, category, total, owner=request.get(X_USER))
        return data_response(self._media(upload))

    async def _append(self, request: web.Request) -> web.StreamResponse:
        media_id = request.match_info["media_id"]
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self._append_inner(request, media_id)
        finally:
            with self._lock:
                self.in_flight -= 1

    async def _append_inner(self, request: web.Request, media_id: str) -> web.StreamResponse:
        failure = self._auth(request)
        if failure is not None:
            await drain(request)
            return failure
        upload = self._upload(media_id)
        if isinstance(upload, web.Response):
            await drain(request)
            return upload
        parsed = await self._read_append(request)
        if isinstance(parsed, web.Response):
            return parsed
        segment, size, crc, too_large = parsed
        self.log.append(("POST", request.path, segment if segment is not None else -1))
        fault = self._fault("append", segment)
        if fault is not None:
            return fault
        if too_large:
            return web.Response(status=413, body=b"")
        if segment is None:
            return invalid("segment_index is required")
        if not 0 <= segment <= 999:
            return invalid("segment_index must be an integer from 0 to 999")
        if size is None:
            return invalid("media is required")
        if upload.finalized:
            return invalid(f"Media id {media_id} is already finalized")
        with self._lock:
            upload.segments[segment] = (size, crc)
        return data_response({"expires_at": int(time.time()) + upload.expires_after_secs})

    async def _read_append(
        self, request: web.Request
    ) -> tuple[int | None, int | None, int, bool] | web.Response:
        """(segment_index, media size, CRC-32, larger than max_chunk_bytes) of an append."""
        raw_type = request.headers.get("Content-Type", "")
        kind, _, params = raw_type.partition(";")
        kind = kind.strip().lower()
        if kind == "application/json":
            document = await self._json_object(request)
            if isinstance(document, web.Response):
                return document
            seg = document.get("segment_index")
            media = document.get("media")
            data = None
            if isinstance(media, str):
                try:
                    data = base64.b64decode(media, validate=True)
                except (binascii.Error, ValueError):
                    return invalid("media must be base64")
            json_segment = int_or_none(seg)
            if seg is not None and json_segment is None:
                return invalid("segment_index must be an integer from 0 to 999")
            json_size = None if data is None else len(data)
            limit = self.max_chunk_bytes
            big = bool(limit is not None and json_size is not None and json_size > limit)
            return json_segment, json_size, zlib.crc32(data or b""), big
        if not is_multipart(kind, params):
            await drain(request)
            return invalid(JSON_ONLY)
        segment: int | None = None
        seg_text: str | None = None
        size: int | None = None
        crc = 0
        limit = self.max_chunk_bytes
        async for part in form_parts(request):
            if non_ascii_disposition(part):
                await drain(request)
                return invalid(NON_ASCII_FILENAME)
            if part.name == "segment_index":
                seg_text = (await part.read(decode=False)).decode("ascii", "replace").strip()
            elif part.name == "media":
                size, crc = await measure(part)
            else:
                await measure(part)
        if seg_text is not None:
            segment = int_or_none(seg_text)
            if segment is None:
                return invalid("segment_index must be an integer from 0 to 999")
        too_large = limit is not None and size is not None and size > limit
        return segment, size, crc, too_large

    async def _finalize(self, request: web.Request) -> web.StreamResponse:
        media_id = request.match_info["media_id"]
        failure = await self._admit(request, "finalize")
        if failure is not None:
            return failure
        upload = self._upload(media_id)
        if isinstance(upload, web.Response):
            await drain(request)
            return upload
        document = await self._json_object(request)
        if isinstance(document, web.Response):
            return document
        if not upload.finalized:
            problem = upload.completeness()
            if problem is not None:
                return invalid(problem)
            with self._lock:
                upload.finalized = True
                if upload.media_category in PROCESSED_CATEGORIES:
                    upload.processing = self.processing
        return data_response(self._media(upload))

    async def _status(self, request: web.Request) -> web.StreamResponse:
        self.log.append(("GET", request.path, -1))
        failure = self._auth(request) or self._fault("status")
        if failure is not None:
            return failure
        media_id = request.query.get("media_id")
        command = request.query.get("command", "STATUS")
        if media_id is None:
            return invalid("The `media_id` query parameter can not be empty")
        if command != "STATUS":
            return invalid(f"command must be STATUS on GET, got {command}")
        upload = self._upload(media_id)
        if isinstance(upload, web.Response):
            return upload
        if not upload.finalized:
            return invalid(f"Media id {media_id} has not been finalized")
        with self._lock:
            if upload.processing is not None:
                upload.polls += 1
        return data_response(self._media(upload))

    async def _one_shot(self, request: web.Request) -> web.StreamResponse:
        failure = await self._admit(request, "upload")
        if failure is not None:
            return failure
        if "media_category" in request.query:
            await drain(request)
            return invalid("media_category must be sent in the request body, not the query")
        kind, _, params = request.headers.get("Content-Type", "").partition(";")
        if not is_multipart(kind.strip().lower(), params):
            await drain(request)
            return invalid(JSON_ONLY)
        fields: dict[str, str] = {}
        size: int | None = None
        async for part in form_parts(request):
            if non_ascii_disposition(part):
                await drain(request)
                return invalid(NON_ASCII_FILENAME)
            if part.name == "media":
                size, _ = await measure(part)
            elif part.name:
                fields[part.name] = (await part.read(decode=False)).decode("utf-8", "replace")
        category = fields.get("media_category")
        media_type = fields.get("media_type", "image/jpeg")
        if size is None or category is None:
            return invalid("media and media_category are required")
        if category not in CATEGORIES or media_type not in MEDIA_TYPES:
            return invalid("media_category or media_type is not valid")
        upload = self._new_upload(
            media_type, category, size, finalized=True, owner=request.get(X_USER)
        )
        with self._lock:
            upload.segments[0] = (size, 0)
        return data_response(self._media(upload))

    async def _metadata(self, request: web.Request) -> web.StreamResponse:
        failure = await self._admit(request, "metadata")
        if failure is not None:
            return failure
        document = await self._json_object(request)
        if isinstance(document, web.Response):
            return document
        media_id = document.get("id")
        metadata = document.get("metadata")
        if not isinstance(media_id, str) or not isinstance(metadata, dict):
            return invalid("id (string) and metadata (object) are required")
        upload = self._upload(media_id)
        if isinstance(upload, web.Response):
            return upload
        alt = metadata.get("alt_text")
        if alt is not None:
            text = alt.get("text") if isinstance(alt, dict) else None
            if not isinstance(text, str) or not 1 <= len(text) <= 1000:
                return invalid("metadata.alt_text.text must be 1 to 1000 characters")
            upload.alt_text = text
        return data_response({"id": media_id, "associated_metadata": metadata})

    # --- posts -----------------------------------------------------------------------------

    async def _token(self, request: web.Request) -> web.StreamResponse:
        self.log.append(("POST", request.path, -1))
        failure = self._fault("oauth2.token")
        if failure is not None:
            await drain(request)
            return failure
        return await self.credentials.token_endpoint(request)

    # --- serving --------------------------------------------------------------------------

    @contextmanager
    def serve_in_thread(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Serve on a loopback port from a background thread with its own loop; yields the
        base URL (also in ``base_url``)."""
        from ._serving import ServerThread

        with ServerThread(self, host=host, port=port, name="X media sandbox"):
            assert self.base_url is not None
            yield self.base_url


XMEDIA_SANDBOX = web.AppKey("xmedia_sandbox", XMediaSandbox)


def create_app(sandbox: XMediaSandbox | None = None, **options: Any) -> web.Application:
    """An application serving the ``/2/media/...`` routes (mountable with ``add_subapp``).

    ``sandbox`` is the state to serve (a new :class:`XMediaSandbox` built from ``options``
    when omitted); it is also stored as ``app[XMEDIA_SANDBOX]``.
    """
    if sandbox is None:
        sandbox = XMediaSandbox(**options)
    elif options:
        raise TypeError("give a sandbox or its options, not both")
    app = sandbox.make_app()
    app[XMEDIA_SANDBOX] = sandbox
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="X API v2 media upload sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8788)
    parser.add_argument("--token", default="sandbox-x-token")
    parser.add_argument("--max-chunk-bytes", type=int, default=None)
    args = parser.parse_args(argv)
    sandbox = XMediaSandbox(tokens=(args.token,), max_chunk_bytes=args.max_chunk_bytes)

    from ._serving import start_server

    async def serve() -> None:
        runner = await start_server(sandbox, args.host, args.port)
        print(f"PORT {sandbox.base_url.rsplit(':', 1)[1] if sandbox.base_url else 0}", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
