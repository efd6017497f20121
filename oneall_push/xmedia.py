"""X API v2 media upload: the async and sync clients, their results, events and settings.

::

    from oneall_push.xmedia import AsyncXMedia, XMedia

    async with AsyncXMedia(bearer_token=USER_TOKEN) as x:
        media = await x.upload("clip.mp4", progress=print)
    with XMedia(bearer_token=USER_TOKEN) as x:
        media = x.upload("photo.jpg", alt_text="A dancing cat")
    # POST /2/tweets {"media": {"media_ids": [media.id]}}
"""

from ._async.xmedia import DEFAULT_MAX_CONCURRENCY, AsyncXMedia
from ._sync.xmedia import XMedia
from ._xmedia import (
    CATEGORIES,
    DEFAULT_CHUNK_SIZE,
    DEFAULT_MAX_CHUNK_SIZE,
    MEDIA_TYPES,
    AsyncMediaSource,
    BearerAuth,
    MediaCategory,
    MediaEvent,
    MediaProgressCallback,
    ProcessingError,
    ProcessingInfo,
    ProcessingProgress,
    RateLimitInfo,
    SyncMediaSource,
    UploadedMedia,
    UploadProgress,
    UploadTarget,
    XAuth,
    XRetryPolicy,
    infer_category,
    parse_rate_limit,
    sniff_media_type,
)

# The sync client's earlier name.
SyncXMedia = XMedia

__all__ = [
    "CATEGORIES",
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_MAX_CHUNK_SIZE",
    "DEFAULT_MAX_CONCURRENCY",
    "MEDIA_TYPES",
    "AsyncMediaSource",
    "AsyncXMedia",
    "BearerAuth",
    "MediaCategory",
    "MediaEvent",
    "MediaProgressCallback",
    "ProcessingError",
    "ProcessingInfo",
    "ProcessingProgress",
    "RateLimitInfo",
    "SyncMediaSource",
    "SyncXMedia",
    "UploadProgress",
    "UploadTarget",
    "UploadedMedia",
    "XAuth",
    "XMedia",
    "XRetryPolicy",
    "infer_category",
    "parse_rate_limit",
    "sniff_media_type",
]
