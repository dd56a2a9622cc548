"""The connector knows its own token: an answer that echoes it never puts it into an error or a failed outcome.

The sandbox accepts only a random 40-hex token (no pattern would catch its shape); a loopback proxy answers chosen
requests with the token echoed, bare and as ``Bearer <token>``.
"""

from __future__ import annotations

import json
import secrets

import pytest

from connector import BadRequest, HubSpotClient, RetryPolicy, ServerError
from connector.errors import scrub
from tests.conftest import mini_portal_data
from tests.proxy import LoopbackProxy, Reply, Request, echo_authorization, echo_authorization_in_batch

TOKEN = secrets.token_hex(20)


def client(url: str) -> HubSpotClient:
    return HubSpotClient(TOKEN, url, retry=RetryPolicy(attempts=1), sleep=lambda s: None)


def test_an_error_answer_echoing_the_token_carries_it_neither_in_its_message_nor_its_body(serve):
    api = serve(mini_portal_data(), token=TOKEN)
    with LoopbackProxy(api.url) as proxy:
        proxy.rules.append(echo_authorization("GET", "/objects/contacts"))
        with pytest.raises(BadRequest) as caught:
            list(client(proxy.url).objects("contacts"))
    error = caught.value
    assert error.message == "Request rejected for credentials [secure]: header Authorization: Bearer [secure]"
    assert error.body["context"] == {"authorization": ["Bearer [secure]"], "token": ["[secure]"]}
    assert TOKEN not in f"{error} {error!r} {json.dumps(error.body)}"


def test_a_batch_answer_echoing_the_token_gives_failed_outcomes_without_it(serve):
    api = serve(mini_portal_data(), token=TOKEN)
    with LoopbackProxy(api.url) as proxy:
        proxy.rules.append(echo_authorization_in_batch("contacts"))
        outcomes = client(proxy.url).batch_update("contacts", [("1", {"firstname": "A"}), ("2", {"firstname": "B"})])
    assert [(o.key, o.ok, o.message) for o in outcomes] == [
        (key, False, "Property values were not valid for the token [secure] (Bearer [secure])") for key in ("1", "2")]


def test_a_long_answer_that_is_not_json_is_scrubbed_before_it_is_cut(serve):
    """The body of an answer that is not JSON is kept to 500 characters: a cut through the token would leave half."""
    api = serve(mini_portal_data(), token=TOKEN)
    text = "x" * 480 + f" {TOKEN} " + "y" * 100

    def html(request: Request) -> Reply | None:
        return Reply(502, text.encode(), {"Content-Type": "text/html"}) if "contacts" in request.path else None

    with LoopbackProxy(api.url) as proxy:
        proxy.rules.append(html)
        with pytest.raises(ServerError) as caught:
            list(client(proxy.url).objects("contacts"))
    body = caught.value.body
    assert body.startswith("x" * 480 + " [secure] ") and len(body) == 500
    assert TOKEN[:10] not in body and TOKEN[:10] not in str(caught.value)


def test_scrub_walks_json_and_leaves_other_values_alone():
    answer = {"a": [f"k {TOKEN}", {"Authorization": "Bearer abc.def"}], TOKEN: 3, "n": None, "ok": True}
    assert scrub(answer, (TOKEN,)) == {"a": ["k [secure]", {"Authorization": "Bearer [secure]"}], "[secure]": 3,
                                       "n": None, "ok": True}
    assert scrub("Bearer [secure] stays", ()) == "Bearer [secure] stays"
