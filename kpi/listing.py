"""The records behind a number: which contacts or deals a KPI's count, numerator or denominator counts.

Asked for one KPI, period, segment and part at a time (a person opens one number), with the very SQL of the KPI's
own module, so ``compute`` pays nothing for it. Funnel stages are the ``lead_to_customer_rate`` survivors:
``funnel:<stage>``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .config import KpiConfig
from .context import KpiContext
from .conversion import CHAIN, cohort, params, survived
from .deals import deal_facts
from .periods import Period
from .sales import _IN_P
from .sla import Assessment, assess
from .volume import COLUMNS, entered

SLA_STATUSES = ("met", "pending", "overdue", "breached")  # F2's, each a part of sla_first_followup_rate
_FLOWS = {"new_leads": ("lead", None), "mql_count": ("mql", None), "mql_handoffs": ("mql", "raw_at"),
          "sql_count": ("sql", None)}
_LEAD_RATES = {"lead_to_mql_rate": (0, 1), "lead_to_customer_rate": (0, 4), "sql_to_opportunity_rate": (2, 3),
               "opportunity_to_customer_rate": (3, 4)}
_DEAL_COLUMNS = {"source": "source", "campaign": "COALESCE(campaign, 'UNKNOWN')", "owner": "owner_id",
                 "pipeline": "pipeline"}
# the SLA rates: which hand-offs are decided, and which of those met the rule (as kpi.sla counts them)
_SLA: dict[str, tuple[Callable[[Assessment], bool], Callable[[Assessment], bool]]] = {
    "sla_first_followup_rate": (lambda a: a.followup_decided, lambda a: a.status == "met"),
    "sla_attempts_rate": (lambda a: a.attempts_decided, lambda a: a.attempts_met),
    "sla_both_rate": (lambda a: a.followup_decided and a.attempts_decided,
                      lambda a: a.status == "met" and a.attempts_met),
}
# which parts of which KPI can be listed, and the kind of record behind them
LISTED: dict[str, tuple[str, tuple[str, ...]]] = {
    **{kpi: ("contacts", ("value",)) for kpi in _FLOWS},
    **{f"funnel:{stage}": ("contacts", ("value",)) for stage in CHAIN},
    "mql_to_sql_rate": ("contacts", ("numerator", "denominator")),
    **{kpi: ("contacts", ("numerator", "denominator")) for kpi in _LEAD_RATES},
    **{kpi: ("contacts", ("numerator", "denominator")) for kpi in ("sla_attempts_rate", "sla_both_rate",
                                                                    "mql_rejection_rate")},
    "sla_first_followup_rate": ("contacts", ("numerator", "denominator", "handoffs", *SLA_STATUSES)),
    "mqls_per_rep": ("contacts", ("numerator",)),
    "mql_to_sql_period_ratio": ("contacts", ("numerator", "denominator")),
    "new_opportunities": ("deals", ("value",)),
    "win_rate": ("deals", ("numerator", "denominator")),
    "avg_deal_size": ("deals", ("denominator",)),
    "upsell_deal_share": ("deals", ("numerator", "denominator")),
}
# the dated deals won in P: those the average deal size divides by (with a known amount), the upsell shares count
_WON_IN_P = "won = 1 AND closedate >= :p0 AND closedate < :p1 AND closedate < :as_of"


@dataclass(frozen=True)
class Members:
    object_type: str  # contacts | deals
    ids: list[int]


def listed(kpi: str, part: str) -> bool:
    """True when the records behind this part of this KPI can be listed."""
    return kpi in LISTED and part in LISTED[kpi][1]


def members(db: Any, config: KpiConfig, period: Period, kpi: str, segment: str = "all", part: str = "value", *,
            strict: bool = False, as_of: datetime | None = None, now: datetime) -> Members:
    """The ids behind ``part`` of ``kpi``'s result for this period and segment (``DIMENSION=VALUE`` or ``all``)."""
    if not listed(kpi, part):
        raise ValueError(f"the records behind {part} of {kpi} cannot be listed")
    ctx = KpiContext(db, config, period, as_of or period.default_as_of(now), strict)
    object_type = LISTED[kpi][0]
    if object_type == "deals":
        return Members("deals", _deals(ctx, kpi, part, segment))
    return Members("contacts", _contacts(ctx, kpi, part, segment))


