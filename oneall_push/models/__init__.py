"""Request payloads and typed results.

The results load with the client; the request models (and their validators) load when first
named, which the client does on its first call.
"""

import importlib as _importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .requests import (
        FacebookGroupPicture,
        FacebookGroupPost,
        FacebookGroupVideo,
        FacebookPagePicture,
        FacebookPagePost,
        FacebookPageVideo,
        FacebookUserPicture,
        FacebookUserPost,
        FacebookUserVideo,
        LinkedInCompanyPost,
        LinkedInUserPost,
        PinterestBoard,
        PinterestPin,
        PrivacyStatus,
        RequestModel,
        TwitterPicture,
        TwitterPost,
        TwitterVideo,
        YouTubeChannelSection,
        YouTubePlaylist,
        YouTubePlaylistVideo,
        YouTubeVideo,
    )
    from .results import (
        BoardResult,
        ChannelSectionResult,
        Envelope,
        PictureResult,
        PinResult,
        PlaylistResult,
        PlaylistVideoResult,
        PostResult,
        QueuedResult,
        Result,
        Status,
        VideoResult,
        required_ids,
    )


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    # The results load with any client; the request models only when one is named.
    results = _importlib.import_module(".results", __name__)
    home = results if hasattr(results, name) else _importlib.import_module(".requests", __name__)
    value = getattr(home, name)
    globals()[name] = value
    return value


__all__ = [
    "FacebookGroupPicture",
    "FacebookGroupPost",
    "FacebookGroupVideo",
    "FacebookPagePicture",
    "FacebookPagePost",
    "FacebookPageVideo",
    "FacebookUserPicture",
    "FacebookUserPost",
    "FacebookUserVideo",
    "LinkedInCompanyPost",
    "LinkedInUserPost",
    "PinterestBoard",
    "PinterestPin",
    "RequestModel",
    "TwitterPicture",
    "TwitterPost",
    "TwitterVideo",
    "YouTubeChannelSection",
    "YouTubePlaylist",
    "YouTubePlaylistVideo",
    "YouTubeVideo",
    "PrivacyStatus",
    "BoardResult",
    "ChannelSectionResult",
    "Envelope",
    "PictureResult",
    "PinResult",
    "PlaylistResult",
    "PlaylistVideoResult",
    "PostResult",
    "QueuedResult",
    "Result",
    "Status",
    "VideoResult",
    "required_ids",
]
