"""How long the whole KPI set takes for 12 months, and how that grows from a small portal to a large one.

For each size: a generated sandbox portal (in-process) is synced into a temporary mirror, the funnel is
built, then every KPI is computed for each of the 12 months before the generator's anchor date. The
funnel build and the KPI time are reported apart; the ratio large/small should not exceed the data ratio.

    python -m bench.kpi_speed [--contacts 100000] [--small 20000] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from connector import HubSpotClient
from kpi import KpiConfig, Period, compute
from kpi.funnel import refresh
from sandbox import SandboxServer, load_portal
from sandbox.generate import generate_portal
from sync.jobs import SyncJob, SyncOptions
from sync.mirror import Mirror

RESULTS = Path(__file__).parent / "results"
ANCHOR = datetime(2026, 11, 1, tzinfo=UTC)  # the generator's "now"


def measure(contacts: int, seed: int) -> dict[str, float | int]:
    portal = load_portal(generate_portal(contacts, contacts // 5, seed))
    with tempfile.TemporaryDirectory() as tmp, SandboxServer(portal) as sandbox, Mirror(Path(tmp) / "m.db") as mirror:
        SyncJob(HubSpotClient(sandbox.token, sandbox.url), mirror,
                SyncOptions(search_lag_seconds=0, overlap_seconds=0)).run()
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
    return {"contacts": contacts, "funnel_seconds": round(funnel_seconds, 2), "kpi_seconds": round(kpi_seconds, 2),
            "records": records}


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    runs = [measure(n, args.seed) for n in (args.small, args.contacts)]
    ratio = runs[1]["kpi_seconds"] / max(runs[0]["kpi_seconds"], 1e-9)
    print("the whole KPI set for 12 months:")
    print(f"  {'contacts':>9}  {'funnel build s':>14}  {'KPIs s':>7}  {'records':>8}")
    for run in runs:
        print(f"  {run['contacts']:>9,}  {run['funnel_seconds']:>14}  {run['kpi_seconds']:>7}  {run['records']:>8,}")
    print(f"  KPI time large / small: {ratio:.2f} for {args.contacts / args.small:.0f}x the contacts")
    result = {"runs": runs, "kpi_time_ratio": round(ratio, 2)}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "kpi_speed.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
