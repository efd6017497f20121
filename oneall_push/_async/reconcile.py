"""``client.reconcile(error)``: look an unknown outcome up with the Pull API (never publishes)."""

from __future__ import annotations

from typing import Any

from ..endpoints import account_row
from ..errors import OneAllPushError
from ..models.pull import PulledItem
from ..reconcile import (
    RULES,
    PushAttempt,
    Undecidable,
    Verdict,
    decide,
    too_old,
    undecidable_without_rule,
)
from ._base_client import AsyncBaseClient

__all__ = ["MAX_PAGES", "reconcile"]

# A paged Pull resource is read newest first until its items predate the attempt, at most this
# many pages.
MAX_PAGES = 5


async def reconcile(client: AsyncBaseClient, error: BaseException) -> Verdict:
    """The verdict for ``error`` (see :mod:`oneall_push.reconcile`)."""
    early = undecidable_without_rule(error)
    if early is not None:
        return early
    attempt: PushAttempt = getattr(error, "push_attempt")  # noqa: B009 (checked above)
    rule = RULES[attempt.endpoint]
    try:
        items = await _listed(client, attempt)
    except OneAllPushError as exc:
        return Undecidable(
            endpoint=attempt.endpoint,
            reason=f"the lookup with {rule.pull} failed: {type(exc).__name__}",
            error=exc,
        )
    return decide(attempt, items)


async def _listed(client: AsyncBaseClient, attempt: PushAttempt) -> list[PulledItem]:
    rule = RULES[attempt.endpoint]
    row = account_row(rule.pull)
    method: Any = getattr(getattr(client, row.group), row.name)
    args = rule.path(attempt)
    if not row.paginated:
        listed = await method(*args, **rule.query)
        return list(listed)
    items: list[PulledItem] = []
    paginator = method(*args, **rule.query)
    for number in range(1, MAX_PAGES + 1):
        page = await paginator.page(number)
        items.extend(page.entries)
        if page.is_last or too_old(attempt, page.entries):
            break
    return items
