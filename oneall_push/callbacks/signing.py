"""Signed callback URLs: I/O-free, shared by both halves and every receiver.

A callback URL is ``<public_url>/<job_id>?exp=<unix seconds>&sig=<hex>``, where ``sig`` is
HMAC-SHA256 over a version tag, the job id and the expiry, keyed with the first configured
secret. Verification tries every configured secret with :func:`hmac.compare_digest`, so a
secret can be rotated without losing pending callbacks. The endpoint is not part of the URL:
the job record (created before the POST) binds the job id to its endpoint, and verification
needs no store access, so forged requests cost one HMAC and nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, quote

from ..errors import CallbackVerificationError, ConfigurationError, RequestValidationError
from .config import CallbackConfig

__all__ = [
    "EXPIRED",
    "JOB_ID_PATTERN",
    "callback_url",
    "job_id_from_path",
    "new_job_id",
    "redact_signature",
    "sign",
    "verify",
]

_VERSION = b"oneall_push.callback.v1"
# The reason of a correctly signed URL past its expiry (a real but late callback).
EXPIRED = "expired callback URL"
JOB_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,64}")
_SIG = re.compile(r"[0-9a-f]{64}")
# ASCII digits only (str.isdigit() accepts "²", which int() refuses), canonical, bounded.
_EXP = re.compile(r"[1-9][0-9]{0,11}")
# ``sig=`` and any parameter whose name ends like a credential (``token=``, ``api_key=``, ...).
_SECRET_PARAM = re.compile(
    r"(?i)(?<![\w.-])([\w.-]*?(?:sig|signature|token|secret|password|passwd|key)=)[^&\s\"']*"
)


def new_job_id() -> str:
    """A fresh, unguessable job id (32 hex characters)."""
    import uuid  # loads with the first job, not with every importer of redact_signature

    return uuid.uuid4().hex


def sign(secret: bytes, job_id: str, exp: int) -> str:
    """Hex HMAC-SHA256 of the job id and expiry."""
    message = b"\n".join((_VERSION, job_id.encode("ascii"), str(int(exp)).encode("ascii")))
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def callback_url(config: CallbackConfig, job_id: str, *, now: float | None = None) -> str:
    """The signed URL OneAll will POST the result of job ``job_id`` to."""
    if not isinstance(job_id, str) or not JOB_ID_PATTERN.fullmatch(job_id):
        raise RequestValidationError("job_id", "must be 8-64 characters of [A-Za-z0-9_-]")
    exp = int((time.time() if now is None else now) + config.url_ttl)
    if not _EXP.fullmatch(str(exp)):
        # verify() reads at most 12 digits: a URL it would refuse is never handed out.
        raise ConfigurationError(
            f"callback expiry {exp} is out of range (check the clock and url_ttl)"
        )
    base = config.public_url.rstrip("/")
    return f"{base}/{quote(job_id)}?exp={exp}&sig={sign(config.secret[0], job_id, exp)}"


def job_id_from_path(path: str) -> str | None:
    """The job id in a request path (its last non-empty segment), or ``None`` if malformed.

    Accepts a bare job id too, so framework routes that capture ``{job_id}`` can pass it.
    """
    path = path.split("?", 1)[0].rstrip("/")
    candidate = path.rsplit("/", 1)[-1]
    return candidate if JOB_ID_PATTERN.fullmatch(candidate) else None


def redact_signature(text: str) -> str:
    """``...?exp=1&sig=ab12`` -> ``...?exp=1&sig=<redacted>``, for logs and reprs.

    Values of other credential-like parameters (``token=``, ``api_key=``, ``password=``, ...)
    are redacted too: a caller-given callback URL may carry its own.
    """
    return _SECRET_PARAM.sub(r"\1<redacted>", text)


def _single(query: Mapping[str, Any], key: str) -> str | None:
    """The parameter's only value; ``None`` if absent, repeated or not text."""
    # Multi-value mappings (aiohttp ``getall``; werkzeug, Django, Starlette ``getlist``).
    many = getattr(query, "getall", None) or getattr(query, "getlist", None)
    value: Any
    if callable(many):
        try:
            value = list(many(key))
        except KeyError:
            return None
    else:
        value = query.get(key)
    if isinstance(value, (list, tuple)):
        value = value[0] if len(value) == 1 else None
    return value if isinstance(value, str) else None


def verify(
    config: CallbackConfig,
    job_id: str,
    query: str | Mapping[str, str] | Mapping[str, list[str]],
    *,
    now: float | None = None,
) -> None:
    """Check ``exp`` and ``sig`` for ``job_id`` against every configured secret.

    Raises :class:`CallbackVerificationError` (status 403) when the signature is missing,
    malformed or wrong, or the URL has expired (reason :data:`EXPIRED`: the signature was
    right, so the callback is real but late). Nothing here touches the body or a store.
    """
    if not JOB_ID_PATTERN.fullmatch(job_id):
        raise CallbackVerificationError("malformed job id", status=404)
    if isinstance(query, str):
        # Repeated parameters are kept, so they can be refused below.
        parsed: Mapping[str, Any] = parse_qs(query, keep_blank_values=True)
    else:
        parsed = query
    exp_text = _single(parsed, "exp")
    sig = _single(parsed, "sig")
    if exp_text is None or sig is None:
        raise CallbackVerificationError("missing signature")
    if not _SIG.fullmatch(sig) or not _EXP.fullmatch(exp_text):
        raise CallbackVerificationError("malformed signature")
    exp = int(exp_text)
    matched = False
    for secret in config.secret:
        # Every secret is tried: no early exit that would tell which one matched.
        matched |= hmac.compare_digest(sign(secret, job_id, exp), sig)
    if not matched:
        raise CallbackVerificationError("bad signature")
    if exp < (time.time() if now is None else now):
        raise CallbackVerificationError(EXPIRED)
