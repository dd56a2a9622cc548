"""Volume and quality of the funnel (definitions §2.A): stage entries in the period, by channel, campaign or owner.

Flows count contacts whose entry into a stage falls in [p0, p1) and before as_of; ``mql_handoffs`` reads recorded
entries even in the default mode, so a lead that sales qualified directly (lead → sql) is not marketing's hand-off.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from .context import KpiContext, KpiFunction, segment
from .registry import KpiSpec
from .result import KpiResult, count, ratio

COLUMNS = {"source": "cf.source", "campaign": "cf.campaign", "owner": "cf.owner_id"}  # contact_funnel dimensions


def grouped(ctx: KpiContext, by: str | None, select: str, body: str,
            params: dict[str, Any] | None = None) -> list[tuple[str, dict[str, Any]]]:
    """(segment, row) of ``SELECT <select> <body>`` per value of ``by``; one row, segment ``all``, when by is None.

    ``body`` joins ``contact_funnel cf``, which carries the dimensions.
    """
    if by is None:
        return [("all", row) for row in ctx.rows(f"SELECT {select} {body}", params)]
    rows = ctx.rows(f"SELECT {COLUMNS[by]} AS dimension, {select} {body} GROUP BY dimension ORDER BY dimension",
                    params)
    return [(segment(by, row.pop("dimension")), row) for row in rows]


def entered(column: str) -> str:
    """SQL: the entry time ``column`` is in P and before as_of (later events do not count, §1.1)."""
    return f"{column} >= :p0 AND {column} < :p1 AND {column} < :as_of"


def flow(ctx: KpiContext, by: str | None, stage: str, column: str | None = None) -> list[tuple[str, int]]:
    """(segment, #contacts entering ``stage`` in P), the entry read from ``column`` (the mode's by default)."""
    column = column or ctx.reached

    def build() -> list[tuple[str, int]]:
        rows = grouped(ctx, by, "COUNT(*) AS n",
                       f"FROM funnel f JOIN contact_funnel cf ON cf.contact_id = f.contact_id "
                       f"WHERE f.stage = :stage AND {entered('f.' + column)}", {"stage": stage})
        return [(seg, row["n"]) for seg, row in rows]
    return list(ctx.cached(f"flow:{stage}:{column}:{by}:{ctx.p0}:{ctx.p1}:{ctx.as_of_iso}", build))


def immature(ctx: KpiContext) -> bool | None:
    """True while the period's cohort can still convert: as_of before the period's end (+ the maturity window)."""
    window = timedelta(days=ctx.config.maturity_days or 0)
    return True if ctx.as_of < ctx.period.end_utc + window else None


def _counts(kpi: str, stage: str, column: str | None = None) -> KpiFunction:
    def compute(ctx: KpiContext, by: str | None) -> list[KpiResult]:
        return [count(kpi, ctx.label, seg, n, ctx.as_of_iso) for seg, n in flow(ctx, by, stage, column)]
    return compute


def mql_rejection_rate(ctx: KpiContext, by: str | None) -> list[KpiResult]:
    """The MQL cohort's share whose *current* lead status is disqualified (status history is not mirrored)."""
    statuses = {f"status{i}": s for i, s in enumerate(sorted(ctx.config.disqualified_statuses))}
    rejected = f"cf.lead_status IN ({', '.join(':' + k for k in statuses)})" if statuses else "0"
    rows = grouped(ctx, by, f"COUNT(*) AS cohort, COALESCE(SUM({rejected}), 0) AS rejected",
                   f"FROM funnel f JOIN contact_funnel cf ON cf.contact_id = f.contact_id "
                   f"WHERE f.stage = 'mql' AND {entered('f.' + ctx.reached)}", statuses)
    return [ratio("mql_rejection_rate", ctx.label, seg, row["rejected"], row["cohort"], ctx.as_of_iso,
                  empty="no MQL entered in the period", cohort="mql", immature=immature(ctx)) for seg, row in rows]


KPIS = [
    KpiSpec("new_leads", "volume", _counts("new_leads", "lead"), ("source", "campaign"), "New leads"),
    KpiSpec("mql_count", "volume", _counts("mql_count", "mql"), ("source", "campaign", "owner"), "MQLs"),
    KpiSpec("mql_handoffs", "volume", _counts("mql_handoffs", "mql", "raw_at"), ("source", "campaign", "owner"),
            "MQL hand-offs to sales"),
    KpiSpec("mql_rejection_rate", "volume", mql_rejection_rate, ("source", "campaign"), "MQLs rejected"),
    KpiSpec("sql_count", "volume", _counts("sql_count", "sql"), ("source", "campaign", "owner"), "SQLs"),
]
