"""The worker's own CRM properties: what ``smarketing push`` ensures before it writes any value."""

from __future__ import annotations

from collections.abc import Iterable

from kpi import CANONICAL, SLA_STATUSES


def definitions(prefix: str, group: str) -> dict[str, list[dict[str, object]]]:
    """The worker's own CRM properties, per object type."""
    def prop(name: str, label: str, kind: str, options: Iterable[str] = ()) -> dict[str, object]:
        field_type = {"string": "text", "number": "number", "datetime": "date", "enumeration": "select"}[kind]
        body: dict[str, object] = {"name": f"{prefix}{name}", "label": f"smarketing: {label}", "type": kind,
                                   "fieldType": field_type, "groupName": group,
                                   "description": "Written by smarketing-sync; edits are overwritten."}
        if options:
            body["options"] = [{"label": o.replace("_", " "), "value": o, "displayOrder": i, "hidden": False}
                               for i, o in enumerate(options)]  # HubSpot's OptionInput requires hidden
        return body

    return {
        "contacts": [prop("funnel_stage", "funnel stage", "enumeration", CANONICAL),
                     prop("stage_entered_at", "entered stage at", "datetime"),
                     prop("source_bucket", "first-touch source", "string"),
                     prop("sla_status", "follow-up SLA", "enumeration", SLA_STATUSES),
                     prop("first_followup_hours", "first follow-up (working hours)", "number"),
                     prop("followup_attempts", "follow-up attempts", "number"),
                     prop("duplicate_of", "duplicate of", "string")],
        "deals": [prop("lead_source", "lead source", "string"), prop("campaign", "campaign", "string"),
                  prop("days_to_close", "days to close", "number"),
                  prop("deal_kind", "deal kind", "enumeration", ("new_business", "expansion"))],
    }
