"""The standard object types every HubSpot portal has beyond the worker's (tickets, products, line items, ...).

Other integrations list them, read their properties and ask for associations to them; HubSpot answers on every
portal, empty or not, so the sandbox must too. Driven over plain HTTP for the shapes and through HubSpot's
official SDK (``hubspot-api-client``, validation on) wherever it has a module for the type.
"""

from __future__ import annotations

import importlib
import json
from types import SimpleNamespace
from typing import Any

import pytest
from hubspot import HubSpot
from hubspot.crm import objects as sdk_objects
from hubspot.crm import properties as sdk_properties
from hubspot.crm.association_type import AssociationType
from hubspot.crm.associations import v4 as sdk_assoc

from sandbox import PortalLoadError, catalog, load_portal
from sandbox import associations as assoc
from sandbox.standard_objects import STANDARD_TYPES
from tests.conftest import T0, mini_portal_data

STANDARD = [t.name for t in STANDARD_TYPES]
# HubSpot's object type ids (its object type table; tickets' also in the OpenAPI spec collection).
TYPE_IDS = {"tickets": "0-5", "products": "0-7", "line_items": "0-8", "quotes": "0-14", "leads": "0-136",
            "goal_targets": "0-74", "communications": "0-18", "postal_mail": "0-116", "feedback_submissions": "0-19"}
# (SDK package, attribute path on a HubSpot client) for the types the official SDK has a module for.
SDK_MODULES = {
    "tickets": ("hubspot.crm.tickets", "crm.tickets"),
    "products": ("hubspot.crm.products", "crm.products"),
    "line_items": ("hubspot.crm.line_items", "crm.line_items"),
    "quotes": ("hubspot.crm.quotes", "crm.quotes"),
    "leads": ("hubspot.crm.objects.leads", "crm.objects.leads"),
    "goal_targets": ("hubspot.crm.objects.goals", "crm.objects.goals"),
    "communications": ("hubspot.crm.objects.communications", "crm.objects.communications"),
    "postal_mail": ("hubspot.crm.objects.postal_mail", "crm.objects.postal_mail"),
    "feedback_submissions": ("hubspot.crm.objects.feedback_submissions", "crm.objects.feedback_submissions"),
}


def sdk(api: Any) -> HubSpot:
    return HubSpot(access_token=api.server.token, host=api.url, client_side_validation=True)


def module_api(client: HubSpot, object_type: str) -> Any:
    node: Any = client
    for part in SDK_MODULES[object_type][1].split("."):
        node = getattr(node, part)
    return node


def strict(package: str, model: str, **fields: Any) -> Any:
    """A request model of one SDK package, built with that package's validation on."""
    config = importlib.import_module(f"{package}.configuration").Configuration()
    config.client_side_validation = True
    return getattr(importlib.import_module(package), model)(**fields, local_vars_configuration=config)


def ticket_portal() -> dict[str, Any]:
    """The mini portal plus one ticket, written from the ticket's side, associated with contact 2."""
    data = mini_portal_data(3)
    data["tickets"] = [{
        "id": "501", "createdAt": T0, "updatedAt": T0, "archived": False,
        "properties": {"subject": "Invoice missing", "content": "Where is my invoice?", "hs_pipeline": "0",
                       "hs_pipeline_stage": "1", "hs_ticket_priority": "HIGH", "createdate": T0},
        "associations": {"contacts": {"results": [{"id": "2", "type": "ticket_to_contact"}]}}}]
    return data


# -- the catalog -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def deserialise():
    config = sdk_properties.Configuration()
    config.client_side_validation = True
    with sdk_properties.ApiClient(configuration=config) as client:
        yield lambda payload, model: client.deserialize(SimpleNamespace(data=json.dumps(payload)), model)


