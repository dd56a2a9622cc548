"""The plan's fingerprint: what the wanted values and KPI records were last computed from, and until when they hold.

A push plans (funnel, KPIs, wanted values, the outbox diff) only when the fingerprint moved: the mirror's change
counters (``mirror_changes``, counted by triggers), the KPI settings, the write-back's own choices (prefix,
dashboard records on or off), or the clock reached the first instant at which it alone may change a value
(``WantedValues.next_clock_change``). Otherwise every value computed last time is still the value now.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

from kpi import KpiConfig, iso

from ..storage import Mirror

VERSION = 1  # bump when what a plan computes changes: every mirror plans again


def fingerprint(mirror: Mirror, config: KpiConfig, *choices: object) -> str:
    """sha256 of the change counters, the settings and ``choices``; one small query."""
    counters = mirror.db.execute("SELECT tbl, changes FROM mirror_changes ORDER BY tbl").fetchall()
    text = json.dumps([VERSION, counters, _plain(asdict(config)), _plain(list(choices))], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def still_valid(mirror: Mirror, current: str, now: datetime, name: str = "plan") -> bool:
    """What ``name`` (the plan, or the dashboard's stored results) was last computed from is ``current``, and the
    clock has not reached the instant it was good until."""
    keys = (f"{name}_fingerprint", f"{name}_valid_until")
    known = dict(mirror.db.execute("SELECT key, value FROM meta WHERE key IN (?, ?)", keys).fetchall())
    until = known.get(keys[1])
    return known.get(keys[0]) == current and until is not None and iso(now) < until


def remember(mirror: Mirror, current: str, valid_until: datetime, name: str = "plan") -> None:
    mirror.set_meta(**{f"{name}_fingerprint": current, f"{name}_valid_until": iso(valid_until)})


def _plain(value: Any) -> Any:
    """JSON with one spelling per value: sets sorted, dicts by key, numbers and dates as text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda item: str(item[0]))}
    if isinstance(value, set | frozenset):
        return sorted(str(_plain(v)) for v in value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)
