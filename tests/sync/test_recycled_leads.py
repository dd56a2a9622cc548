"""Recycled leads keep their first entry (issue 14, item 4; definitions §1.3).

A contact walked lead -> mql -> sql -> lead -> mql -> sql -> opportunity by API PATCHes, as CRM users recycle a
lead (a move back is two calls: clear the stage, then set the earlier one), keeps only its re-entries in the
stage-date properties; its first sql entry is in the lifecycle history alone. The mirror reads that history
because the properties show the re-entry, and a contact that simply passed through stages costs no history read.

The sandbox runs on a clock the test sets, one stage change an hour, starting a day before the real time: a
sync's search window ends at the real time, and the incremental syncs here reach back to the walk's start with
``overlap_seconds``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from kpi import KpiConfig, refresh
from sandbox import load_portal
from sync.storage import Mirror
from tests.conftest import mini_portal_data
from tests.sync.helpers import run_sync

BATCH_READ = "POST /crm/v3/objects/{objectType}/batch/read"  # the only route that reads histories
RECYCLED = ["lead", "marketingqualifiedlead", "salesqualifiedlead", "", "lead", "marketingqualifiedlead",
            "salesqualifiedlead", "opportunity"]
FIRST_ENTRIES = {"lead": 0, "mql": 1, "sql": 2, "opportunity": 7}  # canonical stage -> hour of its first entry
# incremental reads of contacts alone (searches are paced at 5 a second) that reach back over the walk's clock
REACH_BACK = {"overlap_seconds": 2 * 86_400.0, "streams": ("account", "lifecycle_stages", "contacts")}


class Clock:
    """The sandbox portal's clock (seconds since the epoch), moved by the test."""

    def __init__(self, at: datetime) -> None:
        self.now = at.timestamp()

    def __call__(self) -> float:
        return self.now


class Walk:
    """A sandbox on a set clock and one contact whose lifecycle stage the test changes, an hour a change."""

    def __init__(self, serve: Any, data: dict[str, Any] | None = None) -> None:
        self.start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
        self.clock = Clock(self.start)
        self.api = serve(load_portal(data or mini_portal_data(), clock=self.clock))
        self.hours = -1
        self.contact_id: int | None = None

    def at(self, hours: int) -> str:
        return (self.start + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    def move(self, stage: str) -> None:
        """The next change, an hour after the last; the first creates the contact."""
        self.hours += 1
        self.clock.now = (self.start + timedelta(hours=self.hours)).timestamp()
        if self.contact_id is None:
            reply = self.api("POST", "/crm/v3/objects/contacts", json={"properties": {
                "email": "recycled.lead@example.com", "lifecyclestage": stage}})
            self.contact_id = int(reply.json()["id"])
        else:
            reply = self.api("PATCH", f"/crm/v3/objects/contacts/{self.contact_id}",
                             json={"properties": {"lifecyclestage": stage}})
        assert reply.status_code in (200, 201), reply.text

    def batch_reads(self) -> int:
        return self.api.stats()["requests_by_route"].get(BATCH_READ, 0)

    def reset_stats(self) -> None:
        requests.post(self.api.url + "/_sandbox/stats/reset", timeout=5)


def raw_entries(mirror: Mirror, contact_id: int | None) -> dict[str, str]:
    refresh(mirror.db, KpiConfig(time_zone="UTC", currency="EUR"))
    return dict(mirror.db.execute("SELECT stage, raw_at FROM funnel WHERE contact_id = ? AND raw_at IS NOT NULL",
                                  [contact_id]).fetchall())


def test_a_full_sync_that_first_sees_a_recycled_contact_keeps_its_first_sql_entry(serve, mirror):
    walk = Walk(serve)
    for stage in RECYCLED:
        walk.move(stage)
    run_sync(walk.api, mirror)
    assert raw_entries(mirror, walk.contact_id) == {stage: walk.at(h) for stage, h in FIRST_ENTRIES.items()}
    assert walk.batch_reads() == 1  # the one recycled contact's history, nobody else's


@pytest.mark.parametrize("sync_every_change", [True, False], ids=["a-sync-after-each-change", "one-sync-after-all"])
def test_an_incremental_sync_that_sees_the_recycle_happen_keeps_the_first_sql_entry(serve, mirror,
                                                                                    sync_every_change):
    walk = Walk(serve)
    for stage in RECYCLED[:3]:  # up to sql, mirrored by a full sync that needs no history
        walk.move(stage)
    run_sync(walk.api, mirror)
    assert walk.batch_reads() == 0
    walk.reset_stats()
    for stage in RECYCLED[3:]:  # back to lead, up to sql again, on to opportunity
        walk.move(stage)
        if sync_every_change:
            run_sync(walk.api, mirror, **REACH_BACK)
    if not sync_every_change:
        run_sync(walk.api, mirror, **REACH_BACK)
    routes = walk.api.stats()["requests_by_route"]
    assert "GET /crm/v3/objects/{objectType}" not in routes and routes["POST /crm/v3/objects/{objectType}/search"]
    assert raw_entries(mirror, walk.contact_id) == {stage: walk.at(h) for stage, h in FIRST_ENTRIES.items()}
    assert walk.batch_reads() >= 1


def test_a_contact_that_simply_passed_through_stages_triggers_no_history_read(serve, mirror):
    walk = Walk(serve)
    for stage in ("lead", "marketingqualifiedlead", "salesqualifiedlead"):
        walk.move(stage)
    run_sync(walk.api, mirror)
    walk.move("opportunity")
    run_sync(walk.api, mirror, **REACH_BACK)
    walk.move("customer")
    run_sync(walk.api, mirror, full=True)
    assert walk.batch_reads() == 0
    assert mirror.db.execute("SELECT count(*) FROM contact_stage_history WHERE evidence = 'history'").fetchone() \
        == (0,)
    assert raw_entries(mirror, walk.contact_id) == {"lead": walk.at(0), "mql": walk.at(1), "sql": walk.at(2),
                                                    "opportunity": walk.at(3), "customer": walk.at(4)}


def test_an_unreadable_time_in_stage_is_quarantined_and_the_sync_goes_on(serve, mirror):
    data = mini_portal_data()
    data["contacts"][4]["properties"]["hs_v2_latest_time_in_lead"] = "about a week"
    walk = Walk(serve, data)
    result = run_sync(walk.api, mirror)
    assert result.quarantined == 1 and result.records["contacts"] == 24
    reason = mirror.db.execute("SELECT record_id, reason FROM quarantine").fetchall()
    assert reason == [("5", "hs_v2_latest_time_in_lead is not a number: 'about a week'")]
