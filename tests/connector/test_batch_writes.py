"""Batch update and upsert: one outcome per input, whatever HubSpot answers (`responses`, then the sandbox)."""

from __future__ import annotations

import json
import logging
import math
from typing import cast

import pytest
import requests
import responses

from connector import AuthError, HubSpotClient
from connector.hubspot_writes import NO_RESULT, WriteOutcome, batch_update, batch_upsert

BASE = "https://api.hubapi.com"
UPDATE = f"{BASE}/crm/v3/objects/contacts/batch/update"
UPSERT = f"{BASE}/crm/v3/objects/contacts/batch/upsert"


@pytest.fixture
def client() -> HubSpotClient:
    return HubSpotClient("t", BASE, sleep=lambda s: None)


def inputs(n: int, start: int = 1) -> list[tuple[str, dict[str, str | None]]]:
    return [(str(i), {"firstname": f"Name{i}"}) for i in range(start, start + n)]


def sent(call) -> list[dict]:
    return json.loads(call.request.body)["inputs"]


def status(call: responses.Call) -> int:
    """The status a recorded call was answered with. `responses` types the field as any body it may hold;
    every call in these tests is answered by a callback, which makes it a requests Response."""
    return cast(requests.Response, call.response).status_code


def echo(request):
    """A batch answer confirming every input, as HubSpot's 200."""
    results = [{"id": i["id"], "properties": i["properties"]} for i in json.loads(request.body)["inputs"]]
    return 200, {}, json.dumps({"status": "COMPLETE", "results": results})


def refusing(bad: set[str], status: int):
    """HubSpot refusing the whole call when any input in it is bad."""
    def answer(request):
        if bad & {i["id"] for i in json.loads(request.body)["inputs"]}:
            return status, {}, json.dumps({"status": "error", "message": "Property values were not valid",
                                           "category": "VALIDATION_ERROR" if status == 400 else "CONFLICT"})
        return echo(request)
    return answer


def multi_status(results: list[str], errors: list[dict]) -> dict:
    return {"status": "COMPLETE", "results": [{"id": i, "properties": {}} for i in results],
            "numErrors": len(errors), "errors": errors}


@responses.activate
def test_250_inputs_go_in_chunks_of_100_and_come_back_in_order(client):
    responses.add_callback(responses.POST, UPDATE, callback=echo)
    outcomes = batch_update(client, "contacts", inputs(250))
    assert [len(sent(c)) for c in responses.calls] == [100, 100, 50]
    assert [o.key for o in outcomes] == [str(i) for i in range(1, 251)]
    assert all(o.ok and o.record_id == o.key for o in outcomes)
    assert sent(responses.calls[2])[0] == {"id": "201", "properties": {"firstname": "Name201"},
                                           "objectWriteTraceId": "200"}


@responses.activate
def test_a_207_carries_each_error_back_to_its_input_and_logs_no_values(client, caplog):
    responses.post(UPDATE, status=207, json=multi_status(["4", "2", "1"], [
        {"status": "error", "category": "OBJECT_NOT_FOUND", "message": "Could not update some CONTACT objects",
         "context": {"ids": ["3"]}},
        {"status": "error", "category": "INVALID_OPTION", "message": "bad option",
         "context": {"objectWriteTraceId": ["4"]}}]))  # the fifth input's trace id
    with caplog.at_level(logging.WARNING, "smarketing.connector"):
        outcomes = batch_update(client, "contacts", inputs(5))
    assert outcomes == [
        WriteOutcome("1", True, "1"), WriteOutcome("2", True, "2"),
        WriteOutcome("3", False, None, None, "OBJECT_NOT_FOUND", "Could not update some CONTACT objects"),
        WriteOutcome("4", True, "4"), WriteOutcome("5", False, None, None, "INVALID_OPTION", "bad option")]
    assert len(caplog.records) == 2 and "Name" not in caplog.text


@responses.activate
def test_an_error_without_ids_fails_every_input_without_a_result(client):
    responses.post(UPDATE, status=207, json=multi_status(["1"], [
        {"status": "error", "category": "INTERNAL_ERROR", "message": "something went wrong"}]))
    outcomes = batch_update(client, "contacts", inputs(3))
    assert [(o.ok, o.message) for o in outcomes] == [
        (True, None), (False, "something went wrong"), (False, "something went wrong")]


