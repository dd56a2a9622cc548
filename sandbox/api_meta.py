"""Portal metadata: properties and groups, pipelines, owners, schemas, account details, campaigns."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from .associations import SINGULAR
from .definitions import check_group, check_property, check_schema
from .errors import ApiError, bad_request, conflict, forbidden, resource_not_found
from .render import utc_now_iso
from .routing import SCHEMA_FIELDS, Call, Reply, Router, api_version

if TYPE_CHECKING:
    from .app import SandboxApp


def _props_type(app: SandboxApp, call: Call) -> str:
    t = app.portal.resolve_type(call.params["objectType"])
    app.portal.ensure_type(t)
    return t


def list_properties(app: SandboxApp, call: Call) -> Reply:
    t = _props_type(app, call)
    archived = call.flag("archived")
    return Reply(200, {"results": [p for p in app.portal.properties[t].values() if p["archived"] == archived]})


def read_property(app: SandboxApp, call: Call) -> Reply:
    """One property; an archived one only with ``archived=true``, which reads only archived ones (API notes §1a)."""
    t = _props_type(app, call)
    prop = app.portal.properties[t].get(call.params["propertyName"])
    if prop is None or prop["archived"] != call.flag("archived"):
        raise resource_not_found(f"Unable to find property {call.params['propertyName']} for object type {t}")
    return Reply(200, prop)


def _check_property(app: SandboxApp, t: str, body: dict[str, Any], *, partial: bool,
                    current: dict[str, Any] | None = None) -> None:
    check_property(body, partial=partial, current=current)
    if "groupName" in body and body["groupName"] not in app.portal.groups[t]:
        raise bad_request(f"Property group {body['groupName']!r} does not exist for {t}.")


def _new_property(body: dict[str, Any], *, system: bool = False) -> dict[str, Any]:
    """A property definition with HubSpot's defaults for whatever the create body left out."""
    now = utc_now_iso()
    return {
        "name": body["name"], "label": body["label"], "type": body["type"], "fieldType": body["fieldType"],
        "description": body.get("description", ""), "groupName": body["groupName"],
        "options": [{"hidden": False, "description": "", **o} for o in body.get("options", [])],
        "displayOrder": body.get("displayOrder", -1), "calculated": False, "externalOptions": False,
        "hasUniqueValue": bool(body.get("hasUniqueValue", False)), "hidden": bool(body.get("hidden", False)),
        "hubspotDefined": system, "formField": bool(body.get("formField", False)),
        "createdAt": now, "updatedAt": now, "archived": False,
        "modificationMetadata": {"archivable": not system, "readOnlyDefinition": system, "readOnlyValue": system},
    }


def create_property(app: SandboxApp, call: Call) -> Reply:
    t = _props_type(app, call)
    body = call.object_body()
    _check_property(app, t, body, partial=False)
    if body["name"] in app.portal.properties[t]:
        raise conflict(f"A property named '{body['name']}' already exists.", "OBJECT_ALREADY_EXISTS")
    prop = _new_property(body)
    app.portal.properties[t][prop["name"]] = prop
    return Reply(201, prop, {"Location": f"{call.base_url}/crm/v3/properties/{t}/{prop['name']}"})


def update_property(app: SandboxApp, call: Call) -> Reply:
    """A PATCH; with ``archived=true`` it finds an archived property, which ``"archived": false`` restores
    (HubSpot documents no restore: the sandbox models this one, the worker checks the answer)."""
    t = _props_type(app, call)
    prop = read_property(app, call).body
    body = call.object_body()
    if prop["modificationMetadata"]["readOnlyDefinition"]:
        raise bad_request(f"The definition of {prop['name']} is read-only.")
    _check_property(app, t, body, partial=True, current=prop)
    if "archived" in body and not isinstance(body["archived"], bool):
        raise bad_request("archived must be true or false")
    for key in ("label", "type", "fieldType", "groupName", "description", "displayOrder", "hidden", "formField",
                "archived"):
        if key in body:
            prop[key] = body[key]
    if "options" in body:
        prop["options"] = [{"hidden": False, "description": "", **o} for o in body["options"]]
    prop["updatedAt"] = utc_now_iso()
    return Reply(200, prop)


def archive_property(app: SandboxApp, call: Call) -> Reply:
    prop = read_property(app, call).body
    if not prop["modificationMetadata"]["archivable"]:
        raise bad_request(f"{prop['name']} is a HubSpot property and cannot be archived.")
    prop.update(archived=True, updatedAt=utc_now_iso())
    return Reply(204)


def list_groups(app: SandboxApp, call: Call) -> Reply:
    return Reply(200, {"results": list(app.portal.groups[_props_type(app, call)].values())})


def read_group(app: SandboxApp, call: Call) -> Reply:
    group = app.portal.groups[_props_type(app, call)].get(call.params["groupName"])
    if group is None:
        raise resource_not_found(f"Unable to find property group {call.params['groupName']}")
    return Reply(200, group)


