"""Association type names as HubSpot's (meetings are ``meeting_event``), accepted in portal files in both forms,
and links paged as HubSpot pages them: 100 inline a type, 500 a record in an associations v4 answer."""

from __future__ import annotations

import pytest

from sandbox import PortalLoadError, build_portal, load_portal
from tests.conftest import T0, mini_portal_data


def meeting(record_id: str, contact_type: str, deal_type: str) -> dict:
    return {"id": record_id, "properties": {"hs_timestamp": T0, "hs_meeting_title": "Demo"}, "createdAt": T0,
            "updatedAt": T0, "archived": False,
            "associations": {"contacts": {"results": [{"id": "2", "type": contact_type}]},
                             "deals": {"results": [{"id": "1", "type": deal_type}]}}}


def portal_with_meetings() -> dict:
    data = mini_portal_data(3)
    data["meetings"] = [meeting("601", "meeting_event_to_contact", "meeting_event_to_deal"),  # as HubSpot answers
                        meeting("602", "meeting_to_contact", "meeting_to_deal")]  # the short form
    data["contacts"][0]["associations"] = {"meetings": {"results": [{"id": "601", "type": "contact_to_meeting_event"}]}}
    return data


def inline(api, path: str, to_types: str) -> dict:
    reply = api("GET", path, params={"associations": to_types})
    assert reply.status_code == 200, reply.text
    return reply.json().get("associations", {})


def test_portal_files_take_hubspots_names_and_the_short_forms_and_reads_answer_hubspots(serve):
    api = serve(portal_with_meetings())
    for meeting_id, contact_ids in (("601", ["1", "2"]), ("602", ["2"])):  # 601 is linked from contact 1 too
        links = inline(api, f"/crm/v3/objects/meetings/{meeting_id}", "contacts,deals")
        assert links["contacts"]["results"] == [{"id": i, "type": "meeting_event_to_contact"} for i in contact_ids]
        assert links["deals"]["results"] == [{"id": "1", "type": "meeting_event_to_deal"}]
    contact = inline(api, "/crm/v3/objects/contacts/2", "meetings")["meetings"]["results"]
    assert contact == [{"id": "601", "type": "contact_to_meeting_event"},
                       {"id": "602", "type": "contact_to_meeting_event"}]
    assert inline(api, "/crm/v3/objects/contacts/1", "meetings")["meetings"]["results"] == [
        {"id": "601", "type": "contact_to_meeting_event"}]
    deal = inline(api, "/crm/v3/objects/deals/1", "meetings")["meetings"]["results"]
    assert {link["type"] for link in deal} == {"deal_to_meeting_event"}


def test_primary_and_unlabeled_twins_both_come_back(serve):
    api = serve(build_portal())
    companies = inline(api, "/crm/v3/objects/deals/301", "companies")["companies"]["results"]
    assert {link["type"] for link in companies} == {"deal_to_company", "deal_to_company_unlabeled"}
    back = inline(api, "/crm/v3/objects/companies/201", "deals")["deals"]["results"]
    assert {"company_to_deal", "company_to_deal_unlabeled"} <= {link["type"] for link in back}


@pytest.mark.parametrize("name", ["contact_to_meeting_events", "meeting_event_to_deal", "contact_to_meet"])
def test_a_name_that_is_no_type_between_the_two_is_refused_at_load(name):
    data = mini_portal_data(3)
    data["contacts"][0]["associations"] = {"companies": {"results": [{"id": "1", "type": name}]}}
    with pytest.raises(PortalLoadError, match="unknown association type"):
        load_portal(data)


def portal_with_a_deal_of(n_contacts: int) -> dict:
    data = mini_portal_data(n_contacts)
    data["deals"][0]["associations"] = {"contacts": {"results": [{"id": str(i), "type": "deal_to_contact"}
                                                                 for i in range(1, n_contacts + 1)]}}
    return data


def test_inline_associations_stop_at_100_with_paging(serve):
    api = serve(portal_with_a_deal_of(150))
    block = inline(api, "/crm/v3/objects/deals/1", "contacts")["contacts"]
    assert [link["id"] for link in block["results"]] == [str(i) for i in range(1, 101)]
    assert block["paging"] == {"next": {"after": "100"}}
    listed = api("GET", "/crm/v3/objects/deals", params={"associations": "contacts"}).json()["results"][0]
    assert len(listed["associations"]["contacts"]["results"]) == 100 and listed["associations"]["contacts"]["paging"]
    small = inline(api, "/crm/v3/objects/contacts/3", "deals")["deals"]
    assert small == {"results": [{"id": "1", "type": "contact_to_deal"}]}  # no paging when all fit


def test_a_batch_read_pages_each_record_past_500_and_takes_its_cursor_beside_the_id(serve):
    api = serve(portal_with_a_deal_of(1200))
    path = "/crm/v4/associations/deals/contacts/batch/read"
    seen, after, answers = [], None, 0
    while True:
        item = {"id": "1", **({"after": after} if after else {})}
        body = api("POST", path, json={"inputs": [item]}).json()
        answers += 1
        (result,) = body["results"]
        seen += [link["toObjectId"] for link in result["to"]]
        assert len(result["to"]) <= 500
        after = result.get("paging", {}).get("next", {}).get("after")
        if after is None:
            break
        assert result["paging"]["next"]["link"].endswith(f"/crm/v4/objects/deals/1/associations/contacts?after={after}")
    assert seen == [str(i) for i in range(1, 1201)] and answers == 3
    assert api("POST", path, json={"inputs": [{"id": "1", "after": "x"}]}).status_code == 400


def test_a_batch_read_takes_1000_ids_and_no_more(serve):
    api = serve(portal_with_a_deal_of(1001))
    path = "/crm/v4/associations/contacts/deals/batch/read"
    reply = api("POST", path, json={"inputs": [{"id": str(i)} for i in range(1, 1001)]})
    assert reply.status_code == 200 and len(reply.json()["results"]) == 1000
    refused = api("POST", path, json={"inputs": [{"id": str(i)} for i in range(1, 1002)]})
    assert refused.status_code == 400 and refused.json()["category"] == "VALIDATION_ERROR"


def test_the_per_record_list_pages_with_limit_and_after_in_both_versions(serve):
    api = serve(portal_with_a_deal_of(1200))
    for path in ("/crm/v4/objects/deals/1/associations/contacts", "/crm/objects/2026-03/deals/1/associations/contacts"):
        seen, params = [], {"limit": "500"}
        while True:
            body = api("GET", path, params=params).json()
            seen += [link["toObjectId"] for link in body["results"]]
            if "paging" not in body:
                break
            params = {"limit": "500", "after": body["paging"]["next"]["after"]}
        assert seen == [str(i) for i in range(1, 1201)]
    assert len(api("GET", "/crm/v4/objects/deals/1/associations/contacts", params={"limit": "2000"}
                   ).json()["results"]) == 500
