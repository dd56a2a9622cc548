"""HubSpot's date-versioned paths in the sandbox: only the versions HubSpot has, every family including schemas,
account details and the per-record associations, and the schema-create body each version requires."""

from __future__ import annotations

import pytest

from sandbox import build_portal

V3_SCHEMA = {"name": "kpi_snapshot", "labels": {"singular": "KPI snapshot", "plural": "KPI snapshots"},
             "requiredProperties": ["snapshot_key"], "primaryDisplayProperty": "snapshot_key", "associatedObjects": [],
             "properties": [{"name": "snapshot_key", "label": "Key", "type": "string", "fieldType": "text",
                             "hasUniqueValue": True}]}
EXTRAS = {"allowsSensitiveProperties": False, "searchableProperties": ["snapshot_key"],
          "secondaryDisplayProperties": [], "shouldCreateSameObjectAssociation": False}


@pytest.fixture
def api(serve):
    return serve(build_portal())


@pytest.mark.parametrize("version", ["2025-09", "2026-03", "2026-09", "2026-09-beta"])
def test_every_version_hubspot_has_is_served_for_every_family(api, version):
    paths = [f"/crm/objects/{version}/contacts", f"/crm/objects/{version}/deals/301",
             f"/crm/properties/{version}/contacts", f"/crm/pipelines/{version}/deals", f"/crm/owners/{version}",
             f"/crm-object-schemas/{version}/schemas", f"/account-info/{version}/details",
             f"/marketing/campaigns/{version}", f"/crm/objects/{version}/deals/301/associations/contacts"]
    for path in paths:
        assert api("GET", path).status_code == 200, path
    batch = api("POST", f"/crm/associations/{version}/deals/contacts/batch/read", json={"inputs": [{"id": "301"}]})
    assert batch.status_code == 200 and batch.json()["results"][0]["from"] == {"id": "301"}
    routes = api.stats()["requests_by_route"]
    assert f"GET /crm-object-schemas/{version}/schemas" in routes
    assert f"GET /account-info/{version}/details" in routes
    assert f"GET /crm/objects/{version}/{{objectType}}/{{objectId}}/associations/{{toObjectType}}" in routes
    assert not [r for r in routes if "/v3/" in r or "/v4/" in r]
    assert api("GET", f"/account-info/{version}/details").json() == api("GET", "/account-info/v3/details").json()


@pytest.mark.parametrize("path", ["/crm/objects/2027-03/contacts", "/crm/objects/2026-04/contacts",
                                  "/crm/objects/2025-03/contacts", "/account-info/2026-06/details",
                                  "/crm-object-schemas/2024-09/schemas", "/crm/owners/2026-03-alpha"])
def test_a_version_hubspot_does_not_have_is_a_404(api, path):
    reply = api("GET", path)
    assert reply.status_code == 404 and reply.json()["category"] == "OBJECT_NOT_FOUND"


def test_the_2026_03_schema_body_needs_its_four_more_fields(api):
    path = "/crm-object-schemas/2026-03/schemas"
    refused = api("POST", path, json=V3_SCHEMA)
    assert refused.status_code == 400 and refused.json()["category"] == "VALIDATION_ERROR"
    for name in EXTRAS:
        assert name in refused.json()["message"]
    for name in EXTRAS:  # each one of the four is required
        reply = api("POST", path, json={**V3_SCHEMA, **{k: v for k, v in EXTRAS.items() if k != name}})
        assert reply.status_code == 400 and name in reply.json()["message"], name
    created = api("POST", path, json={**V3_SCHEMA, **EXTRAS})
    assert created.status_code == 201
    assert created.json()["allowsSensitiveProperties"] is False
    assert created.json()["searchableProperties"] == ["snapshot_key"]
    listed = api("GET", path).json()["results"]
    assert [s["name"] for s in listed] == ["kpi_snapshot"]
    assert api("GET", f"{path}/{created.json()['objectTypeId']}").json()["name"] == "kpi_snapshot"


@pytest.mark.parametrize("version", ["2025-09", "2026-09"])
def test_the_other_dated_schema_bodies_need_three_more_fields(api, version):
    path = f"/crm-object-schemas/{version}/schemas"
    three = {k: v for k, v in EXTRAS.items() if k != "shouldCreateSameObjectAssociation"}
    assert api("POST", path, json={**V3_SCHEMA, **{k: v for k, v in three.items() if k != "searchableProperties"}}
               ).status_code == 400
    assert api("POST", path, json={**V3_SCHEMA, **three}).status_code == 201


def test_the_v3_schema_body_needs_none_of_them(api):
    assert api("POST", "/crm-object-schemas/v3/schemas", json=V3_SCHEMA).status_code == 201
