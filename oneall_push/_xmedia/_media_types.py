"""What is being uploaded: media type from magic bytes or extension, category, chunk plan.

I/O-free; shared by both halves of the client and by the sandbox.
"""

from __future__ import annotations

import math
import re
from typing import Literal, get_args

import attrs

from ..errors import RequestValidationError

__all__ = [
    "CATEGORIES",
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_MAX_CHUNK_SIZE",
    "MAX_SEGMENTS",
    "MAX_TOTAL_BYTES",
    "MEDIA_TYPES",
    "ONE_SHOT_CATEGORIES",
    "ONE_SHOT_LIMITS",
    "PROCESSED_CATEGORIES",
    "SNIFF_BYTES",
    "ChunkPlan",
    "MediaCategory",
    "UploadTarget",
    "check_one_shot",
    "check_total_bytes",
    "infer_category",
    "plan_chunks",
    "resolve_media_type",
    "sniff_media_type",
]

MiB = 1024 * 1024
# 4 MiB: what X's official sample and xurl send; 5 MB chunks met 413/431 at X's edge.
DEFAULT_CHUNK_SIZE = 4 * MiB
DEFAULT_MAX_CHUNK_SIZE = 4 * MiB
# segment_index runs from 0 to 999.
MAX_SEGMENTS = 1000
# total_bytes maximum in X's spec (16 GiB).
MAX_TOTAL_BYTES = 17_179_869_184
# How many leading bytes the sniffer looks at.
SNIFF_BYTES = 512

MEDIA_TYPES = frozenset(
    {
        "video/mp4",
        "video/webm",
        "video/mp2t",
        "video/quicktime",
        "text/srt",
        "text/vtt",
        "image/jpeg",
        "image/gif",
        "image/bmp",
        "image/png",
        "image/webp",
        "image/pjpeg",
        "image/tiff",
        "model/gltf-binary",
        "model/vnd.usdz+zip",
    }
)
MediaCategory = Literal[
    "amplify_video",
    "tweet_gif",
    "tweet_image",
    "tweet_video",
    "dm_gif",
    "dm_image",
    "dm_video",
    "subtitles",
]
CATEGORIES: frozenset[str] = frozenset(get_args(MediaCategory))
# Sessions in these categories go through asynchronous processing (processing_info).
PROCESSED_CATEGORIES = frozenset(
    {"amplify_video", "tweet_gif", "tweet_video", "dm_gif", "dm_video"}
)

# The one-shot POST /2/media/upload takes images and subtitles only; the whole file goes in one
# request (and in memory). X's limits: images 5 MB, animated GIF 15 MB; X's own errors name
# them in bytes (5242880, 15728640). No figure is published for subtitles: 5 MiB as well.
ONE_SHOT_LIMITS = {"image/gif": 15 * MiB, "image/": 5 * MiB, "text/": 5 * MiB}
ONE_SHOT_CATEGORIES = frozenset({"tweet_image", "dm_image", "tweet_gif", "dm_gif", "subtitles"})

# Where the media will be used: a Post, a Direct Message, or Amplify (video ads).
UploadTarget = Literal["tweet", "dm", "amplify"]
TARGETS: tuple[str, ...] = get_args(UploadTarget)

_EXTENSIONS = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "jpe": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "bmp": "image/bmp",
    "webp": "image/webp",
    "tif": "image/tiff",
    "tiff": "image/tiff",
    "mp4": "video/mp4",
    "m4v": "video/mp4",
    "mov": "video/quicktime",
    "qt": "video/quicktime",
    "webm": "video/webm",
    "ts": "video/mp2t",
    "m2ts": "video/mp2t",
    "srt": "text/srt",
    "vtt": "text/vtt",
    "glb": "model/gltf-binary",
    "usdz": "model/vnd.usdz+zip",
}
_SRT = re.compile(rb"\A\s*\d+\s*\r?\n\d{1,2}:\d\d:\d\d[,.]\d{1,3}\s+-->\s+")
_QUICKTIME_ATOMS = (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")
# ISO-BMFF brands of still images and image sequences (HEIF/HEIC, AVIF): an ``ftyp`` box, yet
# not an MP4 X would take.
_IMAGE_BRANDS = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis"}
)
# Brands that make a file a video even when an image brand is among the compatible ones.
_VIDEO_BRANDS = frozenset(
    {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"dash"}
)
_IMAGE_EXTENSIONS = frozenset({"heic", "heif", "heics", "heifs", "avif", "avifs"})


