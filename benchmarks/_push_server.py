"""A minimal OneAll-shaped server for benchmarks, run as its own process.

Prints ``PORT <n>`` on stdout once listening; stops on stdin EOF or SIGTERM.
"""

from __future__ import annotations

import json
import socket

from aiohttp import web

BODY = json.dumps(
    {
        "response": {
            "request": {
                "date": "Thu, 21 Sep 2017 15:56:59 +0200",
                "resource": "/push/identities/t/twitter/post.json",
                "status": {"flag": "success", "code": 200, "info": "ok"},
            },
            "result": {
                "data": {
                    "provider": "twitter",
                    "object": "post",
                    "post_id": "910891858989060096",
                    "post_location": "https://twitter.com/OneAll/status/910891858989060096",
                }
            },
        }
    }
).encode()


async def handle(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(body=BODY, content_type="application/json")


def main() -> None:
    app = web.Application()
    app.router.add_route("POST", "/{tail:.*}", handle)

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(512)  # before announcing the port, so the first connect is not refused
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    web.run_app(app, sock=sock, access_log=None, print=None, handle_signals=True)


if __name__ == "__main__":
    main()
