"""The write-back values on a hand-built mirror, judged on Friday 20 March 2026 at 12:00 over the year 2026.

The year stands for the caller's long SLA window ending now. SLA calendar: Mon-Fri 09:00-17:00 UTC, 8 working
hours, 5 attempts in 14 days. March 2026: Monday 2, 9, 16.
"""

from __future__ import annotations

import pytest

from kpi.wanted import CONTACT_FIELDS, DEAL_FIELDS, SLA_STATUSES, contact_values, deal_values

AS_OF = "2026-03-20T12:00:00.000Z"


def z(day: str, clock: str) -> str:
    return f"{day}T{clock}:00.000Z"


@pytest.fixture
def mirror(build):
    build.owner(9001)
    assigned = z("2026-01-01", "00:00")
    # 1: the oldest live ana@example.com, so kept. MQL Monday 2 March 09:00, owned: called at 12:30 (3.5 working
    #    hours, met) and again on the 3rd: 2 attempts in the window.
    build.contact(1, email="ana@example.com", source="ORGANIC_SEARCH", owner=9001, assigned=assigned,
                  lead=z("2026-01-05", "10:00"), marketingqualifiedlead=z("2026-03-02", "09:00"))
    build.engagement(101, "call", z("2026-03-02", "12:30"), contact=1, direction="OUTBOUND")
    build.engagement(102, "call", z("2026-03-03", "10:00"), contact=1, direction="OUTBOUND")
    # 2: the same person by normalised email (case, spaces, +tag), created later: a duplicate of 1. No source
    #    (UNKNOWN) and no hand-off: not_applicable.
    build.contact(2, email=" Ana+Webinar@Example.COM ", lead=z("2026-02-10", "08:00"))
    # 3 archived and 10 merged away: older than 1, but absent, and neither is kept for ana@example.com
    build.contact(3, email="ana@example.com", archived=1, lead=z("2025-12-01", "10:00"))
    build.contact(10, email="ana@example.com", merged_into=1, lead=z("2025-11-01", "10:00"))
    # 4: an MQL nobody owns: breached, no follow-up, 0 attempts. a.na@gmail.com is not ana@gmail.com (dots kept).
    build.contact(4, email="a.na@gmail.com", marketingqualifiedlead=z("2026-03-10", "10:00"),
                  lead=z("2026-02-01", "10:00"))
    # 5: handed off in November 2025, before the window: not_applicable. A customer since 14 February.
    build.contact(5, email="ana@gmail.com", source="PAID_SEARCH", campaign="cmp-1", owner=9001, assigned=assigned,
                  lead=z("2025-10-01", "10:00"), marketingqualifiedlead=z("2025-11-03", "10:00"),
                  customer=z("2026-02-14", "18:30"))
    # 6, 7, 8: bob. 7 and 8 were created at the same instant: the smaller id, 7, is kept (its +tag does not
    #    matter). 6 has no stage evidence, hence no createdate: an unknown age is never the oldest, so 6 is a
    #    duplicate of 7 despite its smaller id; its stage is other, entered at an unknown time.
    build.contact(6, email="BOB@example.com")
    # 7: MQL Monday 16 08:00, the clock starts at 09:00; called 11:00: 2 working hours (shown "2"), met.
    build.contact(7, email="bob+x@example.com", owner=9001, assigned=assigned, lead=z("2026-03-01", "10:00"),
                  marketingqualifiedlead=z("2026-03-16", "08:00"))
    build.engagement(701, "call", z("2026-03-16", "11:00"), contact=7, direction="OUTBOUND")
    # 8: MQL Monday 16 09:00, called 11:15: 2.25 working hours, shown half up as "2.3", met.
    build.contact(8, email="bob@example.com", owner=9001, assigned=assigned, lead=z("2026-03-01", "10:00"),
                  marketingqualifiedlead=z("2026-03-16", "09:00"))
    build.engagement(801, "call", z("2026-03-16", "11:15"), contact=8, direction="OUTBOUND")

    # 501: won by 5, created 10 January 09:00, closed 14 February 18:30: 35 days and 9.5 h, so 35 whole days.
    build.deal(501, contacts=(5,), stage="closedwon", amount=1000, created=z("2026-01-10", "09:00"),
               closed=z("2026-02-14", "18:30"))
    # 502: 5's unit already won 501 before this one was created: expansion; exactly 10 days.
    build.deal(502, contacts=(5,), stage="closedwon", amount=300, created=z("2026-03-01", "00:00"),
               closed=z("2026-03-11", "00:00"))
    # 503: open; of contacts 1 and 2, 1 entered a stage first (5 January): its source, no campaign.
    build.deal(503, contacts=(2, 1), created=z("2026-03-05", "00:00"))
    # 504: lost without a closedate and without contacts: UNKNOWN source, days unknown.
    build.deal(504, stage="closedlost", created=z("2026-02-01", "00:00"))
    # 505: closed before it was created (a backdated close): days unknown rather than negative.
    build.deal(505, contacts=(4,), stage="closedlost", created=z("2026-03-05", "00:00"),
               closed=z("2026-03-01", "00:00"))
    build.deal(506, contacts=(1,), stage="closedwon", archived=1, created=z("2026-01-01", "00:00"),
               closed=z("2026-01-02", "00:00"))
    return build.context("2026", as_of=AS_OF)


