"""The generator's clock and dice: HubSpot's timestamp text from cached pieces, and cheap seeded draws."""

from __future__ import annotations

from bisect import bisect
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from math import log
from random import Random
from typing import TypeVar

T = TypeVar("T")
MINUTE, HOUR, DAY = 60_000, 3_600_000, 86_400_000
ANCHOR = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp()) * 1000  # the "now" of every portal
SPAN = 548 * DAY  # 18 months of history before ANCHOR
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TIMES: list[str] = []  # "Thh:mm:ss." of every second of a day, built on first use (not at import: every CLI start)
_MILLIS = [f"{ms:03d}Z" for ms in range(1000)]
_DATES: dict[int, str] = {}


def iso(ms: int) -> str:
    """Epoch milliseconds as HubSpot formats datetimes, from cached pieces (called about a million times)."""
    if not _TIMES:
        _TIMES.extend(f"T{h:02d}:{m:02d}:{s:02d}." for h in range(24) for m in range(60) for s in range(60))
    day, rest = divmod(ms, DAY)
    date = _DATES.get(day) or _DATES.setdefault(day, (_EPOCH + timedelta(days=day)).strftime("%Y-%m-%d"))
    return date + _TIMES[rest // 1000] + _MILLIS[rest % 1000]


class Rng(Random):
    """`Random(seed)` plus the draws made millions of times, several times cheaper than the stdlib ones."""

    def pick(self, seq: Sequence[T]) -> T:
        return seq[int(self.random() * len(seq))]

    def below(self, n: int) -> int:
        return int(self.random() * n)

    def wait(self, mean: float) -> int:
        """A gamma(2) duration: rarely near zero, sometimes a few times the mean."""
        return int(-log((1.0 - self.random()) * (1.0 - self.random())) * mean / 2)

    def weighted(self, weights: Mapping[str, float]) -> Callable[[], str]:
        keys, cum = list(weights), list(accumulate(weights.values()))
        return lambda: keys[bisect(cum, self.random() * cum[-1])]
