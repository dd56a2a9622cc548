"""One cycle of the worker (sync, KPIs, push) as ``smarketing run`` runs it, as a process of its own.

    python -m bench.cycle OUT.json

``smarketing run`` only stops on a signal, so this runs :meth:`Worker.cycle` once with the same settings from the
environment. The worker logs "sync done" between its sync and its KPIs and push; at that line this process takes
the sandbox's request counters and resets them, so OUT.json holds the seconds and requests of each part.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import requests

from sync.app.settings import Settings
from sync.app.worker import Worker


class _SyncDone(logging.Handler):
    """Marks the end of the cycle's sync: the time, and the sandbox's counters for the sync alone."""

    def __init__(self, url: str) -> None:
        super().__init__(logging.INFO)
        self.url, self.marks = url, dict[str, Any]()

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("sync done"):
            self.marks["sync_done"] = time.perf_counter()
            self.marks["sync_stats"] = requests.get(f"{self.url}/_sandbox/stats", timeout=10).json()
            requests.post(f"{self.url}/_sandbox/stats/reset", timeout=10).raise_for_status()
            self.marks["push_start"] = time.perf_counter()


def main(out: Path) -> int:
    settings = Settings()
    mark = _SyncDone(settings.hubspot_base_url)
    logger = logging.getLogger("smarketing.worker")
    logger.addHandler(mark)
    logger.setLevel(logging.INFO)
    started = time.perf_counter()
    summary = Worker(settings).cycle()
    ended = time.perf_counter()
    if summary is None or "sync_done" not in mark.marks:
        print("the cycle failed (see its log)", file=sys.stderr)
        return 1
    result: dict[str, Any] = {
        "seconds": round(ended - started - (mark.marks["push_start"] - mark.marks["sync_done"]), 2),
        "sync_seconds": round(mark.marks["sync_done"] - started, 2),
        "kpis_and_push_seconds": round(ended - mark.marks["push_start"], 2),
        "sync_stats": mark.marks["sync_stats"], "written": summary.written, "kpi_records": summary.kpi_records}
    out.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
