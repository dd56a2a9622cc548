"""Computing KPIs: refresh the funnel, then run the chosen KPI functions for a period and a segment."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from .config import KpiConfig
from .context import DIMENSIONS, KpiContext
from .funnel import refresh
from .periods import Period
from .registry import specs
from .result import KpiResult


def compute(db: object, config: KpiConfig, period: Period, *, as_of: datetime | None = None,
            by: str | None = None, kpis: Iterable[str] | None = None, strict: bool = False,
            now: datetime) -> list[KpiResult]:
    """KPI records for ``period``; a KPI that does not allow the dimension ``by`` reports ``all`` only."""
    if by is not None and by not in DIMENSIONS:
        raise ValueError(f"dimension must be one of {', '.join(DIMENSIONS)}")
    catalogue = specs()
    chosen = list(kpis) if kpis else list(catalogue)
    unknown = [k for k in chosen if k not in catalogue]
    if unknown:
        raise ValueError(f"unknown KPI {', '.join(unknown)}; known: {', '.join(catalogue)}")
    refresh(db, config)
    ctx = KpiContext(db, config, period, as_of or period.default_as_of(now), strict)
    results: list[KpiResult] = []
    for kpi in chosen:
        spec = catalogue[kpi]
        results += spec.function(ctx, by if by in spec.dimensions else None)
    return results
