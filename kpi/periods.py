"""Reporting periods in the portal's time zone, as half-open UTC bounds the mirror's timestamps compare with.

``2026`` (year), ``2026-Q1``, ``2026-03`` (month), ``2026-W10`` (ISO week), ``2026-03-05`` (day). The bounds
are converted, never the data: the mirror stores UTC ISO-8601 text, which compares as time.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

KINDS = ("day", "week", "month", "quarter", "year")
_PATTERNS = [
    (re.compile(r"^(\d{4})$"), "year"),
    (re.compile(r"^(\d{4})-Q([1-4])$"), "quarter"),
    (re.compile(r"^(\d{4})-W(\d{2})$"), "week"),
    (re.compile(r"^(\d{4})-(\d{2})$"), "month"),
    (re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"), "day"),
]


def iso(moment: datetime) -> str:
    """The mirror's timestamp text for an aware datetime."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@dataclass(frozen=True)
class Period:
    kind: str
    first: date  # first local day
    time_zone: str = "UTC"

    @classmethod
    def parse(cls, text: str, time_zone: str = "UTC") -> Period:
        for pattern, kind in _PATTERNS:
            match = pattern.match(text.strip())
            if not match:
                continue
            parts = [int(p) for p in match.groups()]
            try:
                if kind == "year":
                    first = date(parts[0], 1, 1)
                elif kind == "quarter":
                    first = date(parts[0], 3 * parts[1] - 2, 1)
                elif kind == "week":
                    first = date.fromisocalendar(parts[0], parts[1], 1)
                elif kind == "month":
                    first = date(parts[0], parts[1], 1)
                else:
                    first = date(*parts)
            except ValueError:
                break
            return cls(kind, first, time_zone)
        raise ValueError(f"{text!r} is not a period; use 2026, 2026-Q1, 2026-03, 2026-W10 or 2026-03-05")

    @classmethod
    def containing(cls, kind: str, day: date, time_zone: str = "UTC") -> Period:
        if kind == "day":
            return cls(kind, day, time_zone)
        if kind == "week":
            return cls(kind, day - timedelta(days=day.weekday()), time_zone)
        if kind == "month":
            return cls(kind, day.replace(day=1), time_zone)
        if kind == "quarter":
            return cls(kind, date(day.year, 3 * ((day.month - 1) // 3) + 1, 1), time_zone)
        if kind == "year":
            return cls(kind, date(day.year, 1, 1), time_zone)
        raise ValueError(f"period kind must be one of {', '.join(KINDS)}")

    @classmethod
    def last_complete(cls, kind: str, now: datetime, time_zone: str = "UTC") -> Period:
        """The last period of this kind that has ended by ``now`` (``--last month``)."""
        today = now.astimezone(ZoneInfo(time_zone)).date()
        return cls.containing(kind, today, time_zone).previous()

    @property
    def end(self) -> date:
        """The first local day after the period."""
        if self.kind == "day":
            return self.first + timedelta(days=1)
        if self.kind == "week":
            return self.first + timedelta(days=7)
        months = {"month": 1, "quarter": 3, "year": 12}[self.kind]
        total = self.first.month - 1 + months
        return date(self.first.year + total // 12, total % 12 + 1, 1)

    def previous(self) -> Period:
        return Period.containing(self.kind, self.first - timedelta(days=1), self.time_zone)

    def next(self) -> Period:
        return Period(self.kind, self.end, self.time_zone)

    def _instant(self, day: date) -> datetime:
        return datetime.combine(day, datetime.min.time(), ZoneInfo(self.time_zone))

    @property
    def start_utc(self) -> datetime:
        return self._instant(self.first).astimezone(UTC)

    @property
    def end_utc(self) -> datetime:
        return self._instant(self.end).astimezone(UTC)

    @property
    def bounds(self) -> tuple[str, str]:
        """[p0, p1) as mirror timestamp text."""
        return iso(self.start_utc), iso(self.end_utc)

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.end - self.first).days)]

    def default_as_of(self, now: datetime) -> datetime:
        """min(p1, now): later events do not count."""
        return min(self.end_utc, now.astimezone(UTC))

    def __str__(self) -> str:
        if self.kind == "year":
            return f"{self.first.year}"
        if self.kind == "quarter":
            return f"{self.first.year}-Q{(self.first.month - 1) // 3 + 1}"
        if self.kind == "week":
            year, week, _ = self.first.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == "month":
            return f"{self.first:%Y-%m}"
        return f"{self.first:%Y-%m-%d}"


def prorate_monthly(per_month: int | Decimal | Fraction, first: date, end: date) -> Fraction:
    """A monthly amount over the days [first, end): each day carries 1/days-in-its-month of its month's amount."""
    total, day, amount = Fraction(0), first, Fraction(per_month)
    while day < end:
        month_days = monthrange(day.year, day.month)[1]
        month_end = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        total += amount * (min(end, month_end) - day).days / month_days
        day = month_end
    return total