@responses.activate
def test_an_input_with_neither_result_nor_error_is_an_error(client):
    # A record merged away can be left out of the results with no error (API notes, section 5).
    responses.post(UPDATE, json=multi_status(["1", "3"], []))
    outcomes = batch_update(client, "contacts", inputs(3))
    assert outcomes[1] == WriteOutcome("2", False, None, message=NO_RESULT)
    assert outcomes[0].ok and outcomes[2].ok


@responses.activate
def test_a_whole_batch_409_is_split_until_the_bad_input_stands_alone(client):
    responses.add_callback(responses.POST, UPDATE, callback=refusing({"43"}, 409))
    outcomes = batch_update(client, "contacts", inputs(100))
    assert len(outcomes) == 100
    assert [o.key for o in outcomes if not o.ok] == ["43"]
    assert outcomes[42].status == 409 and outcomes[42].category == "CONFLICT"
    assert len(responses.calls) <= 1 + 2 * math.ceil(math.log2(100))
    written = [i["id"] for c in responses.calls if status(c) == 200 for i in sent(c)]
    assert sorted(written, key=int) == [str(i) for i in range(1, 101) if i != 43]  # each good input once


@responses.activate
def test_a_whole_batch_400_with_two_bad_inputs_writes_the_others(client):
    responses.add_callback(responses.POST, UPDATE, callback=refusing({"7", "80"}, 400))
    outcomes = batch_update(client, "contacts", inputs(100))
    failed = [(o.key, o.status, o.category) for o in outcomes if not o.ok]
    assert failed == [("7", 400, "VALIDATION_ERROR"), ("80", 400, "VALIDATION_ERROR")]
    assert sum(o.ok for o in outcomes) == 98
    assert len(responses.calls) <= 1 + 4 * math.ceil(math.log2(100))


@responses.activate
def test_upsert_matches_results_by_the_id_property(client):
    responses.post(UPSERT, json={"status": "COMPLETE", "results": [
        {"id": "502", "properties": {"email": "b@example.com"}, "new": True},
        {"id": "501", "properties": {"email": "a@example.com"}, "new": False}]})  # HubSpot lower-cases emails
    outcomes = batch_upsert(client, "contacts", [("A@example.com", {"firstname": "A"}),
                                                 ("b@example.com", {"firstname": "B"}),
                                                 ("c@example.com", {"firstname": "C"})], "email")
    assert [(o.key, o.ok, o.record_id) for o in outcomes] == [
        ("A@example.com", True, "501"), ("b@example.com", True, "502"), ("c@example.com", False, None)]
    # the id property goes inside properties too, so the answer can echo it (API notes §1a)
    assert sent(responses.calls[0])[1] == {"id": "b@example.com", "idProperty": "email",
                                           "properties": {"firstname": "B", "email": "b@example.com"},
                                           "objectWriteTraceId": "1"}


@responses.activate
def test_upsert_answers_without_the_id_property_are_matched_by_their_trace_ids(client):
    """HubSpot may leave the id property out of an answer: each result still finds its input by objectWriteTraceId,
    in whatever order the results come, and an input whose trace id is not answered fails."""
    responses.post(f"{BASE}/crm/v3/objects/2-1/batch/upsert", json={"status": "COMPLETE", "results": [
        {"id": "903", "properties": {"value": "3"}, "new": True, "objectWriteTraceId": "2"},
        {"id": "901", "properties": {"value": "1"}, "new": False, "objectWriteTraceId": "0"}]})
    outcomes = batch_upsert(client, "2-1", [("k1", {"value": "1"}), ("k2", {"value": "2"}), ("k3", {"value": "3"})],
                            "kpi_key")
    assert [(o.key, o.ok, o.record_id) for o in outcomes] == [
        ("k1", True, "901"), ("k2", False, None), ("k3", True, "903")]
    assert outcomes[1].message == NO_RESULT
    assert [i["properties"]["kpi_key"] for i in sent(responses.calls[0])] == ["k1", "k2", "k3"]


