"""A fault-injecting HTTP/1.1 proxy on 127.0.0.1, between a client and the sandbox.

The client is aimed at :attr:`ChaosProxy.url` as if it were the API. For each request the proxy
draws what to do from a seeded RNG (one per connection, seeded by the proxy's seed and the
connection's number), or takes the next entry of a ``script`` first:

``none``
    forward the request, relay the answer.
``refuse``
    accept, then close before reading the request (the sandbox never sees it). On a new
    connection at once; on a kept-alive one when its next request starts.
``close_after``
    forward the request, read the whole answer, close without relaying it (answer lost: the
    sandbox processed it).
``stall``
    forward, then relay nothing: hold the connection until the client gives up (its read
    timeout) or ``stall_for`` passes.
``stall_body``
    the same after relaying the headers and half the body (a silence mid-body).
``truncate``
    forward, relay the headers and half the body (Content-Length intact), close.
``reset``
    forward, relay the headers and half the body, close with RST (``SO_LINGER`` 0).
``truncate_unframed``
    forward, relay the answer without its Content-Length (``Connection: close``: the body
    ends where the connection does) and half the body, close: a cut no framing reveals.
``replay``
    relay the answer and a copy of it in one write: the copy answers nothing the client sent.
``replay_late``
    relay the answer, and its copy 0.1 s later (once the client pooled the connection; then
    ``replayed`` is set). Only for scripts: a client's next request could cross the copy.
``status_429`` / ``status_503``
    answer 429 / 503 itself without forwarding, mostly with a short Retry-After.

Plain threads (one per connection), so the async and the sync client both use it.
"""

from __future__ import annotations

import collections
import random
import socket
import struct
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from urllib.parse import urlsplit

__all__ = ["DEFAULT_WEIGHTS", "FAULTS", "KINDS", "RANDOM_FAULTS", "ChaosProxy", "chaos_proxy"]

FAULTS = (
    "refuse",
    "close_after",
    "stall",
    "stall_body",
    "truncate",
    "reset",
    "truncate_unframed",
    "replay",
    "replay_late",
    "status_429",
    "status_503",
)
KINDS = ("none", *FAULTS)
# Faults a random draw may pick (replay_late would race the client's next request).
RANDOM_FAULTS = tuple(kind for kind in FAULTS if kind != "replay_late")

DEFAULT_WEIGHTS: Mapping[str, float] = {
    "none": 0.58,
    "refuse": 0.05,
    "close_after": 0.06,
    "stall": 0.03,
    "stall_body": 0.02,
    "truncate": 0.07,
    "reset": 0.05,
    "truncate_unframed": 0.02,
    "replay": 0.02,
    "status_429": 0.065,
    "status_503": 0.065,
}

# A proxy's own answers; the 503 without Retry-After must not be retried by the client.
_RETRY_AFTERS = ("0", "0", "0", "1", None)
_REASONS = {429: "Too Many Requests", 503: "Service Unavailable"}
_MAX_HEAD = 64 * 1024


class _Closed(Exception):
    """The peer closed (or the proxy is stopping) before a whole message arrived."""