def create_group(app: SandboxApp, call: Call) -> Reply:
    t = _props_type(app, call)
    body = call.object_body()
    check_group(body)
    if body["name"] in app.portal.groups[t]:
        raise conflict(f"A property group named '{body['name']}' already exists.", "OBJECT_ALREADY_EXISTS")
    group = {"name": body["name"], "label": body["label"], "displayOrder": body.get("displayOrder", -1),
             "archived": False}
    app.portal.groups[t][group["name"]] = group
    return Reply(201, group)


# -- pipelines and owners --------------------------------------------------------------------

def _pipelines(app: SandboxApp, call: Call) -> list[dict[str, Any]]:
    return app.portal.pipelines if app.portal.resolve_type(call.params["objectType"]) == "deals" else []


def list_pipelines(app: SandboxApp, call: Call) -> Reply:
    return Reply(200, {"results": _pipelines(app, call)})


def read_pipeline(app: SandboxApp, call: Call) -> Reply:
    for pipeline in _pipelines(app, call):
        if pipeline["id"] == call.params["pipelineId"]:
            return Reply(200, pipeline)
    raise resource_not_found(f"Unable to find pipeline {call.params['pipelineId']}")


def list_pipeline_stages(app: SandboxApp, call: Call) -> Reply:
    return Reply(200, {"results": read_pipeline(app, call).body["stages"]})


def _offset_page(call: Call, items: list[dict[str, Any]], default: int, maximum: int) -> dict[str, Any]:
    """Paging over a short list: the cursor is the offset, as an opaque string."""
    limit = min(call.int_arg("limit", default), maximum)
    start = call.int_arg("after", 0)
    body: dict[str, Any] = {"results": items[start:start + limit]}
    if start + limit < len(items):
        after = str(start + limit)
        body["paging"] = {"next": {"after": after, "link": call.next_link(after)}}
    return body


def list_owners(app: SandboxApp, call: Call) -> Reply:
    archived, email = call.flag("archived"), call.arg("email")
    owners = [o for o in app.portal.owners if bool(o.get("archived")) == archived
              and (email is None or (o.get("email") or "").lower() == email.lower())]
    return Reply(200, _offset_page(call, owners, 100, 500))


def read_owner(app: SandboxApp, call: Call) -> Reply:
    key = "userId" if call.arg("idProperty") == "userId" else "id"
    for owner in app.portal.owners:
        if str(owner.get(key)) == call.params["ownerId"]:
            return Reply(200, owner)
    raise resource_not_found(f"Unable to find owner {call.params['ownerId']}")


# -- custom object schemas -------------------------------------------------------------------

def list_schemas(app: SandboxApp, call: Call) -> Reply:
    return Reply(200, {"results": list(app.portal.schemas.values())})


def read_schema(app: SandboxApp, call: Call) -> Reply:
    t = app.portal.resolve_type(call.params["objectType"])
    if t not in app.portal.schemas:
        raise resource_not_found(f"Unable to find schema for {call.params['objectType']}")
    return Reply(200, app.portal.schemas[t])


def _associated_type(app: SandboxApp, target: str) -> str:
    """A schema's ``associatedObjects`` entry (``CONTACT``, ``0-1`` or ``contacts``) as a type name."""
    try:
        return app.portal.resolve_type(target.lower() if target.isupper() else target)
    except ApiError:
        raise bad_request(f"Unknown associated object type {target!r}.") from None


def create_schema(app: SandboxApp, call: Call) -> Reply:
    if not app.portal.custom_objects_allowed:
        raise forbidden("Custom objects are only available on Enterprise portals.", "MISSING_SCOPES")
    body = call.object_body()
    check_schema(body)
    missing = [k for k in SCHEMA_FIELDS[api_version(call.path)] if k not in body]
    if missing:  # what a dated version's body requires beyond v3's
        raise bad_request(f"Missing required fields: {', '.join(missing)}")
    name = body["name"]
    if name in app.portal.schemas or name in app.portal.stores:
        raise conflict(f"An object type named '{name}' already exists.", "OBJECT_ALREADY_EXISTS")
    targets = [_associated_type(app, target) for target in body["associatedObjects"]]
    now, number = utc_now_iso(), str(100000 + len(app.portal.schemas) + 1)
    portal_id = app.portal.account["portalId"]
    app.portal.ensure_type(name)
    app.portal.groups[name] = {f"{name}_information": {
        "name": f"{name}_information", "label": f"{body['labels'].get('singular', name)} information",
        "displayOrder": 0, "archived": False}}
    group = f"{name}_information"
    try:
        properties = [create_property(app, Call("POST", "", {"objectType": name}, {}, {"groupName": group, **p},
                                                call.base_url)).body for p in body["properties"]]
    except ApiError:  # a bad property definition leaves no half-made object type behind
        for registry in (app.portal.stores, app.portal.properties, app.portal.groups):
            registry.pop(name, None)
        raise
    for prop_name, label, kind, field_type in (("hs_object_id", "Record ID", "number", "number"),
                                               ("hs_createdate", "Create date", "datetime", "date"),
                                               ("hs_lastmodifieddate", "Last modified date", "datetime", "date")):
        app.portal.properties[name][prop_name] = _new_property(
            {"name": prop_name, "label": label, "type": kind, "fieldType": field_type, "groupName": group},
            system=True)
    schema = {
        "id": number, "objectTypeId": f"2-{number}", "fullyQualifiedName": f"p{portal_id}_{name}",
        "name": name, "labels": body["labels"], "properties": properties,
        "requiredProperties": body["requiredProperties"], "searchableProperties": body.get("searchableProperties", []),
        "primaryDisplayProperty": body.get("primaryDisplayProperty"),
        "secondaryDisplayProperties": body.get("secondaryDisplayProperties", []),
        "allowsSensitiveProperties": bool(body.get("allowsSensitiveProperties", False)),
        "associations": [{"id": str(int(number) * 10 + i), "fromObjectTypeId": f"2-{number}",
                          "toObjectTypeId": app.portal.type_id(target),
                          "name": f"{name}_to_{SINGULAR.get(target, target)}"} for i, target in enumerate(targets)],
        "createdAt": now, "updatedAt": now, "archived": False,
    }
    app.portal.schemas[name] = schema
    return Reply(201, schema)


