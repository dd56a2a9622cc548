"""The whole KPI set for the 12 months before the generator's anchor, from cold, as a process of its own.

    python -m bench.kpis MIRROR OUT.json [--by source|campaign|owner|pipeline]

Cold means what a first run after a full sync finds: the funnel tables (``funnel*``) and any table or ``meta`` key the
KPIs keep (``kpi*``) emptied, so the funnel is built from the mirror again. The settings come from the environment as
the worker's do (the bench sets ``SMARKETING_QUOTA`` and ``SMARKETING_MONTHLY_GOAL``). It writes the funnel build's
and the KPI maths' seconds to OUT.json; the caller reads this process's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kpi import DIMENSIONS, Period, compute, refresh
from sync.app.settings import Settings
from sync.app.wiring import kpi_config
from sync.storage import Mirror

ANCHOR = datetime(2026, 11, 1, tzinfo=UTC)  # the generator's "now"


def make_cold(mirror: Mirror) -> None:
    """Empty what the KPIs derived or cached, so they start from the mirror's rows alone."""
    db = mirror.db
    tables = [name for (name,) in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND (name LIKE 'funnel%' OR name LIKE 'kpi%')")]
    db.execute("BEGIN")
    for table in tables:
        db.execute(f"DELETE FROM {table}")
    db.execute("DELETE FROM meta WHERE key LIKE 'funnel%' OR key LIKE 'kpi%'")
    db.execute("COMMIT")


def time_kpis(mirror_path: Path, by: str | None) -> dict[str, Any]:
    """Build the funnel from cold, then compute every KPI for each of the 12 months (segmented ``by``)."""
    with Mirror(mirror_path) as mirror:
        make_cold(mirror)
        config = kpi_config(Settings(), mirror)
        started = time.perf_counter()
        refresh(mirror.db, config)
        funnel_seconds = time.perf_counter() - started
        months = [Period.containing("month", ANCHOR.date(), "UTC")]
        while len(months) < 12:
            months.append(months[-1].previous())
        started = time.perf_counter()
        records = sum(len(compute(mirror.db, config, month, by=by, now=ANCHOR)) for month in months)
        kpi_seconds = time.perf_counter() - started
    return {"by": by, "funnel_seconds": round(funnel_seconds, 2), "kpi_seconds": round(kpi_seconds, 2),
            "seconds": round(funnel_seconds + kpi_seconds, 2), "kpi_records": records}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mirror", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--by", choices=DIMENSIONS)
    args = parser.parse_args(argv)
    args.out.write_text(json.dumps(time_kpis(args.mirror, args.by)))


if __name__ == "__main__":
    main()
