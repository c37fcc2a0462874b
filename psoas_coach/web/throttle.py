"""Failed-login throttling: too many wrong passwords lock an e-mail address (and a client) out.

Every failed login counts against the e-mail address tried and against the client's address.
When either has ``max_failures`` failures in the last ``window_s`` seconds (the client gets
:data:`CLIENT_FACTOR` times as many, as one person may mistype several accounts), further
attempts are refused, before any password is checked, until the oldest failure leaves the
window. A successful login clears its e-mail address. Counts live in the server's memory: a
restart forgets them, which is fine for a guard against guessing.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Final

#: A client address may fail this many times more than one e-mail address.
CLIENT_FACTOR: Final[int] = 4
#: Keys kept before old ones are swept (bounds memory under a flood of made-up addresses).
_SWEEP_ABOVE: Final[int] = 10_000


class LoginThrottle:
    """Sliding-window counts of failed logins per key; thread-safe."""

    def __init__(
        self,
        max_failures: int,
        window_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_failures < 1 or window_s <= 0:
            raise ValueError("max_failures must be at least 1 and window_s above 0")
        self.max_failures = max_failures
        self.window_s = window_s
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after_s(self, email: str, client: str | None) -> float:
        """Seconds until ``email`` from ``client`` may try again; 0 when it may now."""
        now = self._clock()
        with self._lock:
            waits = [self._wait(key, limit, now) for key, limit in self._limits(email, client)]
        return max(waits)

    def failed(self, email: str, client: str | None) -> None:
        """Count one failed login of ``email`` from ``client``."""
        now = self._clock()
        with self._lock:
            if len(self._failures) > _SWEEP_ABOVE:
                self._sweep(now)
            for key, _ in self._limits(email, client):
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, email: str) -> None:
        """Forget the failures of ``email`` (its owner knows the password)."""
        with self._lock:
            self._failures.pop(_email_key(email), None)

    def _limits(self, email: str, client: str | None) -> Iterable[tuple[str, int]]:
        yield _email_key(email), self.max_failures
        if client:
            yield f"client:{client}", self.max_failures * CLIENT_FACTOR

    def _wait(self, key: str, limit: int, now: float) -> float:
        times = self._failures.get(key)
        if not times:
            return 0.0
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if len(times) < limit:
            return 0.0
        return times[-limit] + self.window_s - now

    def _sweep(self, now: float) -> None:
        old = [k for k, t in self._failures.items() if not t or t[-1] <= now - self.window_s]
        for key in old:
            del self._failures[key]


def _email_key(email: str) -> str:
    return "email:" + email.strip().casefold()


def retry_message(wait_s: float) -> str:
    """The one-line answer to a locked-out login."""
    minutes = max(1, math.ceil(wait_s / 60.0))
    unit = "minute" if minutes == 1 else "minutes"
    return f"too many failed logins: try again in {minutes} {unit}"
