"""SLA follow-up tasks (issue 18) over a hand-built week: Mon-Fri 09:00-17:00 UTC, 8 working hours to the first
follow-up, 5 attempts in 14 days, tasks wanted from 2 working hours before the deadline.

March 2026: Monday 16, Tuesday 17, Wednesday 18 ... Monday 23.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from kpi import ATTEMPTS, FIRST, KpiConfig, Period, compute, parse_iso, sla_tasks
from kpi.funnel import refresh


def t(day: int, clock: str) -> str:
    return f"2026-03-{day:02d}T{clock}:00.000Z"


def at(day: int, clock: str) -> datetime:
    return parse_iso(t(day, clock))


CONFIG = KpiConfig(currency="USD")
LEAD = {"lead": "2026-02-01T00:00:00.000Z"}


@pytest.fixture
def week(build):
    build.owner(9001, first_name="Ana", last_name="Rep")
    build.owner(9002, archived=1)
    # 1: handed off Monday 16 10:00: deadline Tuesday 10:00, wanted from Monday 16:00.
    build.contact(1, owner=9001, marketingqualifiedlead=t(16, "10:00"), source="ORGANIC_SEARCH", **LEAD)
    # 2: no owner; 3: an archived owner: no task, counted
    build.contact(2, marketingqualifiedlead=t(16, "10:00"), **LEAD)
    build.contact(3, owner=9002, marketingqualifiedlead=t(16, "10:00"), **LEAD)
    # 4: called an hour after the hand-off: its first task's work is done
    build.contact(4, owner=9001, marketingqualifiedlead=t(16, "10:00"), **LEAD)
    build.engagement(401, "call", t(16, "11:00"), contact=4, direction="OUTBOUND")
    # 5: disqualified
    build.contact(5, owner=9001, lead_status="UNQUALIFIED", marketingqualifiedlead=t(16, "10:00"), **LEAD)
    refresh(build.db, CONFIG)
    return build


def by_key(plan):
    return {(task.kind, task.contact_id): task for task in plan.tasks}


def test_a_first_followup_task_is_wanted_from_two_working_hours_before_its_deadline(week):
    early = sla_tasks(week.db, CONFIG, at(16, "15:59"), lead_hours=2)
    assert early.to_create(at(16, "15:59"), None) == []
    plan = sla_tasks(week.db, CONFIG, at(16, "16:00"), lead_hours=2)
    task = by_key(plan)[(FIRST, 1)]
    assert (task.due_at, task.wanted_from, task.owner_id) == (at(17, "10:00"), at(16, "16:00"), 9001)
    assert task.subject == "First follow-up due Tue 17 Mar 10:00: c1@example.com, organic search lead"
    assert "Source: Organic search" in task.body and "within 8 working hours" in task.body
    assert [(x.kind, x.contact_id) for x in plan.to_create(at(16, "16:00"), None)] == [(FIRST, 1)]
    assert plan.clock_triggers(at(16, "12:00")) == sorted({at(16, "16:00"), at(23, "10:00")})


def test_no_owner_an_archived_owner_done_work_and_disqualified_leads_want_no_task(week):
    tasks = by_key(sla_tasks(week.db, CONFIG, at(17, "12:00"), lead_hours=2))
    assert (tasks[(FIRST, 2)].skip, tasks[(FIRST, 3)].skip) == ("no_owner", "archived_owner")
    assert (tasks[(FIRST, 4)].done, tasks[(FIRST, 4)].done_at) == ("followed_up", at(16, "11:00"))
    assert tasks[(FIRST, 5)].done == "disqualified" and tasks[(ATTEMPTS, 5)].done == "disqualified"
    assert tasks[(FIRST, 1)].skip is None and tasks[(FIRST, 1)].done is None


def test_an_attempts_reminder_is_wanted_halfway_with_fewer_than_half_the_attempts(week):
    week.engagement(402, "call", t(17, "10:00"), contact=4, direction="OUTBOUND")  # contact 4: 2 of 5
    week.contact(6, owner=9001, marketingqualifiedlead=t(16, "10:00"), **LEAD)
    for n, day in enumerate((16, 17, 18)):  # contact 6: 3 of 5, half made
        week.engagement(601 + n, "call", t(day, "12:00"), contact=6, direction="OUTBOUND")
    refresh(week.db, CONFIG)
    plan = sla_tasks(week.db, CONFIG, at(23, "10:00"), lead_hours=2)
    tasks = by_key(plan)
    assert tasks[(ATTEMPTS, 4)].due_at == at(23, "10:00") and tasks[(ATTEMPTS, 4)].done is None
    assert "(2 of 5)" in tasks[(ATTEMPTS, 4)].subject
    assert tasks[(ATTEMPTS, 6)].done == "attempts_made"
    wanted = {(x.kind, x.contact_id) for x in plan.to_create(at(23, "10:00"), None)}
    assert wanted == {(FIRST, 1), (ATTEMPTS, 1), (ATTEMPTS, 4)}


def test_only_handoffs_since_the_feature_or_with_an_open_window_get_tasks(week):
    late = at(31, "10:00")  # contact 1's window ended on the 30th
    plan = sla_tasks(week.db, CONFIG, late, lead_hours=2)
    assert plan.to_create(late, since=at(20, "00:00")) == []
    assert (FIRST, 1) in {(x.kind, x.contact_id) for x in plan.to_create(late, since=at(16, "00:00"))}
    open_window = at(20, "10:00")
    assert (FIRST, 1) in {(x.kind, x.contact_id) for x in
                          sla_tasks(week.db, CONFIG, open_window, lead_hours=2).to_create(open_window, at(20, "00:00"))}


def test_the_workers_own_tasks_change_no_kpi_value(week):
    def values():
        return [(r.kpi, r.segment, r.value, r.numerator, r.denominator, r.excluded, r.details)
                for by in (None, "owner") for r in compute(week.db, CONFIG, Period.parse("2026-03"),
                                                           as_of=at(20, "12:00"), by=by, now=at(20, "12:00"))]

    before = values()
    assert any(kpi == "sla_first_followup_rate" and value is not None for kpi, _, value, *_ in before)
    for n, contact in enumerate((1, 4, 5)):
        week.engagement(9000 + n, "task", t(17, "09:30"), contact=contact, owner=9001, outcome="COMPLETED")
    refresh(week.db, CONFIG)
    assert values() == before
