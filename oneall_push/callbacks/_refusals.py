"""Logging of refused callbacks that cannot flood the logs.

Anyone can send requests with a forged signature, so each refusal is logged at INFO and a
WARNING summary is logged at most once per interval. Colour-free and thread-safe.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

__all__ = ["RefusalLog"]


class RefusalLog:
    """Counts refusals; INFO for each, WARNING with the count at most every ``interval`` s."""

    def __init__(
        self,
        logger: logging.Logger,
        *,
        interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._count = 0
        self._next_warning = float("-inf")

    def refused(self, job_id: str, reason: str) -> None:
        self._logger.info("callback for job %s refused: %s", job_id, reason)
        now = self._clock()
        with self._lock:
            self._count += 1
            if now < self._next_warning:
                return
            count, self._count = self._count, 0
            self._next_warning = now + self._interval
        self._logger.warning(
            "%d callback(s) refused since the last report (latest: %s for job %s); "
            "further refusals are logged at INFO for %g s",
            count,
            reason,
            job_id,
            self._interval,
        )
