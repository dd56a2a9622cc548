"""Properties and groups, pipelines, owners, schemas, account details and campaigns."""

from __future__ import annotations

from tests.conftest import T0, mini_portal_data

CAMPAIGN = "7c1e5c55-8f2a-4b59-9a51-0c9f7a7f1a01"


def test_properties_list_and_read(serve):
    api = serve()
    names = {p["name"] for p in api("GET", "/crm/v3/properties/contacts").json()["results"]}
    assert {"email", "lifecyclestage", "hs_v2_date_entered_marketingqualifiedlead",
            "hs_lifecyclestage_customer_date"} <= names
    stage = api("GET", "/crm/v3/properties/deals/dealstage").json()
    assert [o["value"] for o in stage["options"]] == ["appointmentscheduled", "closedwon", "closedlost"]
    assert api("GET", "/crm/v3/properties/contacts/nope").status_code == 404


def test_create_property_and_group_409_on_duplicates(serve):
    api = serve()
    group = {"name": "smarketing", "label": "smarketing-sync", "displayOrder": 5}
    assert api("POST", "/crm/v3/properties/contacts/groups", json=group).status_code == 201
    dup = api("POST", "/crm/v3/properties/contacts/groups", json=group)
    assert dup.status_code == 409 and dup.json()["category"] == "OBJECT_ALREADY_EXISTS"
    prop = {"name": "smk_funnel_stage", "label": "Funnel stage", "type": "enumeration", "fieldType": "select",
            "groupName": "smarketing",
            "options": [{"label": "MQL", "value": "mql", "displayOrder": 0, "hidden": False}]}
    created = api("POST", "/crm/v3/properties/contacts", json=prop)
    assert created.status_code == 201 and created.headers["Location"].endswith("/smk_funnel_stage")
    assert created.json()["options"][0]["hidden"] is False
    dup = api("POST", "/crm/v3/properties/contacts", json=prop)
    assert dup.status_code == 409 and dup.json()["category"] == "OBJECT_ALREADY_EXISTS"
    # the new property can now be written, with its options enforced
    assert api("PATCH", "/crm/v3/objects/contacts/2", json={"properties": {"smk_funnel_stage": "mql"}}).ok
    assert api("PATCH", "/crm/v3/objects/contacts/2",
               json={"properties": {"smk_funnel_stage": "other"}}).status_code == 400


def test_create_property_validates_its_definition(serve):
    api = serve()
    bad = {"name": "x", "label": "X", "type": "string", "fieldType": "text", "groupName": "no_such_group"}
    assert api("POST", "/crm/v3/properties/contacts", json=bad).status_code == 400
    assert api("POST", "/crm/v3/properties/contacts", json={"name": "x"}).status_code == 400


def test_pipelines_and_owners(serve):
    api = serve()
    pipelines = api("GET", "/crm/v3/pipelines/deals").json()["results"]
    assert pipelines[0]["stages"][1]["metadata"] == {"isClosed": "true", "probability": "1.0"}
    assert api("GET", "/crm/v3/pipelines/deals/default/stages").json()["results"][0]["id"] == "appointmentscheduled"
    assert api("GET", "/crm/v3/pipelines/deals/nope").status_code == 404
    owners = api("GET", "/crm/v3/owners", params={"email": "REP@example.com"}).json()["results"]
    assert [o["id"] for o in owners] == ["9001"]
    assert api("GET", "/crm/v3/owners/1", params={"idProperty": "userId"}).json()["id"] == "9001"


def test_custom_object_schema_and_its_records(serve):
    api = serve()
    schema = {"name": "kpi_snapshot", "labels": {"singular": "KPI snapshot", "plural": "KPI snapshots"},
              "requiredProperties": ["snapshot_key"], "primaryDisplayProperty": "snapshot_key",
              "associatedObjects": [],
              "properties": [{"name": "snapshot_key", "label": "Key", "type": "string", "fieldType": "text",
                              "hasUniqueValue": True},
                             {"name": "value", "label": "Value", "type": "number", "fieldType": "number"}]}
    created = api("POST", "/crm-object-schemas/v3/schemas", json=schema)
    assert created.status_code == 201
    type_id = created.json()["objectTypeId"]
    assert created.json()["fullyQualifiedName"] == "p111_kpi_snapshot"
    assert api("GET", "/crm/v3/schemas").json()["results"][0]["objectTypeId"] == type_id
    assert api("POST", "/crm/v3/schemas", json=schema).status_code == 409
    upsert = api("POST", f"/crm/v3/objects/{type_id}/batch/upsert", json={"inputs": [
        {"id": "mql_count|2026-03|all", "idProperty": "snapshot_key", "properties": {"value": "12"}}]})
    assert upsert.status_code == 200 and upsert.json()["results"][0]["new"] is True
    again = api("POST", "/crm/v3/objects/p111_kpi_snapshot/batch/upsert", json={"inputs": [
        {"id": "mql_count|2026-03|all", "idProperty": "snapshot_key", "properties": {"value": "13"}}]})
    assert again.json()["results"][0]["new"] is False
    listed = api("GET", "/crm/v3/objects/kpi_snapshot", params={"properties": "value"}).json()["results"]
    assert [r["properties"]["value"] for r in listed] == ["13"]


def test_no_custom_objects_answers_403(serve):
    api = serve(custom_objects=False)
    reply = api("POST", "/crm/v3/schemas", json={"name": "x", "labels": {}, "properties": [],
                                                 "requiredProperties": [], "associatedObjects": []})
    assert reply.status_code == 403


def test_account_details_and_campaigns(serve):
    data = mini_portal_data()
    totals = {"budgetItems": [{"id": 1, "name": "Ads", "amount": 1000.0, "order": 0}], "spendItems": [],
              "budgetTotal": 1000.0, "spendTotal": 250.5, "remainingBudget": 749.5, "currencyCode": "EUR"}
    data["campaigns"] = {"total": 1, "results": [{"id": CAMPAIGN, "properties": {"hs_name": "Spring webinar"},
                                                  "createdAt": T0, "updatedAt": T0, "businessUnits": [{"id": 0}],
                                                  "budgetTotals": totals}]}
    api = serve(data)
    account = api("GET", "/account-info/v3/details").json()
    assert (account["portalId"], account["timeZone"], account["companyCurrency"]) == (111, "Europe/Berlin", "EUR")
    listed = api("GET", "/marketing/v3/campaigns").json()
    assert listed["total"] == 1 and "budgetTotals" not in listed["results"][0]
    assert api("GET", f"/marketing/v3/campaigns/{CAMPAIGN}/budget/totals").json() == totals
    assert api("GET", "/marketing/v3/campaigns/unknown").status_code == 404


def test_schema_with_an_unknown_associated_object_is_refused_whole(serve):
    api = serve()
    reply = api("POST", "/crm/v3/schemas", json={"name": "x", "labels": {"singular": "X", "plural": "Xs"},
                                                 "properties": [], "requiredProperties": [],
                                                 "associatedObjects": ["SPACESHIP"]})
    assert reply.status_code == 400
    assert api("GET", "/crm/v3/schemas").json()["results"] == []
    assert api("GET", "/crm/v3/objects/x").status_code == 400
