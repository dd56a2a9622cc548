"""Batch read/update/upsert/create/archive (200, 207 with per-input errors) and associations v4."""

from __future__ import annotations

from typing import Any

import pytest

BATCH = "/crm/v3/objects/contacts/batch"


def test_batch_read_reports_unknown_ids_as_errors(serve):
    api = serve()
    reply = api("POST", f"{BATCH}/read", json={"inputs": [{"id": "2"}, {"id": "999"}, {"id": "3"}],
                                                "properties": ["email"]})
    assert reply.status_code == 207
    body = reply.json()
    assert [r["id"] for r in body["results"]] == ["2", "3"]
    assert body["status"] == "COMPLETE" and body["numErrors"] == 1
    assert body["errors"][0]["category"] == "OBJECT_NOT_FOUND" and body["errors"][0]["context"] == {"ids": ["999"]}
    assert "CONTACT objects" in body["errors"][0]["message"]


def test_batch_update_then_read_back(serve):
    api = serve()
    reply = api("POST", f"{BATCH}/update", json={"inputs": [
        {"id": "2", "properties": {"jobtitle": "CTO"}}, {"id": "4", "properties": {"jobtitle": "CEO"}}]})
    assert reply.status_code == 200 and "errors" not in reply.json()
    back = api("POST", f"{BATCH}/read", json={"inputs": [{"id": "2"}, {"id": "4"}], "properties": ["jobtitle"]}).json()
    assert {r["id"]: r["properties"]["jobtitle"] for r in back["results"]} == {"2": "CTO", "4": "CEO"}


def test_batch_update_unknown_id_is_207_and_the_rest_applies(serve):
    api = serve()
    reply = api("POST", f"{BATCH}/update", json={"inputs": [
        {"id": "2", "properties": {"jobtitle": "CTO"}}, {"id": "12345", "properties": {"jobtitle": "x"}}]})
    assert reply.status_code == 207
    assert reply.json()["errors"][0]["context"] == {"ids": ["12345"]}
    assert api("GET", "/crm/v3/objects/contacts/2", params={"properties": "jobtitle"}).json()[
        "properties"]["jobtitle"] == "CTO"


def test_batch_update_with_an_invalid_property_fails_whole(serve):
    api = serve()
    reply = api("POST", f"{BATCH}/update", json={"inputs": [
        {"id": "2", "properties": {"jobtitle": "CTO"}}, {"id": "3", "properties": {"smk_unknown": "x"}}]})
    assert reply.status_code == 400
    assert api("GET", "/crm/v3/objects/contacts/2", params={"properties": "jobtitle"}).json()[
        "properties"]["jobtitle"] is None


@pytest.mark.parametrize("endpoint, count, history", [("read", 101, False), ("update", 101, False),
                                                       ("read", 51, True)])
def test_batch_size_limits(serve, endpoint, count, history):
    api = serve()
    body: dict[str, Any] = {"inputs": [{"id": str(i), "properties": {}} for i in range(count)]}
    if history:
        body["propertiesWithHistory"] = ["lifecyclestage"]
    reply = api("POST", f"{BATCH}/{endpoint}", json=body)
    assert reply.status_code == 400
    if history:
        assert "property histories is 50" in reply.json()["message"]


def test_batch_upsert_by_email_creates_and_updates(serve):
    """Answers echo each input's trace id, and the id property only when it was sent inside properties."""
    api = serve()
    reply = api("POST", f"{BATCH}/upsert", json={"inputs": [
        {"id": "person2@example.com", "idProperty": "email", "properties": {"jobtitle": "VP"},
         "objectWriteTraceId": "0"},
        {"id": "brand.new@example.com", "idProperty": "email", "objectWriteTraceId": "1",
         "properties": {"jobtitle": "Intern", "email": "brand.new@example.com"}}]})
    assert reply.status_code == 200
    results = {r["objectWriteTraceId"]: r for r in reply.json()["results"]}
    assert results["0"]["new"] is False and results["0"]["id"] == "2"
    assert "email" not in results["0"]["properties"] and results["0"]["properties"]["jobtitle"] == "VP"
    assert results["1"]["new"] is True and results["1"]["properties"]["email"] == "brand.new@example.com"
    read = api("GET", "/crm/v3/objects/contacts/person2@example.com", params={"idProperty": "email"}).json()
    assert read["id"] == "2" and read["properties"]["email"] == "person2@example.com"


def test_batch_create_and_archive(serve):
    api = serve()
    created = api("POST", f"{BATCH}/create", json={"inputs": [{"properties": {"email": "a@example.com"}},
                                                              {"properties": {"email": "b@example.com"}}]})
    assert created.status_code == 201 and len(created.json()["results"]) == 2
    new_ids = [r["id"] for r in created.json()["results"]]
    assert api("POST", f"{BATCH}/archive", json={"inputs": [{"id": i} for i in new_ids]}).status_code == 204
    assert api("GET", f"/crm/v3/objects/contacts/{new_ids[0]}").status_code == 404


def test_batch_create_with_trace_ids_reports_per_input_errors(serve):
    api = serve()
    reply = api("POST", f"{BATCH}/create", json={"inputs": [
        {"properties": {"email": "ok@example.com"}, "objectWriteTraceId": "t1"},
        {"properties": {"email": "person2@example.com"}, "objectWriteTraceId": "t2"}]})
    assert reply.status_code == 207
    body = reply.json()
    assert [r["objectWriteTraceId"] for r in body["results"]] == ["t1"]
    assert body["errors"][0]["context"] == {"objectWriteTraceId": ["t2"]}


def test_batch_faults_fail_a_share_of_inputs_reproducibly(serve):
    def run():
        api = serve(batch_fault_rate=0.3, fault_seed=7)
        reply = api("POST", f"{BATCH}/update", json={"inputs": [
            {"id": str(i), "properties": {"jobtitle": "x"}} for i in range(1, 26)]})
        failed = sorted(i for e in reply.json().get("errors", []) for i in e["context"]["ids"])
        return reply.status_code, failed, api.stats()["faults_injected"]

    first, second = run(), run()
    assert first == second
    status, failed, faults = first
    assert status == 207 and 0 < len(failed) < 25 and faults == len(failed)


def test_associations_v4_batch_read(serve):
    api = serve()
    reply = api("POST", "/crm/v4/associations/deals/contacts/batch/read", json={"inputs": [{"id": "1"}]})
    assert reply.status_code == 200
    assert reply.json()["results"] == [{"from": {"id": "1"}, "to": [
        {"toObjectId": "3", "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 3, "label": None}]}]}]
    back = api("POST", "/crm/v4/associations/contacts/deals/batch/read", json={"inputs": [{"id": "3"}, {"id": "2"}]})
    assert back.status_code == 207
    assert back.json()["results"][0]["to"][0]["associationTypes"][0]["typeId"] == 4


def test_associations_v4_create_list_delete(serve):
    api = serve()
    path = "/crm/v4/objects/contacts/5/associations/default/deals/1"
    assert api("PUT", path).status_code == 200
    listed = api("GET", "/crm/v4/objects/contacts/5/associations/deals").json()
    assert listed["results"][0]["toObjectId"] == "1"
    assert api("DELETE", "/crm/v4/objects/contacts/5/associations/deals/1").status_code == 204
    assert api("GET", "/crm/v4/objects/contacts/5/associations/deals").json()["results"] == []
