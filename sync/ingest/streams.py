"""What each object stream reads and how a page of its records lands in the mirror.

A stream's differences from the others are fields of its description, never branches on its name: the
table and the scope of its rows in it, the child rows that hang off its records, what goes with a
deleted record, its per-stage properties, whether it has merges and lifecycle histories. A page is
written in the caller's transaction: its rows, their child rows, and the quarantine of what could not
be typed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..storage import Mirror
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
    stage_signals,
)

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
# Per lifecycle stage: the entry dates (stage evidence), then the exit date and the times in the stage,
# which only show whether the stage was left and entered again (definitions §1.3, API notes §10).
STAGE_PROPERTIES = ("hs_v2_date_entered_{}", "hs_lifecyclestage_{}_date", "hs_date_entered_{}",
                    "hs_v2_date_exited_{}", "hs_v2_cumulative_time_in_{}", "hs_v2_latest_time_in_{}")
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
class Child:
    """Rows that hang off a stream's records: replaced with each write of their record, deleted with it."""

    table: str
    column: str  # the column holding the record's id
    rows: Callable[[dict[str, Any], Row], list[Row]]  # from the record as received and its row
    scoped: bool = False  # the table carries the stream's scope columns too (engagements share a table)
    kept: str | None = None  # SQL condition of rows a write leaves alone, because they are read another way


@dataclass(frozen=True)
class ObjectStream:
    name: str  # the CRM object type
    table: str
    properties: tuple[str, ...]
    associations: tuple[str, ...]  # read inline with list pages, through associations v4 for search pages
    to_row: Callable[[dict[str, Any], PageContext], Row]
    key: tuple[str, ...] = ("id",)
    scope: tuple[tuple[str, Any], ...] = ()  # (column, value): this stream's rows of a table it shares
    children: tuple[Child, ...] = ()
    also_deleted: tuple[tuple[str, str], ...] = ()  # (table, column): rows besides its children that go with it
    stage_properties: tuple[str, ...] = ()  # asked for once per lifecycle stage ("{}" is the stage)
    merged: str | None = None  # the column marking records merged into another; they stay when unseen
    history: tuple[str, ...] = ()  # properties whose history is read for the records a page queues
    after_write: Callable[[Any, list[Row]], None] | None = None  # (database, rows) in the page's transaction

    def where(self) -> tuple[str, list[Any]]:
        """SQL condition selecting this stream's rows, with its parameters."""
        if not self.scope:
            return "1 = 1", []
        return " AND ".join(f"{column} = ?" for column, _ in self.scope), [value for _, value in self.scope]

    def survivors(self) -> str:
        """SQL condition left out of a stream's deletions and live count: records merged into another."""
        return f" AND {self.merged} IS NULL" if self.merged else ""

    def queues_history(self, record: dict[str, Any], row: Row, children: list[Row], ctx: PageContext) -> bool:
        """True where this record's lifecycle history must be read (its stage properties cannot tell its path).

        A stage property that cannot be typed is a BadRecord, as any other bad value.
        """
        return bool(self.history) and needs_history(
            row["lifecyclestage"], [(e["stage"], e["entered_at"], e["evidence"]) for e in children], ctx.order,
            stage_signals(record))


def _stage_rows(record: dict[str, Any], row: Row) -> list[Row]:
    return [{"contact_id": row["id"], "stage": stage, "entered_at": at, "evidence": kind}
            for stage, at, kind in stage_evidence(record)]


def _deal_contacts(record: dict[str, Any], row: Row) -> list[Row]:
    return [{"deal_id": row["id"], "contact_id": c} for c in linked_ids(record, "contacts")]


def _engagement_contacts(record: dict[str, Any], row: Row) -> list[Row]:
    return [{"type": row["type"], "engagement_id": row["id"], "contact_id": c} for c in linked_ids(record, "contacts")]


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


