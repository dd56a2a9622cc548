"""CRM records (HubSpot's API shapes) to mirror rows, typed; a record that cannot be typed is a BadRecord.

Every function here is pure: the jobs decide what to do with a BadRecord (quarantine it, go on).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from ..storage import MAX_MICROS_AMOUNT, MICROS, iso

ENGAGEMENT_FIELDS = {  # type -> (direction, outcome, title) properties
    "calls": ("hs_call_direction", "hs_call_status", "hs_call_title"),
    "emails": ("hs_email_direction", "hs_email_status", "hs_email_subject"),
    "meetings": (None, "hs_meeting_outcome", "hs_meeting_title"),
    "tasks": (None, "hs_task_status", "hs_task_subject"),
}
STAGE_EVIDENCE = [  # (pattern of a stage-date property, evidence name)
    (re.compile(r"^hs_v2_date_entered_(.+)$"), "hs_v2_date_entered"),
    (re.compile(r"^hs_lifecyclestage_(.+)_date$"), "hs_lifecyclestage_date"),
    (re.compile(r"^hs_date_entered_(.+)$"), "hs_date_entered"),
]
STAGE_SIGNALS = [  # (pattern, signal): stage properties that are no entries but can show a stage entered again
    (re.compile(r"^hs_v2_date_exited_(.+)$"), "exited"),
    (re.compile(r"^hs_v2_cumulative_time_in_(.+)$"), "cumulative"),
    (re.compile(r"^hs_v2_latest_time_in_(.+)$"), "latest"),
]
# HubSpot's own form, kept as it is once checked: most of a page's dates come in it, and formatting is the cost
CANONICAL_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", re.ASCII)
PRIMARY_COMPANY = {"contacts": "contact_to_company", "deals": "deal_to_company"}


class BadRecord(ValueError):
    """A record the mirror cannot store as it is; the message is the reason kept in quarantine."""


Row = dict[str, Any]


def timestamp(value: Any, name: str) -> str | None:
    """UTC ISO-8601 with milliseconds, whatever HubSpot sent (ISO text or epoch milliseconds)."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    try:
        if CANONICAL_TIMESTAMP.fullmatch(text):
            datetime.fromisoformat(text[:-1])  # a real date and time, or ValueError
            return text
        if text.isdigit():
            moment = datetime.fromtimestamp(int(text) / 1000, UTC)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError, OSError):
        raise BadRecord(f"{name} is not a date: {text[:40]!r}") from None
    return iso(moment)


def text(value: Any) -> Any:
    """A text value, ``""`` as None: HubSpot answers a cleared value as ``""``, a never-set one as null."""
    return None if value == "" else value


def number(value: Any, name: str) -> float | None:
    parsed = _decimal(value, name)
    return None if parsed is None else float(parsed)


def money(value: Any, name: str) -> tuple[float | None, int | None]:
    """An amount as the REAL and its exact twin in micros (a millionth, rounded half-even), from one parse."""
    parsed = _decimal(value, name)
    if parsed is None:
        return None, None
    if abs(parsed) >= MAX_MICROS_AMOUNT:
        raise BadRecord(f"{name} is too large for the mirror: {str(value)[:40]!r}")
    return float(parsed), int((parsed * MICROS).to_integral_value(ROUND_HALF_EVEN))


