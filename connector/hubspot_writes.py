"""Batch writes with per-input outcomes, and idempotent set-up of property groups, properties and schemas.

A batch answer is trusted only as far as it names inputs: every input comes back either confirmed or
with an error (API notes, section 5), because HubSpot can leave an input out with no error at all.
When one bad input makes HubSpot refuse a whole batch, the batch is halved until the bad ones are alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import BadRequest, Conflict, NotFound, shaped
from .limits import BATCH_LIMIT, chunks

if TYPE_CHECKING:
    from .hubspot import HubSpotClient

log = logging.getLogger("smarketing.connector")

NO_RESULT = "no result for this input"
COMPARED_FIELDS = ("type", "fieldType", "groupName")


@dataclass(frozen=True)
class WriteOutcome:
    key: str  # the input's id: the object id for update, the idProperty value for upsert
    ok: bool
    record_id: str | None
    status: int | None = None
    category: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class _Input:
    key: str
    body: dict[str, Any]  # sent as is; carries a unique objectWriteTraceId so errors can name it


def batch_update(client: HubSpotClient, object_type: str,
                 inputs: Sequence[tuple[str, dict[str, str | None]]]) -> list[WriteOutcome]:
    """Update records by object id; one outcome per input, in input order."""
    prepared = [_Input(str(key), {"id": str(key), "properties": props, "objectWriteTraceId": str(n)})
                for n, (key, props) in enumerate(inputs)]
    return _write(client, object_type, "update", prepared, lambda r: r.get("id"))


def batch_upsert(client: HubSpotClient, object_type: str, inputs: Sequence[tuple[str, dict[str, str | None]]],
                 id_property: str) -> list[WriteOutcome]:
    """Create or update records keyed by a unique property.

    HubSpot may not echo the id property in an answer unless it was sent inside ``properties`` (API notes §1a),
    so it is sent there too, and each result is matched by its ``objectWriteTraceId``, else by that value.
    """
    prepared = [_Input(str(key), {"id": str(key), "idProperty": id_property,
                                  "properties": {**props, id_property: str(key)}, "objectWriteTraceId": str(n)})
                for n, (key, props) in enumerate(inputs)]
    return _write(client, object_type, "upsert", prepared, lambda r: (r.get("properties") or {}).get(id_property))


def _write(client: HubSpotClient, object_type: str, operation: str, inputs: list[_Input],
           key_of: Callable[[dict[str, Any]], Any]) -> list[WriteOutcome]:
    outcomes = [o for chunk in chunks(inputs, BATCH_LIMIT)
                for o in _write_chunk(client, object_type, operation, chunk, key_of)]
    for outcome in outcomes:
        if not outcome.ok:  # keys and categories only: property values may be personal data
            reason = " ".join(str(p) for p in (outcome.status, outcome.category or outcome.message) if p)
            log.warning("batch %s of %s: input %s failed: %s", operation, object_type, outcome.key, reason)
    return outcomes


def _write_chunk(client: HubSpotClient, object_type: str, operation: str, chunk: Sequence[_Input],
                 key_of: Callable[[dict[str, Any]], Any]) -> list[WriteOutcome]:
    """One call; a whole-call 400/409 is one bad input failing all, so halve until it stands alone."""
    try:
        answer = client.call("POST", client.paths.batch(object_type, operation), endpoint=f"objects.batch_{operation}",
                             json={"inputs": [i.body for i in chunk]}, creates=operation == "create")
    except (BadRequest, Conflict) as e:
        if len(chunk) == 1:
            return [WriteOutcome(chunk[0].key, False, None, e.status, e.category, e.message)]
        half = len(chunk) // 2
        return (_write_chunk(client, object_type, operation, chunk[:half], key_of)
                + _write_chunk(client, object_type, operation, chunk[half:], key_of))
    body = answer.body if isinstance(answer.body, dict) else {}  # no body at all: every input without a result
    return _match(chunk, shaped(body, f"objects.batch_{operation}", ("results", "errors")), key_of)


def _match(chunk: Sequence[_Input], body: dict[str, Any],
           key_of: Callable[[dict[str, Any]], Any]) -> list[WriteOutcome]:
    """Pair results and errors with inputs, by trace id first, else by key; an error wins over a result (writing
    again is harmless)."""
    traces = {i.body["objectWriteTraceId"]: i.key for i in chunk}
    results: dict[str, dict[str, Any]] = {}
    for result in body.get("results") or []:
        traced = traces.get(str(result.get("objectWriteTraceId")))
        if traced is not None:
            results[traced] = result
            continue
        key = key_of(result)
        if key is not None:
            results.setdefault(str(key), result)
            results.setdefault(str(key).casefold(), result)  # HubSpot lower-cases emails
    keys = {i.key for i in chunk}
    errors: dict[str, dict[str, Any]] = {}
    unmatched: list[dict[str, Any]] = []
    for error in body.get("errors") or []:
        context = error.get("context") or {}
        named = [str(k) for k in _listed(context.get("ids")) if str(k) in keys]
        named += [traces[str(t)] for t in _listed(context.get("objectWriteTraceId")) if str(t) in traces]
        for key in named:
            errors.setdefault(key, error)
        if not named:
            unmatched.append(error)
    outcomes = []
    for item in chunk:
        error = errors.get(item.key)
        result = results.get(item.key) or results.get(item.key.casefold())
        if error is None and result is not None:
            outcomes.append(WriteOutcome(item.key, True, str(result.get("id"))))
            continue
        error = error or (unmatched[0] if unmatched else {"message": NO_RESULT})
        status = str(error.get("status"))
        outcomes.append(WriteOutcome(item.key, False, None, int(status) if status.isdigit() else None,
                                     error.get("category"), error.get("message") or NO_RESULT))
    return outcomes


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


# -- ensuring definitions ---------------------------------------------------------------------------

@dataclass
class EnsureReport:
    """What an ensure found: the CRM's facts, for the caller to judge (whose property it is is not decided here)."""

    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    differing: list[tuple[str, str, Any, Any]] = field(default_factory=list)  # (name, field, wanted, actual)
    missing: list[str] = field(default_factory=list)  # check only (create=False): what a real run would create
    actual: dict[str, dict[str, Any]] = field(default_factory=dict)  # the CRM's definition of each existing one


