"""SLA follow-up tasks on the built-in portal, the worker's ``now`` pinned: one hand-off's task through its whole life.

Calendar: Mon-Fri 09:00-17:00 UTC, 8 working hours to the first follow-up, tasks from 2 working hours before the
deadline. January 2026: Monday 5, Tuesday 6. Hand-offs on Monday 5 at 10:00 are due Tuesday 6 at 10:00, and
wanted from Monday 16:00.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
import requests

from connector import HubSpotClient
from kpi import KpiConfig, Period, compute, parse_iso, refresh
from sync.app.dashboard import Dashboard, Data
from sync.app.settings import load_settings
from sync.app.status import report
from sync.app.wiring import task_options
from sync.storage import Mirror
from sync.writeback import Pusher, TaskOptions, task_figures
from sync.writeback.task_keys import key_of
from tests.sync.helpers import run_sync
from tests.tasks.portal import built_in_task_portal, handoff

CONFIG = KpiConfig(time_zone="UTC", currency="EUR")
MONDAY = "2026-01-05T10:00:00.000Z"
OPTIONS = TaskOptions(search_lag_seconds=0)
TASK_WRITES = ("POST /crm/v3/objects/tasks/batch/create", "POST /crm/v3/objects/tasks/batch/update",
               "POST /crm/v3/objects/tasks", "PATCH /crm/v3/objects/tasks/{objectId}")


def at(day: int, clock: str) -> datetime:
    return parse_iso(f"2026-01-{day:02d}T{clock}:00.000Z")


@pytest.fixture
def api(serve):
    return serve(built_in_task_portal([handoff(10, MONDAY), handoff(11, MONDAY), handoff(12, MONDAY, owner=None)]))


@pytest.fixture
def mirror(tmp_path):
    with Mirror(tmp_path / "m.db") as m:
        yield m


def push(api: Any, mirror: Mirror, now: datetime, tasks: TaskOptions | None = OPTIONS) -> Any:
    run_sync(api, mirror)
    return Pusher(HubSpotClient(api.server.token, api.url), mirror, CONFIG, now=now, dashboards=False,
                  tasks=tasks).push()


def tasks_in_crm(api: Any) -> dict[str, dict[str, Any]]:
    """Key -> the properties of the worker's tasks in the portal, archived ones left out."""
    records = api.server.app.portal.stores["tasks"].records.values()
    return {key: {**r.properties, "id": r.id} for r in records
            if not r.archived and (key := key_of({"properties": r.properties})) is not None}


def task_writes(api: Any) -> dict[str, int]:
    routes = api.stats()["requests_by_typed_route"]
    return {route: n for route, n in routes.items() if route in TASK_WRITES}


def names_of(mirror: Mirror) -> str:
    """Owner 9001's name, as the dashboard shows it."""
    first, last = mirror.db.execute("SELECT first_name, last_name FROM owners WHERE id = 9001").fetchone()
    return f"{first} {last}"


def first(contact: int) -> str:
    return f"first_followup:{contact}:{MONDAY}"


def test_a_handoff_task_from_creation_to_completion(api, mirror):
    assert push(api, mirror, at(5, "15:59")).tasks.created == 0  # not due within 2 working hours yet
    assert tasks_in_crm(api) == {}

    result = push(api, mirror, at(5, "16:00"))
    crm = tasks_in_crm(api)
    assert result.tasks.created == 2 and set(crm) == {first(10), first(11)}
    task = crm[first(10)]
    assert (task["hs_timestamp"], task["hubspot_owner_id"], task["hs_task_status"], task["hs_task_priority"],
            task["hs_task_type"]) == ("2026-01-06T10:00:00.000Z", "9001", "NOT_STARTED", "HIGH", "CALL")
    assert task["hs_task_subject"] == "First follow-up due Tue 06 Jan 10:00: Ana10 Pérez, organic search lead"
    assert "Source: Organic search" in task["hs_task_body"] and "Stage: mql" in task["hs_task_body"]
    linked = api("GET", f"/crm/v4/objects/tasks/{task['id']}/associations/contacts").json()["results"]
    assert [str(link["toObjectId"]) for link in linked] == ["10"]

    for clock in ("16:30", "17:00"):  # later cycles create nothing twice, and write nothing at all
        requests.post(api.url + "/_sandbox/stats/reset", timeout=5)
        assert push(api, mirror, at(5, clock)).tasks.created == 0
        assert task_writes(api) == {}
    assert set(tasks_in_crm(api)) == {first(10), first(11)}

    meeting = api("POST", "/crm/v3/objects/meetings", json={
        "properties": {"hs_timestamp": "2026-01-06T09:00:00.000Z", "hs_meeting_title": "Intro",
                       "hubspot_owner_id": "9001"},
        "associations": [{"to": {"id": "10"}, "types": [
            {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 200}]}]})
    assert meeting.status_code == 201, meeting.text
    push(api, mirror, at(6, "09:30"))
    crm = tasks_in_crm(api)
    assert crm[first(10)]["hs_task_status"] == "COMPLETED" and crm[first(11)]["hs_task_status"] == "NOT_STARTED"
    figures = task_figures(mirror, at(6, "09:30"))
    assert figures.by_rep[9001]["in_time"] == 1 and figures.by_rep[9001]["open"] == 1
    assert figures.skipped == {"no_owner": 1}
    status = report(mirror)
    assert "SLA follow-up tasks" in status and "no owner: 1" in status
    sla_page = Dashboard(Data(mirror, lambda: CONFIG, clock=lambda: at(6, "09:30"))).respond("/sla", "").body.decode()
    tasks_table = sla_page.split("SLA follow-up tasks", 1)[1]
    assert "Hand-offs that got none: 1 no owner." in tasks_table
    row = tasks_table.split(f"<td>{names_of(mirror)}</td>", 1)[1].split("</tr>", 1)[0]
    assert [cell.split("</td>")[0] for cell in row.split("<td>")[1:4]] == ["2", "1", "0"]  # created, open, overdue


