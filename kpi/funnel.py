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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
BATCH = 20_000  # contacts rebuilt per transaction: a stop is asked between two
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
    """Stage -> (reached_at in default mode, implied) from raw entries (§1.4): the rule for one contact, which
    :func:`refresh` applies to many at once in SQL (``_FUNNEL_ROWS``)."""
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
    if db.execute("SELECT 1 FROM funnel_pending LIMIT 1").fetchone() is None:
        return report  # nothing written: what the KPIs share (kpi.shared) stays valid
    _prepare(db, mapping, config)
    with _bulk(db, report.full):
        while True:
            ids = [r[0] for r in db.execute("SELECT contact_id FROM funnel_pending LIMIT ?", [BATCH])]
            if not ids or (should_stop is not None and should_stop()):
                return report
            with db.atomic():
                _rebuild(db, ids)
                db.execute("DELETE FROM funnel_pending WHERE contact_id IN (SELECT contact_id FROM temp.funnel_batch)")
            report.rebuilt += len(ids)


@contextmanager
def _bulk(db: Any, full: bool) -> Iterator[None]:
    """A full rebuild inserts into a funnel without its secondary indexes, then builds them once (from the schema's
    own statements): a sort instead of a random insert per row and index."""
    if not full:
        yield
        return
    indexes = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'funnel' "
                         "AND sql IS NOT NULL").fetchall()
    for name, _ in indexes:
        db.execute(f"DROP INDEX {name}")
    try:
        yield
    finally:
        for _, sql in indexes:
            db.execute(sql)


# The batch's raw entries: per live contact and canonical stage of the funnel, the earliest evidence (§1.3)
_RAW = """
CREATE TEMP TABLE funnel_raw AS
SELECT h.contact_id, m.canonical AS stage, m.rank, MIN(h.entered_at) AS at
FROM temp.funnel_batch b CROSS JOIN contacts c ON c.id = b.contact_id
CROSS JOIN contact_stage_history h ON h.contact_id = b.contact_id JOIN temp.funnel_map m ON m.value = h.stage
WHERE c.archived = 0 AND c.merged_into IS NULL AND NOT smk_internal(c.email) AND m.rank IS NOT NULL
GROUP BY h.contact_id, m.rank
"""
# §1.4 in SQL: from the first stage entered (a qualified first stage counts as lead) to the highest, each stage is
# reached at the earliest raw entry at or above it; a stage reached so but not entered is implied
_FUNNEL_ROWS = """
WITH span AS (
    SELECT contact_id, CASE WHEN rank IN (2, 3, 4) THEN 1 ELSE rank END AS low, high FROM (
        SELECT contact_id, rank, MAX(rank) OVER (PARTITION BY contact_id) AS high,
               ROW_NUMBER() OVER (PARTITION BY contact_id ORDER BY at, rank) AS rn FROM temp.funnel_raw)
    WHERE rn = 1
),
default_mode AS (
    SELECT s.contact_id, st.stage, st.rank,
           (SELECT MIN(r.at) FROM temp.funnel_raw r WHERE r.contact_id = s.contact_id AND r.rank >= st.rank) AS at
    FROM span s JOIN temp.funnel_stages st ON st.rank BETWEEN s.low AND s.high
)
INSERT INTO funnel (contact_id, stage, reached_at, raw_at, implied)
SELECT contact_id, stage, MAX(reached_at), MAX(raw_at), MAX(implied) FROM (
    SELECT d.contact_id, d.stage, d.rank, d.at AS reached_at, r.at AS raw_at, r.at IS NULL AS implied
    FROM default_mode d LEFT JOIN temp.funnel_raw r ON r.contact_id = d.contact_id AND r.rank = d.rank
    UNION ALL
    SELECT contact_id, stage, rank, NULL, at, 0 FROM temp.funnel_raw)
GROUP BY contact_id, rank ORDER BY contact_id, rank
"""
_CONTACT_ROWS = """
INSERT INTO contact_funnel
SELECT c.id, CASE WHEN c.lifecyclestage IS NULL OR c.lifecyclestage = '' THEN 'other'
                  ELSE COALESCE(m.canonical, 'other') END,
       c.lifecyclestage,
       (SELECT MAX(h.entered_at) FROM contact_stage_history h WHERE h.contact_id = c.id AND h.stage = c.lifecyclestage),
       COALESCE(NULLIF(c.hs_analytics_source, ''), 'UNKNOWN'),
       NULLIF(c.hs_analytics_first_touch_converting_campaign, ''),
       c.hubspot_owner_id, c.hubspot_owner_assigneddate, c.hs_lead_status,
       (SELECT MIN(h.entered_at) FROM contact_stage_history h WHERE h.contact_id = c.id)
FROM temp.funnel_batch b CROSS JOIN contacts c ON c.id = b.contact_id
LEFT JOIN temp.funnel_map m ON m.value = c.lifecyclestage
WHERE c.archived = 0 AND c.merged_into IS NULL AND NOT smk_internal(c.email)
ORDER BY c.id
"""


