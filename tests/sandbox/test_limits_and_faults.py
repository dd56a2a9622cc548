"""Auth, HubSpot's rate limits, seeded fault injection and the admin statistics."""

from __future__ import annotations

import pytest
import requests

from sandbox import DEFAULT_TOKEN


def test_missing_or_wrong_token_gets_hubspots_401(serve):
    api = serve(token="secret-one")
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Bearer {DEFAULT_TOKEN}"}):
        reply = requests.get(api.url + "/crm/v3/objects/contacts", headers=headers, timeout=5)
        assert reply.status_code == 401
        assert reply.json()["category"] == "INVALID_AUTHENTICATION"
        assert reply.headers["X-HubSpot-Auth-Failure"] == "401 Unauthorized"
    assert api("GET", "/crm/v3/objects/contacts").status_code == 200  # the fixture sends the right token


def test_rate_limit_headers_count_down_and_429_past_the_budget(serve):
    api = serve(rate_limit=5)
    remaining = [int(api("GET", "/crm/v3/owners").headers["X-HubSpot-RateLimit-Remaining"]) for _ in range(5)]
    assert remaining == [4, 3, 2, 1, 0]
    reply = api("GET", "/crm/v3/owners")
    assert reply.status_code == 429
    body = reply.json()
    assert body["policyName"] == "TEN_SECONDLY_ROLLING" and body["errorType"] == "RATE_LIMIT"
    assert body["message"] == "You have reached your ten_secondly_rolling limit."
    assert int(reply.headers["Retry-After"]) >= 1
    assert (reply.headers["X-HubSpot-RateLimit-Max"], reply.headers["X-HubSpot-RateLimit-Remaining"]) == ("5", "0")
    assert "X-HubSpot-Correlation-Id" in reply.headers
    stats = api.stats()
    assert stats["rate_limited"] == 1 and stats["faults_injected"] == 0 and stats["requests_by_status"]["429"] == 1
    assert stats["busiest_ten_seconds"] == 5  # the refused request is not admitted
    requests.post(api.url + "/_sandbox/stats/reset", timeout=5)
    assert api.stats()["busiest_ten_seconds"] == 0


def test_headers_carry_hubspots_names(serve):
    headers = serve(rate_limit=100)("GET", "/crm/v3/owners").headers
    assert headers["X-HubSpot-RateLimit-Max"] == "100"
    assert headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert int(headers["X-HubSpot-RateLimit-Daily-Remaining"]) < int(headers["X-HubSpot-RateLimit-Daily"])
    assert headers["X-HubSpot-RateLimit-Secondly"] == "10"


def test_search_has_its_own_per_second_limit(serve):
    api = serve(rate_limit=1000)
    statuses = [api("POST", "/crm/v3/objects/contacts/search", json={}).status_code for _ in range(8)]
    assert statuses[:5] == [200] * 5 and 429 in statuses[5:]
    limited = next(r for r in [api("POST", "/crm/v3/objects/contacts/search", json={}) for _ in range(3)]
                   if r.status_code == 429)
    assert limited.json()["policyName"] == "SECONDLY"


def test_no_rate_limit_by_default(serve):
    api = serve()
    assert all(api("GET", "/crm/v3/owners").status_code == 200 for _ in range(150))


def _fault_sequence(serve, seed):
    api = serve(fault_rate=0.5, fault_seed=seed, slow_seconds=0.01)
    outcome = []
    for _ in range(40):
        try:
            outcome.append(api("GET", "/crm/v3/owners").status_code)
        except requests.ConnectionError:
            outcome.append("drop")
            api.session = _fresh(api)
    return outcome, api.stats()


def _fresh(api):
    session = requests.Session()
    session.headers.update(api.session.headers)
    return session


def test_fault_injection_is_reproducible_with_the_same_seed(serve):
    first, stats = _fault_sequence(serve, seed=3)
    second, _ = _fault_sequence(serve, seed=3)
    other, _ = _fault_sequence(serve, seed=4)
    assert first == second != other
    assert 200 in first and {429, 500, 502, 503, 504, "drop"} & set(first)
    injected = sum(1 for s in first if s != 200)
    assert stats["faults_injected"] >= injected and stats["rate_limited"] == 0


def test_admin_routes_need_no_token_and_are_not_counted(serve):
    api = serve(fault_rate=1.0, rate_limit=1)
    for _ in range(5):
        assert requests.get(api.url + "/_sandbox/stats", timeout=5).status_code == 200
    assert api.stats()["requests_total"] == 0
    reset = requests.post(api.url + "/_sandbox/stats/reset", timeout=5).json()
    assert reset["requests_total"] == 0


def test_stats_count_routes_by_template_and_object_type(serve):
    api = serve()
    api("GET", "/crm/v3/objects/contacts/2")
    api("GET", "/crm/v3/objects/deals/1")
    api("POST", "/crm/v3/objects/contacts/search", json={})
    api("POST", "/crm/v3/objects/contacts/batch/read", json={"inputs": [{"id": "2"}]})
    stats = api.stats()
    assert stats["requests_by_route"] == {
        "GET /crm/v3/objects/{objectType}/{objectId}": 2,
        "POST /crm/v3/objects/{objectType}/search": 1,
        "POST /crm/v3/objects/{objectType}/batch/read": 1,
    }
    assert stats["requests_by_object_type"] == {"contacts": 3, "deals": 1}
    assert stats["requests_total"] == 4 and stats["requests_by_status"] == {"200": 4}
    requests.post(api.url + "/_sandbox/stats/reset", timeout=5)
    assert api.stats()["requests_total"] == 0


@pytest.mark.parametrize("path", ["/crm/v3/nothing-here", "/crm/v3/objects/contacts/1/nope/deeper/x"])
def test_unknown_routes_are_404(serve, path):
    assert serve()("GET", path).status_code == 404
