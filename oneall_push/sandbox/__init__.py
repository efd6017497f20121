"""A faithful, stateful local emulator of the OneAll Push API, built from the endpoint table.

* every row of :mod:`oneall_push.endpoints` is a route, checked with the client's own models;
* HTTP Basic credentials (401), identity tokens per provider (404), payload nodes (400);
* what was published is kept per identity and listed by a JSON inspection API (``/_sandbox``);
* asynchronous uploads answer "queued", then POST the documented callback to ``callback_url``;
* faults (latency, 4xx/5xx, 429 + Retry-After, connection resets, callback misbehaviour) are
  injected by rules, deterministic under a seed.

Start one with ``oneall-push sandbox``, :class:`SandboxThread` (any code, any thread),
:func:`serve` (inside an event loop), or the ``oneall_sandbox`` pytest fixture.
"""

from ._app import QUEUED_TEXT, SUCCESS_INFO, Sandbox, SandboxConfig, envelope
from ._faults import CALLBACK_MODES, FAULT_STATUSES, FaultRule
from ._ids import identity_token
from ._server import SandboxThread, serve

__all__ = [
    "CALLBACK_MODES",
    "FAULT_STATUSES",
    "QUEUED_TEXT",
    "SUCCESS_INFO",
    "FaultRule",
    "Sandbox",
    "SandboxConfig",
    "SandboxThread",
    "envelope",
    "identity_token",
    "serve",
]
