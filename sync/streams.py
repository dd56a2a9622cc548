"""What each object stream reads and how a page of its records lands in the mirror.

A page is written in the caller's transaction: its rows, the rows that hang off them (stage
evidence, deal and engagement contacts), and the quarantine of what could not be typed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .mapping import (
    BadRecord,
    Row,
    company_row,
    contact_row,
    deal_row,
    engagement_row,
    linked_ids,
    needs_history,
    object_id,
    stage_evidence,
)
from .mirror import Mirror

CONTACT_PROPERTIES = (
    "email", "firstname", "lastname", "lifecyclestage", "hs_lead_status", "hubspot_owner_id",
    "hubspot_owner_assigneddate", "hs_analytics_source", "hs_analytics_source_data_1", "hs_analytics_source_data_2",
    "hs_analytics_first_touch_converting_campaign", "hs_analytics_last_touch_converting_campaign",
    "hs_merged_object_ids", "createdate", "lastmodifieddate", "hs_sa_first_engagement_date",
)
DEAL_PROPERTIES = (
    "dealname", "amount", "amount_in_home_currency", "deal_currency_code", "dealstage", "pipeline", "closedate",
    "createdate", "hs_lastmodifieddate", "hs_is_closed", "hs_is_closed_won", "dealtype", "hubspot_owner_id",
    "hs_analytics_source", "closed_lost_reason",
)
COMPANY_PROPERTIES = ("name", "domain", "industry", "lifecyclestage", "hubspot_owner_id", "numberofemployees",
                      "annualrevenue", "createdate", "hs_lastmodifieddate")
ENGAGEMENT_PROPERTIES = {
    "calls": ("hs_timestamp", "hubspot_owner_id", "hs_call_direction", "hs_call_status", "hs_call_title",
              "hs_call_disposition", "hs_call_duration"),
    "emails": ("hs_timestamp", "hubspot_owner_id", "hs_email_direction", "hs_email_status", "hs_email_subject"),
    "meetings": ("hs_timestamp", "hubspot_owner_id", "hs_meeting_outcome", "hs_meeting_title",
                 "hs_meeting_start_time", "hs_meeting_end_time"),
    "tasks": ("hs_timestamp", "hubspot_owner_id", "hs_task_status", "hs_task_subject", "hs_task_type",
              "hs_task_priority"),
}
STAGE_DATE_PREFIXES = ("hs_v2_date_entered_{}", "hs_lifecyclestage_{}_date")
# Association type ids that mark the primary company (API notes, section 9), for links read through v4.
PRIMARY_TYPE_IDS = {("contacts", "companies"): (1, "contact_to_company"),
                    ("deals", "companies"): (5, "deal_to_company")}


@dataclass
class PageContext:
    """What writing a page needs besides the records."""

    currency: str | None = None
    full_pass: int | None = None  # set during a full read: rows seen get it, the unseen are deleted at the end
    order: dict[str, int] = field(default_factory=dict)  # lifecycle stages in the portal's order


@dataclass(frozen=True)
class ObjectStream:
    name: str  # the CRM object type
    table: str
    properties: tuple[str, ...]
    associations: tuple[str, ...]  # read inline with list pages, through associations v4 for search pages
    to_row: Callable[[dict[str, Any], PageContext], Row]
    key: tuple[str, ...] = ("id",)

    def scope(self) -> tuple[str, list[Any]]:
        """SQL condition selecting this stream's rows (engagements share one table)."""
        return ("type = ?", [self.name[:-1]]) if self.table == "engagements" else ("1 = 1", [])


def _engagement(name: str) -> ObjectStream:
    return ObjectStream(name, "engagements", ENGAGEMENT_PROPERTIES[name], ("contacts",),
                        lambda record, ctx: engagement_row(record, name), key=("type", "id"))


OBJECT_STREAMS: dict[str, ObjectStream] = {
    "contacts": ObjectStream("contacts", "contacts", CONTACT_PROPERTIES, ("companies",),
                             lambda record, ctx: contact_row(record)),
    "companies": ObjectStream("companies", "companies", COMPANY_PROPERTIES, (),
                              lambda record, ctx: company_row(record)),
    "deals": ObjectStream("deals", "deals", DEAL_PROPERTIES, ("contacts", "companies"),
                          lambda record, ctx: deal_row(record, ctx.currency)),
    **{name: _engagement(name) for name in ENGAGEMENT_PROPERTIES},
}


def stream_properties(stream: ObjectStream, stages: Iterable[str], extra: Iterable[str]) -> list[str]:
    """The properties a stream asks for; contacts add the stage-date properties of every lifecycle stage."""
    names = list(stream.properties) + list(extra)
    if stream.name == "contacts":
        names += [prefix.format(stage) for stage in stages for prefix in STAGE_DATE_PREFIXES]
    return list(dict.fromkeys(names))


