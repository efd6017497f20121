"""What an error says about the request that raised it: may it have been processed, and may it
be sent again? Shared by fan-out reports and the CLI's exit codes."""

from __future__ import annotations

from . import errors

__all__ = ["is_retryable", "is_unknown_outcome"]


def is_unknown_outcome(error: BaseException) -> bool:
    """The request may have been processed (or the thing is on X): check before sending again."""
    return isinstance(
        error,
        (
            errors.OutcomeUnknownError,
            errors.PublishedButIncompleteError,
            errors.MediaAfterFinalizeError,
            errors.JobTimeoutError,
            errors.MediaProcessingTimeoutError,
        ),
    )


def is_retryable(error: BaseException) -> bool:
    """Provably not processed, and sending it again may succeed: a connect failure, a 429
    (not a usage cap), a 503 with Retry-After."""
    if isinstance(error, errors.ConnectError):
        return True
    if isinstance(error, errors.XUsageCappedError):
        return False
    if isinstance(error, errors.RateLimitError):
        return True
    return isinstance(error, errors.ServiceUnavailableError) and error.retry_after is not None
