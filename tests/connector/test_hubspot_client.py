"""The client's transport: paging, typed errors, retries, pacing, the daily quota, counters (with `responses`)."""

from __future__ import annotations

import json
import logging

import pytest
import responses

from connector import (
    AuthError,
    BadRequest,
    ClientStats,
    Conflict,
    CRMError,
    DailyLimitReached,
    HubSpotClient,
    MissingScopes,
    NotFound,
    Paths,
    RateLimited,
    ServerError,
    TransportError,
)

BASE = "https://api.hubapi.com"
TOKEN = "pat-na1-11111111-2222-secret"
ACCOUNT = f"{BASE}/account-info/v3/details"
SCOPE = "crm.objects.deals.read"


class FakeTime:
    """A clock that moves only when the client sleeps, so no test waits."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


@pytest.fixture
def client(fake: FakeTime) -> HubSpotClient:
    return HubSpotClient(TOKEN, BASE, sleep=fake.sleep, clock=fake.clock)


def error(status: int, category: str = "X", **extra):
    return {"status": "error", "message": f"boom {status}", "correlationId": "c0ffee", "category": category, **extra}


@responses.activate
def test_list_pages_follow_after_to_the_end(client):
    url = f"{BASE}/crm/v3/objects/contacts"
    params = {"limit": "100", "archived": "false", "properties": "email,lifecyclestage"}
    responses.get(url, match=[responses.matchers.query_param_matcher(params)],
                  json={"results": [{"id": "1"}], "paging": {"next": {"after": "2", "link": "x"}}})
    responses.get(url, match=[responses.matchers.query_param_matcher({**params, "after": "2"})],
                  json={"results": [{"id": "2"}, {"id": "3"}]})
    pages = list(client.object_pages("contacts", ["email", "lifecyclestage"]))
    assert [(len(p.records), p.next_after) for p in pages] == [(1, "2"), (2, None)]
    assert responses.calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert responses.calls[0].request.headers["User-Agent"].startswith("smarketing-sync/")
    assert client.stats.requests["objects.list"] == 2


@responses.activate
def test_history_lowers_the_page_size_to_50(client):
    responses.get(f"{BASE}/crm/v3/objects/contacts", json={"results": []})
    list(client.objects("contacts", ["email"], history=["lifecyclestage"]))
    url = responses.calls[0].request.url
    assert url is not None
    assert "limit=50" in url
    assert "propertiesWithHistory=lifecyclestage" in url


@responses.activate
def test_a_repeated_cursor_stops_an_endless_loop(client):
    responses.get(f"{BASE}/crm/v3/owners", json={"results": [], "paging": {"next": {"after": "7"}}})
    with pytest.raises(Exception, match="twice"):
        list(client.owners())


@responses.activate
def test_date_versioned_paths_switch_in_one_place(fake):
    client = HubSpotClient(TOKEN, BASE, api_version="2026-03", sleep=fake.sleep, clock=fake.clock)
    responses.get(f"{BASE}/crm/objects/2026-03/deals", json={"results": []})
    responses.get(f"{BASE}/crm/pipelines/2026-03/deals", json={"results": []})
    list(client.objects("deals"))
    assert client.pipelines() == []
    with pytest.raises(ValueError, match="date version"):
        HubSpotClient(TOKEN, BASE, api_version="v2")


def every_path(paths: Paths) -> list[str]:
    return [paths.objects("contacts"), paths.object("deals", "1"), paths.search("contacts"),
            paths.batch("contacts", "read"), paths.properties("deals"), paths.property("deals", "amount"),
            paths.property_groups("deals"), paths.property_group("deals", "g"), paths.pipelines("deals"),
            paths.owners(), paths.associations_batch_read("deals", "contacts"), paths.schemas(),
            paths.schema("2-1"), paths.campaigns(), paths.campaign_budget_totals("c"), paths.account_details()]


@pytest.mark.parametrize("version", ["2025-09", "2026-03", "2026-09", "2026-09-beta"])
def test_in_dated_mode_every_family_uses_its_dated_path(version):
    paths = every_path(Paths(version))
    assert all(f"/{version}" in p and "/v3/" not in p and "/v4/" not in p for p in paths)
    assert Paths(version).schemas() == f"/crm-object-schemas/{version}/schemas"
    assert Paths(version).account_details() == f"/account-info/{version}/details"
    assert Paths(version).associations_batch_read("deals", "contacts") == (
        f"/crm/associations/{version}/deals/contacts/batch/read")
    assert Paths().schemas() == "/crm-object-schemas/v3/schemas"
    assert Paths().account_details() == "/account-info/v3/details"


def test_a_schema_body_carries_what_its_version_takes():
    """HubSpot's ObjectSchemaEgg: 2026-03 requires shouldCreateSameObjectAssociation, 2025-09 and 2026-09 have none."""
    body = {"name": "x", "allowsSensitiveProperties": False, "searchableProperties": [],
            "secondaryDisplayProperties": [], "shouldCreateSameObjectAssociation": False}
    assert Paths("2026-03").schema_body(body) == body and Paths().schema_body(body) == body
    for version in ("2025-09", "2026-09", "2026-09-beta", "2027-03"):
        assert Paths(version).schema_body(body) == {k: v for k, v in body.items()
                                                    if k != "shouldCreateSameObjectAssociation"}


