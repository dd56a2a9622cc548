"""smarketing push against the sandbox: values land in the CRM, diffed, batched, retried, and only our own."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import requests

from connector import HubSpotClient, WriteOutcome
from kpi import KpiConfig
from sandbox import build_portal
from sync.writeback import Pusher
from tests.sync.helpers import run_sync

CONFIG = KpiConfig(time_zone="America/New_York", currency="USD", stage_map={"1047290193": "lead"})
NOW = datetime(2026, 11, 1, tzinfo=UTC)
Inputs = Sequence[tuple[str, dict[str, str | None]]]  # a batch update's inputs: (record id, properties)
WRITES = ("POST /crm/v3/objects/{objectType}/batch/update", "POST /crm/v3/objects/{objectType}/batch/upsert",
          "POST /crm/v3/properties/{objectType}", "POST /crm/v3/properties/{objectType}/groups",
          "POST /crm-object-schemas/v3/schemas")


def push(api, mirror, now=NOW, **options):
    client = HubSpotClient(api.server.token, api.url)
    return Pusher(client, mirror, CONFIG, now=now, **options).push()


def reset(api):
    requests.post(api.url + "/_sandbox/stats/reset", timeout=5)


def writes(api):
    routes = api.stats()["requests_by_route"]
    return {route: n for route, n in routes.items() if route in WRITES}


def test_push_writes_our_values_and_a_second_push_writes_nothing(api, mirror):
    run_sync(api, mirror)
    result = push(api, mirror)
    assert result.failed == 0
    records = dict(mirror.db.execute("SELECT object_type, count(DISTINCT object_id) FROM writeback_outbox "
                                     "WHERE state = 'ok' GROUP BY object_type").fetchall())
    assert records["contacts"] == 59 and records["deals"] == 24 and records["smarketing_kpi"] > 100
    kpi = api("GET", "/crm/v3/objects/smarketing_kpi/new_leads|2026-10|all",
              params={"idProperty": "kpi_key", "properties": "kpi,period,segment,value"}).json()["properties"]
    assert (kpi["kpi"], kpi["period"], kpi["segment"]) == ("new_leads", "2026-10", "all")
    assert kpi["value"] == mirror.db.execute("SELECT wanted FROM writeback_outbox WHERE object_id = "
                                             "'new_leads|2026-10|all' AND property = 'value'").fetchone()[0]
    contact = api("GET", "/crm/v3/objects/contacts/144", params={
        "properties": "smk_funnel_stage,smk_source_bucket,smk_sla_status,lifecyclestage"}).json()["properties"]
    assert contact["smk_funnel_stage"] == "lead" and contact["lifecyclestage"] == "lead"
    assert contact["smk_sla_status"] in ("met", "pending", "overdue", "breached", "not_applicable")
    deal = api("GET", "/crm/v3/objects/deals/303", params={"properties": "smk_deal_kind"}).json()["properties"]
    assert deal["smk_deal_kind"] in ("new_business", "expansion")
    reset(api)
    again = push(api, mirror)
    assert again.sent == 0 and writes(api) == {}


def test_one_changed_contact_is_one_batch_call_for_it_alone(api, mirror, monkeypatch):
    run_sync(api, mirror)
    push(api, mirror)
    api("PATCH", "/crm/v3/objects/contacts/130", json={"properties": {"lifecyclestage": "opportunity"}})
    run_sync(api, mirror)
    sent: list[tuple[str, Inputs]] = []
    original = HubSpotClient.batch_update

    def recording(self: HubSpotClient, t: str, inputs: Inputs) -> list[WriteOutcome]:
        sent.append((t, inputs))
        return original(self, t, inputs)

    monkeypatch.setattr(HubSpotClient, "batch_update", recording)
    reset(api)
    push(api, mirror)
    assert [(t, [i for i, _ in inputs]) for t, inputs in sent] == [("contacts", ["130"])]
    assert api.stats()["requests_by_route"]["POST /crm/v3/objects/{objectType}/batch/update"] == 1


def test_only_our_own_properties_are_ever_sent(api, mirror, monkeypatch):
    run_sync(api, mirror)
    seen: set[str] = set()
    original = HubSpotClient.batch_update

    def recording(self: HubSpotClient, t: str, inputs: Inputs) -> list[WriteOutcome]:
        seen.update(p for _, props in inputs for p in props)
        return original(self, t, inputs)

    monkeypatch.setattr(HubSpotClient, "batch_update", recording)
    push(api, mirror)
    assert seen and all(p.startswith("smk_") for p in seen)


def test_failed_inputs_are_retried_on_a_later_push_until_all_is_written(serve, mirror):
    api = serve(build_portal(), batch_fault_rate=0.05, fault_seed=4)
    run_sync(api, mirror)
    first = push(api, mirror)
    assert first.failed > 0 and first.written + first.failed == first.sent
    second = push(api, mirror, now=NOW + timedelta(hours=1))
    assert second.sent == first.failed or second.failed > 0
    for hour in range(2, 8):
        push(api, mirror, now=NOW + timedelta(hours=hour))
    left = mirror.db.execute("SELECT count(*) FROM writeback_outbox WHERE state != 'ok'").fetchone()[0]
    assert left == 0


def test_a_dry_run_sends_nothing(api, mirror):
    run_sync(api, mirror)
    reset(api)
    result = Pusher(HubSpotClient(api.server.token, api.url), mirror, CONFIG, now=NOW).push(dry_run=True)
    assert sum(result.wanted.values()) > 0 and result.examples["smk_funnel_stage"]
    routes = api.stats()["requests_by_route"]  # it reads what a push would create or hold back, and only reads
    assert routes == {"GET /crm/v3/properties/{objectType}": 2, "GET /crm-object-schemas/v3/schemas": 1}


def test_a_property_that_differs_in_the_crm_is_reported_not_changed(api, mirror):
    api("POST", "/crm/v3/properties/contacts/groups", json={"name": "smarketing", "label": "x"})
    api("POST", "/crm/v3/properties/contacts", json={"name": "smk_source_bucket", "label": "Mine", "type": "number",
                                                     "fieldType": "number", "groupName": "smarketing"})
    run_sync(api, mirror)
    client = HubSpotClient(api.server.token, api.url)
    pusher = Pusher(client, mirror, CONFIG, now=NOW)
    from sync.writeback import PushResult
    result = PushResult()
    pusher.ensure_schema(result)
    assert ("smk_source_bucket", "type", "string", "number") in result.schema_differences
    assert api("GET", "/crm/v3/properties/contacts/smk_source_bucket").json()["type"] == "number"


def test_without_custom_objects_the_properties_still_flow_and_the_reason_is_kept(serve, mirror):
    api = serve(build_portal(), custom_objects=False)
    run_sync(api, mirror)
    result = push(api, mirror)
    assert result.failed == 0 and result.written == 59 + 24
    assert mirror.meta("dashboards").startswith("off: the CRM refused the smarketing_kpi custom object")
    assert "POST /crm/v3/objects/{objectType}/batch/upsert" not in api.stats()["requests_by_route"]


def test_as_of_alone_is_no_reason_to_write(api, mirror):
    run_sync(api, mirror)
    push(api, mirror)
    reset(api)
    push(api, mirror, now=NOW + timedelta(minutes=5))  # every as_of moves, no value does
    assert writes(api) == {}


def test_status_shows_the_outbox_and_why_dashboards_are_off(serve, mirror, tmp_path):
    from click.testing import CliRunner

    from sync.app.cli import cli
    api = serve(build_portal(), custom_objects=False)
    run_sync(api, mirror)
    push(api, mirror)
    mirror.db.execute("UPDATE writeback_outbox SET state = 'dead', last_error = 'VALIDATION_ERROR: nope' "
                      "WHERE object_type = 'deals' AND object_id = '301'")
    result = CliRunner().invoke(cli, ["status"], env={"SMARKETING_DB": str(mirror.path)})
    assert result.exit_code == 0, result.output
    assert "outbox: 0 values waiting" in result.output and "dead: deals 301" in result.output
    assert "dashboard records: off: the CRM refused the smarketing_kpi custom object" in result.output
    assert "contacts" in result.output and "last runs:" in result.output


def test_the_golden_portals_kpis_land_in_the_crm_with_their_hand_computed_values(serve, mirror):
    """The values of tests/kpi/test_golden.py (March 2026, pushed in April), read back through the API."""
    from tests.conftest import FIXTURES
    api = serve(build_portal(FIXTURES / "golden"))
    run_sync(api, mirror)
    config = KpiConfig(time_zone="America/New_York", currency="USD", stage_map={"1047290193": "lead"})
    Pusher(HubSpotClient(api.server.token, api.url), mirror, config,
           now=datetime(2026, 4, 15, tzinfo=UTC)).push()

    def value(key):
        record = api("GET", f"/crm/v3/objects/smarketing_kpi/{key}",
                     params={"idProperty": "kpi_key", "properties": "value,numerator,denominator"}).json()
        return record["properties"]

    assert value("new_leads|2026-03|all")["value"] == "13"
    win_rate = value("win_rate|2026-03|all")
    assert (win_rate["value"], win_rate["numerator"], win_rate["denominator"]) == ("0.714286", "5", "7")
    assert value("win_rate|2026-03|owner=9001")["value"] == "0.75"
    assert value("revenue|2026-03|all")["value"] == "11000"
    contact = api("GET", "/crm/v3/objects/contacts/120", params={"properties": "smk_funnel_stage"}).json()
    assert contact["properties"]["smk_funnel_stage"] == "customer"
