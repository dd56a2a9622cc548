"""Write-back as HubSpot really behaves: "" clears a value, null does not.

Everything is read back from the sandbox through the API, and the sandbox treats JSON null as "no change", as
HubSpot does (API notes §1a): a clear sent as null would leave the stale value in the CRM and fail here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
import requests

from connector import HubSpotClient, WriteOutcome
from kpi import KpiConfig
from sandbox import build_portal
from sync.storage import Mirror
from sync.writeback import Pusher
from tests.sync.helpers import run_sync

CONFIG = KpiConfig(time_zone="America/New_York", currency="USD", stage_map={"1047290193": "lead"})
NOW = datetime(2026, 11, 1, tzinfo=UTC)
MIRRORED = {"deals": ("smk_days_to_close",)}  # the worker's own value, mirrored back as any property is
WRITES = ("POST /crm/v3/objects/{objectType}/batch/update", "POST /crm/v3/objects/{objectType}/batch/upsert",
          "POST /crm/v3/properties/{objectType}")
Inputs = Sequence[tuple[str, dict[str, str | None]]]


@pytest.fixture
def api(serve):
    return serve(build_portal())


@pytest.fixture
def mirror(tmp_path):
    with Mirror(tmp_path / "m.db") as m:
        yield m


def push(api, mirror, **options):
    return Pusher(HubSpotClient(api.server.token, api.url), mirror, CONFIG, now=NOW, **options).push()


def reset(api) -> None:
    requests.post(api.url + "/_sandbox/stats/reset", timeout=5)


def writes(api) -> dict[str, int]:
    return {route: n for route, n in api.stats()["requests_by_route"].items() if route in WRITES}


def crm_value(api, deal_id: str) -> str | None:
    return api("GET", f"/crm/v3/objects/deals/{deal_id}", params={"properties": "smk_days_to_close"}).json()[
        "properties"]["smk_days_to_close"]


def test_a_reopened_deals_days_to_close_is_cleared_in_the_crm_and_the_mirror(api, mirror, monkeypatch):
    run_sync(api, mirror, extra_properties=MIRRORED)
    push(api, mirror)
    deal_id = mirror.db.execute(
        "SELECT o.object_id FROM writeback_outbox o JOIN deals d ON d.id = CAST(o.object_id AS INTEGER) "
        "WHERE o.object_type = 'deals' AND o.property = 'smk_days_to_close' AND o.wanted IS NOT NULL "
        "AND d.pipeline = 'default' ORDER BY d.id LIMIT 1").fetchone()[0]
    days = crm_value(api, deal_id)
    assert days and days.isdigit()

    assert api("PATCH", f"/crm/v3/objects/deals/{deal_id}",
               json={"properties": {"dealstage": "appointmentscheduled"}}).status_code == 200  # reopened
    run_sync(api, mirror, extra_properties=MIRRORED)
    sent: list[tuple[str, Inputs]] = []
    original = HubSpotClient.batch_update

    def recording(self: HubSpotClient, t: str, inputs: Inputs) -> list[WriteOutcome]:
        sent.append((t, inputs))
        return original(self, t, inputs)

    monkeypatch.setattr(HubSpotClient, "batch_update", recording)
    cleared = push(api, mirror)
    assert cleared.failed == 0
    sent_for_deal = [props for t, inputs in sent if t == "deals" for i, props in inputs if i == deal_id]
    assert sent_for_deal and sent_for_deal[0]["smk_days_to_close"] == ""  # "" clears; null would not
    assert crm_value(api, deal_id) == ""  # cleared in the CRM, answered as "" as HubSpot does
    stored = mirror.db.execute("SELECT wanted, written, state FROM writeback_outbox WHERE object_type = 'deals' "
                               "AND object_id = ? AND property = 'smk_days_to_close'", [deal_id]).fetchone()
    assert tuple(stored) == (None, None, "ok")

    run_sync(api, mirror, extra_properties=MIRRORED)  # the cleared value read back: empty in the mirror too
    row = mirror.db.execute("SELECT dealstage, properties FROM deals WHERE id = ?", [int(deal_id)]).fetchone()
    assert row[0] == "appointmentscheduled" and json.loads(row[1])["smk_days_to_close"] in ("", None)
    reset(api)
    again = push(api, mirror)
    assert again.sent == 0 and writes(api) == {}  # a second push sends nothing


def test_an_empty_string_wanted_is_the_same_as_none(api, mirror, monkeypatch):
    """A wanted value of "" is no difference from a cleared one: stored as empty, never sent twice."""
    import kpi
    from sync.writeback import outbox

    run_sync(api, mirror)
    real = kpi.writeback_values

    def with_empty_strings(*args, **kwargs):
        values = real(*args, **kwargs)
        values.deals = ((i, {**v, "campaign": "" if v["campaign"] is None else v["campaign"]}) for i, v in values.deals)
        return values

    monkeypatch.setattr(outbox, "writeback_values", with_empty_strings)
    first = push(api, mirror)
    assert first.failed == 0
    assert mirror.db.execute("SELECT count(*) FROM writeback_outbox WHERE property = 'smk_campaign' "
                             "AND wanted = ''").fetchone()[0] == 0
    monkeypatch.setattr(outbox, "writeback_values", real)
    reset(api)
    assert push(api, mirror).sent == 0 and writes(api) == {}