def _ftyp_brands(head: bytes) -> tuple[bytes, list[bytes]]:
    """The major brand and the compatible brands of a leading ``ftyp`` box."""
    size = int.from_bytes(head[0:4], "big")
    end = min(len(head), size if size >= 16 else 16)
    compatible = [head[i : i + 4] for i in range(16, end - 3, 4)]
    return head[8:12], compatible


def _is_heif_image(head: bytes) -> bool:
    if head[4:8] != b"ftyp":
        return False
    major, compatible = _ftyp_brands(head)
    if major in _IMAGE_BRANDS:
        return True
    return major not in _VIDEO_BRANDS and any(b in _IMAGE_BRANDS for b in compatible)


def sniff_media_type(head: bytes) -> str | None:
    """The media type the leading bytes of a file announce, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    if head.startswith(b"BM") and len(head) >= 14 and head[6:10] == b"\x00\x00\x00\x00":
        return "image/bmp"
    if head[4:8] == b"ftyp":
        if _is_heif_image(head):
            return None
        return "video/quicktime" if head[8:12] == b"qt  " else "video/mp4"
    if head[4:8] in _QUICKTIME_ATOMS:
        return "video/quicktime"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    if len(head) > 188 and head[0] == 0x47 and head[188] == 0x47:
        return "video/mp2t"
    if head.startswith(b"glTF"):
        return "model/gltf-binary"
    text = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    if text.startswith(b"WEBVTT"):
        return "text/vtt"
    if _SRT.match(text):
        return "text/srt"
    return None


def _extension_type(name: str | None) -> str | None:
    if not name or "." not in name:
        return None
    return _EXTENSIONS.get(name.rsplit(".", 1)[1].lower())


def resolve_media_type(explicit: str | None, head: bytes, name: str | None) -> str:
    """``explicit`` if given (checked), else the sniffed type, else the file extension's.

    Never ``application/octet-stream``: X rejects it, so an unknown file is refused here.
    """
    if explicit is not None:
        if not isinstance(explicit, str) or explicit not in MEDIA_TYPES:
            raise RequestValidationError(
                "media_type", f"must be one of {', '.join(sorted(MEDIA_TYPES))}; got {explicit!r}"
            )
        return explicit
    found = sniff_media_type(head)
    ext = name.rsplit(".", 1)[1].lower() if name and "." in name else ""
    if found is None and (_is_heif_image(head) or ext in _IMAGE_EXTENSIONS):
        raise RequestValidationError(
            "media_type",
            "HEIF/HEIC and AVIF images are not among X's media types; convert to JPEG or PNG",
        )
    found = found or _extension_type(name)
    if found is None:
        raise RequestValidationError(
            "media_type",
            "could not be detected from the content or the file name; pass media_type=",
        )
    return found


def infer_category(media_type: str, target: str, explicit: str | None) -> str | None:
    """The media_category for a type and a target (tweet, dm, amplify); ``explicit`` wins.

    A wrong category (a DM one on a Post) makes the upload succeed and the Post fail later.
    """
    if explicit is not None:
        if not isinstance(explicit, str) or explicit not in CATEGORIES:
            raise RequestValidationError(
                "media_category",
                f"must be one of {', '.join(sorted(CATEGORIES))}; got {explicit!r}",
            )
        return explicit
    if not isinstance(target, str) or target not in TARGETS:
        raise RequestValidationError("target", f"must be one of {', '.join(TARGETS)}")
    if media_type.startswith("text/"):
        return "subtitles"
    if media_type.startswith("model/"):
        return None  # no category exists for 3D models: let X pick
    if target == "amplify":
        if not media_type.startswith("video/"):
            raise RequestValidationError(
                "target", f"amplify takes videos only, not {media_type}; use target='tweet'"
            )
        return "amplify_video"
    prefix = "dm" if target == "dm" else "tweet"
    if media_type == "image/gif":
        return f"{prefix}_gif"
    if media_type.startswith("image/"):
        return f"{prefix}_image"
    return f"{prefix}_video"


@attrs.frozen
class ChunkPlan:
    """How a file of ``total_bytes`` is cut: ``segments`` chunks of ``chunk_size`` bytes
    (the last one shorter)."""

    total_bytes: int
    chunk_size: int

    @property
    def segments(self) -> int:
        return math.ceil(self.total_bytes / self.chunk_size)

    def size_of(self, segment_index: int) -> int:
        start = segment_index * self.chunk_size
        return max(0, min(self.chunk_size, self.total_bytes - start))


def check_total_bytes(total_bytes: object) -> int:
    """The one check of a media size: an integer from 1 to X's maximum (16 GiB)."""
    if isinstance(total_bytes, bool) or not isinstance(total_bytes, int):
        raise RequestValidationError(
            "total_bytes", f"must be an integer number of bytes, not {type(total_bytes).__name__}"
        )
    if total_bytes <= 0:
        raise RequestValidationError("total_bytes", "the media is empty")
    if total_bytes > MAX_TOTAL_BYTES:
        raise RequestValidationError(
            "total_bytes", f"{total_bytes} is above X's maximum of {MAX_TOTAL_BYTES} (16 GiB)"
        )
    return total_bytes


