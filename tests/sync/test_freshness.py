"""Fresh as well as safe: a change made before a run starts is in the mirror when it ends, with the default search lag;
a record the search index shows late is read by the next run; a run with nothing changed costs what it did.

The sync runs with the settings' defaults (``SMARKETING_SEARCH_LAG_SECONDS=30``, not the tests' usual 0). The
sandbox's portal clock is held still where a test needs its search index to lag a known write.
"""

from __future__ import annotations

import time
from typing import Any

import requests

from sandbox import build_portal
from sync.app.settings import load_settings
from sync.app.wiring import options_from_settings
from sync.ingest import SyncJob, SyncResult
from sync.storage import Mirror
from tests.sync.helpers import fast_client


def default_sync(api: Any, mirror: Mirror, **overrides: Any) -> SyncResult:
    options = options_from_settings(load_settings(**overrides))
    assert options.search_lag_seconds == 30.0
    return SyncJob(fast_client(api), mirror, options).run()


def test_a_contact_and_a_deal_changed_just_before_a_run_are_in_the_mirror_after_it(serve, mirror):
    api = serve(build_portal())
    default_sync(api, mirror)
    assert api("PATCH", "/crm/v3/objects/contacts/113",
               json={"properties": {"firstname": "Freshly", "lifecyclestage": "customer"}}).status_code == 200
    assert api("PATCH", "/crm/v3/objects/deals/310", json={"properties": {"amount": "4242.50"}}).status_code == 200
    result = default_sync(api, mirror)  # at once: the changes are seconds old, well inside the search lag
    assert mirror.db.execute("SELECT firstname, lifecyclestage FROM contacts WHERE id = 113").fetchone() \
        == ("Freshly", "customer")
    assert mirror.db.execute("SELECT amount FROM deals WHERE id = 310").fetchone() == (4242.5,)
    assert result.records["contacts"] >= 1 and result.records["deals"] >= 1


def test_a_record_the_search_index_hides_during_a_run_is_read_by_the_next(serve, mirror):
    """The cursor stays the search lag behind the run's start, so the next run reads that window again.

    No overlap here: only the lag window brings the record back.
    """
    api = serve(build_portal(), search_lag=10)
    portal = api.server.app.portal
    default_sync(api, mirror, sync_overlap_seconds=0)
    written = time.time()
    portal.clock = lambda: written  # the index is 10 s behind this instant for as long as the run takes
    assert api("PATCH", "/crm/v3/objects/contacts/113", json={"properties": {"firstname": "Late"}}).status_code == 200
    default_sync(api, mirror, sync_overlap_seconds=0)
    assert mirror.db.execute("SELECT firstname FROM contacts WHERE id = 113").fetchone() != ("Late",)
    portal.clock = lambda: written + 10  # the index has caught up with the write
    default_sync(api, mirror, sync_overlap_seconds=0)
    assert mirror.db.execute("SELECT firstname FROM contacts WHERE id = 113").fetchone() == ("Late",)


def test_a_run_with_nothing_changed_still_costs_two_requests_per_object_stream_and_one_per_reference(serve, mirror):
    api = serve(build_portal())
    default_sync(api, mirror)
    requests.post(api.url + "/_sandbox/stats/reset", timeout=5)
    default_sync(api, mirror)
    stats = api.stats()
    assert stats["requests_total"] == 2 * 7 + 5, stats["requests_by_route"]
