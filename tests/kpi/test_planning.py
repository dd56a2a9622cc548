"""Planning (definitions G1): the reverse funnel from a quota, with unit-level rates and exact ceilings."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

from kpi import KpiConfig
from kpi.planning import customers_needed, leads_needed, mqls_needed, sqls_needed, window


def at(day: str) -> str:
    return f"{day}T10:00:00.000Z"


def config(quota: int | None, months: int = 6, **more) -> KpiConfig:
    return KpiConfig(currency="USD", quota=None if quota is None else Decimal(quota), planning_window_months=months,
                     **more)


def plan(ctx):
    return {f.__name__: f(ctx, None)[0] for f in (customers_needed, leads_needed, mqls_needed, sqls_needed)}


def test_window_is_whole_months_ending_with_the_period(build):
    assert str(window(build.context("2026-03", config=config(1)))) == "2025-10..2026-03"
    assert str(window(build.context("2026-03-15", config=config(1)))) == "2025-10..2026-03"
    assert str(window(build.context("2026-Q1", config=config(1, months=3)))) == "2026-01..2026-03"
    assert str(window(build.context("2026", config=config(1)))) == "2026-07..2026-12"
    # bounds in the portal's time zone: midnight in New York is 04:00 UTC in October and in April (EDT)
    new_york = config(1, time_zone="America/New_York")
    assert window(build.context("2026-03", config=new_york)).bounds == ("2025-10-01T04:00:00.000Z",
                                                                         "2026-04-01T04:00:00.000Z")


def _twenty_leads(build):
    """20 leads in January 2026 (window 2025-10..2026-03); 1-10 reach MQL, 1-8 SQL, 1-7 win a 1000 deal."""
    for owner in (1, 2, 5):
        build.owner(owner)
    build.owner(3, archived=1)
    build.owner(4, type="QUEUE")
    for c in range(1, 21):
        stages = {"lead": at("2026-01-05")}
        if c <= 10:
            stages["marketingqualifiedlead"] = at("2026-01-10")
        if c <= 8:
            stages["salesqualifiedlead"] = at("2026-01-15")
        owner = {19: 4, 20: 3}.get(c, 1 if c % 2 else 2)
        build.contact(c, owner=owner, **stages)
        if c <= 7:
            build.deal(c, contacts=(c,), stage="closedwon", amount=1000, created=at("2026-01-20"),
                       closed=at("2026-02-10"))
    # a September lead that wins in February: a new customer of the window (it counts in ARPC), but its contact is
    # not in the window's lead cohort, so it does not count in the rates
    build.contact(21, lead=at("2025-09-20"))
    build.deal(21, contacts=(21,), stage="closedwon", amount=1000, created=at("2025-12-01"), closed=at("2026-02-11"))


def test_exact_ceilings_21_customers_at_35_percent_need_60_leads(build):
    _twenty_leads(build)
    results = plan(build.context("2026-03", config=config(21000)))
    # ARPC = 8 units x 1000 / 8 = 1000; customers = ceil(21000 / 1000) = 21
    customers = results["customers_needed"]
    assert (customers.value, customers.numerator, customers.denominator) == (21, 21000, 1000)
    assert customers.details["new_units"] == 8 and customers.details["window"] == "2025-10..2026-03"
    # lead -> customer: 7 units credited to contacts 1-7 / 20 leads = 35 %: 21 / (7/20) = 60 exactly
    assert math.ceil(21 / 0.35) == 61  # the floating-point trap the exact arithmetic avoids
    leads = results["leads_needed"]
    assert (leads.value, leads.numerator, leads.denominator) == (60, 21, Fraction(7, 20))
    assert (leads.details["cohort"], leads.details["converted"]) == (20, 7)
    # mql -> customer 7/10: ceil(30) = 30; sql -> customer 7/8: ceil(24) = 24
    assert results["mqls_needed"].value == 30
    assert results["sqls_needed"].value == 24
    assert leads.details["rates"] == {"lead": Fraction(7, 20), "mql": Fraction(7, 10), "sql": Fraction(7, 8)}
    # active reps: owners 1 and 2 (owner 3 is archived, 4 is a queue, 5 owns no contact): 60 / 2 = 30 leads each
    assert leads.details["active_reps"] == 2 and leads.details["per_rep"] == 30
    assert results["mqls_needed"].details["per_rep"] == 15


def test_active_reps_of_a_configured_team(build):
    _twenty_leads(build)
    build.db.execute("""UPDATE owners SET teams = '[{"id": "77", "name": "Sales EMEA", "primary": true}]'
                        WHERE id IN (2, 3, 5)""")
    # team 77: owners 2 and 5 (3 is archived); owning contacts no longer matters
    for team in ("77", "Sales EMEA"):
        leads = leads_needed(build.context("2026-03", config=config(21000, rep_team=team)), None)[0]
        assert leads.details["active_reps"] == 2 and leads.details["per_rep"] == 30
    leads = leads_needed(build.context("2026-03", config=config(21000, rep_team="88")), None)[0]
    assert leads.details["active_reps"] == 0 and "per_rep" not in leads.details


def test_rates_count_customer_units_not_contacts(build):
    build.company(10)
    for c, day in ((1, "2026-03-02"), (2, "2026-03-03"), (3, "2026-03-04"), (4, "2026-03-05"), (5, "2026-03-06")):
        build.contact(c, lead=at(day))
    # one deal, three contacts: one customer, credited to contact 1 (earliest entry)
    build.deal(1, contacts=(1, 2, 3), stage="closedwon", amount=900, created=at("2026-03-07"),
               closed=at("2026-03-09"))
    # company 10: first won deal (contact 4) closes 10 March; the second, created before it, is new business too
    build.deal(2, contacts=(4,), company=10, stage="closedwon", amount=400, created=at("2026-03-07"),
               closed=at("2026-03-10"))
    build.deal(3, contacts=(5,), company=10, stage="closedwon", amount=600, created=at("2026-03-01"),
               closed=at("2026-03-20"))
    results = plan(build.context("2026-03", config=config(2850, months=1)))
    # ARPC = (900 + 400 + 600) / 2 units = 950; customers = ceil(2850 / 950) = 3
    assert results["customers_needed"].denominator == 950 and results["customers_needed"].value == 3
    # 2 units / 5 leads (contact-level it would be 5/5): ceil(3 / (2/5)) = ceil(7.5) = 8
    leads = results["leads_needed"]
    assert (leads.value, leads.denominator) == (8, Fraction(2, 5))


def test_first_won_deal_decides_and_imported_customers_do_not_count(build):
    for company in (20, 30):
        build.company(company)
    build.contact(1, lead=at("2025-08-01"))
    build.contact(2, lead=at("2026-01-02"))
    build.contact(3, lead=at("2026-01-03"))
    build.contact(4, lead=at("2026-01-04"))
    build.contact(5, lead=at("2026-01-05"))
    build.contact(6, customer=at("2026-02-01"))  # imported as a customer, no deal: no lead, no new unit
    # company 20 first won in September 2025, before the window: its February win is not a new customer
    build.deal(1, contacts=(1,), company=20, stage="closedwon", amount=5000, created=at("2025-08-10"),
               closed=at("2025-09-15"))
    build.deal(2, contacts=(1,), company=20, stage="closedwon", amount=5000, created=at("2026-01-10"),
               closed=at("2026-02-01"))
    # company 30: its first won deal has no amount, so it stays out of ARPC, but it is a new customer for the rates
    build.deal(3, contacts=(2,), company=30, stage="closedwon", amount=None, created=at("2026-01-05"),
               closed=at("2026-01-10"))
    build.deal(4, contacts=(2,), company=30, stage="closedwon", amount=2000, created=at("2026-01-05"),
               closed=at("2026-02-10"))
    build.deal(5, contacts=(3,), stage="closedwon", amount=3000, created=at("2026-01-06"), closed=at("2026-01-20"))
    results = plan(build.context("2026-03", config=config(9000)))
    customers = results["customers_needed"]
    # ARPC = 3000 / 1 (contact 3's unit only); customers = ceil(9000 / 3000) = 3
    assert (customers.value, customers.denominator, customers.details["new_units"]) == (3, 3000, 1)
    assert customers.excluded == {"no_amount": 1}  # company 30's first deal
    # lead cohort: contacts 2, 3, 4, 5 (1 is from August, 6 never was a lead); converted: company 30 (contact 2)
    # and contact 3's unit = 2/4; leads = ceil(3 / (1/2)) = 6
    leads = results["leads_needed"]
    assert (leads.value, leads.details["cohort"], leads.details["converted"]) == (6, 4, 2)


def test_strict_mode_reads_recorded_entries_only(build):
    build.contact(1, lead=at("2026-03-02"), marketingqualifiedlead=at("2026-03-03"))
    build.contact(2, marketingqualifiedlead=at("2026-03-04"))  # created as MQL: a lead only by default
    build.deal(1, contacts=(1,), stage="closedwon", amount=1000, created=at("2026-03-05"), closed=at("2026-03-06"))
    # customers = ceil(1000 / 1000) = 1; default: 1 unit / 2 leads -> 2 leads; strict: 1 / 1 -> 1 lead
    assert leads_needed(build.context("2026-03", config=config(1000)), None)[0].value == 2
    assert leads_needed(build.context("2026-03", config=config(1000), strict=True), None)[0].value == 1


def test_nulls_carry_a_reason(build):
    build.contact(1, lead=at("2026-03-02"))
    build.deal(1, contacts=(1,), stage="closedwon", amount=1000, created=at("2026-03-05"), closed=at("2026-03-06"))
    no_quota = plan(build.context("2026-03", config=config(None)))
    assert no_quota["customers_needed"].value is None
    assert no_quota["customers_needed"].reason == "no quota is set"
    assert no_quota["leads_needed"].reason == "customers_needed is null: no quota is set"
    assert no_quota["leads_needed"].details["rates"]["lead"] == 1  # the rates are still reported
    results = plan(build.context("2026-03", config=config(5000)))
    assert results["leads_needed"].value == 5  # ceil(5 / 1)
    # contact 1 never reached MQL or SQL: no cohort at all
    assert results["mqls_needed"].value is None and results["mqls_needed"].reason == "no mql in the window"
    assert results["sqls_needed"].reason == "no sql in the window"
    # an MQL that does not convert: rate 0
    build.contact(2, marketingqualifiedlead=at("2026-03-07"))
    zero = mqls_needed(build.context("2026-03", config=config(5000)), None)[0]
    assert zero.value is None and zero.reason == "the mql→customer rate in the window is 0"
    # no new customer with a known amount in the window
    empty = plan(build.context("2025-06", config=config(5000)))
    assert empty["customers_needed"].reason == "no new customer with a known first-deal amount in the window"

