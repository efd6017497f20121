"""Standalone callback servers (kept import path; they live in :mod:`oneall_push._io`)."""

from .._io._callback_server import AsyncCallbackServer, SyncCallbackServer

__all__ = ["AsyncCallbackServer", "SyncCallbackServer"]
