"""``oneall-push x upload`` and ``x post``: X API v2 media upload and posts from the command
line.

Uses the synchronous :class:`~oneall_push.x.X`. Credentials come from ``--bearer-token`` or
``X_BEARER_TOKEN`` (an OAuth 2.0 user token), else the four OAuth 1.0a variables
(``X_CONSUMER_KEY``, ``X_CONSUMER_SECRET``, ``X_ACCESS_TOKEN``, ``X_ACCESS_TOKEN_SECRET``); none
of them is ever printed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, TextIO

from .._xmedia._checks import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_PROCESSING_DEADLINE,
    MAX_CONCURRENCY,
)
from .._xmedia._media_types import (
    CATEGORIES,
    DEFAULT_CHUNK_SIZE,
    DEFAULT_MAX_CHUNK_SIZE,
    MEDIA_TYPES,
)
from .._xmedia._models import MediaEvent, ProcessingProgress, UploadedMedia, UploadProgress
from .._xmedia._wire import XAuth
from ..errors import ConfigurationError, OneAllPushError, RequestValidationError
from ._exit import (
    EXIT_CODES_HELP,
    ExitCode,
    HelpFormatter,
    report_error,
    report_interrupt,
    write_result,
)

if TYPE_CHECKING:
    from .._xposts import Post

__all__ = ["add_parser", "parse_size", "run", "run_post"]

TOKEN_ENV = "X_BEARER_TOKEN"
OAUTH1_ENV = ("X_CONSUMER_KEY", "X_CONSUMER_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET")
BASE_URL_ENV = "X_API_BASE_URL"
# The floor under X's check_after_secs between status checks (X asks for at least 1 s).
MIN_POLL_INTERVAL = 1.0
# A TTY bar is redrawn at most this often (seconds); the last update is always drawn.
REDRAW_EVERY = 0.1
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}
_SIZE = re.compile(r"\A\s*([0-9]+(?:\.[0-9]+)?)\s*([KMG]?)(?:I?B)?\s*\Z", re.IGNORECASE)


def parse_size(text: str) -> int:
    """``4M``, ``512K``, ``1.5MiB`` or ``1048576`` as a number of bytes (binary units)."""
    match = _SIZE.match(text)
    if match is None:
        raise argparse.ArgumentTypeError(
            f"must be a size such as 4M, 512K or 1048576, not {text!r}"
        )
    size = int(float(match[1]) * _UNITS[match[2].upper()])
    if size < 1:
        raise argparse.ArgumentTypeError("must be at least 1 byte")
    return size


def _concurrency(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_CONCURRENCY:
        raise argparse.ArgumentTypeError(f"must be an integer from 1 to {MAX_CONCURRENCY}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError("must be a positive number of seconds")
    return value


CREDENTIALS_HELP = (
    f"Credentials: --bearer-token or the {TOKEN_ENV} environment variable (an OAuth 2.0 user "
    "token: media.write to upload, tweet.write to post), else OAuth 1.0a user keys in "
    + ", ".join(OAUTH1_ENV[:-1])
    + f" and {OAUTH1_ENV[-1]}. Prefer the variables: command lines are visible to other local "
    "users. No credential is ever printed. "
)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "x", help="X API v2 media upload and posts", description="X API v2 media upload and posts."
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    _add_post_parser(actions)
    u = actions.add_parser(
        "upload",
        help="upload a file in chunks and print its media id",
        description=(
            "Upload a file to X with the v2 chunked media upload (initialize, append, finalize), "
            "wait for X's processing (videos and GIFs), and print the media id on stdout. "
            "Progress goes to stderr."
        ),
        formatter_class=HelpFormatter,
        epilog=(
            CREDENTIALS_HELP
            + f"The API base URL is --base-url, else {BASE_URL_ENV}, else {DEFAULT_BASE_URL}. "
            "Against the local sandbox: --base-url http://127.0.0.1:8787/x with the token "
            "sandbox-x-token.\n\n" + EXIT_CODES_HELP
        ),
    )
    u.add_argument("path", metavar="PATH", help="the file to upload")
    u.add_argument(
        "--category",
        choices=sorted(CATEGORIES),
        default=None,
        metavar="CATEGORY",
        help="media_category (default: inferred from the media type and --target); one of "
        + ", ".join(sorted(CATEGORIES)),
    )
    u.add_argument(
        "--target",
        choices=("tweet", "dm", "amplify"),
        default="tweet",
        help="where the media will be used, to infer the category (tweet)",
    )
    u.add_argument(
        "--media-type",
        choices=sorted(MEDIA_TYPES),
        default=None,
        metavar="TYPE",
        help="MIME type such as video/mp4 or image/png (default: sniffed from the content, "
        "then the file extension)",
    )
    u.add_argument("--alt-text", default=None, metavar="TEXT", help="alt text (images, GIFs)")
    u.add_argument(
        "--chunk-size",
        type=parse_size,
        default=DEFAULT_CHUNK_SIZE,
        metavar="SIZE",
        help="bytes per append, e.g. 1M or 512K (4M; raised when a file needs more than 1000 "
        "chunks; X's edge has refused 5 MB chunks)",
    )
    u.add_argument(
        "--concurrency",
        type=_concurrency,
        default=DEFAULT_MAX_CONCURRENCY,
        metavar="N",
        help=f"appends in flight at once, 1 to {MAX_CONCURRENCY} ({DEFAULT_MAX_CONCURRENCY})",
    )
    u.add_argument(
        "--deadline",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help=f"give up waiting for processing after this long ({DEFAULT_PROCESSING_DEADLINE:g})",
    )
    u.add_argument(
        "--no-wait",
        dest="wait",
        action="store_false",
        help="return after finalize without waiting for processing",
    )
    u.add_argument(
        "--base-url", default=None, metavar="URL", help=f"API base URL (${BASE_URL_ENV})"
    )
    u.add_argument(
        "--bearer-token",
        default=None,
        metavar="TOKEN",
        help=f"OAuth 2.0 user token with media.write (default: ${TOKEN_ENV})",
    )
    u.add_argument(
        "--json",
        action="store_true",
        help="print the media object as JSON instead of the id, and errors as a JSON object on "
        "stderr",
    )


def _human(n: float) -> str:
    for unit in ("B", "KiB", "MiB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.2f} GiB"


class _Progress:
    """Renders progress events to stderr: one redrawn line on a TTY, else sparse plain lines.

    The sync client may call it from its worker threads, hence the lock.
    """

    def __init__(self, stream: TextIO, *, tty: bool) -> None:
        self._stream = stream
        self._tty = tty
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._drawn_at = 0.0
        self._drawn = False
        self._decile = -1
        self._upload = ""
        self._last_processing: tuple[str, int | None] | None = None

    def __call__(self, event: MediaEvent) -> None:
        with self._lock:
            if isinstance(event, UploadProgress):
                self._on_upload(event)
            elif isinstance(event, ProcessingProgress):
                self._on_processing(event)

    def _rate(self, done: int) -> float:
        elapsed = max(time.monotonic() - self._started, 1e-6)
        return done / elapsed / (1024 * 1024)

    def _on_upload(self, event: UploadProgress) -> None:
        done, total = event.bytes_sent, event.total_bytes
        percent = int(event.fraction * 100)
        rate = self._rate(done)
        if self._tty:
            finished = done >= total
            now = time.monotonic()
            if not finished and now - self._drawn_at < REDRAW_EVERY:
                return
            self._drawn_at = now
            filled = int(event.fraction * 24)
            bar = "#" * filled + "-" * (24 - filled)
            self._draw(
                f"upload [{bar}] {percent:3d}%  {_human(done)} / {_human(total)}  {rate:.1f} MiB/s"
            )
            if finished:
                self._upload = f"uploaded {_human(total)} ({rate:.1f} MiB/s)"
            return
        decile = min(10, int(event.fraction * 10))
        if decile <= self._decile:
            return
        self._decile = decile
        self._line(f"upload: {percent}%  {_human(done)} of {_human(total)}  ({rate:.1f} MiB/s)")

    def _on_processing(self, event: ProcessingProgress) -> None:
        key = (event.state, event.progress_percent)
        if key == self._last_processing:
            return
        self._last_processing = key
        percent = "" if event.progress_percent is None else f" {event.progress_percent}%"
        if self._tty:
            prefix = f"{self._upload}  " if self._upload else ""
            self._draw(f"{prefix}processing: {event.state}{percent}")
        else:
            self._line(f"processing: {event.state}{percent}")

    def _draw(self, text: str) -> None:
        self._stream.write(f"\r{text}\x1b[K")
        self._stream.flush()
        self._drawn = True

    def _line(self, text: str) -> None:
        print(text, file=self._stream, flush=True)

    def close(self) -> None:
        """End the TTY line, so what follows starts on a line of its own."""
        with self._lock:
            if self._drawn:
                self._stream.write("\n")
                self._stream.flush()
                self._drawn = False


def _media_json(media: UploadedMedia) -> dict[str, Any]:
    info = media.processing_info
    processing: dict[str, Any] | None = None
    if info is not None:
        processing = {
            "state": info.state,
            "progress_percent": info.progress_percent,
            "check_after_secs": info.check_after_secs,
        }
        if info.error is not None:
            processing["error"] = {
                "code": info.error.code,
                "name": info.error.name,
                "message": info.error.message,
            }
    return {
        "id": media.id,
        "media_key": media.media_key,
        "size": media.size,
        "expires_after_secs": media.expires_after_secs,
        "media_type": media.media_type,
        "media_category": media.media_category,
        "state": media.state,
        "processing_info": processing,
        "warnings": list(media.warnings),
    }


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    if args.action == "post":
        return run_post(args, out, err)
    return run_upload(args, out, err)


def run_upload(
    args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    from ..hooks import Hooks, RequestEvent
    from ..xmedia import XMedia

    out = out or sys.stdout
    err = err or sys.stderr
    secrets = _secrets(args)
    try:
        auth = credentials(args)
    except ConfigurationError as exc:
        return report_error(err, exc, as_json=args.json, secrets=secrets)
    base_url = args.base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    isatty = getattr(err, "isatty", None)
    progress = _Progress(err, tty=bool(isatty and isatty()))
    sent = False

    def on_request(_: RequestEvent) -> None:
        nonlocal sent
        sent = True

    try:
        with XMedia(
            hooks=Hooks(on_request=on_request),
            auth=auth,
            base_url=base_url,
            chunk_size=args.chunk_size,
            # An explicit --chunk-size above the default cap is the user's call.
            max_chunk_size=max(DEFAULT_MAX_CHUNK_SIZE, args.chunk_size),
            max_concurrency=args.concurrency,
            min_poll_interval=MIN_POLL_INTERVAL,
        ) as client:
            media = client.upload(
                args.path,
                media_type=args.media_type,
                media_category=args.category,
                target=args.target,
                alt_text=args.alt_text,
                wait=args.wait,
                processing_deadline=args.deadline,
                progress=progress,
            )
    except OneAllPushError as exc:
        progress.close()
        return report_error(err, exc, as_json=args.json, secrets=secrets)
    except OSError as exc:
        progress.close()
        return report_error(
            err,
            ConfigurationError(f"cannot read {args.path!r}: {exc.strerror or exc}"),
            as_json=args.json,
        )
    except KeyboardInterrupt:
        progress.close()
        return report_interrupt(err, sent=sent, as_json=args.json)
    progress.close()
    write_result(out, json.dumps(_media_json(media), indent=2) if args.json else media.id)
    return ExitCode.OK


# --- credentials -------------------------------------------------------------------------------


def _secrets(args: argparse.Namespace) -> tuple[str, ...]:
    """Every credential the command may use, to scrub from messages a server echoed."""
    found = [getattr(args, "bearer_token", None), os.environ.get(TOKEN_ENV)]
    found += [os.environ.get(name) for name in OAUTH1_ENV]
    return tuple(value.strip() for value in found if value and value.strip())


def credentials(args: argparse.Namespace) -> XAuth:
    """``--bearer-token``, else ``X_BEARER_TOKEN``, else the four OAuth 1.0a variables; a
    ConfigurationError (naming what is missing, never a value) when none is complete."""
    from .._xauth import OAuth1
    from .._xmedia._wire import BearerAuth

    token = (args.bearer_token or os.environ.get(TOKEN_ENV) or "").strip()
    if token:
        return BearerAuth(token)
    keys = {name: (os.environ.get(name) or "").strip() for name in OAUTH1_ENV}
    missing = [name for name, value in keys.items() if not value]
    if not missing:
        return OAuth1(*keys.values())
    if len(missing) < len(OAUTH1_ENV):
        raise ConfigurationError(
            f"incomplete OAuth 1.0a credentials: set {', '.join(missing)} too (or use {TOKEN_ENV})"
        )
    raise ConfigurationError(
        f"no credentials: pass --bearer-token or set {TOKEN_ENV} (an OAuth 2.0 user token), "
        f"or set {', '.join(OAUTH1_ENV)} (OAuth 1.0a user keys)"
    )


# --- x post ------------------------------------------------------------------------------------


def _add_post_parser(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = actions.add_parser(
        "post",
        help="post text, with media uploaded first, and print the post id",
        description=(
            "Publish a post on X. Each --media file is uploaded in chunks first (progress on "
            "stderr) and its processing awaited; then the post is sent once: an answer lost "
            "after sending exits 7 and is never sent again. Prints the post id on stdout."
        ),
        formatter_class=HelpFormatter,
        epilog=(
            CREDENTIALS_HELP
            + f"The API base URL is --base-url, else {BASE_URL_ENV}, else {DEFAULT_BASE_URL}.\n\n"
            + EXIT_CODES_HELP
        ),
    )
    p.add_argument("text", metavar="TEXT", help="the text of the post (may be empty with media)")
    p.add_argument(
        "--media",
        action="append",
        default=[],
        metavar="FILE",
        help="a file to upload and attach (repeat for up to 4)",
    )
    p.add_argument("--reply-to", default=None, metavar="ID", help="the post id to reply to")
    p.add_argument(
        "--deadline",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help=f"give up waiting for processing after this long ({DEFAULT_PROCESSING_DEADLINE:g})",
    )
    p.add_argument(
        "--base-url", default=None, metavar="URL", help=f"API base URL (${BASE_URL_ENV})"
    )
    p.add_argument(
        "--bearer-token",
        default=None,
        metavar="TOKEN",
        help=f"OAuth 2.0 user token with tweet.write (default: ${TOKEN_ENV})",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print the post (and its media) as JSON instead of the id, and errors as a JSON "
        "object on stderr",
    )


def _post_json(post: Post, media: list[UploadedMedia], reply_to: str | None) -> dict[str, Any]:
    return {
        "id": post.id,
        "text": post.text,
        "edit_history_post_ids": list(post.edit_history_post_ids),
        "reply_to": reply_to,
        "media": [_media_json(m) for m in media],
        "warnings": list(post.warnings),
    }


def _check_post(args: argparse.Namespace) -> None:
    """Everything that can be checked before an upload, so a bad flag wastes none."""
    from .._xposts import build_body

    build_body(args.text, media=["1"] * len(args.media) or None, reply_to=args.reply_to)
    for path in args.media:
        if not os.path.isfile(path) or not os.access(path, os.R_OK):
            raise RequestValidationError("--media", f"cannot read {path!r}")


def run_post(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    from ..hooks import Hooks, RequestEvent
    from ..x import X

    out = out or sys.stdout
    err = err or sys.stderr
    secrets = _secrets(args)
    try:
        auth = credentials(args)
        _check_post(args)
    except (ConfigurationError, RequestValidationError) as exc:
        return report_error(err, exc, as_json=args.json, secrets=secrets)
    base_url = args.base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    isatty = getattr(err, "isatty", None)
    tty = bool(isatty and isatty())
    posting = False

    def on_request(event: RequestEvent) -> None:
        nonlocal posting
        if event.endpoint == "posts.create":
            posting = True

    uploaded: list[UploadedMedia] = []
    progress: _Progress | None = None
    try:
        with X(
            auth=auth,
            base_url=base_url,
            hooks=Hooks(on_request=on_request),
            min_poll_interval=MIN_POLL_INTERVAL,
        ) as client:
            for path in args.media:
                if len(args.media) > 1:
                    print(f"{path}:", file=err, flush=True)
                progress = _Progress(err, tty=tty)
                uploaded.append(
                    client.media.upload(path, processing_deadline=args.deadline, progress=progress)
                )
                progress.close()
                progress = None
            post = client.posts.create(
                args.text,
                media=uploaded or None,
                reply_to=args.reply_to,
                processing_deadline=args.deadline,
            )
    except OneAllPushError as exc:
        if progress is not None:
            progress.close()
        if uploaded and not args.json:
            ids = ", ".join(m.id for m in uploaded)
            print(
                f"media uploaded before the failure (reuse their ids): {ids}", file=err, flush=True
            )
        return report_error(err, exc, as_json=args.json, secrets=secrets)
    except KeyboardInterrupt:
        if progress is not None:
            progress.close()
        return report_interrupt(
            err,
            sent=posting,
            as_json=args.json,
            unsent="interrupted before the post was sent: nothing was published",
        )
    output = _post_json(post, uploaded, args.reply_to) if args.json else None
    write_result(out, json.dumps(output, indent=2) if output is not None else post.id)
    return ExitCode.OK