def _decimal(value: Any, name: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        parsed = Decimal(str(value).strip())
    except InvalidOperation:
        raise BadRecord(f"{name} is not a number: {str(value)[:40]!r}") from None
    if not parsed.is_finite():
        raise BadRecord(f"{name} is not a finite number: {str(value)[:40]!r}")
    if not math.isfinite(float(parsed)):
        raise BadRecord(f"{name} is not a finite number: {str(value)[:40]!r}")
    return parsed


def flag(value: Any, name: str) -> int | None:
    if value is None or value == "":
        return None
    text = str(value).strip().lower()
    if text not in ("true", "false"):
        raise BadRecord(f"{name} is not true or false: {str(value)[:40]!r}")
    return int(text == "true")


MAX_ID = 2**63 - 1  # SQLite's INTEGER


def object_id(value: Any, name: str = "id") -> int | None:
    if value is None or value == "":
        return None
    text = str(value).strip()
    # isdigit() alone accepts superscripts and numbers no INTEGER column can hold
    if not (text.isascii() and text.isdigit() and len(text) <= 19 and int(text) <= MAX_ID):
        raise BadRecord(f"{name} is not a numeric id: {text[:40]!r}")
    return int(text)


def _base(record: Any, stream: str) -> tuple[int, dict[str, Any]]:
    if not isinstance(record, dict):
        raise BadRecord(f"a {stream} record must be an object, got {type(record).__name__}")
    record_id = object_id(record.get("id"))
    if record_id is None:
        raise BadRecord("the record has no id")
    props = record.get("properties")
    if not isinstance(props, dict):
        raise BadRecord("the record has no properties object")
    return record_id, props


def _properties_text(props: dict[str, Any]) -> str:
    """The properties as JSON text. HubSpot sends every value as a string or null; anything else cannot be
    stored as sent, nor can text that is not valid Unicode (checked on the whole text at once, for speed)."""
    for name, value in props.items():
        if value is not None and not isinstance(value, str):
            raise BadRecord(f"{name} is not a string but {type(value).__name__}")
    text = json.dumps(props, ensure_ascii=False, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        bad = next((name for name, value in props.items() if not _is_unicode(f"{name}{value or ''}")),
                   "a property name")
        raise BadRecord(f"{bad} holds text that is not valid Unicode") from None
    return text


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _common(record: dict[str, Any], props: dict[str, Any]) -> Row:
    text = _properties_text(props)
    archived = record.get("archived")
    if archived not in (None, True, False):
        raise BadRecord(f"archived is not a boolean: {archived!r}")
    return {"archived": int(bool(archived)), "archived_at": timestamp(record.get("archivedAt"), "archivedAt"),
            "properties": text}


def linked_ids(record: dict[str, Any], to_type: str, type_name: str | None = None) -> list[int]:
    """Ids of inline associations (``?associations=``), optionally of one association type, deduplicated."""
    links = record.get("associations") or {}
    block = links.get(to_type) or {} if isinstance(links, dict) else None
    results = block.get("results") or [] if isinstance(block, dict) else None
    if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
        raise BadRecord(f"associations to {to_type} are not in HubSpot's shape")
    ids = {object_id(r.get("id"), f"associated {to_type} id") for r in results
           if type_name is None or r.get("type") == type_name}
    return sorted(i for i in ids if i is not None)


def primary_company(record: dict[str, Any], stream: str) -> int | None:
    ids = linked_ids(record, "companies", PRIMARY_COMPANY[stream])
    return ids[0] if ids else None


def contact_row(record: Any) -> Row:
    record_id, p = _base(record, "contacts")
    texts = {name: text(p.get(name)) for name in (
        "email", "firstname", "lastname", "lifecyclestage", "hs_lead_status", "hs_analytics_source",
        "hs_analytics_source_data_1", "hs_analytics_source_data_2", "hs_analytics_first_touch_converting_campaign",
        "hs_analytics_last_touch_converting_campaign", "hs_merged_object_ids")}
    return {"id": record_id, **texts,
            "hubspot_owner_id": object_id(p.get("hubspot_owner_id"), "hubspot_owner_id"),
            "hubspot_owner_assigneddate": timestamp(p.get("hubspot_owner_assigneddate"), "hubspot_owner_assigneddate"),
            "company_id": primary_company(record, "contacts"),
            "createdate": timestamp(p.get("createdate") or record.get("createdAt"), "createdate"),
            "lastmodifieddate": timestamp(p.get("lastmodifieddate") or record.get("updatedAt"), "lastmodifieddate"),
            **_common(record, p)}


@lru_cache(maxsize=4096)
def _stage_date(name: str) -> tuple[str, str] | None:
    """(stage, evidence) if ``name`` is a stage-date property; a page asks about the same names again and again."""
    for pattern, evidence in STAGE_EVIDENCE:
        match = pattern.match(name)
        if match:
            return match.group(1), evidence
    return None


def stage_evidence(record: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(stage, entered at, evidence) from the stage-date properties and any lifecyclestage history."""
    for name, value in record["properties"].items():
        if value:
            found = _stage_date(name)
            if found:
                yield found[0], timestamp(value, name) or "", found[1]
    history = record.get("propertiesWithHistory") or {}
    entries = history.get("lifecyclestage") or [] if isinstance(history, dict) else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise BadRecord("the lifecyclestage history is not in HubSpot's shape")
    for entry in entries:
        value = entry.get("value")
        if value is not None and not isinstance(value, str):
            raise BadRecord(f"a lifecyclestage history value is not a string but {type(value).__name__}")
        if value:
            yield value, timestamp(entry.get("timestamp"), "lifecyclestage history") or "", "history"


@lru_cache(maxsize=4096)
def _stage_signal(name: str) -> tuple[str, str] | None:
    """(stage, signal) if ``name`` is an exit date or a time in stage of a lifecycle stage."""
    for pattern, signal in STAGE_SIGNALS:
        match = pattern.match(name)
        if match:
            return match.group(1), signal
    return None


def stage_signals(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Stage -> {signal: value} from the exit dates (typed as dates) and times in stage (milliseconds, numbers).

    They are not entries, so they are no stage evidence; ``needs_history`` reads them for re-entries.
    """
    signals: dict[str, dict[str, Any]] = {}
    for name, value in record["properties"].items():
        if value:
            found = _stage_signal(name)
            if found:
                stage, signal = found
                typed = timestamp(value, name) if signal == "exited" else number(value, name)
                signals.setdefault(stage, {})[signal] = typed
    return signals


def needs_history(current_stage: str | None, evidence: Iterable[tuple[str, str, str]], order: dict[str, int],
                  signals: Mapping[str, Mapping[str, Any]] | None = None) -> bool:
    """True where the stage properties cannot tell the contact's path, so only its history can (definitions §1.3).

    The legacy "became a" dates are cleared on a move back, and the v2 entry dates keep only the latest
    entry. So the history is needed when the current stage is below a stage the contact has a date for,
    or when a stage shows it was left and entered again: its exit date before its v2 entry date, its
    legacy date before the v2 one, or a cumulative time in it above the latest stay's. A contact that
    simply passed through stages shows none of these.
    """
    current = order.get(current_stage or "")
    entered: dict[str, str] = {}
    legacy: dict[str, str] = {}
    for stage, at, kind in evidence:
        if kind == "history":
            continue
        if current is not None and order.get(stage, -1) > current:
            return True
        if kind == "hs_v2_date_entered":
            entered[stage] = at
        elif kind == "hs_lifecyclestage_date":
            legacy[stage] = at
    if any(stage in entered and at < entered[stage] for stage, at in legacy.items()):
        return True
    for stage, shown in (signals or {}).items():
        exited, cumulative, latest = shown.get("exited"), shown.get("cumulative"), shown.get("latest")
        if exited and stage in entered and exited < entered[stage]:
            return True
        if cumulative is not None and latest is not None and cumulative > latest:
            return True
    return False


def company_row(record: Any) -> Row:
    record_id, p = _base(record, "companies")
    return {"id": record_id, "name": text(p.get("name")), "domain": text(p.get("domain")),
            "industry": text(p.get("industry")),
            "lifecyclestage": p.get("lifecyclestage") or None,
            "hubspot_owner_id": object_id(p.get("hubspot_owner_id"), "hubspot_owner_id"),
            "numberofemployees": number(p.get("numberofemployees"), "numberofemployees"),
            "annualrevenue": number(p.get("annualrevenue"), "annualrevenue"),
            "createdate": timestamp(p.get("createdate") or record.get("createdAt"), "createdate"),
            "hs_lastmodifieddate": timestamp(p.get("hs_lastmodifieddate") or record.get("updatedAt"),
                                             "hs_lastmodifieddate"),
            **_common(record, p)}


def deal_row(record: Any, portal_currency: str | None) -> Row:
    record_id, p = _base(record, "deals")
    amount = money(p.get("amount"), "amount")
    in_home = money(p.get("amount_in_home_currency"), "amount_in_home_currency")
    currency = p.get("deal_currency_code") or None
    home = in_home
    if home[0] is None and amount[0] is not None and (currency is None or currency == portal_currency):
        home = amount
    return {"id": record_id, "dealname": text(p.get("dealname")), "pipeline": text(p.get("pipeline")),
            "dealstage": text(p.get("dealstage")), "amount": amount[0], "amount_micros": amount[1],
            "deal_currency_code": currency, "amount_in_home_currency": in_home[0],
            "amount_in_home_currency_micros": in_home[1], "amount_home": home[0], "amount_home_micros": home[1],
            "closedate": timestamp(p.get("closedate"), "closedate"),
            "createdate": timestamp(p.get("createdate") or record.get("createdAt"), "createdate"),
            "hs_lastmodifieddate": timestamp(p.get("hs_lastmodifieddate") or record.get("updatedAt"),
                                             "hs_lastmodifieddate"),
            "hs_is_closed": flag(p.get("hs_is_closed"), "hs_is_closed"),
            "hs_is_closed_won": flag(p.get("hs_is_closed_won"), "hs_is_closed_won"),
            "dealtype": text(p.get("dealtype")),
            "hubspot_owner_id": object_id(p.get("hubspot_owner_id"), "hubspot_owner_id"),
            "hs_analytics_source": text(p.get("hs_analytics_source")), "company_id": primary_company(record, "deals"),
            **_common(record, p)}


def engagement_row(record: Any, engagement_type: str) -> Row:
    if engagement_type not in ENGAGEMENT_FIELDS:
        raise BadRecord(f"unknown engagement type {engagement_type!r}")
    record_id, p = _base(record, engagement_type)
    direction, outcome, title = ENGAGEMENT_FIELDS[engagement_type]
    contacts = linked_ids(record, "contacts")
    return {"id": record_id, "type": engagement_type[:-1], "hs_timestamp": timestamp(p.get("hs_timestamp"),
                                                                                       "hs_timestamp"),
            "hubspot_owner_id": object_id(p.get("hubspot_owner_id"), "hubspot_owner_id"),
            "contact_id": contacts[0] if contacts else None,
            "direction": text(p.get(direction)) if direction else None, "outcome": text(p.get(outcome)),
            "title": text(p.get(title)),
            "createdate": timestamp(p.get("hs_createdate") or record.get("createdAt"), "hs_createdate"),
            "hs_lastmodifieddate": timestamp(p.get("hs_lastmodifieddate") or record.get("updatedAt"),
                                             "hs_lastmodifieddate"),
            **_common(record, p)}


def owner_row(owner: Any) -> Row:
    owner = _object(owner, "an owner")
    record_id = object_id(owner.get("id"))
    if record_id is None:
        raise BadRecord("the owner has no id")
    teams = owner.get("teams") or []
    if not isinstance(teams, list):
        raise BadRecord(f"teams is not a list: {str(teams)[:40]!r}")
    return {"id": record_id, "email": _text(owner, "email"), "first_name": _text(owner, "firstName"),
            "last_name": _text(owner, "lastName"), "user_id": object_id(owner.get("userId"), "userId"),
            "type": _text(owner, "type"), "archived": _boolean(owner.get("archived"), "archived"),
            "teams": json.dumps(teams, ensure_ascii=False)}


def lifecycle_row(option: Any) -> Row:
    """One option of the lifecycle stage property: the stages' order, and the labels custom stages map by."""
    option = _object(option, "a lifecycle stage option")
    value = option.get("value")
    if not isinstance(value, str) or not value:
        raise BadRecord("the option has no value")
    return {"value": value, "label": _text(option, "label"), "display_order": _integer(option, "displayOrder"),
            "hidden": _boolean(option.get("hidden"), "hidden")}


def pipeline_row(pipeline: Any, object_type: str) -> Row:
    """A pipeline without its stages (see :func:`stage_row`): a bad stage leaves its pipeline and the others."""
    pipeline = _object(pipeline, "a pipeline")
    if not isinstance(pipeline.get("stages", []), list):
        raise BadRecord("stages is not a list")
    return {"id": _key(pipeline, "pipeline"), "object_type": object_type, "label": _text(pipeline, "label"),
            "display_order": _integer(pipeline, "displayOrder"),
            "archived": _boolean(pipeline.get("archived"), "archived")}


def stage_row(pipeline_id: str, stage: Any) -> Row:
    stage = _object(stage, "a pipeline stage")
    meta = stage.get("metadata") or {}
    if not isinstance(meta, dict):
        raise BadRecord("metadata is not an object")
    probability = number(meta.get("probability"), "probability")
    closed = flag(meta.get("isClosed"), "isClosed")
    return {"pipeline_id": pipeline_id, "id": _key(stage, "stage"), "label": _text(stage, "label"),
            "display_order": _integer(stage, "displayOrder"), "probability": probability, "is_closed": closed,
            "is_won": int(bool(closed) and probability == 1.0), "archived": _boolean(stage.get("archived"), "archived")}


def campaign_rows(campaign: Any) -> tuple[Row, list[Row]]:
    campaign = _object(campaign, "a campaign")
    campaign_id = _key(campaign, "campaign")
    p, totals = campaign.get("properties") or {}, campaign.get("budgetTotals") or {}
    if not isinstance(p, dict) or not isinstance(totals, dict):
        raise BadRecord("properties or budgetTotals is not an object")
    items = []
    for kind, key in (("budget", "budgetItems"), ("spend", "spendItems")):
        listed = totals.get(key) or []
        if not isinstance(listed, list) or not all(isinstance(item, dict) for item in listed):
            raise BadRecord(f"{key} is not a list of objects")
        items += [{"campaign_id": campaign_id, "kind": kind, "item_id": str(item.get("id")),
                   "name": _text(item, "name"), **_money_columns("amount", item.get("amount"), f"{kind} amount"),
                   "description": _text(item, "description")} for item in listed]
    row = {"id": campaign_id, "name": text(_text(p, "hs_name")), "start_date": text(_text(p, "hs_start_date")),
           "end_date": text(_text(p, "hs_end_date")), "status": text(_text(p, "hs_campaign_status")),
           "currency": _text(totals, "currencyCode") or _text(p, "hs_currency_code") or None,
           **_money_columns("budget_total", totals.get("budgetTotal", p.get("hs_budget_items_sum_amount")),
                            "budgetTotal"),
           **_money_columns("spend_total", totals.get("spendTotal", p.get("hs_spend_items_sum_amount")), "spendTotal"),
           "created_at": timestamp(campaign.get("createdAt"), "createdAt"),
           "updated_at": timestamp(campaign.get("updatedAt"), "updatedAt"),
           "properties": json.dumps(p, ensure_ascii=False, separators=(",", ":"))}
    return row, items


def _money_columns(column: str, value: Any, name: str) -> Row:
    amount, micros = money(value, name)
    return {column: amount, f"{column}_micros": micros}


# -- the parts of reference records ---------------------------------------------------------------------------------

def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadRecord(f"{what} must be an object, got {type(value).__name__}")
    return value


def _key(record: dict[str, Any], what: str) -> str:
    """The id of a pipeline, stage or campaign: text (or a number) HubSpot chose, never empty."""
    value = record.get("id")
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise BadRecord(f"the {what} has no id")
    return str(value)


def _text(record: dict[str, Any], name: str) -> str | None:
    value = record.get(name)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise BadRecord(f"{name} is not text but {type(value).__name__}")


def _integer(record: dict[str, Any], name: str) -> int | None:
    value = record.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isascii() and value.strip().lstrip("-").isdigit():
        return int(value)
    raise BadRecord(f"{name} is not a whole number: {str(value)[:40]!r}")


def _boolean(value: Any, name: str) -> int:
    """HubSpot's JSON booleans (and their text forms); absent is false."""
    if value is None or isinstance(value, bool):
        return int(bool(value))
    return flag(value, name) or 0
