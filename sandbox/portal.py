"""The sandbox's in-memory portal: object stores, metadata, and writes with HubSpot's side effects.

Every method that reads or changes state runs under one lock, so the threaded server serves
concurrent clients safely. Side effects of writes follow the API notes (sections 3, 10, 11):
the last-modified date moves, lifecycle stages only move forward, stage-entry dates and history
are kept, a won deal makes its contacts customers.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from . import associations as assoc
from .errors import bad_request, conflict, invalid_properties, not_found, property_problem
from .records import Record, iso_from_ms, ms_from_text
from .standard_objects import STANDARD_TYPES

TYPE_IDS = {"0-1": "contacts", "0-2": "companies", "0-3": "deals", "0-48": "calls",
            "0-49": "emails", "0-47": "meetings", "0-27": "tasks", "0-46": "notes",
            **{t.type_id: t.name for t in STANDARD_TYPES if t.type_id}}
DUE_DATED = ("tasks",)  # hs_timestamp (the due date) is required on create (API notes §13)
SINGULAR_NAMES = {v: k for k, v in assoc.SINGULAR.items()}
LAST_MODIFIED = {"contacts": "lastmodifieddate"}
CREATED = {"contacts": "createdate", "companies": "createdate", "deals": "createdate",
           **{t.name: t.created for t in STANDARD_TYPES}}


def last_modified_property(object_type: str) -> str:
    return LAST_MODIFIED.get(object_type, "hs_lastmodifieddate")


def created_property(object_type: str) -> str:
    return CREATED.get(object_type, "hs_createdate")


def _millis(text: str | None) -> int:
    """A time in stage as kept (whole milliseconds); a value the sandbox cannot read counts as none."""
    try:
        return int(Decimal(text or 0))
    except (InvalidOperation, ValueError, OverflowError):
        return 0


_TYPE_SETS: dict[frozenset[int], frozenset[int]] = {}


def link(targets: dict[str, frozenset[int]], to_id: str, type_id: int) -> None:
    """Add one association type to a link; the few distinct sets of types are shared, not one per link."""
    types = targets.get(to_id, frozenset()) | {type_id}
    targets[to_id] = _TYPE_SETS.setdefault(types, types)


class ObjectStore:
    """Records of one type, kept in id order so a list page starts with one bisect."""

    def __init__(self, object_type: str) -> None:
        self.object_type = object_type
        self.records: dict[str, Record] = {}
        self._ids: list[int] = []
        self._ordered: list[Record] = []
        self.changes = 0  # records added or removed, so far

    def add(self, record: Record) -> None:
        self.changes += 1
        key = int(record.id)
        if record.id in self.records:
            self._ordered[bisect.bisect_left(self._ids, key)] = record
        elif not self._ids or key > self._ids[-1]:
            self._ids.append(key)
            self._ordered.append(record)
        else:
            at = bisect.bisect_left(self._ids, key)
            self._ids.insert(at, key)
            self._ordered.insert(at, record)
        self.records[record.id] = record

    def remove(self, record_id: str) -> None:
        self.changes += 1
        del self.records[record_id]
        at = bisect.bisect_left(self._ids, int(record_id))
        del self._ids[at], self._ordered[at]

    def next_id(self) -> str:
        return str(self._ids[-1] + 1 if self._ids else 1)

    def iter_from(self, after: int) -> Iterator[Record]:
        ordered = self._ordered
        for at in range(bisect.bisect_left(self._ids, after), len(ordered)):
            yield ordered[at]


class Portal:
    """State of one sandbox portal. Built by :func:`sandbox.loader.load_portal`."""

    def __init__(self, account: dict[str, Any], clock: Callable[[], float] = time.time) -> None:
        self.account = account
        self.clock = clock
        self.lock = threading.RLock()
        self.stores: dict[str, ObjectStore] = {}
        self.properties: dict[str, dict[str, dict[str, Any]]] = {}
        self.groups: dict[str, dict[str, dict[str, Any]]] = {}
        self.owners: list[dict[str, Any]] = []
        self.pipelines: list[dict[str, Any]] = []
        self.campaigns: list[dict[str, Any]] = []
        self.schemas: dict[str, dict[str, Any]] = {}
        self.custom_objects_allowed = True
        self.writes = 0  # records written (touched or archived) through the portal, so far
        self._emails: dict[str, str] = {}

    # -- types and metadata ------------------------------------------------------------------

    def resolve_type(self, name: str) -> str:
        """Canonical type name from a plural, singular, ``0-n``/``2-n`` id or fully qualified name."""
        if name in self.stores:
            return name
        canonical = TYPE_IDS.get(name) or SINGULAR_NAMES.get(name)
        if canonical in self.stores:
            return canonical
        for schema in self.schemas.values():
            if name in (schema["objectTypeId"], schema["fullyQualifiedName"], schema["name"]):
                return schema["name"]
        raise bad_request(f"Unable to infer object type from: {name}")

    def type_id(self, object_type: str) -> str:
        """HubSpot's object type id (``0-1``, ``2-123456``) for a canonical type name; the name itself for a
        standard type whose id no public source gives (deal splits)."""
        if object_type in self.schemas:
            return self.schemas[object_type]["objectTypeId"]
        return next((k for k, v in TYPE_IDS.items() if v == object_type), object_type)

    def ensure_type(self, object_type: str) -> ObjectStore:
        self.properties.setdefault(object_type, {})
        self.groups.setdefault(object_type, {})
        return self.stores.setdefault(object_type, ObjectStore(object_type))

    def property_types(self, object_type: str) -> dict[str, str]:
        return {name: p["type"] for name, p in self.properties[object_type].items()}

    def stage_order(self) -> dict[str, int]:
        """Lifecycle stage value -> position, from the portal's own option list (custom stages included)."""
        options = self.properties["contacts"]["lifecyclestage"]["options"]
        ranked = sorted(options, key=lambda o: o["displayOrder"])
        return {o["value"]: i for i, o in enumerate(ranked)}

    def deal_stage(self, pipeline_id: str | None, stage_id: str) -> dict[str, Any] | None:
        for pipeline in self.pipelines:
            if pipeline_id in (None, pipeline["id"]):
                for stage in pipeline["stages"]:
                    if stage["id"] == stage_id:
                        return stage
        return None

    def owner_ids(self) -> set[str]:
        return {str(o["id"]) for o in self.owners}

    # -- reads -------------------------------------------------------------------------------

    def get(self, object_type: str, record_id: str, *, id_property: str | None = None,
            archived: bool = False) -> Record:
        store = self.stores[object_type]
        record = self.find(object_type, record_id, id_property)
        if record is None and not id_property:
            record = self._merged_into(store, record_id)
        if record is None or record.archived != archived:
            raise not_found(record_id)
        return record

    def find(self, object_type: str, value: str, id_property: str | None = None) -> Record | None:
        store = self.stores[object_type]
        if not id_property or id_property == "hs_object_id":
            return store.records.get(value)
        if object_type == "contacts" and id_property == "email":
            found = self._emails.get(value.lower())
            return store.records.get(found) if found else None
        definition = self.properties[object_type].get(id_property)
        if definition is None or not definition.get("hasUniqueValue"):
            raise bad_request(f"{id_property} is not a unique identifier property for {object_type}.")
        return next((r for r in store.records.values()
                     if not r.archived and r.properties.get(id_property) == value), None)

    def _merged_into(self, store: ObjectStore, record_id: str) -> Record | None:
        """HubSpot answers a read of a merged-away id with the record it was merged into."""
        for record in store.records.values():
            merged = record.properties.get("hs_merged_object_ids") or ""
            if record_id in merged.split(";"):
                return record
        return None

    def page(self, object_type: str, after: str | None, limit: int,
             archived: bool) -> tuple[list[Record], str | None]:
        try:
            start = int(after) if after else 0
        except ValueError:
            raise bad_request(f"Invalid 'after' cursor: {after!r}") from None
        page: list[Record] = []
        for record in self.stores[object_type].iter_from(start):
            if record.archived != archived:
                continue
            if len(page) == limit:
                return page, record.id
            page.append(record)
        return page, None

    # -- writes ------------------------------------------------------------------------------

    def now(self) -> tuple[int, str]:
        ms = int(self.clock() * 1000)
        return ms, iso_from_ms(ms)

    def create(self, object_type: str, properties: dict[str, Any],
               links: Sequence[tuple[str, str, int]] = (), source: str = "INTEGRATION") -> Record:
        """Create a record; ``links`` are (to type, to id, association type id), made before side effects."""
        values = self.validate(object_type, properties, creating=True)
        for to_type, to_id, _ in links:
            if to_id not in self.stores[to_type].records:
                raise not_found(to_id)
        store = self.stores[object_type]
        _, now = self.now()
        record = Record(id=store.next_id(), properties={}, created_at=now, updated_at=now)
        record.properties.update({"hs_object_id": record.id, created_property(object_type): now})
        if object_type == "deals":
            values.setdefault("pipeline", "default")
            self._check_deal_stage(values["pipeline"], values.get("dealstage"))
        if object_type == "contacts":
            self._claim_email(values.get("email"), record.id)
        store.add(record)
        for to_type, to_id, type_id in links:
            self.associate(object_type, record.id, to_type, to_id, type_id)
        self._apply(object_type, record, values, source)
        return record

    def update(self, object_type: str, record: Record, properties: dict[str, Any],
               source: str = "INTEGRATION") -> Record:
        values = self.validate(object_type, properties, creating=False)
        if object_type == "contacts" and "email" in values:
            self._claim_email(values["email"], record.id)
        self._apply(object_type, record, values, source)
        return record

    def archive(self, object_type: str, record: Record) -> None:
        _, now = self.now()
        record.archived, record.archived_at = True, now
        record.updated_at = now
        record.written_at = self.clock()
        self.writes += 1
        if object_type == "contacts":
            self._release_email(record)

    def merge(self, object_type: str, primary: Record, other: Record) -> Record:
        if primary.id == other.id:
            raise bad_request("Cannot merge an object with itself.")
        merged = [m for m in (primary.properties.get("hs_merged_object_ids") or "").split(";") if m]
        merged += [other.id] + [m for m in (other.properties.get("hs_merged_object_ids") or "").split(";") if m]
        for to_type, targets in other.associations.items():
            for to_id, types in targets.items():
                for type_id in types:
                    self.associate(object_type, primary.id, to_type, to_id, type_id)
        self.disassociate_all(object_type, other)
        if object_type == "contacts":
            self._release_email(other)
        self.stores[object_type].remove(other.id)
        self._set(primary, "hs_merged_object_ids", ";".join(merged), "MERGE")
        self._touch(object_type, primary)
        return primary

    def associate(self, src_type: str, src_id: str, dst_type: str, dst_id: str, type_id: int) -> None:
        src = self.stores[src_type].records.get(src_id)
        dst = self.stores[dst_type].records.get(dst_id)
        if src is None or dst is None:
            raise not_found(src_id if src is None else dst_id)
        link(src.associations.setdefault(dst_type, {}), dst_id, type_id)
        link(dst.associations.setdefault(src_type, {}), src_id, assoc.REVERSE[type_id])

    def disassociate(self, src_type: str, src: Record, dst_type: str, dst_id: str) -> None:
        src.associations.get(dst_type, {}).pop(dst_id, None)
        dst = self.stores[dst_type].records.get(dst_id)
        if dst is not None:
            dst.associations.get(src_type, {}).pop(src.id, None)

    def disassociate_all(self, object_type: str, record: Record) -> None:
        for to_type, targets in list(record.associations.items()):
            for to_id in list(targets):
                self.disassociate(object_type, record, to_type, to_id)

    # -- validation and side effects -------------------------------------------------------------

    def validate(self, object_type: str, properties: Any, *, creating: bool) -> dict[str, str | None]:
        """Normalised values, or a 400 naming every bad property, as HubSpot answers.

        JSON null changes nothing; ``""`` clears a value (API notes §1a), and a create has nothing to clear.
        """
        if not isinstance(properties, dict):
            raise bad_request("'properties' must be an object of property name to string value.")
        defs = self.properties[object_type]
        problems: list[dict[str, Any]] = []
        values: dict[str, str | None] = {}
        for name, raw in properties.items():
            definition = defs.get(name)
            if definition is None or definition.get("archived"):
                problems.append(property_problem(name, "PROPERTY_DOESNT_EXIST",
                                                 f'Property "{name}" does not exist'))
                continue
            if definition["modificationMetadata"].get("readOnlyValue") and not (
                    creating and name in ("createdate", "hs_createdate")):
                problems.append(property_problem(
                    name, "READ_ONLY_VALUE", f'Property "{name}" is a read only property; its value cannot be set.'))
                continue
            if raw is None or raw == "":
                if raw == "" and not creating:
                    values[name] = ""
                continue
            value, error = self._normalise(object_type, definition, raw)
            if error:
                problems.append(property_problem(name, error, f'{raw!r} is not a valid value for "{name}"'))
            else:
                values[name] = value
        if creating and object_type in DUE_DATED and not values.get("hs_timestamp"):
            problems.append(property_problem("hs_timestamp", "REQUIRED_PROPERTY",
                                             'Property "hs_timestamp" is required to create a task'))
        if problems:
            raise invalid_properties(problems)
        return values

    def _normalise(self, object_type: str, definition: dict[str, Any], raw: Any) -> tuple[str | None, str | None]:
        text = str(raw).lower() if isinstance(raw, bool) else str(raw)
        kind, name = definition["type"], definition["name"]
        if kind == "number":
            try:
                Decimal(text)
            except InvalidOperation:
                return None, "INVALID_DECIMAL"
            return text, None
        if kind in ("datetime", "date"):
            ms = ms_from_text(text)
            if ms is None:
                return None, "INVALID_DATE"
            return (iso_from_ms(ms) if kind == "datetime" else iso_from_ms(ms - ms % 86_400_000)[:10]), None
        if kind == "bool":
            return (text, None) if text in ("true", "false") else (None, "INVALID_BOOLEAN")
        if name == "hubspot_owner_id":
            return (text, None) if text in self.owner_ids() else (None, "INVALID_OWNER_ID")
        if name == "dealstage":
            return (text, None) if self.deal_stage(None, text) else (None, "INVALID_OPTION")
        if name == "pipeline" and object_type == "deals":
            return (text, None) if any(p["id"] == text for p in self.pipelines) else (None, "INVALID_OPTION")
        if kind == "enumeration" and definition["options"]:
            allowed = {o["value"] for o in definition["options"]}
            chosen = text.split(";") if definition["fieldType"] == "checkbox" else [text]
            return (text, None) if all(c in allowed for c in chosen) else (None, "INVALID_OPTION")
        if name == "email" and "@" not in text:
            return None, "INVALID_EMAIL"
        return text, None

    def _claim_email(self, email: str | None, record_id: str) -> None:
        """The email becomes the record's key; a cleared one (``""``) frees the old one."""
        owner = self._emails.get(email.lower()) if email else None
        if owner and owner != record_id:
            raise conflict(f"Contact already exists. Existing ID: {owner}")
        record = self.stores["contacts"].records.get(record_id)
        if record is not None:
            self._release_email(record)
        if email:
            self._emails[email.lower()] = record_id

    def _release_email(self, record: Record) -> None:
        email = (record.properties.get("email") or "").lower()
        if self._emails.get(email) == record.id:
            del self._emails[email]

    def index_email(self, record: Record) -> None:
        email = record.properties.get("email")
        if email and not record.archived:
            self._emails[email.lower()] = record.id

    def _set(self, record: Record, name: str, value: str | None, source: str) -> bool:
        """Set one value; a cleared one is kept as ``""`` (HubSpot answers it so), clearing no value is no change."""
        old = record.properties.get(name)
        if old == value or (value == "" and old is None):
            return False
        _, now = self.now()
        entries = record.history.setdefault(name, list(record.history_of(name)))
        entries.insert(0, {"value": "" if value is None else value, "timestamp": now, "sourceType": source})
        record.properties[name] = value
        return True

    def _apply(self, object_type: str, record: Record, values: dict[str, str | None], source: str) -> None:
        props = record.properties
        old_stage = props.get("dealstage")
        if object_type == "deals":
            self._check_deal_stage(values.get("pipeline", props.get("pipeline")),
                                   values.get("dealstage", old_stage))
        new_lifecycle = values.pop("lifecyclestage", props.get("lifecyclestage")) \
            if object_type == "contacts" else None
        changed = False
        for name, value in values.items():
            changed |= self._set(record, name, value, source)
        if object_type == "contacts":
            changed |= self._move_lifecycle(record, new_lifecycle, source)
        if object_type == "deals":
            changed |= self._deal_stage_effects(record, old_stage)
        if changed or record.created_at == record.updated_at:
            self._touch(object_type, record)

    def _touch(self, object_type: str, record: Record) -> None:
        _, now = self.now()
        record.updated_at = now
        record.properties[last_modified_property(object_type)] = now
        record.written_at = self.clock()
        self.writes += 1

    def _move_lifecycle(self, record: Record, new: str | None, source: str) -> bool:
        """Forward moves only: HubSpot ignores a move backwards unless the stage was cleared first.

        The stage calculated properties follow HubSpot's KB ("Use stage calculated properties"): Date
        entered moves to the latest entry, Date exited is set on leaving, Latest time in is the stay since
        the latest entry and Cumulative time in adds every stay, both written when the stay ends (in
        milliseconds, as strings). "Became a ... date" keeps the first entry and is cleared above a stage
        set lower (API notes §10). ``hs_date_entered_<s>``'s exact behaviour is unconfirmed: it is modelled
        as the latest entry, like the v2 date. The history keeps every change.
        """
        old = record.properties.get("lifecyclestage")
        if (new or None) == (old or None):
            return False
        order = self.stage_order()
        if old and new and order[new] < order[old]:
            return False
        ms, now = self.now()
        props = record.properties
        if old:  # a loaded record may lack the dates: its stay then began with its latest stage change
            entered = props.get(f"hs_v2_date_entered_{old}") or record.history_of("lifecyclestage")[0]["timestamp"]
            stay = max(0, ms - (ms_from_text(entered) or ms))
            props[f"hs_v2_date_exited_{old}"] = now
            props[f"hs_v2_latest_time_in_{old}"] = str(stay)
            props[f"hs_v2_cumulative_time_in_{old}"] = str(_millis(props.get(f"hs_v2_cumulative_time_in_{old}")) + stay)
        self._set(record, "lifecyclestage", new, source)
        if new:
            props[f"hs_v2_date_entered_{new}"] = props[f"hs_date_entered_{new}"] = now
            if not props.get(f"hs_lifecyclestage_{new}_date"):
                props[f"hs_lifecyclestage_{new}_date"] = now
            for stage, rank in order.items():  # "Became a ... date" is cleared above a stage set lower
                if rank > order[new] and props.get(f"hs_lifecyclestage_{stage}_date"):
                    props[f"hs_lifecyclestage_{stage}_date"] = None
        return True

    def _check_deal_stage(self, pipeline_id: str | None, stage_id: str | None) -> None:
        if stage_id and self.deal_stage(pipeline_id, stage_id) is None:
            raise invalid_properties([property_problem(
                "dealstage", "INVALID_OPTION", f"{stage_id} is not a stage of pipeline {pipeline_id}")])

    def _deal_stage_effects(self, record: Record, old_stage: str | None) -> bool:
        """Stage dates and the calculated closed/won flags, from the stage's metadata."""
        props = record.properties
        stage_id = props.get("dealstage")
        if not stage_id:
            return False
        stage = self.deal_stage(props.get("pipeline"), stage_id)
        assert stage is not None  # checked before any value was applied
        if stage_id != old_stage:
            _, now = self.now()
            if old_stage:
                props[f"hs_v2_date_exited_{old_stage}"] = now
            props[f"hs_v2_date_entered_{stage_id}"] = now
        meta = stage["metadata"]
        closed = meta.get("isClosed") == "true"
        won = closed and meta.get("probability") == "1.0"
        changed = self._set(record, "hs_is_closed", "true" if closed else "false", "CALCULATED")
        changed |= self._set(record, "hs_is_closed_won", "true" if won else "false", "CALCULATED")
        changed |= self._set(record, "hs_deal_stage_probability", meta.get("probability"), "CALCULATED")
        if won and stage_id != old_stage:
            self._promote_contacts_to_customer(record)
        return changed

    def _promote_contacts_to_customer(self, deal: Record) -> None:
        order = self.stage_order()
        contacts = self.stores["contacts"].records
        for contact_id in deal.associations.get("contacts", {}):
            contact = contacts.get(contact_id)
            if contact is None or contact.archived:
                continue
            current = contact.properties.get("lifecyclestage")
            if not current or order.get(current, 0) < order["customer"]:
                if self._move_lifecycle(contact, "customer", "CALCULATED"):
                    self._touch("contacts", contact)
