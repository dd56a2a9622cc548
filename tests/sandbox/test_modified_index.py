"""Searches bounded on the last-modified time read an index, and answer exactly what a scan of every record does."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.generate import generate
from sandbox.loader import load_generated
from sandbox.modified_index import ModifiedIndex

SEARCH = "/crm/v3/objects/{}/search"


def window(api: Any, object_type: str, low: str, high: str, **extra: Any) -> list[str]:
    """Every id of one windowed search as an incremental sync sends it, page after page by key."""
    prop = "lastmodifieddate" if object_type == "contacts" else "hs_lastmodifieddate"
    body = {"filterGroups": [{"filters": [{"propertyName": prop, "operator": "GTE", "value": low},
                                          {"propertyName": prop, "operator": "LTE", "value": high}]}],
            "sorts": [{"propertyName": prop, "direction": "ASCENDING"}], "properties": [prop], "limit": 200, **extra}
    reply = api("POST", SEARCH.format(object_type), json=body)
    assert reply.status_code == 200, reply.text
    return [r["id"] for r in reply.json()["results"]]


def scanned(portal: Any, object_type: str, low: str, high: str) -> list[str]:
    """The same answer from every record, without the index: sorted by time, then id."""
    prop = "lastmodifieddate" if object_type == "contacts" else "hs_lastmodifieddate"
    rows = sorted((r.properties[prop], int(r.id)) for r in portal.stores[object_type].records.values()
                  if not r.archived and low <= r.properties[prop] <= high)
    return [str(i) for _, i in rows[:200]]


@pytest.fixture
def generated(serve: Any) -> tuple[Any, Any]:
    portal = load_generated(generate(2_000, 400, 3))
    return portal, serve(portal)


@pytest.mark.parametrize("object_type", ["contacts", "deals", "calls"])
def test_a_windowed_search_answers_what_a_scan_does(generated: tuple[Any, Any], object_type: str) -> None:
    portal, api = generated
    for low, high in (("2025-01-01T00:00:00.000Z", "2026-12-31T00:00:00.000Z"),
                      ("2026-03-01T00:00:00.000Z", "2026-03-20T12:00:00.000Z"),
                      ("2026-10-31T23:59:59.999Z", "2026-10-31T23:59:59.999Z")):
        assert window(api, object_type, low, high) == scanned(portal, object_type, low, high)
    assert scanned(portal, object_type, "2026-03-01T00:00:00.000Z", "2026-03-20T12:00:00.000Z")


def test_records_written_since_the_last_search_are_found_at_their_new_time(generated: tuple[Any, Any]) -> None:
    portal, api = generated
    live = next(r.id for r in portal.stores["contacts"].records.values() if not r.archived)
    old = portal.stores["contacts"].records[live].properties["lastmodifieddate"]
    assert live in window(api, "contacts", old, old)  # the index is built before the write
    changed = api("PATCH", f"/crm/v3/objects/contacts/{live}", json={"properties": {"jobtitle": "Chief Indexer"}})
    now = changed.json()["properties"]["lastmodifieddate"]
    assert window(api, "contacts", now, now) == [live]
    assert live not in window(api, "contacts", old, old)
    created = api("POST", "/crm/v3/objects/contacts", json={"properties": {"email": "new.one@example.com"}}).json()
    stamp = created["properties"]["lastmodifieddate"]
    assert created["id"] in window(api, "contacts", stamp, "2099-01-01T00:00:00.000Z")
    api("DELETE", f"/crm/v3/objects/contacts/{created['id']}")
    assert created["id"] not in window(api, "contacts", stamp, "2099-01-01T00:00:00.000Z")


def test_only_searches_bounded_on_the_last_modified_time_use_the_index() -> None:
    portal, index = load_generated(generate(50, 10, 1)), ModifiedIndex()
    bounded = {"filters": [{"propertyName": "lastmodifieddate", "operator": "GTE", "value": "2026-01-01"}]}
    assert index.candidates(portal, "contacts", bounded) is not None
    for body in ({}, {"filterGroups": [{"filters": [{"propertyName": "city", "operator": "EQ", "value": "Paris"}]}]},
                 {"filterGroups": [bounded, bounded]},  # ORed groups: one bound does not hold for the other
                 {"filters": [{"propertyName": "lastmodifieddate", "operator": "GTE", "value": "not a time"}]}):
        assert index.candidates(portal, "contacts", body) is None
