"""The embedded sandbox as its own process, for benchmarks that need its state.

Prints ``PORT <n>`` on stdout once listening; stops on SIGTERM. ``argv[1]``: identities per
provider.
"""

from __future__ import annotations

import socket
import sys

from aiohttp import web

from oneall_push.sandbox import Sandbox, SandboxConfig


def main() -> None:
    identities = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    sandbox = Sandbox(SandboxConfig(identities_per_provider=identities, seed=7))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(512)
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    web.run_app(sandbox.make_app(), sock=sock, access_log=None, print=None, handle_signals=True)


if __name__ == "__main__":
    main()
