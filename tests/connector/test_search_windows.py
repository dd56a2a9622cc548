"""Incremental search reads: every record in the window exactly once, past the 10,000 cap and through bulk
instants, and records indexed late are left to the next run (unit tests with `responses`, then the sandbox)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from math import inf
from typing import Any

import pytest
import responses

from connector import CRMError, HubSpotClient
from connector.hubspot_search import SearchPage, modified_pages, parse_ms
from sandbox.generate import ANCHOR, generate_portal
from sandbox.records import iso_from_ms
from tests.conftest import contact, mini_portal_data

BASE = "https://api.hubapi.com"
T = parse_ms("2026-02-01T10:00:00.000Z")
SEARCH_ROUTE = "POST /crm/v3/objects/{objectType}/search"


def client(base: str = BASE, token: str = "t") -> HubSpotClient:
    """A client whose pacing waits pass on a fake clock, so no test sleeps or spins."""
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds
    return HubSpotClient(token, base, sleep=sleep, clock=lambda: now[0])


class FakeSearch:
    """HubSpot's search evaluated over ``rows`` (id -> last-modified ms): GTE/LTE/EQ/GT filters, one sort
    (ties in an order of its own, not by id), limit <= 200, ``after`` offsets refused from 10,000, ``total``.
    EQ on the last-modified datetime is refused, as the sandbox does: HubSpot does not document it."""

    def __init__(self, rows: dict[str, int], lastmod: str = "lastmodifieddate",
                 after_call: Callable[[int], None] | None = None) -> None:
        self.rows, self.lastmod, self.after_call = rows, lastmod, after_call
        self.bodies: list[dict[str, Any]] = []

    def value(self, name: str, record_id: str) -> int:
        return self.rows[record_id] if name == self.lastmod else int(record_id)

    def bounds(self, filters: list[dict[str, Any]]) -> dict[str, tuple[float, float]]:
        """A group of integer comparisons ANDed together, as the interval each property must lie in."""
        interval = {self.lastmod: (-inf, inf), "hs_object_id": (-inf, inf)}
        for f in filters:
            low, high = interval[f["propertyName"]]
            value, op = int(f["value"]), f["operator"]
            low = max(low, value + (op == "GT")) if op in ("GT", "GTE", "EQ") else low
            high = min(high, value) if op in ("LTE", "EQ") else high
            interval[f["propertyName"]] = (low, high)
        return interval

    def __call__(self, request: Any) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body)
        self.bodies.append(body)
        after, limit = int(body.get("after", 0)), body.get("limit", 10)
        eq_on_datetime = any(f["operator"] == "EQ" and f["propertyName"] == self.lastmod
                             for g in body["filterGroups"] for f in g["filters"])
        if after >= 10_000 or not 1 <= limit <= 200 or len(body.get("sorts", [])) != 1 or eq_on_datetime:
            return 400, {}, json.dumps({"status": "error", "category": "VALIDATION_ERROR", "message": "bad"})
        groups = [self.bounds(g["filters"]) for g in body["filterGroups"]]
        found = [i for i, ms in self.rows.items() if any(
            g[self.lastmod][0] <= ms <= g[self.lastmod][1] and g["hs_object_id"][0] <= int(i) <= g["hs_object_id"][1]
            for g in groups)]
        name = body["sorts"][0]["propertyName"]
        found.sort(key=lambda i: (self.value(name, i), -int(i)))
        answer: dict[str, Any] = {"total": len(found), "results": [self.render(i, body["properties"])
                                                                   for i in found[after:after + limit]]}
        if after + limit < len(found):
            answer["paging"] = {"next": {"after": str(after + limit)}}
        if self.after_call:
            self.after_call(len(self.bodies))
        return 200, {}, json.dumps(answer)

    def render(self, record_id: str, properties: list[str]) -> dict[str, Any]:
        known = {self.lastmod: iso_from_ms(self.rows[record_id]), "hs_object_id": record_id}
        return {"id": record_id, "properties": {p: known[p] for p in properties if p in known}}


def fake(rows: dict[str, int], object_type: str = "contacts", **options: Any) -> FakeSearch:
    search = FakeSearch(rows, **options)
    responses.add_callback(responses.POST, f"{BASE}/crm/v3/objects/{object_type}/search", callback=search,
                           content_type="application/json")
    return search


def read(pages: Iterator[SearchPage], rows: dict[str, int], since: int, until: int) -> list[str]:
    """The ids read, checking after every page that its cursor is a safe resume point."""
    ids: list[str] = []
    for page in pages:
        ids += [r["id"] for r in page.records]
        done = set(ids)
        unread = [ms for i, ms in rows.items() if since <= ms <= until and i not in done]
        assert page.cursor_ms <= min(unread, default=page.cursor_ms)
    return ids


@responses.activate
def test_records_over_many_milliseconds_are_read_once_within_the_bounds():
    rows = {str(i): T + i // 3 for i in range(1, 1001)}  # three records a millisecond
    since, until = rows["30"], rows["990"]
    search = fake(rows)
    ids = read(modified_pages(client(), "contacts", since, until, ["email"]), rows, since, until)
    assert sorted(ids) == sorted(i for i, ms in rows.items() if since <= ms <= until)
    assert len(ids) == len(set(ids)) == 963
    assert len(search.bodies) <= 963 // 200 + 2
    assert all("after" not in b and b["limit"] == 200 for b in search.bodies)
    assert {"email", "lastmodifieddate", "hs_object_id"} <= set(search.bodies[0]["properties"])


@pytest.mark.parametrize("bulk", [T, T + 300, T + 600])  # at since, inside, at until
@responses.activate
def test_more_than_10000_records_in_one_millisecond_are_drained_by_id(bulk):
    rows = {str(i): T + i % 601 for i in range(1, 501)} | {str(i): bulk for i in range(1001, 13_001)}
    search = fake(rows)
    ids = read(modified_pages(client(), "contacts", T, T + 600, []), rows, T, T + 600)
    assert sorted(ids) == sorted(rows) and len(ids) == len(set(ids))
    assert len(search.bodies) <= 12_500 // 200 + 4
    assert all("after" not in b for b in search.bodies)


def test_an_instant_shared_by_more_than_a_page_is_drained_through_the_sandbox_without_eq(serve):
    """The sandbox refuses EQ on a datetime, so this passes only if the drain uses GTE and LTE on the instant."""
    data = mini_portal_data(0)
    instant = iso_from_ms(T + 5)
    data["contacts"] = [contact(i, lastmodifieddate=iso_from_ms(T + i % 10) if i <= 100 else instant)
                        for i in range(1, 701)]
    api = serve(data)
    rows = {c["id"]: parse_ms(c["properties"]["lastmodifieddate"]) for c in data["contacts"]}
    ids = read(modified_pages(client(api.url, api.server.token), "contacts", T, T + 9, []), rows, T, T + 9)
    assert sorted(ids, key=int) == [str(i) for i in range(1, 701)]
    assert api.stats()["requests_by_status"] == {"200": api.stats()["requests_total"]}


@responses.activate
def test_a_record_leaving_the_window_between_pages_makes_no_other_record_skipped():
    rows = {str(i): T + i for i in range(1, 1001)}
    until = T + 1000

    def move(call: int) -> None:
        if call == 1:
            rows["5"] = rows["700"] = until + 1  # one already read, one not yet: both now modified after until

    search = fake(rows, after_call=move)
    ids = read(modified_pages(client(), "contacts", T, until, []), rows, T, until)
    assert sorted(ids, key=int) == [str(i) for i in range(1, 1001) if i != 700]
    assert len(search.bodies) <= 1000 // 200 + 2


@responses.activate
def test_other_types_use_hs_lastmodifieddate():
    rows = {"1": T, "2": T + 1}
    search = fake(rows, "deals", lastmod="hs_lastmodifieddate")
    assert [r["id"] for p in modified_pages(client(), "deals", T, T + 1, []) for r in p.records] == ["1", "2"]
    assert search.bodies[0]["sorts"] == [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}]


@responses.activate
def test_a_search_that_ignores_the_id_filter_stops_instead_of_looping():
    stuck = {"results": [{"id": str(i), "properties": {"lastmodifieddate": iso_from_ms(T)}} for i in range(200)],
             "total": 5000}
    responses.post(f"{BASE}/crm/v3/objects/contacts/search", json=stuck)
    with pytest.raises(CRMError, match="did not pass id"):
        list(modified_pages(client(), "contacts", T, T + 10, []))
    assert len(responses.calls) == 3


def test_a_generated_portal_is_read_once_per_live_contact(serve):
    data = generate_portal(3000, 0, seed=11)
    live = sorted(c["id"] for c in data["contacts"] if not c["archived"])
    api = serve(data)
    pages = modified_pages(client(api.url, api.server.token), "contacts", 0, ANCHOR, ["email"])
    ids = [r["id"] for page in pages for r in page.records]
    assert sorted(ids) == live
    assert api.stats()["requests_by_route"][SEARCH_ROUTE] <= 3000 // 200 + 2


def test_records_written_during_a_run_or_indexed_late_are_read_by_the_next_run(serve):
    data = generate_portal(600, 0, seed=5)
    live = {c["id"] for c in data["contacts"] if not c["archived"]}
    api = serve(data, search_lag=5)
    portal, crm = api.server.app.portal, client(api.url, api.server.token)

    def patch(record_id: str, at: float) -> str:
        portal.clock = lambda: at
        assert api("PATCH", f"/crm/v3/objects/contacts/{record_id}",
                   json={"properties": {"firstname": f"Changed at {at}"}}).status_code == 200
        return record_id

    start1 = ANCHOR / 1000 + 3600
    late = patch(min(live, key=int), start1 - 2)  # written just before the run: search does not see it yet
    portal.clock = lambda: start1
    assert late not in {r["id"] for p in modified_pages(crm, "contacts", 0, int(start1 * 1000), []) for r in p.records}
    until1, run1 = int(start1 * 1000) - 5000, []
    during: list[str] = []
    for page in modified_pages(crm, "contacts", 0, until1, []):
        run1 += [r["id"] for r in page.records]
        if not during:  # writes while the run reads: one record already read, one not yet
            during = [patch(run1[0], start1 + 1), patch(max(live - set(run1), key=int), start1 + 1)]
    start2 = start1 + 60
    portal.clock = lambda: start2
    run2 = [r["id"] for p in modified_pages(crm, "contacts", until1, int(start2 * 1000) - 5000, []) for r in p.records]
    assert len(run1) == len(set(run1)) and sorted(run2) == sorted({late, *during})
    assert set(run1) | set(run2) == live
