"""The ``oneall-push`` command.

``oneall-push demo``        every flow end to end against an in-process sandbox
``oneall-push sandbox``     the emulator standalone
``oneall-push x upload``    X API v2 chunked media upload
``oneall-push <provider> <action> ...``  one command per row of the endpoint table

Every command shares one table of exit codes (:mod:`oneall_push.cli._exit`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .._version import __version__
from . import _endpoints, _sandbox_cmd, _x
from ._exit import EXIT_CODES_HELP, ExitCode, HelpFormatter, silence_stdout

__all__ = ["build_parser", "main"]


def _add_demo_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "demo",
        help="walk the whole flow against an in-process sandbox (no credentials needed)",
        description=(
            "Start the sandbox in-process on a free loopback port and publish through the real "
            "client: pictures, tweets, videos awaited through their callbacks, Facebook, "
            "LinkedIn, Pinterest and YouTube, an X API v2 chunked media upload, and rejected "
            "requests. Exits 1 if a step fails."
        ),
    )
    _sandbox_cmd.add_sandbox_options(p)
    p.add_argument("--verbose", "-v", action="store_true", help="show tracebacks of failures")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oneall-push",
        description=(
            "OneAll Push API client: demo, local sandbox, one command per endpoint, "
            "and X media upload."
        ),
        epilog=EXIT_CODES_HELP,
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_demo_parser(sub)
    _sandbox_cmd.add_parser(sub)
    _x.add_parser(sub)
    _endpoints.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _run(argv)
    except BrokenPipeError:
        # stdout was closed (``| head``): end quietly; each command already printed its result
        # through write_result, so only a partial listing such as the demo's ends here.
        silence_stdout()
        return ExitCode.FAILED


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return ExitCode.USAGE
    if args.command == "demo":
        from . import _demo  # the demo loads the async client, the sandbox and aiohttp

        return _demo.run(args)
    if args.command == "sandbox":
        return _sandbox_cmd.run(args)
    if args.command == "x":
        return _x.run(args)
    return _endpoints.run(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
