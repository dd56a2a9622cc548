"""Search: filters, sorts, the 200 limit, the 10,000 cap, lag, and no rate-limit headers (API notes, section 4)."""

from __future__ import annotations

import pytest

from sandbox import load_portal
from tests.conftest import contact, mini_portal_data

SEARCH = "/crm/v3/objects/contacts/search"


def stamp(i: int) -> str:
    return f"2026-02-{1 + i % 28:02d}T10:00:00.000Z"


@pytest.fixture
def api(serve):
    data = mini_portal_data(0)
    data["contacts"] = [contact(i, lastmodifieddate=stamp(i), lifecyclestage=("lead", "customer")[i % 2],
                                hs_analytics_source=("PAID_SEARCH" if i % 3 == 0 else "ORGANIC_SEARCH"),
                                city=("Berlin" if i < 10 else None))
                        for i in range(1, 41)]
    for c in data["contacts"]:
        c["updatedAt"] = c["properties"]["lastmodifieddate"]
    data["contacts"][0]["archived"] = True
    return serve(data)


def ids(reply):
    return [r["id"] for r in reply.json()["results"]]


def search(api, *filters, **body):
    return api("POST", SEARCH, json={"filterGroups": [{"filters": list(filters)}] if filters else [],
                                     "limit": 200, **body})


@pytest.mark.parametrize("flt, expected", [
    ({"propertyName": "lifecyclestage", "operator": "EQ", "value": "customer"}, {str(i) for i in range(3, 41, 2)}),
    ({"propertyName": "lifecyclestage", "operator": "NEQ", "value": "customer"}, {str(i) for i in range(2, 41, 2)}),
    ({"propertyName": "email", "operator": "EQ", "value": "PERSON7@example.com"}, {"7"}),
    ({"propertyName": "hs_object_id", "operator": "LT", "value": "4"}, {"2", "3"}),
    ({"propertyName": "hs_object_id", "operator": "LTE", "value": "4"}, {"2", "3", "4"}),
    ({"propertyName": "hs_object_id", "operator": "GT", "value": "38"}, {"39", "40"}),
    ({"propertyName": "hs_object_id", "operator": "GTE", "value": "38"}, {"38", "39", "40"}),
    ({"propertyName": "hs_object_id", "operator": "BETWEEN", "value": "5", "highValue": "7"}, {"5", "6", "7"}),
    ({"propertyName": "hs_object_id", "operator": "IN", "values": ["5", "9", "1000"]}, {"5", "9"}),
    ({"propertyName": "email", "operator": "IN", "values": ["person5@example.com"]}, {"5"}),
    ({"propertyName": "hs_analytics_source", "operator": "NOT_IN", "values": ["ORGANIC_SEARCH"]},
     {str(i) for i in range(3, 41, 3)}),
    ({"propertyName": "city", "operator": "HAS_PROPERTY"}, {str(i) for i in range(2, 10)}),
    ({"propertyName": "city", "operator": "NOT_HAS_PROPERTY"}, {str(i) for i in range(10, 41)}),
    ({"propertyName": "email", "operator": "CONTAINS_TOKEN", "value": "*@example.com"}, {str(i) for i in range(2, 41)}),
    ({"propertyName": "lastmodifieddate", "operator": "GTE", "value": "1772272800000"},  # 2026-02-28T10:00Z in ms
     {str(i) for i in range(2, 41) if stamp(i) >= "2026-02-28T10:00:00.000Z"}),
    ({"propertyName": "lastmodifieddate", "operator": "LT", "value": "2026-02-03T00:00:00Z"},
     {str(i) for i in range(2, 41) if stamp(i) < "2026-02-03"}),
], ids=lambda v: v["operator"] if isinstance(v, dict) else None)
def test_filter_operators(api, flt, expected):
    reply = search(api, flt)
    assert reply.status_code == 200, reply.text
    assert set(ids(reply)) == expected
    assert reply.json()["total"] == len(expected)


