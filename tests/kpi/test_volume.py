"""Volume and quality of the funnel (definitions §2.A), pinned by hand on small mirrors."""

from __future__ import annotations

from fractions import Fraction

import pytest

from kpi import KpiConfig, conversion, volume
from kpi.volume import mql_rejection_rate

SPECS = {spec.id: spec for spec in volume.KPIS + conversion.KPIS}


def T(day: str) -> str:
    """'03-20' or '03-20 12:00' -> a 2026 mirror timestamp."""
    date, _, clock = day.partition(" ")
    return f"2026-{date}T{clock or '00:00'}:00.000Z"


def by_kpi(ctx, kpi, by=None):
    """The KPI's records, the way the engine calls it (a dimension it does not allow means none)."""
    spec = SPECS[kpi]
    return spec.function(ctx, by if by in spec.dimensions else None)


def values(results):
    return {r.segment: r.value for r in results}


def test_new_leads_per_source_and_mode(build):
    build.contact(1, source="PAID_SEARCH", campaign="c1", lead=T("03-02"))
    build.contact(2, source="PAID_SEARCH", campaign="c2", marketingqualifiedlead=T("03-10"))  # created as MQL
    build.contact(3, source="ORGANIC_SEARCH", campaign="c1", customer=T("03-05"))  # imported customer: no lead
    build.contact(4, campaign="c1", lead=T("02-27"))  # February
    build.contact(5, lead="2026-03-31T23:59:59.999Z")  # last millisecond of March; no source, no campaign
    build.contact(6, campaign="c1", lead="2026-04-01T00:00:00.000Z")  # p1 is excluded
    build.contact(7, campaign="c1", lead=T("03-03"), archived=1)
    # default: 1, 2 (a lead at its MQL entry) and 5
    ctx = build.context("2026-03")
    assert values(by_kpi(ctx, "new_leads")) == {"all": 3}
    assert values(by_kpi(ctx, "new_leads", "source")) == {"source=PAID_SEARCH": 2, "source=UNKNOWN": 1}
    assert values(by_kpi(ctx, "new_leads", "campaign")) == {"campaign=c1": 1, "campaign=c2": 1, "campaign=UNKNOWN": 1}
    # strict: only recorded lead entries, so the contact created as MQL drops out
    assert values(by_kpi(build.context("2026-03", strict=True), "new_leads", "source")) == {
        "source=PAID_SEARCH": 1, "source=UNKNOWN": 1}


def test_flows_stop_at_as_of(build):
    build.contact(1, lead=T("03-02"), marketingqualifiedlead=T("03-14 23:00"))
    build.contact(2, lead=T("03-15"), marketingqualifiedlead=T("03-16"))  # at as_of: later events do not count
    ctx = build.context("2026-03", as_of=T("03-15"))
    assert [values(by_kpi(ctx, kpi)) for kpi in ("new_leads", "mql_count", "mql_handoffs")] == [{"all": 1}] * 3


def test_new_leads_month_bounds_follow_the_portal_time_zone(build):
    # Berlin: March is [2026-02-28T23:00Z, 2026-03-31T22:00Z) (summer time from March 29)
    build.contact(1, lead="2026-02-28T23:30:00.000Z")  # 00:30 on March 1st in Berlin
    build.contact(2, lead="2026-03-31T21:59:59.999Z")
    build.contact(3, lead="2026-03-31T22:30:00.000Z")  # 00:30 on April 1st in Berlin
    build.contact(4, lead="2026-02-28T22:30:00.000Z")  # 23:30 on February 28th in Berlin
    ctx = build.context("2026-03", config=KpiConfig(time_zone="Europe/Berlin"))
    assert values(by_kpi(ctx, "new_leads")) == {"all": 2}