@pytest.mark.parametrize("status, body, kind", [
    (400, error(400, "VALIDATION_ERROR"), BadRequest),
    (401, error(401, "INVALID_AUTHENTICATION"), AuthError),
    (403, error(403, "MISSING_SCOPES", errors=[{"message": "x", "context": {"requiredScopes": [SCOPE]}}]),
     MissingScopes),
    (404, error(404, "OBJECT_NOT_FOUND"), NotFound),
    (409, error(409, "CONFLICT"), Conflict),
], ids=["400", "401", "403", "404", "409"])
@responses.activate
def test_client_errors_are_typed_and_never_retried(client, fake, status, body, kind):
    responses.get(ACCOUNT, status=status, json=body)
    with pytest.raises(kind) as caught:
        client.account_details()
    assert len(responses.calls) == 1 and fake.sleeps == []
    e = caught.value
    assert (e.status, e.category, e.correlation_id) == (status, body["category"], "c0ffee")
    assert f"boom {status}" in str(e) and "account.details" in str(e) and TOKEN not in str(e)
    if kind is MissingScopes:
        assert e.scopes == [SCOPE]


@pytest.mark.parametrize("status", [423, 429, 477, 500, 502, 503, 504, 524])
@responses.activate
def test_retriable_statuses_are_retried_then_succeed(client, fake, status):
    responses.get(ACCOUNT, status=status, json=error(status))
    responses.get(ACCOUNT, json={"portalId": 1})
    assert client.account_details() == {"portalId": 1}
    assert len(responses.calls) == 2 and len(fake.sleeps) == 1
    assert client.stats.retries == 1


@responses.activate
def test_retry_after_is_honoured(client, fake):
    responses.get(ACCOUNT, status=429, headers={"Retry-After": "7"},
                  json={"status": "error", "message": "slow down", "policyName": "TEN_SECONDLY_ROLLING"})
    responses.get(ACCOUNT, json={"portalId": 1})
    client.account_details()
    assert fake.sleeps == [7.0]
    assert client.stats.rate_limited == 1


@pytest.mark.parametrize("policy, wait", [("TEN_SECONDLY_ROLLING", 10.0), ("SECONDLY", 1.0)])
@responses.activate
def test_without_retry_after_the_policy_says_how_long(client, fake, policy, wait):
    responses.get(ACCOUNT, status=429, json={"status": "error", "message": "x", "policyName": policy})
    responses.get(ACCOUNT, json={})
    client.account_details()
    assert fake.sleeps == [wait]


@responses.activate
def test_retries_are_bounded_and_logged_without_the_token(client, fake, caplog):
    responses.get(ACCOUNT, status=503, json=error(503, "SERVICE_UNAVAILABLE"))
    with caplog.at_level(logging.WARNING, logger="smarketing.connector"), pytest.raises(ServerError):
        client.account_details()
    assert len(responses.calls) == client.retry.attempts
    waits = fake.sleeps
    assert len(waits) == client.retry.attempts - 1 and all(0 < w <= client.retry.max_wait for w in waits)
    assert waits[-1] > waits[0]  # exponential
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == client.retry.attempts - 1
    assert all("account.details" in m and "503" in m for m in messages)
    assert all(TOKEN not in m for m in messages)


@responses.activate
def test_connection_errors_and_timeouts_are_retried(client, fake):
    import requests
    responses.get(ACCOUNT, body=requests.ConnectionError("reset by peer"))
    responses.get(ACCOUNT, body=requests.ReadTimeout("slow"))
    responses.get(ACCOUNT, json={"ok": True})
    assert client.account_details() == {"ok": True}
    assert client.stats.transport_errors == 2 and client.stats.retries == 2


@responses.activate
def test_no_answer_at_all_ends_as_a_transport_error(client):
    import requests
    responses.get(ACCOUNT, body=requests.ConnectionError(f"failed with Bearer {TOKEN}"))
    with pytest.raises(TransportError) as caught:
        client.account_details()
    assert TOKEN not in str(caught.value)


