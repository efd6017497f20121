"""The sandbox's memory: identities, what was published, requests seen, callbacks sent.

Every method takes the lock, so a test thread can inspect or change the state while the
sandbox's own event loop (often in another thread) serves requests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import attrs

from ..endpoints import PROVIDERS
from ._account_state import AccountBook
from ._faults import FaultDecision, FaultRule, FaultSet, Phase
from ._ids import IdFactory, identity_token

__all__ = ["CallbackLog", "Identity", "PushRecord", "RequestLog", "SandboxState"]

T = TypeVar("T")

_SCREEN_NAMES = {
    "facebook": "Sandy Box",
    "linkedin": "Sandy Box",
    "pinterest": "sandybox",
    "twitter": "SandyBox",
    "youtube": "Sandy Box",
}


@attrs.frozen(kw_only=True)
class Identity:
    token: str
    provider: str
    name: str

    def to_dict(self) -> dict[str, Any]:
        return {"identity_token": self.token, "provider": self.provider, "name": self.name}


@attrs.define(kw_only=True)
class PushRecord:
    """One accepted Push request. Async uploads move from ``queued`` to ``completed``/``failed``."""

    seq: int
    endpoint: str
    provider: str
    identity_token: str
    resource: str
    path_params: dict[str, str]
    payload: dict[str, Any]
    date: str
    status: str = "published"
    result: dict[str, Any] = attrs.Factory(dict)
    error: str | None = None
    # Edits through the Update API (a delete sets ``status`` to "deleted").
    edits: int = 0
    # An async upload's video id, drawn when the upload is accepted (so ids depend on the seed
    # and the order of requests only, never on callback timing) and published on completion.
    planned_video_id: str | None = attrs.field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self, filter=lambda a, _: a.name != "planned_video_id")


@attrs.frozen(kw_only=True)
class RequestLog:
    seq: int
    method: str
    path: str
    endpoint: str | None
    status: int
    outcome: str  # "ok", "rejected", "fault", "reset-before", "reset-after", "error"
    fault: str = ""
    info: str = ""

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.define(kw_only=True)
class CallbackLog:
    seq: int
    record: int
    url: str | None
    body: dict[str, Any]
    mode: str = "normal"  # normal, duplicate, delay, reorder, never (a failure is "normal")
    delivered: int = 0
    # When its first delivery was attempted: 1 for the first POST to any receiver since the
    # last reset, 2 for the next... (None before any delivery). Shows the order of delivery.
    delivery_seq: int | None = None
    # True once every planned delivery was attempted (at once for "never" or no callback_url).
    finished: bool = False
    http_status: int | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


class SandboxState:
    def __init__(
        self,
        *,
        seed: int,
        identities_per_provider: int,
        faults: Iterable[FaultRule] = (),
    ) -> None:
        self.seed = seed
        self._identities_per_provider = identities_per_provider
        self._initial_faults = tuple(faults)
        self._cond = threading.Condition()
        # Accepted asynchronous uploads whose callback work is not over (kept across resets:
        # the tasks of a reset's stale uploads still run, to notice the reset and stop).
        self.pending_uploads = 0
        self._init()

    def _init(self) -> None:
        self.ids = IdFactory(self.seed)
        # Tokens of identities added without one: a stream of their own, so adding one does not
        # shift the ids of later results.
        self.identity_ids = IdFactory(self.seed, stream="identities")
        self.identities: dict[str, Identity] = {}
        # Users, logins and sharing messages; the configured identities belong to one user.
        # (identities added without a login join the first user too).
        self.accounts = AccountBook(self.seed)
        self.first_user = self.accounts.new_user()
        for provider in PROVIDERS:
            for index in range(1, self._identities_per_provider + 1):
                self._add_identity(provider, identity_token(provider, index), None)
        self.records: list[PushRecord] = []
        self.requests: list[RequestLog] = []
        self.callbacks: list[CallbackLog] = []
        self.sink: list[dict[str, Any]] = []
        self.deliveries = 0
        # True between Sandbox.hold_callbacks() and release_callbacks().
        self.callbacks_held = False
        # Picture and video ids issued per identity (what a tweet may attach).
        self.media: dict[str, set[str]] = {}
        self.faults = FaultSet(self.seed)
        for rule in self._initial_faults:
            self.faults.add(rule)
        self.generation = getattr(self, "generation", 0) + 1

    # --- locking helpers -----------------------------------------------------------------

    def locked(self, fn: Callable[[], T]) -> T:
        with self._cond:
            result = fn()
            self._cond.notify_all()
            return result

    def wait_for(self, predicate: Callable[[], T | None], timeout: float) -> T:
        """Block until ``predicate()`` is truthy (checked under the lock); TimeoutError if not."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                value = predicate()
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"sandbox condition not met within {timeout:g} s")
                self._cond.wait(remaining)

    # --- identities ----------------------------------------------------------------------

    def _add_identity(self, provider: str, token: str | None, name: str | None) -> Identity:
        if provider not in PROVIDERS:
            raise ValueError(f"unknown provider {provider!r}; known: {', '.join(PROVIDERS)}")
        token = token or self.identity_ids.uuid()
        if token in self.identities:
            raise ValueError(f"identity {token} already exists")
        identity = Identity(token=token, provider=provider, name=name or _SCREEN_NAMES[provider])
        self.identities[token] = identity
        self.accounts.attach(token, self.first_user)
        return identity

    def add_identity(
        self, provider: str, token: str | None = None, name: str | None = None
    ) -> Identity:
        return self.locked(lambda: self._add_identity(provider, token, name))

    def identity(self, token: str) -> Identity | None:
        with self._cond:
            return self.identities.get(token)

    def tokens(self, provider: str) -> list[str]:
        with self._cond:
            return [i.token for i in self.identities.values() if i.provider == provider]

    # --- faults --------------------------------------------------------------------------

    def decide(
        self,
        endpoint_id: str,
        *,
        phase: Phase,
        async_upload: bool,
        provider: str | None = None,
        provider_rules_only: bool = False,
    ) -> FaultDecision:
        with self._cond:
            return self.faults.decide(
                endpoint_id,
                phase=phase,
                async_upload=async_upload,
                provider=provider,
                provider_rules_only=provider_rules_only,
            )

    def add_fault(self, rule: FaultRule) -> int:
        return self.locked(lambda: self.faults.add(rule))

    def remove_fault(self, serial: int) -> bool:
        return self.locked(lambda: self.faults.remove(serial))

    def clear_faults(self) -> None:
        self.locked(self.faults.clear)

    def describe_faults(self) -> list[dict[str, Any]]:
        with self._cond:
            return self.faults.describe()

    # --- records -------------------------------------------------------------------------

    def log_request(self, **fields: Any) -> RequestLog:
        def add() -> RequestLog:
            entry = RequestLog(seq=len(self.requests) + 1, **fields)
            self.requests.append(entry)
            return entry

        return self.locked(add)

    def add_record(self, **fields: Any) -> PushRecord:
        def add() -> PushRecord:
            record = PushRecord(seq=len(self.records) + 1, **fields)
            self.records.append(record)
            return record

        return self.locked(add)

    def unknown_media(self, identity_token: str, ids: Iterable[str]) -> list[str]:
        with self._cond:
            issued = self.media.get(identity_token, set())
            return [i for i in ids if i not in issued]

    def published_tweet(self, identity_token: str, message: str) -> bool:
        """True if this identity already tweeted ``message`` (Twitter refuses duplicates)."""
        text = message.strip()
        with self._cond:
            return any(
                r.identity_token == identity_token
                and r.endpoint == "twitter.publish_tweet"
                and r.status == "published"
                and str(r.payload.get("message", "")).strip() == text
                for r in self.records
            )

    def reset(self) -> None:
        """Back to the start: initial identities and faults, nothing published, ids reseeded."""
        self.locked(self._init)
