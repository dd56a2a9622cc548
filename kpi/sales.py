"""Sales results (definitions §2.C): win rate, average won deal size, revenue, and daily sales against the goal.

Deals come from ``deal_facts`` as they stand in the mirror: a deal reopened after closing is judged by its state
now, which is its state at as_of. A deal belongs to P by its ``closedate`` (before as_of too); a closed deal with
no closedate cannot be placed, so every period that it could belong to (created before p1) counts it under
``excluded.no_closedate``. Amounts are the portal currency's; unknown ones are counted, never summed as 0.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from .context import KpiContext, segment
from .deals import deal_facts
from .money import from_micros
from .periods import Period, parse_iso
from .registry import KpiSpec
from .result import KpiResult, ratio

_COLUMNS = {"owner": "owner_id", "pipeline": "pipeline", "source": "source"}
# closed deals of P, and the undated closed deals that could have closed in P
_IN_P = """closed = 1 AND (closedate >= :p0 AND closedate < :p1 AND closedate < :as_of
                         OR closedate IS NULL AND (createdate IS NULL OR createdate < :p1))"""


# why a won deal's amount is not summed: no closedate, no amount, or one in another currency; NULL: summed
_LEFT_OUT = ("CASE WHEN closedate IS NULL THEN 'no_closedate' "
             "WHEN amount_micros IS NULL THEN COALESCE(amount_excluded, 'no_amount') END")


def _key(by: str | None) -> tuple[str, str]:
    """The grouping column and GROUP BY clause; without a dimension, one aggregate row even when nothing matches."""
    return (_COLUMNS[by], f"GROUP BY {_COLUMNS[by]} ORDER BY {_COLUMNS[by]}") if by else ("NULL", "")


def win_rate(ctx: KpiContext, by: str | None) -> list[KpiResult]:
    """C1: won / (won + lost) over the deals closed in P."""
    column, group = _key(by)
    rows = ctx.rows(f"""
        SELECT {column} AS k, COUNT(closedate) AS closed, TOTAL(closedate IS NOT NULL AND won = 1) AS won,
               TOTAL(closedate IS NULL) AS undated
        FROM {deal_facts(ctx)} WHERE {_IN_P} {group}""")
    return [ratio("win_rate", ctx.label, segment(by, r["k"]), int(r["won"]), r["closed"], ctx.as_of_iso,
                  excluded=_nonzero(no_closedate=int(r["undated"])), empty="no deal closed in the period")
            for r in rows]


def _won(ctx: KpiContext, by: str | None) -> dict[Any, tuple[Decimal, int, Counter[str]]]:
    """Per segment value: the sum and number of known amounts of deals won in P, and what was left out."""
    column, _ = _key(by)
    sums: dict[Any, tuple[Decimal, int, Counter[str]]] = {} if by else {None: (Decimal(0), 0, Counter())}
    for r in ctx.rows(f"""SELECT {column} AS k, {_LEFT_OUT} AS left_out, COUNT(*) AS n, SUM(amount_micros) AS micros
                          FROM {deal_facts(ctx)} WHERE won = 1 AND {_IN_P} GROUP BY k, left_out ORDER BY k"""):
        total, known, excluded = sums.get(r["k"], (Decimal(0), 0, Counter()))
        if r["left_out"] is None:
            total, known = total + from_micros(r["micros"]), known + r["n"]
        else:
            excluded[r["left_out"]] += r["n"]
        sums[r["k"]] = (total, known, excluded)
    return sums


def avg_deal_size(ctx: KpiContext, by: str | None) -> list[KpiResult]:
    """C2: Σ known amounts / number of won deals with a known amount."""
    return [ratio("avg_deal_size", ctx.label, segment(by, k), total, known, ctx.as_of_iso, unit="money",
                  excluded=dict(excluded), empty="no deal won in the period with a known amount")
            for k, (total, known, excluded) in _won(ctx, by).items()]


def revenue(ctx: KpiContext, by: str | None) -> list[KpiResult]:
    """C3: bookings, Σ known amounts of the deals won in P (booked deal value, not recognised revenue)."""
    return [KpiResult("revenue", ctx.label, segment(by, k), total, None, None, ctx.as_of_iso, dict(excluded),
                      unit="money")
            for k, (total, _, excluded) in _won(ctx, by).items()]


def daily_sales_vs_goal(ctx: KpiContext, by: str | None) -> list[KpiResult]:
    """C4: per day d of the month M holding P's first day, cum(d) / goal(d), with last month's cum on that day.

    Days that have not begun at as_of are left out; ``excluded`` counts the won deals of M up to d without a
    usable amount.
    """
    zone = ctx.period.time_zone
    month = Period.containing("month", ctx.period.first, zone)
    last = month.previous()
    daily: dict[date, Decimal] = defaultdict(Decimal)
    missing: dict[date, Counter[str]] = defaultdict(Counter)
    micros: dict[date, int] = defaultdict(int)
    for r in ctx.rows(f"""SELECT closedate, {_LEFT_OUT} AS left_out, COUNT(*) AS n, SUM(amount_micros) AS micros
                          FROM {deal_facts(ctx)} WHERE closed = 1 AND won = 1
                            AND closedate >= :start AND closedate < :end AND closedate < :as_of
                          GROUP BY closedate, left_out""",
                      {"start": last.bounds[0], "end": month.bounds[1]}):
        day = parse_iso(r["closedate"]).astimezone(ZoneInfo(zone)).date()
        if r["left_out"] is None:
            micros[day] += r["micros"]
        else:
            missing[day][r["left_out"]] += r["n"]
    daily.update((day, from_micros(total)) for day, total in micros.items())
    last_cum = _cumulative(daily, last.days())
    goal = ctx.config.monthly_goal
    results, cum, excluded = [], Decimal(0), Counter[str]()
    for n, day in enumerate(month.days(), start=1):
        if Period("day", day, zone).bounds[0] >= ctx.as_of_iso:
            break
        cum += daily[day]
        excluded += missing[day]
        details = {"last_month": last_cum[min(n, len(last_cum)) - 1]}
        segment_ = f"day={day.isoformat()}"
        if goal is None:
            results.append(KpiResult("daily_sales_vs_goal", ctx.label, segment_, None, cum, None, ctx.as_of_iso,
                                     dict(excluded), "no monthly goal is set", "rate", details))
            continue
        target = Fraction(goal) * n / len(month.days())
        value = Fraction(cum) / target if target else None
        results.append(KpiResult("daily_sales_vs_goal", ctx.label, segment_, value, cum, target, ctx.as_of_iso,
                                 dict(excluded), None if target else "the goal is 0", "rate", details))
    return results


def _cumulative(daily: dict[date, Decimal], days: list[date]) -> list[Decimal]:
    out, running = [], Decimal(0)
    for day in days:
        running += daily.get(day, Decimal(0))
        out.append(running)
    return out


def _nonzero(**counts: int) -> dict[str, int]:
    return {k: v for k, v in counts.items() if v}


KPIS = [
    KpiSpec("win_rate", "sales", win_rate, ("owner", "pipeline"), "Win rate"),
    KpiSpec("avg_deal_size", "sales", avg_deal_size, ("owner", "source", "pipeline"), "Average won deal size"),
    KpiSpec("revenue", "sales", revenue, ("owner", "source", "pipeline"), "Revenue (bookings)"),
    KpiSpec("daily_sales_vs_goal", "sales", daily_sales_vs_goal, (), "Daily sales vs goal vs last month"),
]
