"""A dry run shows exactly the inputs the next real push sends: same records, same properties, same values.

The real inputs are recorded where they leave the worker (the client's batch_update and batch_upsert) and
compared with the dry run's on the same mirror. The cases that once set them apart are all here: records whose
only change is ``as_of``, dashboard records on a portal that refuses custom objects, a customer's property
under the prefix (held back), and a first push, where nothing exists in the CRM yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
import requests
from click.testing import CliRunner

from connector import HubSpotClient, WriteOutcome
from kpi import KpiConfig
from sandbox import build_portal
from sync.app.cli import cli
from sync.storage import Mirror
from sync.writeback import Pusher
from sync.writeback.dashboards import OBJECT_NAME
from tests.conftest import mini_portal_data
from tests.processes import worker_env
from tests.sync.helpers import run_sync

CONFIG = KpiConfig(time_zone="America/New_York", currency="USD", stage_map={"1047290193": "lead"})
NOW = datetime(2026, 11, 1, tzinfo=UTC)
Inputs = dict[str, list[tuple[str, dict[str, str | None]]]]


@pytest.fixture
def sent(monkeypatch) -> Inputs:
    """Every input the client is asked to write, by object type (dashboard records under their object's name)."""
    recorded: Inputs = {}
    update, upsert = HubSpotClient.batch_update, HubSpotClient.batch_upsert

    def batch_update(self: HubSpotClient, object_type: str, inputs: Sequence[tuple[str, dict[str, str | None]]]
                     ) -> list[WriteOutcome]:
        recorded.setdefault(object_type, []).extend(inputs)
        return update(self, object_type, inputs)

    def batch_upsert(self: HubSpotClient, object_type: str, inputs: Sequence[tuple[str, dict[str, str | None]]],
                     id_property: str) -> list[WriteOutcome]:
        assert object_type.startswith("2-") and id_property == "kpi_key"  # the schema's objectTypeId
        recorded.setdefault(OBJECT_NAME, []).extend(inputs)
        return upsert(self, object_type, inputs, id_property)

    monkeypatch.setattr(HubSpotClient, "batch_update", batch_update)
    monkeypatch.setattr(HubSpotClient, "batch_upsert", batch_upsert)
    return recorded


def reset(api) -> None:
    requests.post(api.url + "/_sandbox/stats/reset", timeout=5)


def customers_own_source_bucket(api, ids: Sequence[str]) -> None:
    """The customer's own smk_source_bucket (a number in their group), with values on some contacts."""
    assert api("POST", "/crm/v3/properties/contacts", json={
        "name": "smk_source_bucket", "label": "Bucket", "type": "number", "fieldType": "number",
        "groupName": "contactinformation"}).status_code == 201
    inputs = [{"id": i, "properties": {"smk_source_bucket": str(n)}} for n, i in enumerate(ids)]
    assert api("POST", "/crm/v3/objects/contacts/batch/update", json={"inputs": inputs}).status_code == 200


def dry_then_real(api, mirror, sent: Inputs, now: datetime) -> tuple[Inputs, Inputs]:
    """(the dry run's inputs, the inputs the real push that follows sent)."""
    client = HubSpotClient(api.server.token, api.url)
    reset(api)
    dry = Pusher(client, mirror, CONFIG, now=now).push(dry_run=True)
    assert all(route.startswith("GET ") for route in api.stats()["requests_by_route"]), "a dry run wrote"
    assert sent == {}
    Pusher(client, mirror, CONFIG, now=now).push()
    real = {object_type: list(inputs) for object_type, inputs in sent.items()}
    sent.clear()
    assert dict(dry.records) == {t: len(i) for t, i in dry.inputs.items()}
    assert dict(dry.wanted) == {t: sum(len(p) for _, p in i) for t, i in dry.inputs.items()}
    return dry.inputs, real


def as_of_only(mirror) -> int:
    """Dashboard records whose only difference from the CRM is a moved as_of: no reason to write."""
    return mirror.db.execute(
        "SELECT count(*) FROM (SELECT object_id FROM writeback_outbox WHERE object_type = ? AND "
        "(confirmed = 0 OR written IS NOT wanted) GROUP BY object_id HAVING group_concat(property) = 'as_of')",
        [OBJECT_NAME]).fetchone()[0]


@pytest.mark.parametrize("custom_objects", [True, False], ids=["enterprise", "no custom objects"])
def test_the_dry_run_equals_the_next_push_input_by_input(serve, tmp_path, sent, custom_objects):
    api = serve(build_portal(), custom_objects=custom_objects)
    customers_own_source_bucket(api, ("101", "102", "130"))
    with Mirror(tmp_path / "m.db") as mirror:
        run_sync(api, mirror)
        dry, real = dry_then_real(api, mirror, sent, NOW)  # the first push: no property, no schema exists yet
        if custom_objects:
            assert dry == real and set(real) == {"contacts", "deals", OBJECT_NAME}
        else:  # whether the CRM takes custom objects shows only when one is created: the dry run said so
            assert {t: i for t, i in dry.items() if t != OBJECT_NAME} == real
        assert all("smk_source_bucket" not in props for _, props in real["contacts"])

        api("PATCH", "/crm/v3/objects/contacts/130", json={"properties": {"lifecyclestage": "opportunity"}})
        api("PATCH", "/crm/v3/objects/deals/303", json={"properties": {"amount": "98765.43"}})
        run_sync(api, mirror)
        later = NOW + timedelta(minutes=5)  # every as_of of the current month and quarter moves
        dry, real = dry_then_real(api, mirror, sent, later)
        assert dry == real
        assert [i for i, _ in real["contacts"]] == ["130"]
        assert (OBJECT_NAME in real) == custom_objects
        if custom_objects:
            assert as_of_only(mirror) > 0  # left out of both, as they should be

        dry, real = dry_then_real(api, mirror, sent, later)  # nothing changed: nothing, in both
        assert dry == real == {}


def test_push_dry_run_prints_per_object_type_the_records_and_values_the_next_push_sends(serve, tmp_path, sent):
    api = serve(mini_portal_data(), custom_objects=False)
    customers_own_source_bucket(api, ("2", "3", "9"))
    db = tmp_path / "m.db"
    env = worker_env(api.url, db)
    assert CliRunner().invoke(cli, ["sync"], env=env).exit_code == 0
    assert CliRunner().invoke(cli, ["push"], env=env).exit_code == 0  # learns that the portal refuses the KPI object
    sent.clear()
    api("PATCH", "/crm/v3/objects/contacts/7", json={"properties": {"lifecyclestage": "salesqualifiedlead"}})
    api("PATCH", "/crm/v3/objects/deals/1", json={"properties": {"dealstage": "closedwon",
                                                            "closedate": "2026-02-01T00:00:00.000Z"}})
    assert CliRunner().invoke(cli, ["sync"], env=env).exit_code == 0
    reset(api)
    dry = CliRunner().invoke(cli, ["push", "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert all(route.startswith("GET ") for route in api.stats()["requests_by_route"])
    real = CliRunner().invoke(cli, ["push"], env=env)
    assert real.exit_code == 0, real.output
    assert set(sent) == {"contacts", "deals"}
    records, values = sum(len(i) for i in sent.values()), sum(len(p) for i in sent.values() for _, p in i)
    lines = dry.stdout.splitlines()
    assert lines[0] == f"dry run: {records} records, {values} values would be written; nothing sent"
    assert lines[1:3] == [f"  {t}: {len(i)} records, {sum(len(p) for _, p in i)} values" for t, i in sent.items()]
    assert "  dashboard records: off (see smarketing status)" in lines
    assert lines[-1] == ("not written: smk_source_bucket of contacts, 25 values held in the outbox: not the worker's "
                         "property: in group contactinformation, not smarketing; type number, not string; "
                         "fieldType number, not text")
