"""Whose CRM property is it? The worker writes only its own; the connector reports the facts, this decides.

A property with one of the worker's names is the worker's when the mirror recorded creating it, or when its
definition is the one the worker would create: in the worker's group, with its ``type`` and ``fieldType``, and
option values that include the worker's. Labels are not compared and extra options are fine, so a relabelling
or a new option does not disown it. Any other property of that name is the customer's: listed, never written.

An archived property of the worker's takes no values (HubSpot refuses them): its values are held until it is
restored, which the worker does itself only when told to (``unarchive``, from SMARKETING_UNARCHIVE_PROPERTIES).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from connector import AuthError, BadRequest, Conflict, CRMClient, NotFound

from ..storage import Mirror
from .properties import definitions

log = logging.getLogger("smarketing.writeback")

GROUP_LABEL = "smarketing-sync"
UNARCHIVE_SWITCH = "SMARKETING_UNARCHIVE_PROPERTIES"


@dataclass
class Ownership:
    """What one look at the CRM proved: the worker's own properties, and the ones held back with the reason."""

    owned: dict[str, set[str]] = field(default_factory=dict)  # object type -> property names
    blocked: dict[tuple[str, str], str] = field(default_factory=dict)  # (object type, property) -> reason
    differing: list[tuple[str, str, object, object]] = field(default_factory=list)  # as EnsureReport.differing
    restored: list[tuple[str, str]] = field(default_factory=list)  # (object type, property) unarchived just now


def disowned(wanted: dict[str, Any], actual: dict[str, Any]) -> str | None:
    """Why the CRM's ``actual`` property is not the one the worker would create (``wanted``); None if it is."""
    problems = [f"{said} {actual.get(key)}, not {wanted[key]}" for key, said in
                (("groupName", "in group"), ("type", "type"), ("fieldType", "fieldType"))
                if actual.get(key) != wanted[key]]
    if not problems:  # options only matter for a property of the worker's type
        have = {o.get("value") for o in actual.get("options") or []}
        lacking = [o["value"] for o in wanted.get("options") or [] if o["value"] not in have]
        if lacking:
            problems.append(f"without the options {', '.join(lacking)}")
    return "; ".join(problems) or None


def check_properties(client: CRMClient, mirror: Mirror, prefix: str, group: str, *, create: bool,
                     unarchive: bool = False) -> Ownership:
    """Ensure the worker's group and properties (``create=False``: read only, for a dry run) and judge each one.

    A property missing from the CRM is created here (and recorded as the worker's) or, when only checking,
    counted as the worker's, since a push would create it. An archived one of the worker's is restored when
    ``unarchive`` (and this is no dry run), held back with the reason otherwise.
    """
    ownership = Ownership()
    for object_type, wanted in definitions(prefix, group).items():
        if create:
            ownership.differing += client.ensure_property_group(object_type, group, GROUP_LABEL).differing
        report = client.ensure_properties(object_type, wanted, create=create)
        mirror.db.conn.executemany("INSERT INTO writeback_properties (object_type, name) VALUES (?, ?) "
                                   "ON CONFLICT DO NOTHING", [(object_type, name) for name in report.created])
        created = created_by_the_worker(mirror, object_type)
        owned = ownership.owned.setdefault(object_type, set())
        for definition in wanted:
            name = str(definition["name"])
            actual = report.actual.get(name)
            reason = None if actual is None or name in created else disowned(definition, actual)
            if reason is not None:
                ownership.blocked[(object_type, name)] = f"not the worker's property: {reason}"
            elif actual is not None and actual.get("archived"):
                reason = _restored(client, object_type, name, unarchive and create)
                if reason is not None:
                    ownership.blocked[(object_type, name)] = reason
                else:
                    ownership.restored.append((object_type, name))
            if reason is None:
                owned.add(name)
        ownership.differing += [d for d in report.differing if d[1] != "archived"]  # judged above
    return ownership


def _restored(client: CRMClient, object_type: str, name: str, unarchive: bool) -> str | None:
    """None once the archived property is live again; else why its values are held."""
    if not unarchive:
        return f"archived in the CRM: restore it there, or set {UNARCHIVE_SWITCH}=on for the worker to restore it"
    try:
        answer = client.restore_property(object_type, name)
    except (AuthError, BadRequest, Conflict, NotFound) as e:
        return f"archived in the CRM, and restoring it was refused ({e}): restore it in HubSpot's property settings"
    if answer.get("archived") is not False:
        return "archived in the CRM, and still archived after the worker restored it: restore it in HubSpot"
    log.info("restored the archived CRM property %s of %s (%s=on)", name, object_type, UNARCHIVE_SWITCH)
    return None


def created_by_the_worker(mirror: Mirror, object_type: str) -> set[str]:
    return {r[0] for r in mirror.db.execute("SELECT name FROM writeback_properties WHERE object_type = ?",
                                            [object_type])}
