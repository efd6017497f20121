"""Reconciling an unknown outcome: did the Push call that raised ``OutcomeUnknownError`` publish?

The client stamps every ``OutcomeUnknownError`` of a Push call with a :class:`PushAttempt`
(endpoint, identity token, when, the payload sent). ``client.reconcile(error)`` looks the post
up with the matching Pull resource and answers one verdict:

- :class:`Published`: exactly one item matches (``result`` is the original call's typed
  result, rebuilt from that item; ``item`` the Pull item);
- :class:`NotPublished`: the Pull resource lists no match: safe to send again;
- :class:`Undecidable`: no Pull resource shows what the endpoint publishes, several items
  match, or the lookup itself failed (``reason`` says which).

Matching rules (the same for both halves): an item matches when its text fields equal the
payload's (``message``/``text``, and ``link``, ``description``, ``picture`` when the payload
sent them), and it is not dated more than ``RECONCILE_SKEW`` seconds before the attempt (an
undated item is a candidate). Reconciling never publishes anything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import attrs

from ._repr import fields_repr
from .models import results as rs
from .models.pull import PulledItem

__all__ = [
    "RECONCILE_SKEW",
    "RULES",
    "NotPublished",
    "Published",
    "PushAttempt",
    "ReconcileRule",
    "Undecidable",
    "Verdict",
    "decide",
    "undecidable_without_rule",
    "verdict_from_dict",
]

# Clocks of the client and of OneAll differ, and Pull dates have one-second resolution: an item
# dated up to this many seconds before the attempt still counts as a candidate.
RECONCILE_SKEW = 120.0


@attrs.frozen(kw_only=True, repr=False)
class PushAttempt:
    """What a Push call sent, stamped on its ``OutcomeUnknownError`` (``error.push_attempt``)."""

    __repr__ = fields_repr

    endpoint: str
    identity_token: str = attrs.field(repr=False)
    path_params: Mapping[str, str] = attrs.field(repr=False)
    payload: Mapping[str, Any]
    attempted_at: dt.datetime


@attrs.frozen(kw_only=True)
class ReconcileRule:
    """How one Push row is looked up: the Pull row, its path and query, the fields to match."""

    pull: str
    path: Callable[[PushAttempt], tuple[str, ...]]
    match: tuple[str, ...]
    query: Mapping[str, Any] = attrs.field(factory=dict)


def _identity(a: PushAttempt) -> tuple[str, ...]:
    return (a.identity_token,)


def _with(key: str, where: Literal["payload", "path"]) -> Callable[[PushAttempt], tuple[str, ...]]:
    def path(a: PushAttempt) -> tuple[str, ...]:
        source = a.payload if where == "payload" else a.path_params
        return (a.identity_token, str(source.get(key, "")))

    return path


_POST = ("message", "link")
RULES: dict[str, ReconcileRule] = {
    # Twitter refuses a duplicate text, so the text is a key; 50 newest tweets are enough.
    "twitter.publish_tweet": ReconcileRule(
        pull="twitter.list_tweets", path=_identity, match=("message",), query={"num_tweets": 50}
    ),
    "facebook.publish_page_post": ReconcileRule(
        pull="facebook.list_page_posts", path=_with("id", "payload"), match=_POST
    ),
    "facebook.publish_group_post": ReconcileRule(
        pull="facebook.list_group_posts", path=_with("id", "payload"), match=_POST
    ),
    "linkedin.publish_user_post": ReconcileRule(
        pull="linkedin.list_user_posts", path=_identity, match=_POST
    ),
    "linkedin.publish_company_post": ReconcileRule(
        pull="linkedin.list_company_posts", path=_with("company", "payload"), match=_POST
    ),
    "pinterest.publish_pin": ReconcileRule(
        pull="pinterest.list_board_pins",
        path=_with("board_id", "path"),
        match=("description", "link", "picture"),
    ),
}

# The payload key -> the Pull item attribute holding it.
_ITEM_FIELD = {"message": ("text", "message"), "link": ("link",), "description": ("description",),
               "picture": ("picture",)}  # fmt: skip


@attrs.frozen(kw_only=True, repr=False)
class Published:
    """It went out: do not send it again."""

    __repr__ = fields_repr

    endpoint: str
    item: PulledItem
    # The original call's typed result (PostResult, PinResult), rebuilt from the Pull item.
    result: rs.Result | None = None
    kind: Literal["published"] = "published"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "endpoint": self.endpoint, "id": self.item.id}


@attrs.frozen(kw_only=True, repr=False)
class NotPublished:
    """The Pull resource lists no match: safe to send again."""

    __repr__ = fields_repr

    endpoint: str
    checked: str
    kind: Literal["not_published"] = "not_published"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "endpoint": self.endpoint, "checked": self.checked}


@attrs.frozen(kw_only=True, repr=False)
class Undecidable:
    """No answer: ``reason`` says why. Check by hand before sending again."""

    __repr__ = fields_repr

    endpoint: str | None
    reason: str
    error: BaseException | None = attrs.field(default=None, eq=False)
    kind: Literal["undecidable"] = "undecidable"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "endpoint": self.endpoint, "reason": self.reason}


Verdict = Published | NotPublished | Undecidable


def verdict_from_dict(document: Any) -> Verdict | None:
    """A verdict read back from its ``to_dict`` form (a Published keeps the item's id only)."""
    if not isinstance(document, Mapping):
        return None
    kind, endpoint = document.get("kind"), document.get("endpoint")
    endpoint = endpoint if isinstance(endpoint, str) else ""
    if kind == "published":
        return Published(endpoint=endpoint, item=PulledItem(id=str(document.get("id", ""))))
    if kind == "not_published":
        return NotPublished(endpoint=endpoint, checked=str(document.get("checked", "")))
    if kind == "undecidable":
        return Undecidable(endpoint=endpoint or None, reason=str(document.get("reason", "")))
    return None


def undecidable_without_rule(error: BaseException) -> Undecidable | None:
    """The verdict when there is nothing to look up (None when a lookup can decide)."""
    attempt = getattr(error, "push_attempt", None)
    endpoint = getattr(error, "endpoint", None)
    if not isinstance(attempt, PushAttempt):
        return Undecidable(
            endpoint=endpoint if isinstance(endpoint, str) else None,
            reason="the error carries no Push attempt (not an unknown outcome of a Push call)",
        )
    if attempt.endpoint not in RULES:
        return Undecidable(
            endpoint=attempt.endpoint,
            reason=f"no Pull resource shows what {attempt.endpoint} publishes",
        )
    return None


def _field(item: PulledItem, key: str) -> Any:
    for name in _ITEM_FIELD.get(key, (key,)):
        if hasattr(item, name):
            return getattr(item, name)
    return None


def _same(sent: Any, listed: Any) -> bool:
    if isinstance(sent, str) and isinstance(listed, str):
        return " ".join(sent.split()) == " ".join(listed.split())
    return bool(sent == listed)


def matches(rule: ReconcileRule, attempt: PushAttempt, item: PulledItem) -> bool:
    """The item's fields equal what the attempt sent, and it is not older than the attempt."""
    date = getattr(item, "date_creation", None)
    if (
        isinstance(date, dt.datetime)
        and date.tzinfo is not None
        and (attempt.attempted_at - date).total_seconds() > RECONCILE_SKEW
    ):
        return False
    sent_any = False
    for key in rule.match:
        sent = attempt.payload.get(key)
        if sent is None:
            continue
        sent_any = True
        if not _same(sent, _field(item, key)):
            return False
    return sent_any


def too_old(attempt: PushAttempt, items: Sequence[PulledItem]) -> bool:
    """True when the last item of a newest-first page predates the attempt's window (no later
    page can hold the post)."""
    if not items:
        return True
    date = getattr(items[-1], "date_creation", None)
    if not isinstance(date, dt.datetime) or date.tzinfo is None:
        return False
    return (attempt.attempted_at - date).total_seconds() > RECONCILE_SKEW


def decide(attempt: PushAttempt, items: Sequence[PulledItem]) -> Verdict:
    """The verdict from the items the Pull resource listed."""
    rule = RULES[attempt.endpoint]
    found = [i for i in items if matches(rule, attempt, i)]
    if not found:
        return NotPublished(endpoint=attempt.endpoint, checked=rule.pull)
    if len(found) > 1:
        return Undecidable(
            endpoint=attempt.endpoint,
            reason=f"ambiguous: {len(found)} items of {rule.pull} match what was sent",
        )
    [item] = found
    return Published(endpoint=attempt.endpoint, item=item, result=_rebuild(attempt, item))


def _rebuild(attempt: PushAttempt, item: PulledItem) -> rs.Result | None:
    from .endpoints import by_id  # the table loads on first use, not with the client

    row = by_id(attempt.endpoint)
    location = getattr(item, "location", None)
    common: dict[str, Any] = {"provider": row.provider}
    if row.result is rs.PostResult:
        return rs.PostResult(object="post", post_id=item.id, post_location=location, **common)
    if row.result is rs.PinResult:
        return rs.PinResult(object="pin", pin_id=item.id, pin_location=location, **common)
    return None
