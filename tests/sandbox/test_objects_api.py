"""Objects v3 list/read/create/update/archive/merge against the sandbox, over real HTTP."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.conftest import mini_portal_data


def walk(api, path, **params):
    """Every record of a list endpoint, following paging.next.after; also the pages seen."""
    seen, pages, after = [], 0, None
    while True:
        query = dict(params, **({"after": after} if after else {}))
        body = api("GET", path, params=query).json()
        pages += 1
        seen += body["results"]
        if "paging" not in body:
            return seen, pages
        after = body["paging"]["next"]["after"]


@pytest.mark.parametrize("limit", [1, 7, 10, 100])
def test_paging_walks_every_record_exactly_once(serve, limit):
    data = mini_portal_data(53)
    data["contacts"][4]["archived"] = True
    api = serve(data)
    records, pages = walk(api, "/crm/v3/objects/contacts", limit=limit)
    ids = [r["id"] for r in records]
    assert ids == [str(i) for i in range(1, 54) if i != 5]
    assert pages == -(-52 // limit)
    archived, _ = walk(api, "/crm/v3/objects/contacts", archived="true")
    assert [r["id"] for r in archived] == ["5"]


def test_list_limit_is_capped_at_100_and_last_page_has_no_paging(serve):
    api = serve(mini_portal_data(150))
    body = api("GET", "/crm/v3/objects/contacts", params={"limit": 500}).json()
    assert len(body["results"]) == 100
    after = body["paging"]["next"]["after"]
    last = api("GET", "/crm/v3/objects/contacts", params={"limit": 100, "after": after}).json()
    assert len(last["results"]) == 50 and "paging" not in last


def test_next_link_carries_the_sandbox_host_and_the_query(serve):
    api = serve()
    body = api("GET", "/crm/v3/objects/contacts", params={"limit": 2, "properties": "email"}).json()
    link = urlsplit(body["paging"]["next"]["link"])
    assert f"{link.scheme}://{link.netloc}" == api.url
    assert "properties=email" in link.query and f"after={body['paging']['next']['after']}" in link.query


def test_properties_are_strings_or_null_and_defaults_always_returned(serve):
    api = serve()
    body = api("GET", "/crm/v3/objects/contacts/2", params={"properties": "email,phone,not_a_property"}).json()
    assert body["properties"] == {"email": "person2@example.com", "phone": None, "hs_object_id": "2",
                                  "createdate": "2026-01-05T09:00:00.000Z",
                                  "lastmodifieddate": "2026-01-05T09:00:00.000Z"}
    assert body["archived"] is False and body["createdAt"] == "2026-01-05T09:00:00.000Z"
    deal = api("GET", "/crm/v3/objects/deals/1").json()
    assert set(deal["properties"]) >= {"dealname", "amount", "closedate", "pipeline", "dealstage",
                                       "hs_object_id", "createdate", "hs_lastmodifieddate"}
    assert "lastmodifieddate" not in deal["properties"]


def test_read_with_history_and_associations(serve):
    api = serve()
    body = api("GET", "/crm/v3/objects/contacts/3", params={
        "propertiesWithHistory": "lifecyclestage", "associations": "deals,companies"}).json()
    assert body["propertiesWithHistory"]["lifecyclestage"][0]["value"] == "lead"
    assert body["associations"] == {"deals": {"results": [{"id": "1", "type": "contact_to_deal"}]}}
    deal = api("GET", "/crm/v3/objects/0-3/1", params={"associations": "contacts"}).json()
    assert deal["associations"]["contacts"]["results"] == [{"id": "3", "type": "deal_to_contact"}]


def test_history_lowers_the_page_limit_to_50(serve):
    api = serve()

    def status(limit):
        params = {"limit": limit, "propertiesWithHistory": "email"}
        return api("GET", "/crm/v3/objects/contacts", params=params).status_code
    assert (status(51), status(50)) == (400, 200)


def test_read_by_email_id_property_and_unknown_id(serve):
    api = serve()
    by_email = api("GET", "/crm/v3/objects/contacts/person4@example.com", params={"idProperty": "email"})
    assert by_email.json()["id"] == "4"
    missing = api("GET", "/crm/v3/objects/contacts/999")
    assert missing.status_code == 404 and missing.json()["category"] == "OBJECT_NOT_FOUND"


def test_trailing_slash_and_date_versioned_paths_are_served(serve):
    api = serve()
    assert api("GET", "/crm/v3/owners/").json()["results"][0]["id"] == "9001"
    dated = api("GET", "/crm/objects/2026-03/contacts/2").json()
    assert dated == api("GET", "/crm/v3/objects/contacts/2").json()
    assert api("POST", "/crm/objects/2026-03/contacts/search", json={}).json()["total"] == 25
    assert "GET /crm/objects/2026-03/{objectType}/{objectId}" in api.stats()["requests_by_route"]


def test_create_update_archive_move_the_last_modified_date(serve):
    api = serve()
    created = api("POST", "/crm/v3/objects/contacts", json={"properties": {"email": "new@example.com"}})
    assert created.status_code == 201
    record = created.json()
    assert record["properties"]["lastmodifieddate"] == record["updatedAt"] > "2026-01-05"
    assert api("POST", "/crm/v3/objects/contacts", json={"properties": {"email": "NEW@example.com"}}).json()[
        "message"] == f"Contact already exists. Existing ID: {record['id']}"
    updated = api("PATCH", "/crm/v3/objects/contacts/2", json={"properties": {"firstname": "Ada"}}).json()
    assert updated["properties"]["firstname"] == "Ada" and updated["updatedAt"] > "2026-01-05"
    assert api("DELETE", "/crm/v3/objects/contacts/2").status_code == 204
    assert api("GET", "/crm/v3/objects/contacts/2").status_code == 404
    assert api("GET", "/crm/v3/objects/contacts/2", params={"archived": "true"}).json()["archived"] is True


@pytest.mark.parametrize("properties, error", [
    ({"no_such_property": "x"}, "PROPERTY_DOESNT_EXIST"),
    ({"hs_object_id": "7"}, "READ_ONLY_VALUE"),
    ({"lifecyclestage": "champion"}, "INVALID_OPTION"),
    ({"hubspot_owner_id": "123"}, "INVALID_OWNER_ID"),
], ids=["unknown", "read-only", "bad-option", "bad-owner"])
def test_invalid_property_values_are_400_like_hubspot(serve, properties, error):
    api = serve()
    reply = api("PATCH", "/crm/v3/objects/contacts/2", json={"properties": properties})
    assert reply.status_code == 400
    assert reply.json()["category"] == "VALIDATION_ERROR" and error in reply.json()["message"]


def test_lifecycle_moves_forward_only_and_keeps_dates_and_history(serve):
    api = serve()
    path = "/crm/v3/objects/contacts/2"
    api("PATCH", path, json={"properties": {"lifecyclestage": "salesqualifiedlead"}})
    back = api("PATCH", path, json={"properties": {"lifecyclestage": "lead"}}).json()
    assert back["properties"]["lifecyclestage"] == "salesqualifiedlead"  # ignored, as HubSpot does
    api("PATCH", path, json={"properties": {"lifecyclestage": ""}})
    api("PATCH", path, json={"properties": {"lifecyclestage": "lead"}})
    props = "lifecyclestage,hs_lifecyclestage_salesqualifiedlead_date,hs_v2_date_entered_salesqualifiedlead," \
            "hs_v2_date_exited_salesqualifiedlead"
    body = api("GET", path, params={"properties": props, "propertiesWithHistory": "lifecyclestage"}).json()
    p = body["properties"]
    assert p["lifecyclestage"] == "lead"
    assert p["hs_lifecyclestage_salesqualifiedlead_date"] is None  # "Became a" date cleared on the way back
    assert p["hs_v2_date_entered_salesqualifiedlead"] and p["hs_v2_date_exited_salesqualifiedlead"]
    assert [h["value"] for h in body["propertiesWithHistory"]["lifecyclestage"]] == [
        "lead", "", "salesqualifiedlead", "lead"]


def test_won_deal_sets_flags_and_makes_its_contacts_customers(serve):
    api = serve()
    deal = api("PATCH", "/crm/v3/objects/deals/1", json={"properties": {"dealstage": "closedwon"}}).json()
    assert (deal["properties"]["hs_is_closed"], deal["properties"]["hs_is_closed_won"]) == ("true", "true")
    assert api("GET", "/crm/v3/objects/contacts/3", params={"properties": "lifecyclestage"}).json()[
        "properties"]["lifecyclestage"] == "customer"
    wrong = api("PATCH", "/crm/v3/objects/deals/1", json={"properties": {"dealstage": "nope"}})
    assert wrong.status_code == 400


def test_create_with_inline_association_and_merge(serve):
    api = serve()
    created = api("POST", "/crm/v3/objects/deals", json={
        "properties": {"dealname": "New", "dealstage": "appointmentscheduled"},
        "associations": [{"to": {"id": "4"}, "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                                        "associationTypeId": 3}]}]}).json()
    assert created["properties"]["pipeline"] == "default"
    merged = api("POST", "/crm/v3/objects/contacts/merge", json={"primaryObjectId": "3", "objectIdToMerge": "4"})
    assert merged.status_code == 200 and merged.json()["properties"]["hs_merged_object_ids"] == "4"
    survivor = api("GET", "/crm/v3/objects/contacts/3", params={"associations": "deals"}).json()
    assert {a["id"] for a in survivor["associations"]["deals"]["results"]} == {"1", created["id"]}
    assert api("GET", "/crm/v3/objects/contacts/4").json()["id"] == "3"  # a merged-away id reads the survivor
    ids = [r["id"] for r in api("GET", "/crm/v3/objects/contacts", params={"limit": 100}).json()["results"]]
    assert "4" not in ids


def test_unknown_object_type_is_a_400(serve):
    api = serve()
    assert api("GET", "/crm/v3/objects/widgets").status_code == 400

