"""A forwarding HTTP proxy on 127.0.0.1 for the proxy tests (absolute-form requests only)."""

from __future__ import annotations

import base64
import http.client
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import attrs

# Hop-by-hop headers a proxy does not forward.
_HOP = {"connection", "keep-alive", "proxy-authorization", "proxy-connection", "te", "upgrade"}


@attrs.define
class Forwarded:
    method: str
    url: str
    proxy_authorization: str | None


@attrs.define
class LoopbackProxy:
    url: str
    seen: list[Forwarded]
    # "user:password" the proxy demands (407 otherwise), or None.
    login: str | None = None

    def with_login(self) -> str:
        assert self.login is not None
        host = self.url.removeprefix("http://")
        return f"http://{self.login}@{host}"


def _handler(proxy: LoopbackProxy) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            authorization = self.headers.get("Proxy-Authorization")
            proxy.seen.append(Forwarded(self.command, self.path, authorization))
            if proxy.login is not None:
                expected = "Basic " + base64.b64encode(proxy.login.encode()).decode()
                if authorization != expected:
                    self.send_response(407)
                    self.send_header("Proxy-Authenticate", 'Basic realm="test"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
            target = urlsplit(self.path)
            assert target.scheme == "http" and target.hostname == "127.0.0.1", self.path
            upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
            path = target.path + (f"?{target.query}" if target.query else "")
            upstream.request(self.command, path, body=body, headers=headers)
            answer = upstream.getresponse()
            data = answer.read()
            upstream.close()
            self.send_response(answer.status)
            for key, value in answer.getheaders():
                if key.lower() not in _HOP | {"content-length", "transfer-encoding"}:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = _forward

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def loopback_proxy(login: str | None = None) -> Iterator[LoopbackProxy]:
    """Run a forwarding proxy on a free 127.0.0.1 port for the duration of the block."""
    proxy = LoopbackProxy(url="", seen=[], login=login)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(proxy))
    server.daemon_threads = True
    proxy.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
