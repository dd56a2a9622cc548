"""Conformance: HubSpot's official Python SDK (hubspot-api-client), pointed at the sandbox.

The sandbox exists so that code that works against it works against HubSpot. These tests drive it
through the SDK's own API classes with the SDK's client-side validation switched ON, so every answer
must deserialise into the SDK's models: a required field the sandbox leaves out, or a value outside
a documented enum, fails here exactly as it would fail a user's ``client_side_validation=True``.

Validation is off by default in the SDK. ``HubSpot(..., client_side_validation=True)`` turns it on:
the discovery layer (``hubspot/discovery/discovery_base.py``) copies every keyword into each API
package's ``Configuration``; ``test_client_side_validation_is_really_on`` proves it by a negative check.
Request models built here get a validating Configuration too (``strict``), so our request bodies
carry every field the spec marks required (e.g. ``propertiesWithHistory`` on batch read).
"""

from __future__ import annotations

import importlib
import json
from datetime import datetime
from typing import Any

import pytest
from hubspot import HubSpot
from hubspot.crm import contacts as sdk_contacts
from hubspot.crm import deals as sdk_deals
from hubspot.crm import objects as sdk_objects
from hubspot.crm import owners as sdk_owners
from hubspot.crm import pipelines as sdk_pipelines
from hubspot.crm import properties as sdk_properties
from hubspot.crm import schemas as sdk_schemas
from hubspot.crm.associations import v4 as sdk_assoc

from sandbox import DEFAULT_PORTAL_DIR, build_portal, read_fixture_dir

FIXTURE = read_fixture_dir(DEFAULT_PORTAL_DIR)
LIVE_CONTACTS = [c for c in FIXTURE["contacts"] if not c.get("archived")]
LIVE_CONTACT_IDS = sorted((c["id"] for c in LIVE_CONTACTS), key=int)
ARCHIVED_CONTACT_IDS = sorted((c["id"] for c in FIXTURE["contacts"] if c.get("archived")), key=int)
DEAL_IDS = sorted((d["id"] for d in FIXTURE["deals"] if not d.get("archived")), key=int)
CUSTOM_STAGE = "1047290193"


# -- helpers ---------------------------------------------------------------------------------------

def sdk(url: str, token: str) -> HubSpot:
    return HubSpot(access_token=token, host=url, client_side_validation=True)


def strict(model: type, **fields: Any) -> Any:
    """A request model built under its package's Configuration with validation on."""
    package = model.__module__.split(".models.")[0]
    config = importlib.import_module(f"{package}.configuration").Configuration()
    config.client_side_validation = True
    return model(**fields, local_vars_configuration=config)


def error_body(exc: Any) -> dict[str, Any]:
    body = exc.body.decode() if isinstance(exc.body, bytes) else exc.body
    return json.loads(body)


def deals_of_contact(contact_id: str) -> list[str]:
    """The deals the fixture associates with a contact (deals.json holds the deal -> contact side)."""
    linked = lambda deal: deal.get("associations", {}).get("contacts", {}).get("results", [])  # noqa: E731
    return sorted(d["id"] for d in FIXTURE["deals"] if any(c["id"] == contact_id for c in linked(d)))


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def walk_pages(get_page: Any, limit: int, **kwargs: Any) -> tuple[list[Any], int]:
    """Every record behind a paged SDK call, following paging.next.after until paging is None."""
    seen, pages, after = [], 0, None
    while True:
        page = get_page(limit=limit, after=after, **kwargs)
        pages += 1
        seen += page.results
        if page.paging is None:
            return seen, pages
        assert page.paging.next is not None and isinstance(page.paging.next.after, str)
        after = page.paging.next.after
        assert pages < 100, "paging does not terminate"


def search(client: HubSpot, *, filters: list[dict[str, Any]] | None = None,
           groups: list[list[dict[str, Any]]] | None = None, sorts: list[str] | None = None,
           properties: list[str] | None = None, limit: int = 200, after: str | None = None) -> Any:
    groups = groups if groups is not None else ([filters] if filters else [])
    request = strict(
        sdk_contacts.PublicObjectSearchRequest,
        filter_groups=[strict(sdk_contacts.FilterGroup, filters=[strict(sdk_contacts.Filter, **f) for f in group])
                       for group in groups],
        sorts=sorts or [], properties=properties or ["email", "lifecyclestage"], limit=limit, after=after)
    return client.crm.contacts.search_api.do_search(public_object_search_request=request)


def search_all(client: HubSpot, **kwargs: Any) -> tuple[list[Any], int]:
    results, after, total = [], None, None
    while True:
        page = search(client, after=after, **kwargs)
        total = page.total if total is None else total
        assert page.total == total
        results += page.results
        if page.paging is None:
            return results, total
        after = page.paging.next.after


@pytest.fixture(scope="module")
def client(default_sandbox: Any) -> HubSpot:
    return sdk(default_sandbox.url, default_sandbox.token)


@pytest.fixture
def writable(serve: Any) -> HubSpot:
    api = serve(build_portal())
    return sdk(api.url, api.server.token)


# -- the harness itself ----------------------------------------------------------------------------

def test_client_side_validation_is_really_on(client: HubSpot) -> None:
    """The HubSpot(...) keyword reaches the Configuration, and a reply lacking a required field raises."""
    api_client = client.crm.contacts.basic_api.api_client
    assert api_client.configuration.client_side_validation is True
    assert api_client.client_side_validation is True

    class Reply:  # what ApiClient.deserialize reads: the raw body in .data
        data = json.dumps({"id": "1", "properties": {}, "createdAt": "2026-01-01T00:00:00.000Z"})

    with pytest.raises(ValueError, match="updated_at"):
        api_client.deserialize(Reply(), "SimplePublicObject")
    # and the SDK's default (validation off) would have let it through
    lenient = sdk_contacts.ApiClient(sdk_contacts.Configuration())
    assert lenient.deserialize(Reply(), "SimplePublicObject").updated_at is None
    # our request models validate too
    with pytest.raises(ValueError, match="properties_with_history"):
        strict(sdk_contacts.BatchReadInputSimplePublicObjectId, inputs=[], properties=[])


# -- objects: list and paging -----------------------------------------------------------------------

