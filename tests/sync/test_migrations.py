"""Mirrors written by an older worker open, migrate forward, and give the very KPIs that worker gave.

``fixtures/mirrors/golden-v3*.sql`` are dumps of mirrors of the golden portal written by the worker of schema
version 3: one right after its first sync (no funnel tables yet), one after ``smarketing kpi`` ran on it (the
funnel tables and triggers that version created on its own). ``golden-v3-kpi.json`` holds what
``smarketing kpi --format json`` printed on it then, per argument list; today's worker must print the same bytes.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from sync.app.cli import cli
from sync.storage import Mirror
from sync.storage.schema import VERSION
from tests.conftest import FIXTURES

MIRRORS = FIXTURES / "mirrors"
EXPECTED = json.loads((MIRRORS / "golden-v3-kpi.json").read_text(encoding="utf-8"))
TRIGGERS = {"funnel_contact_written_v2", "funnel_contact_changed_v2", "funnel_contact_deleted_v2",
            "funnel_evidence_written_v2", "funnel_evidence_deleted_v2"}


def restore(dump: str, path: Path) -> Path:
    with sqlite3.connect(path) as db:
        db.executescript((MIRRORS / dump).read_text(encoding="utf-8"))
    return path


@pytest.mark.parametrize("dump", ["golden-v3.sql", "golden-v3-after-kpi.sql"])
def test_a_version_3_mirror_migrates_on_open_and_gives_byte_identical_kpis(dump, tmp_path):
    path = restore(dump, tmp_path / "old.db")
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (3,)
    for arguments, expected in EXPECTED.items():
        result = CliRunner().invoke(cli, ["kpi", *arguments.split(), "--format", "json"],
                                    env={"SMARKETING_DB": str(path)})
        assert result.exit_code == 0, result.output
        assert result.stdout == expected, arguments
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
