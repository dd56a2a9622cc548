"""Associations v4: batch read, per-record list, create (default or typed) and remove (API notes, sections 1a, 9).

A batch read takes up to 1000 ids; each answer holds at most 500 links a record, and a record with more gets
its own ``paging.next.after``, which the next batch read takes beside the id (``{"id": "1", "after": "500"}``)
and the per-record list takes as ``after``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import associations as assoc
from .errors import bad_request, batch_error
from .render import utc_now_iso
from .routing import Call, Reply, Router, api_version

if TYPE_CHECKING:
    from .app import SandboxApp
    from .records import Record

BATCH_MAX = 1000
PAGE_MAX = 500  # links of one record in one answer, batch or per-record list


def _types(app: SandboxApp, call: Call, src: str, dst: str) -> tuple[str, str]:
    return app.portal.resolve_type(call.params[src]), app.portal.resolve_type(call.params[dst])


def _links(record: Record, to_type: str) -> list[dict[str, Any]]:
    return [{"toObjectId": to_id,
             "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": t, "label": None}
                                  for t in sorted(types)]}
            for to_id, types in sorted(record.associations.get(to_type, {}).items(), key=lambda kv: int(kv[0]))]


def batch_read(app: SandboxApp, call: Call) -> Reply:
    src, dst = _types(app, call, "fromObjectType", "toObjectType")
    inputs = (call.body or {}).get("inputs") if isinstance(call.body, dict) else None
    if not isinstance(inputs, list) or len(inputs) > BATCH_MAX or not all(isinstance(i, dict) for i in inputs):
        raise bad_request(f"'inputs' must be a list of at most {BATCH_MAX} ids.")
    started, results, errors = utc_now_iso(), [], []
    for item in inputs:
        record_id = str(item.get("id"))
        record = app.portal.stores[src].records.get(record_id)
        links = _links(record, dst) if record is not None and not record.archived else []
        if links:
            start = _offset(item.get("after"))
            result: dict[str, Any] = {"from": {"id": record_id}, "to": links[start:start + PAGE_MAX]}
            if start + PAGE_MAX < len(links):
                after = str(start + PAGE_MAX)
                link = f"{call.base_url}{_record_path(call, src, record_id, dst)}?after={after}"
                result["paging"] = {"next": {"after": after, "link": link}}
            results.append(result)
        else:
            errors.append({**batch_error("OBJECT_NOT_FOUND", f"No {assoc.SINGULAR.get(dst, dst)} is associated "
                                         f"with {assoc.SINGULAR.get(src, src)} {record_id}.", [record_id]),
                           "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND"})
    body: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": started,
                            "completedAt": utc_now_iso()}
    if errors:
        body.update(numErrors=len(errors), errors=errors)
    return Reply(207 if errors else 200, body)


def _offset(after: Any) -> int:
    """A paging cursor this sandbox handed out: the offset of the next link, as a string."""
    if after in (None, ""):
        return 0
    if not str(after).isdigit():
        raise bad_request(f"Invalid paging cursor 'after': {after!r}")
    return int(after)


def _record_path(call: Call, src: str, record_id: str, dst: str) -> str:
    """The per-record list of a record's links, in the version the batch read was called in."""
    version = api_version(call.path)
    prefix = "/crm/v4/objects" if version == "v3" else f"/crm/objects/{version}"
    return f"{prefix}/{src}/{record_id}/associations/{dst}"


def list_for_record(app: SandboxApp, call: Call) -> Reply:
    src, dst = _types(app, call, "objectType", "toObjectType")
    record = app.portal.get(src, call.params["objectId"])
    links = _links(record, dst)
    limit, start = min(call.int_arg("limit", PAGE_MAX), PAGE_MAX), _offset(call.arg("after"))
    body: dict[str, Any] = {"results": links[start:start + limit]}
    if start + limit < len(links):
        after = str(start + limit)
        body["paging"] = {"next": {"after": after, "link": call.next_link(after)}}
    return Reply(200, body)


def create_default(app: SandboxApp, call: Call) -> Reply:
    src, dst = _types(app, call, "fromObjectType", "toObjectType")
    try:
        type_id = assoc.default_type(src, dst)
    except KeyError:
        raise bad_request(f"No default association between {src} and {dst}.") from None
    src_id, dst_id = call.params["fromObjectId"], call.params["toObjectId"]
    app.portal.associate(src, src_id, dst, dst_id, type_id)
    return Reply(200, {"status": "COMPLETE", "startedAt": utc_now_iso(), "completedAt": utc_now_iso(),
                       "results": [{"from": {"id": src_id}, "to": {"id": dst_id},
                                    "associationSpec": {"associationCategory": "HUBSPOT_DEFINED",
                                                        "associationTypeId": type_id}}]})


def create_labelled(app: SandboxApp, call: Call) -> Reply:
    src, dst = _types(app, call, "objectType", "toObjectType")
    specs = call.body if isinstance(call.body, list) else None
    if not specs:
        raise bad_request("The body must be a list of {associationCategory, associationTypeId}.")
    src_id, dst_id = call.params["objectId"], call.params["toObjectId"]
    for spec in specs:
        type_id = spec.get("associationTypeId")
        if assoc.ENDS.get(type_id) != (src, dst):
            raise bad_request(f"associationTypeId {type_id} does not go from {src} to {dst}.")
        app.portal.associate(src, src_id, dst, dst_id, type_id)
    return Reply(201, {"fromObjectTypeId": app.portal.type_id(src), "fromObjectId": src_id,
                       "toObjectTypeId": app.portal.type_id(dst), "toObjectId": dst_id, "labels": []})


def remove(app: SandboxApp, call: Call) -> Reply:
    src, dst = _types(app, call, "objectType", "toObjectType")
    record = app.portal.get(src, call.params["objectId"])
    app.portal.disassociate(src, record, dst, call.params["toObjectId"])
    return Reply(204)


def register(router: Router) -> None:
    router.add("POST", "/crm/v4/associations/{fromObjectType}/{toObjectType}/batch/read", batch_read)
    default = "/crm/v4/objects/{fromObjectType}/{fromObjectId}/associations/default/{toObjectType}/{toObjectId}"
    router.add("PUT", default, create_default, write=True)
    router.add("GET", "/crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}", list_for_record)
    router.add("PUT", "/crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}/{toObjectId}",
               create_labelled, write=True)
    router.add("DELETE", "/crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}/{toObjectId}",
               remove, write=True)
