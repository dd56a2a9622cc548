"""Task writes: batch create with the contact association, never re-sent where it may have been applied; finding
a task again by the contact's associations or by its due date (`responses`, then the sandbox)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import responses

from connector import HubSpotClient, NewTask, ServerError
from tests.conftest import mini_portal_data

BASE = "https://api.hubapi.com"
CREATE = f"{BASE}/crm/v3/objects/tasks/batch/create"
UPDATE = f"{BASE}/crm/v3/objects/tasks/batch/update"
DUE = "2026-01-06T13:00:00.000Z"


def task(key: str, contact: str = "1") -> NewTask:
    return NewTask(key, contact, {"hs_timestamp": DUE, "hs_task_subject": f"Follow up {key}",
                                  "hs_task_body": f"key {key}", "hs_task_status": "NOT_STARTED"})


def key_in_body(record: dict[str, Any]) -> str | None:
    body = (record.get("properties") or {}).get("hs_task_body") or ""
    return body.removeprefix("key ") if body.startswith("key ") else None


@responses.activate
def test_a_create_is_not_retried_after_a_5xx_but_an_update_is():
    client = HubSpotClient("t", BASE, sleep=lambda s: None)
    responses.post(CREATE, status=500, json={"status": "error", "message": "boom", "category": "INTERNAL"})
    with pytest.raises(ServerError):
        client.create_tasks([task("a")], key_in_body)
    assert len(responses.calls) == 1  # it may exist: only a look can tell
    responses.post(UPDATE, status=500, json={"status": "error", "message": "boom", "category": "INTERNAL"})
    responses.post(UPDATE, status=200, json={"status": "COMPLETE", "results": [{"id": "7", "properties": {}}]})
    assert client.update_tasks([("7", {"hs_task_status": "COMPLETED"})])[0].ok
    assert len(responses.calls) == 3


@responses.activate
def test_a_create_is_retried_after_a_429_and_sends_the_association_and_trace():
    client = HubSpotClient("t", BASE, sleep=lambda s: None)
    responses.post(CREATE, status=429, json={"status": "error", "message": "slow down", "policyName": "SECONDLY"})
    responses.post(CREATE, status=201, json={"status": "COMPLETE", "results": [
        {"id": "9", "properties": {"hs_task_body": "key a"}}]})  # no trace echoed: matched by its key
    outcomes = client.create_tasks([task("a", "42")], key_in_body)
    assert [(o.key, o.ok, o.record_id) for o in outcomes] == [("a", True, "9")]
    sent = json.loads(responses.calls[-1].request.body or "")["inputs"][0]
    assert sent["objectWriteTraceId"] == "a"
    assert sent["associations"] == [{"to": {"id": "42"}, "types": [
        {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 204}]}]


@responses.activate
def test_an_input_without_result_or_error_is_unknown_not_failed():
    client = HubSpotClient("t", BASE, sleep=lambda s: None)
    responses.post(CREATE, status=201, json={"status": "COMPLETE", "results": []})
    [outcome] = client.create_tasks([task("a")], key_in_body)
    assert not outcome.ok and outcome.category is None


def test_on_the_sandbox_created_tasks_are_found_by_contact_and_by_due_date(serve):
    api = serve(mini_portal_data(5), search_lag=0.3)
    client = HubSpotClient(api.server.token, api.url, sleep=time.sleep)
    outcomes = client.create_tasks([task(str(n), str(n)) for n in range(1, 5)], key_in_body)
    assert all(o.ok for o in outcomes)
    by_contact = client.tasks_of_contacts(["1", "2", "5"])
    assert {c: [key_in_body(t) for t in tasks] for c, tasks in by_contact.items()} == \
        {"1": ["1"], "2": ["2"], "5": []}
    assert client.tasks_due_at(DUE) == []  # the index has not caught up yet
    time.sleep(0.35)
    assert sorted(str(key_in_body(t)) for t in client.tasks_due_at(DUE)) == ["1", "2", "3", "4"]
    assert client.tasks_due_at("2026-01-06T13:00:00.001Z") == []