def _engagement(name: str) -> ObjectStream:
    kind = name[:-1]
    return ObjectStream(name, "engagements", ENGAGEMENT_PROPERTIES[name], ("contacts",),
                        lambda record, ctx: engagement_row(record, name), key=("type", "id"), scope=(("type", kind),),
                        children=(Child("engagement_contacts", "engagement_id", _engagement_contacts, scoped=True),))


OBJECT_STREAMS: dict[str, ObjectStream] = {
    "contacts": ObjectStream(
        "contacts", "contacts", CONTACT_PROPERTIES, ("companies",), lambda record, ctx: contact_row(record),
        children=(Child("contact_stage_history", "contact_id", _stage_rows, kept="evidence = 'history'"),),
        also_deleted=(("deal_contacts", "contact_id"),),
        stage_properties=STAGE_PROPERTIES, merged="merged_into", history=("lifecyclestage",),
        after_write=_mark_merged),
    "companies": ObjectStream("companies", "companies", COMPANY_PROPERTIES, (),
                              lambda record, ctx: company_row(record)),
    "deals": ObjectStream("deals", "deals", DEAL_PROPERTIES, ("contacts", "companies"),
                          lambda record, ctx: deal_row(record, ctx.currency),
                          children=(Child("deal_contacts", "deal_id", _deal_contacts),)),
    **{name: _engagement(name) for name in ENGAGEMENT_PROPERTIES},
}


def stream_properties(stream: ObjectStream, stages: Iterable[str], extra: Iterable[str]) -> list[str]:
    """The properties a stream asks for: its own, the per-stage ones for every lifecycle stage, the extra ones."""
    names = list(stream.properties) + list(extra)
    names += [pattern.format(stage) for stage in stages for pattern in stream.stage_properties]
    return list(dict.fromkeys(names))


def links_cut_short(record: dict[str, Any], to_type: str) -> bool:
    """True when a record's inline associations to ``to_type`` carry ``paging``: HubSpot inlines 100 a record."""
    block = (record.get("associations") or {}).get(to_type) if isinstance(record.get("associations"), dict) else None
    return isinstance(block, dict) and bool(block.get("paging"))


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

    Records whose lifecycle history must be read are queued in ``history_pending`` in the same
    transaction; the job reads their history 50 at a time.
    """
    rows: list[Row] = []
    children: dict[str, list[Row]] = {child.table: [] for child in stream.children}
    pending = []
    for record in records:
        try:
            row = stream.to_row(record, ctx)
            hanging = {child.table: child.rows(record, row) for child in stream.children}
            queued = stream.queues_history(record, row, [r for more in hanging.values() for r in more], ctx)
        except BadRecord as e:
            mirror.quarantine(stream.name, record, str(e))
            continue
        if ctx.full_pass is not None:
            row["full_pass"] = ctx.full_pass
        rows.append(row)
        for table, more in hanging.items():
            children[table] += more
        if queued:
            pending.append({"contact_id": row["id"]})
    if not rows:
        return 0
    mirror.upsert(stream.table, rows, stream.key)
    ids = [row["id"] for row in rows]
    for child in stream.children:
        _replace(mirror, stream, child, ids, children[child.table])
    mirror.upsert("history_pending", pending, ("contact_id",))
    if stream.after_write:
        stream.after_write(mirror.db, rows)
    mirror.release(stream.name, ids)
    return len(rows)


def _replace(mirror: Mirror, stream: ObjectStream, child: Child, ids: list[int], rows: list[Row]) -> None:
    """Replace the child rows of these records (except the ones the child keeps). A row that stays is left as it
    is: only real changes reach the triggers (the change counters, the funnel's queue)."""
    where, params = f"{child.column} IN ({','.join('?' * len(ids))})", list(ids)
    if child.scoped:
        scope, values = stream.where()
        where, params = f"{where} AND {scope}", [*params, *values]
    if child.kept:
        where += f" AND NOT ({child.kept})"
    mirror.replace(child.table, where, params, rows)