def ensure_property_group(client: HubSpotClient, object_type: str, name: str, label: str) -> EnsureReport:
    """Create the group if it is missing; an existing one is reported (with a different label), never changed.

    Read first: after the first run the group exists, and one GET is all a run then costs.
    """
    report = EnsureReport()
    path = client.paths.property_group(object_type, name)
    try:
        actual = client.get(path, "property_groups.read")
    except NotFound:
        try:
            client.call("POST", client.paths.property_groups(object_type), endpoint="property_groups.create",
                        json={"name": name, "label": label})
            report.created.append(name)
            return report
        except Conflict:  # created meanwhile by another worker
            actual = client.get(path, "property_groups.read")
    report.existing.append(name)
    report.actual[name] = actual
    _compare(report, name, {"label": label}, actual, ("label",))
    return report


def ensure_properties(client: HubSpotClient, object_type: str, definitions: Sequence[dict[str, Any]], *,
                      create: bool = True) -> EnsureReport:
    """Create the missing properties; existing ones are compared, never PATCHed (others may rely on them).

    One list call first saves a create-and-read per property on every run after the first. With
    ``create=False`` nothing is written: the missing ones are only listed (a dry run's view).
    """
    report = EnsureReport()
    known = {p["name"]: p for p in client.property_definitions(object_type)}
    for wanted in definitions:
        name = wanted["name"]
        actual = known.get(name)
        if actual is None and not create:
            report.missing.append(name)
            continue
        if actual is None:
            try:
                client.call("POST", client.paths.properties(object_type), endpoint="properties.create", json=wanted)
                report.created.append(name)
                continue
            except Conflict:  # archived (a plain read does not find it), or created meanwhile by someone else
                actual = _conflicting_property(client, object_type, name)
        report.existing.append(name)
        report.actual[name] = actual
        _compare_property(report, name, wanted, actual)
    return report


def _conflicting_property(client: HubSpotClient, object_type: str, name: str) -> dict[str, Any]:
    try:
        return client.property_definition(object_type, name, archived=True)
    except NotFound:
        return client.property_definition(object_type, name)


def restore_property(client: HubSpotClient, object_type: str, name: str) -> dict[str, Any]:
    """Unarchive a property; the CRM's answer says whether it is live again (HubSpot documents no restore,
    so the caller checks ``archived`` in it rather than trusting a 200)."""
    path = client.paths.property(object_type, name)
    return client.call("PATCH", path, endpoint="properties.restore", params={"archived": "true"},
                       json={"archived": False}).body


def ensure_schema(client: HubSpotClient, schema: dict[str, Any], *,
                  create: bool = True) -> tuple[dict[str, Any], EnsureReport]:
    """Create a custom object type if it is missing; returns the CRM's schema (objectTypeId...).

    HubSpot reads one schema by its fully qualified name, which holds the portal id, so the list is read:
    one request a run once the schema exists. With ``create=False`` a missing schema is only listed, and
    the schema returned is empty.
    """
    report, name = EnsureReport(), schema["name"]
    actual = _listed_schema(client, name)
    if actual is None and not create:
        report.missing.append(name)
        return {}, report
    if actual is None:
        try:
            created = client.call("POST", client.paths.schemas(), endpoint="schemas.create",
                                  json=client.paths.schema_body(schema)).body
            report.created.append(name)
            return created, report
        except Conflict:  # created meanwhile, or the name is taken by something that is not a custom object
            actual = _listed_schema(client, name)
            if actual is None:
                raise
    report.existing.append(name)
    report.actual[name] = actual
    _compare(report, name, schema, actual, ("labels", "primaryDisplayProperty"))
    defined = {p["name"]: p for p in actual.get("properties") or []}
    for wanted in schema.get("properties") or []:
        prop = f"{name}.{wanted['name']}"
        if wanted["name"] in defined:
            _compare_property(report, prop, wanted, defined[wanted["name"]])
        else:
            report.differing.append((prop, "exists", True, False))
    return actual, report


def _listed_schema(client: HubSpotClient, name: str) -> dict[str, Any] | None:
    answer = client.get(client.paths.schemas(), "schemas.list", {"includePropertyDefinitions": "true"})
    listed = shaped(answer, "schemas.list").get("results") or []
    return next((s for s in listed if s.get("name") == name), None)


def _compare_property(report: EnsureReport, name: str, wanted: dict[str, Any], actual: dict[str, Any]) -> None:
    _compare(report, name, wanted, actual, COMPARED_FIELDS)
    if wanted.get("options"):
        want, have = ({o.get("value") for o in d.get("options") or []} for d in (wanted, actual))
        if want != have:
            report.differing.append((name, "options", sorted(want), sorted(have)))
    if actual.get("archived"):
        report.differing.append((name, "archived", False, True))


def _compare(report: EnsureReport, name: str, wanted: dict[str, Any], actual: dict[str, Any],
             fields: Sequence[str]) -> None:
    for key in fields:
        if key in wanted and wanted[key] != actual.get(key):
            report.differing.append((name, key, wanted[key], actual.get(key)))
