"""Idempotent set-up against the sandbox: create what is missing, report what differs, overwrite nothing."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import responses
from responses import matchers

from connector import AuthError, Conflict, HubSpotClient
from connector.hubspot_writes import batch_upsert, ensure_properties, ensure_property_group, ensure_schema

GROUP = "smarketing"
PROPERTIES: list[dict[str, Any]] = [
    {"name": "smk_funnel_stage", "label": "Funnel stage", "type": "enumeration", "fieldType": "select",
     "groupName": GROUP, "options": [{"label": "Lead", "value": "lead", "hidden": False},
                                      {"label": "MQL", "value": "mql", "hidden": False}]},
    {"name": "smk_score", "label": "Score", "type": "number", "fieldType": "number", "groupName": GROUP},
]
SCHEMA = {
    "name": "kpi_snapshot", "labels": {"singular": "KPI snapshot", "plural": "KPI snapshots"},
    "primaryDisplayProperty": "snapshot_key", "requiredProperties": ["snapshot_key"], "associatedObjects": [],
    "properties": [{"name": "snapshot_key", "label": "Key", "type": "string", "fieldType": "text",
                    "hasUniqueValue": True},
                   {"name": "value", "label": "Value", "type": "number", "fieldType": "number"}],
}


def client_for(api) -> HubSpotClient:
    return HubSpotClient(api.server.token, api.url)


def test_group_and_properties_are_created_once(serve):
    api = serve()
    client = client_for(api)
    first = ensure_property_group(client, "contacts", GROUP, "Smarketing")
    assert (first.created, first.existing) == ([GROUP], [])
    made = ensure_properties(client, "contacts", PROPERTIES)
    assert made.created == ["smk_funnel_stage", "smk_score"] and not made.differing
    again = ensure_property_group(client, "contacts", GROUP, "Smarketing sync")
    assert (again.created, again.existing, again.differing) == (
        [], [GROUP], [(GROUP, "label", "Smarketing sync", "Smarketing")])
    before = api.stats()["requests_total"]
    rerun = ensure_properties(client, "contacts", PROPERTIES)
    assert (rerun.created, rerun.existing, rerun.differing) == ([], ["smk_funnel_stage", "smk_score"], [])
    assert api.stats()["requests_total"] - before == 1  # one list call, nothing written


def test_a_differing_definition_is_reported_and_left_alone(serve):
    api = serve()
    client = client_for(api)
    ensure_property_group(client, "contacts", GROUP, "Smarketing")
    ensure_properties(client, "contacts", PROPERTIES)
    wanted = [{**PROPERTIES[0], "options": [{"label": "Lead", "value": "lead", "hidden": False},
                                            {"label": "SQL", "value": "sql", "hidden": False}]},
              {**PROPERTIES[1], "type": "string", "fieldType": "text"}]
    report = ensure_properties(client, "contacts", wanted)
    assert report.created == [] and report.differing == [
        ("smk_funnel_stage", "options", ["lead", "sql"], ["lead", "mql"]),
        ("smk_score", "type", "string", "number"), ("smk_score", "fieldType", "text", "number")]
    assert client.property_definition("contacts", "smk_score")["type"] == "number"
    assert "PATCH /crm/v3/properties/{objectType}/{propertyName}" not in api.stats()["requests_by_route"]


def test_the_crms_own_definitions_are_reported_with_the_comparison(serve):
    api = serve()
    client = client_for(api)
    ensure_property_group(client, "contacts", GROUP, "Smarketing")
    api("POST", "/crm/v3/properties/contacts", json={"name": "smk_score", "label": "Theirs", "type": "string",
                                                     "fieldType": "text", "groupName": "contactinformation"})
    report = ensure_properties(client, "contacts", PROPERTIES)
    assert report.created == ["smk_funnel_stage"] and report.existing == ["smk_score"]
    assert set(report.actual) == {"smk_score"}
    assert (report.actual["smk_score"]["groupName"], report.actual["smk_score"]["label"]) == (
        "contactinformation", "Theirs")


def test_checking_only_lists_what_is_missing_and_writes_nothing(serve):
    api = serve()
    client = client_for(api)
    ensure_property_group(client, "contacts", GROUP, "Smarketing")
    ensure_properties(client, "contacts", PROPERTIES[1:])
    requests.post(api.url + "/_sandbox/stats/reset", timeout=5)
    report = ensure_properties(client, "contacts", PROPERTIES, create=False)
    assert (report.created, report.missing, report.existing) == ([], ["smk_funnel_stage"], ["smk_score"])
    assert report.actual["smk_score"]["type"] == "number"
    schema, checked = ensure_schema(client, SCHEMA, create=False)
    assert (schema, checked.created, checked.missing) == ({}, [], ["kpi_snapshot"])
    assert set(api.stats()["requests_by_route"]) == {"GET /crm/v3/properties/{objectType}",
                                                     "GET /crm-object-schemas/v3/schemas"}
    made, _ = ensure_schema(client, SCHEMA)
    listed, again = ensure_schema(client, SCHEMA, create=False)
    assert listed["objectTypeId"] == made["objectTypeId"] and again.existing == ["kpi_snapshot"]
    assert again.actual["kpi_snapshot"]["objectTypeId"] == made["objectTypeId"]


def test_a_schema_is_created_once_and_takes_upserts(serve):
    api = serve()
    client = client_for(api)
    schema, first = ensure_schema(client, SCHEMA)
    assert first.created == ["kpi_snapshot"] and schema["objectTypeId"].startswith("2-")
    again, second = ensure_schema(client, {**SCHEMA, "labels": {"singular": "KPI", "plural": "KPIs"}})
    assert again["objectTypeId"] == schema["objectTypeId"]
    assert second.existing == ["kpi_snapshot"] and [d[:2] for d in second.differing] == [("kpi_snapshot", "labels")]
    rows: list[tuple[str, dict[str, str | None]]] = [("2026-W02:leads", {"value": "12"}),
                                                      ("2026-W02:mqls", {"value": "5"})]
    created = batch_upsert(client, schema["objectTypeId"], rows, "snapshot_key")
    assert all(o.ok for o in created)
    updated = batch_upsert(client, schema["objectTypeId"], [("2026-W02:leads", {"value": "13"})], "snapshot_key")
    assert updated[0].ok and updated[0].record_id == created[0].record_id


def test_schemas_need_a_portal_that_allows_custom_objects(serve):
    client = client_for(serve(custom_objects=False))
    with pytest.raises(AuthError) as raised:
        ensure_schema(client, SCHEMA)
    assert raised.value.status == 403


# -- answers the sandbox does not give (`responses`) ---------------------------------------------------

BASE = "https://api.hubapi.com"


@responses.activate
def test_a_409_for_a_property_missing_from_the_list_reads_it_and_reports_it_archived():
    props = f"{BASE}/crm/v3/properties/contacts"
    responses.get(props, json={"results": []})
    responses.post(props, status=409, json={"message": "exists", "category": "OBJECT_ALREADY_EXISTS"})
    responses.get(f"{props}/smk_score", json={**PROPERTIES[1], "archived": True},
                  match=[matchers.query_param_matcher({"archived": "true"})])
    report = ensure_properties(HubSpotClient("t", BASE, sleep=lambda s: None), "contacts", [PROPERTIES[1]])
    assert (report.created, report.existing, report.differing) == (
        [], ["smk_score"], [("smk_score", "archived", False, True)])
    assert report.actual["smk_score"]["archived"] is True


@responses.activate
def test_a_409_for_a_property_created_meanwhile_reads_the_live_one():
    """archived=true reads only archived properties: a 404 there means someone else has just created it."""
    props = f"{BASE}/crm/v3/properties/contacts"
    responses.get(props, json={"results": []})
    responses.post(props, status=409, json={"message": "exists", "category": "OBJECT_ALREADY_EXISTS"})
    responses.get(f"{props}/smk_score", status=404, json={"message": "no", "category": "OBJECT_NOT_FOUND"},
                  match=[matchers.query_param_matcher({"archived": "true"})])
    responses.get(f"{props}/smk_score", json={**PROPERTIES[1], "archived": False},
                  match=[matchers.query_param_matcher({})])
    report = ensure_properties(HubSpotClient("t", BASE, sleep=lambda s: None), "contacts", [PROPERTIES[1]])
    assert (report.created, report.existing, report.differing) == ([], ["smk_score"], [])


def test_an_archived_property_in_the_sandbox_is_found_with_archived_true(serve):
    api = serve()
    client = client_for(api)
    ensure_property_group(client, "contacts", GROUP, "Smarketing")
    ensure_properties(client, "contacts", PROPERTIES)
    assert api("DELETE", "/crm/v3/properties/contacts/smk_score").status_code == 204
    assert api("GET", "/crm/v3/properties/contacts/smk_score").status_code == 404
    report = ensure_properties(client, "contacts", PROPERTIES)
    assert (report.created, report.existing) == ([], ["smk_funnel_stage", "smk_score"])
    assert report.differing == [("smk_score", "archived", False, True)]
    restored = client.restore_property("contacts", "smk_score")
    assert restored["archived"] is False
    assert ensure_properties(client, "contacts", PROPERTIES).differing == []


@responses.activate
def test_a_409_for_a_schema_name_taken_by_no_custom_object_is_raised():
    schemas = f"{BASE}/crm-object-schemas/v3/schemas"
    responses.post(schemas, status=409, json={"status": "error", "message": "taken", "category": "CONFLICT"})
    responses.get(schemas, json={"results": [{"name": "other", "objectTypeId": "2-1"}]})
    with pytest.raises(Conflict):
        ensure_schema(HubSpotClient("t", BASE, sleep=lambda s: None), SCHEMA)