@responses.activate
def test_the_daily_limit_stops_at_once_naming_the_reset(client, fake):
    responses.get(ACCOUNT, status=429, json={"status": "error", "message": "You have reached your daily limit.",
                                             "errorType": "RATE_LIMIT", "policyName": "DAILY"})
    with pytest.raises(DailyLimitReached) as caught:
        client.account_details()
    assert len(responses.calls) == 1 and fake.sleeps == []
    assert caught.value.policy == "DAILY"


@responses.activate
def test_the_client_stops_before_the_daily_reserve(client):
    headers = {"X-HubSpot-RateLimit-Daily": "1000", "X-HubSpot-RateLimit-Daily-Remaining": "199"}
    responses.get(ACCOUNT, json={}, headers=headers)
    client.account_details()
    with pytest.raises(DailyLimitReached, match="reserve of 20%.*199 of 1000.*resets at"):
        client.account_details()
    assert len(responses.calls) == 1


@responses.activate
def test_pacing_keeps_under_the_ten_second_budget(client, fake):
    sent: list[float] = []

    def answer(request):
        sent.append(fake.now)
        return 200, {"X-HubSpot-RateLimit-Max": "10", "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
                     "X-HubSpot-RateLimit-Remaining": "5"}, "{}"

    responses.add_callback(responses.GET, ACCOUNT, callback=answer)
    for _ in range(35):
        client.account_details()
    assert all(sum(1 for t in sent if start <= t < start + 10) <= 10 for start in sent)
    assert sent[-1] - sent[0] >= 20  # 35 calls at under 10 per 10 s take at least three windows


@responses.activate
@pytest.mark.usefixtures("hubspot_search_pace")
def test_search_is_paced_to_its_per_second_limit(client, fake):
    sent: list[float] = []
    url = f"{BASE}/crm/v3/objects/contacts/search"

    def answer(request):
        sent.append(fake.now)
        return 200, {}, "{}"

    responses.add_callback(responses.POST, url, callback=answer)
    for _ in range(12):
        client.search("contacts", {})
    assert all(sum(1 for t in sent if start <= t < start + 1) <= 4 for start in sent)


@responses.activate
def test_batch_read_chunks_and_reports_missing_ids(client):
    url = f"{BASE}/crm/v3/objects/contacts/batch/read"

    def answer(request):
        ids = [i["id"] for i in json.loads(request.body)["inputs"]]
        known = [i for i in ids if i != "13"]
        body = {"status": "COMPLETE", "results": [{"id": i} for i in known]}
        if len(known) < len(ids):
            body["errors"] = [{"status": "error", "category": "OBJECT_NOT_FOUND", "context": {"ids": ["13"]}}]
        return (207 if len(known) < len(ids) else 200), {}, json.dumps(body)

    responses.add_callback(responses.POST, url, callback=answer)
    result = client.batch_read("contacts", [str(i) for i in range(1, 121)], ["email"])
    assert len(responses.calls) == 2 and len(result.records) == 119 and result.missing == ["13"]
    history = client.batch_read("contacts", [str(i) for i in range(1, 121)], history=["lifecyclestage"])
    assert len(responses.calls) == 5 and len(history.records) == 119


def test_the_token_is_not_in_the_repr():
    assert TOKEN not in repr(HubSpotClient(TOKEN, BASE))


@responses.activate
def test_rate_limited_is_raised_when_retries_run_out(fake):
    client = HubSpotClient(TOKEN, BASE, sleep=fake.sleep, clock=fake.clock)
    responses.get(ACCOUNT, status=429, json={"status": "error", "message": "x", "policyName": "SECONDLY"})
    with pytest.raises(RateLimited):
        client.account_details()
    assert client.stats.rate_limited == client.retry.attempts


def test_the_hubspot_client_implements_the_crm_interface():
    from connector import CRMClient
    wanted = {name for name in vars(CRMClient) if not name.startswith("_")} - {"stats"}
    client = HubSpotClient(TOKEN, BASE)
    assert wanted and all(callable(getattr(client, name)) for name in wanted)
    assert isinstance(client.stats, ClientStats)


@responses.activate
def test_the_token_is_in_no_exception_and_no_log_record(fake, caplog):
    import requests
    client = HubSpotClient(TOKEN, BASE, sleep=fake.sleep, clock=fake.clock)
    answers = [{"status": s, "json": error(s)} for s in (400, 401, 403, 404, 409, 429, 500)]
    answers.append({"body": requests.ConnectionError(f"Bearer {TOKEN}")})
    raised = []
    with caplog.at_level(logging.DEBUG):
        for answer in answers:
            responses.reset()
            responses.get(ACCOUNT, **answer)
            with pytest.raises(CRMError) as caught:
                client.account_details()
            raised.append(caught.value)
    texts = [str(e) for e in raised] + [repr(e) for e in raised] + [r.getMessage() for r in caplog.records]
    assert caplog.records and all(TOKEN not in t for t in texts)