@pytest.mark.parametrize("limit", [7, 100])
def test_contacts_get_page_walks_every_live_contact_once(client: HubSpot, limit: int) -> None:
    records, pages = walk_pages(client.crm.contacts.basic_api.get_page, limit,
                                properties=["email", "lifecyclestage", "not_a_property"])
    ids = [r.id for r in records]
    assert ids == LIVE_CONTACT_IDS
    assert pages == -(-len(LIVE_CONTACT_IDS) // limit)
    by_id = {c["id"]: c for c in LIVE_CONTACTS}
    for r in records:
        assert isinstance(r, sdk_contacts.SimplePublicObjectWithAssociations)
        assert r.properties["email"] == by_id[r.id]["properties"]["email"]
        assert r.properties["lifecyclestage"] == by_id[r.id]["properties"]["lifecyclestage"]
        assert r.properties["hs_object_id"] == r.id
        assert {"createdate", "lastmodifieddate"} <= set(r.properties)
        assert "not_a_property" not in r.properties
        assert r.archived is False and r.created_at.tzinfo is not None and r.updated_at >= r.created_at


def test_contacts_get_all_helper_returns_the_same_ids(client: HubSpot) -> None:
    records = client.crm.contacts.get_all(properties=["email"])
    assert [r.id for r in records] == LIVE_CONTACT_IDS
    limited = client.crm.contacts.get_all(limit=5)
    assert [r.id for r in limited] == LIVE_CONTACT_IDS[:5]


def test_archived_listing_returns_only_archived(client: HubSpot) -> None:
    assert ARCHIVED_CONTACT_IDS, "the default portal should hold an archived contact"
    page = client.crm.contacts.basic_api.get_page(limit=100, archived=True)
    assert [r.id for r in page.results] == ARCHIVED_CONTACT_IDS
    assert all(r.archived is True and r.archived_at is not None for r in page.results)
    assert page.paging is None


def test_deals_through_the_generic_objects_api(client: HubSpot) -> None:
    records, _ = walk_pages(lambda **kw: client.crm.objects.basic_api.get_page("deals", **kw), 10,
                            properties=["dealname", "amount", "dealstage", "pipeline"])
    assert [r.id for r in records] == DEAL_IDS
    by_id = {d["id"]: d for d in FIXTURE["deals"]}
    for r in records:
        assert isinstance(r, sdk_objects.SimplePublicObjectWithAssociations)
        assert r.properties["dealname"] == by_id[r.id]["properties"]["dealname"]
        assert r.properties["dealstage"] == by_id[r.id]["properties"]["dealstage"]
        assert "hs_lastmodifieddate" in r.properties and "lastmodifieddate" not in r.properties
    assert [r.id for r in client.crm.deals.get_all()] == DEAL_IDS


@pytest.mark.parametrize("object_type", ["companies", "calls", "emails", "meetings", "tasks"])
def test_other_object_types_list_and_their_properties_deserialise(client: HubSpot, object_type: str) -> None:
    expected = sorted((r["id"] for r in FIXTURE.get(object_type, []) if not r.get("archived")), key=int)
    assert expected, f"the default portal has no {object_type}"
    records, _ = walk_pages(lambda **kw: client.crm.objects.basic_api.get_page(object_type, **kw), 100,
                            associations=["contacts"])
    assert [r.id for r in records] == expected
    assert all(r.properties["hs_object_id"] == r.id and "hs_lastmodifieddate" in r.properties for r in records)
    definitions = client.crm.properties.core_api.get_all(object_type).results
    assert all(isinstance(p, sdk_properties.ModelProperty) for p in definitions)
    assert {"hs_object_id", "hs_lastmodifieddate"} <= {p.name for p in definitions}


# -- objects: read with history and associations ----------------------------------------------------

def test_read_with_history_and_associations(client: HubSpot) -> None:
    fixture = next(c for c in LIVE_CONTACTS if c["id"] == "101")
    record = client.crm.contacts.basic_api.get_by_id(
        "101", properties=["email", "lifecyclestage"], properties_with_history=["lifecyclestage"],
        associations=["deals", "companies"])
    assert isinstance(record, sdk_contacts.SimplePublicObjectWithAssociations)
    assert record.properties["lifecyclestage"] == fixture["properties"]["lifecyclestage"]

    history = record.properties_with_history["lifecyclestage"]
    assert all(isinstance(h, sdk_contacts.ValueWithTimestamp) for h in history)
    expected = fixture["propertiesWithHistory"]["lifecyclestage"]
    assert [(h.value, h.source_type) for h in history] == [(e["value"], e["sourceType"]) for e in expected]
    assert [h.timestamp for h in history] == sorted((h.timestamp for h in history), reverse=True)  # newest first
    assert history[0].value == record.properties["lifecyclestage"]
    assert history[0].source_id == "userId:1001" and history[0].updated_by_user_id == 1001

    companies = record.associations["companies"].results
    assert all(isinstance(a, sdk_contacts.AssociatedId) for a in companies)
    assert {(a.id, a.type) for a in companies} == {("201", "contact_to_company"),
                                                   ("201", "contact_to_company_unlabeled")}
    deal_ids = deals_of_contact("101")
    deals = record.associations["deals"].results
    assert deal_ids and sorted(a.id for a in deals) == deal_ids
    assert {a.type for a in deals} == {"contact_to_deal"}


def test_get_unknown_id_raises_404(client: HubSpot) -> None:
    with pytest.raises(sdk_contacts.ApiException) as info:
        client.crm.contacts.basic_api.get_by_id("999999")
    assert info.value.status == 404
    body = error_body(info.value)
    assert body["category"] == "OBJECT_NOT_FOUND" and body["correlationId"] and body["message"]
    assert body["context"] == {"id": ["999999"]}


# -- search ---------------------------------------------------------------------------------------

def _ids(records: list[Any]) -> list[str]:
    return [r.id for r in records]


def test_search_eq_and_in(client: HubSpot) -> None:
    page = search(client, filters=[{"property_name": "lifecyclestage", "operator": "EQ", "value": "customer"}])
    assert isinstance(page, sdk_contacts.CollectionResponseWithTotalSimplePublicObjectForwardPaging)
    expected = [c["id"] for c in LIVE_CONTACTS if c["properties"].get("lifecyclestage") == "customer"]
    assert page.total == len(expected) and sorted(_ids(page.results), key=int) == sorted(expected, key=int)
    assert page.paging is None
    assert all(r.properties["lifecyclestage"] == "customer" for r in page.results)

    wanted = {"lead", CUSTOM_STAGE}
    page = search(client, filters=[{"property_name": "lifecyclestage", "operator": "IN", "values": sorted(wanted)}])
    expected = [c["id"] for c in LIVE_CONTACTS if c["properties"].get("lifecyclestage") in wanted]
    assert page.total == len(expected) and set(_ids(page.results)) == set(expected)


def test_search_gte_between_has_property_and_or_groups(client: HubSpot) -> None:
    created = sorted(ms(c["properties"]["createdate"]) for c in LIVE_CONTACTS)
    low, high = created[10], created[40]
    page = search(client, filters=[{"property_name": "createdate", "operator": "GTE", "value": str(low)}])
    assert set(_ids(page.results)) == {c["id"] for c in LIVE_CONTACTS if ms(c["properties"]["createdate"]) >= low}

    page = search(client, filters=[{"property_name": "createdate", "operator": "BETWEEN",
                                    "value": str(low), "high_value": str(high)}])
    assert set(_ids(page.results)) == {c["id"] for c in LIVE_CONTACTS
                                       if low <= ms(c["properties"]["createdate"]) <= high}
    assert page.total == sum(1 for t in created if low <= t <= high) >= 31

    page = search(client, filters=[{"property_name": "phone", "operator": "HAS_PROPERTY"}], properties=["phone"])
    with_phone = {c["id"] for c in LIVE_CONTACTS if c["properties"].get("phone")}
    assert page.total == len(with_phone) and set(_ids(page.results)) == with_phone
    assert all(r.properties["phone"] for r in page.results)

    page = search(client, groups=[[{"property_name": "lifecyclestage", "operator": "EQ", "value": "evangelist"}],
                                  [{"property_name": "lifecyclestage", "operator": "EQ", "value": "other"},
                                   {"property_name": "phone", "operator": "HAS_PROPERTY"}]])
    assert set(_ids(page.results)) == {
        c["id"] for c in LIVE_CONTACTS if c["properties"].get("lifecyclestage") == "evangelist"
        or (c["properties"].get("lifecyclestage") == "other" and c["properties"].get("phone"))}


def test_search_paging_and_string_sorts(client: HubSpot) -> None:
    created = {c["id"]: ms(c["properties"]["createdate"]) for c in LIVE_CONTACTS}
    results, total = search_all(client, sorts=["-createdate"], limit=7)
    assert total == len(LIVE_CONTACT_IDS)
    assert sorted(_ids(results), key=int) == LIVE_CONTACT_IDS  # each live contact exactly once
    stamps = [created[r.id] for r in results]
    assert stamps == sorted(stamps, reverse=True)  # newest first (ties in any order)
    assert all(ms(r.properties["createdate"]) == created[r.id] for r in results)
    first = search(client, sorts=["-createdate"], limit=7)
    assert first.paging.next.after == "7"  # search cursors are offsets, as strings

    results, _ = search_all(client, sorts=["lastmodifieddate"], limit=200, properties=["email"])
    stamps = [ms(r.properties["lastmodifieddate"]) for r in results]
    assert stamps == sorted(stamps) and len(results) == len(LIVE_CONTACT_IDS)
    # archived contacts never show up in search
    assert not set(ARCHIVED_CONTACT_IDS) & set(_ids(results))


def test_search_over_the_limit_is_a_validation_error(client: HubSpot) -> None:
    with pytest.raises(sdk_contacts.ApiException) as info:
        search(client, limit=201)
    assert info.value.status == 400
    body = error_body(info.value)
    assert body["category"] == "VALIDATION_ERROR" and body["correlationId"] and body["message"]


# -- batch -----------------------------------------------------------------------------------------

def test_batch_read(client: HubSpot) -> None:
    ids = ["101", "105", "150"]
    request = strict(sdk_contacts.BatchReadInputSimplePublicObjectId,
                     inputs=[strict(sdk_contacts.SimplePublicObjectId, id=i) for i in ids],
                     properties=["email"], properties_with_history=[])
    reply = client.crm.contacts.batch_api.read(batch_read_input_simple_public_object_id=request)
    assert isinstance(reply, sdk_contacts.BatchResponseSimplePublicObject)
    assert reply.status == "COMPLETE" and reply.completed_at >= reply.started_at
    emails = {c["id"]: c["properties"]["email"] for c in LIVE_CONTACTS}
    assert {r.id: r.properties["email"] for r in reply.results} == {i: emails[i] for i in ids}

    request = strict(sdk_contacts.BatchReadInputSimplePublicObjectId,
                     inputs=[strict(sdk_contacts.SimplePublicObjectId, id="101")],
                     properties=["email"], properties_with_history=["lifecyclestage"])
    reply = client.crm.contacts.batch_api.read(batch_read_input_simple_public_object_id=request)
    history = reply.results[0].properties_with_history["lifecyclestage"]
    assert all(isinstance(h, sdk_contacts.ValueWithTimestamp) for h in history)
    expected = next(c for c in LIVE_CONTACTS if c["id"] == "101")["propertiesWithHistory"]["lifecyclestage"]
    assert [h.value for h in history] == [e["value"] for e in expected]


def test_batch_read_with_a_missing_id_is_207_with_errors(client: HubSpot) -> None:
    request = strict(sdk_contacts.BatchReadInputSimplePublicObjectId,
                     inputs=[strict(sdk_contacts.SimplePublicObjectId, id=i) for i in ("101", "999999")],
                     properties=["email"], properties_with_history=[])
    reply, status, _ = client.crm.contacts.batch_api.read_with_http_info(
        batch_read_input_simple_public_object_id=request)
    assert status == 207
    assert isinstance(reply, sdk_contacts.BatchResponseSimplePublicObjectWithErrors)
    assert [r.id for r in reply.results] == ["101"]
    assert reply.num_errors == 1 and reply.status == "COMPLETE"
    error = reply.errors[0]
    assert isinstance(error, sdk_contacts.StandardError)
    assert error.category == "OBJECT_NOT_FOUND" and error.context == {"ids": ["999999"]}
    assert "CONTACT" in error.message


def test_batch_update_reads_back_and_reports_unknown_ids(writable: HubSpot) -> None:
    batch = writable.crm.contacts.batch_api
    update = strict(sdk_contacts.BatchInputSimplePublicObjectBatchInput, inputs=[
        strict(sdk_contacts.SimplePublicObjectBatchInput, id="101", properties={"jobtitle": "Chief Sync Officer"}),
        strict(sdk_contacts.SimplePublicObjectBatchInput, id="102", properties={"city": "Lisbon"})])
    reply, status, _ = batch.update_with_http_info(batch_input_simple_public_object_batch_input=update)
    assert status == 200 and isinstance(reply, sdk_contacts.BatchResponseSimplePublicObject)
    assert {r.id: (r.properties.get("jobtitle"), r.properties.get("city")) for r in reply.results} == {
        "101": ("Chief Sync Officer", None), "102": (None, "Lisbon")}
    read = strict(sdk_contacts.BatchReadInputSimplePublicObjectId,
                  inputs=[strict(sdk_contacts.SimplePublicObjectId, id=i) for i in ("101", "102")],
                  properties=["jobtitle", "city"], properties_with_history=[])
    back = {r.id: r.properties for r in batch.read(batch_read_input_simple_public_object_id=read).results}
    assert back["101"]["jobtitle"] == "Chief Sync Officer" and back["102"]["city"] == "Lisbon"

    # an unknown id: the SDK does not raise on 207, it answers the ...WithErrors model
    update = strict(sdk_contacts.BatchInputSimplePublicObjectBatchInput, inputs=[
        strict(sdk_contacts.SimplePublicObjectBatchInput, id="103", properties={"city": "Porto"}),
        strict(sdk_contacts.SimplePublicObjectBatchInput, id="999999", properties={"city": "Nowhere"})])
    reply, status, _ = batch.update_with_http_info(batch_input_simple_public_object_batch_input=update)
    assert status == 207
    assert isinstance(reply, sdk_contacts.BatchResponseSimplePublicObjectWithErrors)
    assert reply.status == "COMPLETE" and reply.num_errors == 1
    assert [(r.id, r.properties["city"]) for r in reply.results] == [("103", "Porto")]
    assert reply.errors[0].category == "OBJECT_NOT_FOUND"
    assert reply.errors[0].context == {"ids": ["999999"]}
    # the plain method returns the same model (no exception)
    plain = batch.update(batch_input_simple_public_object_batch_input=update)
    assert isinstance(plain, sdk_contacts.BatchResponseSimplePublicObjectWithErrors)


# -- basic create / update / archive ----------------------------------------------------------------

def test_create_update_archive(writable: HubSpot) -> None:
    basic = writable.crm.contacts.basic_api
    created, status, _ = basic.create_with_http_info(simple_public_object_input_for_create=strict(
        sdk_contacts.SimplePublicObjectInputForCreate,
        properties={"email": "sdk.user@example.com", "firstname": "Sdk", "lifecyclestage": "lead"},
        associations=[]))
    assert status == 201 and isinstance(created, sdk_contacts.SimplePublicObject)
    assert created.id.isdigit() and created.id not in LIVE_CONTACT_IDS
    assert created.properties["email"] == "sdk.user@example.com" and created.properties["hs_object_id"] == created.id
    assert created.archived is False

    updated = basic.update(created.id, simple_public_object_input=strict(
        sdk_contacts.SimplePublicObjectInput, properties={"firstname": "Updated"}))
    assert isinstance(updated, sdk_contacts.SimplePublicObject)
    assert updated.properties["firstname"] == "Updated" and updated.updated_at >= created.updated_at
    assert basic.get_by_id(created.id, properties=["firstname"]).properties["firstname"] == "Updated"

    # with inline associations (deal -> contact is type 3)
    deal = writable.crm.deals.basic_api.create(simple_public_object_input_for_create=strict(
        sdk_deals.SimplePublicObjectInputForCreate,
        properties={"dealname": "SDK deal", "pipeline": "default", "dealstage": "appointmentscheduled"},
        associations=[{"to": {"id": created.id},
                       "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}]}]))
    linked = basic.get_by_id(created.id, associations=["deals"])
    assert [(a.id, a.type) for a in linked.associations["deals"].results] == [(deal.id, "contact_to_deal")]

    result, status, _ = basic.archive_with_http_info(created.id)
    assert result is None and status == 204
    with pytest.raises(sdk_contacts.ApiException) as info:
        basic.get_by_id(created.id)
    assert info.value.status == 404
    archived = basic.get_by_id(created.id, archived=True)
    assert archived.archived is True and archived.archived_at is not None


def test_batch_create_and_archive(writable: HubSpot) -> None:
    batch = writable.crm.contacts.batch_api
    create = strict(sdk_contacts.BatchInputSimplePublicObjectBatchInputForCreate, inputs=[
        strict(sdk_contacts.SimplePublicObjectBatchInputForCreate, properties={"email": f"batch{i}@example.com"},
               associations=[]) for i in range(3)])
    reply, status, _ = batch.create_with_http_info(batch_input_simple_public_object_batch_input_for_create=create)
    assert status == 201 and isinstance(reply, sdk_contacts.BatchResponseSimplePublicObject)
    assert sorted(r.properties["email"] for r in reply.results) == [f"batch{i}@example.com" for i in range(3)]
    ids = [r.id for r in reply.results]
    assert len(set(ids)) == 3 and not set(ids) & set(LIVE_CONTACT_IDS)

    archive = strict(sdk_contacts.BatchInputSimplePublicObjectId,
                     inputs=[strict(sdk_contacts.SimplePublicObjectId, id=i) for i in ids[:2]])
    result, status, _ = batch.archive_with_http_info(batch_input_simple_public_object_id=archive)
    assert result is None and status == 204
    read = strict(sdk_contacts.BatchReadInputSimplePublicObjectId,
                  inputs=[strict(sdk_contacts.SimplePublicObjectId, id=i) for i in ids],
                  properties=["email"], properties_with_history=[])
    left = batch.read(batch_read_input_simple_public_object_id=read)
    assert [r.id for r in left.results] == [ids[2]] and left.errors[0].context == {"ids": ids[:2]}


def test_merge(writable: HubSpot) -> None:
    merged = writable.crm.contacts.basic_api.merge(public_merge_input=strict(
        sdk_contacts.PublicMergeInput, primary_object_id="101", object_id_to_merge="102"))
    assert isinstance(merged, sdk_contacts.SimplePublicObject) and merged.id == "101"
    assert "102" in (merged.properties.get("hs_merged_object_ids") or "").split(";")


# -- properties and groups --------------------------------------------------------------------------

def test_properties_get_all_and_get_by_name(client: HubSpot) -> None:
    core = client.crm.properties.core_api
    reply = core.get_all("contacts")
    assert isinstance(reply, sdk_properties.CollectionResponsePropertyNoPaging)
    assert all(isinstance(p, sdk_properties.ModelProperty) for p in reply.results)
    by_name = {p.name: p for p in reply.results}
    assert {"email", "firstname", "lifecyclestage", "hs_object_id", "createdate", "lastmodifieddate"} <= set(by_name)
    stage = by_name["lifecyclestage"]
    assert stage.type == "enumeration"
    options = {o.value: o for o in stage.options}
    assert CUSTOM_STAGE in options and options[CUSTOM_STAGE].label == "Product Qualified Lead"
    assert {"subscriber", "lead", "customer", "evangelist", "other"} <= set(options)

    email = core.get_by_name("contacts", "email")
    assert isinstance(email, sdk_properties.ModelProperty)
    assert (email.name, email.type, email.group_name) == ("email", "string", "contactinformation")
    with pytest.raises(sdk_properties.ApiException) as info:
        core.get_by_name("contacts", "no_such_property")
    assert info.value.status == 404

    groups = client.crm.properties.groups_api.get_all("contacts")
    assert isinstance(groups, sdk_properties.CollectionResponsePropertyGroupNoPaging)
    assert "contactinformation" in {g.name for g in groups.results}
    assert all(isinstance(g, sdk_properties.PropertyGroup) and g.archived is False for g in groups.results)
    deal_props = {p.name for p in core.get_all("deals").results}
    assert {"dealname", "amount", "dealstage", "pipeline", "hs_lastmodifieddate"} <= deal_props


def test_group_and_property_create_then_conflict(writable: HubSpot) -> None:
    groups, core = writable.crm.properties.groups_api, writable.crm.properties.core_api
    group = groups.create("contacts", property_group_create=strict(
        sdk_properties.PropertyGroupCreate, name="sync_meta", label="Sync metadata", display_order=3))
    assert isinstance(group, sdk_properties.PropertyGroup)
    assert (group.name, group.label, group.display_order, group.archived) == ("sync_meta", "Sync metadata", 3, False)

    create = strict(sdk_properties.PropertyCreate, name="sync_tier", label="Sync tier", type="enumeration",
                    field_type="select", group_name="sync_meta",
                    options=[strict(sdk_properties.OptionInput, label=label, value=label.lower(), hidden=False,
                                    display_order=i) for i, label in enumerate(["Gold", "Silver"])])
    prop, status, headers = core.create_with_http_info("contacts", property_create=create)
    assert status == 201
    assert isinstance(prop, sdk_properties.ModelProperty)
    assert (prop.name, prop.type, prop.field_type, prop.group_name) == (
        "sync_tier", "enumeration", "select", "sync_meta")
    assert [o.value for o in prop.options] == ["gold", "silver"]
    assert prop.hubspot_defined is False and prop.modification_metadata.archivable is True
    assert headers["Location"].endswith("/crm/v3/properties/contacts/sync_tier")
    assert core.get_by_name("contacts", "sync_tier").label == "Sync tier"

    with pytest.raises(sdk_properties.ApiException) as info:
        core.create("contacts", property_create=create)
    assert info.value.status == 409
    assert error_body(info.value)["category"] == "OBJECT_ALREADY_EXISTS"
    patched = core.update("contacts", "sync_tier", property_update=strict(
        sdk_properties.PropertyUpdate, label="Sync tier (renamed)"))
    assert isinstance(patched, sdk_properties.ModelProperty) and patched.label == "Sync tier (renamed)"
    with pytest.raises(sdk_properties.ApiException) as info:
        groups.create("contacts", property_group_create=strict(
            sdk_properties.PropertyGroupCreate, name="sync_meta", label="Again"))
    assert info.value.status == 409


# -- pipelines and owners ---------------------------------------------------------------------------

def test_pipelines(client: HubSpot) -> None:
    api = client.crm.pipelines.pipelines_api
    reply = api.get_all("deals")
    assert isinstance(reply, sdk_pipelines.CollectionResponsePipelineNoPaging)
    assert [p.id for p in reply.results] == [p["id"] for p in FIXTURE["pipelines"]["results"]]
    assert {"default", "75483921"} <= {p.id for p in reply.results}
    default = next(p for p in reply.results if p.id == "default")
    assert all(isinstance(s, sdk_pipelines.PipelineStage) for s in default.stages)
    stages = {s.id: s for s in default.stages}
    assert stages["closedwon"].metadata == {"isClosed": "true", "probability": "1.0"}
    assert stages["appointmentscheduled"].metadata["probability"] == "0.2"
    for pipeline in reply.results:
        for stage in pipeline.stages:
            assert all(isinstance(v, str) for v in stage.metadata.values())
    assert [s.display_order for s in default.stages] == sorted(s.display_order for s in default.stages)

    one = api.get_by_id("deals", "75483921")
    assert isinstance(one, sdk_pipelines.Pipeline) and one.id == "75483921" and one.stages
    with pytest.raises(sdk_pipelines.ApiException) as info:
        api.get_by_id("deals", "no-such-pipeline")
    assert info.value.status == 404
    stages_reply = client.crm.pipelines.pipeline_stages_api.get_all("deals", "default")
    assert [s.id for s in stages_reply.results] == [s.id for s in default.stages]


def test_owners(client: HubSpot) -> None:
    api = client.crm.owners.owners_api
    page = api.get_page()
    assert isinstance(page, sdk_owners.CollectionResponsePublicOwnerForwardPaging)
    assert [o.id for o in page.results] == ["9001", "9002", "9003"]
    assert page.paging is None
    first = page.results[0]
    assert isinstance(first, sdk_owners.PublicOwner)
    assert (first.email, first.first_name, first.user_id, first.type) == (
        "daniel.okafor@brightwave.io", "Daniel", 1001, "PERSON")
    assert first.teams[0].name and first.teams[0].primary is True

    walked, pages = walk_pages(api.get_page, 2)
    assert [o.id for o in walked] == ["9001", "9002", "9003"] and pages == 2
    by_email = api.get_page(email="DANIEL.OKAFOR@brightwave.io")
    assert [o.id for o in by_email.results] == ["9001"]

    owner = api.get_by_id(9002)
    assert isinstance(owner, sdk_owners.PublicOwner) and owner.id == "9002"
    assert api.get_by_id(1001, id_property="userId").id == "9001"
    with pytest.raises(sdk_owners.ApiException) as info:
        api.get_by_id(12345)
    assert info.value.status == 404
    assert [o.id for o in client.crm.owners.get_all()] == ["9001", "9002", "9003"]


# -- custom object schemas --------------------------------------------------------------------------

def _kpi_schema() -> Any:
    return strict(
        sdk_schemas.ObjectSchemaEgg, name="kpi_snapshot",
        labels=strict(sdk_schemas.ObjectTypeDefinitionLabels, singular="KPI snapshot", plural="KPI snapshots"),
        primary_display_property="snapshot_key", required_properties=["snapshot_key"],
        searchable_properties=["snapshot_key"], secondary_display_properties=[],
        associated_objects=["CONTACT"],
        properties=[
            strict(sdk_schemas.ObjectTypePropertyCreate, name="snapshot_key", label="Snapshot key",
                   type="string", field_type="text", has_unique_value=True),
            strict(sdk_schemas.ObjectTypePropertyCreate, name="mql_count", label="MQL count",
                   type="number", field_type="number"),
        ])


def test_schema_create_read_and_records(writable: HubSpot) -> None:
    core = writable.crm.schemas.core_api
    schema, status, _ = core.create_with_http_info(object_schema_egg=_kpi_schema())
    assert status == 201 and isinstance(schema, sdk_schemas.ObjectSchema)
    portal_id = FIXTURE["account"]["portalId"]
    assert schema.object_type_id == f"2-{schema.id}"
    assert schema.fully_qualified_name == f"p{portal_id}_kpi_snapshot"
    assert schema.labels.singular == "KPI snapshot"
    assert {p.name for p in schema.properties} >= {"snapshot_key", "mql_count"}
    key = next(p for p in schema.properties if p.name == "snapshot_key")
    assert key.has_unique_value is True

    listed = core.get_all()
    assert isinstance(listed, sdk_schemas.CollectionResponseObjectSchemaNoPaging)
    assert [s.object_type_id for s in listed.results] == [schema.object_type_id]
    assert core.get_by_id(schema.object_type_id).name == "kpi_snapshot"
    assert core.get_by_id(schema.fully_qualified_name).id == schema.id

    objects = writable.crm.objects
    upsert = strict(sdk_objects.BatchInputSimplePublicObjectBatchInputUpsert, inputs=[
        strict(sdk_objects.SimplePublicObjectBatchInputUpsert, id="2026-W01", id_property="snapshot_key",
               properties={"mql_count": "12", "snapshot_key": "2026-W01"}, object_write_trace_id="a"),
        strict(sdk_objects.SimplePublicObjectBatchInputUpsert, id="2026-W02", id_property="snapshot_key",
               properties={"mql_count": "15"}, object_write_trace_id="b")])
    reply = objects.batch_api.upsert(schema.object_type_id, batch_input_simple_public_object_batch_input_upsert=upsert)
    assert isinstance(reply, sdk_objects.BatchResponseSimplePublicUpsertObject)
    assert all(isinstance(r, sdk_objects.SimplePublicUpsertObject) and r.new is True for r in reply.results)
    # the id property comes back only when it was sent inside properties; the trace id always (API notes §1a)
    assert {r.object_write_trace_id: _sent_back(r) for r in reply.results} == {
        "a": {"snapshot_key": "2026-W01", "mql_count": "12"}, "b": {"mql_count": "15"}}

    again = strict(sdk_objects.BatchInputSimplePublicObjectBatchInputUpsert, inputs=[
        strict(sdk_objects.SimplePublicObjectBatchInputUpsert, id="2026-W01", id_property="snapshot_key",
               properties={"mql_count": "13"})])
    reply = objects.batch_api.upsert(schema.fully_qualified_name,
                                     batch_input_simple_public_object_batch_input_upsert=again)
    assert [(r.new, r.properties["mql_count"]) for r in reply.results] == [(False, "13")]

    page = objects.basic_api.get_page(schema.object_type_id, properties=["snapshot_key", "mql_count"])
    assert sorted((r.properties["snapshot_key"], r.properties["mql_count"]) for r in page.results) == [
        ("2026-W01", "13"), ("2026-W02", "15")]
    assert all("hs_lastmodifieddate" in r.properties and r.properties["hs_object_id"] == r.id for r in page.results)
    one = objects.basic_api.get_by_id(schema.object_type_id, "2026-W02", id_property="snapshot_key",
                                      properties=["mql_count"])
    assert one.properties["mql_count"] == "15"
    created = objects.basic_api.create(schema.object_type_id, simple_public_object_input_for_create=strict(
        sdk_objects.SimplePublicObjectInputForCreate, properties={"snapshot_key": "2026-W03", "mql_count": "9"},
        associations=[]))
    assert created.properties["snapshot_key"] == "2026-W03"

    with pytest.raises(sdk_schemas.ApiException) as info:
        core.create(object_schema_egg=_kpi_schema())
    assert info.value.status == 409


def _sent_back(record: Any) -> dict[str, str]:
    """An answer's properties without the three every answer carries, whatever was sent (API notes §3)."""
    return {k: v for k, v in record.properties.items()
            if k not in ("hs_object_id", "hs_createdate", "hs_lastmodifieddate")}


def test_schema_associations_follow_associated_objects(writable: HubSpot) -> None:
    """associatedObjects=["CONTACT"] gives the schema an association definition to contacts (0-1).

    HubSpot's create-schema reference answers ``"associations": [{"id": "123", "fromObjectTypeId": "2-123456",
    "toObjectTypeId": "0-1", "name": "my_object_to_contact"}]`` for ``"associatedObjects": ["CONTACT"]``.
    """
    schema = writable.crm.schemas.core_api.create(object_schema_egg=_kpi_schema())
    assert schema.associations, "ObjectSchema.associations is empty although associatedObjects=['CONTACT']"
    assert all(isinstance(a, sdk_schemas.AssociationDefinition) for a in schema.associations)
    pairs = {(a.from_object_type_id, a.to_object_type_id, a.name) for a in schema.associations}
    assert (schema.object_type_id, "0-1", "kpi_snapshot_to_contact") in pairs
    assert all(a.id for a in schema.associations)
    assert writable.crm.schemas.core_api.get_by_id(schema.object_type_id).associations == schema.associations


def test_schema_create_without_custom_objects_is_403(serve: Any) -> None:
    api = serve(build_portal(), custom_objects=False)
    client = sdk(api.url, api.server.token)
    with pytest.raises(sdk_schemas.ApiException) as info:
        client.crm.schemas.core_api.create(object_schema_egg=_kpi_schema())
    assert info.value.status == 403
    body = error_body(info.value)
    assert body["category"] and body["correlationId"] and body["message"]
    assert client.crm.schemas.core_api.get_all().results == []


def test_schema_on_the_dated_path_takes_the_2026_03_body(writable: HubSpot) -> None:
    """The SDK's generated classes hard-code ``/crm-object-schemas/v3``; its ``ApiClient.call_api`` takes the path,
    so the dated one goes through the SDK's own transport, auth and models (answers validated as ObjectSchema).

    The 2026-03 ObjectSchemaEgg requires allowsSensitiveProperties, searchableProperties,
    secondaryDisplayProperties and shouldCreateSameObjectAssociation besides v3's five; the SDK's v3 model has no
    field for two of them, so the body is its serialisation plus those two.
    """
    api_client = writable.crm.schemas.core_api.api_client
    path = "/crm-object-schemas/2026-03/schemas"

    def call(method: str, answer: str, body: Any = None) -> Any:
        return api_client.call_api(path, method, body=body, response_types_map={200: answer, 201: answer},
                                   header_params={"Accept": "application/json", "Content-Type": "application/json"},
                                   auth_settings=["oauth2"], _return_http_data_only=False)

    v3_body = api_client.sanitize_for_serialization(_kpi_schema())
    with pytest.raises(sdk_schemas.ApiException) as info:
        call("POST", "ObjectSchema", v3_body)
    assert info.value.status == 400
    message = error_body(info.value)["message"]
    assert "allowsSensitiveProperties" in message and "shouldCreateSameObjectAssociation" in message
    schema, status, _ = call("POST", "ObjectSchema", {**v3_body, "allowsSensitiveProperties": False,
                                                      "shouldCreateSameObjectAssociation": False})
    assert status == 201 and isinstance(schema, sdk_schemas.ObjectSchema)
    assert schema.object_type_id == f"2-{schema.id}" and schema.searchable_properties == ["snapshot_key"]
    listed, status, _ = call("GET", "CollectionResponseObjectSchemaNoPaging")
    assert status == 200 and [s.object_type_id for s in listed.results] == [schema.object_type_id]
    assert writable.crm.schemas.core_api.get_by_id(schema.object_type_id).name == "kpi_snapshot"  # one store


# -- associations v4 --------------------------------------------------------------------------------

def test_associations_v4_batch_read(client: HubSpot) -> None:
    request = strict(sdk_assoc.BatchInputPublicFetchAssociationsBatchRequest, inputs=[
        strict(sdk_assoc.PublicFetchAssociationsBatchRequest, id="301"),
        strict(sdk_assoc.PublicFetchAssociationsBatchRequest, id="302")])
    reply = client.crm.associations.v4.batch_api.get_page(
        from_object_type="deals", to_object_type="contacts",
        batch_input_public_fetch_associations_batch_request=request)
    assert isinstance(reply, sdk_assoc.BatchResponsePublicAssociationMultiWithLabel)
    assert reply.status == "COMPLETE"
    got = {r._from.id: sorted(t.to_object_id for t in r.to) for r in reply.results}
    assert got == {"301": ["101", "102"], "302": ["103", "104"]}
    for result in reply.results:
        assert isinstance(result, sdk_assoc.PublicAssociationMultiWithLabel)
        for to in result.to:
            assert isinstance(to, sdk_assoc.MultiAssociatedObjectWithLabel)
            assert [(t.category, t.type_id) for t in to.association_types] == [("HUBSPOT_DEFINED", 3)]


def test_associations_v4_batch_read_with_no_associations_is_207(writable: HubSpot) -> None:
    created = writable.crm.deals.basic_api.create(simple_public_object_input_for_create=strict(
        sdk_deals.SimplePublicObjectInputForCreate,
        properties={"dealname": "Lonely deal", "pipeline": "default", "dealstage": "appointmentscheduled"},
        associations=[]))
    request = strict(sdk_assoc.BatchInputPublicFetchAssociationsBatchRequest, inputs=[
        strict(sdk_assoc.PublicFetchAssociationsBatchRequest, id="301"),
        strict(sdk_assoc.PublicFetchAssociationsBatchRequest, id=created.id)])
    reply, status, _ = writable.crm.associations.v4.batch_api.get_page_with_http_info(
        "deals", "contacts", batch_input_public_fetch_associations_batch_request=request)
    assert status == 207
    assert isinstance(reply, sdk_assoc.BatchResponsePublicAssociationMultiWithLabelWithErrors)
    assert [r._from.id for r in reply.results] == ["301"]
    assert reply.num_errors == 1 and reply.errors[0].context == {"ids": [created.id]}


def test_associations_v4_per_record(client: HubSpot) -> None:
    basic = client.crm.associations.v4.basic_api
    page = basic.get_page("contacts", "101", "deals")
    assert isinstance(page, sdk_assoc.CollectionResponseMultiAssociatedObjectWithLabelForwardPaging)
    deal_ids = deals_of_contact("101")
    assert sorted(r.to_object_id for r in page.results) == deal_ids
    assert all([(t.category, t.type_id) for t in r.association_types] == [("HUBSPOT_DEFINED", 4)]
               for r in page.results)
    companies = basic.get_page("contacts", "101", "companies")
    assert [r.to_object_id for r in companies.results] == ["201"]
    assert sorted(t.type_id for t in companies.results[0].association_types) == [1, 279]

    walked, _ = walk_pages(lambda **kw: basic.get_page("deals", "301", "contacts", **kw), 1)
    assert [r.to_object_id for r in walked] == ["101", "102"]


def test_associations_v4_create_default_labelled_and_archive(writable: HubSpot) -> None:
    v4 = writable.crm.associations.v4.basic_api
    reply = v4.create_default("contacts", "160", "deals", "301")
    assert isinstance(reply, sdk_assoc.BatchResponsePublicDefaultAssociation) and reply.status == "COMPLETE"
    spec = reply.results[0].association_spec
    assert (reply.results[0]._from.id, reply.results[0].to.id) == ("160", "301")
    assert (spec.association_category, spec.association_type_id) == ("HUBSPOT_DEFINED", 4)
    assert "160" in [r.to_object_id for r in v4.get_page("deals", "301", "contacts").results]

    pair = v4.create("contacts", "160", "companies", "205", association_spec=[
        strict(sdk_assoc.AssociationSpec, association_category="HUBSPOT_DEFINED", association_type_id=279)])
    assert isinstance(pair, sdk_assoc.LabelsBetweenObjectPair)
    assert (pair.from_object_id, pair.to_object_id) == ("160", "205")
    # HubSpot answers object type ids here ("0-1", "0-2"), not the names used in the path
    assert (pair.from_object_type_id, pair.to_object_type_id) == ("0-1", "0-2")


def test_associations_v4_archive(writable: HubSpot) -> None:
    v4 = writable.crm.associations.v4.basic_api
    result, status, _ = v4.archive_with_http_info("deals", "301", "contacts", "102")
    assert result is None and status == 204
    assert [r.to_object_id for r in v4.get_page("deals", "301", "contacts").results] == ["101"]
    assert "301" not in [r.to_object_id for r in v4.get_page("contacts", "102", "deals").results]


def test_inline_association_types_carry_hubspots_names(client: HubSpot) -> None:
    """Meetings are ``meeting_event`` in HubSpot's v3 type names; primary and ``_unlabeled`` twins both come back."""
    meeting = client.crm.objects.basic_api.get_by_id("meetings", "601", associations=["contacts", "deals"])
    assert isinstance(meeting, sdk_objects.SimplePublicObjectWithAssociations)
    assert all(isinstance(a, sdk_objects.AssociatedId) for a in meeting.associations["contacts"].results)
    assert {a.type for a in meeting.associations["contacts"].results} == {"meeting_event_to_contact"}
    assert {a.type for a in meeting.associations["deals"].results} == {"meeting_event_to_deal"}
    contact_id = meeting.associations["contacts"].results[0].id
    contact = client.crm.contacts.basic_api.get_by_id(contact_id, associations=["meetings"])
    assert "contact_to_meeting_event" in {a.type for a in contact.associations["meetings"].results}
    deal = client.crm.deals.basic_api.get_by_id("301", associations=["companies"])
    assert {(a.id, a.type) for a in deal.associations["companies"].results} == {
        ("201", "deal_to_company"), ("201", "deal_to_company_unlabeled")}


@pytest.fixture
def crowded(serve: Any) -> HubSpot:
    """A portal whose deal 1 has 1,200 contacts (more than an inline block or a v4 answer carries)."""
    from tests.conftest import mini_portal_data
    data = mini_portal_data(1200)
    data["deals"][0]["associations"] = {"contacts": {"results": [{"id": str(i), "type": "deal_to_contact"}
                                                                 for i in range(1, 1201)]}}
    api = serve(data)
    return sdk(api.url, api.server.token)


def test_inline_associations_past_100_deserialise_with_their_paging(crowded: HubSpot) -> None:
    deal = crowded.crm.deals.basic_api.get_by_id("1", associations=["contacts"])
    block = deal.associations["contacts"]
    assert isinstance(block, sdk_deals.CollectionResponseAssociatedId)
    assert len(block.results) == 100 and block.paging.next.after == "100"


def test_associations_v4_batch_read_of_1000_ids_and_per_result_paging(crowded: HubSpot) -> None:
    batch = crowded.crm.associations.v4.batch_api

    def read(from_type: str, to_type: str, inputs: list[dict[str, str]]) -> Any:
        request = strict(sdk_assoc.BatchInputPublicFetchAssociationsBatchRequest, inputs=[
            strict(sdk_assoc.PublicFetchAssociationsBatchRequest, **i) for i in inputs])
        return batch.get_page(from_type, to_type, batch_input_public_fetch_associations_batch_request=request)

    many = read("contacts", "deals", [{"id": str(i)} for i in range(1, 1001)])
    assert isinstance(many, sdk_assoc.BatchResponsePublicAssociationMultiWithLabel)
    assert sorted((r._from.id for r in many.results), key=int) == [str(i) for i in range(1, 1001)]
    assert all([t.to_object_id for t in r.to] == ["1"] and r.paging is None for r in many.results)

    seen, after, answers = [], None, 0
    while True:
        (result,) = read("deals", "contacts", [{"id": "1", **({"after": after} if after else {})}]).results
        answers += 1
        assert isinstance(result, sdk_assoc.PublicAssociationMultiWithLabel) and len(result.to) <= 500
        seen += [t.to_object_id for t in result.to]
        if result.paging is None:
            break
        after = result.paging.next.after
    assert seen == [str(i) for i in range(1, 1201)] and answers == 3

    walked, pages = walk_pages(lambda **kw: crowded.crm.associations.v4.basic_api.get_page("deals", "1", "contacts",
                                                                                          **kw), 500)
    assert [r.to_object_id for r in walked] == [str(i) for i in range(1, 1201)] and pages == 3


# -- auth ------------------------------------------------------------------------------------------

def test_wrong_token_is_401_invalid_authentication(default_sandbox: Any) -> None:
    bad = sdk(default_sandbox.url, "pat-na1-not-the-token")
    with pytest.raises(sdk_contacts.ApiException) as info:
        bad.crm.contacts.basic_api.get_page(limit=1)
    assert info.value.status == 401
    body = error_body(info.value)
    assert body["category"] == "INVALID_AUTHENTICATION" and body["correlationId"]
    assert body["message"].startswith("Authentication credentials not found")
    assert info.value.headers["X-HubSpot-Auth-Failure"] == "401 Unauthorized"
    with pytest.raises(sdk_owners.ApiException) as info:
        bad.crm.owners.owners_api.get_page()
    assert info.value.status == 401


# -- what HubSpot really does with clears, upserts, definitions and campaigns (issue 15) -------------

def lenient(model: type, **fields: Any) -> Any:
    """A request model built WITHOUT validation: a body HubSpot's spec refuses, sent as the SDK would send it."""
    package = model.__module__.split(".models.")[0]
    config = importlib.import_module(f"{package}.configuration").Configuration()
    config.client_side_validation = False
    return model(**fields, local_vars_configuration=config)


def test_null_changes_nothing_and_an_empty_string_clears_on_update(writable: HubSpot) -> None:
    basic = writable.crm.contacts.basic_api

    def update(**properties: str | None) -> Any:
        return basic.update("101", simple_public_object_input=strict(sdk_contacts.SimplePublicObjectInput,
                                                                     properties=properties))

    set_first = update(jobtitle="Analyst", city="Lisbon")
    kept = update(jobtitle=None)  # JSON null: accepted, and no change at all (API notes §1a)
    assert kept.properties["jobtitle"] == "Analyst" and kept.updated_at == set_first.updated_at
    cleared = update(jobtitle="")
    assert cleared.properties["jobtitle"] == ""  # a cleared value is answered as ""
    read = basic.get_by_id("101", properties=["jobtitle", "city"], properties_with_history=["jobtitle"])
    assert (read.properties["jobtitle"], read.properties["city"]) == ("", "Lisbon")
    assert [h.value for h in read.properties_with_history["jobtitle"]][:2] == ["", "Analyst"]
    again = update(jobtitle="")  # clearing what is already empty changes nothing
    assert again.updated_at == read.updated_at


def test_null_changes_nothing_and_an_empty_string_clears_in_a_batch_update(writable: HubSpot) -> None:
    batch = writable.crm.contacts.batch_api

    def update(*items: tuple[str, dict[str, str | None]]) -> dict[str, dict[str, Any]]:
        request = strict(sdk_contacts.BatchInputSimplePublicObjectBatchInput, inputs=[
            strict(sdk_contacts.SimplePublicObjectBatchInput, id=i, properties=p) for i, p in items])
        reply = batch.update(batch_input_simple_public_object_batch_input=request)
        assert isinstance(reply, sdk_contacts.BatchResponseSimplePublicObject)
        return {r.id: r.properties for r in reply.results}

    update(("101", {"city": "Porto", "jobtitle": "CFO"}), ("102", {"city": "Braga"}))
    answered = update(("101", {"city": None, "jobtitle": ""}), ("102", {"city": ""}))
    assert (answered["101"]["city"], answered["101"]["jobtitle"], answered["102"]["city"]) == ("Porto", "", "")
    read = strict(sdk_contacts.BatchReadInputSimplePublicObjectId,
                  inputs=[strict(sdk_contacts.SimplePublicObjectId, id=i) for i in ("101", "102")],
                  properties=["city", "jobtitle"], properties_with_history=[])
    back = {r.id: r.properties for r in batch.read(batch_read_input_simple_public_object_id=read).results}
    assert (back["101"]["city"], back["101"]["jobtitle"], back["102"]["city"]) == ("Porto", "", "")


def test_contact_upsert_answers_echo_trace_ids_and_only_the_properties_sent(writable: HubSpot) -> None:
    upsert = strict(sdk_contacts.BatchInputSimplePublicObjectBatchInputUpsert, inputs=[
        strict(sdk_contacts.SimplePublicObjectBatchInputUpsert, id=LIVE_CONTACTS[0]["properties"]["email"],
               id_property="email", properties={"jobtitle": "VP"}, object_write_trace_id="0"),
        strict(sdk_contacts.SimplePublicObjectBatchInputUpsert, id="upserted@example.com", id_property="email",
               properties={"jobtitle": "Intern", "email": "upserted@example.com"}, object_write_trace_id="1")])
    reply = writable.crm.contacts.batch_api.upsert(batch_input_simple_public_object_batch_input_upsert=upsert)
    assert isinstance(reply, sdk_contacts.BatchResponseSimplePublicUpsertObject)
    by_trace = {r.object_write_trace_id: r for r in reply.results}
    assert set(by_trace) == {"0", "1"}
    assert by_trace["0"].new is False and by_trace["0"].id == LIVE_CONTACTS[0]["id"]
    assert "email" not in by_trace["0"].properties and by_trace["0"].properties["jobtitle"] == "VP"
    assert by_trace["1"].new is True and by_trace["1"].properties["email"] == "upserted@example.com"


def _property(name: str, kind: str, field_type: str, options: list[Any] | None = None) -> Any:
    return strict(sdk_properties.PropertyCreate, name=name, label=name, type=kind, field_type=field_type,
                  group_name="contactinformation", options=options or [])


def _refused(call: Any, exception: Any = sdk_properties.ApiException) -> dict[str, Any]:
    """The SDK raises the ApiException of its package, with the 400 and HubSpot's VALIDATION_ERROR body."""
    with pytest.raises(exception) as info:
        call()
    assert info.value.status == 400
    body = error_body(info.value)
    assert body["category"] == "VALIDATION_ERROR" and body["correlationId"] and body["status"] == "error"
    assert body["errors"] and all(e["in"] and e["message"] for e in body["errors"])
    return body


def test_property_definitions_hubspot_refuses_are_a_validation_error(writable: HubSpot) -> None:
    core = writable.crm.properties.core_api
    unhidden = [lenient(sdk_properties.OptionInput, label="Gold", value="gold", display_order=0)]
    body = _refused(lambda: core.create("contacts", property_create=_property("tier", "enumeration", "select",
                                                                                unhidden)))
    assert [e["in"] for e in body["errors"]] == ["options[0].hidden"]
    body = _refused(lambda: core.create("contacts", property_create=_property("score", "number", "text")))
    assert [e["in"] for e in body["errors"]] == ["fieldType"] and "'text' is not valid for type 'number'" in \
        body["message"]
    _refused(lambda: core.create("contacts", property_create=_property("tier", "enumeration", "select")))
    _refused(lambda: core.create("contacts", property_create=_property("vip", "bool", "booleancheckbox")))
    _refused(lambda: core.create("contacts", property_create=_property("when", "datetime", "select")))
    for refused in ("tier", "score", "vip", "when"):
        with pytest.raises(sdk_properties.ApiException) as info:
            core.get_by_name("contacts", refused)
        assert info.value.status == 404
    _refused(lambda: writable.crm.properties.groups_api.create(
        "contacts", property_group_create=lenient(sdk_properties.PropertyGroupCreate, name="no_label")))

    two = [strict(sdk_properties.OptionInput, label=v.title(), value=v, hidden=False, display_order=i)
           for i, v in enumerate(("true", "false"))]
    made = core.create("contacts", property_create=_property("vip", "bool", "booleancheckbox", two))
    assert isinstance(made, sdk_properties.ModelProperty) and {o.value for o in made.options} == {"true", "false"}
    assert core.create("contacts", property_create=_property("notes", "string", "textarea")).field_type == "textarea"


def test_schema_bodies_hubspot_refuses_are_a_validation_error(writable: HubSpot) -> None:
    core = writable.crm.schemas.core_api

    def egg(*properties: Any) -> Any:
        return strict(sdk_schemas.ObjectSchemaEgg, name="thing", required_properties=[], associated_objects=[],
                      labels=strict(sdk_schemas.ObjectTypeDefinitionLabels, singular="Thing", plural="Things"),
                      properties=list(properties))

    bad_pair = strict(sdk_schemas.ObjectTypePropertyCreate, name="size", label="Size", type="number",
                      field_type="select")
    body = _refused(lambda: core.create(object_schema_egg=egg(bad_pair)), sdk_schemas.ApiException)
    assert [e["in"] for e in body["errors"]] == ["properties[0].fieldType"]
    unordered = strict(sdk_schemas.ObjectTypePropertyCreate, name="kind", label="Kind", type="enumeration",
                       field_type="select", options=[lenient(sdk_schemas.OptionInput, label="A", value="a",
                                                             hidden=False)])
    body = _refused(lambda: core.create(object_schema_egg=egg(unordered)), sdk_schemas.ApiException)
    assert [e["in"] for e in body["errors"]] == ["properties[0].options[0].displayOrder"]
    assert core.get_all().results == []  # nothing half-made


def test_a_409_on_an_archived_property_then_reading_it_with_archived_true(writable: HubSpot) -> None:
    core = writable.crm.properties.core_api
    create = _property("smk_score", "number", "number")
    core.create("contacts", property_create=create)
    result, status, _ = core.archive_with_http_info("contacts", "smk_score")
    assert result is None and status == 204
    with pytest.raises(sdk_properties.ApiException) as info:
        core.get_by_name("contacts", "smk_score")
    assert info.value.status == 404
    assert "smk_score" not in {p.name for p in core.get_all("contacts").results}
    assert [p.name for p in core.get_all("contacts", archived=True).results] == ["smk_score"]
    with pytest.raises(sdk_properties.ApiException) as info:
        core.create("contacts", property_create=create)
    assert info.value.status == 409 and error_body(info.value)["category"] == "OBJECT_ALREADY_EXISTS"
    archived = core.get_by_name("contacts", "smk_score", archived=True)
    assert isinstance(archived, sdk_properties.ModelProperty) and archived.archived is True
    with pytest.raises(sdk_contacts.ApiException) as info:  # an archived property takes no values
        writable.crm.contacts.basic_api.update("101", simple_public_object_input=strict(
            sdk_contacts.SimplePublicObjectInput, properties={"smk_score": "3"}))
    assert info.value.status == 400 and "PROPERTY_DOESNT_EXIST" in error_body(info.value)["message"]


def test_campaign_properties_come_back_only_when_named(default_sandbox: Any) -> None:
    """The SDK has no campaigns module: plain HTTP, as the worker's client does."""
    import requests

    def get(path: str, **params: str) -> Any:
        reply = requests.get(default_sandbox.url + path, params=params, timeout=10,
                             headers={"Authorization": f"Bearer {default_sandbox.token}"})
        assert reply.status_code == 200, reply.text
        return reply.json()

    fixture = {c["id"]: c["properties"] for c in FIXTURE["campaigns"]["results"]}
    bare = get("/marketing/v3/campaigns")
    assert bare["total"] == len(fixture) and [c["properties"] for c in bare["results"]] == [{}] * len(fixture)
    named = get("/marketing/v3/campaigns", properties="hs_name,hs_start_date,hs_currency_code,no_such_property")
    for campaign in named["results"]:
        expected = {k: v for k, v in fixture[campaign["id"]].items()
                    if k in ("hs_name", "hs_start_date", "hs_currency_code")}
        assert campaign["properties"] == expected and expected["hs_name"]
        assert "budgetTotals" not in campaign and campaign["createdAt"] and campaign["updatedAt"]
    first = next(iter(fixture))
    assert get(f"/marketing/v3/campaigns/{first}")["properties"] == {}
    assert get(f"/marketing/v3/campaigns/{first}", properties="hs_end_date")["properties"] == {
        "hs_end_date": fixture[first]["hs_end_date"]}