def plan_chunks(total_bytes: int, chunk_size: int, max_chunk_size: int) -> ChunkPlan:
    """Chunk size ``chunk_size``, raised to ``ceil(total / 1000)`` so the upload fits X's 1000
    segments, and refused when that exceeds ``max_chunk_size``."""
    check_total_bytes(total_bytes)
    if chunk_size < 1:
        raise RequestValidationError("chunk_size", "must be at least 1 byte")
    needed = max(chunk_size, math.ceil(total_bytes / MAX_SEGMENTS))
    if needed > max_chunk_size:
        raise RequestValidationError(
            "chunk_size",
            f"{total_bytes} bytes in at most {MAX_SEGMENTS} segments need chunks of {needed} "
            f"bytes, above max_chunk_size={max_chunk_size}. Raise max_chunk_size (X's edge has "
            "answered 413/431 to 5 MB chunks) or upload a smaller file",
        )
    return ChunkPlan(total_bytes, needed)


def check_one_shot(media_type: str, category: str | None, total_bytes: int) -> None:
    """Refuse what the one-shot upload cannot take: only images and subtitles, within X's
    size limits (the file is sent in one request, from memory)."""
    limit = next((v for k, v in ONE_SHOT_LIMITS.items() if media_type.startswith(k)), None)
    if limit is None or media_type not in MEDIA_TYPES:
        raise RequestValidationError(
            "media_type",
            f"the one-shot upload takes images and subtitles (text/srt, text/vtt), not "
            f"{media_type}; use upload()",
        )
    if category is not None and category not in ONE_SHOT_CATEGORIES:
        raise RequestValidationError(
            "media_category",
            f"the one-shot upload takes {', '.join(sorted(ONE_SHOT_CATEGORIES))}; use upload()",
        )
    if (category == "subtitles") != media_type.startswith("text/"):
        raise RequestValidationError("media_category", f"{category} does not fit {media_type}")
    check_total_bytes(total_bytes)
    if total_bytes > limit:
        raise RequestValidationError(
            "total_bytes",
            f"{total_bytes} bytes is above the one-shot limit of {limit} bytes for "
            f"{media_type}; use upload()",
        )
