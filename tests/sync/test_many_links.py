"""A record with more links than HubSpot puts in one answer (100 inline a type, 500 a record in an associations v4
answer) is mirrored with all of them, by the full read and by the incremental one, and the client's batch reads
take 1000 ids a call."""

from __future__ import annotations

import pytest

from connector import HubSpotClient
from sync.storage import Mirror
from tests.conftest import mini_portal_data
from tests.sync.helpers import run_sync

BATCH_READ = "POST /crm/v4/associations/{fromObjectType}/{toObjectType}/batch/read"


@pytest.fixture
def api(serve):
    data = mini_portal_data(1500)
    data["deals"][0]["associations"] = {"contacts": {"results": [{"id": str(i), "type": "deal_to_contact"}
                                                                 for i in range(1, 1201)]}}
    # enough other deals that one changed deal is read through search, not by a full read
    data["deals"] += [{**data["deals"][0], "id": str(i), "associations": {}} for i in range(2, 301)]
    return serve(data)


def linked(mirror: Mirror) -> list[int]:
    return [r[0] for r in mirror.db.execute("SELECT contact_id FROM deal_contacts WHERE deal_id = 1 ORDER BY 1")]


def test_the_client_follows_a_records_own_paging_and_reads_1000_ids_a_call(api):
    client = HubSpotClient(api.server.token, api.url)
    links = client.associations("deals", "contacts", ["1"])
    assert [link["toObjectId"] for link in links["1"]] == [str(i) for i in range(1, 1201)]
    assert api.stats()["requests_by_route"][BATCH_READ] == 3  # 500, 500, 200
    back = client.associations("contacts", "deals", [str(i) for i in range(1, 1501)])
    assert sorted(back, key=int) == [str(i) for i in range(1, 1201)]  # contacts 1201-1500 have no deal
    assert api.stats()["requests_by_route"][BATCH_READ] == 3 + 2  # 1000 ids, then 500


def test_a_deal_with_1200_contacts_is_mirrored_with_all_of_them(api, mirror):
    run_sync(api, mirror, streams=("deals",))  # the full read: 100 inline, the rest through associations v4
    assert linked(mirror) == list(range(1, 1201))
    assert api.stats()["requests_by_route"][BATCH_READ] == 3
    portal = api.server.app.portal
    assert api("DELETE", "/crm/v4/objects/deals/1/associations/contacts/7").status_code == 204
    for contact_id in ("1300", "1301"):
        portal.associate("deals", "1", "contacts", contact_id, 3)
    assert api("PATCH", "/crm/v3/objects/deals/1", json={"properties": {"dealname": "Bigger deal"}}
               ).status_code == 200
    requests_before = api.stats()["requests_by_route"]
    result = run_sync(api, mirror, streams=("deals",))  # incremental: search finds it, v4 pages its links
    routes = api.stats()["requests_by_route"]
    assert result.records["deals"] == 1
    assert routes["POST /crm/v3/objects/{objectType}/search"] > requests_before.get(
        "POST /crm/v3/objects/{objectType}/search", 0)
    assert routes[BATCH_READ] == 3 + 3 + 1  # the deal's contacts (3 answers) and companies (1)
    assert linked(mirror) == [i for i in range(1, 1201) if i != 7] + [1300, 1301]
