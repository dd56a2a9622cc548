"""Customers (definitions §2.E): lifetime value, retention, expansion share and engagement, per customer unit.

The mirror keeps lifecycle history for contacts only, so a unit's customer state is read from its contacts:
a contact is a customer at t when its latest stage entry before t is customer or evangelist (ties go to the
customer entry), and a unit (the contact's primary company, else the contact; or always the contact when
``customer_unit`` is ``contact``) is a customer while at least one of its contacts is. This is how HubSpot
derives a company's stage from its contacts, and a unit churns when its last customer contact moves down or
to ``other``. Instants are capped at as_of: later events do not count.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from . import registry
from .context import KpiContext, segment
from .deals import deal_facts
from .funnel import stage_mapping
from .money import from_micros
from .periods import iso
from .registry import KpiSpec
from .result import KpiResult, ratio
from .shared import shared

ENGAGED_DAYS = 90
_UNIT = ("CASE WHEN :by_contact = 0 AND c.company_id IS NOT NULL THEN 'company:' || c.company_id "
         "ELSE 'contact:' || c.id END")
# a contact's latest stage entry before :at (ties to a customer one): customers are those whose latest is customer
_CUSTOMERS_AT = f"""
WITH candidates AS MATERIALIZED (
    SELECT DISTINCT h.contact_id FROM contact_stage_history h
    WHERE h.stage IN (SELECT value FROM json_each(:values)) AND h.entered_at < :at
),
latest AS (
    SELECT h.contact_id, MAX(h.entered_at) AS at FROM candidates k
    CROSS JOIN contact_stage_history h ON h.contact_id = k.contact_id
    WHERE h.entered_at < :at GROUP BY h.contact_id
)
SELECT DISTINCT {_UNIT} AS unit FROM latest l
JOIN contact_funnel cf ON cf.contact_id = l.contact_id JOIN contacts c ON c.id = l.contact_id
WHERE EXISTS (SELECT 1 FROM contact_stage_history h WHERE h.contact_id = l.contact_id AND h.entered_at = l.at
              AND h.stage IN (SELECT value FROM json_each(:values)))