def test_contact_values(mirror):
    assert list(contact_values(mirror)) == [
        (1, {"funnel_stage": "mql", "stage_entered_at": "2026-03-02T09:00:00.000Z", "source_bucket": "ORGANIC_SEARCH",
             "sla_status": "met", "first_followup_hours": "3.5", "followup_attempts": "2", "duplicate_of": None}),
        (2, {"funnel_stage": "lead", "stage_entered_at": "2026-02-10T08:00:00.000Z", "source_bucket": "UNKNOWN",
             "sla_status": "not_applicable", "first_followup_hours": None, "followup_attempts": None,
             "duplicate_of": "1"}),
        (4, {"funnel_stage": "mql", "stage_entered_at": "2026-03-10T10:00:00.000Z", "source_bucket": "UNKNOWN",
             "sla_status": "breached", "first_followup_hours": None, "followup_attempts": "0",
             "duplicate_of": None}),
        (5, {"funnel_stage": "customer", "stage_entered_at": "2026-02-14T18:30:00.000Z",
             "source_bucket": "PAID_SEARCH", "sla_status": "not_applicable", "first_followup_hours": None,
             "followup_attempts": None, "duplicate_of": None}),
        (6, {"funnel_stage": "other", "stage_entered_at": None, "source_bucket": "UNKNOWN",
             "sla_status": "not_applicable", "first_followup_hours": None, "followup_attempts": None,
             "duplicate_of": "7"}),
        (7, {"funnel_stage": "mql", "stage_entered_at": "2026-03-16T08:00:00.000Z", "source_bucket": "UNKNOWN",
             "sla_status": "met", "first_followup_hours": "2", "followup_attempts": "1", "duplicate_of": None}),
        (8, {"funnel_stage": "mql", "stage_entered_at": "2026-03-16T09:00:00.000Z", "source_bucket": "UNKNOWN",
             "sla_status": "met", "first_followup_hours": "2.3", "followup_attempts": "1", "duplicate_of": "7"}),
    ]


def test_deal_values(mirror):
    assert list(deal_values(mirror)) == [
        (501, {"lead_source": "PAID_SEARCH", "campaign": "cmp-1", "days_to_close": "35", "deal_kind": "new_business"}),
        (502, {"lead_source": "PAID_SEARCH", "campaign": "cmp-1", "days_to_close": "10", "deal_kind": "expansion"}),
        (503, {"lead_source": "ORGANIC_SEARCH", "campaign": None, "days_to_close": None,
               "deal_kind": "new_business"}),
        (504, {"lead_source": "UNKNOWN", "campaign": None, "days_to_close": None, "deal_kind": "new_business"}),
        (505, {"lead_source": "UNKNOWN", "campaign": None, "days_to_close": None, "deal_kind": "new_business"}),
    ]


def test_every_record_has_every_field_and_a_known_status(mirror):
    contacts = list(contact_values(mirror))
    assert all(tuple(values) == CONTACT_FIELDS and values["sla_status"] in SLA_STATUSES for _, values in contacts)
    assert all(tuple(values) == DEAL_FIELDS for _, values in deal_values(mirror))


def test_a_hand_off_outside_the_window_is_not_applicable(mirror, build):
    # the same mirror judged over February only: 1, 4, 7 and 8 were handed off in March
    february = build.context("2026-02", as_of=AS_OF)
    statuses = {contact: values["sla_status"] for contact, values in contact_values(february)}
    assert set(statuses.values()) == {"not_applicable"}


def test_an_empty_mirror_gives_nothing(build):
    ctx = build.context("2026", as_of=AS_OF)
    assert list(contact_values(ctx)) == [] and list(deal_values(ctx)) == []