def test_groups_are_ored_and_filters_anded(api):
    body = {"filterGroups": [
        {"filters": [{"propertyName": "lifecyclestage", "operator": "EQ", "value": "customer"},
                     {"propertyName": "hs_object_id", "operator": "LTE", "value": "6"}]},
        {"filters": [{"propertyName": "hs_object_id", "operator": "EQ", "value": "33"}]}]}
    assert set(ids(api("POST", SEARCH, json=body))) == {"3", "5", "33"}


def test_eq_on_a_datetime_is_refused_and_gte_lte_on_the_instant_is_the_way(api):
    """HubSpot documents no EQ on a datetime at millisecond precision; the sandbox refuses it so no client leans
    on it, and the documented GTE and LTE on the same instant find the records modified then."""
    instant = "2026-02-08T10:00:00.000Z"
    refused = search(api, {"propertyName": "lastmodifieddate", "operator": "EQ", "value": instant})
    assert refused.status_code == 400 and refused.json()["category"] == "VALIDATION_ERROR"
    assert "GTE and LTE" in refused.json()["message"]
    found = search(api, {"propertyName": "lastmodifieddate", "operator": "GTE", "value": instant},
                   {"propertyName": "lastmodifieddate", "operator": "LTE", "value": instant})
    assert set(ids(found)) == {str(i) for i in range(2, 41) if stamp(i) == instant} == {"7", "35"}


def test_sort_as_object_or_string_and_ties_by_id(api):
    asc = ids(search(api, sorts=[{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}]))
    stamps = [stamp(int(i)) for i in asc]
    assert stamps == sorted(stamps) and len(asc) == 39
    assert ids(search(api, sorts=["-hs_object_id"]))[:3] == ["40", "39", "38"]
    assert search(api, sorts=["a", "b"]).status_code == 400


def test_default_page_is_10_and_limit_over_200_is_rejected(api):
    first = api("POST", SEARCH, json={})
    assert len(ids(first)) == 10 and first.json()["paging"]["next"]["after"] == "10"
    assert ids(first)[0] == "2"  # oldest first by creation, archived records never appear
    assert api("POST", SEARCH, json={"limit": 201}).status_code == 400


def test_search_answers_carry_no_rate_limit_headers(api):
    reply = api("POST", SEARCH, json={})
    assert not [h for h in reply.headers if h.lower().startswith("x-hubspot-ratelimit")]
    listed = api("GET", "/crm/v3/objects/contacts")
    assert listed.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"


