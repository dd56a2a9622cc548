"""Chaos, glitches: a full read that gets a wrong but well-formed answer deletes nothing, and says so.

A loopback proxy (tests/proxy.py) stands between ``smarketing sync`` (a real process) and an in-process sandbox, and
answers one kind of request wrongly: the live contacts list empty (``200 {"results": []}``), or cut short (its first
page without ``paging``), or the owners list empty. The deletion guard must hold those deletions back, fail the run
with its one line, and let the next good read clear it; records the portal really deleted must still go, and a person
can accept a drop the guard held back.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sandbox import load_portal
from sandbox.generate import generate_portal
from sync.storage import Mirror
from tests.processes import worker_env
from tests.proxy import LoopbackProxy, empty_list, empty_owners, truncated_list
from tests.sync.helpers import assert_mirror_equals_portal, delete_for_good

CONTACTS, DEALS = 300, 60  # three list pages of contacts
KEPT = ("contacts", "deals", "deal_contacts", "contact_stage_history", "owners")
ACCEPT = "if the CRM really deleted them, accept with smarketing sync --full --accept-deletions"


@pytest.fixture
def portal_api(serve):
    return serve(load_portal(generate_portal(CONTACTS, DEALS, 11)))


@pytest.fixture
def proxy(portal_api):
    with LoopbackProxy(portal_api.url) as proxy:
        yield proxy


def sync(proxy: LoopbackProxy, db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sync", "sync", *args], cwd=db.parent, env=worker_env(proxy.url, db),
                          text=True, capture_output=True, timeout=300)


def rows(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of the tables a wrong deletion would empty; ``full_pass`` only counts full reads, so it is left out."""
    with Mirror(db) as mirror:
        out = {}
        for table in KEPT:
            columns = ", ".join(r[1] for r in mirror.db.execute(f"PRAGMA table_info({table})") if r[1] != "full_pass")
            out[table] = [tuple(r) for r in mirror.db.execute(f"SELECT {columns} FROM {table} ORDER BY {columns}")]
        return out


def guards(db: Path) -> dict[str, Any]:
    with Mirror(db) as mirror:
        return {guard.stream: guard for guard in mirror.deletion_guards()}


def last_full_sync(db: Path, stream: str) -> str:
    with Mirror(db) as mirror:
        return mirror.state(stream)["last_full_sync"] or ""


