"""Cost and return (definitions §1.9, D1-D4): spend spread over days, cost per lead and per deal, CAC, ROI."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from kpi import KpiConfig
from kpi.costs import (
    cac,
    cost_per_lead,
    cost_per_opportunity,
    marketing_roi,
    new_units,
    sales_cost,
    spend,
)


def at(day: str) -> str:
    return f"{day}T10:00:00.000Z"


def by_segment(results):
    return {r.segment: r for r in results}


def test_spend_is_prorated_exactly_across_a_month_boundary(build):
    # 3100 spread over 2026-02-15..2026-03-16 inclusive: 14 February days + 16 March days = 30 days
    build.campaign("A", spend=3100, start="2026-02-15", end="2026-03-16")
    assert spend(build.context("2026-03")) == (Fraction(3100 * 16, 30), {}, [])  # 4960/3, not a rounded float
    assert spend(build.context("2026-02"))[0] == Fraction(3100 * 14, 30)
    assert spend(build.context("2026-Q1"))[0] == 3100  # the two parts add up exactly
    assert spend(build.context("2026-W11"))[0] == Fraction(3100 * 7, 30)  # Mon 9 - Sun 15 March
    assert spend(build.context("2026-03-16"))[0] == Fraction(3100, 30)  # the end date is included
    assert spend(build.context("2026-03-17"))[0] == 0


def test_undated_campaign_lands_on_its_local_creation_date_and_is_flagged(build):
    # created 2026-04-01 02:00 UTC: still 31 March (22:00) in New York, already April in UTC
    build.campaign("U", spend=500, start=None, end=None, created="2026-04-01T02:00:00.000Z")
    assert spend(build.context("2026-03")) == (0, {}, [])
    assert spend(build.context("2026-04")) == (500, {}, ["U"])
    new_york = KpiConfig(currency="USD", time_zone="America/New_York")
    assert spend(build.context("2026-03", config=new_york)) == (500, {}, ["U"])


def test_a_campaign_without_a_usable_date_range_lands_on_its_start_date(build):
    # no end date: spreading to "now" would change past periods as time passes, so the whole spend lands on the
    # start date; an end before the start is no range either
    build.campaign("S", spend=200, start="2026-03-10", end=None)
    build.campaign("R", spend=70, start="2026-03-20", end="2026-03-01")
    build.campaign("E", spend=30, start=None, end="2026-03-25")
    assert spend(build.context("2026-03-10")) == (200, {}, ["S"])
    assert spend(build.context("2026-03")) == (300, {}, ["E", "R", "S"])
    assert spend(build.context("2026-03"), "R") == (70, {}, ["R"])


def test_spend_in_another_currency_is_excluded_and_counted(build):
    build.campaign("A", spend=310, start="2026-03-01", end="2026-03-31")
    build.campaign("E", spend=1000, start="2026-03-01", end="2026-03-31", currency="EUR")
    build.campaign("M", spend=1000, start="2026-05-01", end="2026-05-31", currency="EUR")  # not in March
    build.contact(1, lead=at("2026-03-02"), campaign="E")
    ctx = build.context("2026-03")
    assert spend(ctx) == (310, {"currency": 1}, [])
    results = by_segment(cost_per_lead(ctx, "campaign"))
    # E's own cost is unknown, not 0: null with a reason
    assert results["campaign=E"].value is None and results["campaign=E"].excluded == {"currency": 1}
    assert results["campaign=E"].reason == "the campaign's spend is in another currency"
    assert results["campaign=A"].value is None  # spend but no lead
    assert set(results) == {"campaign=A", "campaign=E"}
    overall = cost_per_lead(ctx, None)[0]
    assert overall.value == 310 and overall.excluded == {"currency": 1}


def test_spend_stops_at_as_of(build):
    # 3100 over the 31 days of March is 100 a day; an as_of during 10 March spends days 1-10, one at midnight 1-9
    build.campaign("A", spend=3100, start="2026-03-01", end="2026-03-31")
    assert spend(build.context("2026-03", as_of="2026-03-10T12:00:00.000Z"))[0] == 1000
    assert spend(build.context("2026-03", as_of="2026-03-10T00:00:00.000Z"))[0] == 900


def test_sales_cost_is_prorated_by_the_days_of_each_month(build):
    config = KpiConfig(currency="USD", sales_cost_per_month=Decimal(600))
    assert sales_cost(build.context("2026-03", config=config)) == 600
    assert sales_cost(build.context("2026-Q1", config=config)) == 1800
    assert sales_cost(build.context("2026-02-10", config=config)) == Fraction(600, 28)
    # 2026-W14 is Mon 30 March - Sun 5 April: 2 of 31 March days and 5 of 30 April days
    assert sales_cost(build.context("2026-W14", config=config)) == Fraction(600 * 2, 31) + Fraction(600 * 5, 30)


def _leads(build):
    build.campaign("A", spend=3100, start="2026-03-01", end="2026-03-31")
    build.campaign("B", spend=620, start="2026-03-01", end="2026-03-31")
    build.contact(1, lead=at("2026-03-02"), campaign="A")
    build.contact(2, lead=at("2026-03-03"), campaign="A")
    build.contact(3, lead=at("2026-03-04"), campaign="B")
    build.contact(4, lead=at("2026-03-05"))  # no campaign: counts overall only
    build.contact(5, marketingqualifiedlead=at("2026-03-06"), campaign="A")  # created as MQL: a lead by default
    build.contact(6, lead=at("2026-02-27"), campaign="A")  # a February lead
    build.contact(7, customer=at("2026-03-07"), campaign="A")  # imported customer: never a lead


def test_cost_per_lead_overall_and_per_campaign(build):
    _leads(build)
    ctx = build.context("2026-03")
    # spend 3100 + 620 = 3720; leads 1, 2, 3, 4, 5 = 5 -> 744
    overall = cost_per_lead(ctx, None)[0]
    assert (overall.segment, overall.value, overall.numerator, overall.denominator) == ("all", 744, 3720, 5)
    assert overall.unit == "money"
    per = by_segment(cost_per_lead(ctx, "campaign"))
    assert set(per) == {"campaign=A", "campaign=B"}  # contact 4 has no campaign, hence no spend to divide
    assert per["campaign=A"].value == Fraction(3100, 3)  # contacts 1, 2, 5
    assert per["campaign=B"].value == 620


def test_cost_per_lead_strict_drops_contacts_created_as_mql(build):
    _leads(build)
    ctx = build.context("2026-03", strict=True)
    assert cost_per_lead(ctx, None)[0].value == 930  # 3720 / 4: contact 5 has no recorded lead entry
    assert by_segment(cost_per_lead(ctx, "campaign"))["campaign=A"].value == 1550  # 3100 / 2


def test_zero_spend_and_zero_leads(build):
    build.contact(1, lead=at("2026-03-02"))
    ctx = build.context("2026-03")
    no_spend = cost_per_lead(ctx, None)[0]
    assert no_spend.value == 0 and no_spend.reason is None  # leads that cost nothing: a true 0
    roi = marketing_roi(ctx, None)[0]
    assert roi.value is None and roi.reason == "no spend in the period"
    april = cost_per_lead(build.context("2026-04"), None)[0]
    assert april.value is None and april.reason == "no new lead in the period"


def test_cost_per_opportunity_counts_new_business_deals_created_in_the_period(build):
    _leads(build)
    build.company(10)
    build.deal(1, contacts=(1,), created=at("2026-03-05"))  # new business, campaign A
    build.deal(2, contacts=(2,), created=at("2026-03-05"), dealtype="existingbusiness")  # expansion
    build.deal(3, contacts=(3,), created=at("2026-02-20"))  # created in February
    build.deal(4, contacts=(2,), company=10, stage="closedwon", amount=100, created=at("2026-01-10"),
               closed=at("2026-02-20"))
    build.deal(5, contacts=(2,), company=10, created=at("2026-03-10"))  # company 10 is already a customer
    build.deal(6, contacts=(3,), created=at("2026-03-11"), stage="closedlost", closed=at("2026-03-12"))  # B
    build.deal(7, created=at("2026-03-12"))  # no contact, no campaign: overall only
    ctx = build.context("2026-03")
    overall = cost_per_opportunity(ctx, None)[0]
    assert (overall.value, overall.denominator) == (1240, 3)  # 3720 / deals 1, 6, 7
    per = by_segment(cost_per_opportunity(ctx, "campaign"))
    assert per["campaign=A"].value == 3100 and per["campaign=B"].value == 620


def test_cac_counts_units_by_their_first_won_deal(build):
    build.campaign("A", spend=3100, start="2026-03-01", end="2026-03-31")
    for company in (10, 20, 30, 40, 50):
        build.company(company)
    for contact in range(1, 9):
        build.contact(contact, lead=at("2026-01-05"))
    build.contact(9, customer=at("2026-03-02"))  # imported customer, no deal: not a new customer
    # company 10: first won deal closed in February, the March one is its second: not new in March
    build.deal(1, contacts=(1,), company=10, stage="closedwon", amount=100, closed=at("2026-02-20"))
    build.deal(2, contacts=(1,), company=10, stage="closedwon", amount=100, closed=at("2026-03-10"))
    # company 20: two March wins are one unit; the first has no amount, which CAC does not need
    build.deal(3, contacts=(2,), company=20, stage="closedwon", amount=None, closed=at("2026-03-05"))
    build.deal(4, contacts=(2,), company=20, stage="closedwon", amount=500, closed=at("2026-03-20"))
    # no company: the unit is the attribution contact; three contacts are still one customer
    build.deal(5, contacts=(3, 4, 5), stage="closedwon", amount=300, closed=at("2026-03-12"))
    # company 30: first won deal is existing business: a customer before the CRM knew it
    build.deal(6, contacts=(6,), company=30, stage="closedwon", amount=100, closed=at("2026-03-15"),
               dealtype="existingbusiness")
    build.deal(7, contacts=(7,), stage="closedwon", amount=100, closed=None)  # won without a closedate
    build.deal(8, contacts=(8,), company=40, stage="closedlost", closed=at("2026-03-15"))
    build.deal(9, contacts=(8,), company=50, stage="closedwon", amount=100, closed=at("2026-04-02"))
    config = KpiConfig(currency="USD", sales_cost_per_month=Decimal(600))
    ctx = build.context("2026-03", config=config)
    assert sorted(u["unit"] for u in new_units(ctx)) == ["company:20", "company:30", "contact:3"]
    result = cac(ctx, None)[0]
    # (3100 spend + 600 sales cost) / 2 new units (company 20, contact 3) = 1850
    assert (result.value, result.numerator, result.denominator) == (1850, 3700, 2)
    assert result.excluded == {"existing_business": 1, "no_closedate": 1}
    assert result.details == {"spend": 3100, "sales_cost": 600}
    assert result.unit == "money"
    # marketing CAC by default: no sales cost
    assert cac(build.context("2026-03"), None)[0].value == 1550


def test_cac_with_no_new_customer_is_null(build):
    build.campaign("A", spend=3100, start="2026-03-01", end="2026-03-31")
    result = cac(build.context("2026-03"), None)[0]
    assert result.value is None and result.reason == "no new customer in the period"


def test_marketing_roi_uses_first_touch_attributed_revenue(build):
    build.campaign("A", spend=3100, start="2026-03-01", end="2026-03-31")
    build.campaign("B", spend=620, start="2026-03-01", end="2026-03-31")
    build.campaign("C", spend=1000, start="2026-03-01", end="2026-03-31")
    campaigns = {1: "A", 2: "A", 3: "B", 4: None, 5: "A", 6: "A", 7: "D"}
    for contact, campaign in campaigns.items():
        build.contact(contact, lead=at("2026-01-05"), campaign=campaign)
    build.deal(1, contacts=(1,), stage="closedwon", amount=6200, closed=at("2026-03-10"))
    build.deal(2, contacts=(2,), stage="closedwon", amount=None, closed=at("2026-03-10"))  # unknown amount
    build.deal(3, contacts=(3,), stage="closedwon", amount=310, closed=at("2026-03-11"))
    build.deal(4, contacts=(4,), stage="closedwon", amount=9999, closed=at("2026-03-12"))  # no campaign
    build.deal(5, contacts=(5,), stage="closedwon", amount=500, currency="EUR", closed=at("2026-03-12"))
    build.deal(6, contacts=(6,), stage="closedwon", amount=700, closed=at("2026-02-12"))  # February
    build.deal(7, contacts=(7,), stage="closedwon", amount=50, closed=at("2026-03-13"))  # D has no spend
    build.deal(8, contacts=(1,), stage="closedlost", amount=800, closed=at("2026-03-13"))  # lost
    ctx = build.context("2026-03")
    per = by_segment(marketing_roi(ctx, "campaign"))
    assert per["campaign=A"].value == 1  # (6200 - 3100) / 3100
    assert per["campaign=A"].excluded == {"no_amount": 1, "currency": 1}
    assert per["campaign=B"].value == Fraction(-1, 2)  # (310 - 620) / 620
    assert per["campaign=C"].value == -1  # (0 - 1000) / 1000
    assert per["campaign=D"].value is None and per["campaign=D"].reason == "no spend in the period"
    overall = marketing_roi(ctx, None)[0]
    # revenue attributed to any campaign 6200 + 310 + 50 = 6560; spend 4720; (6560 - 4720) / 4720 = 1840/4720
    assert (overall.value, overall.numerator, overall.denominator) == (Fraction(23, 59), 1840, 4720)
    assert overall.details["attributed_revenue"] == 6560
    assert overall.unit == "rate"


def test_where_the_portal_serves_no_campaigns_every_figure_built_on_spend_is_null(build):
    """Below Marketing Hub Professional the worker reads no campaign: spend is unknown, never 0, even where the
    mirror still holds campaigns from before (a downgraded portal)."""
    from kpi import compute
    from kpi.costs import SPEND_UNAVAILABLE
    from kpi.periods import Period

    build.campaign("A", spend=3100, start="2026-03-01", end="2026-03-31")
    build.contact(1, lead=at("2026-03-02"), campaign="A")
    build.company(10)
    build.deal(1, contacts=(1,), company=10, stage="closedwon", amount=6200, created=at("2026-03-03"),
               closed=at("2026-03-10"))
    served, unserved = KpiConfig(currency="USD"), KpiConfig(currency="USD", campaign_spend=False)
    for by in (None, "campaign"):
        ctx = build.context("2026-03", config=unserved)
        for kpi in (cost_per_lead, cost_per_opportunity, cac, marketing_roi):
            results = kpi(ctx, by)
            assert results and all(r.value is None and r.numerator is None and r.reason == SPEND_UNAVAILABLE
                                   for r in results), results
            assert all(r.value is not None for r in kpi(build.context("2026-03", config=served), by))
    assert marketing_roi(build.context("2026-03", config=unserved), None)[0].denominator is None  # the spend
    assert cost_per_lead(build.context("2026-03", config=unserved), None)[0].denominator == 1  # the leads
    march = Period.parse("2026-03", "UTC")
    ltv = compute(build.db, unserved, march, kpis=["ltv_to_cac"], now=march.end_utc)[0]
    assert ltv.value is None and ltv.reason == f"CAC is null: {SPEND_UNAVAILABLE}"
