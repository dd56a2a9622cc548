"""A generated sandbox portal as its own process, and ``smarketing`` commands run against it as others.

Every benchmark that counts requests or memory goes through :class:`BenchPortal`: the sandbox answers
the requests and counts them, and each ``smarketing`` command is a real process whose peak RSS comes
from ``os.wait4`` on its own pid, so neither the sandbox nor the benchmark is ever counted in it.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from bench.sandbox_pages import start_sandbox
from sandbox import DEFAULT_TOKEN

RECORD_TABLES = ("contacts", "deals", "companies", "engagements")
ROOT = Path(__file__).resolve().parent.parent  # bench.cycle and bench.kpis run from a scratch folder
QUOTA, MONTHLY_GOAL = "1500000", "250000"  # revenue settings the KPI set needs for its reverse funnel and daily goal
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


_STARTED = time.perf_counter()


def progress(line: str) -> None:
    """A step done, on stderr: a run of a million contacts takes most of an hour."""
    print(f"[{time.perf_counter() - _STARTED:6.0f} s] {line}", file=sys.stderr, flush=True)


class BenchPortal:
    """``smarketing sandbox OPTIONS`` on a free port with a mirror in ``folder``; stop it with ``close``."""

    def __init__(self, folder: Path, *options: str) -> None:
        self.folder, self.db = folder, folder / "mirror.db"
        self.process, self.url, self.startup_seconds = start_sandbox(*options)
        progress(f"sandbox {' '.join(options)} up in {self.startup_seconds:.1f} s")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {DEFAULT_TOKEN}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SMARKETING_")}
        self.env.update(SMARKETING_HUBSPOT_BASE_URL=self.url, SMARKETING_HUBSPOT_TOKEN=DEFAULT_TOKEN,
                        SMARKETING_DB=str(self.db), SMARKETING_SEARCH_LAG_SECONDS="0",
                        SMARKETING_SYNC_OVERLAP_SECONDS="0", SMARKETING_LOG_LEVEL="WARNING",
                        SMARKETING_QUOTA=QUOTA, SMARKETING_MONTHLY_GOAL=MONTHLY_GOAL,
                        PYTHONPATH=os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH")))))

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
        return self._process("sync", command)

    def kpis(self, by: str | None) -> tuple[Run, dict[str, Any]]:
        """The KPI set for 12 months from cold (:mod:`bench.kpis`), segmented ``by``."""
        out = self.folder / "kpis.json"
        run = self._process("bench.kpis", str(self.db), str(out), *(("--by", by) if by else ()))
        return run, json.loads(out.read_text())

    def _process(self, module: str, *args: str) -> Run:
        requests.post(f"{self.url}/_sandbox/stats/reset", timeout=10).raise_for_status()
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", WRAPPER, "-m", module, *args], env=self.env,
                              cwd=self.folder, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        status, peak_kb = map(int, done.stdout.split()) if done.returncode == 0 else (done.returncode, 0)
        if status:
            raise SystemExit(f"python -m {module} {' '.join(args)} exited with status {status}:\n{done.stderr}")
        progress(f"  {module} {' '.join(args[-2:] if module == 'bench.kpis' else args)}: {seconds:.1f} s, "
                 f"peak RSS {peak_kb / 1024:.0f} MB")
        return Run(seconds, peak_kb / 1024, self.stats())

    def count(self, table: str, where: str = "1 = 1") -> int:
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as conn:
            return conn.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()[0]

    def records(self) -> int:
        return sum(self.count(table) for table in RECORD_TABLES)

    def push(self) -> tuple[Run, dict[str, int]]:
        """One ``smarketing push``; and the records it wrote, by object type (a new ``as_of`` alone is not a change)."""
        self._remember_written()
        run = self.smarketing("push")
        return run, self._written_since()

    def cycle(self) -> tuple[Run, dict[str, Any], dict[str, int]]:
        """One worker cycle (:mod:`bench.cycle`): the Run (its counters are the KPIs and push's), the parts' figures,
        and the records it wrote by object type."""
        out = self.folder / "cycle.json"
        self._remember_written()
        run = self._process("bench.cycle", str(out))
        return run, json.loads(out.read_text()), self._written_since()

    def _remember_written(self) -> None:
        """The outbox's confirmed values, copied in SQLite (at a million contacts they would not fit a dict)."""
        with self._scratch() as conn:
            conn.execute("DROP TABLE IF EXISTS before")
            conn.execute("CREATE TABLE before AS SELECT object_type, object_id, property, written "
                         "FROM m.writeback_outbox WHERE confirmed = 1")
            conn.execute("CREATE INDEX before_key ON before (object_type, object_id, property)")

    def _written_since(self) -> dict[str, int]:
        """Records with a confirmed value that is new or other than when remembered, by object type."""
        with self._scratch() as conn:
            return dict(conn.execute(
                "SELECT o.object_type, count(DISTINCT o.object_id) FROM m.writeback_outbox o LEFT JOIN before b "
                "ON b.object_type = o.object_type AND b.object_id = o.object_id AND b.property = o.property "
                "WHERE o.confirmed = 1 AND o.property != 'as_of' "
                "AND (b.object_id IS NULL OR b.written IS NOT o.written) "
                "GROUP BY o.object_type").fetchall())

    @contextmanager
    def _scratch(self) -> Iterator[sqlite3.Connection]:
        """A scratch database beside the mirror, the mirror attached read-only as ``m``."""
        conn = sqlite3.connect(f"file:{self.folder / 'outbox-before.db'}", uri=True, isolation_level=None)
        try:
            conn.execute("ATTACH ? AS m", (f"file:{self.db}?mode=ro",))
            yield conn
        finally:
            conn.close()

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
