"""``oneall-push sandbox``: the emulator standalone, for developing your own application."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, TextIO

# The sandbox (aiohttp) loads when a command runs, not when the parser is built.
if TYPE_CHECKING:
    from ..sandbox import FaultRule, SandboxConfig

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "sandbox",
        help="run the local OneAll Push sandbox",
        description=(
            "Run a stateful emulator of the OneAll Push API on your machine. It prints its base "
            "URL, credentials and identity tokens; point ONEALL_BASE_URL at it. "
            "Inspect and steer it at <base URL>/_sandbox. The X API v2 media upload emulator "
            "is served under <base URL>/x. A video_url on a host under .invalid gets a failure "
            "callback."
        ),
        epilog=(
            "Fault specs are comma-separated key=value pairs: endpoint=<id>, "
            "provider=<name>, p=<0..1>, "
            "times=<n>, latency=<s>, status=<400|401|403|404|409|429|500|502|503>, "
            "retry_after=<s>, reset=<before|after>, "
            "callback=<duplicate|delay|reorder|never|fail>, callback_delay=<s>. "
            "Example: --fault status=503,p=0.1 --fault "
            "endpoint=twitter.publish_tweet,status=429,retry_after=2,times=1"
        ),
    )
    add_sandbox_options(p)
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (127.0.0.1)")
    p.add_argument("--port", type=int, default=8787, help="port to listen on (8787; 0: any)")
    p.add_argument(
        "--login",
        action="append",
        default=[],
        metavar="PROVIDER",
        help="simulate a Social Login at start and print its connection_token (repeatable; "
        'later: POST <base URL>/_sandbox/login {"provider": ...})',
    )


def add_sandbox_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, default=0, help="seed for ids and faults (0)")
    p.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        type=_fault,
        help="inject a fault (repeatable), e.g. status=503,p=0.2",
    )
    p.add_argument(
        "--callback-delay",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="delay before an async upload's callback is posted",
    )
    p.add_argument("--public-key", default="sandbox-public-key", help="HTTP Basic user")
    p.add_argument("--private-key", default="sandbox-private-key", help="HTTP Basic password")
    p.add_argument(
        "--identities", type=int, default=2, metavar="N", help="identities per provider (2)"
    )


def _fault(spec: str) -> FaultRule:
    from ..sandbox import FaultRule

    try:
        return FaultRule.parse(spec)
    except (ValueError, KeyError) as exc:
        raise argparse.ArgumentTypeError(str(exc).strip("'\"")) from None


def _seconds(value: str) -> float:
    from ..sandbox._faults import seconds

    try:
        return seconds("--callback-delay", value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def config_from(args: argparse.Namespace, *, callback_delay: float) -> SandboxConfig:
    from ..sandbox import SandboxConfig

    return SandboxConfig(
        public_key=args.public_key,
        private_key=args.private_key,
        seed=args.seed,
        identities_per_provider=args.identities,
        callback_delay=callback_delay if args.callback_delay is None else args.callback_delay,
        faults=tuple(args.fault),
    )


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    import asyncio

    from ..sandbox import Sandbox, serve

    out = out or sys.stdout
    sandbox = Sandbox(config_from(args, callback_delay=1.0))
    try:
        logins = [(provider, sandbox.login(provider)) for provider in args.login]
    except ValueError as exc:
        print(f"oneall-push sandbox: --login: {exc}", file=sys.stderr)
        return 2

    async def main() -> None:
        async with serve(sandbox, host=args.host, port=args.port):
            print(sandbox.describe(), file=out)
            if logins:
                print("\n  logins (connection tokens, for connections.get):", file=out)
                for provider, token in logins:
                    print(f"    {provider:<10} {token}", file=out)
            print("\nPress Ctrl+C to stop.", file=out, flush=True)
            await asyncio.Event().wait()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        print("\nsandbox stopped", file=out)
    except OSError as exc:
        print(
            f"oneall-push sandbox: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr
        )
        return 1
    return 0
