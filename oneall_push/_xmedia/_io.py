"""Reading an upload source one chunk at a time, one class per colour (hand-written).

A source is a path, a binary file object, bytes, or an iterator of bytes pieces (an async
iterator too, in the async half) with a declared ``total_bytes``. Only what the caller asks
for is read: the whole file is never in memory.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import IO, Any, TypeAlias

from ..errors import RequestValidationError

__all__ = ["AsyncChunkReader", "AsyncMediaSource", "SyncChunkReader", "SyncMediaSource"]

SyncMediaSource: TypeAlias = (
    bytes | bytearray | memoryview | str | os.PathLike[str] | IO[bytes] | Iterable[bytes]
)
AsyncMediaSource: TypeAlias = SyncMediaSource | AsyncIterable[bytes]


class _Base:
    """What both readers share: source classification, sizes, the look-ahead buffer."""

    def __init__(self, source: Any, total_bytes: int | None) -> None:
        self.name: str | None = None
        self._pending = bytearray()
        self._consumed = 0
        self._file: IO[bytes] | None = None
        self._owns_file = False
        self._view: memoryview | None = None
        self._iter: Iterator[bytes] | None = None
        self._aiter: AsyncIterator[bytes] | None = None
        self._pos = 0
        size: int | None = None
        if isinstance(source, (bytes, bytearray, memoryview)):
            self._view = memoryview(source).cast("B")
            size = self._view.nbytes
        elif isinstance(source, (str, os.PathLike)):
            path = os.fspath(source)
            try:
                self._file = open(path, "rb")  # noqa: SIM115 - closed by close()
                size = os.fstat(self._file.fileno()).st_size
            except OSError as exc:
                raise RequestValidationError(
                    "source", f"cannot read {path!r}: {exc.strerror}"
                ) from exc
            self._owns_file = True
            self.name = os.path.basename(path)
        elif hasattr(source, "read"):
            self._file = source
            name = getattr(source, "name", None)
            self.name = os.path.basename(name) if isinstance(name, str) else None
            size = _remaining_size(source)
        elif hasattr(source, "__aiter__"):
            self._aiter = source.__aiter__()
        elif isinstance(source, Iterable):
            self._iter = iter(source)
        else:
            raise RequestValidationError(
                "source",
                f"must be a path, a binary file, bytes or an iterator of bytes, not {type(source).__name__}",
            )
        if size is None:
            if total_bytes is None:
                self.close_file()
                raise RequestValidationError(
                    "total_bytes",
                    "is required when the source's size cannot be known (iterator, pipe)",
                )
            size = total_bytes
        elif total_bytes is not None and total_bytes != size:
            self.close_file()
            raise RequestValidationError(
                "total_bytes", f"is {total_bytes} but the source holds {size} bytes"
            )
        self.total_bytes: int = size

    @property
    def consumed(self) -> int:
        return self._consumed

    def _take(self, n: int) -> bytes:
        out = bytes(self._pending[:n])
        del self._pending[:n]
        return out

    def _pull_sync(self, n: int) -> bytes:
        """Up to ``n`` new bytes from a non-async source (b"" at the end)."""
        if self._view is not None:
            piece = self._view[self._pos : self._pos + n].tobytes()
            self._pos += len(piece)
            return piece
        if self._file is not None:
            data = self._file.read(n)
            if not isinstance(data, bytes):
                raise RequestValidationError("source", "the file must be opened in binary mode")
            return data
        assert self._iter is not None
        for piece in self._iter:
            if piece:
                return bytes(piece)
        return b""

    def _short(self) -> RequestValidationError:
        return RequestValidationError(
            "source",
            f"ended after {self._consumed + len(self._pending)} bytes, total_bytes says {self.total_bytes}",
        )

    def _long(self) -> RequestValidationError:
        return RequestValidationError(
            "source", f"holds more than the {self.total_bytes} bytes declared in total_bytes"
        )

    def close_file(self) -> None:
        if self._file is not None and self._owns_file:
            self._file.close()
        self._file = None


def _remaining_size(file: IO[bytes]) -> int | None:
    try:
        if not file.seekable():
            return None
        pos = file.tell()
        end = file.seek(0, os.SEEK_END)
        file.seek(pos)
        return end - pos
    except (AttributeError, OSError, ValueError):
        return None


class AsyncChunkReader(_Base):
    """Reads an upload source chunk by chunk; file reads run in a worker thread."""

    @classmethod
    def open(cls, source: AsyncMediaSource, *, total_bytes: int | None = None) -> AsyncChunkReader:
        return cls(source, total_bytes)

    async def _pull(self, n: int) -> bytes:
        if self._aiter is not None:
            async for piece in self._aiter:
                if piece:
                    return bytes(piece)
            return b""
        if self._file is not None and n >= 65536:
            return await asyncio.to_thread(self._pull_sync, n)
        return self._pull_sync(n)

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
        return self._take(n)

    async def check_exhausted(self) -> None:
        """Raise if an iterator source yields more than ``total_bytes``."""
        if self._pending or (
            (self._iter is not None or self._aiter is not None) and await self._pull(1)
        ):
            raise self._long()

    async def close(self) -> None:
        self.close_file()


class SyncChunkReader(_Base):
    """Reads an upload source chunk by chunk."""

    @classmethod
    def open(cls, source: SyncMediaSource, *, total_bytes: int | None = None) -> SyncChunkReader:
        return cls(source, total_bytes)

    def _pull(self, n: int) -> bytes:
        return self._pull_sync(n)

    def head(self, n: int) -> bytes:
        """The first ``n`` bytes (fewer for a short source), without consuming them."""
        while len(self._pending) < n:
            piece = self._pull(n - len(self._pending))
            if not piece:
                break
            self._pending += piece
        return bytes(self._pending[:n])

    def read(self, n: int) -> bytes:
        """Exactly ``n`` bytes; a source that ends early raises RequestValidationError."""
        if not self._pending:
            data = self._pull(n)
            if len(data) == n:
                self._consumed += n
                return data
            self._pending += data
        while len(self._pending) < n:
            piece = self._pull(n - len(self._pending))
            if not piece:
                raise self._short()
            self._pending += piece
        self._consumed += n
        return self._take(n)

    def check_exhausted(self) -> None:
        """Raise if an iterator source yields more than ``total_bytes``."""
        if self._pending or (self._iter is not None and self._pull(1)):
            raise self._long()

    def close(self) -> None:
        self.close_file()
