"""Computing KPIs: refresh the funnel, then run the chosen KPI functions for a period and a segment."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from .config import KpiConfig
from .context import DIMENSIONS, KpiContext
from .funnel import refresh
from .periods import Period, iso, parse_iso
from .registry import specs
from .result import KpiResult


def compute(db: object, config: KpiConfig, period: Period, *, as_of: datetime | None = None,
            by: str | None = None, kpis: Iterable[str] | None = None, strict: bool = False,
            now: datetime, refresh_funnel: bool = True) -> list[KpiResult]:
    """KPI records for ``period``; a KPI that does not allow the dimension ``by`` reports ``all`` only.

    ``refresh_funnel=False`` reads the funnel as it stands (a read-only mirror: the dashboard), queued contacts
    unrebuilt (``funnel_stale`` counts them)."""
    if by is not None and by not in DIMENSIONS:
        raise ValueError(f"dimension must be one of {', '.join(DIMENSIONS)}")
    catalogue = specs()
    chosen = list(kpis) if kpis else list(catalogue)
    unknown = [k for k in chosen if k not in catalogue]
    if unknown:
        raise ValueError(f"unknown KPI {', '.join(unknown)}; known: {', '.join(catalogue)}")
    if refresh_funnel:
        refresh(db, config)
    ctx = KpiContext(db, config, period, as_of or period.default_as_of(now), strict)
    results: list[KpiResult] = []
    for kpi in chosen:
        spec = catalogue[kpi]
        results += spec.function(ctx, by if by in spec.dimensions else None)
    return results


def last_month_with_data(db: Any, config: KpiConfig, now: datetime, refresh_funnel: bool = True) -> Period:
    """The default period: the last complete month holding the mirror's latest stage entry or deal close before
    ``now``; the month that holds ``now`` is never complete, so then the one before it. (Activity is no guide: a
    meeting is often booked ahead, and a portal that stopped syncing still has old calls.)"""
    if refresh_funnel:
        refresh(db, config)
    latest = db.execute(
        "SELECT max(t) FROM (SELECT max(reached_at) AS t FROM funnel WHERE reached_at < :now "
        "UNION ALL SELECT max(closedate) FROM deals WHERE archived = 0 AND hs_is_closed = 1 AND closedate < :now)",
        {"now": iso(now)}).fetchone()[0]
    if latest is None:
        return Period.last_complete("month", now, config.time_zone)
    month = Period.containing("month", parse_iso(latest).astimezone(ZoneInfo(config.time_zone)).date(),
                              config.time_zone)
    return month.previous() if month.end_utc > now else month