@pytest.mark.parametrize("object_type", STANDARD)
def test_standard_properties_and_groups_are_what_the_sdk_accepts(deserialise, object_type):
    props = catalog.default_properties(object_type)
    models = [deserialise(p, "ModelProperty") for p in props]
    assert all(isinstance(m, sdk_properties.ModelProperty) for m in models)
    names = [p["name"] for p in props]
    assert len(names) == len(set(names))
    groups = [deserialise(g, "PropertyGroup") for g in catalog.default_groups(object_type)]
    assert {p["groupName"] for p in props} <= {g.name for g in groups}
    standard = next(t for t in STANDARD_TYPES if t.name == object_type)
    for returned in (catalog.always_returned(object_type), catalog.default_returned(object_type),
                     standard.searchable):
        assert set(returned) <= set(names)
    for p in props:
        assert p["fieldType"] in {"string": {"text", "textarea", "html"}, "number": {"number"}, "datetime": {"date"},
                                  "enumeration": {"select"}}[p["type"]]
        assert p["type"] == "enumeration" or p["options"] == []


def test_a_few_documented_defaults_are_there():
    names = {t: {p["name"] for p in catalog.default_properties(t)} for t in STANDARD}
    assert {"subject", "content", "hs_pipeline", "hs_pipeline_stage", "hs_ticket_priority"} <= names["tickets"]
    assert {"name", "price", "description", "hs_sku"} <= names["products"]
    assert {"quantity", "price", "amount", "hs_product_id"} <= names["line_items"]
    assert {"hs_title", "hs_status", "hs_expiration_date"} <= names["quotes"]
    priority = next(p for p in catalog.default_properties("tickets") if p["name"] == "hs_ticket_priority")
    assert [o["value"] for o in priority["options"]] == ["LOW", "MEDIUM", "HIGH"]
    assert catalog.always_returned("tickets") == ("hs_object_id", "createdate", "hs_lastmodifieddate")
    assert catalog.always_returned("quotes") == ("hs_object_id", "hs_createdate", "hs_lastmodifieddate")


SDK_ENDS = {"CONTACT": "contacts", "COMPANY": "companies", "DEAL": "deals", "TICKET": "tickets",
            "LINE_ITEM": "line_items", "QUOTE": "quotes", "CALL": "calls", "EMAIL": "emails", "MEETING": "meetings",
            "NOTE": "notes", "TASK": "tasks", "POSTAL_MAIL": "postal_mail",
            "FEEDBACK_SUBMISSION": "feedback_submissions"}


def test_association_type_ids_match_hubspots_sdk():
    """Every default type HubSpot's SDK lists between types the sandbox serves has the SDK's id and direction."""
    unmodelled = set()
    for name, type_id in vars(AssociationType).items():
        if name.startswith("_"):
            continue
        src, dst = name.removeprefix("PRIMARY_").split("_TO_")
        ends = (SDK_ENDS[src], SDK_ENDS[dst])
        if type_id not in assoc.ENDS:
            unmodelled.add(name)
            continue
        assert assoc.ENDS[type_id] == ends, name
        assert assoc.ENDS[assoc.REVERSE[type_id]] == ends[::-1], name
    assert unmodelled == {"CALL_TO_MEETING", "MEETING_TO_CALL"}  # engagement to engagement: not served
    # no two types answer with one name; the short forms portal files may use (contact_to_meeting) are aliases only
    assert len(set(assoc.TYPE_NAMES.values())) == len(assoc.TYPE_NAMES)
    assert all(assoc.TYPE_IDS[name] == type_id for type_id, name in assoc.TYPE_NAMES.items())


# -- over HTTP ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("object_type", STANDARD)
def test_every_standard_type_answers_empty_on_a_portal_without_records(serve, object_type):
    api = serve()
    base = f"/crm/v3/objects/{object_type}"
    listed = api("GET", base, params={"associations": "contacts"})
    assert listed.status_code == 200 and listed.json() == {"results": []}
    missing = api("GET", f"{base}/12345")
    assert missing.status_code == 404 and missing.json()["category"] == "OBJECT_NOT_FOUND"
    assert missing.json()["context"] == {"id": ["12345"]}
    every = {"propertyName": "hs_object_id", "operator": "HAS_PROPERTY"}
    found = api("POST", f"{base}/search", json={"filters": [every]})
    assert found.status_code == 200 and found.json() == {"total": 0, "results": []}
    props = api("GET", f"/crm/v3/properties/{object_type}")
    assert props.status_code == 200
    assert {"hs_object_id", "hs_lastmodifieddate"} <= {p["name"] for p in props.json()["results"]}
    assert api("GET", f"/crm/v3/properties/{object_type}/groups").json()["results"]
    batch = api("POST", f"{base}/batch/read", json={"inputs": [{"id": "1"}], "properties": []})
    assert batch.status_code == 207 and batch.json()["errors"][0]["context"] == {"ids": ["1"]}
    if object_type in TYPE_IDS:
        assert api("GET", f"/crm/v3/objects/{TYPE_IDS[object_type]}").json() == {"results": []}
        assert api("GET", f"/crm/v3/properties/{TYPE_IDS[object_type]}").json() == props.json()