@pytest.mark.parametrize("body", [
    {"filterGroups": [{"filters": [{"propertyName": "nope", "operator": "EQ", "value": "1"}]}]},
    {"filterGroups": [{"filters": [{"propertyName": "email", "operator": "LIKE", "value": "1"}]}]},
    {"filterGroups": [{"filters": []}] * 6},
    {"filterGroups": [{"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}] * 7}]},
    {"filterGroups": [{"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}] * 5}] * 4},
    {"query": "x" * 3001},
], ids=["unknown-property", "unknown-operator", "6-groups", "7-filters", "19-filters", "long-query"])
def test_hubspot_query_limits_are_validation_errors(api, body):
    reply = api("POST", SEARCH, json=body)
    assert reply.status_code == 400 and reply.json()["category"] == "VALIDATION_ERROR"


def test_ten_thousand_result_cap(serve):
    data = mini_portal_data(0)
    data["contacts"] = [contact(i) for i in range(1, 10_302)]
    api = serve(load_portal(data))
    seen, after = [], None
    while True:
        body = api("POST", SEARCH, json={"limit": 200, **({"after": after} if after else {})}).json()
        assert body["total"] == 10_301
        seen += [r["id"] for r in body["results"]]
        after = body.get("paging", {}).get("next", {}).get("after")
        if after == "10000":
            break
    assert len(seen) == len(set(seen)) == 10_000
    past = api("POST", SEARCH, json={"limit": 200, "after": "10000"})
    assert past.status_code == 400 and past.json()["category"] == "VALIDATION_ERROR"


def test_search_lags_writes_but_list_and_read_do_not(serve):
    api = serve(search_lag=30)
    created = api("POST", "/crm/v3/objects/contacts", json={"properties": {"email": "fresh@example.com"}}).json()
    assert api("GET", f"/crm/v3/objects/contacts/{created['id']}").status_code == 200
    found = search(api, {"propertyName": "email", "operator": "EQ", "value": "fresh@example.com"})
    assert found.json()["total"] == 0
    api.server.app.portal.clock = lambda: created_time(created) + 31
    found = search(api, {"propertyName": "email", "operator": "EQ", "value": "fresh@example.com"})
    assert ids(found) == [created["id"]]


def created_time(record):
    from datetime import datetime
    return datetime.fromisoformat(record["createdAt"].replace("Z", "+00:00")).timestamp()


def test_association_filter_and_text_query(serve):
    api = serve()
    assert ids(search(api, {"propertyName": "associations.deal", "operator": "EQ", "value": "1"})) == ["3"]
    assert ids(api("POST", SEARCH, json={"query": "person12@"})) == ["12"]


def test_top_level_filters_are_anded_like_one_group(api):
    """HubSpot's search guide and other extractors send ``filters`` without ``filterGroups`` (API notes §1a)."""
    body = {"filters": [{"propertyName": "lifecyclestage", "operator": "EQ", "value": "customer"},
                        {"propertyName": "hs_analytics_source", "operator": "EQ", "value": "PAID_SEARCH"},
                        {"propertyName": "hs_object_id", "operator": "LTE", "value": "30"}], "limit": 200}
    reply = api("POST", SEARCH, json=body)
    assert reply.status_code == 200, reply.text
    expected = {str(i) for i in range(2, 31) if i % 2 and i % 3 == 0}  # customers, paid search, id <= 30
    assert set(ids(reply)) == expected == {"3", "9", "15", "21", "27"}
    assert reply.json()["total"] == len(expected)
    grouped = api("POST", SEARCH, json={"filterGroups": [{"filters": body["filters"]}], "limit": 200})
    assert ids(grouped) == ids(reply)


def test_top_level_filters_page_and_are_cached_apart_from_an_unfiltered_search(api):
    everyone = api("POST", SEARCH, json={"limit": 5}).json()
    assert everyone["total"] == 39
    flt = [{"propertyName": "lifecyclestage", "operator": "EQ", "value": "lead"}]
    first = api("POST", SEARCH, json={"filters": flt, "limit": 5}).json()
    second = api("POST", SEARCH, json={"filters": flt, "limit": 5, "after": first["paging"]["next"]["after"]}).json()
    assert first["total"] == second["total"] == 20  # even ids 2..40
    assert [r["id"] for r in first["results"] + second["results"]] == [str(i) for i in range(2, 22, 2)]


def test_top_level_filters_allow_more_than_a_group_but_not_more_than_18(api):
    has_email = {"propertyName": "email", "operator": "HAS_PROPERTY"}
    assert api("POST", SEARCH, json={"filters": [has_email] * 7}).json()["total"] == 39
    too_many = api("POST", SEARCH, json={"filters": [has_email] * 19})
    assert too_many.status_code == 400 and too_many.json()["category"] == "VALIDATION_ERROR"


def test_top_level_filters_with_association_pseudo_property(serve):
    api = serve()
    body = {"filters": [{"propertyName": "associations.deal", "operator": "EQ", "value": "1"}]}
    assert ids(api("POST", SEARCH, json=body)) == ["3"]


@pytest.mark.parametrize("body", [
    {"filters": [{"propertyName": "nope", "operator": "EQ", "value": "1"}]},
    {"filters": {"propertyName": "email", "operator": "HAS_PROPERTY"}},
    {"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}],
     "filterGroups": [{"filters": [{"propertyName": "city", "operator": "HAS_PROPERTY"}]}]},
], ids=["unknown-property", "not-a-list", "with-filter-groups"])
def test_bad_top_level_filters_are_validation_errors(api, body):
    """Both lists at once: HubSpot documents no rule for combining them, so the sandbox refuses to guess."""
    reply = api("POST", SEARCH, json=body)
    assert reply.status_code == 400 and reply.json()["category"] == "VALIDATION_ERROR"


def test_empty_filter_groups_beside_top_level_filters_are_no_conflict(api):
    body = {"filterGroups": [], "filters": [{"propertyName": "hs_object_id", "operator": "EQ", "value": "7"}]}
    assert ids(api("POST", SEARCH, json=body)) == ["7"]
