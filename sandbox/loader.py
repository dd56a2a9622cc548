"""Build a :class:`Portal` from fixture data in the API's own shapes (one JSON file per object type).

A fixture record may use only declared properties (HubSpot's defaults, the stage-date properties of
the portal's lifecycle and deal stages, and whatever ``properties.json`` adds), so a typo in a
hand-written portal fails at load time instead of serving a property HubSpot would not have.
Association types may be named as HubSpot answers them (``contact_to_meeting_event``) or in the short form
(``contact_to_meeting``); reads answer HubSpot's name.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import associations as assoc
from . import catalog
from .bulk import paused_gc
from .generate import Generated
from .portal import Portal, created_property, last_modified_property
from .portal import link as add_link
from .records import Record

OBJECT_FILES = catalog.ALL_OBJECT_TYPES  # contacts.json ... notes.json, tickets.json, products.json, ...
META_FILES = ("owners", "pipelines", "campaigns", "account", "properties")
DEFAULT_PORTAL_DIR = Path(__file__).parent / "default_portal"
DEFAULT_ACCOUNT: dict[str, Any] = {
    "portalId": 24680135, "timeZone": "UTC", "companyCurrency": "USD", "additionalCurrencies": [],
    "utcOffset": "+00:00", "utcOffsetMilliseconds": 0, "uiDomain": "app.hubspot.com",
    "dataHostingLocation": "na1", "accountType": "STANDARD",
}


class PortalLoadError(ValueError):
    """Fixture data that HubSpot could not have served; the message names the file and record."""


def read_fixture_dir(path: str | Path) -> dict[str, Any]:
    """The portal data in a folder: a missing file means no records of that type."""
    folder = Path(path)
    if not folder.is_dir():
        raise PortalLoadError(f"fixtures folder {folder} does not exist")
    data: dict[str, Any] = {}
    for name in OBJECT_FILES + META_FILES:
        file = folder / f"{name}.json"
        if file.exists():
            try:
                data[name] = json.loads(file.read_text(encoding="utf-8"))
            except json.JSONDecodeError as e:
                raise PortalLoadError(f"{file}: not valid JSON ({e})") from None
    return data


def load_portal(data: dict[str, Any], *, clock: Callable[[], float] = time.time) -> Portal:
    with paused_gc():
        portal = _with_metadata(data, clock)
        for object_type in OBJECT_FILES:
            _load_records(portal, object_type, data.get(object_type, []))
        for object_type in OBJECT_FILES:
            _link_records(portal, object_type, data.get(object_type, []))
        return portal


def load_generated(made: Generated, *, clock: Callable[[], float] = time.time) -> Portal:
    """The portal of a generated one, its records adopted as they are: the generator's output is what the checked
    :func:`load_portal` accepts (its tests load it so), and at a million contacts the checks and copies cost."""
    with paused_gc():
        portal = _with_metadata(made.metadata, clock)
        for object_type, records in made.records.items():
            store = portal.stores[object_type]
            for record in records:
                store.add(record)
                if object_type == "contacts":
                    portal.index_email(record)
        stores, type_ids, reverse = portal.stores, assoc.TYPE_IDS, assoc.REVERSE
        for from_type, from_id, to_type, to_id, name in made.links:
            type_id = type_ids[name]
            add_link(stores[from_type].records[from_id].associations.setdefault(to_type, {}), to_id, type_id)
            add_link(stores[to_type].records[to_id].associations.setdefault(from_type, {}), from_id, reverse[type_id])
        return portal


def _with_metadata(data: dict[str, Any], clock: Callable[[], float]) -> Portal:
    portal = Portal({**DEFAULT_ACCOUNT, **data.get("account", {})}, clock=clock)
    portal.owners = copy.deepcopy(_results(data, "owners"))
    portal.pipelines = copy.deepcopy(_results(data, "pipelines"))
    portal.campaigns = copy.deepcopy(_results(data, "campaigns"))
    _declare_properties(portal, data.get("properties", {}))
    return portal


def _results(data: dict[str, Any], name: str) -> list[dict[str, Any]]:
    value = data.get(name, {"results": []})
    if not isinstance(value, dict) or not isinstance(value.get("results"), list):
        raise PortalLoadError(f"{name}.json must be an object with a 'results' list")
    return value["results"]


def _declare_properties(portal: Portal, extra: dict[str, list[dict[str, Any]]]) -> None:
    for object_type in catalog.ALL_OBJECT_TYPES:
        portal.ensure_type(object_type)
        portal.groups[object_type] = {g["name"]: g for g in catalog.default_groups(object_type)}
        portal.properties[object_type] = {p["name"]: p for p in catalog.default_properties(object_type)}
    for object_type, definitions in extra.items():
        if object_type not in portal.properties:
            raise PortalLoadError(f"properties.json: unknown object type {object_type!r}")
        for definition in definitions:
            portal.properties[object_type][definition["name"]] = copy.deepcopy(definition)
    contact_props = portal.properties["contacts"]
    for option in contact_props["lifecyclestage"]["options"]:
        for p in catalog.lifecycle_stage_properties(option["value"], option["label"]):
            contact_props.setdefault(p["name"], p)
    deal_props = portal.properties["deals"]
    stage_options: list[dict[str, Any]] = []
    pipeline_options: list[dict[str, Any]] = []
    for pipeline in portal.pipelines:
        pipeline_options.append(_option(pipeline["id"], pipeline["label"], len(pipeline_options)))
        for stage in pipeline["stages"]:
            stage_options.append(_option(stage["id"], stage["label"], len(stage_options)))
            for p in catalog.deal_stage_properties(stage["id"], stage["label"]):
                deal_props.setdefault(p["name"], p)
    deal_props["dealstage"]["options"] = stage_options
    deal_props["pipeline"]["options"] = pipeline_options


def _option(value: str, label: str, order: int) -> dict[str, Any]:
    return {"label": label, "value": value, "displayOrder": order, "hidden": False, "description": ""}


def _load_records(portal: Portal, object_type: str, items: Any) -> None:
    if not isinstance(items, list):
        raise PortalLoadError(f"{object_type}.json must be a JSON array of records")
    store = portal.stores[object_type]
    declared = portal.properties[object_type].keys()
    defaults = (created_property(object_type), last_modified_property(object_type))
    for item in items:
        record_id = str(item.get("id", ""))
        where = f"{object_type}.json: record {record_id or '?'}"
        if not record_id.isdigit():
            raise PortalLoadError(f"{where}: 'id' must be a numeric string")
        if record_id in store.records:
            raise PortalLoadError(f"{where}: duplicate id")
        props = dict(item.get("properties") or {})
        unknown = props.keys() - declared
        if unknown:
            raise PortalLoadError(f"{where}: undeclared properties {sorted(unknown)}; "
                                  "declare them in properties.json")
        if any(v is not None and not isinstance(v, str) for v in props.values()):
            raise PortalLoadError(f"{where}: property values must be strings or null, as HubSpot sends them")
        try:
            created, updated = item["createdAt"], item["updatedAt"]
        except KeyError as e:
            raise PortalLoadError(f"{where}: missing {e.args[0]}") from None
        props.setdefault("hs_object_id", record_id)
        props.setdefault(defaults[0], created)
        props.setdefault(defaults[1], updated)
        record = Record(id=record_id, properties=props, created_at=created, updated_at=updated,
                        archived=bool(item.get("archived")), archived_at=item.get("archivedAt"),
                        history=item.get("propertiesWithHistory") or {})
        store.add(record)
        if object_type == "contacts":
            portal.index_email(record)


def _link_records(portal: Portal, object_type: str, items: list[dict[str, Any]]) -> None:
    for item in items:
        for to_type, block in (item.get("associations") or {}).items():
            for link in block.get("results", []):
                type_id = assoc.TYPE_IDS.get(link.get("type", ""))
                where = f"{object_type}.json: record {item['id']}"
                if type_id is None or assoc.ENDS[type_id] != (object_type, to_type):
                    raise PortalLoadError(f"{where}: unknown association type {link.get('type')!r} to {to_type}")
                if str(link.get("id")) not in portal.stores[to_type].records:
                    raise PortalLoadError(f"{where}: associated {to_type} {link.get('id')} does not exist")
                portal.associate(object_type, str(item["id"]), to_type, str(link["id"]), type_id)

