"""Conversion (definitions §2.B): cohort rates, the MQL→SQL period ratio, and stage velocity.

A cohort is the contacts entering stage x in P before as_of (t0 = that entry). A contact survives to a later
stage of the chain when it entered every stage between, in order, each before as_of and, with a maturity window
W, no later than t0 + W. The B2 parts are all taken inside the *lead* cohort with that one survival rule, so each
part's denominator is the previous part's numerator and their product is lead→customer exactly. In the default
mode reached times never decrease along the chain, so "survived to y" is just "reached y in time"; in strict mode
the order check makes it HubSpot's "all stages" funnel.
"""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction
from typing import Any

from .context import KpiContext, KpiFunction
from .periods import parse_iso
from .registry import KpiSpec
from .result import KpiResult, ratio
from .volume import entered, flow, grouped, immature

CHAIN = ("lead", "mql", "sql", "opportunity", "customer")
_DAY, _MICROSECOND = timedelta(days=1), timedelta(microseconds=1)


def cohort(ctx: KpiContext, stages: tuple[str, ...]) -> str:
    """Contacts entering stages[0] in P before as_of: their dimensions and entry into each stage as t0, t1, ..."""
    t = ctx.reached
    times = ", ".join(f"f{i}.{t} AS t{i}" for i in range(len(stages)))
    joins = "".join(f" LEFT JOIN funnel f{i} ON f{i}.contact_id = f0.contact_id AND f{i}.stage = '{stage}'"
                    for i, stage in enumerate(stages) if i)
    return (f"SELECT f0.contact_id, cf.source, cf.campaign, cf.owner_id, {times} FROM funnel f0 "
            f"JOIN contact_funnel cf ON cf.contact_id = f0.contact_id{joins} "
            f"WHERE f0.stage = '{stages[0]}' AND {entered('f0.' + t)}")


def survived(ctx: KpiContext, k: int) -> str:
    """SQL flag (0/1): the cohort contact went on to the k-th stage of its chain (see the module docstring)."""
    window = ctx.config.maturity_days is not None
    steps = [f"t{i} >= t{i - 1} AND t{i} < :as_of"
             + (f" AND t{i} <= strftime('%Y-%m-%dT%H:%M:%fZ', t0, :window)" if window else "")
             for i in range(1, k + 1)]
    return f"CASE WHEN {' AND '.join(steps)} THEN 1 ELSE 0 END"


def params(ctx: KpiContext) -> dict[str, Any]:
    return {"window": f"+{ctx.config.maturity_days or 0} days"}


def _survivors(ctx: KpiContext, by: str | None, stages: tuple[str, ...]) -> list[tuple[str, list[int]]]:
    """(segment, [cohort size, survivors to stages[1], to stages[2], ...]); one query, cached for the B2 family."""
    def build() -> list[tuple[str, list[int]]]:
        sums = [f"COALESCE(SUM({survived(ctx, k)}), 0) AS n{k}" for k in range(1, len(stages))]
        rows = grouped(ctx, by, ", ".join(["COUNT(*) AS n0", *sums]), f"FROM ({cohort(ctx, stages)}) cf",
                       params(ctx))
        return [(seg, [row[f"n{k}"] for k in range(len(stages))]) for seg, row in rows]
    return ctx.cached(f"conversion:{'>'.join(stages)}:{ctx.label}:{ctx.as_of_iso}:{ctx.strict}:{by}", build)


def mql_to_sql_rate(ctx: KpiContext, by: str | None) -> list[KpiResult]:
    """B1: of the MQLs of P, the share that reached SQL by as_of (within W of their MQL entry)."""
    return [ratio("mql_to_sql_rate", ctx.label, seg, n[1], n[0], ctx.as_of_iso, empty="no MQL entered in the period",
                  cohort="mql", immature=immature(ctx)) for seg, n in _survivors(ctx, by, ("mql", "sql"))]


