"""Customers (definitions §2.E) on hand-built mirrors: lifetime value, LTV:CAC, retention, upsell, engagement."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from kpi import KpiConfig, KpiResult, registry
from kpi.customers import (
    clv,
    customer_engagement_rate,
    engagements_per_customer,
    ltv_to_cac,
    retention_rate,
    upsell_deal_share,
    upsell_revenue_share,
)
from kpi.registry import KpiSpec


@pytest.fixture
def deals(build):
    """Won, lost and unknown deals of several units; March 2026 is the period, as_of 1 April."""
    for contact in range(1, 9):
        build.contact(contact, lead="2025-12-01T00:00:00.000Z")
    build.company(1)
    # company 1: two won deals, 1000 in January and 500.1 in March (expansion: created after the first won)
    build.deal(1, contacts=(1,), company=1, stage="closedwon", amount=1000, closed="2026-01-15T10:00:00.000Z")
    build.deal(2, contacts=(1,), company=1, stage="closedwon", amount=500.1, created="2026-03-01T00:00:00.000Z",
               closed="2026-03-10T10:00:00.000Z", owner=1)
    # contact 2: its only won deal has no amount
    build.deal(3, contacts=(2,), stage="closedwon", amount=None, closed="2026-02-01T10:00:00.000Z")
    # contact 3: 300 known, then an expansion without amount in March
    build.deal(4, contacts=(3,), stage="closedwon", amount=300, closed="2026-02-01T10:00:00.000Z")
    build.deal(5, contacts=(3,), stage="closedwon", amount=None, created="2026-02-15T00:00:00.000Z",
               closed="2026-03-05T10:00:00.000Z")
    # contact 4: won after as_of, and lost: no customer yet
    build.deal(6, contacts=(4,), stage="closedwon", amount=999, closed="2026-04-05T10:00:00.000Z")
    build.deal(7, contacts=(4,), stage="closedlost", amount=700, closed="2026-03-15T10:00:00.000Z")
    # contact 5: won without a closedate; contact 6: won in euros with no home amount
    build.deal(8, contacts=(5,), stage="closedwon", amount=200)
    build.deal(9, contacts=(6,), stage="closedwon", amount=100, currency="EUR", closed="2026-02-20T10:00:00.000Z")
    # contact 7: new business in March; contact 8: a first deal marked existing business is expansion
    build.deal(10, contacts=(7,), stage="closedwon", amount=1499.9, created="2026-03-01T00:00:00.000Z",
               closed="2026-03-20T10:00:00.000Z", owner=1)
    build.deal(11, contacts=(8,), stage="closedwon", amount=1000, dealtype="existingbusiness",
               created="2026-03-01T00:00:00.000Z", closed="2026-03-25T10:00:00.000Z", owner=2)
    return build


def test_clv_sums_each_units_deals_and_averages_over_units(deals):
    # units with a known amount: company 1 (1000 + 500.1), contact 3 (300; its unknown deal left out),
    # contact 7 (1499.9), contact 8 (1000): 4300 / 4 = 1075. Left out: contact 2 (no amount), contact 6
    # (currency), deal 8 (no closedate); contact 4 won only after as_of.
    [result] = clv(deals.context("2026-03"), None)
    assert (result.value, result.numerator, result.denominator) == (1075, Decimal("4300"), 4)
    assert result.excluded == {"no_amount": 1, "currency": 1, "no_closedate": 1}
    assert result.details == {"method": "historical"} and result.unit == "money"


def test_clv_counts_only_deals_won_before_as_of(deals):
    # at 1 March: company 1 (1000) and contact 3 (300): 650
    [result] = clv(deals.context("2026-03", as_of="2026-03-01T00:00:00.000Z"), None)
    assert (result.value, result.numerator, result.denominator) == (650, Decimal("1300"), 2)


def test_clv_without_customers_is_null(build):
    [result] = clv(build.context("2026-03"), None)
    assert result.value is None and result.denominator == 0 and result.reason


def _with_cac(monkeypatch, value):
    def cac(ctx, by):
        return [KpiResult("cac", ctx.label, "all", value, None, None, ctx.as_of_iso, unit="money")]
    monkeypatch.setattr(registry, "specs", lambda: {"cac": KpiSpec("cac", "costs", cac)})


def test_ltv_to_cac(deals, monkeypatch):
    _with_cac(monkeypatch, Decimal("537.5"))  # 1075 / 537.5 = 2
    [result] = ltv_to_cac(deals.context("2026-03"), None)
    assert (result.value, result.numerator, result.denominator) == (2, 1075, Decimal("537.5"))
    assert result.details == {"method": "historical"}


@pytest.mark.parametrize("cac", [None, Decimal(0)])
def test_ltv_to_cac_is_null_without_cac(deals, monkeypatch, cac):
    _with_cac(monkeypatch, cac)
    [result] = ltv_to_cac(deals.context("2026-03"), None)
    assert result.value is None and result.reason


def test_upsell_shares(deals):
    ctx = deals.context("2026-03")
    # won in March: 2 (expansion, 500.1), 5 (expansion, unknown), 10 (new, 1499.9), 11 (expansion, 1000);
    # revenue: known expansion 1500.1 of known 3000; deals: 3 expansion of 4
    [revenue] = upsell_revenue_share(ctx, None)
    assert (revenue.value, revenue.numerator, revenue.denominator) == (
        Fraction(15001, 30000), Decimal("1500.1"), Decimal("3000"))
    assert revenue.excluded == {"no_amount": 1, "no_closedate": 1}
    [count] = upsell_deal_share(ctx, None)
    assert (count.value, count.numerator, count.denominator) == (Fraction(3, 4), 3, 4)
    assert count.excluded == {"no_closedate": 1}


def test_upsell_shares_per_deal_owner(deals):
    ctx = deals.context("2026-03")
    # owner 1: deals 2 and 10 (500.1 of 2000); owner 2: deal 11; nobody: deal 5 (unknown) and deal 8 (no date)
    assert [(r.segment, r.value, r.excluded) for r in upsell_revenue_share(ctx, "owner")] == [
        ("owner=1", Fraction(5001, 20000), {}), ("owner=2", Fraction(1), {}),
        ("owner=UNASSIGNED", None, {"no_amount": 1, "no_closedate": 1})]
    assert [(r.segment, r.value) for r in upsell_deal_share(ctx, "owner")] == [
        ("owner=1", Fraction(1, 2)), ("owner=2", Fraction(1)), ("owner=UNASSIGNED", Fraction(1))]


def test_upsell_without_won_deals_is_null(build):
    for kpi in (upsell_revenue_share, upsell_deal_share):
        [result] = kpi(build.context("2026-03"), None)
        assert result.value is None and result.reason


@pytest.fixture
def customers(build):
    """Stage histories around March 2026 (p0 = 1 March, p1 = 1 April)."""
    build.company(1)
    build.company(2)
    build.contact(1, customer="2026-01-10T00:00:00.000Z")  # company 1, stays
    build.contact(2, customer="2026-01-10T00:00:00.000Z", history={"other": "2026-03-15T00:00:00.000Z"})  # company 1
    build.contact(3, customer="2026-02-01T00:00:00.000Z", history={"other": "2026-03-10T00:00:00.000Z"})  # company 2
    build.contact(4, customer="2026-02-01T00:00:00.000Z", evangelist="2026-03-05T00:00:00.000Z")
    build.contact(5, customer="2026-03-10T00:00:00.000Z")  # new in March
    build.contact(6, customer="2026-02-10T00:00:00.000Z", salesqualifiedlead="2026-02-20T00:00:00.000Z")
    build.contact(7, customer="2026-03-01T00:00:00.000Z")  # at p0 itself: new in March, not a customer at p0
    build.contact(8, customer="2026-01-05T00:00:00.000Z",  # leaves and comes back within March
                  history={"other": "2026-03-05T00:00:00.000Z", "customer": "2026-03-20T00:00:00.000Z"})
    build.contact(9, customer="2026-01-01T00:00:00.000Z", archived=1)
    build.db.execute("UPDATE contacts SET company_id = 1 WHERE id IN (1, 2)")
    build.db.execute("UPDATE contacts SET company_id = 2 WHERE id = 3")
    return build


@pytest.mark.parametrize(("unit", "as_of", "retained", "start"), [
    # customers at p0: company 1 (contacts 1, 2), company 2 (3), contacts 4 and 8. At p1 company 1 still has
    # contact 1, 4 is an evangelist, 8 is back; company 2's only contact left: 3 of 4.
    pytest.param("company", None, 3, 4, id="company-units"),
    # per contact: 1 2 3 4 8 at p0; 2 and 3 left: 3 of 5
    pytest.param("contact", None, 3, 5, id="contact-units"),
    # judged on 12 March: company 1 and contact 4 only (8 is away until the 20th)
    pytest.param("company", "2026-03-12T00:00:00.000Z", 2, 4, id="as-of"),
])
def test_retention(customers, unit, as_of, retained, start):
    ctx = customers.context("2026-03", as_of=as_of, config=KpiConfig(customer_unit=unit))
    [result] = retention_rate(ctx, None)
    assert (result.value, result.numerator, result.denominator) == (Fraction(retained, start), retained, start)


def test_retention_without_customers_is_null(customers):
    [result] = retention_rate(customers.context("2025-12"), None)
    assert result.value is None and result.denominator == 0 and result.reason


def test_customer_engagement(customers):
    # customers at p1 (1 April): company 1, contacts 4, 5, 7 and 8. The 90 days before start on 1 January.
    b = customers
    b.engagement(1, "call", "2026-03-05T10:00:00.000Z", contact=1, direction="OUTBOUND")  # company 1, in March
    # an incoming email on contact 2 (who left, but company 1 is still a customer), also associated with contact 1:
    # one engagement of company 1
    b.engagement(2, "email", "2026-03-06T10:00:00.000Z", contact=2, direction="INCOMING_EMAIL")
    b.db["engagement_contacts"].insert({"type": "email", "engagement_id": 2, "contact_id": 1})
    b.engagement(3, "meeting", "2026-01-15T10:00:00.000Z", contact=4)  # recent, before March
    b.engagement(4, "call", "2026-03-20T10:00:00.000Z", contact=4, direction="INBOUND")  # in March
    b.engagement(5, "task", "2026-03-10T10:00:00.000Z", contact=5)  # tasks are no engagement
    b.engagement(6, "call", "2025-12-20T10:00:00.000Z", contact=7, direction="OUTBOUND")  # over 90 days ago
    b.engagement(7, "call", "2026-04-02T10:00:00.000Z", contact=8, direction="OUTBOUND")  # after p1
    b.engagement(8, "email", "2026-03-10T10:00:00.000Z", contact=3, direction="EMAIL")  # company 2: no customer
    ctx = b.context("2026-03")
    # engaged: company 1 and contact 4, of 5 customers; engagements in March: 1, 2 (company 1) and 4 (contact 4)
    [rate] = customer_engagement_rate(ctx, None)
    assert (rate.value, rate.numerator, rate.denominator) == (Fraction(2, 5), 2, 5)
    [per] = engagements_per_customer(ctx, None)
    assert (per.value, per.numerator, per.denominator, per.unit) == (Fraction(3, 5), 3, 5, "count")


def test_customer_engagement_without_customers_is_null(build):
    ctx = build.context("2026-03")
    for kpi in (customer_engagement_rate, engagements_per_customer):
        [result] = kpi(ctx, None)
        assert result.value is None and result.denominator == 0 and result.reason
