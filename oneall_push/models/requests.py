"""Request payloads, one class per Push resource, validated when built.

Field names are the documented payload keys. Payloads the docs do not show are marked
*inferred* in the endpoint table; every call also takes ``extra_fields`` for keys not modelled.
File formats are checked only where OneAll documents them (Facebook user picture, Twitter
picture and video); elsewhere any absolute http(s) URL is passed on.
"""

from __future__ import annotations

from typing import Literal, get_args

import attrs

from .._repr import fields_repr
from . import _rules as r

__all__ = [
    "PrivacyStatus",
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
]

# YouTube's playlist visibility; checkers catch a typo, the validator refuses one at run time.
PrivacyStatus = Literal["public", "private", "unlisted"]

# Keyword arguments that every generated method adds; a payload field must not shadow them.
RESERVED_NAMES = frozenset({"extra_fields", "timeout", "identity_token"})


@attrs.frozen
class RequestModel:
    """Base of every request payload."""

    __repr__ = fields_repr


# --- Facebook: user profile (deprecated by Facebook on 2018-08-01) ---------------------------


@attrs.frozen(kw_only=True, repr=False)
class FacebookUserPost(RequestModel):
    message: str | None = attrs.field(default=None, validator=r.text(required=False))
    link: str | None = attrs.field(default=None, validator=r.http_url(required=False))
    attachments: tuple[str, ...] | None = attrs.field(
        default=None, converter=r.to_id_tuple, validator=r.id_list()
    )

    def __attrs_post_init__(self) -> None:
        r.one_of_required(self, "message", "link")


@attrs.frozen(kw_only=True, repr=False)
class FacebookUserPicture(RequestModel):
    url: str = attrs.field(validator=r.http_url(formats=r.PICTURE_FORMATS))
    description: str | None = attrs.field(default=None, validator=r.text(required=False))
    create_post: bool | None = attrs.field(default=None, validator=r.boolean())


@attrs.frozen(kw_only=True, repr=False)
class FacebookUserVideo(RequestModel):
    url: str = attrs.field(validator=r.http_url())
    description: str | None = attrs.field(default=None, validator=r.text(required=False))
    create_post: bool | None = attrs.field(default=None, validator=r.boolean())


# --- Facebook: groups (payload inferred from the page endpoints) ----------------------------


@attrs.frozen(kw_only=True, repr=False)
class FacebookGroupPost(RequestModel):
    id: str = attrs.field(converter=r.to_id, validator=r.identifier())
    message: str | None = attrs.field(default=None, validator=r.text(required=False))
    link: str | None = attrs.field(default=None, validator=r.http_url(required=False))
    attachments: tuple[str, ...] | None = attrs.field(
        default=None, converter=r.to_id_tuple, validator=r.id_list()
    )

    def __attrs_post_init__(self) -> None:
        r.one_of_required(self, "message", "link", "attachments")
        r.not_both(self, "link", "attachments")


@attrs.frozen(kw_only=True, repr=False)
class FacebookGroupPicture(RequestModel):
    id: str = attrs.field(converter=r.to_id, validator=r.identifier())
    url: str = attrs.field(validator=r.http_url())
    description: str | None = attrs.field(default=None, validator=r.text(required=False))


@attrs.frozen(kw_only=True, repr=False)
class FacebookGroupVideo(RequestModel):
    id: str = attrs.field(converter=r.to_id, validator=r.identifier())
    url: str = attrs.field(validator=r.http_url())
    description: str | None = attrs.field(default=None, validator=r.text(required=False))


# --- Facebook: pages ------------------------------------------------------------------------


@attrs.frozen(kw_only=True, repr=False)
class FacebookPagePost(RequestModel):
    id: str = attrs.field(converter=r.to_id, validator=r.identifier())
    message: str = attrs.field(validator=r.text())
    link: str | None = attrs.field(default=None, validator=r.http_url(required=False))
    attachments: tuple[str, ...] | None = attrs.field(
        default=None, converter=r.to_id_tuple, validator=r.id_list()
    )

    def __attrs_post_init__(self) -> None:
        r.not_both(self, "link", "attachments")


@attrs.frozen(kw_only=True, repr=False)
class FacebookPagePicture(RequestModel):
    id: str = attrs.field(converter=r.to_id, validator=r.identifier())
    url: str = attrs.field(validator=r.http_url())
    description: str | None = attrs.field(default=None, validator=r.text(required=False))


@attrs.frozen(kw_only=True, repr=False)
class FacebookPageVideo(RequestModel):
    id: str = attrs.field(converter=r.to_id, validator=r.identifier())
    url: str = attrs.field(validator=r.http_url())
    description: str | None = attrs.field(default=None, validator=r.text(required=False))


# --- LinkedIn -------------------------------------------------------------------------------