"""
_ENGAGEMENTS = """
WITH units AS (  -- the contacts of the customer units: of their companies, or the contacts themselves
    SELECT cf.contact_id, 'company:' || c.company_id AS unit
    FROM contacts c JOIN contact_funnel cf ON cf.contact_id = c.id
    WHERE :by_contact = 0 AND c.company_id IN (SELECT value FROM json_each(:companies))
    UNION ALL
    SELECT cf.contact_id, 'contact:' || c.id FROM json_each(:contacts) j
    CROSS JOIN contacts c ON c.id = j.value JOIN contact_funnel cf ON cf.contact_id = c.id
    WHERE :by_contact = 1 OR c.company_id IS NULL
),
links AS (
    SELECT u.unit, ec.type, ec.engagement_id AS id
    FROM units u JOIN engagement_contacts ec ON ec.contact_id = u.contact_id
    UNION
    SELECT u.unit, e.type, e.id FROM units u JOIN engagements e ON e.contact_id = u.contact_id
)
SELECT l.unit, SUM(e.hs_timestamp >= :recent) AS recent, SUM(e.hs_timestamp >= :p0) AS in_period
FROM links l JOIN engagements e ON e.type = l.type AND e.id = l.id
WHERE e.archived = 0 AND e.type IN ('call', 'email', 'meeting') AND e.hs_timestamp < :at
GROUP BY l.unit
"""
# why a won deal's amount is not summed (NULL: summed); no closedate first, as it keeps the deal out of every period
_LEFT_OUT = ("CASE WHEN closedate IS NULL THEN 'no_closedate' "
             "WHEN amount_micros IS NULL THEN COALESCE(amount_excluded, 'no_amount') END")
_DIMENSIONS = {"owner": "owner_id", "pipeline": "pipeline", "source": "source", "campaign": "campaign"}


def _capped(ctx: KpiContext, moment: datetime) -> str:
    return iso(min(moment, ctx.as_of))


def customers_at(ctx: KpiContext, at: str) -> set[str]:
    """Units with a contact in customer or evangelist just before ``at`` (mirror timestamp text)."""
    def build() -> set[str]:
        mapping, _ = stage_mapping(ctx.db, ctx.config)
        values = [value for value, stage in mapping.items() if stage in ("customer", "evangelist")]
        rows = ctx.rows(_CUSTOMERS_AT, {"values": json.dumps(values), "at": at,
                                        "by_contact": int(ctx.config.customer_unit == "contact")})
        return {row["unit"] for row in rows}
    return set(shared(ctx.db, ("customers_at", at, repr(ctx.config)), build))


def clv(ctx: KpiContext, by: str | None) -> list[KpiResult]:
    """E1, historical: mean over units of all their known won amounts up to as_of."""
    deal_facts(ctx)
    totals: dict[str, Decimal] = {}
    unknown: dict[str, set[str]] = defaultdict(set)
    no_closedate = 0
    for row in ctx.rows(f"SELECT unit, {_LEFT_OUT} AS left_out, COUNT(*) AS n, SUM(amount_micros) AS micros "
                        "FROM deal_facts WHERE won = 1 AND (closedate IS NULL OR closedate < :as_of) "
                        "GROUP BY unit, left_out"):
        if row["left_out"] == "no_closedate":
            no_closedate += row["n"]
        elif row["left_out"] is not None:
            unknown[row["unit"]].add(row["left_out"])
        else:
            totals[row["unit"]] = from_micros(row["micros"])
    excluded: dict[str, int] = defaultdict(int)
    for unit, reasons in unknown.items():
        if unit not in totals:  # a unit whose every won amount is unknown
            excluded["currency" if reasons == {"currency"} else "no_amount"] += 1
    if no_closedate:
        excluded["no_closedate"] = no_closedate
    return [ratio("clv", ctx.label, "all", sum(totals.values(), Decimal(0)), len(totals), ctx.as_of_iso,
                  unit="money", excluded=dict(excluded), empty="no customer unit with a known won amount",
                  method="historical")]


def ltv_to_cac(ctx: KpiContext, by: str | None) -> list[KpiResult]:
    """E1 / D3; CAC comes from the registry, so this module does not depend on the costs module's internals."""
    value = clv(ctx, None)[0]
    cac = registry.specs()["cac"].function(ctx, None)[0]
    if value.value is None or cac.value is None:
        missing, why = ("CLV", value.reason) if value.value is None else ("CAC", cac.reason)
        return [KpiResult("ltv_to_cac", ctx.label, "all", None, value.value, cac.value, ctx.as_of_iso,
                          value.excluded, f"{missing} is null" + (f": {why}" if why else ""), "ratio",
                          {"method": "historical"})]
    return [ratio("ltv_to_cac", ctx.label, "all", Fraction(value.value), Fraction(cac.value), ctx.as_of_iso,
                  unit="ratio", excluded=value.excluded, empty="CAC is 0", method="historical")]


def retention_rate(ctx: KpiContext, by: str | None) -> list[KpiResult]:
    """E2: customers at p0 that are customers again at p1 (or as_of, if earlier)."""
    start = customers_at(ctx, _capped(ctx, ctx.period.start_utc))
    end = customers_at(ctx, _capped(ctx, ctx.period.end_utc))
    return [ratio("retention_rate", ctx.label, "all", len(start & end), len(start), ctx.as_of_iso,
                  empty="no customer at the start of the period")]


@dataclass
class _Won:
    """Won deals closed in P of one segment: counts, known sums, and why amounts were left out."""

    deals: int = 0
    expansion_deals: int = 0
    revenue: Decimal = Decimal(0)
    expansion_revenue: Decimal = Decimal(0)
    excluded: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def _won(ctx: KpiContext, by: str | None) -> dict[str, _Won]:
    def build() -> dict[str, _Won]:
        deal_facts(ctx)
        column = _DIMENSIONS[by] if by else "NULL"
        groups: dict[str, _Won] = {} if by else {"all": _Won()}
        for row in ctx.rows(f"SELECT {column} AS value, kind, {_LEFT_OUT} AS left_out, COUNT(*) AS n, "
                            "SUM(amount_micros) AS micros FROM deal_facts "
                            "WHERE won = 1 AND (closedate IS NULL OR (closedate >= :p0 AND closedate < :p1 "
                            "AND closedate < :as_of)) GROUP BY value, kind, left_out"):
            group = groups.setdefault(segment(by, row["value"]), _Won())
            if row["left_out"] == "no_closedate":
                group.excluded["no_closedate"] += row["n"]
                continue
            expansion = row["kind"] == "expansion"
            group.deals += row["n"]
            group.expansion_deals += row["n"] if expansion else 0
            if row["left_out"] is not None:
                group.excluded[row["left_out"]] += row["n"]
            else:
                group.revenue += from_micros(row["micros"])
                if expansion:
                    group.expansion_revenue += from_micros(row["micros"])
        return dict(sorted(groups.items()))
    return ctx.cached(f"customers.won:{ctx.label}:{ctx.as_of_iso}:{by}", build)


