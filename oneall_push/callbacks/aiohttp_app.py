"""The aiohttp callback receiver (kept import path; it lives in :mod:`oneall_push._io`)."""

from .._io._aiohttp_receiver import HANDLER_KEY, callback_view, make_callback_app

__all__ = ["HANDLER_KEY", "callback_view", "make_callback_app"]
