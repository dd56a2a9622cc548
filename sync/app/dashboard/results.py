"""The ``kpi_results`` table: KPI results kept exact as JSON, written by the worker's cycle, read by the dashboard.

A set of results is stored whole for one period, mode and selection (``all``, or ``by=DIMENSION`` for
``compute(by=DIMENSION)``), with a marker row (kpi ``*``) saying the set is there, so an empty segmentation is told
from one never computed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from kpi import DIMENSIONS, KpiConfig, KpiResult, clock_change, compute, exact, iso, last_month_with_data, specs

from ...storage import Mirror
from ...writeback import inputs_fingerprint, remember, still_valid

MARKER = "*"
MODES = {False: "default", True: "strict"}


def _encode(value: Any) -> Any:
    if isinstance(value, Fraction | Decimal):
        return {"exact": exact(value)}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"exact"} and isinstance(value["exact"], str):
            return Fraction(value["exact"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def dumps(result: KpiResult) -> str:
    return json.dumps(_encode(asdict(result)), sort_keys=True)


def loads(text: str) -> KpiResult:
    return KpiResult(**_decode(json.loads(text)))


def selection(by: str | None) -> str:
    return f"by={by}" if by else "all"


def config_key(config: KpiConfig) -> str:
    """The settings a set was computed with: a reader with other settings (a goal, a stage map) computes its own."""
    def plain(value: Any) -> Any:
        return sorted(map(str, value)) if isinstance(value, set | frozenset) else str(value)
    return hashlib.sha256(json.dumps(asdict(config), default=plain, sort_keys=True).encode()).hexdigest()[:16]


def store(db: Any, results: Iterable[KpiResult], period: str, strict: bool, by: str | None, at: str,
          config: str = "") -> None:
    """Replace the stored set of this period, mode and segmentation (one transaction); ``config`` is its
    ``config_key``."""
    mode, chosen = MODES[strict], selection(by)
    rows = [(r.kpi, r.period, r.segment, mode, chosen, dumps(r), at) for r in results
            if by is None or r.segment.startswith(f"{by}=")]
    with db.atomic():
        db.execute("DELETE FROM kpi_results WHERE period = ? AND mode = ? AND selection = ?", [period, mode, chosen])
        db.conn.executemany("INSERT OR REPLACE INTO kpi_results VALUES (?, ?, ?, ?, ?, ?, ?)",
                            [*rows, (MARKER, period, chosen, mode, chosen, json.dumps({"config": config}), at)])


def load(db: Any, period: str, strict: bool, by: str | None, config: str = "") -> list[KpiResult] | None:
    """The stored set, or None when this period, mode and segmentation was never stored with these settings."""
    rows = db.execute("SELECT kpi, result FROM kpi_results WHERE period = ? AND mode = ? AND selection = ? "
                      "ORDER BY rowid", [period, MODES[strict], selection(by)]).fetchall()
    if not any(kpi == MARKER and json.loads(text).get("config") == config for kpi, text in rows):
        return None
    return [loads(text) for kpi, text in rows if kpi != MARKER]


def store_cycle(mirror: Mirror, config: KpiConfig, now: datetime,
                should_stop: Callable[[], bool] = lambda: False) -> int | None:
    """After the cycle's KPIs: the default period and the one before, both modes, overall and by each dimension.

    Returns the results stored, or None when nothing they are computed from moved since the last store (the mirror's
    change counters, the settings, the clock's next trigger: see :mod:`sync.writeback.fingerprint`). By a dimension
    only the KPIs that allow it are computed; ``should_stop`` is asked between two computations (a stop keeps what
    is stored, and the next cycle stores again).
    """
    db = mirror.db
    current = inputs_fingerprint(mirror, config, "kpi_results")
    if still_valid(mirror, current, now, name="results"):
        return None
    current_month = last_month_with_data(db, config, now)
    catalogue, stored, at = specs(), 0, iso(now)
    for period in (current_month, current_month.previous()):
        for strict in (False, True):
            for by in (None, *DIMENSIONS):
                if should_stop():
                    return stored
                kpis = [k for k, s in catalogue.items() if by is None or by in s.dimensions]
                results = compute(db, config, period, by=by, kpis=kpis, strict=strict, now=now)
                store(db, results, str(period), strict, by, at, config_key(config))
                stored += len(results)
    remember(mirror, current, clock_change(db, config, now), name="results")
    return stored
