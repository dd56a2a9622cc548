"""The worker writes only the CRM properties it owns; a customer's property under its prefix keeps its values.

A property is the worker's when it is in the worker's group with the worker's type, fieldType and (at least)
its option values, or when the mirror recorded creating it. Everything here goes through the sandbox, whose
records are read back through the API: what the worker believes it sent is not trusted.
"""

from __future__ import annotations

import pytest
import requests
from click.testing import CliRunner

from connector import HubSpotClient
from kpi import CANONICAL, KpiConfig
from sync.app.cli import cli
from sync.errors import PropertyNotOwned
from sync.storage import Mirror
from sync.writeback import Pusher
from tests.conftest import mini_portal_data
from tests.processes import worker_env
from tests.sync.helpers import run_sync

THEIRS = {"2": "Stufe 2 — „warm“ ✓", "3": "  trailing space ", "5": "ÉTAPE 5\ttab", "8": "8"}  # the customer's
REASON = ("not the worker's property: in group contactinformation, not smarketing; type string, not enumeration; "
          "fieldType text, not select")
WRITES = ("POST /crm/v3/objects/{objectType}/batch/update", "POST /crm/v3/objects/{objectType}/batch/upsert")


def run(*args: str, **env: str):
    return CliRunner().invoke(cli, list(args), env=env)


def stage_values(api) -> dict[str, str | None]:
    """smk_funnel_stage of every contact, as the CRM holds it."""
    body = api("GET", "/crm/v3/objects/contacts", params={"limit": 100, "properties": "smk_funnel_stage"}).json()
    return {r["id"]: r["properties"].get("smk_funnel_stage") for r in body["results"]}


def outbox(db, prop: str) -> set[tuple[str, str | None]]:
    with Mirror(db) as mirror:
        return set(mirror.db.execute("SELECT state, last_error FROM writeback_outbox WHERE property = ?", [prop]))


def customer_property(api, **definition: object) -> None:
    body = {"name": "smk_funnel_stage", "label": "Our funnel stage", "type": "string", "fieldType": "text",
            "groupName": "contactinformation", **definition}
    assert api("POST", "/crm/v3/properties/contacts", json=body).status_code == 201


def test_a_customers_property_under_the_prefix_keeps_its_values_until_it_is_made_the_workers(serve, tmp_path):
    api = serve(mini_portal_data())
    db = tmp_path / "m.db"
    env = worker_env(api.url, db)
    customer_property(api)
    inputs = [{"id": i, "properties": {"smk_funnel_stage": v}} for i, v in THEIRS.items()]
    assert api("POST", "/crm/v3/objects/contacts/batch/update", json={"inputs": inputs}).status_code == 200
    before = stage_values(api)
    assert run("sync", **env).exit_code == 0

    for _ in range(2):  # the second push holds them back just the same, and says so again
        pushed = run("push", **env)
        assert pushed.exit_code == 0, pushed.output
        assert f"not written: smk_funnel_stage of contacts, 25 values held in the outbox: {REASON}" in pushed.stdout
        assert pushed.stderr.count("smk_funnel_stage") == 1, pushed.stderr  # the log says it once a push
        assert stage_values(api) == before  # byte for byte: every value, and every absence of one
        assert outbox(db, "smk_funnel_stage") == {("blocked", REASON)}
    source = api("GET", "/crm/v3/objects/contacts/2", params={"properties": "smk_source_bucket"}).json()
    assert source["properties"]["smk_source_bucket"]  # the worker's own properties did go

    status = run("status", SMARKETING_DB=str(db))
    assert status.exit_code == 0, status.output
    assert ", 0 dead, 25 blocked" in status.output
    assert f"  not written: smk_funnel_stage of contacts, 25 values held: {REASON}" in status.output

    # the customer makes it the worker's: its group, its type; relabelled options and one more are fine
    options = [{"label": f"Stage: {v}", "value": v, "displayOrder": n, "hidden": False}
               for n, v in enumerate((*CANONICAL, "recycled"))]
    fixed = api("PATCH", "/crm/v3/properties/contacts/smk_funnel_stage",
                json={"groupName": "smarketing", "type": "enumeration", "fieldType": "select", "options": options})
    assert fixed.status_code == 200
    pushed = run("push", **env)
    assert pushed.exit_code == 0 and "not written" not in pushed.output, pushed.output
    assert set(stage_values(api).values()) == {"lead"}
    assert {state for state, _ in outbox(db, "smk_funnel_stage")} == {"ok"}
    assert ", 0 blocked" in run("status", SMARKETING_DB=str(db)).output


