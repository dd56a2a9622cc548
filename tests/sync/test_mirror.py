"""The mirror file: schema versions, WAL, the portal guard, state and quarantine, the writer lock."""

from __future__ import annotations

import sqlite3

import pytest
from sqlite_utils import Database

from sync.errors import MirrorBusy, MirrorTooNew, PortalMismatch
from sync.storage import Mirror, writer_lock
from sync.storage.schema import VERSION, migrate


def test_a_new_mirror_is_at_the_current_version_in_wal_mode(tmp_path):
    with Mirror(tmp_path / "m.db") as mirror:
        assert mirror.db.execute("PRAGMA user_version").fetchone()[0] == VERSION
        assert mirror.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert {"contacts", "deals", "sync_state", "sync_runs", "quarantine"} <= set(mirror.db.table_names())


def test_reopening_applies_nothing_and_keeps_the_data(tmp_path):
    with Mirror(tmp_path / "m.db") as mirror:
        mirror.set_meta(portal_id="42")
    with Mirror(tmp_path / "m.db") as mirror:
        assert mirror.meta("portal_id") == "42"
        assert migrate(mirror.db) == VERSION


def test_a_mirror_from_a_newer_worker_is_refused(tmp_path):
    path = tmp_path / "m.db"
    sqlite3.connect(path).execute(f"PRAGMA user_version = {VERSION + 1}").connection.close()
    with pytest.raises(MirrorTooNew, match="upgrade"):
        Mirror(path)


def test_a_failed_migration_leaves_the_mirror_as_it_was(tmp_path, monkeypatch):
    import sync.storage.schema as schema

    def broken(db):
        db.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("boom")

    path = tmp_path / "m.db"
    with Mirror(path):
        pass
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, broken])
    monkeypatch.setattr(schema, "VERSION", len(schema.MIGRATIONS))
    db = Database(path)
    with pytest.raises(RuntimeError, match="boom"):
        schema.migrate(db)
    assert "half_done" not in db.table_names()
    assert db.execute("PRAGMA user_version").fetchone()[0] == VERSION


def test_an_older_mirror_is_migrated_forward_without_loss(tmp_path, monkeypatch):
    import sync.storage.schema as schema
    path = tmp_path / "m.db"
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:1])
    monkeypatch.setattr(schema, "VERSION", 1)
    with Mirror(path) as old:  # as the first release of the worker left it
        old.db.table("contacts").insert({"id": 7, "email": "kept@example.com", "properties": "{}"})
        assert "history_pending" not in old.db.table_names()
    monkeypatch.undo()
    with Mirror(path) as new:
        assert new.db.execute("PRAGMA user_version").fetchone()[0] == VERSION
        assert "history_pending" in new.db.table_names()
        assert new.db.execute("SELECT email FROM contacts WHERE id = 7").fetchone() == ("kept@example.com",)


def test_the_portal_guard(tmp_path):
    with Mirror(tmp_path / "m.db") as mirror:
        mirror.check_portal("111")
        mirror.check_portal("111")
        with pytest.raises(PortalMismatch, match="mirrors portal 111, not portal 222"):
            mirror.check_portal("222")


def test_state_round_trip_and_unknown_fields(tmp_path):
    with Mirror(tmp_path / "m.db") as mirror:
        assert mirror.state("contacts")["phase"] == "new"
        mirror.save_state("contacts", phase="full", full_after="200", full_pass=1)
        assert (mirror.state("contacts")["phase"], mirror.state("contacts")["full_after"]) == ("full", "200")
        with pytest.raises(ValueError):
            mirror.save_state("contacts", colour="red")


def test_quarantine_keeps_one_row_per_record_with_the_latest_reason(tmp_path):
    with Mirror(tmp_path / "m.db") as mirror:
        mirror.quarantine("deals", {"id": "7", "properties": {"amount": "x"}}, "amount is not a number")
        mirror.quarantine("deals", {"id": "7", "properties": {"amount": "y"}}, "amount is still not a number")
        mirror.quarantine("deals", ["not", "an", "object"], "a deals record must be an object")
        rows = list(mirror.db.query("SELECT record_id, reason FROM quarantine ORDER BY record_id"))
        assert rows == [{"record_id": "", "reason": "a deals record must be an object"},
                        {"record_id": "7", "reason": "amount is still not a number"}]
        mirror.release("deals", [7])
        assert mirror.quarantined() == 1


def test_a_tripped_deletion_guard_is_kept_renewed_and_cleared(tmp_path):
    with Mirror(tmp_path / "m.db") as mirror:
        assert mirror.deletion_guards() == [] and mirror.deletion_guard("contacts") is None
        first = mirror.trip_deletion_guard("contacts", would_delete=60, seen=0, expected=60, keys_digest="d1",
                                           message="contacts: 60 records would go", at="2026-03-05T14:02:11.000Z")
        assert (first.trips, first.tripped_at, first.would_delete) == (1, "2026-03-05T14:02:11.000Z", 60)
        mirror.trip_deletion_guard("owners", would_delete=3, seen=0, expected=3, keys_digest="d2", message="owners")
    with Mirror(tmp_path / "m.db") as mirror:  # kept in the file
        again = mirror.trip_deletion_guard("contacts", would_delete=59, seen=1, expected=60, keys_digest="d3",
                                           message="contacts: 59 records would go")
        assert (again.trips, again.would_delete, again.keys_digest) == (2, 59, "d3")
        assert [g.stream for g in mirror.deletion_guards()] == ["contacts", "owners"]
        assert mirror.deletion_guard("contacts") == again
        mirror.clear_deletion_guard("contacts")
        assert [g.stream for g in mirror.deletion_guards()] == ["owners"]


def test_one_writer_at_a_time(tmp_path):
    path = tmp_path / "m.db"
    with writer_lock(path):
        with pytest.raises(MirrorBusy, match="only one sync runs at a time"):
            with writer_lock(path):
                pass
    with writer_lock(path):  # released
        pass


def test_writes_commit_at_once_and_pages_are_real_transactions(tmp_path):
    """A savepoint inside a forgotten implicit transaction would commit pages whenever; nothing may stay open."""
    path = tmp_path / "m.db"
    with Mirror(path) as mirror:
        reader = sqlite3.connect(path)
        mirror.save_state("contacts", phase="full")
        mirror.quarantine("deals", {"id": "1"}, "why")
        assert not mirror.db.conn.in_transaction
        assert reader.execute("SELECT phase FROM sync_state").fetchone() == ("full",)
        with mirror.db.atomic():
            mirror.upsert("owners", [{"id": 1, "email": "a@b.c"}], ("id",))
            assert reader.execute("SELECT count(*) FROM owners").fetchone() == (0,)
        assert reader.execute("SELECT count(*) FROM owners").fetchone() == (1,)
