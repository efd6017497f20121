"""Reused append bodies: each buffer holds one whole multipart body (head, chunk, tail).

The chunk is read straight into its place between the form's head and tail, so an append
costs no join and no second copy of the chunk, and an upload allocates its buffers once: at
most ``max_concurrency`` in flight plus the one being read. Colour-free (a lock, no waits).
"""

from __future__ import annotations

import threading

from ._wire import MultipartBody

__all__ = ["BodyBuffers"]


class BodyBuffers:
    """Free buffers of one upload; ``take`` one for a segment, ``give`` it back once sent."""

    __slots__ = ("_free", "_lock", "made")

    def __init__(self) -> None:
        self._free: list[bytearray] = []
        self._lock = threading.Lock()
        self.made = 0  # buffers allocated (for tests: at most max_concurrency + 1)

    def take(self, form: MultipartBody, size: int) -> tuple[bytearray, slice]:
        """A buffer holding ``form``'s head and tail around ``size`` bytes to fill, and where
        those bytes go."""
        head, tail = len(form.prefix), len(form.suffix)
        need = head + size + tail
        with self._lock:
            buffer = self._free.pop() if self._free else None
        if buffer is not None and len(buffer) != need:
            try:
                # Within the allocation (the segment index grew a digit, the last chunk is
                # shorter) this moves no data.
                if len(buffer) > need:
                    del buffer[need:]
                else:
                    buffer.extend(bytes(need - len(buffer)))
            except BufferError:  # a view of it is still alive somewhere: leave it be
                buffer = None
        if buffer is None:
            buffer = bytearray(need)
            self.made += 1
        buffer[:head] = form.prefix
        buffer[head + size :] = form.suffix
        return buffer, slice(head, head + size)

    def give(self, buffer: bytearray) -> None:
        with self._lock:
            self._free.append(buffer)
