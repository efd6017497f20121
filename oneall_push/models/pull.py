"""What the Pull API lists: a user's pages, groups, companies, boards, posts, tweets, videos.

OneAll publishes no Pull response shape (inferred throughout): each item is read tolerantly.
Its id is looked up under the likely keys (``tweet_id``, ``post_id``, ``id``, ...; an item
without one is skipped), every other field is optional, and ``raw`` keeps the item as received.
A list is read from ``result.data.<list key>`` as a list, ``{"entries": [...]}`` or a node
with pagination.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, Generic, TypeVar

import attrs

from .._dates import parse_date
from .._repr import fields_repr
from .results import _NOT_FROM_AN_ANSWER, Envelope

__all__ = [
    "PullList",
    "PulledBoard",
    "PulledCompany",
    "PulledGroup",
    "PulledItem",
    "PulledLike",
    "PulledPage",
    "PulledPin",
    "PulledPost",
    "PulledTweet",
    "PulledVideo",
    "list_entries",
]

T = TypeVar("T", bound="PulledItem")


def _keys(*names: str) -> dict[str, tuple[str, ...]]:
    return {"keys": names}


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


@attrs.frozen(kw_only=True, repr=False)
class PulledItem:
    """Base of every Pull item: its id, and the item as OneAll sent it (``raw``)."""

    __repr__ = fields_repr

    ID_KEYS: ClassVar[tuple[str, ...]] = ("id",)

    id: str
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @classmethod
    def from_data(cls, data: Any) -> Any:
        node = data if isinstance(data, Mapping) else {}
        found = next((_text(node.get(k)) for k in cls.ID_KEYS if _text(node.get(k))), None)
        if not found:
            raise ValueError(f"{cls.__name__} has none of {', '.join(cls.ID_KEYS)}")
        values: dict[str, Any] = {}
        for a in attrs.fields(cls):
            keys = a.metadata.get("keys")
            if not keys:
                continue
            for key in keys:
                value = node.get(key)
                if a.type in ("dt.datetime | None", dt.datetime):
                    try:
                        value = parse_date(value)
                    except (ValueError, TypeError):
                        value = None
                else:
                    value = _text(value)
                if value is not None:
                    values[a.name] = value
                    break
        return cls(id=found, raw=dict(node), **values)


@attrs.frozen(kw_only=True, repr=False)
class PulledTweet(PulledItem):
    ID_KEYS: ClassVar[tuple[str, ...]] = ("tweet_id", "post_id", "id")

    text: str | None = attrs.field(default=None, metadata=_keys("text", "message"))
    date_creation: dt.datetime | None = attrs.field(
        default=None, metadata=_keys("date_creation", "created_at", "date")
    )
    location: str | None = attrs.field(
        default=None, metadata=_keys("tweet_location", "post_location", "url")
    )


@attrs.frozen(kw_only=True, repr=False)
class PulledPost(PulledItem):
    """A post of a Facebook profile, page or group, or of a LinkedIn member or company."""

    ID_KEYS: ClassVar[tuple[str, ...]] = ("post_id", "id")

    message: str | None = attrs.field(default=None, metadata=_keys("message", "text"))
    link: str | None = attrs.field(default=None, metadata=_keys("link"))
    picture: str | None = attrs.field(default=None, metadata=_keys("picture", "picture_url"))
    date_creation: dt.datetime | None = attrs.field(
        default=None, metadata=_keys("date_creation", "created_time", "date")
    )
    location: str | None = attrs.field(
        default=None, metadata=_keys("post_location", "permalink", "url")
    )


@attrs.frozen(kw_only=True, repr=False)
class PulledPage(PulledItem):
    """A Facebook page the user administers (its id is what ``publish_page_post`` takes)."""

    ID_KEYS: ClassVar[tuple[str, ...]] = ("page_id", "id")

    name: str | None = attrs.field(default=None, metadata=_keys("name"))
    category: str | None = attrs.field(default=None, metadata=_keys("category"))
    link: str | None = attrs.field(default=None, metadata=_keys("link", "url"))


@attrs.frozen(kw_only=True, repr=False)
class PulledGroup(PulledItem):
    ID_KEYS: ClassVar[tuple[str, ...]] = ("group_id", "id")

    name: str | None = attrs.field(default=None, metadata=_keys("name"))
    privacy: str | None = attrs.field(default=None, metadata=_keys("privacy"))
    link: str | None = attrs.field(default=None, metadata=_keys("link", "url"))


@attrs.frozen(kw_only=True, repr=False)
class PulledLike(PulledItem):
    ID_KEYS: ClassVar[tuple[str, ...]] = ("like_id", "page_id", "id")

    name: str | None = attrs.field(default=None, metadata=_keys("name"))
    category: str | None = attrs.field(default=None, metadata=_keys("category"))
    link: str | None = attrs.field(default=None, metadata=_keys("link", "url"))


@attrs.frozen(kw_only=True, repr=False)
class PulledCompany(PulledItem):
    ID_KEYS: ClassVar[tuple[str, ...]] = ("company_id", "id")

    name: str | None = attrs.field(default=None, metadata=_keys("name"))
    link: str | None = attrs.field(default=None, metadata=_keys("link", "url"))


@attrs.frozen(kw_only=True, repr=False)
class PulledBoard(PulledItem):
    ID_KEYS: ClassVar[tuple[str, ...]] = ("board_id", "id")

    name: str | None = attrs.field(default=None, metadata=_keys("name"))
    description: str | None = attrs.field(default=None, metadata=_keys("description"))
    link: str | None = attrs.field(default=None, metadata=_keys("board_location", "url", "link"))


@attrs.frozen(kw_only=True, repr=False)
class PulledPin(PulledItem):
    ID_KEYS: ClassVar[tuple[str, ...]] = ("pin_id", "id")

    description: str | None = attrs.field(default=None, metadata=_keys("description", "note"))
    link: str | None = attrs.field(default=None, metadata=_keys("link"))
    picture: str | None = attrs.field(default=None, metadata=_keys("picture", "image_url"))
    board: str | None = attrs.field(default=None, metadata=_keys("board", "board_id"))
    date_creation: dt.datetime | None = attrs.field(
        default=None, metadata=_keys("date_creation", "created_at")
    )
    location: str | None = attrs.field(default=None, metadata=_keys("pin_location", "url"))


@attrs.frozen(kw_only=True, repr=False)
class PulledVideo(PulledItem):
    ID_KEYS: ClassVar[tuple[str, ...]] = ("video_id", "id")

    title: str | None = attrs.field(default=None, metadata=_keys("title"))
    description: str | None = attrs.field(default=None, metadata=_keys("description"))
    date_creation: dt.datetime | None = attrs.field(
        default=None, metadata=_keys("date_creation", "published_at")
    )
    location: str | None = attrs.field(default=None, metadata=_keys("video_location", "url"))


def list_entries(data: Any, key: str) -> tuple[list[Any], Mapping[str, Any]]:
    """The raw entries under ``data[key]`` and the node holding them (for its pagination)."""
    node: Any = data.get(key, data) if isinstance(data, Mapping) else data
    if isinstance(node, list):
        return node, {}
    if not isinstance(node, Mapping):
        return [], {}
    for name in ("entries", key, key.rstrip("s")):
        value = node.get(name)
        if isinstance(value, list):
            return value, node
    return [], node


@attrs.frozen(kw_only=True, repr=False)
class PullList(Generic[T]):
    """The items of a Pull resource that is not paged (newest first, as OneAll lists them)."""

    __repr__ = fields_repr

    items: tuple[T, ...] = ()
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)
    envelope: Envelope = attrs.field(default=_NOT_FROM_AN_ANSWER, repr=False, eq=False)

    @classmethod
    def read(cls, data: Any, key: str, item: type[T]) -> PullList[T]:
        entries, _ = list_entries(data, key)
        items = []
        for raw in entries:
            try:
                items.append(item.from_data(raw))
            except ValueError:
                continue  # an item without an id cannot be used
        return cls(items=tuple(items), raw=dict(data) if isinstance(data, Mapping) else {})

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> T:
        return self.items[index]
