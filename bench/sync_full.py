"""A full sync of a generated portal: records/s, API requests per 1,000 records, and peak RSS against size.

For a small portal and then a large one (deals scaled with contacts; engagements and companies the
generator's defaults, contacts / 20 and contacts / 25), starts ``smarketing sandbox`` as its own
process, runs ``smarketing sync`` against it into a fresh mirror as another, and reports the sync's
wall time, the requests the sandbox answered and the sync process's peak RSS. The peak RSS comes
from ``os.wait4`` on the sync's own pid in a tiny wrapper, so the sandbox's memory is never counted;
it should not grow with the portal's size.

    python -m bench.sync_full [--contacts 100000] [--deals 20000] [--small 20000] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from bench.sandbox_pages import RESULTS, start_sandbox
from sandbox import DEFAULT_TOKEN

TABLES = ("contacts", "deals", "companies", "engagements")
# Runs the sync and prints its exit status and peak RSS (kB). A child's ru_maxrss starts at its parent's
# RSS at the fork, so the parent is this bare interpreter, not the benchmark; wait4 on the sync's pid
# counts that process alone, never the sandbox.
WRAPPER = """import os, sys
pid = os.posix_spawn(sys.executable, [sys.executable, *sys.argv[1:]], os.environ,
                     file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)])
_, status, usage = os.wait4(pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


def run_sync(url: str, folder: Path) -> tuple[float, int]:
    """(wall seconds, peak RSS in bytes) of one ``smarketing sync`` into a new mirror in ``folder``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARKETING_")}
    env.update(SMARKETING_HUBSPOT_BASE_URL=url, SMARKETING_HUBSPOT_TOKEN=DEFAULT_TOKEN,
               SMARKETING_DB=str(folder / "mirror.db"), SMARKETING_LOG_LEVEL="WARNING")
    started = time.perf_counter()
    # cwd: no .env of the caller's folder is read.
    done = subprocess.run([sys.executable, "-c", WRAPPER, "-m", "sync", "sync"], env=env, cwd=folder,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - started
    status, peak_kb = map(int, done.stdout.split()) if done.returncode == 0 else (done.returncode, 0)
    if status:
        raise SystemExit(f"smarketing sync exited with status {status}:\n{done.stderr}")
    return seconds, peak_kb * 1024


def measure(contacts: int, deals: int, seed: int) -> dict[str, Any]:
    sandbox, url, _ = start_sandbox("--contacts", str(contacts), "--deals", str(deals), "--seed", str(seed))
    try:
        requests.post(f"{url}/_sandbox/stats/reset", timeout=10).raise_for_status()
        with tempfile.TemporaryDirectory(prefix="sync-full-") as folder:
            seconds, peak = run_sync(url, Path(folder))
            stats = requests.get(f"{url}/_sandbox/stats", timeout=10).json()
            with sqlite3.connect(Path(folder) / "mirror.db") as db:
                counts = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)
    records, calls = sum(counts.values()), stats["requests_total"]
    return {"contacts": contacts, "deals": deals, "records": records, "by_table": counts,
            "seconds": round(seconds, 1), "records_per_second": round(records / seconds),
            "requests": calls, "requests_per_1000_records": round(calls / records * 1000, 1),
            "peak_rss_mb": round(peak / 2**20, 1), "requests_by_route": stats["requests_by_route"]}


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--deals", type=int, default=20_000)
    parser.add_argument("--small", type=int, default=20_000, help="contacts of the small portal")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    small_deals = args.deals * args.small // max(args.contacts, 1)
    runs = [measure(args.small, small_deals, args.seed), measure(args.contacts, args.deals, args.seed)]
    ratio = runs[1]["peak_rss_mb"] / runs[0]["peak_rss_mb"]
    print(f"full sync of a generated portal (seed {args.seed}), sync process alone:")
    print(f"  {'contacts/deals':>15} {'records':>8} {'seconds':>8} {'records/s':>10} {'requests':>9} "
          f"{'req/1k rec':>11} {'peak RSS MB':>12}")
    for r in runs:
        size = f"{r['contacts']:,}/{r['deals']:,}"
        print(f"  {size:>15} {r['records']:>8,} {r['seconds']:>8} {r['records_per_second']:>10,} "
              f"{r['requests']:>9,} {r['requests_per_1000_records']:>11} {r['peak_rss_mb']:>12}")
    print(f"  peak RSS large / small: {ratio:.2f}")
    result = {"seed": args.seed, "runs": runs, "peak_rss_ratio": round(ratio, 2)}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sync_full.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
