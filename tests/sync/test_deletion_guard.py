"""The deletion guard's arithmetic, in process: what a full read counts as seen and what it allows for.

The glitches themselves (an empty or truncated list through a proxy, a real ``smarketing sync`` process) are in
tests/chaos/test_glitches.py; here are the cases where the guard must let real deletions through although the read
did not store every live record, the reference tables' share, and the setting.
"""

from __future__ import annotations

from typing import Any

import pytest

import sync.ingest.job
from sandbox import load_portal
from sync.app.settings import load_settings
from sync.errors import DeletionsUnproven
from sync.ingest import SyncJob, SyncOptions
from sync.storage import Mirror
from tests.conftest import mini_portal_data
from tests.sync.helpers import delete_for_good, fast_client, run_sync

FULL = SyncOptions(search_lag_seconds=0.0, overlap_seconds=0.0, full=True)


def contact_ids(mirror: Mirror) -> set[int]:
    return {r[0] for r in mirror.db.execute("SELECT id FROM contacts")}


def test_records_quarantined_archived_or_created_during_the_read_do_not_hold_back_a_real_deletion(serve, mirror):
    """A bad record is read but not stored; a record archived during the read leaves the live count; a record
    created after the list passed its place joins it. None of them is a deletion, and contact 10, deleted for
    good, still goes: seen 27 stored + 1 quarantined = 28 = min(29 at the start, 29 at the end) - 1 archived."""
    data = mini_portal_data(30)
    data["contacts"][3]["properties"]["hubspot_owner_id"] = "Rita Rep"  # contact 4 cannot be typed
    api = serve(load_portal(data))
    run_sync(api, mirror)
    assert mirror.db.execute("SELECT record_id FROM quarantine").fetchall() == [("4",)]
    delete_for_good(api, "contacts", "10")
    changed: list[Any] = []

    def during_the_read(stream: str, pages: int, records: int) -> None:
        if stream == "contacts" and not changed:  # after the live list, before the recycle bin
            changed.append(api("DELETE", "/crm/v3/objects/contacts/5").status_code)
            changed.append(api("POST", "/crm/v3/objects/contacts",
                               json={"properties": {"email": "late@example.com"}}).json()["id"])

    result = SyncJob(fast_client(api), mirror, FULL, progress=during_the_read).run()
    assert changed[0] == 204
    assert result.deleted["contacts"] == 1 and 10 not in contact_ids(mirror)
    assert mirror.db.execute("SELECT archived FROM contacts WHERE id = 5").fetchone() == (1,)
    assert mirror.deletion_guards() == []
    run_sync(api, mirror)  # the contact created during the read is read by the next run
    assert int(changed[1]) in contact_ids(mirror)


def test_a_full_read_resumed_after_a_crash_keeps_the_count_it_started_with(serve, mirror, tmp_path, monkeypatch):
    monkeypatch.setattr(sync.ingest.job, "PAGES_PER_COMMIT", 1)
    api = serve(mini_portal_data(250))
    run_sync(api, mirror)
    crashed: list[str] = []

    def crash(stream: str, pages: int, records: int) -> None:
        if stream == "contacts" and pages == 1:
            crashed.append(stream)
            raise RuntimeError("killed after the first page")

    with pytest.raises(RuntimeError):
        SyncJob(fast_client(api), mirror, FULL, progress=crash).run()
    assert crashed
    with Mirror(tmp_path / "mirror.db") as reopened:  # another process's view of the mirror
        state = reopened.state("contacts")
        assert (state["phase"], state["full_live_count"]) == ("full", 250)
        for contact_id in ("200", "201"):  # on pages the crash left unread
            delete_for_good(api, "contacts", contact_id)
        result = run_sync(api, reopened)  # resumes the full read where it stopped
        assert result.deleted["contacts"] == 2 and reopened.deletion_guards() == []
        assert reopened.state("contacts")["full_live_count"] is None  # the read is done


def owners(n: int) -> list[dict[str, Any]]:
    return [{"id": str(9000 + i), "email": f"rep{i}@example.com", "firstName": "Rep", "lastName": str(i),
             "userId": i, "type": "PERSON", "archived": False, "teams": []} for i in range(n)]


def owner_ids(mirror: Mirror) -> set[int]:
    return {r[0] for r in mirror.db.execute("SELECT id FROM owners")}


def test_a_reference_table_drops_a_small_share_at_once_and_a_larger_one_when_a_second_read_agrees(serve, mirror):
    data = mini_portal_data(5)
    data["owners"] = {"results": owners(12)}
    api = serve(load_portal(data))
    portal = api.server.app.portal
    run_sync(api, mirror)
    portal.owners = [o for o in portal.owners if o["id"] != "9000"]  # 1 of 12: within 10%
    run_sync(api, mirror)
    assert 9000 not in owner_ids(mirror) and mirror.deletion_guards() == []

    portal.owners = [o for o in portal.owners if o["id"] not in ("9001", "9002")]  # 2 of 11: more than 10%
    with pytest.raises(DeletionsUnproven, match=r"owners: 2 of 11 rows would go, more than "
                                                r"SMARKETING_MAX_DELETE_SHARE \(10%\) of them"):
        run_sync(api, mirror)
    assert {9001, 9002} <= owner_ids(mirror)
    assert [g.stream for g in mirror.deletion_guards()] == ["owners"]

    portal.owners = [o for o in portal.owners if o["id"] != "9003"]  # another drop than the one held: held again
    with pytest.raises(DeletionsUnproven, match="owners: 3 of 11 rows"):
        run_sync(api, mirror)
    assert mirror.deletion_guards()[0].trips == 2
    run_sync(api, mirror)  # the same three again: the second read agrees
    assert owner_ids(mirror) == {9000 + i for i in range(4, 12)} and mirror.deletion_guards() == []

    portal.owners = portal.owners[:2]  # 6 of 8, taken as they are with a share of 100%
    run_sync(api, mirror, max_delete_share=1.0)
    assert len(owner_ids(mirror)) == 2


@pytest.mark.parametrize(("value", "share"), [("10%", 0.1), ("0.25", 0.25), ("0", 0.0), ("1", 1.0), ("100%", 1.0)])
def test_the_delete_share_is_a_fraction_or_a_percentage(monkeypatch, value, share):
    monkeypatch.setenv("SMARKETING_MAX_DELETE_SHARE", value)
    assert load_settings().max_delete_share == share
