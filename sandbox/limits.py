"""HubSpot's rate limits (API notes, section 14) and the sandbox's seeded fault injection."""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from .errors import ApiError, rate_limited

INTERVAL_MS = 10_000
SEARCH_PER_SECOND = 5
UNTHROTTLED = (1_000_000, 1_000_000)  # reported where no tier is named: a client never waits for the sandbox


class RateLimiter:
    """A rolling 10-second budget, search's own per-second limit, and the daily count.

    ``limits`` are the portal's (its tier's, or :data:`UNTHROTTLED`): what the headers report. With
    ``per_ten_seconds`` None nothing is enforced (tests and benchmarks want an unthrottled sandbox), but
    the headers still report the limits, as every HubSpot answer carries them, so a client paces to a
    tier's real budget. ``per_ten_seconds`` overrides the 10-second budget and enforces it, with
    search's per-second limit and the daily limit.
    """

    def __init__(self, per_ten_seconds: int | None, time_zone: str = "UTC",
                 clock: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], float] = time.time, *, limits: tuple[int, int] = UNTHROTTLED) -> None:
        self.max = per_ten_seconds
        self.limits = limits  # replaced whole when the portal's tier changes
        self._zone = ZoneInfo(time_zone)
        self._clock, self._wall_clock = clock, wall_clock
        self._window: deque[float] = deque()  # requests in the last 10 s
        self._second: deque[float] = deque()  # requests in the last second, for the Secondly header
        self._search_window: deque[float] = deque()
        self._day: str | None = None
        self._daily_used = 0
        self.busiest_window = 0  # the most requests seen in one 10-second window, for the stats
        self._lock = threading.Lock()

    def admit(self, search: bool) -> dict[str, str]:
        """Count one request; the headers for its answer, or a 429 ApiError past a budget."""
        with self._lock:
            now = self._clock()
            self._roll_day()
            _expire(self._window, now - INTERVAL_MS / 1000)
            _expire(self._second, now - 1)
            _expire(self._search_window, now - 1)
            if self.max is not None:
                try:
                    self._enforce(search, now)
                except ApiError as e:
                    if not search:
                        e.headers.update(self._headers())
                    raise
            self._daily_used += 1
            if search:
                self._search_window.append(now)
                return {}  # search answers carry no rate-limit headers
            self._window.append(now)
            self._second.append(now)
            self.busiest_window = max(self.busiest_window, len(self._window))
            return self._headers()

    def _headers(self) -> dict[str, str]:
        budget, daily = self.limits
        budget = self.max if self.max is not None else budget
        return {
            "X-HubSpot-RateLimit-Daily": str(daily),
            "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, daily - self._daily_used)),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(INTERVAL_MS),
            "X-HubSpot-RateLimit-Max": str(budget),
            "X-HubSpot-RateLimit-Remaining": str(max(0, budget - len(self._window))),
            "X-HubSpot-RateLimit-Secondly": str(max(1, budget // 10)),
            "X-HubSpot-RateLimit-Secondly-Remaining": str(max(0, budget // 10 - len(self._second))),
        }

    def _enforce(self, search: bool, now: float) -> None:
        assert self.max is not None
        if self._daily_used >= self.limits[1]:
            raise rate_limited("DAILY", "You have reached your daily limit.")
        if search and len(self._search_window) >= SEARCH_PER_SECOND:
            raise rate_limited("SECONDLY", "You have reached your secondly limit.", retry_after=1)
        if not search and len(self._window) >= self.max:
            wait = int(self._window[0] + INTERVAL_MS / 1000 - now) + 1
            raise rate_limited("TEN_SECONDLY_ROLLING", "You have reached your ten_secondly_rolling limit.",
                               retry_after=wait)

    def _roll_day(self) -> None:
        """The daily count resets at midnight in the account's time zone."""
        day = datetime.fromtimestamp(self._wall_clock(), self._zone).date().isoformat()
        if day != self._day:
            self._day, self._daily_used = day, 0


def _expire(window: deque[float], before: float) -> None:
    while window and window[0] <= before:
        window.popleft()


FAULT_KINDS = ("429", "500", "502", "503", "504", "drop", "slow")


class FaultInjector:
    """Seeded faults, so a run against a faulty sandbox can be replayed exactly.

    Request faults and batch-input faults draw from two generators, so changing one rate does
    not reshuffle the other's sequence.
    """

    def __init__(self, fault_rate: float = 0.0, batch_fault_rate: float = 0.0, seed: int = 0,
                 slow_seconds: float = 2.0) -> None:
        self.fault_rate, self.batch_fault_rate, self.slow_seconds = fault_rate, batch_fault_rate, slow_seconds
        self._requests = random.Random(f"requests-{seed}")
        self._inputs = random.Random(f"batch-inputs-{seed}")
        self._lock = threading.Lock()

    def draw(self) -> str | None:
        """The fault for the next request, or None."""
        if not self.fault_rate:
            return None
        with self._lock:
            if self._requests.random() >= self.fault_rate:
                return None
            return self._requests.choice(FAULT_KINDS)

    def input_fails(self) -> bool:
        if not self.batch_fault_rate:
            return False
        with self._lock:
            return self._inputs.random() < self.batch_fault_rate


def injected_error(kind: str) -> ApiError:
    if kind == "429":
        return rate_limited("TEN_SECONDLY_ROLLING", "You have reached your ten_secondly_rolling limit.",
                            retry_after=1)
    return ApiError(int(kind), "INTERNAL_ERROR" if kind == "500" else "SERVICE_UNAVAILABLE",
                    "The server could not complete the request; please retry.")
