"""Exit codes of every ``oneall-push`` command, and how an error is reported.

The codes keep the no-double-post promise in shell loops: only 5 means "nothing was processed,
run it again", so ``until oneall-push ...; do [ $? -eq 5 ] || break; sleep 5; done`` never
republishes. 7 means the request may have gone out: check before sending it again.
"""

from __future__ import annotations

import argparse
import enum
import json
import os
import sys
from typing import Any, TextIO

from .. import errors
from .._outcomes import is_retryable, is_unknown_outcome

__all__ = [
    "EXIT_CODES_HELP",
    "ExitCode",
    "HelpFormatter",
    "exit_code_for",
    "report_error",
    "report_interrupt",
    "silence_stdout",
    "write_result",
]


class ExitCode(enum.IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    AUTH = 3
    CLIENT_ERROR = 4
    RETRYABLE = 5
    SERVER_ERROR = 6
    OUTCOME_UNKNOWN = 7
    INTERRUPTED = 130


_MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "success",
    ExitCode.FAILED: "a demo step or a local operation failed",
    ExitCode.USAGE: "usage, configuration or validation error: nothing was sent",
    ExitCode.AUTH: "authentication or permission refused (401, 403, proxy 407, an OAuth 2.0 "
    "token that could not be refreshed)",
    ExitCode.CLIENT_ERROR: "any other refusal (4xx, a usage cap, duplicate content, media X "
    "rejected)",
    ExitCode.RETRYABLE: "provably not processed, safe to run again (connect failure, 429, 503 "
    "with Retry-After, an X upload cut off before finalize)",
    ExitCode.SERVER_ERROR: "server error (5xx)",
    ExitCode.OUTCOME_UNKNOWN: "outcome unknown: the request may have been processed, do not "
    "run it again before checking",
    ExitCode.INTERRUPTED: "interrupted (the message says whether a request had been sent)",
}

EXIT_CODES_HELP = "exit codes:\n" + "\n".join(
    f"  {int(code):<4} {meaning}" for code, meaning in _MEANINGS.items()
)


def _for_status(status: int) -> ExitCode:
    if status in (401, 403, 407):
        return ExitCode.AUTH
    if status >= 500:
        return ExitCode.SERVER_ERROR
    return ExitCode.CLIENT_ERROR


def exit_code_for(error: BaseException) -> ExitCode:
    """The exit code that tells a script what it may do after ``error``."""
    if isinstance(error, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    # Unknown outcomes first: UnreadableSuccessError is also a ResponseDecodeError.
    if is_unknown_outcome(error):
        return ExitCode.OUTCOME_UNKNOWN
    if isinstance(error, (errors.RequestValidationError, errors.ConfigurationError)):
        return ExitCode.USAGE
    if isinstance(error, errors.MediaSourceError):
        return ExitCode.USAGE
    if isinstance(error, errors.MediaUploadAbortedError):
        # Nothing is on X before finalize: an upload cut off mid-way can run again; a refusal
        # keeps the code of its cause.
        cause = exit_code_for(error.cause) if error.cause is not None else ExitCode.RETRYABLE
        return ExitCode.RETRYABLE if cause == ExitCode.OUTCOME_UNKNOWN else cause
    if is_retryable(error):
        return ExitCode.RETRYABLE
    if isinstance(error, errors.ProxyRefusedError):
        return _for_status(error.status)
    if isinstance(error, (errors.XUsageCappedError, errors.XDuplicateContentError)):
        # A 403, but no credential is wrong: the text repeats a recent post.
        return ExitCode.CLIENT_ERROR
    if isinstance(error, errors.XOAuthRefreshError):
        return ExitCode.AUTH
    if isinstance(error, errors.MediaProcessingError):
        return ExitCode.CLIENT_ERROR
    if isinstance(error, (errors.APIError, errors.ResponseDecodeError, errors.JobFailedError)):
        return _for_status(error.status)
    if isinstance(error, errors.TransportError):
        return ExitCode.SERVER_ERROR
    return ExitCode.FAILED


def _status(error: BaseException) -> int | None:
    status = getattr(error, "status", None)
    return status if isinstance(status, int) and not isinstance(status, bool) else None


def _one_line(error: BaseException, secrets: tuple[str, ...]) -> str:
    text = " ".join(str(error).split())
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<redacted>")
    return text


def report_error(
    err: TextIO, error: BaseException, *, as_json: bool = False, secrets: tuple[str, ...] = ()
) -> ExitCode:
    """Write ``error`` to ``err`` (one line, or a JSON object) and return its exit code.

    ``secrets`` are scrubbed from the message, in case a server echoed one back.
    """
    code = exit_code_for(error)
    message = _one_line(error, secrets)
    if as_json:
        document: dict[str, Any] = {
            "error": type(error).__name__,
            "message": message,
            "status": _status(error),
            "retryable": code == ExitCode.RETRYABLE,
            "outcome_known": code != ExitCode.OUTCOME_UNKNOWN,
            "exit_code": int(code),
        }
        media_id = getattr(error, "media_id", None)
        if isinstance(media_id, str):
            document["media_id"] = media_id
        print(json.dumps(document), file=err, flush=True)
    else:
        print(f"{type(error).__name__}: {message}", file=err, flush=True)
    return code


def report_interrupt(
    err: TextIO,
    *,
    sent: bool,
    as_json: bool = False,
    unsent: str = "interrupted before any request was sent",
) -> ExitCode:
    """Report Ctrl-C, saying whether a request had already been sent (``unsent``: the words
    for a command whose earlier requests change nothing, such as uploads before a post)."""
    message = (
        "interrupted after a request was sent: its outcome is unknown, check before running again"
        if sent
        else unsent
    )
    if as_json:
        document = {
            "error": "KeyboardInterrupt",
            "message": message,
            "status": None,
            "retryable": not sent,
            "outcome_known": not sent,
            "exit_code": int(ExitCode.INTERRUPTED),
        }
        print(json.dumps(document), file=err, flush=True)
    else:
        print(message, file=err, flush=True)
    return ExitCode.INTERRUPTED


class HelpFormatter(argparse.HelpFormatter):
    """Wraps descriptions and epilogs paragraph by paragraph; the exit-code table stays a table."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        fill = super()._fill_text
        return "\n\n".join(
            block if block.startswith("exit codes:") else fill(block, width, indent)
            for block in text.split("\n\n")
        )


def silence_stdout() -> None:
    """After a closed pipe on stdout: send what is left to /dev/null, so the interpreter's
    final flush does not print a traceback."""
    try:
        fileno = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fileno)
    finally:
        os.close(devnull)


def write_result(out: TextIO, text: str) -> None:
    """Print a command's result; a reader that went away (``| head``) is not an error."""
    try:
        print(text, file=out, flush=True)
    except BrokenPipeError:
        if out is sys.stdout:
            silence_stdout()
