"""The SLA clock (definitions §2.F2): time that counts only inside working hours, in the portal's time zone.

The clock steps a day at a time: each working day contributes the overlap of [start, end) with its opening
hours, so a lead arriving at night or at a weekend starts counting at the next opening. Opening hours are
local wall-clock times, converted to UTC per day, so a daylight-saving change moves them with the clock.
Results are exact: microseconds as a Fraction of an hour.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from .config import WorkingHours

_HOUR = 3_600_000_000  # microseconds
_MICROSECOND = timedelta(microseconds=1)


def working_hours(start: datetime, end: datetime, hours: WorkingHours, tz: str = "UTC") -> Fraction:
    """Working hours in [start, end) (aware datetimes); 0 when end <= start."""
    if end <= start:
        return Fraction(0)
    total = 0
    for opens, closes in _openings(start, hours, tz):
        if opens >= end:
            break
        low, high = max(opens, start), min(closes, end)
        if high > low:
            total += (high - low) // _MICROSECOND
    return Fraction(total, _HOUR)


def add_working_hours(start: datetime, hours: Fraction | Decimal | int, calendar: WorkingHours,
                      tz: str = "UTC") -> datetime:
    """The deadline: the earliest instant (UTC) by which ``hours`` working hours have run since ``start``.

    Zero hours gives ``start`` itself; a positive amount always ends inside an opening (at its close at the latest).
    """
    needed = math.ceil(Fraction(hours) * _HOUR)
    if needed <= 0:
        return start.astimezone(UTC)
    openings = _openings(start, calendar, tz)
    while True:
        opens, closes = next(openings)
        low = max(opens, start)
        available = (closes - low) // _MICROSECOND if closes > low else 0
        if needed <= available:
            return (low + timedelta(microseconds=needed)).astimezone(UTC)
        needed -= available


def _openings(start: datetime, calendar: WorkingHours, tz: str) -> Iterator[tuple[datetime, datetime]]:
    """UTC (open, close) of every working day from the local day of ``start`` on, without end."""
    if not set(calendar.weekdays) & set(range(7)) or calendar.start >= calendar.end:
        raise ValueError("working hours need at least one weekday and a start before the end")
    if start.tzinfo is None:
        raise ValueError("the SLA clock needs aware datetimes")
    zone = ZoneInfo(tz)
    day: date = start.astimezone(zone).date()
    while True:
        if day.weekday() in calendar.weekdays and day not in calendar.holidays:
            yield (datetime.combine(day, calendar.start, zone).astimezone(UTC),
                   datetime.combine(day, calendar.end, zone).astimezone(UTC))
        day += timedelta(days=1)
