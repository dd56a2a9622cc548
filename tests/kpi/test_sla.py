"""The marketing-sales SLA (definitions §2.F) on a hand-built March 2026, judged on Friday 20 March at 12:00.

Calendar: Mon-Fri 09:00-17:00 UTC, 8 working hours to the first follow-up, 5 attempts in 14 days.
March 2026: Monday 2, 9, 16, 23; Friday 6, 13, 20.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from kpi import KpiConfig
from kpi.sla import contact_sla, mqls_per_rep, sla_attempts_rate, sla_both_rate, sla_first_followup_rate

AS_OF = "2026-03-20T12:00:00.000Z"


def t(day: int, clock: str) -> str:
    return f"2026-03-{day:02d}T{clock}:00.000Z"


@pytest.fixture
def march(build):
    build.owner(9001)
    build.owner(9002)
    lead = {"lead": "2026-02-01T00:00:00.000Z"}
    # 1: handed off Friday 16:00; an incoming email at 16:30 and a task are no follow-up; the outbound call on
    #    Monday 10:00 is, after 1 + 1 = 2 working hours: met. Its deadline (Monday 16:00) has passed: decided.
    build.contact(1, owner=9001, assigned="2026-02-01T00:00:00.000Z", marketingqualifiedlead=t(6, "16:00"), **lead)
    build.engagement(101, "email", t(6, "16:30"), contact=1, direction="INCOMING_EMAIL")
    build.engagement(102, "task", t(6, "16:45"), contact=1)
    build.engagement(103, "call", t(9, "10:00"), contact=1, direction="OUTBOUND")
    # 2: MQL on Monday 09:00 but assigned Tuesday 13:00, so the clock starts then. Called Thursday 10:00:
    #    4 + 8 + 1 = 13 h > 8: breached (late). It reached sql on Friday 6, inside its window: attempts met.
    build.contact(2, owner=9001, assigned=t(3, "13:00"), marketingqualifiedlead=t(2, "09:00"),
                  salesqualifiedlead=t(6, "10:00"), **lead)
    build.engagement(201, "email", t(3, "14:00"), contact=2, direction="INCOMING_EMAIL")
    build.engagement(202, "call", t(5, "10:00"), contact=2, direction="OUTBOUND")
    # 3: nobody owns it: breached (unassigned), deadline Wednesday 11 10:00, decided.
    build.contact(3, marketingqualifiedlead=t(10, "10:00"), **lead)
    # 4: handed off 2 h before as_of; deadline Monday 23 10:00 is still ahead: pending, undecided.
    build.contact(4, owner=9001, marketingqualifiedlead=t(20, "10:00"), **lead)
    # 5: Monday 16 09:00, nothing yet; deadline Monday 17:00 passed, window (to the 30th) still open: overdue.
    build.contact(5, owner=9001, marketingqualifiedlead=t(16, "09:00"), **lead)
    # 6: Tuesday 3 09:00, never touched; window ended 17 March: breached. It went straight to opportunity on the
    #    5th: sql is implied then by default (attempts met), but strict mode has no sql entry (not met).
    build.contact(6, owner=9001, marketingqualifiedlead=t(3, "09:00"), opportunity=t(5, "10:00"), **lead)
    # 7: an email sent at the hand-off instant (0 h: met), then 3 calls and a meeting: 5 attempts, met.
    build.contact(7, owner=9002, marketingqualifiedlead=t(2, "11:00"), **lead)
    build.engagement(701, "email", t(2, "11:00"), contact=7, direction="EMAIL")
    for i, day in enumerate((3, 4, 5)):
        build.engagement(702 + i, "call", t(day, "10:00"), contact=7, direction="OUTBOUND")
    build.engagement(705, "meeting", t(6, "10:00"), contact=7)
    # 8: called after 1 h (met); one attempt only, but disqualified: attempts met.
    build.contact(8, owner=9002, lead_status="UNQUALIFIED", marketingqualifiedlead=t(2, "09:00"), **lead)
    build.engagement(801, "call", t(2, "10:00"), contact=8, direction="OUTBOUND")
    # 9: called after 0.5 h (met); 4 outbound calls in the window, an inbound call and a call after the window
    #    (which ended 16 March 09:00) do not count: 4 < 5 attempts, not met.
    build.contact(9, owner=9002, marketingqualifiedlead=t(2, "09:00"), **lead)
    for i, at in enumerate((t(2, "09:30"), t(3, "10:00"), t(4, "10:00"), t(5, "10:00"))):
        build.engagement(901 + i, "call", at, contact=9, direction="OUTBOUND")
    build.engagement(905, "call", t(6, "10:00"), contact=9, direction="INBOUND")
    build.engagement(906, "call", t(17, "10:00"), contact=9, direction="OUTBOUND")
    # 10: owned, but only from 25 March, after as_of: unassigned at as_of, breached; its clock has not started,
    #     so its deadline is after as_of and it is not decided.
    build.contact(10, owner=9001, assigned="2026-03-25T09:00:00.000Z", marketingqualifiedlead=t(10, "10:00"),
                  **lead)
    # not hand-offs of March: an MQL of February, and a lead that never became one
    build.contact(11, owner=9002, marketingqualifiedlead="2026-02-20T10:00:00.000Z", **lead)
    build.contact(12, owner=9002, **lead)
    return build


def test_contact_statuses(march):
    ctx = march.context("2026-03", as_of=AS_OF)
    assert contact_sla(ctx) == {
        1: ("met", Fraction(2), 1), 2: ("breached", Fraction(13), 1), 3: ("breached", None, 0),
        4: ("pending", None, 0), 5: ("overdue", None, 0), 6: ("breached", None, 0), 7: ("met", Fraction(0), 5),
        8: ("met", Fraction(1), 1), 9: ("met", Fraction(1, 2), 4), 10: ("breached", None, 0)}


def test_first_followup_compliance(march):
    ctx = march.context("2026-03", as_of=AS_OF)
    # decided (deadline before as_of): 1 2 3 5 6 7 8 9; met: 1 7 8 9. Overdue 5 counts against: it can no
    # longer be met.
    [result] = sla_first_followup_rate(ctx, None)
    assert (result.value, result.numerator, result.denominator) == (Fraction(1, 2), 4, 8)
    assert result.details == {"met": 4, "pending": 1, "overdue": 1, "breached": 4, "unassigned": 2}
    assert result.as_of == AS_OF and result.unit == "rate"
    # per contact owner: 9001 decided 1 2 5 6 (met 1); 9002 decided 7 8 9 (all met); nobody: 3 (breached)
    rows = [(r.segment, r.value, r.numerator, r.denominator) for r in sla_first_followup_rate(ctx, "owner")]
    assert rows == [("owner=9001", Fraction(1, 4), 1, 4), ("owner=9002", Fraction(1), 3, 3),
                    ("owner=UNASSIGNED", Fraction(0), 0, 1)]


@pytest.mark.parametrize(("strict", "met"), [pytest.param(False, 4, id="default"), pytest.param(True, 3, id="strict")])
def test_attempts_compliance(march, strict, met):
    ctx = march.context("2026-03", as_of=AS_OF, strict=strict)
    # windows over before as_of: 2 6 7 8 9. Met: 2 (sql), 7 (5 attempts), 8 (disqualified), 6 only by default
    # (sql implied by its opportunity entry); 9 has 4 attempts. Still open: 1 3 4 5 10.
    [result] = sla_attempts_rate(ctx, None)
    assert (result.value, result.numerator, result.denominator) == (Fraction(met, 5), met, 5)
    assert result.details == {"met": met, "pending": 5, "breached": 5 - met}


def test_both_rules(march):
    ctx = march.context("2026-03", as_of=AS_OF)
    # both decided: 2 6 7 8 9; first follow-up met by 7 8 9, attempts by 2 6 7 8: both by 7 and 8
    [result] = sla_both_rate(ctx, None)
    assert (result.value, result.numerator, result.denominator) == (Fraction(2, 5), 2, 5)


def test_nothing_decided_yet_is_null(march):
    # at Monday 2 March 09:45 only 2, 8 and 9 (09:00) are handed off: deadlines at 17:00, windows open. 2 gets
    # its owner on the 3rd, so it is unassigned (breached) now, but not decided: its clock has not started.
    ctx = march.context("2026-03", as_of=t(2, "09:45"))
    for kpi in (sla_first_followup_rate, sla_attempts_rate, sla_both_rate):
        [result] = kpi(ctx, None)
        assert result.value is None and result.denominator == 0 and result.reason
    assert contact_sla(ctx) == {2: ("breached", None, 0), 8: ("pending", None, 0), 9: ("met", Fraction(1, 2), 1)}


def test_an_engagement_linked_only_through_engagement_contacts_counts(build):
    build.owner(1)
    build.contact(1, owner=1, marketingqualifiedlead=t(2, "09:00"))
    build.contact(2, owner=1, marketingqualifiedlead=t(2, "09:00"))
    # one call logged on contact 2 and associated with contact 1 as well
    build.engagement(1, "call", t(2, "12:00"), contact=2, direction="OUTBOUND")
    build.db["engagement_contacts"].insert({"type": "call", "engagement_id": 1, "contact_id": 1})
    ctx = build.context("2026-03", as_of=AS_OF)
    assert contact_sla(ctx) == {1: ("met", Fraction(3), 1), 2: ("met", Fraction(3), 1)}


def test_mqls_per_rep(march):
    march.owner(9003)  # no contacts: not active
    march.owner(9004, type="QUEUE")
    march.owner(9005, archived=1)
    march.contact(13, owner=9004, lead="2026-02-01T00:00:00.000Z")
    march.contact(14, owner=9005, lead="2026-02-01T00:00:00.000Z")
    # hand-offs of March before as_of: contacts 1-10; active reps 9001 and 9002: 10 / 2
    [result] = mqls_per_rep(march.context("2026-03", as_of=AS_OF), None)
    assert (result.value, result.numerator, result.denominator) == (5, 10, 2)
    assert result.details == {"target": 100}


def test_mqls_per_rep_for_a_team(march):
    inbound = '[{"id": "7", "name": "Inbound", "primary": true}]'
    march.db.execute("UPDATE owners SET teams = ? WHERE id = 9001", [inbound])
    march.owner(9003, teams=inbound)  # in the team, even without contacts
    march.owner(9006, teams=inbound, archived=1)
    march.owner(9007, teams='[{"id": "8", "name": "Outbound", "primary": true}]')
    for team in ("Inbound", "7"):
        config = KpiConfig(rep_team=team)
        [result] = mqls_per_rep(march.context("2026-03", as_of=AS_OF, config=config), None)
        assert (result.value, result.denominator) == (5, 2)  # 9001 and 9003
    [result] = mqls_per_rep(march.context("2026-03", as_of=AS_OF, config=KpiConfig(rep_team="Nobody")), None)
    assert result.value is None and result.reason == "no active rep"


@pytest.mark.parametrize(("period", "target"), [
    pytest.param("2026-Q1", 300, id="quarter"),
    # ISO week 10 is 2-8 March: 7 days of a 31-day month
    pytest.param("2026-W10", Fraction(700, 31), id="week"),
    # ISO week 9 is 23 February-1 March: 6/28 of February and 1/31 of March
    pytest.param("2026-W09", Fraction(600, 28) + Fraction(100, 31), id="week-across-months"),
])
def test_the_target_is_prorated(build, period, target):
    [result] = mqls_per_rep(build.context(period), None)
    assert result.details == {"target": target}
    assert result.value is None  # no reps at all