def upsell_revenue_share(ctx: KpiContext, by: str | None) -> list[KpiResult]:
    """E3: expansion share of the known won amounts closed in P."""
    return [ratio("upsell_revenue_share", ctx.label, seg, won.expansion_revenue, won.revenue, ctx.as_of_iso,
                  excluded=dict(won.excluded), empty="no known won amount in the period")
            for seg, won in _won(ctx, by).items()]


def upsell_deal_share(ctx: KpiContext, by: str | None) -> list[KpiResult]:
    """E3: expansion share of the won deals closed in P, amounts known or not."""
    return [ratio("upsell_deal_share", ctx.label, seg, won.expansion_deals, won.deals, ctx.as_of_iso,
                  excluded={k: n for k, n in won.excluded.items() if k == "no_closedate"},
                  empty="no won deal in the period")
            for seg, won in _won(ctx, by).items()]


def _engagement(ctx: KpiContext) -> tuple[int, int, int]:
    """(customer units at p1, those engaged in the 90 days before, their engagements in P)."""
    return ctx.cached(f"customers.engagement:{ctx.label}:{ctx.as_of_iso}", lambda: _count_engagements(ctx))


def _count_engagements(ctx: KpiContext) -> tuple[int, int, int]:
    at = ctx.period.end_utc
    customers = customers_at(ctx, _capped(ctx, at))
    ids = {kind: sorted(int(unit.partition(":")[2]) for unit in customers if unit.startswith(kind + ":"))
           for kind in ("company", "contact")}
    rows = ctx.rows(_ENGAGEMENTS, {"companies": json.dumps(ids["company"]), "contacts": json.dumps(ids["contact"]),
                                   "at": _capped(ctx, at),
                                   "recent": iso(min(at, ctx.as_of) - timedelta(days=ENGAGED_DAYS)),
                                   "by_contact": int(ctx.config.customer_unit == "contact")})
    return len(customers), sum(row["recent"] > 0 for row in rows), sum(row["in_period"] for row in rows)


def customer_engagement_rate(ctx: KpiContext, by: str | None) -> list[KpiResult]:
    """E4: share of the customers at p1 with at least one call, email or meeting in the 90 days before."""
    customers, engaged, _ = _engagement(ctx)
    return [ratio("customer_engagement_rate", ctx.label, "all", engaged, customers, ctx.as_of_iso,
                  empty="no customer at the end of the period", days=ENGAGED_DAYS)]


def engagements_per_customer(ctx: KpiContext, by: str | None) -> list[KpiResult]:
    """E4: calls, emails and meetings in P with the customers at p1, per customer."""
    customers, _, engagements = _engagement(ctx)
    return [ratio("engagements_per_customer", ctx.label, "all", engagements, customers, ctx.as_of_iso,
                  unit="count", empty="no customer at the end of the period")]


KPIS = [
    KpiSpec("clv", "customers", clv, (), "Customer lifetime value (historical)"),
    KpiSpec("ltv_to_cac", "customers", ltv_to_cac, (), "Lifetime value to customer acquisition cost"),
    KpiSpec("retention_rate", "customers", retention_rate, (), "Customer retention"),
    KpiSpec("upsell_revenue_share", "customers", upsell_revenue_share, tuple(_DIMENSIONS),
            "Expansion share of won revenue"),
    KpiSpec("upsell_deal_share", "customers", upsell_deal_share, tuple(_DIMENSIONS),
            "Expansion share of won deals"),
    KpiSpec("customer_engagement_rate", "customers", customer_engagement_rate, (),
            "Share of customers engaged in the last 90 days"),
    KpiSpec("engagements_per_customer", "customers", engagements_per_customer, (),
            "Engagements per customer in the period"),
]
