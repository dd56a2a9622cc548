"""The first instant at which the clock alone may change a value: what the plan's fingerprint waits for."""

from __future__ import annotations

from datetime import UTC, datetime

from kpi.clock import next_clock_change
from kpi.sla import assess

NOW = "2026-03-20T12:00:00.000Z"  # a Friday; Mon-Fri 09:00-17:00 UTC, 8 h to the first follow-up


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def test_without_anything_pending_the_next_local_midnight(build):
    build.contact(1, lead="2026-02-01T00:00:00.000Z")
    ctx = build.context("2026-03", as_of=NOW)
    assert next_clock_change(ctx, assess(ctx)) == at("2026-03-21T00:00:00.000Z")


def test_a_pending_hand_off_waits_for_its_deadline(build):
    build.owner(9001)
    # handed off at 09:00 (owner assigned before): 8 working hours run out at 17:00 the same day
    build.contact(1, owner=9001, assigned="2026-02-01T00:00:00.000Z", lead="2026-02-01T00:00:00.000Z",
                  marketingqualifiedlead="2026-03-20T09:00:00.000Z")
    ctx = build.context("2026-03", as_of="2026-03-20T10:30:00.000Z")
    handoffs = assess(ctx)
    assert [(a.status, a.deadline) for a in handoffs] == [("pending", at("2026-03-20T17:00:00.000Z"))]
    assert next_clock_change(ctx, handoffs) == at("2026-03-20T17:00:00.000Z")
    later = build.context("2026-03", as_of="2026-03-20T17:00:00.001Z")  # overdue now: midnight comes next
    assert [a.status for a in assess(later)] == ["overdue"]
    assert next_clock_change(later, assess(later)) == at("2026-03-21T00:00:00.000Z")


def test_an_event_dated_ahead_counts_when_the_clock_reaches_it(build):
    build.contact(1, lead="2026-02-01T00:00:00.000Z")
    build.engagement(1, "meeting", "2026-03-20T15:30:00.000Z", contact=1)  # booked ahead
    ctx = build.context("2026-03", as_of=NOW)
    assert next_clock_change(ctx, assess(ctx)) == at("2026-03-20T15:30:00.000Z")


def test_an_engagement_leaves_the_90_day_window_90_days_after_it(build):
    build.contact(1, lead="2026-02-01T00:00:00.000Z")
    build.engagement(1, "call", "2025-12-20T13:00:00.000Z", contact=1, direction="OUTBOUND")
    ctx = build.context("2026-03", as_of=NOW)
    assert next_clock_change(ctx, assess(ctx)) == at("2026-03-20T13:00:00.000Z")


def test_forecasts_and_tasks_dated_ahead_change_nothing(build):
    build.contact(1, lead="2026-02-01T00:00:00.000Z")
    build.deal(1, contacts=(1,), stage="open", amount=100.0, closed="2026-03-20T13:00:00.000Z")  # expected close
    build.engagement(1, "task", "2026-03-20T14:00:00.000Z", contact=1)  # a task's due date
    build.deal(2, contacts=(1,), stage="closedwon", amount=100.0, closed="2026-03-20T15:00:00.000Z")  # dated ahead
    ctx = build.context("2026-03", as_of=NOW)
    assert next_clock_change(ctx, assess(ctx)) == at("2026-03-20T15:00:00.000Z")
