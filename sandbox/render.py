"""Records in HubSpot's response shape (``SimplePublicObject`` and friends).

Asked-for properties that exist come back, null when empty; unknown names are silently left out;
``hs_object_id``, the created and the last-modified property always come back (API notes, section 3).
Inline associations (``?associations=``) carry at most 100 links a type, with ``paging`` when a record has
more, as HubSpot has answered since 2021 (changelog "a change to how v3 CRM APIs return association data").
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from . import associations as assoc
from . import catalog
from .portal import Portal
from .records import Record

INLINE_LINKS = 100  # links of one type inlined in a record; the rest through associations v4


def utc_now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def property_names(portal: Portal, object_type: str, asked: list[str] | None) -> list[str]:
    defined = portal.properties[object_type]
    names = [n for n in asked if n in defined] if asked else list(_defaults(object_type))
    for name in catalog.always_returned(object_type):
        if name not in names:
            names.append(name)
    return names


def _defaults(object_type: str) -> tuple[str, ...]:
    try:
        return catalog.default_returned(object_type)
    except KeyError:  # custom objects: their primary display property is not modelled
        return ()


def render(portal: Portal, object_type: str, record: Record, names: list[str], *,
           history: list[str] | None = None, associations: list[str] | None = None) -> dict[str, Any]:
    props = record.properties
    out: dict[str, Any] = {
        "id": record.id,
        "properties": {name: props.get(name) for name in names},
        "createdAt": record.created_at,
        "updatedAt": record.updated_at,
        "archived": record.archived,
    }
    if record.archived:
        out["archivedAt"] = record.archived_at
    if history:
        defined = portal.properties[object_type]
        out["propertiesWithHistory"] = {n: record.history_of(n) for n in history if n in defined}
    if associations:
        linked = {}
        for to_type in associations:
            targets = record.associations.get(to_type)
            if targets:
                links = [{"id": to_id, "type": assoc.TYPE_NAMES[type_id]}
                         for to_id in sorted(targets, key=int) for type_id in sorted(targets[to_id])]
                block: dict[str, Any] = {"results": links[:INLINE_LINKS]}
                if len(links) > INLINE_LINKS:  # HubSpot's link goes to the v3 associations API, not served here
                    block["paging"] = {"next": {"after": str(INLINE_LINKS)}}
                linked[to_type] = block
        if linked:
            out["associations"] = linked
    return out
