"""Upload sources: their types and the checks both readers share (no event loop here).

The readers themselves live in ``oneall_push/_async/_xmedia_io.py`` (and its generated sync
twin); they call the blocking helpers below through the backend's ``run_sync``.
"""

from __future__ import annotations

import os
import stat
from collections.abc import AsyncIterable, Iterable, Iterator
from typing import IO, TypeAlias

import attrs

from ..errors import RequestValidationError

__all__ = [
    "AsyncMediaSource",
    "FileSnapshot",
    "SyncMediaSource",
    "as_bytes",
    "file_snapshot",
    "gather_pieces",
    "read_exactly",
    "readinto_exactly",
    "remaining_size",
    "settle_size",
]

SyncMediaSource: TypeAlias = (
    bytes | bytearray | memoryview | str | os.PathLike[str] | IO[bytes] | Iterable[bytes]
)
AsyncMediaSource: TypeAlias = SyncMediaSource | AsyncIterable[bytes]


@attrs.frozen
class FileSnapshot:
    """Size and modification time of a regular file, to notice it changing mid-upload."""

    size: int
    mtime_ns: int


def settle_size(found: int | None, declared: int | None) -> int:
    """The source's size: what the source says, checked against ``total_bytes``."""
    if found is None:
        if declared is None:
            raise RequestValidationError(
                "total_bytes",
                "is required when the source's size cannot be known (iterator, pipe)",
            )
        return declared
    if declared is not None and declared != found:
        raise RequestValidationError(
            "total_bytes", f"is {declared} but the source holds {found} bytes"
        )
    return found


def file_snapshot(file: IO[bytes]) -> FileSnapshot | None:
    """Blocking. None unless ``file`` is a regular file with a descriptor."""
    try:
        info = os.fstat(file.fileno())
    except (AttributeError, OSError, ValueError):
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    return FileSnapshot(info.st_size, info.st_mtime_ns)


def remaining_size(file: IO[bytes]) -> int | None:
    """Blocking. Bytes from the current position to the end, or None (not seekable)."""
    try:
        if not file.seekable():
            return None
        pos = file.tell()
        end = file.seek(0, os.SEEK_END)
        file.seek(pos)
        return end - pos
    except (AttributeError, OSError, ValueError):
        return None


def as_bytes(piece: object) -> bytes:
    """One piece an iterator source yielded, as bytes (``bytes(5)`` would be five zeros)."""
    if not isinstance(piece, (bytes, bytearray, memoryview)):
        raise RequestValidationError(
            "source", f"an iterator source must yield bytes, not {type(piece).__name__}"
        )
    return bytes(piece)


def gather_pieces(pieces: Iterator[object], n: int) -> bytes:
    """Blocking (a generator may read a file or a socket). Pieces until ``n`` bytes or more
    are gathered, or the iterator ends (b"")."""
    parts: list[bytes] = []
    got = 0
    for piece in pieces:
        data = as_bytes(piece)
        parts.append(data)
        got += len(data)
        if got >= n:
            break
    return b"".join(parts)


def read_exactly(file: IO[bytes], n: int) -> bytes:
    """Blocking. ``n`` bytes, fewer only at the end of the file."""
    first = file.read(n)
    if not isinstance(first, bytes):
        raise RequestValidationError("source", "the file must be opened in binary mode")
    if len(first) == n or not first:
        return first
    parts = [first]
    got = len(first)
    while got < n:
        more = file.read(n - got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)


def readinto_exactly(file: IO[bytes], view: memoryview) -> int:
    """Blocking. Fill ``view`` from ``file``; the count, short only at the end of the file.

    Reads straight into the buffer where the file supports ``readinto`` (files, BytesIO);
    otherwise reads and copies.
    """
    readinto = getattr(file, "readinto", None)
    n = view.nbytes
    got = 0
    while got < n:
        if readinto is not None:
            count = readinto(view[got:])
            if count is None:  # a non-blocking file with nothing to read yet
                count = 0
        else:
            data = file.read(n - got)
            if not isinstance(data, bytes):
                raise RequestValidationError("source", "the file must be opened in binary mode")
            view[got : got + len(data)] = data
            count = len(data)
        if not count:
            break
        got += count
    return got
