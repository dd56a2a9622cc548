"""Activity dashboards (definitions §2.H): new opportunities and sales activity depth, pinned by hand."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from itertools import count

import pytest

from kpi import KpiConfig
from kpi.activity import new_opportunities, sales_activity

MARCH = "2026-03"


@pytest.fixture
def opportunities(build):
    """Contact 1: PAID_SEARCH, campaign camp-a. Contact 2: ORGANIC_SEARCH, no campaign. Company 50.

    deal  created  contacts  company  notes                                     -> March new business?
    401   03-03    1                  1000                                      yes
    402   03-10    1                  no amount                                 yes (counted, not summed)
    403   03-12    2                  dealtype existingbusiness, 500            no: expansion
    404   01-15    2         50       won 02-10                                 no: created in January
    405   03-20    2         50       700; company 50 won 404 before            no: expansion
    406   03-25    2                  250 EUR, no home amount                   yes (currency)
    407   04-01    1                  (April 1 00:00 UTC)                       no: April
    408   03-05    none               300                                       yes: source and campaign UNKNOWN
    """
    build.contact(1, source="PAID_SEARCH", campaign="camp-a", lead="2026-01-05T10:00:00.000Z")
    build.contact(2, source="ORGANIC_SEARCH", lead="2026-01-06T10:00:00.000Z")
    build.company(50)
    build.deal(401, contacts=(1,), amount=1000, created="2026-03-03T10:00:00.000Z")
    build.deal(402, contacts=(1,), created="2026-03-10T10:00:00.000Z")
    build.deal(403, contacts=(2,), amount=500, dealtype="existingbusiness", created="2026-03-12T10:00:00.000Z")
    build.deal(404, contacts=(2,), company=50, stage="closedwon", amount=2000, created="2026-01-15T10:00:00.000Z",
               closed="2026-02-10T10:00:00.000Z")
    build.deal(405, contacts=(2,), company=50, amount=700, created="2026-03-20T10:00:00.000Z")
    build.deal(406, contacts=(2,), amount=250, currency="EUR", created="2026-03-25T10:00:00.000Z")
    build.deal(407, contacts=(1,), amount=90, created="2026-04-01T00:00:00.000Z")
    build.deal(408, amount=300, created="2026-03-05T10:00:00.000Z")
    return build.context(MARCH)


def test_new_opportunities_count_new_business_only(opportunities):
    # 401 402 406 408; amount 1000 + 300 = 1300 (402 unknown, 406 in EUR: counted, never summed)
    [r] = new_opportunities(opportunities, None)
    assert (r.kpi, r.period, r.segment, r.unit) == ("new_opportunities", MARCH, "all", "count")
    assert (r.value, r.numerator, r.denominator) == (4, None, None)
    assert r.details == {"amount": Decimal(1300), "amount_excluded": {"no_amount": 1, "currency": 1}}


def test_new_opportunities_by_source(opportunities):
    # PAID_SEARCH 401 (1000) + 402 (unknown); ORGANIC_SEARCH 406 (currency); UNKNOWN 408 (no contact, 300)
    out = {r.segment: (r.value, r.details) for r in new_opportunities(opportunities, "source")}
    assert out == {
        "source=PAID_SEARCH": (2, {"amount": Decimal(1000), "amount_excluded": {"no_amount": 1}}),
        "source=ORGANIC_SEARCH": (1, {"amount": Decimal(0), "amount_excluded": {"currency": 1}}),
        "source=UNKNOWN": (1, {"amount": Decimal(300), "amount_excluded": {}})}


def test_new_opportunities_by_campaign(opportunities):
    # camp-a: 401 + 402; no first-touch campaign (UNKNOWN): 406 (contact 2) + 408 (no contact)
    out = {r.segment: (r.value, r.details["amount"]) for r in new_opportunities(opportunities, "campaign")}
    assert out == {"campaign=camp-a": (2, Decimal(1000)), "campaign=UNKNOWN": (2, Decimal(300))}


def test_no_new_opportunity_is_zero(build):
    [r] = new_opportunities(build.context(MARCH), None)
    assert (r.value, r.details) == (0, {"amount": Decimal(0), "amount_excluded": {}})


_ENGAGEMENT_IDS = count(500)


def _touches(build, contact, owner, *moments, kind="call", direction="OUTBOUND"):
    for at in moments:
        build.engagement(next(_ENGAGEMENT_IDS), kind, at, contact=contact, owner=owner, direction=direction)


@pytest.fixture
def activity(build):
    """March 2026, as_of 2026-04-01. SLA window 14 days (inclusive), 5 attempts.

    c11 (owner 9001): mql 03-02 10:00 (assigned earlier) -> window [03-02 10:00, 03-16 10:00].
        9001: outbound calls 03-02 11:00, 03-03, 03-04, an email 03-05, a meeting 03-06 -> 5 touches, reaches 5;
        not touches: inbound call 03-07, incoming email 03-08, task 03-09; outbound call 03-17 is after the window.
    c12 (owner 9001): mql 03-10 09:00, assigned 03-12 09:00 -> window [03-12 09:00, 03-26 09:00].
        9001 call 03-11 (before the window), 9002 call 03-13 (anyone's touch counts), 9001 email 03-14,
        9001 call at exactly 03-26 09:00 (the window's end is included) -> 3 touches.
    c13 (no owner): mql 03-20, no touch; window ends 04-03 > as_of -> immature.
    c14 (owner 9002): a lead only, never an MQL; an outbound call without owner on 03-20.
    c15 (owner 9001): lead 03-01 -> sql 03-05; mql only implied, so no hand-off.
    c16 (owner 9002): mql 02-25, a February hand-off; 9002 outbound call 04-01 00:00 is in April.
    """
    build.owner(9001)
    build.owner(9002)
    build.contact(11, owner=9001, assigned="2026-02-20T10:00:00.000Z", lead="2026-02-20T10:00:00.000Z",
                  marketingqualifiedlead="2026-03-02T10:00:00.000Z")
    build.contact(12, owner=9001, assigned="2026-03-12T09:00:00.000Z", lead="2026-03-01T09:00:00.000Z",
                  marketingqualifiedlead="2026-03-10T09:00:00.000Z")
    build.contact(13, lead="2026-03-19T00:00:00.000Z", marketingqualifiedlead="2026-03-20T00:00:00.000Z")
    build.contact(14, owner=9002, lead="2026-03-03T00:00:00.000Z")
    build.contact(15, owner=9001, lead="2026-03-01T00:00:00.000Z", salesqualifiedlead="2026-03-05T00:00:00.000Z")
    build.contact(16, owner=9002, lead="2026-02-01T00:00:00.000Z", marketingqualifiedlead="2026-02-25T00:00:00.000Z")
    _touches(build, 11, 9001, "2026-03-02T11:00:00.000Z", "2026-03-03T10:00:00.000Z", "2026-03-04T10:00:00.000Z",
             "2026-03-17T10:00:00.000Z")
    _touches(build, 11, 9001, "2026-03-05T10:00:00.000Z", kind="email", direction="EMAIL")
    _touches(build, 11, 9001, "2026-03-06T10:00:00.000Z", kind="meeting", direction=None)
    _touches(build, 11, 9001, "2026-03-07T10:00:00.000Z", direction="INBOUND")
    _touches(build, 11, 9001, "2026-03-08T10:00:00.000Z", kind="email", direction="INCOMING_EMAIL")
    _touches(build, 11, 9001, "2026-03-09T10:00:00.000Z", kind="task", direction=None)
    _touches(build, 12, 9001, "2026-03-11T10:00:00.000Z", "2026-03-26T09:00:00.000Z")
    _touches(build, 12, 9002, "2026-03-13T10:00:00.000Z")
    _touches(build, 12, 9001, "2026-03-14T10:00:00.000Z", kind="email", direction="EMAIL")
    _touches(build, 14, None, "2026-03-20T10:00:00.000Z")
    _touches(build, 16, 9002, "2026-04-01T00:00:00.000Z")
    return build


def test_sales_activity_per_owner_and_type(activity):
    # 9001: calls 03-02 03-03 03-04 03-17 (c11), 03-11 03-26 (c12) = 6; emails 03-05, 03-14 = 2; meeting 03-06 = 1
    # 9002: the call of 03-13 (its April call is out); UNASSIGNED: the ownerless call of 03-20
    out = {r.segment: r.value for r in sales_activity(activity.context(MARCH), None)}
    assert out == {
        "owner=9001,type=call": 6, "owner=9001,type=email": 2, "owner=9001,type=meeting": 1, "owner=9001,type=all": 9,
        "owner=9002,type=call": 1, "owner=9002,type=email": 0, "owner=9002,type=meeting": 0, "owner=9002,type=all": 1,
        "owner=UNASSIGNED,type=call": 1, "owner=UNASSIGNED,type=email": 0, "owner=UNASSIGNED,type=meeting": 0,
        "owner=UNASSIGNED,type=all": 1}


def test_touches_per_handoff_and_share_reaching_five(activity):
    # 9001: hand-offs c11 (5 touches) and c12 (3) -> 8 / 2 = 4 per hand-off; 1 of 2 reaches 5
    # 9002: c16 handed off in February -> no hand-off in March, so the ratios are null
    # UNASSIGNED: c13, no touch -> 0 and 0, and its window is still open at as_of
    results = sales_activity(activity.context(MARCH), None)
    out = {r.segment: r.details for r in results if r.segment.endswith("type=all")}
    assert out == {
        "owner=9001,type=all": {"handoffs": 2, "handoff_touches": 8, "avg_touches_per_handoff": 4,
                                "handoffs_reaching_attempts": 1, "attempts_share": Fraction(1, 2)},
        "owner=9002,type=all": {"handoffs": 0, "handoff_touches": 0, "avg_touches_per_handoff": None,
                                "handoffs_reaching_attempts": 0, "attempts_share": None},
        "owner=UNASSIGNED,type=all": {"handoffs": 1, "handoff_touches": 0, "avg_touches_per_handoff": 0,
                                      "handoffs_reaching_attempts": 0, "attempts_share": 0, "immature": True}}


def test_sla_settings_change_the_window_and_the_bar(activity):
    # a 3-day window: c11 keeps 03-02 11:00 to 03-05 10:00 -> 4 touches; c12 keeps 03-13 and 03-14 -> 2;
    # with a bar of 2 attempts both reach it. c12's window [03-12, 03-15] still ends before as_of.
    config = KpiConfig(currency="USD", sla_window_days=3, sla_attempts=2)
    [all_9001] = [r for r in sales_activity(activity.context(MARCH, config=config), None)
                  if r.segment == "owner=9001,type=all"]
    assert all_9001.details == {"handoffs": 2, "handoff_touches": 6, "avg_touches_per_handoff": 3,
                                "handoffs_reaching_attempts": 2, "attempts_share": 1}


def test_touches_after_as_of_do_not_count_yet(activity):
    # as_of 03-13 12:00: c11 has its 5 touches by 03-06; c12 only 9002's call of 03-13 10:00 -> 6 / 2 = 3;
    # both windows end after as_of (03-16 and 03-26), so the numbers are immature; c13 is not yet an MQL
    out = {r.segment: r for r in sales_activity(activity.context(MARCH, as_of="2026-03-13T12:00:00.000Z"), None)}
    assert out["owner=9001,type=all"].details == {
        "handoffs": 2, "handoff_touches": 6, "avg_touches_per_handoff": 3, "handoffs_reaching_attempts": 1,
        "attempts_share": Fraction(1, 2), "immature": True}
    assert out["owner=9001,type=call"].value == 4  # 03-02 03-03 03-04 03-11
    assert "owner=UNASSIGNED,type=all" not in out


def test_no_activity_gives_no_record(build):
    assert sales_activity(build.context(MARCH), None) == []
