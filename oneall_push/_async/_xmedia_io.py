"""Reading an X media upload source one chunk at a time.

Only what the caller asks for is read: the whole file is never in memory. Blocking work (open,
stat, read, close, and pulling a plain iterator, which may read a file or a socket) goes
through the backend's ``run_sync``: a worker thread in the async half, a plain call in the sync
one.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import IO, Any

from .._io import AsyncBackend
from .._xmedia._io import (
    AsyncMediaSource,
    FileSnapshot,
    as_bytes,
    file_snapshot,
    gather_pieces,
    read_exactly,
    readinto_exactly,
    remaining_size,
    settle_size,
)
from .._xmedia._media_types import check_total_bytes
from ..errors import RequestValidationError

__all__ = ["AsyncChunkReader"]


class AsyncChunkReader:
    """One upload source: a path, a binary file, bytes, or an iterator of bytes pieces.

    A file is checked again at :meth:`finish`: if it grew, shrank or was rewritten while it was
    read, RequestValidationError names ``source``.
    """

    def __init__(self, backend: AsyncBackend) -> None:
        self._backend = backend
        self.name: str | None = None
        self.total_bytes = 0
        self._consumed = 0
        self._pending = bytearray()
        self._view: memoryview | None = None
        self._pos = 0
        self._file: IO[bytes] | None = None
        self._owns_file = False
        self._snapshot: FileSnapshot | None = None
        self._aiter: AsyncIterator[bytes] | None = None
        self._iter: Iterator[bytes] | None = None

    @classmethod
    async def open(
        cls, source: AsyncMediaSource, *, total_bytes: int | None, backend: AsyncBackend
    ) -> AsyncChunkReader:
        """Classify ``source`` and learn its size (opening a path); nothing is read yet."""
        if total_bytes is not None:
            check_total_bytes(total_bytes)
        reader = cls(backend)
        found: int | None = None
        if isinstance(source, (bytes, bytearray, memoryview)):
            reader._view = memoryview(source).cast("B")
            found = reader._view.nbytes
        elif isinstance(source, (str, os.PathLike)):
            found = await backend.run_sync(reader._open_path, os.fspath(source))
        elif hasattr(source, "read"):
            found = await backend.run_sync(reader._adopt_file, source)
        elif isinstance(source, AsyncIterable):
            reader._aiter = source.__aiter__()
        elif isinstance(source, Iterable):
            # Only reachable in the async half (the sync half takes every iterable above).
            reader._iter = iter(source)
        else:
            raise RequestValidationError(
                "source",
                "must be a path, a binary file, bytes or an iterator of bytes, "
                f"not {type(source).__name__}",
            )
        try:
            reader.total_bytes = settle_size(found, total_bytes)
        except BaseException:
            await reader.close()
            raise
        return reader

    def _open_path(self, path: Any) -> int | None:
        try:
            file: IO[bytes] = open(path, "rb")  # noqa: SIM115 - closed by close()
        except OSError as exc:
            raise RequestValidationError("source", f"cannot read {path!r}: {exc.strerror}") from exc
        self._file, self._owns_file = file, True
        self.name = os.path.basename(os.fsdecode(path))
        self._snapshot = file_snapshot(file)
        return self._snapshot.size if self._snapshot is not None else None

    def _adopt_file(self, file: IO[bytes]) -> int | None:
        self._file = file
        name = getattr(file, "name", None)
        self.name = os.path.basename(name) if isinstance(name, str) else None
        self._snapshot = file_snapshot(file)
        return remaining_size(file)

    async def _pull(self, n: int) -> bytes:
        """Up to ``n`` new bytes (b"" at the end)."""
        if self._view is not None:
            piece = self._view[self._pos : self._pos + n].tobytes()
            self._pos += len(piece)
            return piece
        if self._file is not None:
            return await self._backend.run_sync(read_exactly, self._file, n)
        if self._aiter is not None:
            async for piece in self._aiter:
                data = as_bytes(piece)
                if data:
                    return data
            return b""
        if self._iter is not None:
            # A plain iterator in the async half: off the event loop, one chunk per hop.
            return await self._backend.run_sync(gather_pieces, self._iter, n)
        return b""

    async def head(self, n: int) -> bytes:
        """The first ``n`` bytes (fewer for a short source), without consuming them."""
        while len(self._pending) < n:
            piece = await self._pull(n - len(self._pending))
            if not piece:
                break
            self._pending += piece
        return bytes(self._pending[:n])

    async def read(self, n: int) -> bytes:
        """Exactly ``n`` bytes; a source that ends early raises RequestValidationError."""
        if not self._pending:
            data = await self._pull(n)
            if len(data) == n:
                self._consumed += n
                return data
            self._pending += data
        while len(self._pending) < n:
            piece = await self._pull(n - len(self._pending))
            if not piece:
                raise self._short()
            self._pending += piece
        self._consumed += n
        out = bytes(self._pending[:n])
        del self._pending[:n]
        return out

    async def read_into(self, view: memoryview) -> None:
        """Fill ``view`` exactly (a reused chunk buffer); a short source raises like read()."""
        n = view.nbytes
        filled = 0
        if self._pending:
            filled = min(n, len(self._pending))
            view[:filled] = self._pending[:filled]
            del self._pending[:filled]
        if filled < n and self._view is not None:
            piece = self._view[self._pos : self._pos + n - filled]
            view[filled : filled + len(piece)] = piece
            self._pos += len(piece)
            filled += len(piece)
        elif filled < n and self._file is not None:
            filled += await self._backend.run_sync(readinto_exactly, self._file, view[filled:])
        while filled < n:
            # Iterator sources: their pieces are copied in; what overhangs waits for the next.
            piece_bytes = await self._pull(n - filled)
            if not piece_bytes:
                self._consumed += filled
                raise self._short()
            take = min(len(piece_bytes), n - filled)
            view[filled : filled + take] = piece_bytes[:take]
            self._pending += piece_bytes[take:]
            filled += take
        self._consumed += n

    async def finish(self) -> None:
        """Raise unless the source ended exactly at ``total_bytes`` and a file is unchanged."""
        if self._pending:
            raise self._long()
        if self._file is not None:
            if await self._pull(1):
                raise self._long()
            if self._snapshot is not None:
                now = await self._backend.run_sync(file_snapshot, self._file)
                if now != self._snapshot:
                    raise self._changed(now)
        elif (self._aiter is not None or self._iter is not None) and await self._pull(1):
            raise self._long()

    async def close(self) -> None:
        file, self._file = self._file, None
        if file is not None and self._owns_file:
            await self._backend.run_sync(file.close)

    def _short(self) -> RequestValidationError:
        got = self._consumed + len(self._pending)
        if self._snapshot is not None:
            rule = f"the file shrank while it was read: it ended after {got} of {self.total_bytes} bytes"
        else:
            rule = f"ended after {got} bytes, total_bytes says {self.total_bytes}"
        return RequestValidationError("source", rule)

    def _long(self) -> RequestValidationError:
        if self._snapshot is not None:
            rule = f"the file grew while it was read: it holds more than {self.total_bytes} bytes"
        else:
            rule = f"holds more than the {self.total_bytes} bytes declared in total_bytes"
        return RequestValidationError("source", rule)

    def _changed(self, now: FileSnapshot | None) -> RequestValidationError:
        before = self._snapshot
        assert before is not None
        if now is None or now.size != before.size:
            what = f"{before.size} bytes, now {'unknown' if now is None else now.size}"
        else:
            what = "same size, new modification time"
        return RequestValidationError("source", f"the file changed while it was read ({what})")