def test_contacts_list_and_read_with_associations_to_every_standard_type(serve):
    api = serve()
    names = ",".join(STANDARD)
    listed = api("GET", "/crm/v3/objects/contacts", params={"associations": names, "limit": 3})
    assert listed.status_code == 200 and len(listed.json()["results"]) == 3
    read = api("GET", "/crm/v3/objects/deals/1", params={"associations": f"contacts,{names}"})
    assert read.status_code == 200
    assert read.json()["associations"] == {"contacts": {"results": [{"id": "3", "type": "deal_to_contact"}]}}


def test_association_names_hubspot_does_not_know_are_ignored(serve):
    api = serve()
    reply = api("GET", "/crm/v3/objects/deals/1", params={"associations": "widgets,contacts"})
    assert reply.status_code == 200 and set(reply.json()["associations"]) == {"contacts"}


def test_a_portal_file_with_a_ticket_on_a_contact_loads_and_serves_it(serve):
    api = serve(ticket_portal())
    ticket = api("GET", "/crm/v3/objects/tickets/501", params={"associations": "contacts"}).json()
    assert ticket["properties"] == {"content": "Where is my invoice?", "hs_pipeline": "0", "hs_pipeline_stage": "1",
                                    "hs_ticket_category": None, "hs_ticket_priority": "HIGH",
                                    "subject": "Invoice missing", "hs_object_id": "501", "createdate": T0,
                                    "hs_lastmodifieddate": T0}
    assert ticket["associations"] == {"contacts": {"results": [{"id": "2", "type": "ticket_to_contact"}]}}
    contact = api("GET", "/crm/v3/objects/contacts/2", params={"associations": "tickets"}).json()
    assert contact["associations"] == {"tickets": {"results": [{"id": "501", "type": "contact_to_ticket"}]}}
    # HubSpot's search guide's own example: tickets of a contact, through a top-level filters list.
    body = {"filters": [{"propertyName": "associations.contact", "operator": "EQ", "value": "2"}]}
    assert [r["id"] for r in api("POST", "/crm/v3/objects/tickets/search", json=body).json()["results"]] == ["501"]
    text = api("POST", "/crm/v3/objects/tickets/search", json={"query": "invoice"}).json()
    assert text["total"] == 1
    v4 = api("POST", "/crm/v4/associations/contacts/tickets/batch/read", json={"inputs": [{"id": "2"}]}).json()
    assert v4["results"] == [{"from": {"id": "2"}, "to": [{"toObjectId": "501", "associationTypes": [
        {"category": "HUBSPOT_DEFINED", "typeId": 15, "label": None}]}]}]


def test_writes_to_a_standard_type_follow_its_catalog(serve):
    api = serve()
    to_contact = {"to": {"id": "2"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 16}]}
    made = api("POST", "/crm/v3/objects/tickets", json={
        "properties": {"subject": "Broken", "hs_ticket_priority": "HIGH"}, "associations": [to_contact]})
    assert made.status_code == 201, made.text
    assert made.json()["properties"]["createdate"] == made.json()["createdAt"]
    bad = api("POST", "/crm/v3/objects/tickets", json={"properties": {"hs_ticket_priority": "SOMEDAY"}})
    assert bad.status_code == 400 and "INVALID_OPTION" in bad.json()["message"]
    read_only = api("POST", "/crm/v3/objects/feedback_submissions", json={"properties": {"hs_value": "9"}})
    assert read_only.status_code == 400 and "READ_ONLY_VALUE" in read_only.json()["message"]
    linked = api("PUT", f"/crm/v4/objects/deals/1/associations/default/tickets/{made.json()['id']}")
    assert linked.status_code == 200 and linked.json()["results"][0]["associationSpec"]["associationTypeId"] == 27
    path = f"/crm/v4/objects/tickets/{made.json()['id']}/associations/contacts/3"
    labelled = api("PUT", path, json=[{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 16}])
    assert labelled.status_code == 201
    assert (labelled.json()["fromObjectTypeId"], labelled.json()["toObjectTypeId"]) == ("0-5", "0-1")
    wrong = api("PUT", path, json=[{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 26}])
    assert wrong.status_code == 400  # 26 is ticket to primary company
    missing = api("POST", "/crm/v3/objects/line_items/batch/read", json={"inputs": [{"id": "9"}], "properties": []})
    assert missing.json()["errors"][0]["message"].startswith("Could not get some LINE_ITEM objects")


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["tickets"][0]["properties"].update(colour="red"), "tickets.json: record 501: undeclared properties"),
    (lambda d: d["tickets"][0]["associations"]["contacts"]["results"][0].update(type="contact_to_ticket"),
     "unknown association type 'contact_to_ticket'"),
    (lambda d: d["tickets"][0]["associations"]["contacts"]["results"][0].update(id="77"),
     "associated contacts 77 does not exist"),
], ids=["undeclared", "direction", "dangling"])
def test_a_broken_ticket_file_is_refused_with_its_reason(mutate, message):
    data = ticket_portal()
    mutate(data)
    with pytest.raises(PortalLoadError, match=message):
        load_portal(data)


