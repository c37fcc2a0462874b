"""Failed-login throttling: too many wrong passwords lock an account out, from one client
address first.

Every failed login counts three ways, each in a sliding window of ``window_s`` seconds:

- the account (e-mail address) *from that client address*: ``max_failures`` lock that account
  out from that address only, so guessing at one account from a club's shared address does not
  lock out the other coaches there, nor the account's owner at home;
- the client address alone, for every account tried from it: :data:`CLIENT_FACTOR` times as
  many lock that address out (someone trying many accounts);
- the account alone, from every address: :data:`ACCOUNT_FACTOR` times as many lock the
  account out everywhere (guessing spread over many addresses).

A locked attempt is refused before any password is checked and is not counted, until the
oldest failure leaves the window. A successful login clears the account's counts (its owner
knows the password). Counts live in the server's memory: a restart forgets them, which is fine
for a guard against guessing.

Sign-ups are limited per client address (:class:`SignupLimit`): every attempt counts, whether
the e-mail had an account or not (the answer must not tell), so nobody can create accounts in
bulk or probe many addresses from one machine.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Final

#: A client address may fail, over all accounts, this many times more than at one account.
CLIENT_FACTOR: Final[int] = 10
#: An account may fail, from all addresses together, this many times more than from one.
ACCOUNT_FACTOR: Final[int] = 4
_CLIENT: Final[str] = "client:"
#: Keys kept before old ones are swept (bounds memory under a flood of made-up addresses).
_SWEEP_ABOVE: Final[int] = 10_000


class WindowCounts:
    """Event times per key within a sliding window of ``window_s`` seconds; not thread-safe
    (its owners lock)."""

    def __init__(self, window_s: float, clock: Callable[[], float]) -> None:
        self.window_s = window_s
        self._clock = clock
        self._times: dict[str, deque[float]] = {}

    def now(self) -> float:
        """The clock's reading, seconds."""
        return self._clock()

    def add(self, key: str, now: float) -> None:
        """Count one event of ``key`` at ``now``."""
        if len(self._times) > _SWEEP_ABOVE:
            self._sweep(now)
        self._times.setdefault(key, deque()).append(now)

    def forget(self, key: str) -> None:
        """Drop every event of ``key``."""
        self._times.pop(key, None)

    def wait_s(self, key: str, limit: int, now: float) -> float:
        """Seconds until ``key`` has fewer than ``limit`` events in the window; 0 when it has."""
        times = self._times.get(key)
        if not times:
            return 0.0
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if len(times) < limit:
            return 0.0
        return times[-limit] + self.window_s - now

    def _sweep(self, now: float) -> None:
        old = [k for k, t in self._times.items() if not t or t[-1] <= now - self.window_s]
        for key in old:
            del self._times[key]


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
        self._failures = WindowCounts(window_s, clock)
        self._lock = threading.Lock()

    def retry_after_s(self, email: str, client: str | None) -> float:
        """Seconds until ``email`` from ``client`` may try again; 0 when it may now."""
        now = self._failures.now()
        with self._lock:
            limits = self._limits(email, client)
            waits = [self._failures.wait_s(key, limit, now) for key, limit in limits]
        return max(waits)

    def failed(self, email: str, client: str | None) -> None:
        """Count one failed login of ``email`` from ``client``."""
        now = self._failures.now()
        with self._lock:
            for key, _ in self._limits(email, client):
                self._failures.add(key, now)

    def succeeded(self, email: str, client: str | None) -> None:
        """Forget the failures of ``email``, from ``client`` and from all addresses (its owner
        knows the password); the client's own count stays."""
        with self._lock:
            for key, _ in self._limits(email, client):
                if not key.startswith(_CLIENT):
                    self._failures.forget(key)

    def _limits(self, email: str, client: str | None) -> Iterable[tuple[str, int]]:
        account = _email_key(email)
        yield f"{account} {_CLIENT}{client or ''}", self.max_failures
        yield account, self.max_failures * ACCOUNT_FACTOR
        if client:
            yield f"{_CLIENT}{client}", self.max_failures * CLIENT_FACTOR


class SignupLimit:
    """At most ``max_per_window`` sign-up attempts per client address in ``window_s`` seconds;
    thread-safe. ``max_per_window`` 0 turns the limit off."""

    def __init__(
        self,
        max_per_window: int,
        window_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_per_window < 0 or window_s <= 0:
            raise ValueError("max_per_window must be at least 0 and window_s above 0")
        self.max_per_window = max_per_window
        self._attempts = WindowCounts(window_s, clock)
        self._lock = threading.Lock()

    def attempt(self, client: str | None) -> float:
        """Count a sign-up attempt from ``client`` and return 0, or return the seconds to wait
        (the attempt is refused and not counted)."""
        if self.max_per_window == 0:
            return 0.0
        key = f"{_CLIENT}{client or ''}"
        now = self._attempts.now()
        with self._lock:
            wait_s = self._attempts.wait_s(key, self.max_per_window, now)
            if wait_s == 0.0:
                self._attempts.add(key, now)
        return wait_s


def _email_key(email: str) -> str:
    return "email:" + email.strip().casefold()


def retry_message(wait_s: float) -> str:
    """The one-line answer to a locked-out login."""
    return f"too many failed logins: {_try_again(wait_s)}"


def signup_retry_message(wait_s: float) -> str:
    """The one-line answer to a refused sign-up."""
    return f"too many sign-ups from this address: {_try_again(wait_s)}"


def _try_again(wait_s: float) -> str:
    minutes = max(1, math.ceil(wait_s / 60.0))
    unit = "minute" if minutes == 1 else "minutes"
    return f"try again in {minutes} {unit}"
