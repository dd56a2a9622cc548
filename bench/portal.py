"""A generated sandbox portal as its own process, and ``smarketing`` commands run against it as others.

Every benchmark that counts requests or memory goes through :class:`BenchPortal`: the sandbox answers
the requests and counts them, and each ``smarketing`` command is a real process whose peak RSS comes
from ``os.wait4`` on its own pid, so neither the sandbox nor the benchmark is ever counted in it.
"""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from bench.sandbox_pages import start_sandbox
from sandbox import DEFAULT_TOKEN

RECORD_TABLES = ("contacts", "deals", "companies", "engagements")
WRITE_ROUTES = ("POST /crm/v3/objects/{objectType}/batch/update", "POST /crm/v3/objects/{objectType}/batch/upsert")
# Runs a command and prints its exit status and peak RSS (kB). A child's ru_maxrss starts at its parent's
# RSS at the fork, so the parent is this bare interpreter, not the benchmark.
WRAPPER = """import os, sys
pid = os.posix_spawn(sys.executable, [sys.executable, *sys.argv[1:]], os.environ,
                     file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)])
_, status, usage = os.wait4(pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""
# one stage forward, so the funnel stage the worker writes changes (the custom PQL stage goes on to MQL)
NEXT_STAGE = {"subscriber": "lead", "lead": "marketingqualifiedlead", "1047290193": "marketingqualifiedlead",
              "marketingqualifiedlead": "salesqualifiedlead", "salesqualifiedlead": "opportunity",
              "opportunity": "customer", "customer": "evangelist"}


@dataclass
class Run:
    """One ``smarketing`` command: wall seconds, the sync process's peak RSS, what the sandbox answered."""

    seconds: float
    peak_rss_mb: float
    stats: dict[str, Any]

    @property
    def requests(self) -> int:
        return self.stats["requests_total"]

    @property
    def write_requests(self) -> int:
        return sum(self.stats["requests_by_route"].get(route, 0) for route in WRITE_ROUTES)


class BenchPortal:
    """``smarketing sandbox OPTIONS`` on a free port with a mirror in ``folder``; stop it with ``close``."""

    def __init__(self, folder: Path, *options: str) -> None:
        self.folder, self.db = folder, folder / "mirror.db"
        self.process, self.url, self.startup_seconds = start_sandbox(*options)
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {DEFAULT_TOKEN}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SMARKETING_")}
        self.env.update(SMARKETING_HUBSPOT_BASE_URL=self.url, SMARKETING_HUBSPOT_TOKEN=DEFAULT_TOKEN,
                        SMARKETING_DB=str(self.db), SMARKETING_SEARCH_LAG_SECONDS="0",
                        SMARKETING_SYNC_OVERLAP_SECONDS="0", SMARKETING_LOG_LEVEL="WARNING")

    def __enter__(self) -> BenchPortal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    def stats(self) -> dict[str, Any]:
        return requests.get(f"{self.url}/_sandbox/stats", timeout=10).json()

    def smarketing(self, command: str) -> Run:
        """``smarketing COMMAND`` to completion (cwd: no .env of the caller is read), with fresh counters."""
        requests.post(f"{self.url}/_sandbox/stats/reset", timeout=10).raise_for_status()
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", WRAPPER, "-m", "sync", command], env=self.env,
                              cwd=self.folder, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        status, peak_kb = map(int, done.stdout.split()) if done.returncode == 0 else (done.returncode, 0)
        if status:
            raise SystemExit(f"smarketing {command} exited with status {status}:\n{done.stderr}")
        return Run(seconds, peak_kb / 1024, self.stats())

    def count(self, table: str, where: str = "1 = 1") -> int:
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as conn:
            return conn.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()[0]

    def records(self) -> int:
        return sum(self.count(table) for table in RECORD_TABLES)

    def written(self) -> dict[tuple[str, str, str], str | None]:
        """(object type, id, property) -> the value last confirmed written, from the outbox."""
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as conn:
            return {(t, i, p): w for t, i, p, w in conn.execute(
                "SELECT object_type, object_id, property, written FROM writeback_outbox WHERE confirmed = 1")}

    def push(self) -> tuple[Run, dict[str, int]]:
        """One ``smarketing push``; and the records it wrote, by object type (a new ``as_of`` alone is not a change)."""
        before = self.written()
        run = self.smarketing("push")
        records: dict[str, set[str]] = {}
        for key, value in self.written().items():
            if key[2] != "as_of" and before.get(key, object()) != value:
                records.setdefault(key[0], set()).add(key[1])
        return run, {object_type: len(ids) for object_type, ids in records.items()}

    def change(self, object_type: str, share: float, seed: int) -> int:
        """Change ``share`` of the live records as CRM users do, 100 a batch update; how many changed.

        Contacts move one lifecycle stage forward (so the stage the worker writes moves too); deals get
        a new amount.
        """
        name = "lifecyclestage" if object_type == "contacts" else "amount"
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as conn:
            live = "archived = 0" + (" AND merged_into IS NULL" if object_type == "contacts" else "")
            rows = conn.execute(f"SELECT id, {name} FROM {object_type} WHERE {live} ORDER BY id").fetchall()
            total = len(rows)
        if object_type == "contacts":
            rows = [(i, NEXT_STAGE[stage]) for i, stage in rows if stage in NEXT_STAGE]
        else:
            rows = [(i, str(round((amount or 0) + 100, 2))) for i, amount in rows]
        chosen = random.Random(seed).sample(rows, min(len(rows), round(share * total)))
        for start in range(0, len(chosen), 100):
            inputs = [{"id": str(i), "properties": {name: value}} for i, value in chosen[start:start + 100]]
            answer = self.session.post(f"{self.url}/crm/v3/objects/{object_type}/batch/update",
                                       json={"inputs": inputs}, timeout=30)
            answer.raise_for_status()
            if answer.json().get("errors"):
                raise SystemExit(f"changing the {object_type} failed: {answer.json()['errors'][:3]}")
        return len(chosen)