def mql_to_sql_period_ratio(ctx: KpiContext, by: str | None) -> list[KpiResult]:
    """SQLs of P / MQLs of P: mixes cohorts and can exceed 1, so it is only reported under this name."""
    mqls, sqls = dict(flow(ctx, by, "mql")), dict(flow(ctx, by, "sql"))
    return [ratio("mql_to_sql_period_ratio", ctx.label, seg, sqls.get(seg, 0), mqls.get(seg, 0), ctx.as_of_iso,
                  empty="no MQL entered in the period") for seg in sorted(mqls.keys() | sqls.keys())]


def _lead_rate(kpi: str, x: int, y: int) -> KpiFunction:
    """A B2 rate: survivors to CHAIN[y] / survivors to CHAIN[x], both inside the lead cohort of P."""
    empty = "no lead entered in the period" if x == 0 else f"no contact of the period's leads reached {CHAIN[x]}"

    def compute(ctx: KpiContext, by: str | None) -> list[KpiResult]:
        results = []
        for seg, n in _survivors(ctx, by, CHAIN):
            survivors = dict(zip(CHAIN, n, strict=True)) if (x, y) == (0, len(CHAIN) - 1) else None
            results.append(ratio(kpi, ctx.label, seg, n[y], n[x], ctx.as_of_iso, empty=empty, cohort="lead",
                                 survivors=survivors, immature=immature(ctx)))
        return results
    return compute


def stage_velocity_days(ctx: KpiContext, by: str | None) -> list[KpiResult]:
    """B3: per consecutive stage pair, the median days from s1 to s2 over the lead cohort's survivors to s2."""
    flags = ", ".join(f"{survived(ctx, k)} AS s{k}" for k in range(1, len(CHAIN)))
    rows = ctx.rows(f"SELECT *, {flags} FROM ({cohort(ctx, CHAIN)}) cf", params(ctx))
    details = {"cohort": "lead", **({"immature": True} if immature(ctx) else {})}
    results = []
    for k in range(1, len(CHAIN)):
        spans = sorted((parse_iso(r[f"t{k}"]) - parse_iso(r[f"t{k - 1}"])) // _MICROSECOND for r in rows if r[f"s{k}"])
        results.append(KpiResult(
            "stage_velocity_days", ctx.label, f"stages={CHAIN[k - 1]}->{CHAIN[k]}", _median_days(spans),
            None, None, ctx.as_of_iso, reason=None if spans else f"no lead of the period reached {CHAIN[k]}",
            unit="days", details={**details, "contacts": len(spans)}))
    return results


def _median_days(spans: list[int]) -> Fraction | None:
    """The exact median of sorted microsecond spans, in days (integers sort far faster than Fractions)."""
    if not spans:
        return None
    middle = len(spans) // 2
    twice = 2 * spans[middle] if len(spans) % 2 else spans[middle - 1] + spans[middle]
    return Fraction(twice, 2 * (_DAY // _MICROSECOND))


KPIS = [
    KpiSpec("mql_to_sql_rate", "conversion", mql_to_sql_rate, ("source", "campaign"), "MQL to SQL rate"),
    KpiSpec("mql_to_sql_period_ratio", "conversion", mql_to_sql_period_ratio, ("source", "campaign"),
            "SQLs per MQL in the period"),
    KpiSpec("lead_to_customer_rate", "conversion", _lead_rate("lead_to_customer_rate", 0, 4), ("source", "campaign"),
            "Lead to customer rate"),
    KpiSpec("lead_to_mql_rate", "conversion", _lead_rate("lead_to_mql_rate", 0, 1), ("source", "campaign"),
            "Lead to MQL rate"),
    KpiSpec("sql_to_opportunity_rate", "conversion", _lead_rate("sql_to_opportunity_rate", 2, 3),
            ("source", "campaign"), "SQL to opportunity rate"),
    KpiSpec("opportunity_to_customer_rate", "conversion", _lead_rate("opportunity_to_customer_rate", 3, 4),
            ("source", "campaign"), "Opportunity to customer rate"),
    KpiSpec("stage_velocity_days", "conversion", stage_velocity_days, (), "Days between stages"),
]
