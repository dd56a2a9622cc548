"""Planning (definitions G1): the reverse funnel from a revenue quota back to the customers, SQLs, MQLs and leads
needed.

Rates come from a trailing window of whole months that ends with the period asked (that period included), and
are unit-level: a customer is a new customer unit, credited to the cohort of its first won deal's attribution
contact, so a deal with three contacts is one customer, not three. All arithmetic is exact: ceil(21 / 0.35) is 60.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from .context import KpiContext
from .costs import new_units
from .money import from_micros
from .periods import Period
from .registry import KpiSpec
from .reps import active_reps
from .result import KpiResult

STAGES = ("lead", "mql", "sql")


@dataclass(frozen=True)
class MonthWindow(Period):
    """Whole months [first, stop): a Period over a custom range, for a context's bounds and as_of."""

    stop: date = date.min  # the first local day after the window

    @classmethod
    def ending_with(cls, last: Period, months: int) -> MonthWindow:
        """The ``months`` whole months that end with the month ``last``."""
        first = last
        for _ in range(max(1, months) - 1):
            first = first.previous()
        return cls("window", first.first, last.time_zone, stop=last.end)

    @property
    def end(self) -> date:
        return self.stop

    def __str__(self) -> str:
        return f"{self.first:%Y-%m}..{self.stop - timedelta(days=1):%Y-%m}"


def window(ctx: KpiContext) -> MonthWindow:
    """The configured number of whole months ending with the month in which the period asked ends."""
    last = Period.containing("month", ctx.period.end - timedelta(days=1), ctx.period.time_zone)
    return MonthWindow.ending_with(last, ctx.config.planning_window_months)


def customers_needed(ctx: KpiContext, by: str | None) -> list[KpiResult]:
    """ceil(quota / average new-business revenue per new customer unit of the window)."""
    plan = _plan(ctx)
    return [_record(ctx, "customers_needed", plan["customers"], plan["quota"], plan["arpc"], plan["reason"], plan,
                    excluded=plan["excluded"], arpc=plan["arpc"], new_units=plan["units"])]


def leads_needed(ctx: KpiContext, by: str | None) -> list[KpiResult]:
    return [_stage_record(ctx, "lead")]


def mqls_needed(ctx: KpiContext, by: str | None) -> list[KpiResult]:
    return [_stage_record(ctx, "mql")]


def sqls_needed(ctx: KpiContext, by: str | None) -> list[KpiResult]:
    return [_stage_record(ctx, "sql")]


def _stage_record(ctx: KpiContext, stage: str) -> KpiResult:
    """ceil(customers_needed / the unit-level stage→customer rate), with the per-rep share."""
    plan = _plan(ctx)
    cohort, converted = plan["cohorts"][stage]
    needed, reason, rate = plan["customers"], plan["reason"], plan["rates"][stage]
    if needed is None:
        value, reason = None, f"customers_needed is null: {reason}"
    elif not cohort:
        value, reason = None, f"no {stage} in the window"
    elif not converted:
        value, reason = None, f"the {stage}→customer rate in the window is 0"
    else:
        value = math.ceil(needed / rate)
    per_rep = Fraction(value, plan["reps"]) if value is not None and plan["reps"] else None
    return _record(ctx, f"{stage}s_needed", value, needed, rate, reason, plan, cohort=cohort, converted=converted,
                   per_rep=per_rep)


def _record(ctx: KpiContext, kpi: str, value: int | None, numerator: Any, denominator: Any, reason: str | None,
            plan: dict[str, Any], excluded: dict[str, int] | None = None, **details: Any) -> KpiResult:
    details = {"window": plan["window"], "rates": plan["rates"], "active_reps": plan["reps"], **details}
    return KpiResult(kpi, ctx.label, "all", value, numerator, denominator, ctx.as_of_iso, excluded or {},
                     None if value is not None else reason, "count",
                     {k: v for k, v in details.items() if v is not None})


def _plan(ctx: KpiContext) -> dict[str, Any]:
    span = window(ctx)
    return ctx.cached(f"plan:{span}:{ctx.as_of_iso}:{ctx.reached}", lambda: _build_plan(ctx, span))


def _build_plan(ctx: KpiContext, span: MonthWindow) -> dict[str, Any]:
    past = ctx.for_period(span, ctx.as_of)
    found = new_units(past)
    units = [u for u in found if u["kind"] == "new_business"]
    excluded = Counter(existing_business=len(found) - len(units))
    excluded.update(u["amount_excluded"] or "no_amount" for u in units if u["amount"] is None)
    priced = {u["unit"] for u in units if u["amount"] is not None}
    arpc = Fraction(_revenue(past, priced, excluded)) / len(priced) if priced else None
    quota = ctx.config.quota
    customers, reason = None, None
    if quota is None:
        reason = "no quota is set"
    elif arpc is None:
        reason = "no new customer with a known first-deal amount in the window"
    elif arpc <= 0:
        reason = "the average revenue per new customer in the window is not positive"
    else:
        customers = math.ceil(Fraction(Decimal(quota)) / arpc)
    credited = {u["attribution_contact"] for u in units if u["attribution_contact"] is not None}
    cohorts = {stage: _cohort(past, stage, credited) for stage in STAGES}
    rates = {stage: Fraction(c, n) if n else None for stage, (n, c) in cohorts.items()}
    return {"window": str(span), "quota": quota, "arpc": arpc, "units": len(priced), "customers": customers,
            "reason": reason, "cohorts": cohorts, "rates": rates, "reps": active_reps(ctx),
            "excluded": {k: v for k, v in excluded.items() if v}}


def _revenue(past: KpiContext, units: set[str], excluded: Counter) -> Decimal:
    """Known amounts of the window's won new-business deals of these new units; unknown ones are counted."""
    micros = 0
    for row in past.rows("""
            SELECT unit, CASE WHEN amount_micros IS NULL THEN COALESCE(amount_excluded, 'no_amount') END AS left_out,
                   COUNT(*) AS n, SUM(amount_micros) AS micros FROM deal_facts
            WHERE won = 1 AND kind = 'new_business' AND closedate >= :p0 AND closedate < :p1 AND closedate < :as_of
            GROUP BY unit, left_out"""):
        if row["unit"] not in units:
            continue
        if row["left_out"] is not None:
            excluded[row["left_out"]] += row["n"]
        else:
            micros += row["micros"]
    return from_micros(micros)


def _cohort(past: KpiContext, stage: str, converted_contacts: set[int]) -> tuple[int, int]:
    """(|contacts reaching the stage in the window|, how many of them are a new unit's attribution contact)."""
    row = past.rows(f"""
        SELECT COUNT(*) AS n, COALESCE(SUM(contact_id IN (SELECT value FROM json_each(:converted))), 0) AS converted
        FROM funnel
        WHERE stage = :stage AND {past.reached} >= :p0 AND {past.reached} < :p1 AND {past.reached} < :as_of""",
                    {"stage": stage, "converted": json.dumps(sorted(converted_contacts))})[0]
    return row["n"], row["converted"]


KPIS = [
    KpiSpec("customers_needed", "planning", customers_needed, (), "New customers needed for the quota"),
    KpiSpec("leads_needed", "planning", leads_needed, (), "Leads needed for the quota"),
    KpiSpec("mqls_needed", "planning", mqls_needed, (), "MQLs needed for the quota"),
    KpiSpec("sqls_needed", "planning", sqls_needed, (), "SQLs needed for the quota"),
]