def test_dashboard_upserts_through_the_sandbox_are_all_confirmed(serve):
    """The sandbox echoes no unsent id property, as HubSpot may not: the outcomes rest on the trace ids."""
    from connector.hubspot_writes import ensure_schema
    api = serve()
    client = sandbox_client(api)
    schema, _ = ensure_schema(client, {
        "name": "kpi_record", "labels": {"singular": "KPI", "plural": "KPIs"}, "requiredProperties": ["kpi_key"],
        "associatedObjects": [], "properties": [
            {"name": "kpi_key", "label": "Key", "type": "string", "fieldType": "text", "hasUniqueValue": True},
            {"name": "value", "label": "Value", "type": "number", "fieldType": "number"}]})
    rows: list[tuple[str, dict[str, str | None]]] = [(f"new_leads|2026-0{m}|all", {"value": str(m)})
                                                      for m in range(1, 4)]
    first = batch_upsert(client, schema["objectTypeId"], rows, "kpi_key")
    again = batch_upsert(client, schema["objectTypeId"], rows, "kpi_key")
    assert all(o.ok for o in first + again) and [o.record_id for o in first] == [o.record_id for o in again]
    raw = api("POST", f"/crm/v3/objects/{schema['objectTypeId']}/batch/upsert", json={"inputs": [
        {"id": "x|2026-01|all", "idProperty": "kpi_key", "properties": {"value": "1"}, "objectWriteTraceId": "7"}]})
    assert raw.json()["results"][0]["objectWriteTraceId"] == "7"
    assert "kpi_key" not in raw.json()["results"][0]["properties"]


@responses.activate
def test_auth_errors_propagate(client):
    responses.post(UPDATE, status=401, json={"status": "error", "message": "Authentication credentials not found.",
                                             "category": "INVALID_AUTHENTICATION"})
    with pytest.raises(AuthError):
        batch_update(client, "contacts", inputs(3))
    assert len(responses.calls) == 1


# -- against the sandbox ---------------------------------------------------------------------------

def sandbox_client(api) -> HubSpotClient:
    return HubSpotClient(api.server.token, api.url)


def test_an_unknown_id_among_25_contacts_fails_alone(serve):
    api = serve()
    client = sandbox_client(api)
    ids = [str(i) for i in range(1, 25)] + ["999"]
    outcomes = batch_update(client, "contacts", [(i, {"firstname": f"New{i}"}) for i in ids])
    assert sum(o.ok for o in outcomes) == 24
    assert (outcomes[-1].key, outcomes[-1].ok, outcomes[-1].category) == ("999", False, "OBJECT_NOT_FOUND")
    read = client.batch_read("contacts", ids, ["firstname"])
    assert read.missing == ["999"]
    assert {r["id"]: r["properties"]["firstname"] for r in read.records} == {i: f"New{i}" for i in ids[:-1]}


def test_an_undeclared_property_is_split_off_and_the_others_written(serve):
    api = serve()
    client = sandbox_client(api)
    updates: list[tuple[str, dict[str, str | None]]] = [(str(i), {"firstname": f"New{i}"}) for i in range(1, 26)]
    updates[9] = ("10", {"no_such_property": "x"})
    outcomes = batch_update(client, "contacts", updates)
    assert [(o.key, o.status, o.category) for o in outcomes if not o.ok] == [("10", 400, "VALIDATION_ERROR")]
    assert outcomes[9].message is not None
    assert "PROPERTY_DOESNT_EXIST" in outcomes[9].message
    read = client.batch_read("contacts", [str(i) for i in range(1, 26)], ["firstname"]).records
    assert sorted(r["id"] for r in read if r["properties"]["firstname"].startswith("New")) == sorted(
        str(i) for i in range(1, 26) if i != 10)
    assert api.stats()["requests_by_status"]["400"] >= 1


def test_under_per_input_faults_every_input_is_confirmed_or_carried_back(serve):
    api = serve(batch_fault_rate=0.3, fault_seed=7)
    client = sandbox_client(api)
    outcomes = batch_update(client, "contacts", [(str(i), {"lastname": "Faulty"}) for i in range(1, 26)])
    failed = [o for o in outcomes if not o.ok]
    assert len(outcomes) == 25 and failed
    assert len(failed) == api.stats()["faults_injected"]
    assert all(o.category == "INTERNAL_ERROR" for o in failed)