def _prepare(db: Any, mapping: dict[str, str], config: KpiConfig) -> None:
    """The temporary tables and the function the set-based rebuild reads: the mapping, the stages, the batch."""
    domains = {d.lower() for d in config.internal_domains}
    db.conn.create_function("smk_internal", 1, lambda email: _internal(email, domains), deterministic=True)
    for statement in ("CREATE TEMP TABLE IF NOT EXISTS funnel_map (value TEXT PRIMARY KEY, canonical TEXT, rank INT)",
                      "CREATE TEMP TABLE IF NOT EXISTS funnel_stages (stage TEXT, rank INTEGER PRIMARY KEY)",
                      "CREATE TEMP TABLE IF NOT EXISTS funnel_batch (contact_id INTEGER PRIMARY KEY)",
                      "DELETE FROM temp.funnel_map", "DELETE FROM temp.funnel_stages"):
        db.execute(statement)
    db.conn.executemany("INSERT INTO temp.funnel_map VALUES (?, ?, ?)",
                        [(value, stage, RANK.get(stage)) for value, stage in mapping.items()])
    db.conn.executemany("INSERT INTO temp.funnel_stages VALUES (?, ?)", list(RANK.items()))


def _rebuild(db: Any, ids: list[int]) -> None:
    """The funnel rows of these contacts, rebuilt in SQL from their stage evidence (see :func:`reached`)."""
    db.execute("DELETE FROM temp.funnel_batch")
    db.conn.executemany("INSERT INTO temp.funnel_batch VALUES (?)", [(i,) for i in ids])
    for table in ("funnel", "contact_funnel"):
        db.execute(f"DELETE FROM {table} WHERE contact_id IN (SELECT contact_id FROM temp.funnel_batch)")
    db.execute("DROP TABLE IF EXISTS temp.funnel_raw")
    db.execute(_RAW)
    db.execute("CREATE INDEX temp.funnel_raw_contact ON funnel_raw (contact_id, rank)")
    db.execute(_FUNNEL_ROWS)
    db.execute(_CONTACT_ROWS)
    db.execute("DROP TABLE temp.funnel_raw")


def _internal(email: str | None, domains: set[str]) -> bool:
    domain = (email or "").rsplit("@", 1)[-1].lower()
    return bool(domain) and domain in domains


def cohort_counts(db: Any, p0: str, p1: str, as_of: str, strict: bool = False) -> list[tuple[str, int]]:
    """How far the leads of [p0, p1) got by as_of: the count at each stage from lead on (the funnel chart)."""
    column = "raw_at" if strict else "reached_at"
    rows = dict(db.execute(
        f"SELECT f.stage, count(*) FROM funnel f JOIN funnel l ON l.contact_id = f.contact_id AND l.stage = 'lead' "
        f"WHERE l.{column} >= ? AND l.{column} < ? AND f.{column} < ? GROUP BY f.stage", [p0, p1, as_of]).fetchall())
    return [(stage, rows.get(stage, 0)) for stage in ORDER[1:]]
