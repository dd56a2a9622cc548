"""Explicit funnel stages: every contact's reached stages with dates, from the mirror's stage evidence.

Definitions §1.2-1.6. The portal's lifecycle values map to canonical stages (HubSpot's internal names,
then option labels, then the ``stage_map`` setting; the rest is ``other`` and reported). For each
contact, raw(s) is the earliest evidence of entering s; the default mode implies pass-through between
the first stage entered (a qualified first stage counts as lead) and the highest one; strict mode uses
raw entries only. The tables (``funnel``, ``contact_funnel``) are derived: triggers of the mirror's schema
queue changed contacts in ``funnel_pending``, and :func:`refresh` rebuilds just those (everything when the
mapping changed).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .config import KpiConfig

ORDER = ("subscriber", "lead", "mql", "sql", "opportunity", "customer", "evangelist")
RANK = {stage: i for i, stage in enumerate(ORDER)}
CANONICAL = ORDER + ("other",)
HUBSPOT_VALUES = {"subscriber": "subscriber", "lead": "lead", "marketingqualifiedlead": "mql",
                  "salesqualifiedlead": "sql", "opportunity": "opportunity", "customer": "customer",
                  "evangelist": "evangelist", "other": "other"}
LABELS = {"subscriber": "subscriber", "lead": "lead", "marketing qualified lead": "mql", "mql": "mql",
          "sales qualified lead": "sql", "sql": "sql", "opportunity": "opportunity", "customer": "customer",
          "evangelist": "evangelist", "other": "other"}
QUALIFIED_FIRST = ("mql", "sql", "opportunity")  # a contact created into these is still a new lead (§1.4)
VERSION = 1  # bump to rebuild every derived row when the rules change


@dataclass
class FunnelReport:
    rebuilt: int = 0
    full: bool = False
    unmapped: list[str] = field(default_factory=list)  # portal values treated as other


def stage_mapping(db: Any, config: KpiConfig) -> tuple[dict[str, str], list[str]]:
    """Portal lifecycle value -> canonical stage, and the values that could not be mapped."""
    mapping, unmapped = {}, []
    options = db.execute("SELECT value, label FROM lifecycle_stages").fetchall()
    for value, label in options:
        canonical = config.stage_map.get(value) or HUBSPOT_VALUES.get(value) or \
            LABELS.get((label or "").strip().lower())
        if canonical is None:
            unmapped.append(value)
        mapping[value] = canonical or "other"
    for value, canonical in config.stage_map.items():
        mapping.setdefault(value, canonical)
    for value, canonical in HUBSPOT_VALUES.items():
        mapping.setdefault(value, canonical)
    return mapping, sorted(unmapped)


def reached(raw: dict[str, str]) -> dict[str, tuple[str | None, bool]]:
    """Stage -> (reached_at in default mode, implied) from raw entries (§1.4)."""
    ranked = {s: t for s, t in raw.items() if s in RANK}
    if not ranked:
        return {}
    first = min(ranked, key=lambda s: (ranked[s], RANK[s]))
    if first in QUALIFIED_FIRST:
        first = "lead"
    highest = max(ranked, key=RANK.__getitem__)
    out: dict[str, tuple[str | None, bool]] = {}
    for i in range(RANK[first], RANK[highest] + 1):
        stage = ORDER[i]
        later = [ranked[t] for t in ORDER[i:RANK[highest] + 1] if t in ranked]
        out[stage] = (min(later), stage not in ranked)
    return out


def _fingerprint(mapping: dict[str, str], config: KpiConfig) -> str:
    return hashlib.sha256(json.dumps([VERSION, sorted(mapping.items()), sorted(config.internal_domains)])
                          .encode()).hexdigest()


def funnel_stale(db: Any, config: KpiConfig) -> int:
    """Contacts whose funnel rows a refresh would rebuild (all of them when the rules changed); reads only."""
    known = db.execute("SELECT value FROM meta WHERE key = 'funnel_fingerprint'").fetchone()
    if known is None or known[0] != _fingerprint(stage_mapping(db, config)[0], config):
        return int(db.execute("SELECT count(*) FROM contacts").fetchone()[0])
    return int(db.execute("SELECT count(*) FROM funnel_pending").fetchone()[0])


def refresh(db: Any, config: KpiConfig, should_stop: Callable[[], bool] | None = None) -> FunnelReport:
    """Bring the funnel up to date with the mirror: the queued contacts, or all when the rules changed.

    The tables and the triggers that queue changed contacts are the mirror's (its schema creates them).
    ``should_stop`` is asked between batches of 5,000 contacts: a stop leaves the rest queued for next time.
    """
    mapping, unmapped = stage_mapping(db, config)
    fingerprint = _fingerprint(mapping, config)
    known = db.execute("SELECT value FROM meta WHERE key = 'funnel_fingerprint'").fetchone()
    report = FunnelReport(unmapped=unmapped, full=known is None or known[0] != fingerprint)
    if report.full:
        with db.atomic():
            db.execute("DELETE FROM funnel")
            db.execute("DELETE FROM contact_funnel")
            db.execute("INSERT OR IGNORE INTO funnel_pending SELECT id FROM contacts")
            db.execute("INSERT INTO meta (key, value) VALUES ('funnel_fingerprint', ?) "
                       "ON CONFLICT (key) DO UPDATE SET value = excluded.value", [fingerprint])
    while True:
        ids = [r[0] for r in db.execute("SELECT contact_id FROM funnel_pending LIMIT 5000")]
        if not ids or (should_stop is not None and should_stop()):
            return report
        with db.atomic():
            _rebuild(db, ids, mapping, config)
            db.execute(f"DELETE FROM funnel_pending WHERE contact_id IN ({','.join('?' * len(ids))})", ids)
        report.rebuilt += len(ids)


def _rebuild(db: Any, ids: list[int], mapping: dict[str, str], config: KpiConfig) -> None:
    marks = ",".join("?" * len(ids))
    db.execute(f"DELETE FROM funnel WHERE contact_id IN ({marks})", ids)
    db.execute(f"DELETE FROM contact_funnel WHERE contact_id IN ({marks})", ids)
    evidence: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for contact_id, stage, entered_at in db.execute(
            f"SELECT contact_id, stage, entered_at FROM contact_stage_history WHERE contact_id IN ({marks})", ids):
        evidence[contact_id].append((stage, entered_at))
    funnel_rows, contact_rows = [], []
    for row in db.execute(
            "SELECT id, email, lifecyclestage, hs_analytics_source, hs_analytics_first_touch_converting_campaign, "
            "hubspot_owner_id, hubspot_owner_assigneddate, hs_lead_status FROM contacts "
            f"WHERE id IN ({marks}) AND archived = 0 AND merged_into IS NULL", ids):
        contact_id, email, value = row[0], row[1], row[2]
        if _internal(email, config.internal_domains):
            continue
        raw: dict[str, str] = {}
        latest_current = None
        for stage_value, entered_at in evidence.get(contact_id, []):
            canonical = mapping.get(stage_value, "other")
            if canonical not in raw or entered_at < raw[canonical]:
                raw[canonical] = entered_at
            if stage_value == value and (latest_current is None or entered_at > latest_current):
                latest_current = entered_at
        default = reached(raw)
        for stage in ORDER:
            if stage in default or stage in raw:
                at, implied = default.get(stage, (None, False))
                funnel_rows.append((contact_id, stage, at, raw.get(stage), int(implied)))
        contact_rows.append((contact_id, mapping.get(value or "", "other") if value else "other", value,
                             latest_current, row[3] or "UNKNOWN", row[4] or None, row[5], row[6], row[7],
                             min(raw.values()) if raw else None))
    db.conn.executemany("INSERT INTO funnel VALUES (?, ?, ?, ?, ?)", funnel_rows)
    db.conn.executemany("INSERT INTO contact_funnel VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", contact_rows)


def _internal(email: str | None, domains: Iterable[str]) -> bool:
    domain = (email or "").rsplit("@", 1)[-1].lower()
    return bool(domain) and domain in {d.lower() for d in domains}


def cohort_counts(db: Any, p0: str, p1: str, as_of: str, strict: bool = False) -> list[tuple[str, int]]:
    """How far the leads of [p0, p1) got by as_of: the count at each stage from lead on (the funnel chart)."""
    column = "raw_at" if strict else "reached_at"
    rows = dict(db.execute(
        f"SELECT f.stage, count(*) FROM funnel f JOIN funnel l ON l.contact_id = f.contact_id AND l.stage = 'lead' "
        f"WHERE l.{column} >= ? AND l.{column} < ? AND f.{column} < ? GROUP BY f.stage", [p0, p1, as_of]).fetchall())
    return [(stage, rows.get(stage, 0)) for stage in ORDER[1:]]
