"""Write-back as HubSpot really behaves: "" clears (null does not), and an archived property of the worker's.

Everything is read back from the sandbox through the API, and the sandbox treats JSON null as "no change", as
HubSpot does (API notes §1a): a clear sent as null would leave the stale value in the CRM and fail here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime

import requests
from click.testing import CliRunner

from connector import HubSpotClient, WriteOutcome
from kpi import KpiConfig
from sync.app.cli import cli
from sync.storage import Mirror
from sync.writeback import Pusher
from tests.processes import worker_env
from tests.sync.helpers import run_sync

CONFIG = KpiConfig(time_zone="America/New_York", currency="USD", stage_map={"1047290193": "lead"})
NOW = datetime(2026, 11, 1, tzinfo=UTC)
MIRRORED = {"deals": ("smk_days_to_close",)}  # the worker's own value, mirrored back as any property is
WRITES = ("POST /crm/v3/objects/{objectType}/batch/update", "POST /crm/v3/objects/{objectType}/batch/upsert",
          "POST /crm/v3/properties/{objectType}", "PATCH /crm/v3/properties/{objectType}/{propertyName}")
Inputs = Sequence[tuple[str, dict[str, str | None]]]


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


def archive(api, prop: str) -> None:
    assert api("DELETE", f"/crm/v3/properties/contacts/{prop}").status_code == 204


def test_an_archived_property_of_the_workers_is_reported_and_its_values_held(api, tmp_path, caplog):
    db = tmp_path / "m.db"
    env = worker_env(api.url, db)
    assert CliRunner().invoke(cli, ["sync"], env=env).exit_code == 0
    assert CliRunner().invoke(cli, ["push"], env=env).exit_code == 0
    archive(api, "smk_source_bucket")
    reset(api)
    with caplog.at_level(logging.WARNING, "smarketing.writeback"):
        result = CliRunner().invoke(cli, ["push"], env=env)
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("not written: smk_source_bucket"))
    assert "values held in the outbox: archived in the CRM: restore it there, or set " \
           "SMARKETING_UNARCHIVE_PROPERTIES=on" in line
    assert "smk_source_bucket" in caplog.text and "archived in the CRM" in caplog.text
    assert "PATCH /crm/v3/properties/{objectType}/{propertyName}" not in writes(api)  # not restored unasked
    assert api("GET", "/crm/v3/properties/contacts/smk_source_bucket", params={"archived": "true"}).json()[
        "archived"] is True
    with Mirror(db) as mirror:
        held = mirror.db.execute("SELECT count(*), min(state) FROM writeback_outbox "
                                 "WHERE property = 'smk_source_bucket'").fetchone()
    assert held[0] > 0 and held[1] == "blocked"
    status = CliRunner().invoke(cli, ["status"], env=env)
    assert "smk_source_bucket" in status.output and "archived in the CRM" in status.output


def test_with_the_switch_on_the_archived_property_is_restored_and_written(api, mirror):
    run_sync(api, mirror)
    push(api, mirror)
    archive(api, "smk_source_bucket")
    off = push(api, mirror)
    assert ("contacts", "smk_source_bucket") in off.blocked and off.sent == 0
    reset(api)
    restored = push(api, mirror, unarchive_properties=True)
    assert restored.blocked == {} and restored.failed == 0
    assert writes(api)["PATCH /crm/v3/properties/{objectType}/{propertyName}"] == 1
    assert api("GET", "/crm/v3/properties/contacts/smk_source_bucket").json()["archived"] is False
    contacts = mirror.db.execute("SELECT count(DISTINCT object_id) FROM writeback_outbox "
                                 "WHERE object_type = 'contacts'").fetchone()[0]
    assert restored.records["contacts"] == contacts  # its values are sent again: what the CRM kept is not known
    assert {p for _, props in restored.inputs["contacts"] for p in props} == {"smk_source_bucket"}
    assert mirror.db.execute("SELECT count(*) FROM writeback_outbox WHERE property = 'smk_source_bucket' "
                             "AND state = 'ok' AND confirmed = 1").fetchone()[0] == contacts
    reset(api)
    assert push(api, mirror, unarchive_properties=True).sent == 0 and writes(api) == {}


def test_a_restore_the_crm_does_not_apply_is_reported_not_trusted(api, mirror, monkeypatch):
    run_sync(api, mirror)
    push(api, mirror)
    archive(api, "smk_source_bucket")
    monkeypatch.setattr(HubSpotClient, "restore_property",
                        lambda self, t, name: self.property_definition(t, name, archived=True))  # a 200, still archived
    result = push(api, mirror, unarchive_properties=True)
    assert result.blocked[("contacts", "smk_source_bucket")] == (
        "archived in the CRM, and still archived after the worker restored it: restore it in HubSpot")
    assert result.failed == 0
