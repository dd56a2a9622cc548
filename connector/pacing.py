"""Client-side pacing, so HubSpot's budgets are respected before a 429, not after.

One :class:`Pacer` is shared by every call of a client. It keeps its own rolling windows (the
10-second budget for most calls, the per-second limit of search) and reads the
``X-HubSpot-RateLimit-*`` headers of every answer: the budget it paces to is the portal's real one
(``-Max``), and ``-Remaining`` tells it when other work on the same app already used some. The
daily quota is guarded with a reserve, so other integrations of the portal keep working.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .errors import DailyLimitReached

DEFAULT_BUDGET = 100  # HubSpot's smallest 10-second budget, until an answer tells the real one
INTERVAL_SECONDS = 10.0
SEARCH_PER_SECOND = 4  # HubSpot allows 5 per second per account; one is left to others


class Pacer:
    def __init__(self, *, daily_reserve: float = 0.2, time_zone: str = "UTC",
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 wall_clock: Callable[[], float] = time.time, search_per_second: int | None = None) -> None:
        if not 0 <= daily_reserve < 1:
            raise ValueError("daily_reserve is a share of the daily limit, from 0 to below 1")
        self.daily_reserve = daily_reserve
        self.search_per_second = search_per_second or SEARCH_PER_SECOND
        self.time_zone = time_zone
        self.budget = DEFAULT_BUDGET
        self.interval = INTERVAL_SECONDS
        self._clock, self._sleep, self._wall_clock = clock, sleep, wall_clock
        self._sent: deque[float] = deque()
        self._searches: deque[float] = deque()
        self._server_remaining: int | None = None
        self._daily: tuple[int, int] | None = None  # (limit, remaining) from the last answer
        self._lock = threading.Lock()
        self.waited = 0.0

    def acquire(self, search: bool = False) -> None:
        """Block until one more request fits the budgets; raise when the daily reserve is reached."""
        self._check_daily()
        while True:
            with self._lock:
                now = self._clock()
                wait = self._search_wait(now) if search else self._interval_wait(now)
                if wait <= 0:
                    (self._searches if search else self._sent).append(now)
                    if not search and self._server_remaining is not None:
                        self._server_remaining -= 1
                    return
            self.waited += wait
            self._sleep(wait)

    def _interval_wait(self, now: float) -> float:
        _expire(self._sent, now - self.interval)
        used = len(self._sent)
        if used < self.budget - 1 and (self._server_remaining is None or self._server_remaining > 1):
            return 0.0
        if not self._sent:  # the server reports its budget spent by others: let a window pass
            self._server_remaining = None
            return self.interval / max(self.budget, 1)
        return self._sent[0] + self.interval - now

    def _search_wait(self, now: float) -> float:
        _expire(self._searches, now - 1.0)
        if len(self._searches) < self.search_per_second:
            return 0.0
        return self._searches[0] + 1.0 - now

    def observe(self, headers: Mapping[str, str]) -> None:
        """Learn the budgets from an answer's rate-limit headers (search answers carry none)."""
        with self._lock:
            budget = _int(headers.get("X-HubSpot-RateLimit-Max"))
            if budget:
                self.budget = budget
            interval_ms = _int(headers.get("X-HubSpot-RateLimit-Interval-Milliseconds"))
            if interval_ms:
                self.interval = interval_ms / 1000
            remaining = _int(headers.get("X-HubSpot-RateLimit-Remaining"))
            if remaining is not None:
                self._server_remaining = remaining
            daily, daily_remaining = (_int(headers.get("X-HubSpot-RateLimit-Daily")),
                                      _int(headers.get("X-HubSpot-RateLimit-Daily-Remaining")))
            if daily and daily_remaining is not None:
                self._daily = (daily, daily_remaining)

    def _check_daily(self) -> None:
        if self._daily is None:
            return
        limit, remaining = self._daily
        if remaining < limit * self.daily_reserve:
            raise DailyLimitReached(
                f"stopping before the daily API quota falls below the reserve of {self.daily_reserve:.0%} "
                f"({remaining} of {limit} requests left); it resets at {self.daily_reset()}",
                category="QUOTA_RESERVE")

    def daily_reset(self) -> str:
        """When HubSpot's daily count starts again: midnight in the account's time zone."""
        zone = ZoneInfo(self.time_zone)
        now = datetime.fromtimestamp(self._wall_clock(), zone)
        midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), zone)
        return f"{midnight:%Y-%m-%d %H:%M} {self.time_zone}"


def _expire(window: deque[float], before: float) -> None:
    while window and window[0] <= before:
        window.popleft()


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
