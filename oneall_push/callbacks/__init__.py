"""Managed callbacks for asynchronous uploads: signed URLs, receivers and stores."""

from .config import CallbackConfig

__all__ = ["CallbackConfig"]