# -- through HubSpot's SDK ---------------------------------------------------------------------------

@pytest.mark.parametrize("object_type", list(SDK_MODULES))
def test_the_sdk_lists_reads_and_searches_every_type_it_has(serve, object_type):
    api = serve(ticket_portal())
    client = sdk(api)
    package = SDK_MODULES[object_type][0]
    module = module_api(client, object_type)
    page = module.basic_api.get_page(limit=10, associations=["contacts"])
    assert page.paging is None
    expected = ["501"] if object_type == "tickets" else []
    assert [r.id for r in page.results] == expected
    exception = importlib.import_module(package).ApiException
    with pytest.raises(exception) as info:
        module.basic_api.get_by_id("999999")
    assert info.value.status == 404
    request = strict(package, "PublicObjectSearchRequest", filter_groups=[strict(
        package, "FilterGroup", filters=[strict(package, "Filter", property_name="hs_object_id", operator="GT",
                                                value="0")])], sorts=[], properties=[], limit=10, after="0")
    found = module.search_api.do_search(public_object_search_request=request)
    assert found.total == len(expected) and [r.id for r in found.results] == expected
    definitions = client.crm.properties.core_api.get_all(object_type).results
    assert all(isinstance(p, sdk_properties.ModelProperty) for p in definitions)


def test_the_sdk_reads_a_ticket_with_its_contact(serve):
    client = sdk(serve(ticket_portal()))
    ticket = client.crm.tickets.basic_api.get_by_id("501", properties=["subject", "hs_ticket_priority"],
                                                    associations=["contacts"])
    assert ticket.properties["subject"] == "Invoice missing" and ticket.properties["hs_ticket_priority"] == "HIGH"
    assert [(a.id, a.type) for a in ticket.associations["contacts"].results] == [("2", "ticket_to_contact")]
    request = strict("hubspot.crm.associations.v4", "BatchInputPublicFetchAssociationsBatchRequest", inputs=[
        strict("hubspot.crm.associations.v4", "PublicFetchAssociationsBatchRequest", id="501")])
    reply = client.crm.associations.v4.batch_api.get_page(
        from_object_type="tickets", to_object_type="contacts",
        batch_input_public_fetch_associations_batch_request=request)
    assert isinstance(reply, sdk_assoc.BatchResponsePublicAssociationMultiWithLabel)
    assert [(r._from.id, [(t.to_object_id, [a.type_id for a in t.association_types]) for t in r.to])
            for r in reply.results] == [("501", [("2", [16])])]


def test_the_sdk_reads_deal_splits_by_name(serve):
    """HubSpot's SDK has no module for deal split records; extractors read them by name through the objects API."""
    client = sdk(serve())
    page = client.crm.objects.basic_api.get_page("deal_split", limit=10)
    assert isinstance(page, sdk_objects.CollectionResponseSimplePublicObjectWithAssociationsForwardPaging)
    assert page.results == [] and page.paging is None
    assert "hs_split_percentage" in {p.name for p in client.crm.properties.core_api.get_all("deal_split").results}
