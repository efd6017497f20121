"""A sandbox holding ``N`` users (argv[1]), run as its own process for bench_accounts.

Prints ``PORT <n>`` on stdout once listening; stops on SIGTERM.
"""

from __future__ import annotations

import socket
import sys

from aiohttp import web

from oneall_push.sandbox import Sandbox, SandboxConfig


def main() -> None:
    users = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    sandbox = Sandbox(
        SandboxConfig(public_key="pub", private_key="priv", identities_per_provider=1)
    )
    book = sandbox.state.accounts
    while len(book.users) < users:
        book.new_user()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    web.run_app(sandbox.make_app(), sock=sock, access_log=None, print=None, handle_signals=True)


if __name__ == "__main__":
    main()
