"""The X media emulator's state: fault rules and what it knows of each upload (sizes and
CRC-32 per segment, never the bytes), and the media objects it answers."""

from __future__ import annotations

import re
from typing import Any

import attrs

__all__ = [
    "ENDPOINTS",
    "FAULT_KINDS",
    "FIRST_ID",
    "MEDIA_ID",
    "PROCESSING_OUTCOMES",
    "XFault",
    "XUpload",
]

PROCESSING_OUTCOMES = ("succeed", "fail", "error_in_progress", "stuck")
ENDPOINTS = (
    "initialize",
    "append",
    "finalize",
    "status",
    "upload",
    "metadata",
    "posts.create",
    "posts.delete",
    "oauth2.token",
)
FAULT_KINDS = ("status", "empty", "rate_limit", "rate_limit_24h", "usage_capped")
MEDIA_ID = re.compile(r"\A[0-9]{1,19}\Z")
FIRST_ID = 1880028106020515840


@attrs.define(kw_only=True)
class XFault:
    """One injected failure. ``times`` matching requests get it (0: every one).

    ``kind``: ``status`` (problem+json with ``status``), ``empty`` (``status`` with an empty
    body, as X's edge sends 413/431/404), ``rate_limit`` (429, ``x-rate-limit-reset`` in
    ``reset_in`` seconds), ``rate_limit_24h`` (429 from the user's 24-hour window, reset in
    ``reset_in`` seconds), ``usage_capped`` (429 usage-capped problem).
    """

    endpoint: str = "*"
    kind: str = "status"
    status: int = 503
    times: int = 1
    segment_index: int | None = None
    reset_in: float = 1.0
    hits: int = 0

    def __attrs_post_init__(self) -> None:
        if self.endpoint != "*" and self.endpoint not in ENDPOINTS:
            raise ValueError(f"endpoint must be '*' or one of {ENDPOINTS}")
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {FAULT_KINDS}")

    def matches(self, endpoint: str, segment_index: int | None) -> bool:
        if self.endpoint not in ("*", endpoint):
            return False
        if self.segment_index is not None and self.segment_index != segment_index:
            return False
        return self.times == 0 or self.hits < self.times


@attrs.define(kw_only=True)
class XUpload:
    """What the sandbox knows about one media id (no bytes: sizes and CRC-32 per segment)."""

    media_id: str
    media_key: str
    media_type: str
    media_category: str | None
    total_bytes: int
    expires_after_secs: int
    segments: dict[int, tuple[int, int]] = attrs.Factory(dict)
    finalized: bool = False
    processing: str | None = None  # outcome, for processed categories
    polls: int = 0
    alt_text: str | None = None
    owner: str | None = None  # the user id that uploaded it

    @property
    def received(self) -> int:
        return sum(size for size, _ in self.segments.values())

    def crc32(self) -> int:
        """CRC-32 of the whole file, combined from the segments in order."""
        crc = 0
        for index in sorted(self.segments):
            size, seg = self.segments[index]
            crc = _crc32_combine(crc, seg, size)
        return crc

    def document(self, *, processing_polls: int, check_after_secs: int) -> dict[str, Any]:
        """The media object X answers for this self."""
        data: dict[str, Any] = {
            "id": self.media_id,
            "media_key": self.media_key,
            "expires_after_secs": self.expires_after_secs,
        }
        if self.finalized:
            data["size"] = self.received
            if self.media_type.startswith("image/"):
                data["image"] = {"image_type": self.media_type}
            elif self.media_type.startswith("video/"):
                data["video"] = {"video_type": self.media_type}
        info = self.processing_info(
            processing_polls=processing_polls, check_after_secs=check_after_secs
        )
        if info is not None:
            data["processing_info"] = info
        return data

    def processing_info(
        self, *, processing_polls: int, check_after_secs: int
    ) -> dict[str, Any] | None:
        """Where processing stands: one step further per status check."""
        if self.processing is None:
            return None
        step, total = self.polls, max(1, processing_polls)
        if step == 0:
            return {"state": "pending", "check_after_secs": check_after_secs}
        if self.processing == "stuck" or step < total:
            percent = 10 if self.processing == "stuck" else step * 100 // (total + 1)
            return {
                "state": "in_progress",
                "check_after_secs": check_after_secs,
                "progress_percent": percent,
            }
        if self.processing == "fail":
            return {
                "state": "failed",
                "progress_percent": 100,
                "error": {"code": 1, "name": "InvalidMedia", "message": "Unsupported video format"},
            }
        if self.processing == "error_in_progress":
            return {
                "state": "in_progress",
                "check_after_secs": check_after_secs,
                "progress_percent": 99,
                "error": {
                    "code": 3,
                    "name": "UnsupportedMedia",
                    "message": "Duration exceeds max duration of 2.minutes+20.seconds",
                },
            }
        return {"state": "succeeded", "progress_percent": 100}

    def completeness(self) -> str | None:
        """Why this upload may not be finalized yet, or None."""
        indexes = sorted(self.segments)
        received = self.received
        if indexes and 0 not in indexes:
            return (
                f"segment 0 was never received (segments {indexes[0]}..{indexes[-1]} were): "
                "segment_index starts at 0"
            )
        if indexes and indexes[-1] != len(indexes) - 1:
            missing = sorted(set(range(indexes[-1] + 1)) - set(indexes))
            return f"segments missing before finalize: {missing[:20]}"
        if received < self.total_bytes:
            return (
                f"Finalize called before all bytes were uploaded: received {received} of "
                f"total_bytes {self.total_bytes}"
            )
        if received > self.total_bytes:
            return (
                f"File size mismatch: received {received} bytes, total_bytes is {self.total_bytes}"
            )
        return None


def _crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    # zlib's crc32_combine is not exposed by Python; fold crc2 via a zero-extension trick.
    # crc(A||B) == crc32(B, crc(A)) computed over B's bytes; without B we use the GF(2) method.
    if len2 == 0:
        return crc1

    def gf2_times(mat: list[int], vec: int) -> int:
        total = 0
        i = 0
        while vec:
            if vec & 1:
                total ^= mat[i]
            vec >>= 1
            i += 1
        return total

    def gf2_square(mat: list[int]) -> list[int]:
        return [gf2_times(mat, mat[n]) for n in range(32)]

    odd = [0xEDB88320] + [1 << (n - 1) for n in range(1, 32)]
    even = gf2_square(odd)
    odd = gf2_square(even)
    while True:
        even = gf2_square(odd)
        if len2 & 1:
            crc1 = gf2_times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = gf2_square(even)
        if len2 & 1:
            crc1 = gf2_times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2
