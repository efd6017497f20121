"""``oneall-push x upload``: X API v2 chunked media upload from the command line.

Uses the synchronous :class:`~oneall_push.xmedia.XMedia`. The bearer token comes from
``--bearer-token`` or ``X_BEARER_TOKEN`` and is never printed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import threading
import time
from typing import Any, TextIO

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
from ..errors import ConfigurationError, OneAllPushError
from ._exit import (
    EXIT_CODES_HELP,
    ExitCode,
    HelpFormatter,
    report_error,
    report_interrupt,
    write_result,
)

__all__ = ["add_parser", "parse_size", "run"]

TOKEN_ENV = "X_BEARER_TOKEN"
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


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("x", help="X API v2 media upload", description="X API v2 media upload.")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
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
            f"The bearer token is read from --bearer-token or the {TOKEN_ENV} environment "
            "variable (prefer the variable: command lines are visible to other local users). "
            "It is an OAuth 2.0 user token with the media.write scope, and it is never printed. "
            f"The API base URL is --base-url, else {BASE_URL_ENV}, else {DEFAULT_BASE_URL}. "
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
    from ..hooks import Hooks, RequestEvent
    from ..xmedia import XMedia

    out = out or sys.stdout
    err = err or sys.stderr
    token = (args.bearer_token or os.environ.get(TOKEN_ENV) or "").strip() or None
    if token is None:
        return report_error(
            err,
            ConfigurationError(
                f"no bearer token: pass --bearer-token or set {TOKEN_ENV} "
                "(an OAuth 2.0 user token with the media.write scope)"
            ),
            as_json=args.json,
        )
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
            bearer_token=token,
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
        return report_error(err, exc, as_json=args.json, secrets=(token,))
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
