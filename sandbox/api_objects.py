"""CRM objects v3: list, read, create, update, archive, merge, search and batch (API notes, sections 3-5)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from . import associations as assoc
from .errors import ApiError, bad_request, batch_error
from .portal import created_property
from .render import property_names, render, utc_now_iso
from .routing import Call, Reply, Router
from .search import compile_filters, compile_query, page_window, sort_key
from .standard_objects import STANDARD_TYPES

if TYPE_CHECKING:
    from .app import SandboxApp

LIST_MAX, HISTORY_MAX, BATCH_MAX = 100, 50, 100
SEARCHABLE = {"contacts": ("firstname", "lastname", "email", "phone", "company"),
              "companies": ("name", "domain"), "deals": ("dealname",),
              **{t.name: t.searchable for t in STANDARD_TYPES}}


def _history_limit_error() -> ApiError:
    return bad_request("The maximum number of inputs supported in a batch request for property histories is "
                       f"{HISTORY_MAX}. Please reduce the number of items and try again")


def _type(app: SandboxApp, call: Call) -> str:
    return app.portal.resolve_type(call.params["objectType"])


def _assoc_types(app: SandboxApp, names: list[str] | None) -> list[str] | None:
    """The types ``associations=`` names; a name HubSpot does not know is ignored, as HubSpot does (§3)."""
    known = []
    for name in names or ():
        try:
            known.append(app.portal.resolve_type(name))
        except ApiError:
            continue
    return known or None


def list_objects(app: SandboxApp, call: Call) -> Reply:
    t = _type(app, call)
    history = call.csv("propertiesWithHistory")
    limit = min(call.int_arg("limit", 10), LIST_MAX)
    if limit < 1:
        raise bad_request("limit must be at least 1")
    if history and limit > HISTORY_MAX:
        raise bad_request(f"The maximum limit for requests with propertiesWithHistory is {HISTORY_MAX}.")
    records, after = app.portal.page(t, call.arg("after"), limit, call.flag("archived"))
    names = property_names(app.portal, t, call.csv("properties"))
    linked = _assoc_types(app, call.csv("associations"))
    body: dict[str, Any] = {"results": [render(app.portal, t, r, names, history=history, associations=linked)
                                        for r in records]}
    if after is not None:
        body["paging"] = {"next": {"after": after, "link": call.next_link(after)}}
    return Reply(200, body)


def read_object(app: SandboxApp, call: Call) -> Reply:
    t = _type(app, call)
    record = app.portal.get(t, call.params["objectId"], id_property=call.arg("idProperty"),
                            archived=call.flag("archived"))
    names = property_names(app.portal, t, call.csv("properties"))
    return Reply(200, render(app.portal, t, record, names, history=call.csv("propertiesWithHistory"),
                             associations=_assoc_types(app, call.csv("associations"))))


def _links(app: SandboxApp, t: str, items: Any) -> list[tuple[str, str, int]]:
    """Inline associations of a create body: ``[{"to": {"id"}, "types": [{"associationTypeId"}]}]``."""
    links = []
    for item in items or []:
        for spec in item.get("types", []):
            type_id = spec.get("associationTypeId")
            ends = assoc.ENDS.get(type_id)
            if ends is None or ends[0] != t:
                raise bad_request(f"associationTypeId {type_id} is not valid from {t}.")
            links.append((ends[1], str(item.get("to", {}).get("id")), type_id))
    return links


def create_object(app: SandboxApp, call: Call) -> Reply:
    t = _type(app, call)
    body = call.object_body()
    record = app.portal.create(t, body.get("properties") or {}, _links(app, t, body.get("associations")))
    return Reply(201, render(app.portal, t, record, property_names(app.portal, t, list(record.properties))))


def update_object(app: SandboxApp, call: Call) -> Reply:
    t = _type(app, call)
    record = app.portal.get(t, call.params["objectId"], id_property=call.arg("idProperty"))
    record = app.portal.update(t, record, call.object_body().get("properties") or {})
    return Reply(200, render(app.portal, t, record, property_names(app.portal, t, list(record.properties))))


def archive_object(app: SandboxApp, call: Call) -> Reply:
    t = _type(app, call)
    record = app.portal.find(t, call.params["objectId"])
    if record is not None and not record.archived:
        app.portal.archive(t, record)
    return Reply(204)


def merge_objects(app: SandboxApp, call: Call) -> Reply:
    t = _type(app, call)
    body = call.object_body()
    primary = app.portal.get(t, str(body.get("primaryObjectId")))
    other = app.portal.get(t, str(body.get("objectIdToMerge")))
    merged = app.portal.merge(t, primary, other)
    return Reply(200, render(app.portal, t, merged, property_names(app.portal, t, list(merged.properties))))


def search_objects(app: SandboxApp, call: Call) -> Reply:
    t = _type(app, call)
    body = call.object_body(optional=True)
    offset, size = page_window(body.get("after"), body.get("limit"))
    ids = app.search_cache.get_or_compute((t, json.dumps(
        [body.get("filterGroups"), body.get("filters"), body.get("sorts"), body.get("query")], sort_keys=True)),
        lambda: _matching_ids(app, t, body))
    records = app.portal.stores[t].records
    names = property_names(app.portal, t, body.get("properties") or None)
    page = [render(app.portal, t, records[i], names) for i in ids[offset:offset + size] if i in records]
    out: dict[str, Any] = {"total": len(ids), "results": page}
    if offset + size < len(ids):
        out["paging"] = {"next": {"after": str(offset + size)}}
    return Reply(200, out)


def _matching_ids(app: SandboxApp, t: str, body: dict[str, Any]) -> list[str]:
    types = app.portal.property_types(t)
    matches = compile_filters(body.get("filterGroups"), types, body.get("filters"))
    query = compile_query(body.get("query"), SEARCHABLE.get(t, ()))
    key, descending = sort_key(body.get("sorts"), types, created_property(t))
    visible_before = app.portal.clock() - app.search_lag
    pool = app.modified_index.candidates(app.portal, t, body)
    found = [r for r in (app.portal.stores[t].records.values() if pool is None else pool)
             if not r.archived and r.written_at <= visible_before and matches(r) and query(r)]
    found.sort(key=key, reverse=descending)
    return [r.id for r in found]


# -- batch --------------------------------------------------------------------------------------

def _inputs(call: Call, limit: int = BATCH_MAX) -> list[dict[str, Any]]:
    inputs = call.object_body().get("inputs")
    if not isinstance(inputs, list) or not all(isinstance(i, dict) for i in inputs):
        raise bad_request("'inputs' must be a list of objects.")
    if len(inputs) > limit:
        if limit == HISTORY_MAX:
            raise _history_limit_error()
        raise bad_request(f"The maximum number of inputs supported in a batch request is {limit}. "
                          "Please reduce the number of items and try again")
    return inputs


def _batch_reply(results: list[dict[str, Any]], errors: list[dict[str, Any]], started: str,
                 ok_status: int = 200) -> Reply:
    body: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": started,
                            "completedAt": utc_now_iso()}
    if errors:
        body.update(numErrors=len(errors), errors=errors)
    return Reply(207 if errors else ok_status, body)


def _missing(t: str, ids: list[str], verb: str = "get") -> dict[str, Any]:
    noun = (assoc.SINGULAR.get(t) or (t[:-1] if t.endswith("s") else t)).upper()  # singular: LINE_ITEM
    return batch_error("OBJECT_NOT_FOUND",
                       f"Could not {verb} some {noun} objects, they may be deleted or not exist. "
                       "Check that ids are valid.", ids)


def batch_read(app: SandboxApp, call: Call) -> Reply:
    t, started = _type(app, call), utc_now_iso()
    body = call.object_body()
    history = body.get("propertiesWithHistory") or None
    inputs = _inputs(call, HISTORY_MAX if history else BATCH_MAX)
    names = property_names(app.portal, t, body.get("properties") or None)
    archived = call.flag("archived")
    results, missing = [], []
    for item in inputs:
        record = app.portal.find(t, str(item.get("id")), body.get("idProperty"))
        if record is None or record.archived != archived:
            missing.append(str(item.get("id")))
        else:
            results.append(render(app.portal, t, record, names, history=history))
    return _batch_reply(results, [_missing(t, missing)] if missing else [], started)


def _fault(app: SandboxApp, record_id: str) -> dict[str, Any] | None:
    if app.faults.input_fails():
        app.stats.fault()
        return batch_error("INTERNAL_ERROR", f"The write to record {record_id} was not applied; please retry.",
                           [record_id])
    return None


def batch_update(app: SandboxApp, call: Call) -> Reply:
    t, started = _type(app, call), utc_now_iso()
    inputs = _inputs(call)
    for item in inputs:  # one invalid property fails the whole batch, as HubSpot answers
        app.portal.validate(t, item.get("properties") or {}, creating=False)
    results, errors, missing = [], [], []
    for item in inputs:
        record_id = str(item.get("id"))
        record = app.portal.find(t, record_id, item.get("idProperty"))
        if record is None or record.archived:
            missing.append(record_id)
            continue
        fault = _fault(app, record_id)
        if fault:
            errors.append(fault)
            continue
        app.portal.update(t, record, item.get("properties") or {})
        results.append(render(app.portal, t, record, property_names(app.portal, t, list(item.get("properties") or {}))))
    if missing:
        errors.insert(0, _missing(t, missing, "update"))
    return _batch_reply(results, errors, started)


def batch_upsert(app: SandboxApp, call: Call) -> Reply:
    """Each answer echoes the input's ``objectWriteTraceId``, and the id property only if it was sent inside
    ``properties``: whether HubSpot echoes it otherwise is not documented (API notes §1a)."""
    t, started = _type(app, call), utc_now_iso()
    inputs = _inputs(call)
    for item in inputs:
        if not item.get("idProperty"):
            raise bad_request("Each upsert input needs an 'idProperty' naming a unique property.")
        app.portal.validate(t, item.get("properties") or {}, creating=True)
    results, errors = [], []
    for item in inputs:
        key, id_property = str(item.get("id")), item["idProperty"]
        fault = _fault(app, key)
        if fault:
            errors.append(fault)
            continue
        record = app.portal.find(t, key, id_property)
        properties = dict(item.get("properties") or {})
        if record is None or record.archived:
            record = app.portal.create(t, {**properties, id_property: key})
            new = True
        else:
            app.portal.update(t, record, properties)
            new = False
        result = {**render(app.portal, t, record, property_names(app.portal, t, list(properties))), "new": new}
        if item.get("objectWriteTraceId"):
            result["objectWriteTraceId"] = str(item["objectWriteTraceId"])
        results.append(result)
    return _batch_reply(results, errors, started)


def batch_create(app: SandboxApp, call: Call) -> Reply:
    """Per-input errors need an ``objectWriteTraceId`` on every input; otherwise one bad input fails all."""
    t, started = _type(app, call), utc_now_iso()
    inputs = _inputs(call)
    traced = all(item.get("objectWriteTraceId") for item in inputs)
    if not traced:
        for item in inputs:
            app.portal.validate(t, item.get("properties") or {}, creating=True)
            _links(app, t, item.get("associations"))
    results, errors = [], []
    for item in inputs:
        trace = item.get("objectWriteTraceId")
        try:
            error = _fault(app, str(trace)) if traced else None
            if error is None:
                record = app.portal.create(t, item.get("properties") or {}, _links(app, t, item.get("associations")))
                result = render(app.portal, t, record, property_names(app.portal, t, list(record.properties)))
                results.append({**result, "objectWriteTraceId": trace} if traced else result)
                continue
        except ApiError as e:
            if not traced:
                raise
            error = batch_error(e.body["category"], e.body["message"], [])
        errors.append({**error, "context": {"objectWriteTraceId": [str(trace)]}})
    return _batch_reply(results, errors, started, ok_status=201)


def batch_archive(app: SandboxApp, call: Call) -> Reply:
    t = _type(app, call)
    for item in _inputs(call):
        record = app.portal.find(t, str(item.get("id")))
        if record is not None and not record.archived:
            app.portal.archive(t, record)
    return Reply(204)


def register(router: Router) -> None:
    prefix = "/crm/v3/objects/{objectType}"
    router.add("POST", f"{prefix}/search", search_objects, search=True)
    router.add("POST", f"{prefix}/batch/read", batch_read)
    router.add("POST", f"{prefix}/batch/update", batch_update, write=True)
    router.add("POST", f"{prefix}/batch/upsert", batch_upsert, write=True)
    router.add("POST", f"{prefix}/batch/create", batch_create, write=True)
    router.add("POST", f"{prefix}/batch/archive", batch_archive, write=True)
    router.add("POST", f"{prefix}/merge", merge_objects, write=True)
    router.add("GET", prefix, list_objects)
    router.add("POST", prefix, create_object, write=True)
    router.add("GET", f"{prefix}/{{objectId}}", read_object)
    router.add("PATCH", f"{prefix}/{{objectId}}", update_object, write=True)
    router.add("DELETE", f"{prefix}/{{objectId}}", archive_object, write=True)
