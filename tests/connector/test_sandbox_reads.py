"""The client against the sandbox over real HTTP: exactly-once reads, request counts, pacing under faults."""

from __future__ import annotations

import math

import pytest

from connector import AuthError, HubSpotClient
from sandbox import load_portal
from sandbox.generate import generate_portal


@pytest.fixture(scope="module")
def big_portal_data():
    return generate_portal(25_000, 0, seed=11, engagements=0)


def test_25000_contacts_are_read_exactly_once_in_ceil_n_over_100_requests(serve, big_portal_data):
    api = serve(load_portal(big_portal_data))
    live = {c["id"] for c in big_portal_data["contacts"] if not c["archived"]}
    client = HubSpotClient(api.server.token, api.url)
    ids = [r["id"] for r in client.objects("contacts", ["email", "lifecyclestage"])]
    assert len(ids) == len(set(ids)) and set(ids) == live
    requests = api.stats()["requests_by_route"]["GET /crm/v3/objects/{objectType}"]
    assert math.ceil(len(live) / 100) <= requests <= math.ceil(len(live) / 100) + 1
    assert client.stats.requests["objects.list"] == requests


def test_archived_records_are_read_apart(serve, big_portal_data):
    api = serve(load_portal(big_portal_data))
    client = HubSpotClient(api.server.token, api.url)
    archived = {c["id"] for c in big_portal_data["contacts"] if c["archived"]}
    assert {r["id"] for r in client.objects("contacts", archived=True)} == archived


def test_a_faulty_rate_limited_portal_is_still_read_exactly_once(serve):
    data = generate_portal(5_000, 0, seed=5, engagements=0)
    api = serve(load_portal(data), rate_limit=100, fault_rate=0.1, fault_seed=3, slow_seconds=0.2)
    client = HubSpotClient(api.server.token, api.url)
    ids = [r["id"] for r in client.objects("contacts", ["email"])]
    assert sorted(ids, key=int) == sorted((c["id"] for c in data["contacts"] if not c["archived"]), key=int)
    stats = api.stats()
    assert stats["faults_injected"] > 0 and client.stats.retries >= stats["faults_injected"] - 1
    assert stats["rate_limited"] / stats["requests_total"] < 0.02  # pacing, not retries, keeps us in budget


def test_pacing_learns_the_portals_budget(serve):
    api = serve(rate_limit=7)
    client = HubSpotClient(api.server.token, api.url)
    client.account_details()
    assert client.pacer.budget == 7


def test_reference_data_reads(serve):
    api = serve()
    client = HubSpotClient(api.server.token, api.url)
    assert [o["id"] for o in client.owners()] == ["9001"]
    assert client.pipelines()[0]["id"] == "default"
    assert client.account_details()["timeZone"] == "Europe/Berlin"
    assert {p["name"] for p in client.property_definitions("deals")} >= {"dealstage", "amount"}
    assert client.associations("deals", "contacts", ["1"])["1"][0]["toObjectId"] == "3"
    with pytest.raises(AuthError):
        HubSpotClient("wrong-token", api.url).account_details()


def test_engagements_come_with_their_contacts(serve):
    from sandbox import build_portal
    api = serve(build_portal())
    client = HubSpotClient(api.server.token, api.url)
    calls = list(client.engagements("calls", ["hs_timestamp", "hs_call_status"]))
    assert calls and all(c["associations"]["contacts"]["results"] for c in calls)


def test_a_date_versioned_client_reads_everything_from_dated_paths(serve):
    from sandbox import build_portal
    api = serve(build_portal())
    client = HubSpotClient(api.server.token, api.url, api_version="2026-03")
    assert len(list(client.objects("contacts"))) == 59
    assert client.pipelines() and list(client.owners()) and list(client.campaigns())
    assert client.property_definitions("contacts") and client.associations("deals", "contacts", ["301"])
    assert list(client.modified_pages("deals", 0, 2_000_000_000_000, ["dealname"]))
    assert client.account_details()["portalId"] and client.ensure_schema(
        {"name": "x", "labels": {"singular": "X", "plural": "Xs"}, "properties": [], "requiredProperties": [],
         "associatedObjects": [], "allowsSensitiveProperties": False, "searchableProperties": [],
         "secondaryDisplayProperties": [], "shouldCreateSameObjectAssociation": False})[1].created == ["x"]
    routes = api.stats()["requests_by_route"]
    assert not [r for r in routes if "/v3/" in r or "/v4/" in r]


def test_campaigns_come_with_the_properties_named_and_only_those(serve):
    from sandbox import build_portal
    api = serve(build_portal())
    client = HubSpotClient(api.server.token, api.url)
    assert [c["properties"] for c in client.campaigns()] == [{}] * 4  # none named: none answered, as HubSpot
    named = list(client.campaigns(["hs_name", "hs_end_date"]))
    assert len(named) == 4 and all(set(c["properties"]) <= {"hs_name", "hs_end_date"} for c in named)
    assert all(c["properties"]["hs_name"] for c in named)
