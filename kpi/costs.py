"""Cost and return (definitions §1.9 and D1-D4): campaign spend spread over days, per lead, per deal, per customer.

Spend has no date of its own, so each campaign's total is spread evenly over its local dates, start to end
inclusive, and a period gets the days it shares with that span, exactly (Fractions). A campaign that cannot be
spread (no dates, only one date, or an end before its start) lands whole on one day, its start date, else its end
date, else its local creation date, and is flagged. Days that begin at or after as_of are not spent yet, so a
period in progress is costed up to as_of, like the events it is compared with. Spend in another currency than the
portal's is left out and counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from .context import KpiContext, segment
from .deals import deal_facts
from .money import MICROS
from .periods import parse_iso, prorate_monthly
from .registry import KpiSpec
from .result import KpiResult, ratio

NO_SPEND = "no spend in the period"
SPEND_UNAVAILABLE = "campaign spend is not available on this portal"
UNKNOWN_SPEND = {"currency": "the campaign's spend is in another currency",
                 "no_amount": "the campaign has no spend total"}


def spend(ctx: KpiContext, campaign: str | None = None) -> tuple[Fraction, dict[str, int], list[str]]:
    """Spend in the period up to as_of, of one campaign or of all: (amount, excluded {reason: n}, flagged ids).

    Only campaigns whose spend would fall in the period are counted as excluded or flagged.
    """
    shares = _shares(ctx)
    chosen = {cid: share for cid, share in shares.items() if campaign in (None, cid)}
    excluded = Counter(reason for _, reason, _ in chosen.values() if reason)
    undated = sorted(cid for cid, (_, reason, flagged) in chosen.items() if flagged and not reason)
    return sum((amount for amount, _, _ in chosen.values()), Fraction(0)), dict(excluded), undated


def spent_days(ctx: KpiContext) -> tuple[date, date]:
    """[first, end) local days of the period that began before as_of."""
    local = ctx.as_of.astimezone(ZoneInfo(ctx.period.time_zone))
    cutoff = local.date() if local.time() == datetime.min.time() else local.date() + timedelta(days=1)
    first = ctx.period.first
    return first, max(first, min(ctx.period.end, cutoff))


def sales_cost(ctx: KpiContext) -> Fraction:
    """The monthly sales cost setting, prorated by the days of each month spent in the period."""
    first, end = spent_days(ctx)
    return prorate_monthly(ctx.config.sales_cost_per_month, first, end)


def new_units(ctx: KpiContext) -> list[dict[str, Any]]:
    """Customer units whose first won deal (earliest closedate, ties to the smallest id) closes in the period.

    Each row: unit, deal_id, amount, amount_excluded, attribution_contact, kind. A unit whose first won deal is
    existing business (dealtype) was a customer before the CRM knew it; callers leave it out and count it.
    """
    deal_facts(ctx)
    return ctx.rows("""
        SELECT unit, deal_id, amount, amount_excluded, attribution_contact, kind FROM (
            SELECT *, ROW_NUMBER() OVER (PARTITION BY unit ORDER BY closedate, deal_id) AS rn
            FROM deal_facts WHERE won = 1 AND closedate IS NOT NULL)
        WHERE rn = 1 AND closedate >= :p0 AND closedate < :p1 AND closedate < :as_of""")


def undated_closed(ctx: KpiContext) -> int:
    """Won deals without a closedate: left out of every period (§1.8)."""
    deal_facts(ctx)
    return ctx.rows("SELECT COUNT(*) AS n FROM deal_facts WHERE won = 1 AND closedate IS NULL")[0]["n"]


def cost_per_lead(ctx: KpiContext, by: str | None) -> list[KpiResult]:
    """D1: spend / new leads; per campaign, leads by their first-touch converting campaign."""
    rows = ctx.rows(f"""
        SELECT cf.campaign, COUNT(*) AS n FROM funnel f JOIN contact_funnel cf ON cf.contact_id = f.contact_id
        WHERE f.stage = 'lead' AND f.{ctx.reached} >= :p0 AND f.{ctx.reached} < :p1 AND f.{ctx.reached} < :as_of
        GROUP BY cf.campaign""")
    return _per_spend(ctx, by, "cost_per_lead", {r["campaign"]: r["n"] for r in rows}, "no new lead in the period")


def cost_per_opportunity(ctx: KpiContext, by: str | None) -> list[KpiResult]:
    """D2: spend / new-business deals created in the period; per campaign, by the deal's attributed campaign."""
    deal_facts(ctx)
    rows = ctx.rows("""
        SELECT campaign, COUNT(*) AS n FROM deal_facts
        WHERE kind = 'new_business' AND createdate >= :p0 AND createdate < :p1 AND createdate < :as_of
        GROUP BY campaign""")
    return _per_spend(ctx, by, "cost_per_opportunity", {r["campaign"]: r["n"] for r in rows},
                      "no new-business deal created in the period")


