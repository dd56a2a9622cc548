"""Write-back cost: CRM write requests per 1,000 changed records, and none when nothing changed.

Starts ``smarketing sandbox`` with a generated portal as its own process, runs ``smarketing sync`` and
``smarketing push`` against it as other processes, and counts what the sandbox answered:

1. the first push writes every record (contacts and deals by batch update, the KPI dashboard records
   by batch upsert);
2. ``--changed`` of the contacts then move one lifecycle stage forward through the API, which changes
   their funnel stage; after a sync, the second push should write those records alone: HubSpot's floor
   is 10 requests per 1,000 records (100 inputs a call). The KPI upserts are reported apart: changed
   stages move the KPIs, whatever the number of records;
3. a sync and a third push with nothing changed (the CRM holds the worker's own writes, nothing
   else) must send no write at all.

    python -m bench.writeback [--contacts 20000] [--seed 1] [--changed 0.01]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
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

UPDATE = "POST /crm/v3/objects/{objectType}/batch/update"
UPSERT = "POST /crm/v3/objects/{objectType}/batch/upsert"
KPI_OBJECT = "smarketing_kpi"
# one stage forward, so the funnel stage the worker writes changes (the custom PQL stage goes on to MQL)
NEXT_STAGE = {"subscriber": "lead", "lead": "marketingqualifiedlead", "1047290193": "marketingqualifiedlead",
              "marketingqualifiedlead": "salesqualifiedlead", "salesqualifiedlead": "opportunity",
              "opportunity": "customer", "customer": "evangelist"}


class Portal:
    """The sandbox's URL, its request counters, and the ``smarketing`` commands run against it."""

    def __init__(self, url: str, folder: Path) -> None:
        self.url, self.folder, self.db = url, folder, folder / "mirror.db"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {DEFAULT_TOKEN}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SMARKETING_")}
        self.env.update(SMARKETING_HUBSPOT_BASE_URL=url, SMARKETING_HUBSPOT_TOKEN=DEFAULT_TOKEN,
                        SMARKETING_DB=str(self.db), SMARKETING_SEARCH_LAG_SECONDS="0",
                        SMARKETING_SYNC_OVERLAP_SECONDS="0", SMARKETING_LOG_LEVEL="WARNING")

    def smarketing(self, command: str) -> tuple[str, float]:
        """``smarketing COMMAND`` to completion (cwd: no .env of the caller is read); (output, seconds)."""
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "sync", command], env=self.env, cwd=self.folder,
                              capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"smarketing {command} exited with status {done.returncode}:\n{done.stderr}")
        return done.stdout.strip(), time.perf_counter() - started

    def reset(self) -> None:
        requests.post(f"{self.url}/_sandbox/stats/reset", timeout=10).raise_for_status()

    def stats(self) -> dict[str, Any]:
        return requests.get(f"{self.url}/_sandbox/stats", timeout=10).json()

    def written(self) -> dict[tuple[str, str, str], str | None]:
        """(object type, id, property) -> the value last confirmed written, from the outbox."""
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as conn:
            return {(t, i, p): w for t, i, p, w in conn.execute(
                "SELECT object_type, object_id, property, written FROM writeback_outbox WHERE confirmed = 1")}

    def push(self, label: str) -> dict[str, Any]:
        """One ``smarketing push``, its write requests and the records it wrote, by object type."""
        before = self.written()
        self.reset()
        output, seconds = self.smarketing("push")
        routes = self.stats()["requests_by_route"]
        after = self.written()
        records: dict[str, set[str]] = {"contacts": set(), "deals": set(), KPI_OBJECT: set()}
        for (object_type, object_id, prop), value in after.items():
            key = (object_type, object_id, prop)
            if prop != "as_of" and (key not in before or before[key] != value):
                records.setdefault(object_type, set()).add(object_id)
        pushed = re.search(r"pushed (\d+) records in (\d+) batch calls", output)
        return {"push": label, "output": output, "seconds": round(seconds, 2),
                "records_written": {t: len(ids) for t, ids in records.items()},
                "records_reported": int(pushed[1]) if pushed else None,
                "update_requests": routes.get(UPDATE, 0), "upsert_requests": routes.get(UPSERT, 0),
                "requests": sum(routes.values()), "requests_by_route": routes}

    def move_forward(self, share: float, contacts: int, seed: int) -> int:
        """Move ``share`` of the contacts one lifecycle stage forward, 100 a batch update; how many moved."""
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as conn:
            movable = conn.execute(
                f"SELECT id, lifecyclestage FROM contacts WHERE archived = 0 AND merged_into IS NULL AND "
                f"lifecyclestage IN ({','.join('?' * len(NEXT_STAGE))}) ORDER BY id", list(NEXT_STAGE)).fetchall()
        chosen = random.Random(seed).sample(movable, min(len(movable), round(share * contacts)))
        for start in range(0, len(chosen), 100):
            inputs = [{"id": str(i), "properties": {"lifecyclestage": NEXT_STAGE[stage]}}
                      for i, stage in chosen[start:start + 100]]
            answer = self.session.post(f"{self.url}/crm/v3/objects/contacts/batch/update", json={"inputs": inputs},
                                       timeout=30)
            answer.raise_for_status()
            if answer.json().get("errors"):
                raise SystemExit(f"changing the contacts failed: {answer.json()['errors'][:3]}")
        return len(chosen)


