"""Keep callback signatures out of other people's logs.

The receivers in this package never log request lines. A web server that mounts one does:
its access log records ``.../<job_id>?exp=...&sig=...``. Attach
:class:`SignatureRedactingFilter` to that access logger (``aiohttp.access``,
``gunicorn.access``, ``uvicorn.access``, ...) to log ``sig=<redacted>`` instead.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping

from .signing import redact_signature

__all__ = ["SignatureRedactingFilter", "redact_signature"]

# Attributes every LogRecord has; anything else came from ``extra=`` (aiohttp puts the
# request line there too).
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def _redact(value: object) -> object:
    return redact_signature(value) if isinstance(value, str) else value


class SignatureRedactingFilter(logging.Filter):
    """Rewrites ``sig=<hex>`` to ``sig=<redacted>`` in a record's message, arguments and extras.

    Arguments keep their shape (formatters such as uvicorn's unpack them), and mapping
    arguments are edited in place (gunicorn's atoms are a dict subclass).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _redact(record.msg)
        args = record.args
        if isinstance(args, tuple):
            record.args = tuple(_redact(arg) for arg in args)
        elif isinstance(args, MutableMapping):
            for key in list(args):
                value = args[key]
                redacted = _redact(value)
                if redacted != value:
                    args[key] = redacted
        for name, value in list(vars(record).items()):
            if name not in _STANDARD:
                setattr(record, name, _redact(value))
        return True