def cac(ctx: KpiContext, by: str | None) -> list[KpiResult]:
    """D3: (spend + sales cost) / customer units whose first won deal closes in the period."""
    amount, excluded, undated = spend(ctx)
    cost = sales_cost(ctx)
    units = new_units(ctx)
    new = sum(1 for u in units if u["kind"] == "new_business")
    excluded.update(existing_business=len(units) - new, no_closedate=undated_closed(ctx))
    return _without_spend(ctx, [ratio("cac", ctx.label, "all", amount + cost, new, ctx.as_of_iso, unit="money",
                                      excluded=_nonzero(excluded), empty="no new customer in the period",
                                      spend=amount, sales_cost=cost, undated_campaigns=undated or None)])


def marketing_roi(ctx: KpiContext, by: str | None) -> list[KpiResult]:
    """D4: (revenue of won deals attributed to campaigns - spend) / spend; first-touch attribution."""
    deal_facts(ctx)
    revenue: dict[str, Fraction] = {}
    left_out: dict[str, Counter] = {}
    for row in ctx.rows("""
            SELECT campaign, COUNT(*) AS n,
                   CASE WHEN amount_micros IS NULL THEN COALESCE(amount_excluded, 'no_amount') END AS left_out,
                   SUM(amount_micros) AS micros FROM deal_facts
            WHERE won = 1 AND campaign IS NOT NULL AND closedate >= :p0 AND closedate < :p1 AND closedate < :as_of
            GROUP BY campaign, left_out"""):
        revenue.setdefault(row["campaign"], Fraction(0))
        left_out.setdefault(row["campaign"], Counter())
        if row["left_out"] is not None:
            left_out[row["campaign"]][row["left_out"]] += row["n"]
        else:
            revenue[row["campaign"]] += Fraction(row["micros"], MICROS)
    results = []
    for name in _campaigns(ctx, by, revenue):
        cost, spend_excluded, undated = spend(ctx, name)
        earned = sum((v for k, v in revenue.items() if name in (None, k)), Fraction(0))
        excluded = sum((c for k, c in left_out.items() if name in (None, k)), Counter(spend_excluded))
        if name is None:
            excluded["no_closedate"] = undated_closed(ctx)
        result = ratio("marketing_roi", ctx.label, segment(by, name), earned - cost, cost, ctx.as_of_iso,
                       excluded=_nonzero(excluded), empty=NO_SPEND, attributed_revenue=earned,
                       undated_campaigns=undated or None)
        results.append(_unknown_spend(result, name, spend_excluded))
    return _without_spend(ctx, results, spend_is_denominator=True)


def _per_spend(ctx: KpiContext, by: str | None, kpi: str, counts: dict[str | None, int],
               empty: str) -> list[KpiResult]:
    """Spend / counts, overall or per campaign (counts keyed by campaign; None: no campaign)."""
    results = []
    for name in _campaigns(ctx, by, counts):
        cost, excluded, undated = spend(ctx, name)
        total = sum(n for key, n in counts.items() if name in (None, key))
        result = ratio(kpi, ctx.label, segment(by, name), cost, total, ctx.as_of_iso, unit="money",
                       excluded=excluded, empty=empty, undated_campaigns=undated or None)
        results.append(_unknown_spend(result, name, excluded))
    return _without_spend(ctx, results)