def per_thousand(requests_: int, records: int) -> float | None:
    return round(requests_ / records * 1000, 1) if records else None


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--changed", type=float, default=0.01, help="share of the contacts changed before push 2")
    args = parser.parse_args(argv)
    sandbox, url, _ = start_sandbox("--contacts", str(args.contacts), "--seed", str(args.seed))
    try:
        with tempfile.TemporaryDirectory(prefix="bench-writeback-") as folder:
            portal = Portal(url, Path(folder))
            _, sync_seconds = portal.smarketing("sync")
            first = portal.push("first: everything")
            moved = portal.move_forward(args.changed, args.contacts, args.seed)
            portal.smarketing("sync")
            second = portal.push(f"after {moved:,} contacts moved a stage")
            portal.smarketing("sync")  # reads back the worker's own writes: no wanted value moves
            third = portal.push("nothing changed")
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)

    runs = [first, second, third]
    for run in runs:
        written = run["records_written"]
        run["crm_records_written"] = written["contacts"] + written["deals"]
        run["update_requests_per_1000_records"] = per_thousand(run["update_requests"], run["crm_records_written"])
        run["upsert_requests_per_1000_kpi_records"] = per_thousand(run["upsert_requests"], written[KPI_OBJECT])
    result = {
        "contacts": args.contacts, "seed": args.seed, "changed_share": args.changed, "contacts_moved": moved,
        "sync_seconds": round(sync_seconds, 2), "floor_requests_per_1000_records": 10.0,
        "changed_update_requests_per_1000_records": second["update_requests_per_1000_records"],
        "changed_kpi_upsert_requests": second["upsert_requests"],
        "unchanged_write_requests": third["update_requests"] + third["upsert_requests"],
        "runs": runs,
    }

    print(f"smarketing push against a generated portal of {args.contacts:,} contacts (seed {args.seed}):")
    print(f"  {'push':<34} {'contacts':>8} {'deals':>6} {'update':>7} {'per 1k':>7} {'KPI rec':>8} {'upsert':>7} "
          f"{'requests':>9} {'seconds':>8}")
    for run in runs:
        written, rate = run["records_written"], run["update_requests_per_1000_records"]
        print(f"  {run['push']:<34} {written['contacts']:>8,} {written['deals']:>6,} {run['update_requests']:>7} "
              f"{'-' if rate is None else rate:>7} {written[KPI_OBJECT]:>8,} {run['upsert_requests']:>7} "
              f"{run['requests']:>9} {run['seconds']:>8}")
    print("  (update: batch/update calls for contacts and deals; per 1k: of them per 1,000 records written, floor 10;")
    print("   upsert: batch/upsert calls for the KPI dashboard records; requests: every call, reads included)")
    print(f"  write requests with nothing changed: {result['unchanged_write_requests']} (must be 0)")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "writeback.json").write_text(json.dumps(result, indent=2) + "\n")
    if result["unchanged_write_requests"]:
        raise SystemExit("a push with nothing changed sent writes")
    return result


if __name__ == "__main__":
    main()
