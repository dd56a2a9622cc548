"""The connector's client: auth header, paging, error classes (unit tests with `responses`)."""

from __future__ import annotations

import pytest
import responses

from connector import AuthError, FatalApiError, HubSpotClient, RetriableApiError

BASE = "https://api.hubapi.com"


@responses.activate
def test_paged_follows_after_until_paging_is_absent():
    url = f"{BASE}/crm/v3/objects/contacts"
    responses.get(url, match=[responses.matchers.query_param_matcher(
        {"limit": "100", "archived": "false", "properties": "email"})],
        json={"results": [{"id": "1"}], "paging": {"next": {"after": "2", "link": "x"}}})
    responses.get(url, match=[responses.matchers.query_param_matcher(
        {"limit": "100", "archived": "false", "properties": "email", "after": "2"})],
        json={"results": [{"id": "2"}]})
    client = HubSpotClient("pat-na1-token", BASE)
    assert [r["id"] for r in client.objects("contacts", ["email"])] == ["1", "2"]
    assert responses.calls[0].request.headers["Authorization"] == "Bearer pat-na1-token"
    assert responses.calls[0].request.headers["User-Agent"].startswith("smarketing-sync/")


@responses.activate
def test_a_repeated_cursor_stops_an_endless_loop():
    responses.get(f"{BASE}/crm/v3/owners", json={"results": [], "paging": {"next": {"after": "7"}}})
    with pytest.raises(RuntimeError, match="twice"):
        list(HubSpotClient("t", BASE).owners())


@pytest.mark.parametrize("status, error", [(401, AuthError), (429, RetriableApiError), (502, RetriableApiError),
                                           (400, FatalApiError), (404, FatalApiError)])
@responses.activate
def test_errors_are_sorted_by_status(status, error):
    responses.get(f"{BASE}/account-info/v3/details", status=status,
                  json={"status": "error", "message": "nope", "category": "X"})
    with pytest.raises(error) as caught:
        HubSpotClient("t", BASE).account_details()
    assert caught.value.status == status and "nope" in str(caught.value)


def test_the_token_is_not_in_the_repr():
    assert "secret" not in repr(HubSpotClient("pat-secret", BASE))


def test_against_the_sandbox(serve):
    api = serve()
    client = HubSpotClient(api.server.token, api.url)
    assert len(list(client.objects("contacts"))) == 25
    with pytest.raises(AuthError):
        HubSpotClient("wrong", api.url).account_details()
