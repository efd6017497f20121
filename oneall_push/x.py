"""The X API v2 client: media upload and posts, async and sync.

::

    from oneall_push.x import X, OAuth1

    with X(auth=OAuth1(CONSUMER_KEY, CONSUMER_SECRET, ACCESS_TOKEN, ACCESS_TOKEN_SECRET)) as x:
        media = x.media.upload("clip.mp4")
        post = x.posts.create("Hello", media=[media])
"""

from ._async.x import AsyncX, AsyncXPosts
from ._sync.x import X, XPosts
from ._xauth import BearerToken, OAuth1, OAuth2UserToken, TokenSet, TokenUpdateCallback
from ._xmedia._models import UploadedMedia as Media
from ._xmedia._models import XRetryPolicy
from ._xmedia._rate_limit import RateLimit, RateLimitWindow
from ._xposts import REPLY_SETTINGS, Poll, Post, PostDeleted, ReplySettings

__all__ = [
    "REPLY_SETTINGS",
    "AsyncX",
    "AsyncXPosts",
    "BearerToken",
    "Media",
    "OAuth1",
    "OAuth2UserToken",
    "Poll",
    "Post",
    "PostDeleted",
    "RateLimit",
    "RateLimitWindow",
    "ReplySettings",
    "TokenSet",
    "TokenUpdateCallback",
    "X",
    "XPosts",
    "XRetryPolicy",
]
