"""X API v2 media upload: what both client halves and the sandbox share (no I/O here).

The clients are :class:`oneall_push._async.xmedia.AsyncXMedia` and its generated twin
:class:`oneall_push._sync.xmedia.XMedia`; the chunk readers are in
``oneall_push/_async/_xmedia_io.py`` (and its twin).
"""

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes

if TYPE_CHECKING:
    from ._io import (
        AsyncMediaSource,
        SyncMediaSource,
    )
    from ._media_types import (
        CATEGORIES,
        DEFAULT_CHUNK_SIZE,
        DEFAULT_MAX_CHUNK_SIZE,
        MEDIA_TYPES,
        ChunkPlan,
        MediaCategory,
        UploadTarget,
        infer_category,
        plan_chunks,
        resolve_media_type,
        sniff_media_type,
    )
    from ._models import (
        MediaEvent,
        MediaProgressCallback,
        ProcessingError,
        ProcessingInfo,
        ProcessingProgress,
        UploadedMedia,
        UploadProgress,
        XRetryPolicy,
    )
    from ._wire import (
        BearerAuth,
        RateLimitInfo,
        XAuth,
        error_from_response,
        parse_rate_limit,
    )

# Each name loads its module on first use: the CLI's parser reads the limits and event types
# without loading the wire code or the media sources.
__getattr__ = lazy_attributes(
    __name__,
    {
        "._io": [
            "AsyncMediaSource",
            "SyncMediaSource",
        ],
        "._media_types": [
            "CATEGORIES",
            "DEFAULT_CHUNK_SIZE",
            "DEFAULT_MAX_CHUNK_SIZE",
            "MEDIA_TYPES",
            "ChunkPlan",
            "MediaCategory",
            "UploadTarget",
            "infer_category",
            "plan_chunks",
            "resolve_media_type",
            "sniff_media_type",
        ],
        "._models": [
            "MediaEvent",
            "MediaProgressCallback",
            "ProcessingError",
            "ProcessingInfo",
            "ProcessingProgress",
            "UploadedMedia",
            "UploadProgress",
            "XRetryPolicy",
        ],
        "._wire": [
            "BearerAuth",
            "RateLimitInfo",
            "XAuth",
            "error_from_response",
            "parse_rate_limit",
        ],
    },
)


__all__ = [
    "CATEGORIES",
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_MAX_CHUNK_SIZE",
    "MEDIA_TYPES",
    "AsyncMediaSource",
    "BearerAuth",
    "ChunkPlan",
    "MediaCategory",
    "MediaEvent",
    "MediaProgressCallback",
    "ProcessingError",
    "ProcessingInfo",
    "ProcessingProgress",
    "RateLimitInfo",
    "SyncMediaSource",
    "UploadProgress",
    "UploadTarget",
    "UploadedMedia",
    "XAuth",
    "XRetryPolicy",
    "error_from_response",
    "infer_category",
    "parse_rate_limit",
    "plan_chunks",
    "resolve_media_type",
    "sniff_media_type",
]
