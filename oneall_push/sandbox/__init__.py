"""A faithful, stateful local emulator of the OneAll Push API, built from the endpoint table.

* every row of :mod:`oneall_push.endpoints` is a route, checked with the client's own models;
* HTTP Basic credentials (401), identity tokens per provider (404), payload nodes (400 naming
  the node and the payload key);
* emulation choices where OneAll documents no answer: rows the table marks deprecated (the
  Facebook profile rows, gone since 2018-08-01) get 403, a repeated tweet gets 409, a failed
  upload's callback is an error envelope (``flag`` ``error``, ``code`` 400);
* what was published is kept per identity and listed by a JSON inspection API (``/_sandbox``);
* asynchronous uploads answer "queued", then POST the documented callback to ``callback_url``;
  a ``video_url`` on a host under the reserved ``.invalid`` TLD gets a failure callback;
* faults (latency, 4xx/5xx, Retry-After when a rule sets it, connection resets, callback
  misbehaviour) are injected by rules, deterministic under a seed. Order: connection faults
  (latency and ``reset=before`` only) hit any request; credentials are checked next, so an
  unauthenticated request never uses up a status rule; then status faults, then the checks
  above;
* ids depend on the seed and the order of accepted requests only (an upload's video id is drawn
  when it is accepted, not when its callback is sent; identities added without a token draw
  from a stream of their own);
* tests can order events without timing: ``hold_callbacks()`` / ``release_callbacks()``,
  ``wait_for_idle()``;
* the X API v2 media upload emulator (:class:`~oneall_push.sandbox.xmedia.XMediaSandbox`) is
  mounted under ``/x``: ``Sandbox.x_media`` and ``Sandbox.x_media_url``.

Start one with ``oneall-push sandbox``, :class:`SandboxThread` (any code, any thread),
:func:`serve` (inside an event loop), or the ``oneall_sandbox`` pytest fixture. User guide:
``docs/sandbox.md``.
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
