"""Serializable job records and callback outcomes, shared by both halves and every store."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from .._repr import fields_repr
from .signing import redact_signature

__all__ = ["JobRecord"]


def _redact_url(url: str | None) -> str:
    return "None" if url is None else repr(redact_signature(url))


@attrs.frozen(kw_only=True, repr=False)
class JobRecord:
    """What another process needs to wait on a job: serialize it with :meth:`to_dict`.

    ``callback_url`` (the signed URL, repr-redacted) lives only in the process that made the
    job: :meth:`to_dict` leaves it out and :meth:`from_dict` ignores it.
    """

    __repr__ = fields_repr

    id: str
    endpoint: str
    identity_token: str
    created: dt.datetime
    callback_url: str | None = attrs.field(default=None, repr=_redact_url)
    # False when the caller gave its own callback_url or callbacks are not configured.
    managed: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "endpoint": self.endpoint,
            "identity_token": self.identity_token,
            "created": self.created.isoformat(),
            "managed": self.managed,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JobRecord:
        return cls(
            id=str(data["id"]),
            endpoint=str(data["endpoint"]),
            identity_token=str(data["identity_token"]),
            created=dt.datetime.fromisoformat(str(data["created"])),
            managed=bool(data.get("managed", True)),
        )
