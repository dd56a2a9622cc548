"""The SLA clock: working hours between two instants and the deadline after a number of working hours.

March 2026: Monday 2 ... Friday 6, Saturday 7, Sunday 8, Monday 9. Default calendar Mon-Fri 09:00-17:00.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest

from kpi import WorkingHours
from kpi.worktime import add_working_hours, working_hours

DEFAULT = WorkingHours()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(("start", "end", "hours"), [
    # Friday 16:00-17:00 is 1 h, Monday 09:00-10:00 another: the weekend does not count
    pytest.param("2026-03-06 16:00", "2026-03-09 10:00", Fraction(2), id="friday-to-monday"),
    # a Saturday lead counts from Monday 09:00: 09:00-11:30 = 2.5 h
    pytest.param("2026-03-07 11:00", "2026-03-09 11:30", Fraction(5, 2), id="weekend-start"),
    # Tuesday 20:00 is after hours: Wednesday 09:00-09:45 = 0.75 h
    pytest.param("2026-03-03 20:00", "2026-03-04 09:45", Fraction(3, 4), id="evening-start"),
    # before opening on the same day: 09:00-09:20 = 1/3 h, exactly
    pytest.param("2026-03-04 07:00", "2026-03-04 09:20", Fraction(1, 3), id="early-start"),
    # an answer outside hours stops the clock at the close: Monday 16:00-17:00 = 1 h
    pytest.param("2026-03-02 16:00", "2026-03-02 22:00", Fraction(1), id="evening-answer"),
    # Tuesday 13:00 to Thursday 10:00: 4 + 8 + 1 = 13 h
    pytest.param("2026-03-03 13:00", "2026-03-05 10:00", Fraction(13), id="several-days"),
    # 2026 has 261 weekdays (52 weeks plus Thursday 1 January): 261 x 8 h
    pytest.param("2026-01-01 00:00", "2027-01-01 00:00", Fraction(2088), id="a-year"),
    pytest.param("2026-03-09 10:00", "2026-03-09 10:00", Fraction(0), id="empty"),
    pytest.param("2026-03-09 10:00", "2026-03-06 16:00", Fraction(0), id="end-before-start"),
])
def test_working_hours(start, end, hours):
    assert working_hours(at(start), at(end), DEFAULT, "UTC") == hours


def test_holidays_do_not_count():
    # Monday 9 March is a holiday: Friday 16:00-17:00 and Tuesday 09:00-10:00 make 2 h
    calendar = WorkingHours(holidays=frozenset({date(2026, 3, 9)}))
    assert working_hours(at("2026-03-06 16:00"), at("2026-03-10 10:00"), calendar, "UTC") == 2
    assert add_working_hours(at("2026-03-06 16:00"), 8, calendar, "UTC") == at("2026-03-10 16:00")


def test_opening_hours_are_local_across_a_daylight_saving_change():
    # Berlin moves to summer time on Sunday 29 March 2026. Friday 15:00Z is 16:00 CET and Monday 08:00Z is
    # 10:00 CEST: 1 h on Friday plus 1 h on Monday, although 65 h passed and 09:00 moved from 08:00Z to 07:00Z.
    assert working_hours(at("2026-03-27 15:00"), at("2026-03-30 08:00"), DEFAULT, "Europe/Berlin") == 2
    assert add_working_hours(at("2026-03-27 15:00"), 2, DEFAULT, "Europe/Berlin") == at("2026-03-30 08:00")


@pytest.mark.parametrize(("start", "hours", "deadline"), [
    # Friday 16:00 + 8 h: 1 h on Friday, 7 h on Monday -> Monday 16:00
    pytest.param("2026-03-06 16:00", 8, "2026-03-09 16:00", id="over-the-weekend"),
    # a Saturday start runs from Monday 09:00, and 8 h end at Monday's close
    pytest.param("2026-03-07 11:00", Decimal(8), "2026-03-09 17:00", id="weekend-start"),
    pytest.param("2026-03-06 16:45", Decimal("0.5"), "2026-03-09 09:15", id="half-an-hour"),
    pytest.param("2026-03-03 13:00", Fraction(13), "2026-03-05 10:00", id="several-days"),
    pytest.param("2026-03-07 11:00", 0, "2026-03-07 11:00", id="zero"),
])
def test_add_working_hours(start, hours, deadline):
    assert add_working_hours(at(start), hours, DEFAULT, "UTC") == at(deadline)


@pytest.mark.parametrize("hours", [Fraction(1, 3), Fraction(1, 7), Fraction(8), Fraction(41, 2), Decimal("100.25")])
def test_the_deadline_is_the_first_instant_with_enough_hours(hours):
    start = at("2026-03-05 15:10")
    deadline = add_working_hours(start, hours, DEFAULT, "UTC")
    spent = working_hours(start, deadline, DEFAULT, "UTC")
    # exact up to the microsecond the deadline is rounded up to
    assert Fraction(hours) <= spent < Fraction(hours) + Fraction(1, 3_600_000_000)


@pytest.mark.parametrize("calendar", [WorkingHours(weekdays=frozenset()), WorkingHours(weekdays=frozenset({7})),
                                      WorkingHours(start=DEFAULT.end, end=DEFAULT.start)])
def test_a_calendar_without_openings_is_refused(calendar):
    with pytest.raises(ValueError, match="working hours"):
        add_working_hours(at("2026-03-05 15:10"), 1, calendar, "UTC")