def test_a_reassigned_contacts_task_moves_and_a_rep_deleted_one_is_not_recreated(api, mirror):
    push(api, mirror, at(5, "16:00"))
    assert api("PATCH", "/crm/v3/objects/contacts/11", json={"properties": {"hubspot_owner_id": "9002"}}).ok
    push(api, mirror, at(5, "16:30"))
    assert tasks_in_crm(api)[first(11)]["hubspot_owner_id"] == "9002"

    task_id = tasks_in_crm(api)[first(10)]["id"]
    assert api("DELETE", f"/crm/v3/objects/tasks/{task_id}").status_code == 204  # the rep deletes it
    requests.post(api.url + "/_sandbox/stats/reset", timeout=5)
    for clock in ("10:00", "12:00"):
        push(api, mirror, at(6, clock))
    assert first(10) not in tasks_in_crm(api)
    assert "POST /crm/v3/objects/tasks/batch/create" not in task_writes(api)
    state = mirror.db.execute("SELECT state FROM task_outbox WHERE key = ?", [first(10)]).fetchone()[0]
    assert state == "rep_deleted"

    task_id = tasks_in_crm(api)[first(11)]["id"]  # the rep completes the other one by hand
    assert api("PATCH", f"/crm/v3/objects/tasks/{task_id}", json={"properties": {"hs_task_status": "COMPLETED"}}).ok
    push(api, mirror, at(6, "13:00"))
    assert mirror.db.execute("SELECT state FROM task_outbox WHERE key = ?", [first(11)]).fetchone()[0] == "rep_done"


def test_a_disqualified_leads_task_is_completed_with_a_note(api, mirror):
    push(api, mirror, at(5, "16:00"))
    assert api("PATCH", "/crm/v3/objects/contacts/10", json={"properties": {"hs_lead_status": "UNQUALIFIED"}}).ok
    push(api, mirror, at(5, "16:30"))
    task = tasks_in_crm(api)[first(10)]
    assert task["hs_task_status"] == "COMPLETED"
    assert "Closed by smarketing-sync: the lead was disqualified." in task["hs_task_body"]
    assert key_of({"properties": task}) == first(10)


def test_the_workers_tasks_change_no_kpi_value(api, mirror):
    push(api, mirror, at(5, "16:00"))
    run_sync(api, mirror)
    assert mirror.db.execute("SELECT count(*) FROM engagements WHERE type = 'task'").fetchone()[0] >= 2

    def values() -> list[Any]:
        refresh(mirror.db, CONFIG)
        return [(r.kpi, r.segment, r.value, r.numerator, r.denominator, r.details)
                for by in (None, "owner") for r in compute(mirror.db, CONFIG, Period.parse("2026-01"), by=by,
                                                           as_of=at(6, "12:00"), now=at(6, "12:00"))]

    with_tasks = values()
    ours = [int(r["id"]) for r in tasks_in_crm(api).values()]
    marks = ",".join("?" * len(ours))
    mirror.db.execute(f"DELETE FROM engagement_contacts WHERE type = 'task' AND engagement_id IN ({marks})", ours)
    mirror.db.execute(f"DELETE FROM engagements WHERE type = 'task' AND id IN ({marks})", ours)
    assert values() == with_tasks


def test_with_the_setting_off_no_task_is_written(api, mirror):
    settings = load_settings()
    assert settings.sla_tasks == "off" and task_options(settings) is None
    for clock in ("16:00", "17:00"):
        assert push(api, mirror, at(5, clock), tasks=task_options(settings)).tasks is None
    assert task_writes(api) == {} and tasks_in_crm(api) == {}
    assert any(route.startswith("POST /crm/v3/objects/contacts/batch/update")
               for route in api.stats()["requests_by_typed_route"])  # the values still flowed
