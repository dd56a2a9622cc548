"""The time of the whole KPI set for 12 months over a mirror, the funnel build apart."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from kpi import KpiConfig, Period, compute, refresh
from sync.storage import Mirror

ANCHOR = datetime(2026, 11, 1, tzinfo=UTC)  # the generator's "now"


def time_kpis(mirror_path: Path) -> dict[str, float | int]:
    """Build the funnel, then compute every KPI for each of the 12 months before the generator's anchor."""
    with Mirror(mirror_path) as mirror:
        config = KpiConfig(time_zone="UTC", currency=mirror.meta("currency"), quota=None)
        started = time.perf_counter()
        refresh(mirror.db, config)
        funnel_seconds = time.perf_counter() - started
        months = [Period.containing("month", ANCHOR.date(), "UTC")]
        while len(months) < 12:
            months.append(months[-1].previous())
        started = time.perf_counter()
        records = sum(len(compute(mirror.db, config, month, now=ANCHOR)) for month in months)
        kpi_seconds = time.perf_counter() - started
    return {"funnel_seconds": round(funnel_seconds, 2), "kpi_seconds": round(kpi_seconds, 2), "kpi_records": records}