def with_links(records: list[dict[str, Any]], from_type: str, to_type: str,
               links: dict[str, list[dict[str, Any]]]) -> None:
    """Put associations read through v4 onto records in the inline shape list pages have."""
    primary_id, primary_name = PRIMARY_TYPE_IDS.get((from_type, to_type), (None, None))
    for record in records:
        results = []
        for link in links.get(str(record.get("id")), []):
            types = {t.get("typeId") for t in link.get("associationTypes") or []}
            name = primary_name if primary_id in types else f"{from_type}_to_{to_type}"
            results.append({"id": str(link["toObjectId"]), "type": name})
        record.setdefault("associations", {})[to_type] = {"results": results}


def write_page(mirror: Mirror, stream: ObjectStream, records: list[dict[str, Any]], ctx: PageContext) -> int:
    """Store a page's records (in the caller's transaction); the number stored. Bad records go to quarantine.

    Contacts whose stage dates cannot tell their path are queued in ``history_pending`` in the same
    transaction; the job fetches their history 50 at a time.
    """
    rows, extras, pending = [], [], []
    for record in records:
        try:
            row = stream.to_row(record, ctx)
            more = _extras(stream, record, row)
        except BadRecord as e:
            mirror.quarantine(stream.name, record, str(e))
            continue
        if ctx.full_pass is not None:
            row["full_pass"] = ctx.full_pass
        rows.append(row)
        extras += more
        if stream.name == "contacts" and needs_history(
                row["lifecyclestage"], [(e["stage"], e["entered_at"], e["evidence"]) for e in more], ctx.order):
            pending.append({"contact_id": row["id"]})
    if not rows:
        return 0
    mirror.upsert(stream.table, rows, stream.key)
    ids = [row["id"] for row in rows]
    if stream.name == "contacts":
        _replace(mirror, "contact_stage_history", "contact_id", ids, extras, dates_only=True)
        mirror.upsert("history_pending", pending, ("contact_id",))
        _mark_merged(mirror.db, rows)
    elif stream.name == "deals":
        _replace(mirror, "deal_contacts", "deal_id", ids, extras)
    elif stream.table == "engagements":
        _replace(mirror, "engagement_contacts", "engagement_id", ids, extras, scope=("type", stream.name[:-1]))
    mirror.release(stream.name, ids)
    return len(rows)


def history_rows(contact_id: int, history: list[dict[str, Any]]) -> list[Row]:
    """Stage evidence from a contact's lifecyclestage history (entries that clear the stage carry none)."""
    record = {"properties": {}, "propertiesWithHistory": {"lifecyclestage": history}}
    return [{"contact_id": contact_id, "stage": stage, "entered_at": at, "evidence": kind}
            for stage, at, kind in stage_evidence(record)]


def _extras(stream: ObjectStream, record: dict[str, Any], row: Row) -> list[Row]:
    if stream.name == "contacts":
        return [{"contact_id": row["id"], "stage": stage, "entered_at": at, "evidence": kind}
                for stage, at, kind in stage_evidence(record)]
    if stream.name == "deals":
        return [{"deal_id": row["id"], "contact_id": c} for c in linked_ids(record, "contacts")]
    if stream.table == "engagements":
        return [{"type": row["type"], "engagement_id": row["id"], "contact_id": c}
                for c in linked_ids(record, "contacts")]
    return []


def _replace(mirror: Mirror, table: str, column: str, ids: list[int], rows: list[Row], *,
             scope: tuple[str, str] | None = None, dates_only: bool = False) -> None:
    """Replace the rows hanging off these records (for stage evidence: the dated part; history stays)."""
    where, params = f"{column} IN ({','.join('?' * len(ids))})", list(ids)
    if scope:
        where, params = f"{where} AND {scope[0]} = ?", [*params, scope[1]]
    if dates_only:
        where += " AND evidence != 'history'"
    mirror.db.execute(f"DELETE FROM {table} WHERE {where}", params)
    if rows:
        mirror.upsert(table, rows, tuple(rows[0]))


def _mark_merged(db: Any, rows: list[Row]) -> None:
    """Contacts merged into a surviving one point to it, and their deals and activity move to it, as in HubSpot.

    HubSpot lists the merged ids on the survivor only; the merged-away records leave the API.
    """
    for row in rows:
        merged = [object_id(i, "merged id") for i in (row.get("hs_merged_object_ids") or "").split(";")
                  if i.strip().isascii() and i.strip().isdigit() and len(i.strip()) <= 18]
        if not merged:
            continue
        marks = ",".join("?" * len(merged))
        db.execute(f"UPDATE contacts SET merged_into = ? WHERE id IN ({marks})", [row["id"], *merged])
        for table in ("deal_contacts", "engagement_contacts"):
            db.execute(f"UPDATE OR IGNORE {table} SET contact_id = ? WHERE contact_id IN ({marks})",
                       [row["id"], *merged])
            db.execute(f"DELETE FROM {table} WHERE contact_id IN ({marks})", merged)
        db.execute(f"UPDATE engagements SET contact_id = ? WHERE contact_id IN ({marks})", [row["id"], *merged])