# -- account and campaigns -------------------------------------------------------------------

def account_details(app: SandboxApp, call: Call) -> Reply:
    return Reply(200, app.portal.account)


def _campaign(app: SandboxApp, call: Call) -> dict[str, Any]:
    for campaign in app.portal.campaigns:
        if campaign["id"] == call.params["campaignGuid"]:
            return campaign
    raise ApiError(404, "OBJECT_NOT_FOUND", f"Campaign {call.params['campaignGuid']} not found")


def _public(campaign: dict[str, Any], asked: list[str] | None) -> dict[str, Any]:
    """A campaign as HubSpot answers it: an empty ``properties`` map unless properties are named (API notes §1a)."""
    public = {k: copy.deepcopy(v) for k, v in campaign.items() if k not in ("budgetTotals", "properties")}
    props = campaign["properties"]
    public["properties"] = {name: props[name] for name in asked or () if name in props}
    return public


def list_campaigns(app: SandboxApp, call: Call) -> Reply:
    name, asked = (call.arg("name") or "").lower(), call.csv("properties")
    chosen = [_public(c, asked) for c in app.portal.campaigns
              if name in (c["properties"].get("hs_name") or "").lower()]
    return Reply(200, {"total": len(chosen), **_offset_page(call, chosen, 50, 100)})


def read_campaign(app: SandboxApp, call: Call) -> Reply:
    return Reply(200, {**_public(_campaign(app, call), call.csv("properties")), "assets": {}})


def campaign_budget_totals(app: SandboxApp, call: Call) -> Reply:
    campaign = _campaign(app, call)
    totals = campaign.get("budgetTotals") or {"budgetItems": [], "spendItems": [], "budgetTotal": 0,
                                              "spendTotal": 0, "remainingBudget": 0,
                                              "currencyCode": campaign["properties"].get("hs_currency_code")}
    return Reply(200, totals)


def register(router: Router) -> None:
    props = "/crm/v3/properties/{objectType}"
    router.add("GET", f"{props}/groups", list_groups)
    router.add("POST", f"{props}/groups", create_group, write=True)
    router.add("GET", f"{props}/groups/{{groupName}}", read_group)
    router.add("GET", props, list_properties)
    router.add("POST", props, create_property, write=True)
    router.add("GET", f"{props}/{{propertyName}}", read_property)
    router.add("PATCH", f"{props}/{{propertyName}}", update_property, write=True)
    router.add("DELETE", f"{props}/{{propertyName}}", archive_property, write=True)
    router.add("GET", "/crm/v3/pipelines/{objectType}", list_pipelines)
    router.add("GET", "/crm/v3/pipelines/{objectType}/{pipelineId}", read_pipeline)
    router.add("GET", "/crm/v3/pipelines/{objectType}/{pipelineId}/stages", list_pipeline_stages)
    router.add("GET", "/crm/v3/owners", list_owners)
    router.add("GET", "/crm/v3/owners/{ownerId}", read_owner)
    for schemas in ("/crm/v3/schemas", "/crm-object-schemas/v3/schemas"):
        router.add("GET", schemas, list_schemas)
        router.add("POST", schemas, create_schema, write=True)
        router.add("GET", f"{schemas}/{{objectType}}", read_schema)
    router.add("GET", "/account-info/v3/details", account_details)
    router.add("GET", "/marketing/v3/campaigns", list_campaigns)
    router.add("GET", "/marketing/v3/campaigns/{campaignGuid}", read_campaign)
    router.add("GET", "/marketing/v3/campaigns/{campaignGuid}/budget/totals", campaign_budget_totals)