@attrs.frozen(kw_only=True, repr=False)
class LinkedInUserPost(RequestModel):
    message: str | None = attrs.field(default=None, validator=r.text(required=False))
    link: str | None = attrs.field(default=None, validator=r.http_url(required=False))
    title: str | None = attrs.field(default=None, validator=r.text(required=False))
    description: str | None = attrs.field(default=None, validator=r.text(required=False))
    picture: str | None = attrs.field(default=None, validator=r.http_url(required=False))

    def __attrs_post_init__(self) -> None:
        r.one_of_required(self, "message", "link")


@attrs.frozen(kw_only=True, repr=False)
class LinkedInCompanyPost(RequestModel):
    company: str = attrs.field(converter=r.to_id, validator=r.identifier())
    message: str | None = attrs.field(default=None, validator=r.text(required=False))
    link: str | None = attrs.field(default=None, validator=r.http_url(required=False))
    title: str | None = attrs.field(default=None, validator=r.text(required=False))
    description: str | None = attrs.field(default=None, validator=r.text(required=False))
    picture: str | None = attrs.field(default=None, validator=r.http_url(required=False))

    def __attrs_post_init__(self) -> None:
        r.one_of_required(self, "message", "link")


# --- Pinterest ------------------------------------------------------------------------------


@attrs.frozen(kw_only=True, repr=False)
class PinterestPin(RequestModel):
    picture: str = attrs.field(validator=r.http_url())
    description: str | None = attrs.field(default=None, validator=r.text(required=False))
    link: str | None = attrs.field(default=None, validator=r.http_url(required=False))


@attrs.frozen(kw_only=True, repr=False)
class PinterestBoard(RequestModel):
    name: str = attrs.field(validator=r.text())
    description: str | None = attrs.field(default=None, validator=r.text(required=False))


# --- Twitter / X ----------------------------------------------------------------------------


@attrs.frozen(kw_only=True, repr=False)
class TwitterPost(RequestModel):
    # The docs' 140-character limit predates 280-character (and longer, Premium) posts:
    # X enforces the length, not this library.
    message: str = attrs.field(validator=r.text())
    location: str | None = attrs.field(default=None, validator=r.text(required=False))
    attachments: tuple[str, ...] | None = attrs.field(
        default=None, converter=r.to_id_tuple, validator=r.id_list(max_items=4)
    )


@attrs.frozen(kw_only=True, repr=False)
class TwitterPicture(RequestModel):
    url: str = attrs.field(validator=r.http_url(formats=r.PICTURE_FORMATS))
    description: str | None = attrs.field(default=None, validator=r.text(required=False))


@attrs.frozen(kw_only=True, repr=False)
class TwitterVideo(RequestModel):
    video_url: str = attrs.field(validator=r.http_url(formats=r.VIDEO_FORMATS))
    # Signed by the library when it manages the job: a credential, kept out of the repr.
    callback_url: str | None = attrs.field(
        default=None, validator=r.http_url(required=False), repr=False
    )


# --- YouTube --------------------------------------------------------------------------------


@attrs.frozen(kw_only=True, repr=False)
class YouTubeVideo(RequestModel):
    video_url: str = attrs.field(validator=r.http_url())
    title: str = attrs.field(validator=r.text(max_length=100))
    description: str | None = attrs.field(
        default=None, validator=r.text(required=False, max_length=5000)
    )
    thumbnail_url: str | None = attrs.field(default=None, validator=r.http_url(required=False))
    # Signed by the library when it manages the job: a credential, kept out of the repr.
    callback_url: str | None = attrs.field(
        default=None, validator=r.http_url(required=False), repr=False
    )


@attrs.frozen(kw_only=True, repr=False)
class YouTubePlaylistVideo(RequestModel):
    id: str = attrs.field(converter=r.to_id, validator=r.identifier())
    position: int | None = attrs.field(default=None, validator=r.non_negative_int())


@attrs.frozen(kw_only=True, repr=False)
class YouTubePlaylist(RequestModel):
    title: str = attrs.field(validator=r.text(max_length=150))
    description: str | None = attrs.field(
        default=None, validator=r.text(required=False, max_length=5000)
    )
    privacy_status: PrivacyStatus | None = attrs.field(
        default=None, validator=r.choice(get_args(PrivacyStatus))
    )
    default_language: str | None = attrs.field(default=None, validator=r.text(required=False))


@attrs.frozen(kw_only=True, repr=False)
class YouTubeChannelSection(RequestModel):
    type: str = attrs.field(validator=r.text())
    style: str | None = attrs.field(default=None, validator=r.text(required=False))
    title: str | None = attrs.field(default=None, validator=r.text(required=False, max_length=100))
    position: int | None = attrs.field(default=None, validator=r.non_negative_int())
    # The Update API spells this key in camelCase, unlike the playlist's default_language.
    default_language: str | None = attrs.field(
        default=None, validator=r.text(required=False), metadata={"wire": "defaultLanguage"}
    )
    playlists: tuple[str, ...] | None = attrs.field(
        default=None, converter=r.to_id_tuple, validator=r.id_list()
    )