def test_one_of_the_workers_options_missing_is_not_the_workers_property(serve, tmp_path):
    api = serve(mini_portal_data())
    db = tmp_path / "m.db"
    requests.post(api.url + "/crm/v3/properties/contacts/groups", json={"name": "smarketing", "label": "x"},
                  headers={"Authorization": f"Bearer {api.server.token}"}, timeout=5)
    customer_property(api, groupName="smarketing", type="enumeration", fieldType="select",
                      options=[{"label": v, "value": v, "displayOrder": n, "hidden": False}
                               for n, v in enumerate(CANONICAL[:-2])])
    assert run("sync", **worker_env(api.url, db)).exit_code == 0
    pushed = run("push", **worker_env(api.url, db))
    assert pushed.exit_code == 0
    assert ("not written: smk_funnel_stage of contacts, 25 values held in the outbox: not the worker's property: "
            "without the options evangelist, other") in pushed.stdout
    assert set(stage_values(api).values()) == {None}


def test_a_property_the_worker_created_stays_its_own_when_the_customer_moves_it(serve, tmp_path):
    api = serve(mini_portal_data())
    db = tmp_path / "m.db"
    env = worker_env(api.url, db)
    assert run("sync", **env).exit_code == 0
    assert run("push", **env).exit_code == 0
    with Mirror(db) as mirror:
        created = {r[0] for r in mirror.db.execute("SELECT name FROM writeback_properties "
                                                   "WHERE object_type = 'contacts'")}
    assert "smk_funnel_stage" in created and len(created) == 7
    moved = api("PATCH", "/crm/v3/properties/contacts/smk_funnel_stage",
                json={"groupName": "contactinformation", "label": "Funnel"})
    assert moved.status_code == 200
    assert api("PATCH", "/crm/v3/objects/contacts/4", json={"properties": {"lifecyclestage": "marketingqualifiedlead"}}
               ).status_code == 200
    assert run("sync", **env).exit_code == 0
    pushed = run("push", **env)
    assert pushed.exit_code == 0 and "not written" not in pushed.output, pushed.output
    assert stage_values(api)["4"] == "mql"


def test_the_last_guard_refuses_a_property_not_proven_the_workers_with_an_error_of_the_tree(serve, tmp_path,
                                                                                              monkeypatch):
    """Should planning ever hand the sender another property, the batch never leaves: a guard, not an assert."""
    api = serve(mini_portal_data())
    with Mirror(tmp_path / "m.db") as mirror:
        run_sync(api, mirror)
        monkeypatch.setattr(Pusher, "next_inputs", lambda self: {"contacts": [("1", {"smk_funnel_stage": "lead",
                                                                                      "firstname": "Mallory"})]})
        requests.post(api.url + "/_sandbox/stats/reset", timeout=5)
        pusher = Pusher(HubSpotClient(api.server.token, api.url), mirror, KpiConfig(time_zone="UTC"))
        with pytest.raises(PropertyNotOwned, match="contacts properties the worker does not own: firstname"):
            pusher.push()
    assert not set(api.stats()["requests_by_route"]) & set(WRITES)
    assert api("GET", "/crm/v3/objects/contacts/1").json()["properties"]["firstname"] == "First1"
