"""Mirrors written by an older worker open, migrate forward, and give the very KPIs that worker gave.

``fixtures/mirrors/golden-v3*.sql`` are dumps of mirrors of the golden portal written by the worker of schema
version 3: one right after its first sync (no funnel tables yet), one after ``smarketing kpi`` ran on it (the
funnel tables and triggers that version created on its own). ``golden-v3-kpi.json`` holds what
``smarketing kpi --format json`` printed on it then, per argument list. Today's worker prints, on the migrated mirror,
the same bytes as on a mirror it synced itself from the same portal, and the same values as that version printed
(the export has gained labels, units, exact values and names since: issue 16; with --by it shows segmented rows only).
"""

from __future__ import annotations

import json
import sqlite3
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sandbox import build_portal
from sync.app.cli import cli
from sync.storage import Mirror
from sync.storage.schema import COUNTED_TABLES, MONEY_COLUMNS, VERSION
from tests.conftest import FIXTURES
from tests.sync.helpers import run_sync

MIRRORS = FIXTURES / "mirrors"
EXPECTED = json.loads((MIRRORS / "golden-v3-kpi.json").read_text(encoding="utf-8"))
TRIGGERS = {"funnel_contact_written_v2", "funnel_contact_changed_v2", "funnel_contact_deleted_v2",
            "funnel_evidence_written_v2", "funnel_evidence_deleted_v2",
            *(f"{table}_{column}_micros_{event}" for table, columns in MONEY_COLUMNS.items() for column in columns
              for event in ("inserted", "updated")),
            *(f"{table}_counted_{event}" for table in COUNTED_TABLES for event in ("insert", "update", "delete"))}


def restore(dump: str, path: Path) -> Path:
    with sqlite3.connect(path) as db:
        db.executescript((MIRRORS / dump).read_text(encoding="utf-8"))
    return path


def kpis(path: Path, arguments: str) -> str:
    result = CliRunner().invoke(cli, ["kpi", *arguments.split(), "--format", "json"], env={"SMARKETING_DB": str(path)})
    assert result.exit_code == 0, result.output
    return result.stdout


def same_values(printed: str, then: str, arguments: str) -> None:
    """Every record the old worker printed (under --by: its segmented ones) has the same exact value, counts,
    exclusions, as_of, reason and details today."""
    by = arguments.split("--by ", 1)[1].split()[0] if "--by " in arguments else None
    old = {(r["kpi"], r["period"], r["segment"]): r for r in json.loads(then)
           if by is None or r["segment"].startswith(f"{by}=")}
    new = {(r["kpi"], r["period"], r["segment"]): r for r in json.loads(printed)}
    assert new.keys() == old.keys(), arguments
    for key, was in old.items():
        now: dict[str, Any] = new[key]
        assert (None if now["exact"] is None else float(Fraction(now["exact"]))) == was["value"], key
        assert [now[f] for f in ("numerator", "denominator", "excluded", "as_of")] == \
            [was[f] for f in ("numerator", "denominator", "excluded", "as_of")], key
        assert (now.get("reason"), now.get("details")) == (was.get("reason"), was.get("details")), key


@pytest.fixture
def fresh(tmp_path, serve):
    """The golden portal synced by today's worker: what a migrated mirror must match byte for byte."""
    path = tmp_path / "fresh.db"
    with Mirror(path) as mirror:
        run_sync(serve(build_portal(str(FIXTURES / "golden"))), mirror)
    return path


@pytest.mark.parametrize("dump", ["golden-v3.sql", "golden-v3-after-kpi.sql"])
def test_a_version_3_mirror_migrates_on_open_and_gives_the_kpis_of_a_fresh_one(dump, tmp_path, fresh):
    path = restore(dump, tmp_path / "old.db")
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (3,)
    for arguments, then in EXPECTED.items():
        printed = kpis(path, arguments)
        assert printed == kpis(fresh, arguments), arguments
        same_values(printed, then, arguments)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (VERSION,)
        triggers = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        assert triggers == TRIGGERS


def test_a_new_mirror_has_the_funnel_tables_and_triggers_from_its_schema(tmp_path):
    with Mirror(tmp_path / "new.db") as mirror:
        names = {r[0] for r in mirror.db.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")}
        assert {"funnel", "contact_funnel", "funnel_pending"} | TRIGGERS <= names
        mirror.db.execute("INSERT INTO contacts (id, properties) VALUES (1, '{}')")
        assert mirror.db.execute("SELECT contact_id FROM funnel_pending").fetchall() == [(1,)]


def test_a_version_1_trigger_left_by_an_old_kpi_run_is_replaced(tmp_path):
    """The first funnel triggers (INSERT OR IGNORE) failed an upsert of a queued contact; migration 4 drops them."""
    path = restore("golden-v3.sql", tmp_path / "old.db")
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE funnel_pending (contact_id INTEGER PRIMARY KEY)")
        db.execute("CREATE TRIGGER funnel_contact_changed AFTER UPDATE ON contacts "
                   "BEGIN INSERT OR IGNORE INTO funnel_pending VALUES (NEW.id); END")
    with Mirror(path) as mirror:
        triggers = {r[0] for r in mirror.db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        assert triggers == TRIGGERS
        mirror.db.execute("UPDATE contacts SET firstname = 'Ana' WHERE id = 101")
        mirror.upsert("contacts", [{"id": 101, "firstname": "Ana", "properties": "{}"}], ("id",))
        assert mirror.db.execute("SELECT count(*) FROM funnel_pending WHERE contact_id = 101").fetchone() == (1,)
