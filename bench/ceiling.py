"""The ceiling of this machine for a full sync: decoding its JSON pages and inserting its rows, with no HTTP.

``capture`` runs one full sync in this process with a response hook on the connector's session, so
it keeps the exact bodies the sync decoded and a mirror holding the exact rows it stored. ``measure``
then times ``json.loads`` over those bodies and an ``executemany`` of those rows into a fresh mirror
(the same schema and pragmas), one transaction per table. Nothing the sync does beyond
that (HTTP, pacing, mapping, per-page commits, cursors) is in the ceiling, so no sync can beat it.

    python -m bench.ceiling [--contacts 20000] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from bench.sandbox_pages import start_sandbox
from connector import HubSpotClient
from sandbox import DEFAULT_TOKEN
from sync.ingest import SyncJob, SyncOptions
from sync.storage import Mirror

RECORD_TABLES = ("contacts", "deals", "companies", "engagements")
# every table a full sync fills from the CRM's answers
DATA_TABLES = (*RECORD_TABLES, "contact_stage_history", "deal_contacts", "engagement_contacts", "owners",
               "pipelines", "pipeline_stages", "lifecycle_stages", "campaigns", "campaign_spend")


def capture(url: str, mirror_path: Path) -> list[bytes]:
    """The bodies of every answer of one in-process full sync into ``mirror_path``."""
    bodies: list[bytes] = []
    session = requests.Session()
    session.hooks["response"].append(lambda response, *args, **kwargs: bodies.append(response.content))
    with Mirror(mirror_path) as mirror:
        SyncJob(HubSpotClient(DEFAULT_TOKEN, url, session=session), mirror,
                SyncOptions(search_lag_seconds=0, overlap_seconds=0)).run()
    return bodies


def measure(bodies: list[bytes], mirror_path: Path) -> dict[str, Any]:
    """Seconds to decode ``bodies`` and to insert the mirror's rows afresh; records per second of both."""
    source = sqlite3.connect(mirror_path)
    rows = {t: source.execute(f"SELECT * FROM {t}").fetchall() for t in DATA_TABLES}
    source.close()
    records = sum(len(rows[t]) for t in RECORD_TABLES)

    started = time.perf_counter()
    for body in bodies:
        json.loads(body)
    decode_seconds = time.perf_counter() - started

    with tempfile.TemporaryDirectory(prefix="bench-ceiling-") as folder, Mirror(Path(folder) / "c.db") as fresh:
        db = fresh.db.conn  # the mirror's own schema and pragmas
        started = time.perf_counter()
        for table, table_rows in rows.items():
            if table_rows:
                db.execute("BEGIN")
                db.executemany(f"INSERT INTO {table} VALUES ({','.join('?' * len(table_rows[0]))})", table_rows)
                db.execute("COMMIT")
        insert_seconds = time.perf_counter() - started
    seconds = decode_seconds + insert_seconds
    return {"records": records, "pages": len(bodies), "megabytes": round(sum(map(len, bodies)) / 1e6, 1),
            "decode_seconds": round(decode_seconds, 2), "insert_seconds": round(insert_seconds, 2),
            "seconds": round(seconds, 2), "records_per_second": round(records / seconds)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    sandbox, url, _ = start_sandbox("--contacts", str(args.contacts), "--seed", str(args.seed))
    try:
        with tempfile.TemporaryDirectory(prefix="bench-ceiling-") as folder:
            started = time.perf_counter()
            bodies = capture(url, Path(folder) / "mirror.db")
            sync_seconds = time.perf_counter() - started
            result = measure(bodies, Path(folder) / "mirror.db")
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)
    result["in_process_sync_records_per_second"] = round(result["records"] / sync_seconds)
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