def _without_spend(ctx: KpiContext, results: list[KpiResult], spend_is_denominator: bool = False) -> list[KpiResult]:
    """Where the portal does not serve campaigns, spend is unknown, not 0: every figure built on it is null."""
    if ctx.config.campaign_spend:
        return results
    for result in results:
        result.value, result.numerator, result.reason = None, None, SPEND_UNAVAILABLE
        if spend_is_denominator:
            result.denominator = None
        for known_only_with_spend in ("spend", "undated_campaigns"):
            result.details.pop(known_only_with_spend, None)
    return results


def _unknown_spend(result: KpiResult, name: str | None, spend_excluded: dict[str, int]) -> KpiResult:
    """A campaign whose spend could not be counted has an unknown cost, not a cost of 0."""
    if name is not None and spend_excluded:
        result.value, result.reason = None, UNKNOWN_SPEND[next(iter(spend_excluded))]
    return result


def _campaigns(ctx: KpiContext, by: str | None, seen: Iterable[str | None]) -> Sequence[str | None]:
    """[None] for the overall record; per campaign, those with spend in the period or a count, by id.

    Contacts and deals with no campaign have no spend to divide, so they get no segment of their own.
    """
    if by != "campaign":
        return [None]
    return sorted(set(_shares(ctx)) | {cid for cid in seen if cid is not None})


def _nonzero(excluded: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in excluded.items() if v}


def _shares(ctx: KpiContext) -> dict[str, tuple[Fraction, str | None, bool]]:
    """Campaign id -> (spend in the period, why it was left out, flagged as placed on one day), for the campaigns
    whose spend falls in the days of the period before as_of; cached per span of days."""
    first, end = spent_days(ctx)
    return ctx.cached(f"spend:{first}:{end}", lambda: _build_shares(ctx, first, end))


def _build_shares(ctx: KpiContext, first: date, end: date) -> dict[str, tuple[Fraction, str | None, bool]]:
    portal = ctx.config.currency or _meta(ctx, "currency")
    zone = ZoneInfo(ctx.period.time_zone)
    out: dict[str, tuple[Fraction, str | None, bool]] = {}
    for row in ctx.rows("SELECT id, start_date, end_date, spend_total_micros, currency, created_at FROM campaigns"):
        start, stop = _day(row["start_date"]), _day(row["end_date"])
        flagged = not (start and stop and start <= stop)
        if flagged:
            created = parse_iso(row["created_at"]).astimezone(zone).date() if row["created_at"] else None
            start = stop = start or stop or created
        if start is None or stop is None:  # flagged, and not even a creation date
            continue
        days = (min(end, stop + timedelta(days=1)) - max(first, start)).days
        if days <= 0:
            continue
        micros = row["spend_total_micros"]
        total = None if micros is None else Fraction(micros, MICROS)
        if row["currency"] and portal and row["currency"].upper() != portal.upper():
            out[row["id"]] = (Fraction(0), "currency", flagged)
        elif total is None:
            out[row["id"]] = (Fraction(0), "no_amount", flagged)
        else:
            out[row["id"]] = (total * days / ((stop - start).days + 1), None, flagged)
    return out


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _meta(ctx: KpiContext, key: str) -> str | None:
    rows = ctx.rows("SELECT value FROM meta WHERE key = :key", {"key": key})
    return rows[0]["value"] if rows else None


KPIS = [
    KpiSpec("cost_per_lead", "costs", cost_per_lead, ("campaign",), "Cost per lead"),
    KpiSpec("cost_per_opportunity", "costs", cost_per_opportunity, ("campaign",), "Cost per opportunity"),
    KpiSpec("cac", "costs", cac, (), "Customer acquisition cost"),
    KpiSpec("marketing_roi", "costs", marketing_roi, ("campaign",), "Marketing ROI"),
]