def one_line(run: subprocess.CompletedProcess[str]) -> str:
    """The run's one error line: the last on stderr, after the log lines, and the only one."""
    errors = [line for line in run.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and run.stderr.strip().splitlines()[-1] == errors[0], run.stderr
    assert "Traceback" not in run.stderr
    return errors[0]


@pytest.mark.parametrize("glitch", ["empty", "truncated"])
def test_an_empty_or_truncated_contacts_list_deletes_nothing_and_the_next_read_restores_nothing(
        glitch, portal_api, proxy, tmp_path):
    db = tmp_path / "m.db"
    first = sync(proxy, db)
    assert first.returncode == 0, first.stderr
    before, synced_at = rows(db), last_full_sync(db, "contacts")
    assert len(before["contacts"]) == CONTACTS and before["deal_contacts"]

    proxy.rules.append(empty_list("contacts") if glitch == "empty" else truncated_list(proxy, "contacts", 1))
    glitched = sync(proxy, db, "--full")
    assert proxy.answered, "the glitch never happened"
    live = sum(not r.archived for r in portal_api.server.app.portal.stores["contacts"].records.values())
    seen = 0 if glitch == "empty" else 100
    assert glitched.returncode == 1, glitched.stderr
    assert one_line(glitched) == (
        f"Error: deletions held back, as the full read could not prove them: contacts: {live - seen} records would "
        f"go, but the read saw {seen} of the {live} live records the CRM counts; {ACCEPT}")
    assert rows(db) == before  # nothing deleted: not a contact, a deal link or a stage entry
    guard = guards(db)["contacts"]
    assert (guard.would_delete, guard.seen, guard.expected, guard.trips) == (live - seen, seen, live, 1)
    assert set(guards(db)) == {"contacts"}  # the other streams synced and proved theirs
    assert last_full_sync(db, "contacts") == synced_at  # so the next run reads contacts whole again

    proxy.rules.clear()
    healed = sync(proxy, db)  # a plain sync: the full read is due again because of the guard
    assert healed.returncode == 0, healed.stderr
    assert "deleted" not in healed.stdout  # restores nothing: nothing was lost
    assert rows(db) == before
    assert guards(db) == {}
    assert last_full_sync(db, "contacts") > synced_at
    with Mirror(db) as mirror:
        assert_mirror_equals_portal(mirror, portal_api.server.app.portal)


def test_a_second_trip_in_a_row_advances_the_reconcile_so_the_stream_waits_for_it(proxy, tmp_path):
    db = tmp_path / "m.db"
    assert sync(proxy, db).returncode == 0
    proxy.rules.append(empty_list("contacts"))
    assert sync(proxy, db, "--full").returncode == 1
    tripped_once = last_full_sync(db, "contacts")
    again = sync(proxy, db)  # the full read the first trip made due, still glitched
    assert again.returncode == 1 and "contacts: " in one_line(again)
    assert guards(db)["contacts"].trips == 2
    assert last_full_sync(db, "contacts") > tripped_once
    quiet = sync(proxy, db)  # now an incremental run: no full read, no trip, the guard stays for status to show
    assert quiet.returncode == 0, quiet.stderr
    assert guards(db)["contacts"].trips == 2
    assert len(rows(db)["contacts"]) == CONTACTS


def test_an_empty_owners_list_keeps_the_owners_until_a_second_read_asks_for_the_same_drop(proxy, tmp_path):
    db = tmp_path / "m.db"
    assert sync(proxy, db).returncode == 0
    owners = rows(db)["owners"]
    assert owners
    proxy.rules.append(empty_owners())
    held = sync(proxy, db)
    assert held.returncode == 1
    assert one_line(held) == (f"Error: deletions held back, as the full read could not prove them: owners: "
                              f"{len(owners)} of {len(owners)} rows would go, the CRM listed none; {ACCEPT}")
    assert rows(db)["owners"] == owners
    assert set(guards(db)) == {"owners"}
    agreed = sync(proxy, db)  # the same empty list again: a second read asks for exactly the same drop
    assert agreed.returncode == 0, agreed.stderr
    assert rows(db)["owners"] == []
    assert guards(db) == {}


def test_accept_deletions_applies_a_drop_the_guard_held_back(portal_api, proxy, tmp_path):
    db = tmp_path / "m.db"
    assert sync(proxy, db).returncode == 0
    proxy.rules.append(empty_list("contacts"))
    assert sync(proxy, db, "--full").returncode == 1
    assert len(rows(db)["contacts"]) == CONTACTS
    refused = sync(proxy, db, "--accept-deletions")
    assert refused.returncode == 2 and "--full" in refused.stderr
    accepted = sync(proxy, db, "--full", "--accept-deletions")
    assert accepted.returncode == 0, accepted.stderr
    assert "deleted" in accepted.stdout
    archived = {int(i) for i, r in portal_api.server.app.portal.stores["contacts"].records.items() if r.archived}
    assert {r[0] for r in rows(db)["contacts"]} == archived  # the recycle bin still answered: archived ones stay
    assert {r[0] for r in rows(db)["contact_stage_history"]} <= archived  # their stage entries went with them
    assert guards(db) == {}


def test_records_really_deleted_in_the_portal_go_at_an_agreeing_full_read(portal_api, proxy, tmp_path):
    db = tmp_path / "m.db"
    assert sync(proxy, db).returncode == 0
    for contact_id in ("3", "40", "150", "299"):
        delete_for_good(portal_api, "contacts", contact_id)
    delete_for_good(portal_api, "deals", next(iter(portal_api.server.app.portal.stores["deals"].records)))
    assert api_archive(portal_api, "contacts", "77")  # archived, not deleted: it stays, marked
    full = sync(proxy, db, "--full")
    assert full.returncode == 0, full.stderr
    assert "; 5 deleted" in full.stdout
    assert guards(db) == {}
    with Mirror(db) as mirror:
        assert_mirror_equals_portal(mirror, portal_api.server.app.portal)


def api_archive(api: Any, object_type: str, record_id: str) -> bool:
    return api("DELETE", f"/crm/v3/objects/{object_type}/{record_id}").status_code == 204


def test_while_a_guard_is_tripped_nothing_is_pushed_and_status_says_why(portal_api, proxy, tmp_path, monkeypatch):
    from sync.app.settings import load_settings
    from sync.app.worker import Worker

    db = tmp_path / "m.db"
    assert sync(proxy, db).returncode == 0
    proxy.rules.append(empty_list("contacts"))
    assert sync(proxy, db, "--full").returncode == 1
    portal_api("POST", "/_sandbox/stats/reset")

    push = subprocess.run([sys.executable, "-m", "sync", "push"], cwd=tmp_path, env=worker_env(proxy.url, db),
                          text=True, capture_output=True, timeout=300)
    assert push.returncode == 1
    assert one_line(push).startswith("Error: nothing written while deletions are held back: contacts: ")
    status = subprocess.run([sys.executable, "-m", "sync", "status"], cwd=tmp_path, env=worker_env(proxy.url, db),
                            text=True, capture_output=True, timeout=60)
    assert "deletion guards: 1 tripped, nothing is pushed until they clear" in status.stdout
    assert "\n  contacts: " in status.stdout and "would go" in status.stdout

    for name, value in worker_env(proxy.url, db).items():
        if name.startswith("SMARKETING_"):
            monkeypatch.setenv(name, value)
    reasons: list[str | None] = []
    assert Worker(load_settings(), on_cycle=lambda summary, error: reasons.append(error)).cycle() is None
    assert reasons and reasons[0] is not None and "DeletionsUnproven" in reasons[0]
    writes = {route: n for route, n in portal_api.stats()["requests_by_route"].items()
              if route.startswith(("POST", "PATCH", "PUT", "DELETE")) and "search" not in route
              and "batch/read" not in route}
    assert writes == {}