def _where(columns: dict[str, str], segment: str) -> tuple[str, dict[str, Any]]:
    """SQL that keeps ``segment``'s rows, a null or empty value matching UNKNOWN (UNASSIGNED for owners)."""
    if segment == "all":
        return "1", {}
    dimension, _, value = segment.partition("=")
    if dimension not in columns:
        raise ValueError(f"{dimension} is not a segment of this list")
    missing = "UNASSIGNED" if dimension == "owner" else "UNKNOWN"
    return (f"COALESCE(NULLIF(CAST({columns[dimension]} AS TEXT), ''), '{missing}') = :segment_value",
            {"segment_value": value})


def _contacts(ctx: KpiContext, kpi: str, part: str, segment: str) -> list[int]:
    if kpi == "mqls_per_rep":  # its numerator: the hand-offs of P, never segmented
        kpi, segment = "mql_handoffs", "all"
    if kpi == "mql_to_sql_period_ratio":  # SQLs of P over MQLs of P: two flows
        kpi = "sql_count" if part == "numerator" else "mql_count"
    if kpi in _FLOWS:
        stage, column = _FLOWS[kpi]
        where, bound = _where(COLUMNS, segment)
        rows = ctx.rows(f"SELECT f.contact_id FROM funnel f JOIN contact_funnel cf ON cf.contact_id = f.contact_id "
                        f"WHERE f.stage = :stage AND {entered('f.' + (column or ctx.reached))} AND {where} "
                        "ORDER BY f.contact_id", {"stage": stage, **bound})
        return [r["contact_id"] for r in rows]
    if kpi in _SLA:
        owner = None if segment == "all" else segment.partition("=")[2]
        decided, met = _SLA[kpi]
        if part == "handoffs":
            decided = met = lambda a: True  # noqa: E731 - every hand-off of P
        elif part in SLA_STATUSES:
            decided = met = lambda a: a.status == part  # noqa: E731
        return sorted(a.contact_id for a in assess(ctx) if decided(a) and (part == "denominator" or met(a))
                      and (owner is None or str(a.owner_id if a.owner_id is not None else "UNASSIGNED") == owner))
    if kpi == "mql_rejection_rate":
        where, bound = _where(COLUMNS, segment)
        statuses = {f"status{i}": s for i, s in enumerate(sorted(ctx.config.disqualified_statuses))}
        rejected = (f"cf.lead_status IN ({', '.join(':' + k for k in statuses)})" if statuses else "0") \
            if part == "numerator" else "1"
        rows = ctx.rows(f"SELECT f.contact_id FROM funnel f JOIN contact_funnel cf ON cf.contact_id = f.contact_id "
                        f"WHERE f.stage = 'mql' AND {entered('f.' + ctx.reached)} AND {where} AND {rejected} "
                        "ORDER BY f.contact_id", {**bound, **statuses})
        return [r["contact_id"] for r in rows]
    if kpi == "mql_to_sql_rate":
        stages: tuple[str, ...] = ("mql", "sql")
        k = 1 if part == "numerator" else 0
    elif kpi in _LEAD_RATES:
        stages, (x, y) = CHAIN, _LEAD_RATES[kpi]
        k = y if part == "numerator" else x
    else:
        stages, k = CHAIN, CHAIN.index(kpi.removeprefix("funnel:"))
    where, bound = _where(COLUMNS, segment)  # the cohort's columns are named as contact_funnel's
    flag = survived(ctx, k) if k else "1"
    rows = ctx.rows(f"SELECT cf.contact_id FROM ({cohort(ctx, stages)}) cf WHERE {flag} = 1 AND {where} "
                    "ORDER BY cf.contact_id", {**params(ctx), **bound})
    return [r["contact_id"] for r in rows]


def _deals(ctx: KpiContext, kpi: str, part: str, segment: str) -> list[int]:
    where, bound = _where(_DEAL_COLUMNS, segment)
    if kpi == "new_opportunities":
        condition = "kind = 'new_business' AND createdate >= :p0 AND createdate < :p1 AND createdate < :as_of"
    elif kpi == "avg_deal_size":  # the won deals whose known amounts are summed
        condition = f"{_WON_IN_P} AND amount IS NOT NULL"
    elif kpi == "upsell_deal_share":
        condition = _WON_IN_P + (" AND kind = 'expansion'" if part == "numerator" else "")
    else:  # win_rate: the dated closed deals of P, the won ones for the numerator
        condition = f"({_IN_P}) AND closedate IS NOT NULL" + (" AND won = 1" if part == "numerator" else "")
    rows = ctx.rows(f"SELECT deal_id FROM {deal_facts(ctx)} WHERE {condition} AND {where} ORDER BY deal_id", bound)
    return [r["deal_id"] for r in rows]