class _Reader:
    """Buffered reads of HTTP/1.1 messages with a Content-Length (all the sandbox sends)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise _Closed()
        self.buffer += chunk

    def wait_readable(self) -> None:
        """Block until the next message starts (bytes buffered or arriving), or _Closed."""
        if not self.buffer:
            self._fill()

    def message(self, *, until_close: bool = False) -> tuple[bytes, bytes, dict[str, str]]:
        """(head, body, lower-cased headers) of the next message."""
        while b"\r\n\r\n" not in self.buffer:
            if len(self.buffer) > _MAX_HEAD:
                raise ValueError("header block too long")
            self._fill()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        headers: dict[str, str] = {}
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if "transfer-encoding" in headers:
            raise ValueError("the chaos proxy handles Content-Length bodies only")
        if "content-length" in headers:
            length = int(headers["content-length"])
            while len(self.buffer) < length:
                self._fill()
            body, self.buffer = self.buffer[:length], self.buffer[length:]
        elif until_close:
            try:
                while True:
                    self._fill()
            except _Closed:
                pass
            body, self.buffer = self.buffer, b""
        else:
            body = b""
        return head + b"\r\n\r\n", body, headers


class ChaosProxy:
    """See the module docstring. ``counts`` holds the requests handled by kind."""

    def __init__(
        self,
        upstream: str,
        *,
        seed: int = 0,
        weights: Mapping[str, float] | None = None,
        script: Sequence[str] = (),
        stall_for: float = 60.0,
    ) -> None:
        parts = urlsplit(upstream)
        assert parts.hostname == "127.0.0.1" and parts.port, upstream
        self.upstream = (parts.hostname, parts.port)
        self.seed = seed
        chosen = dict(weights if weights is not None else DEFAULT_WEIGHTS)
        unknown = set(chosen) - set(KINDS)
        assert not unknown, f"unknown fault kinds: {sorted(unknown)}"
        self._kinds = list(chosen)
        self._weights = [chosen[k] for k in self._kinds]
        self._script = collections.deque(script)
        self.stall_for = stall_for
        self.counts: collections.Counter[str] = collections.Counter()
        # Requests the sandbox received through the proxy, and the proxy's own failures.
        self.forwarded = 0
        self.errors: list[str] = []
        self.port = 0
        self.replayed = threading.Event()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._open: set[socket.socket] = set()
        self._threads: set[threading.Thread] = set()
        self._connections = 0
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def connections(self) -> int:
        """Client connections accepted so far (a client that reuses them opens few)."""
        with self._lock:
            return self._connections

    @property
    def active(self) -> int:
        """Client connections the proxy still holds open."""
        with self._lock:
            return len(self._threads)

    def faults(self) -> dict[str, int]:
        """Requests by kind, every kind listed (``none``: passed through unharmed)."""
        with self._lock:
            return {kind: self.counts[kind] for kind in KINDS}

    def reset_counts(self) -> None:
        with self._lock:
            self.counts.clear()
            self.forwarded = 0
            self._connections = 0

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every client connection is closed; False if some are still open."""
        deadline = threading.Event()
        for _ in range(int(timeout / 0.02) + 1):
            if self.active == 0:
                return True
            deadline.wait(0.02)
        return self.active == 0

    # --- running -------------------------------------------------------------------------

    def start(self) -> ChaosProxy:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(512)
        listener.settimeout(0.1)
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._acceptor = threading.Thread(target=self._accept, name="chaos-proxy", daemon=True)
        self._acceptor.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._acceptor is not None:
            self._acceptor.join(10)
        with self._lock:
            for sock in self._open:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            threads = list(self._threads)
        for thread in threads:
            thread.join(10)
        if self._listener is not None:
            self._listener.close()

    def __enter__(self) -> ChaosProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            with self._lock:
                self._connections += 1
                number = self._connections
                self._open.add(client)
                thread = threading.Thread(
                    target=self._serve, args=(client, number), name=f"chaos-{number}", daemon=True
                )
                self._threads.add(thread)
            thread.start()

    def _draw(self, rng: random.Random) -> tuple[str, str | None]:
        """The next kind, and the Retry-After of a proxy's own answer (None: no header)."""
        with self._lock:
            if self._script:
                kind, _, given = self._script.popleft().partition(":")
                retry_after = None if given == "-" else given or "0"
            else:
                kind = rng.choices(self._kinds, self._weights)[0]
                retry_after = rng.choice(_RETRY_AFTERS)
            assert kind in KINDS, kind
            self.counts[kind] += 1
            return kind, retry_after

    # --- one client connection -----------------------------------------------------------

    def _serve(self, client: socket.socket, number: int) -> None:
        rng = random.Random(f"{self.seed}:{number}")
        upstream: socket.socket | None = None
        up_reader: _Reader | None = None
        reader = _Reader(client)
        first = True
        try:
            while not self._stop.is_set():
                # A new connection is refused at once (the request may still be on its way);
                # a kept-alive one only once its next request starts, so an idle connection
                # in the client's pool is never closed under it.
                if not first:
                    reader.wait_readable()
                first = False
                kind, retry_after = self._draw(rng)
                if kind == "refuse":
                    return
                head, body, _ = reader.message()
                if kind in ("status_429", "status_503"):
                    client.sendall(_own_answer(int(kind[-3:]), retry_after))
                    continue
                if upstream is None:
                    upstream = socket.create_connection(self.upstream, timeout=30)
                    self._track(upstream)
                    up_reader = _Reader(upstream)
                assert up_reader is not None
                upstream.sendall(head + body)
                with self._lock:
                    self.forwarded += 1
                answer_head, answer_body, answer_headers = up_reader.message(until_close=True)
                if kind in ("none", "replay"):
                    # replay: the answer twice in one go; the copy answers nothing the client
                    # sent (yet arrives before the client can send its next request).
                    client.sendall((answer_head + answer_body) * (2 if kind == "replay" else 1))
                    if answer_headers.get("connection", "").lower() == "close":
                        return
                    continue
                if kind == "replay_late":
                    # The answer, then its copy once the client has had time to pool the
                    # connection (``replayed`` is set then).
                    client.sendall(answer_head + answer_body)
                    self._stop.wait(0.1)
                    client.sendall(answer_head + answer_body)
                    self.replayed.set()
                    continue
                    if answer_headers.get("connection", "").lower() == "close":
                        return
                    continue
                if kind == "stall":
                    self._hold(client)
                elif kind == "stall_body":
                    client.sendall(answer_head + answer_body[: len(answer_body) // 2])
                    self._hold(client)
                elif kind in ("truncate", "reset"):
                    client.sendall(answer_head + answer_body[: len(answer_body) // 2])
                    if kind == "reset":
                        client.setsockopt(
                            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                        )
                elif kind == "truncate_unframed":
                    client.sendall(_unframed(answer_head) + answer_body[: len(answer_body) // 2])
                return  # every fault but the proxy's own answers ends the connection
        except (_Closed, ConnectionError):
            pass
        except Exception as exc:  # a proxy bug, not a client one: reported by the soak
            with self._lock:
                self.errors.append(f"connection {number}: {type(exc).__name__}: {exc}")
        finally:
            for sock in (client, upstream):
                if sock is not None:
                    self._untrack(sock)
                    sock.close()
            with self._lock:
                self._threads.discard(threading.current_thread())

    def _hold(self, client: socket.socket) -> None:
        """Say nothing until the client closes, the proxy stops or ``stall_for`` passes."""
        client.settimeout(0.1)
        for _ in range(int(self.stall_for / 0.1)):
            if self._stop.is_set():
                return
            try:
                if not client.recv(65536):
                    return
            except TimeoutError:
                continue
            except OSError:
                return

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.add(sock)

    def _untrack(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.discard(sock)


def _unframed(head: bytes) -> bytes:
    lines = [
        line
        for line in head.rstrip(b"\r\n").split(b"\r\n")
        if not line.lower().startswith((b"content-length:", b"connection:"))
    ]
    return b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n"


def _own_answer(status: int, retry_after: str | None) -> bytes:
    body = f"{status} {_REASONS[status]} (chaos proxy)".encode()
    lines = [
        f"HTTP/1.1 {status} {_REASONS[status]}",
        "Content-Type: text/plain",
        f"Content-Length: {len(body)}",
    ]
    if retry_after is not None:
        lines.append(f"Retry-After: {retry_after}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@contextmanager
def chaos_proxy(
    upstream: str,
    *,
    seed: int = 0,
    weights: Mapping[str, float] | None = None,
    script: Sequence[str] = (),
    stall_for: float = 60.0,
) -> Iterator[ChaosProxy]:
    """A started :class:`ChaosProxy` in front of ``upstream`` for the duration of the block."""
    proxy = ChaosProxy(upstream, seed=seed, weights=weights, script=script, stall_for=stall_for)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
