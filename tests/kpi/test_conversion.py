"""Conversion (definitions §2.B): cohort rates, the period ratio, the B2 chain and stage velocity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi import KpiConfig
from kpi.funnel import HUBSPOT_VALUES, reached
from kpi.periods import iso, parse_iso

from .builder import MirrorBuilder
from .test_volume import T, by_kpi

PARTS = ("lead_to_mql_rate", "sql_to_opportunity_rate", "opportunity_to_customer_rate")


def rates(results):
    return {r.segment: (r.numerator, r.denominator, r.value) for r in results}


def mql_cohort(build):
    build.contact(1, source="PAID_SEARCH", marketingqualifiedlead=T("03-03"), salesqualifiedlead=T("03-20"))
    build.contact(2, source="PAID_SEARCH", marketingqualifiedlead=T("03-10"), salesqualifiedlead=T("04-15"))
    # skips mql: mql is implied at its sql time, so it converts at once (strict mode drops it)
    build.contact(3, source="ORGANIC_SEARCH", lead=T("03-01"), salesqualifiedlead=T("03-05"))
    build.contact(4, source="ORGANIC_SEARCH", marketingqualifiedlead=T("03-25"))
    build.contact(5, source="PAID_SEARCH", marketingqualifiedlead=T("02-25"), salesqualifiedlead=T("03-02"))


def test_mql_to_sql_rate_counts_conversions_up_to_as_of(build):
    mql_cohort(build)
    # March's MQLs: 1, 2, 3, 4 (5 is February's). By April 10th: 1 and 3 reached sql.
    ctx = build.context("2026-03", as_of=T("04-10"))
    assert rates(by_kpi(ctx, "mql_to_sql_rate", "source")) == {
        "source=ORGANIC_SEARCH": (1, 2, Fraction(1, 2)), "source=PAID_SEARCH": (1, 2, Fraction(1, 2))}
    # as_of 15 March: the cohort stops there too (4's mql is 03-25), and only 3 has converted by then
    [early] = by_kpi(build.context("2026-03", as_of=T("03-15")), "mql_to_sql_rate")
    assert (early.numerator, early.denominator) == (1, 3)
    # by May: 2 converted too
    [later] = by_kpi(build.context("2026-03", as_of=T("05-01")), "mql_to_sql_rate")
    assert (later.numerator, later.denominator, later.details) == (3, 4, {"cohort": "mql"})
    # strict: 3 has no recorded mql, so the cohort is 1, 2, 4
    [strict] = by_kpi(build.context("2026-03", as_of=T("05-01"), strict=True), "mql_to_sql_rate")
    assert (strict.numerator, strict.denominator) == (2, 3)


def test_mql_to_sql_rate_maturity_window(build):
    mql_cohort(build)
    build.contact(6, marketingqualifiedlead=T("03-11"), salesqualifiedlead=T("04-10"))  # exactly 30 days: converts
    # W = 30 days: 2 (sql 36 days after mql) no longer converts; 1, 3 and 6 do
    ctx = build.context("2026-03", as_of=T("04-30"), config=KpiConfig(maturity_days=30))
    [result] = by_kpi(ctx, "mql_to_sql_rate")
    assert (result.numerator, result.denominator, result.value) == (3, 5, Fraction(3, 5))
    assert result.details == {"cohort": "mql", "immature": True}  # April 1st + 30 days is after as_of


@pytest.mark.parametrize(("as_of", "window", "immature"), [
    (T("03-15"), None, True),
    ("2026-04-01T00:00:00.000Z", None, False),
    (T("04-20"), 30, True),
    ("2026-05-01T00:00:00.000Z", 30, False),
    (T("04-01"), 0, False),
], ids=["open-period", "at-period-end", "inside-window", "window-end", "zero-window"])
def test_immature_cohorts_are_flagged(build, as_of, window, immature):
    mql_cohort(build)
    ctx = build.context("2026-03", as_of=as_of, config=KpiConfig(maturity_days=window))
    for kpi in ("mql_to_sql_rate", "lead_to_customer_rate", "stage_velocity_days"):
        assert all(r.details.get("immature", False) is immature for r in by_kpi(ctx, kpi))


def test_mql_to_sql_period_ratio_mixes_cohorts(build):
    mql_cohort(build)
    build.contact(6, source="EMAIL", marketingqualifiedlead=T("04-02"), salesqualifiedlead=T("04-03"))
    # March: MQL flow 1, 2, 3 (implied), 4 = 4; SQL flow 1, 3, 5 = 3
    assert rates(by_kpi(build.context("2026-03"), "mql_to_sql_period_ratio", "source")) == {
        "source=ORGANIC_SEARCH": (1, 2, Fraction(1, 2)), "source=PAID_SEARCH": (2, 2, 1)}
    # April: MQL flow 6; SQL flow 2, 6: above 1. PAID_SEARCH had SQLs but no MQL: null, not infinite
    april = by_kpi(build.context("2026-04"), "mql_to_sql_period_ratio", "source")
    assert rates(april) == {"source=EMAIL": (1, 1, 1), "source=PAID_SEARCH": (1, 0, None)}
    assert april[1].reason == "no MQL entered in the period"
    [total] = by_kpi(build.context("2026-04"), "mql_to_sql_period_ratio")
    assert total.value == 2


def lead_cohort(build):
    build.contact(1, source="PAID_SEARCH", lead=T("03-01"), marketingqualifiedlead=T("03-02"),
                  salesqualifiedlead=T("03-04"), opportunity=T("03-10"), customer=T("03-20 12:00"))
    # skips mql and opportunity: both implied (at 03-05 and 04-10)
    build.contact(2, source="PAID_SEARCH", lead=T("03-02"), salesqualifiedlead=T("03-05"), customer=T("04-10"))
    build.contact(3, source="ORGANIC_SEARCH", lead=T("03-03"), marketingqualifiedlead=T("03-06"),
                  salesqualifiedlead=T("03-08"), stage="lead")  # regressed to lead: keeps mql and sql
    build.contact(4, source="ORGANIC_SEARCH", lead=T("03-04"))
    build.contact(5, source="ORGANIC_SEARCH", customer=T("03-05"))  # imported customer: not a lead
    build.contact(6, source="ORGANIC_SEARCH", marketingqualifiedlead=T("03-06"), opportunity=T("03-09"))
    build.contact(7, source="ORGANIC_SEARCH", lead=T("02-20"), marketingqualifiedlead=T("03-01"))  # February
    # sql, then back to mql: mql is reached at the sql entry (03-02); in strict mode mql (03-05) comes after sql
    build.contact(8, source="ORGANIC_SEARCH", lead=T("03-01"), salesqualifiedlead=T("03-02"),
                  marketingqualifiedlead=T("03-05"))


def chain(ctx, by=None):
    """kpi -> {segment: (numerator, denominator, value)} for the B2 family."""
    return {kpi: rates(by_kpi(ctx, kpi, by)) for kpi in ("lead_to_customer_rate", *PARTS)}


def test_lead_chain_parts_multiply_out(build):
    lead_cohort(build)
    # lead cohort: 1, 2, 3, 4, 6, 8 (6 created as MQL is a lead; 5 imported; 7 February)
    # survivors: mql 1, 2, 3, 6, 8; sql the same; opportunity 1, 2, 6; customer 1, 2
    [total] = by_kpi(build.context("2026-03", as_of=T("06-01")), "lead_to_customer_rate")
    assert (total.numerator, total.denominator, total.value) == (2, 6, Fraction(1, 3))
    assert total.details == {"cohort": "lead",
                             "survivors": {"lead": 6, "mql": 5, "sql": 5, "opportunity": 3, "customer": 2}}
    assert chain(build.context("2026-03", as_of=T("06-01"))) == {
        "lead_to_customer_rate": {"all": (2, 6, Fraction(1, 3))},
        "lead_to_mql_rate": {"all": (5, 6, Fraction(5, 6))},
        "sql_to_opportunity_rate": {"all": (3, 5, Fraction(3, 5))},
        "opportunity_to_customer_rate": {"all": (2, 3, Fraction(2, 3))}}
    # 5/6 x 5/5 (mql->sql) x 3/5 x 2/3 = 1/3


def test_lead_chain_in_strict_mode_is_the_all_stages_funnel(build):
    lead_cohort(build)
    # recorded lead entries: 1, 2, 3, 4, 8; recorded mql after lead: 1, 3, 8; sql after mql: 1, 3 (8's sql came
    # before its mql); opportunity: 1; customer: 1. 3/5 x 2/3 x 1/2 x 1/1 = 1/5
    ctx = build.context("2026-03", as_of=T("06-01"), strict=True)
    [total] = by_kpi(ctx, "lead_to_customer_rate")
    assert total.details["survivors"] == {"lead": 5, "mql": 3, "sql": 2, "opportunity": 1, "customer": 1}
    assert {kpi: r["all"][2] for kpi, r in chain(ctx).items()} == {
        "lead_to_customer_rate": Fraction(1, 5), "lead_to_mql_rate": Fraction(3, 5),
        "sql_to_opportunity_rate": Fraction(1, 2), "opportunity_to_customer_rate": 1}


def test_lead_chain_as_of_window_and_segments(build):
    lead_cohort(build)
    # as_of = p1: 2's opportunity and customer (04-10) have not happened yet
    ctx = build.context("2026-03")
    assert by_kpi(ctx, "lead_to_customer_rate")[0].details == {
        "cohort": "lead", "survivors": {"lead": 6, "mql": 5, "sql": 5, "opportunity": 2, "customer": 1}}
    # W = 10 days from the lead entry: 2 (customer 39 days on) and 1 (customer 19.5 days on) stop at sql and
    # opportunity; 6 (lead 03-06, opportunity 03-09) still counts
    windowed = build.context("2026-03", as_of=T("06-01"), config=KpiConfig(maturity_days=10))
    assert by_kpi(windowed, "lead_to_customer_rate")[0].details["survivors"] == {
        "lead": 6, "mql": 5, "sql": 5, "opportunity": 2, "customer": 0}
    # per source: PAID_SEARCH 1, 2 go all the way; ORGANIC_SEARCH 3, 4, 6, 8: mql 3, 6, 8; opportunity 6 only
    assert chain(build.context("2026-03", as_of=T("06-01")), "source") == {
        "lead_to_customer_rate": {"source=ORGANIC_SEARCH": (0, 4, 0), "source=PAID_SEARCH": (2, 2, 1)},
        "lead_to_mql_rate": {"source=ORGANIC_SEARCH": (3, 4, Fraction(3, 4)), "source=PAID_SEARCH": (2, 2, 1)},
        "sql_to_opportunity_rate": {"source=ORGANIC_SEARCH": (1, 3, Fraction(1, 3)),
                                    "source=PAID_SEARCH": (2, 2, 1)},
        "opportunity_to_customer_rate": {"source=ORGANIC_SEARCH": (0, 1, 0), "source=PAID_SEARCH": (2, 2, 1)}}


def test_lead_chain_window_runs_from_the_lead_entry(build):
    # W = 7 days from the lead entry (03-01): mql (03-05) is inside it, sql (03-09) is not, though it came only 4
    # days after mql; anchoring each part at its own start would break the chain of nested cohorts
    build.contact(1, lead=T("03-01"), marketingqualifiedlead=T("03-05"), salesqualifiedlead=T("03-09"),
                  opportunity=T("03-10"))
    ctx = build.context("2026-03", as_of=T("06-01"), config=KpiConfig(maturity_days=7))
    assert by_kpi(ctx, "lead_to_customer_rate")[0].details["survivors"] == {
        "lead": 1, "mql": 1, "sql": 0, "opportunity": 0, "customer": 0}


def test_lead_chain_without_leads_is_null(build):
    lead_cohort(build)
    ctx = build.context("2026-05")
    assert chain(ctx) == {kpi: {"all": (0, 0, None)} for kpi in ("lead_to_customer_rate", *PARTS)}
    assert by_kpi(ctx, "lead_to_mql_rate")[0].reason == "no lead entered in the period"
    assert by_kpi(ctx, "sql_to_opportunity_rate")[0].reason == "no contact of the period's leads reached sql"
    assert chain(ctx, "source") == {kpi: {} for kpi in ("lead_to_customer_rate", *PARTS)}


def test_stage_velocity_medians(build):
    lead_cohort(build)
    # lead->mql over 1, 2, 3, 6, 8: 1, 3, 3, 0, 1 days -> 1
    # mql->sql over the same: 2, 0, 2, 3, 0 -> 2
    # sql->opportunity over 1, 2, 6: 6, 36, 0 -> 6
    # opportunity->customer over 1, 2: 10.5, 0 -> an even count: the mean of the two, 21/4
    results = by_kpi(build.context("2026-03", as_of=T("06-01")), "stage_velocity_days", "source")
    assert [(r.segment, r.value, r.details["contacts"], r.unit) for r in results] == [
        ("stages=lead->mql", 1, 5, "days"), ("stages=mql->sql", 2, 5, "days"),
        ("stages=sql->opportunity", 6, 3, "days"), ("stages=opportunity->customer", Fraction(21, 4), 2, "days")]
    empty = by_kpi(build.context("2026-05"), "stage_velocity_days")
    assert [(r.value, r.reason) for r in empty][-1] == (None, "no lead of the period reached customer")


# -- the B2 property: over any small funnel, the parts multiply out to lead->customer exactly ---------------------

START = datetime(2026, 2, 25, tzinfo=UTC)
VALUES = list(HUBSPOT_VALUES)  # the portal's values, in the stage order, other last


def journey(start: int, steps: list[tuple[str, int]], forward: bool) -> dict[str, str]:
    """Stage entries after gaps of half days from Feb 25: up the order with skips, or in any order (regressions).
    A value entered twice keeps its first time here; re-entries come as separate evidence."""
    if forward:
        steps = sorted(steps, key=lambda step: VALUES.index(step[0]))
    entries: dict[str, str] = {}
    at = start
    for value, gap in steps:
        at += gap
        entries.setdefault(value, iso(START + timedelta(hours=12 * at)))
    return entries


MOMENT = st.integers(0, 80).map(lambda h: iso(START + timedelta(hours=12 * h)))  # Feb 25 to Apr 6, with ties
ENTRIES = st.builds(journey, st.integers(0, 60), st.lists(st.tuples(st.sampled_from(VALUES), st.integers(0, 12)),
                                                          max_size=6), st.booleans())
AGAIN = st.dictionaries(st.sampled_from(VALUES), MOMENT, max_size=2)
CONTACT = st.tuples(ENTRIES, AGAIN, st.sampled_from([None, "PAID_SEARCH", "EMAIL"]))  # entries, re-entries, source


def survivors(contacts, as_of, window, strict):
    """Reference model in Python (§1.4 via funnel.reached): the lead cohort of March 2026 and its survivors."""
    counts = dict.fromkeys(("lead", "mql", "sql", "opportunity", "customer"), 0)
    for entries, again, _ in contacts:
        raw: dict[str, str] = {}
        for value, at in [*entries.items(), *again.items()]:
            stage = HUBSPOT_VALUES[value]
            raw[stage] = min(raw.get(stage, at), at)
        # reached() types a stage's time as optional; it always gives one, the earliest entry at or above the stage
        times = raw if strict else {stage: cast(str, at) for stage, (at, _) in reached(raw).items()}
        if not ("2026-03-01" <= times.get("lead", "") < min(as_of, "2026-04-01")):
            continue
        counts["lead"] += 1
        previous, deadline = "lead", parse_iso(times["lead"]) + timedelta(days=window or 0)
        for stage in ("mql", "sql", "opportunity", "customer"):
            if stage not in times or not times[previous] <= times[stage] < as_of or (
                    window is not None and parse_iso(times[stage]) > deadline):
                break
            counts[stage] += 1
            previous = stage
    return counts


@settings(max_examples=150, deadline=None)
@given(contacts=st.lists(CONTACT, min_size=1, max_size=10), as_of=st.one_of(MOMENT, st.just(T("05-01"))),
       window=st.sampled_from([None, 0, 1, 3, 10]), strict=st.booleans())
def test_parts_multiply_to_lead_to_customer(tmp_path_factory, contacts, as_of, window, strict):
    """In both modes, and the survivors match a Python model of the definition."""
    build = MirrorBuilder(tmp_path_factory.mktemp("funnel") / "kpi.db")
    try:
        for contact_id, (entries, again, source) in enumerate(contacts, 1):
            build.contact(contact_id, source=source, history=again, **entries)
        ctx = build.context("2026-03", as_of=as_of, strict=strict, config=KpiConfig(maturity_days=window))
        for by in (None, "source"):
            totals = by_kpi(ctx, "lead_to_customer_rate", by)
            parts = {kpi: {r.segment: r.value for r in by_kpi(ctx, kpi, by)} for kpi in PARTS}
            for total in totals:
                n = total.details["survivors"]
                mql_to_sql = Fraction(n["sql"], n["mql"]) if n["mql"] else None
                factors = [parts["lead_to_mql_rate"][total.segment], mql_to_sql,
                           parts["sql_to_opportunity_rate"][total.segment],
                           parts["opportunity_to_customer_rate"][total.segment]]
                if None in factors:
                    assert total.numerator == 0  # a stage nobody reached: nobody became a customer either
                else:
                    assert factors[0] * factors[1] * factors[2] * factors[3] == total.value
        assert by_kpi(ctx, "lead_to_customer_rate")[0].details["survivors"] == survivors(contacts, as_of, window,
                                                                                         strict)
    finally:
        build.mirror.close()
