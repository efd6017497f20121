"""The X media sandbox as its own process for the benchmark (prints ``PORT n``).

Started through this module rather than ``-m oneall_push.sandbox.xmedia``: importing the
``oneall_push.sandbox`` package already imports that module, which runpy warns about. It
accepts the benchmark's bearer token and its OAuth 1.0a keys (signatures verified).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

# The benchmark's OAuth 1.0a keys: made up, known only to the sandbox and bench_xmedia.py.
CONSUMER_KEY = "bench-consumer-key"
CONSUMER_SECRET = "bench-consumer-secret"
ACCESS_TOKEN = "bench-access-token"
ACCESS_TOKEN_SECRET = "bench-access-token-secret"


def main() -> None:
    from oneall_push.sandbox._serving import start_server
    from oneall_push.sandbox._x_oauth import DEFAULT_USER_ID, XCredentials
    from oneall_push.sandbox.xmedia import XMediaSandbox

    parser = argparse.ArgumentParser(description="X media sandbox for bench_xmedia.py")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", default="sandbox-x-token")
    args = parser.parse_args()
    credentials = XCredentials(
        consumers={CONSUMER_KEY: CONSUMER_SECRET},
        access_tokens={ACCESS_TOKEN: (ACCESS_TOKEN_SECRET, DEFAULT_USER_ID)},
    )
    sandbox = XMediaSandbox(tokens=(args.token,), credentials=credentials)

    async def serve() -> None:
        runner = await start_server(sandbox, "127.0.0.1", args.port)
        assert sandbox.base_url is not None
        print(f"PORT {sandbox.base_url.rsplit(':', 1)[1]}", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    main()
