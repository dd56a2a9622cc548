"""Sales results (definitions §2.C), pinned to values computed by hand."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from kpi import KpiConfig
from kpi.sales import avg_deal_size, daily_sales_vs_goal, revenue, win_rate

MARCH = "2026-03"


def by_segment(results):
    return {r.segment: r for r in results}


@pytest.fixture
def deals(build):
    """March 2026 (UTC), as_of 2026-04-01. Contact 1 is PAID_SEARCH, contact 2 ORGANIC_SEARCH.

    deal  state       owner  contact  closed      amount
    301   won         9001   1        03-05       1000
    302   won         9001   2        03-20       2500.50
    303   won         9002   1        03-10       none              -> no_amount
    304   won         9002   2        03-12       900 EUR, no home  -> currency
    305   lost        9001   -        03-15       700
    306   lost        none   -        03-25       -                 -> UNASSIGNED
    307   won         9001   -        02-27       5000              -> February
    308   won         9002   -        no date     -                 -> no_closedate (created 02-01, before p1)
    309   reopened    9001   -        03-08       400               -> open now: not closed
    310   won         9002   2        03-30       800 EUR, home 880 -> 880
    311   lost        9001   -        04-02       -                 -> April
    312   won         9001   -        no date     300, created 04-05 -> could not close in March: not counted
    """
    build.contact(1, source="PAID_SEARCH", lead="2026-01-05T10:00:00.000Z")
    build.contact(2, source="ORGANIC_SEARCH", lead="2026-01-06T10:00:00.000Z")
    build.owner(9001)
    build.owner(9002, archived=1)  # an archived owner is still shown
    build.deal(301, contacts=(1,), stage="closedwon", amount=1000, owner=9001, closed="2026-03-05T10:00:00.000Z")
    build.deal(302, contacts=(2,), stage="closedwon", amount=2500.50, owner=9001, closed="2026-03-20T10:00:00.000Z")
    build.deal(303, contacts=(1,), stage="closedwon", amount=None, owner=9002, closed="2026-03-10T10:00:00.000Z")
    build.deal(304, contacts=(2,), stage="closedwon", amount=900, currency="EUR", owner=9002,
               closed="2026-03-12T10:00:00.000Z")
    build.deal(305, stage="closedlost", amount=700, owner=9001, closed="2026-03-15T10:00:00.000Z")
    build.deal(306, stage="closedlost", closed="2026-03-25T10:00:00.000Z")
    build.deal(307, stage="closedwon", amount=5000, owner=9001, closed="2026-02-27T10:00:00.000Z")
    build.deal(308, stage="closedwon", owner=9002, created="2026-02-01T00:00:00.000Z")
    build.deal(309, stage="open", amount=400, owner=9001, closed="2026-03-08T10:00:00.000Z")
    build.deal(310, contacts=(2,), stage="closedwon", amount=800, currency="EUR", home=880, owner=9002,
               closed="2026-03-30T10:00:00.000Z")
    build.deal(311, stage="closedlost", owner=9001, closed="2026-04-02T10:00:00.000Z")
    build.deal(312, stage="closedwon", amount=300, owner=9001, created="2026-04-05T00:00:00.000Z")
    return build.context(MARCH)


def test_win_rate_overall(deals):
    # closed in March: 301 302 303 304 310 won, 305 306 lost -> 5/7; 309 is open again, so it is not closed;
    # 308 is closed without closedate: excluded and counted
    [r] = win_rate(deals, None)
    assert (r.kpi, r.period, r.segment, r.unit) == ("win_rate", MARCH, "all", "rate")
    assert (r.value, r.numerator, r.denominator) == (Fraction(5, 7), 5, 7)
    assert r.excluded == {"no_closedate": 1}
    assert r.as_of == "2026-04-01T00:00:00.000Z"


def test_win_rate_per_owner(deals):
    # 9001: 301 302 won, 305 lost -> 2/3; 9002 (archived): 303 304 310 won -> 1, plus 308 undated;
    # the null owner of 306 (lost) is UNASSIGNED -> 0, a real zero, not null
    out = by_segment(win_rate(deals, "owner"))
    assert {s: (r.value, r.numerator, r.denominator, r.excluded) for s, r in out.items()} == {
        "owner=9001": (Fraction(2, 3), 2, 3, {}),
        "owner=9002": (1, 3, 3, {"no_closedate": 1}),
        "owner=UNASSIGNED": (0, 0, 1, {})}


def test_win_rate_with_no_closed_deal_is_null(build):
    build.deal(1, stage="open", amount=100, closed="2026-03-10T00:00:00.000Z")
    ctx = build.context(MARCH)
    [r] = win_rate(ctx, None)
    assert (r.value, r.numerator, r.denominator) == (None, 0, 0)
    assert r.reason == "no deal closed in the period"
    assert win_rate(ctx, "owner") == []


def test_an_owner_with_only_an_undated_closed_deal_gets_null(build):
    build.deal(1, stage="closedlost", owner=7, created="2026-03-01T00:00:00.000Z")
    [r] = win_rate(build.context(MARCH), "owner")
    assert (r.segment, r.value, r.denominator, r.excluded) == ("owner=7", None, 0, {"no_closedate": 1})


def test_revenue_sums_known_amounts_only(deals):
    # 301 + 302 + 310 = 1000 + 2500.50 + 880 = 4380.50; 303 has no amount (never summed as 0), 304 is in EUR with
    # no home amount, 308 has no closedate; 309 (reopened), 307 (February) and 312 (created after March) stay out
    [r] = revenue(deals, None)
    assert (r.value, r.numerator, r.denominator, r.unit) == (Decimal("4380.50"), None, None, "money")
    assert r.excluded == {"no_amount": 1, "currency": 1, "no_closedate": 1}


def test_avg_deal_size_divides_by_won_deals_with_a_known_amount(deals):
    # 4380.50 / 3, not / 5 (303 and 304 are left out of the count as well as the sum)
    [r] = avg_deal_size(deals, None)
    assert (r.value, r.numerator, r.denominator, r.unit) == (Fraction(876100, 600), Decimal("4380.50"), 3, "money")
    assert r.excluded == {"no_amount": 1, "currency": 1, "no_closedate": 1}


def test_avg_deal_size_and_revenue_per_source(deals):
    # by the attribution contact's source: PAID_SEARCH 301 (1000) + 303 (no amount);
    # ORGANIC_SEARCH 302 (2500.50) + 310 (880) + 304 (currency) -> 3380.50 / 2 = 1690.25;
    # UNKNOWN (no contact): only 308, undated -> average null, revenue 0
    avg = by_segment(avg_deal_size(deals, "source"))
    assert {s: (r.value, r.excluded) for s, r in avg.items()} == {
        "source=PAID_SEARCH": (1000, {"no_amount": 1}),
        "source=ORGANIC_SEARCH": (Fraction("1690.25"), {"currency": 1}),
        "source=UNKNOWN": (None, {"no_closedate": 1})}
    assert avg["source=UNKNOWN"].reason == "no deal won in the period with a known amount"
    rev = by_segment(revenue(deals, "source"))
    assert {s: r.value for s, r in rev.items()} == {
        "source=PAID_SEARCH": Decimal(1000), "source=ORGANIC_SEARCH": Decimal("3380.50"),
        "source=UNKNOWN": Decimal(0)}


def test_revenue_per_owner_and_pipeline(deals):
    # 9001: 301 + 302 = 3500.50; 9002: 310 = 880 (303, 304 and 308 excluded); no won deal is unassigned
    assert {r.segment: r.value for r in revenue(deals, "owner")} == {
        "owner=9001": Decimal("3500.50"), "owner=9002": Decimal(880)}
    assert [(r.segment, r.value) for r in revenue(deals, "pipeline")] == [("pipeline=default", Decimal("4380.50"))]


def test_revenue_with_nothing_won_is_zero_and_average_null(build):
    ctx = build.context(MARCH)
    [rev] = revenue(ctx, None)
    [avg] = avg_deal_size(ctx, None)
    assert (rev.value, rev.excluded) == (Decimal(0), {})
    assert (avg.value, avg.numerator, avg.denominator) == (None, Decimal(0), 0)


def test_a_deal_closed_after_as_of_does_not_count_yet(deals, build):
    # as_of 2026-03-16: of the won deals only 301 (03-05) has a known amount and closed before it;
    # 303 (03-10) and 304 (03-12) are excluded; lost 305 (03-15) is in -> win rate 3/4
    ctx = build.context(MARCH, as_of="2026-03-16T00:00:00.000Z")
    assert revenue(ctx, None)[0].value == Decimal(1000)
    assert win_rate(ctx, None)[0].value == Fraction(3, 4)


def test_month_edges_are_local_time(build):
    # New York: March is [2026-03-01T05:00Z, 2026-04-01T04:00Z) (EST, then EDT from March 8).
    # A closes 2026-03-31 23:30 local = 2026-04-01T03:30Z: March in New York, April in UTC.
    # B closes 2026-02-28 23:30 local = 2026-03-01T04:30Z: February in New York, March in UTC.
    # C closes 2026-03-01 00:30 local: March in both.
    build.deal(1, stage="closedwon", amount=100, closed="2026-04-01T03:30:00.000Z")
    build.deal(2, stage="closedwon", amount=200, closed="2026-03-01T04:30:00.000Z")
    build.deal(3, stage="closedwon", amount=400, closed="2026-03-01T05:30:00.000Z")
    new_york = build.context(MARCH, config=KpiConfig(time_zone="America/New_York", currency="USD"))
    assert revenue(new_york, None)[0].value == Decimal(500)  # A + C
    assert revenue(build.context(MARCH), None)[0].value == Decimal(600)  # B + C
    days = by_segment(daily_sales_vs_goal(new_york, None))
    assert days["day=2026-03-01"].numerator == Decimal(400)
    assert days["day=2026-03-31"].numerator == Decimal(500)
    assert days["day=2026-03-31"].details == {"last_month": Decimal(200)}  # B, on February 28 local


@pytest.fixture
def sales_month(build):
    """February: 500 on the 10th, 300 on the 28th. March: 1000 on the 1st, an unknown amount on the 2nd,
    2000 on the 31st. Goal 3100 a month, so goal(d) = 3100 * d / 31 = 100 d."""
    for deal_id, amount, closed in [(1, 500, "2026-02-10T12:00:00.000Z"), (2, 300, "2026-02-28T12:00:00.000Z"),
                                    (3, 1000, "2026-03-01T10:00:00.000Z"), (4, None, "2026-03-02T10:00:00.000Z"),
                                    (5, 2000, "2026-03-31T12:00:00.000Z")]:
        build.deal(deal_id, stage="closedwon", amount=amount, closed=closed)
    return build


def test_daily_sales_vs_goal(sales_month):
    config = KpiConfig(currency="USD", monthly_goal=Decimal(3100))
    out = daily_sales_vs_goal(sales_month.context(MARCH, config=config), None)
    assert len(out) == 31 and {r.kpi for r in out} == {"daily_sales_vs_goal"}
    days = by_segment(out)
    # (value = cum / goal, cum, goal, last month's cum on min(d, 28), excluded up to d)
    expected = {
        "day=2026-03-01": (10, Decimal(1000), 100, Decimal(0), {}),
        "day=2026-03-02": (5, Decimal(1000), 200, Decimal(0), {"no_amount": 1}),
        "day=2026-03-10": (1, Decimal(1000), 1000, Decimal(500), {"no_amount": 1}),
        "day=2026-03-28": (Fraction(1000, 2800), Decimal(1000), 2800, Decimal(800), {"no_amount": 1}),
        "day=2026-03-29": (Fraction(1000, 2900), Decimal(1000), 2900, Decimal(800), {"no_amount": 1}),
        "day=2026-03-31": (Fraction(30, 31), Decimal(3000), 3100, Decimal(800), {"no_amount": 1}),
    }
    assert {s: (days[s].value, days[s].numerator, days[s].denominator, days[s].details["last_month"],
                days[s].excluded) for s in expected} == expected
    assert days["day=2026-03-31"].unit == "rate"


def test_goal_of_a_day_is_exact(sales_month):
    # goal 1000 over 31 days: goal(1) = 1000/31, not a rounded decimal; cum(1) / goal(1) = 1000 / (1000/31) = 31
    config = KpiConfig(currency="USD", monthly_goal=Decimal(1000))
    first = daily_sales_vs_goal(sales_month.context(MARCH, config=config), None)[0]
    assert (first.segment, first.denominator, first.value) == ("day=2026-03-01", Fraction(1000, 31), 31)


def test_daily_sales_without_a_goal_is_null(sales_month):
    first = daily_sales_vs_goal(sales_month.context(MARCH), None)[0]
    assert (first.value, first.numerator, first.denominator) == (None, Decimal(1000), None)
    assert first.reason == "no monthly goal is set"


def test_daily_sales_of_a_week_show_its_month_up_to_as_of(sales_month):
    # 2026-W10 is March 2-8; its month is March (the month of its first day) and as_of is the week's end,
    # 2026-03-09T00:00Z, so days 1 to 8 are shown and the deal of March 31 is not counted
    config = KpiConfig(currency="USD", monthly_goal=Decimal(3100))
    out = daily_sales_vs_goal(sales_month.context("2026-W10", config=config), None)
    assert [r.segment for r in out] == [f"day=2026-03-0{d}" for d in range(1, 9)]
    assert {r.period for r in out} == {"2026-W10"}
    assert out[-1].numerator == Decimal(1000) and out[-1].value == Fraction(1000, 800)
