"""HubSpot's legacy v1/v2 APIs are out of scope: a 404 that says what the sandbox serves instead."""

from __future__ import annotations

import pytest

LEGACY = [
    ("GET", "/contacts/v1/lists/all/contacts/all"),
    ("GET", "/contacts/v1/contact/vid/101/profile"),
    ("GET", "/deals/v1/deal/paged"),
    ("GET", "/engagements/v1/engagements/paged"),
    ("GET", "/properties/v1/contacts/properties"),
    ("GET", "/properties/v2/deals/properties"),
    ("GET", "/owners/v2/owners"),
    ("GET", "/email/public/v1/campaigns"),
    ("GET", "/crm-objects/v1/objects/line_items/paged"),
    ("GET", "/crm-associations/v1/associations/101/HUBSPOT_DEFINED/4"),
    ("POST", "/contacts/v1/contact"),
    ("GET", "/companies/v2/companies/paged/"),
]


@pytest.mark.parametrize(("method", "path"), LEGACY, ids=[p for _, p in LEGACY])
def test_legacy_paths_answer_404_saying_what_is_served(serve, method, path):
    api = serve()
    reply = api(method, path, json={} if method == "POST" else None)
    assert reply.status_code == 404
    body = reply.json()
    assert body["category"] == "OBJECT_NOT_FOUND" and body["correlationId"] and body["status"] == "error"
    assert "legacy" in body["message"]
    assert "the sandbox serves only the CRM v3/v4 and dated APIs" in body["message"]


def test_other_unknown_paths_keep_the_plain_404_and_auth_comes_first(serve):
    api = serve()
    unknown = api("GET", "/crm/v3/nothing-here")
    assert unknown.status_code == 404 and "legacy" not in unknown.json()["message"]
    assert api("GET", "/cms/v3/blogs/posts").json()["message"].startswith("No route")
    anonymous = api.session.get(api.url + "/contacts/v1/lists/all/contacts/all",
                                headers={"Authorization": "Bearer wrong"}, timeout=10)
    assert anonymous.status_code == 401