def test_mql_count_follows_the_funnel_and_handoffs_the_recorded_entries(build):
    build.contact(1, owner=9001, lead=T("03-01"), marketingqualifiedlead=T("03-03"))
    # lead -> sql: mql is implied at 03-05 in the funnel, but marketing never handed it off
    build.contact(2, owner=9001, lead=T("03-01"), salesqualifiedlead=T("03-05"))
    # MQL in February, back to lead, MQL again in March: the first entry is the one that counts
    build.contact(3, owner=9001, history={"lead": T("02-01"), "marketingqualifiedlead": T("02-10")},
                  marketingqualifiedlead=T("03-12"))
    build.contact(4, marketingqualifiedlead=T("03-20"))  # created as MQL, no owner
    ctx = build.context("2026-03")
    assert values(by_kpi(ctx, "mql_count")) == {"all": 3}  # 1, 2, 4
    assert values(by_kpi(ctx, "mql_handoffs")) == {"all": 2}  # 1, 4
    assert values(by_kpi(ctx, "mql_count", "owner")) == {"owner=UNASSIGNED": 1, "owner=9001": 2}
    assert values(by_kpi(ctx, "mql_handoffs", "owner")) == {"owner=UNASSIGNED": 1, "owner=9001": 1}
    # strict mode: both read the recorded entries
    strict = build.context("2026-03", strict=True)
    assert values(by_kpi(strict, "mql_count")) == values(by_kpi(strict, "mql_handoffs")) == {"all": 2}
    # February: contact 3, once
    feb = build.context("2026-02")
    assert values(by_kpi(feb, "mql_count")) == values(by_kpi(feb, "mql_handoffs")) == {"all": 1}


def test_sql_count_keeps_regressions_and_implies_skipped_sqls(build):
    build.contact(1, source="EMAIL", owner=7, lead=T("03-01"), salesqualifiedlead=T("03-05"),
                  history={"lead": T("03-20")}, stage="lead")  # SQL, then back to lead: still an SQL of March
    build.contact(2, source="EMAIL", lead=T("03-01"), opportunity=T("03-08"))  # sql implied at 03-08
    build.contact(3, source="DIRECT", owner=7, lead=T("02-01"), salesqualifiedlead=T("02-20"))
    ctx = build.context("2026-03")
    assert values(by_kpi(ctx, "sql_count")) == {"all": 2}
    assert values(by_kpi(ctx, "sql_count", "source")) == {"source=EMAIL": 2}
    assert values(by_kpi(ctx, "sql_count", "owner")) == {"owner=UNASSIGNED": 1, "owner=7": 1}
    assert values(by_kpi(build.context("2026-03", strict=True), "sql_count")) == {"all": 1}


@pytest.mark.parametrize(("statuses", "expected"), [
    (frozenset({"UNQUALIFIED"}), Fraction(1, 4)),
    (frozenset({"UNQUALIFIED", "BAD_FIT"}), Fraction(1, 2)),
    (frozenset(), 0),
], ids=["default", "portal-values", "none"])
def test_mql_rejection_rate_uses_the_configured_statuses(build, statuses, expected):
    build.contact(1, source="PAID_SEARCH", lead_status="UNQUALIFIED", marketingqualifiedlead=T("03-02"))
    build.contact(2, source="PAID_SEARCH", lead_status="BAD_FIT", marketingqualifiedlead=T("03-03"))
    build.contact(3, source="EMAIL", lead_status="OPEN", marketingqualifiedlead=T("03-04"))
    build.contact(4, source="EMAIL", marketingqualifiedlead=T("03-05"))
    build.contact(5, lead_status="UNQUALIFIED", marketingqualifiedlead=T("02-05"))  # February's cohort
    [result] = mql_rejection_rate(build.context("2026-03", config=KpiConfig(disqualified_statuses=statuses)), None)
    assert (result.value, result.denominator, result.unit) == (expected, 4, "rate")
    assert result.details == {"cohort": "mql"}  # as_of = p1 and no window: mature


def test_mql_rejection_rate_per_source_and_empty_cohort(build):
    build.contact(1, source="PAID_SEARCH", lead_status="UNQUALIFIED", marketingqualifiedlead=T("03-02"))
    build.contact(2, source="PAID_SEARCH", marketingqualifiedlead=T("03-03"))
    build.contact(3, source="EMAIL", marketingqualifiedlead=T("03-04"))
    ctx = build.context("2026-03", as_of=T("03-15"))
    results = mql_rejection_rate(ctx, "source")
    assert [(r.segment, r.numerator, r.denominator, r.value) for r in results] == [
        ("source=EMAIL", 0, 1, 0), ("source=PAID_SEARCH", 1, 2, Fraction(1, 2))]
    assert results[0].details == {"cohort": "mql", "immature": True}  # as_of before the end of March
    [empty] = mql_rejection_rate(build.context("2026-05"), None)
    assert (empty.value, empty.numerator, empty.denominator, empty.reason) == (
        None, 0, 0, "no MQL entered in the period")
