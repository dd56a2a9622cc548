"""Before any write, the worker proves it talks to the mirror's portal and that the mirror is complete.

Two sandboxes make two portals whose record ids overlap (both serve the same contacts and deals): a
mirror of portal 111 pushed with portal 222's token must leave portal 222 untouched. Write requests are
counted by the sandbox itself, so nothing the worker believes about its own requests is trusted here.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from sync.app.cli import cli
from sync.app.settings import load_settings
from sync.app.worker import Worker
from sync.storage import Mirror
from tests.conftest import mini_portal_data
from tests.processes import worker_env

WRITES = ("POST /crm/v3/objects/{objectType}/batch/update", "POST /crm/v3/objects/{objectType}/batch/upsert",
          "POST /crm/v3/properties/{objectType}", "POST /crm/v3/properties/{objectType}/groups",
          "PATCH /crm/v3/properties/{objectType}/{propertyName}", "POST /crm-object-schemas/v3/schemas")


def run(*args: str, **env: str):
    return CliRunner().invoke(cli, list(args), env=env)


def reset(api) -> None:
    requests.post(api.url + "/_sandbox/stats/reset", timeout=5)


def writes(api) -> dict[str, int]:
    return {route: n for route, n in api.stats()["requests_by_route"].items() if route in WRITES}


def errors(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("Error")]


@pytest.fixture
def two_portals(serve):
    """Portal 111 and portal 222, with the same record ids."""
    other = mini_portal_data()
    other["account"] = {**other["account"], "portalId": 222}
    return serve(mini_portal_data()), serve(other)


def test_a_push_with_another_portals_token_writes_nothing_and_names_both_portals(two_portals, tmp_path):
    ours, theirs = two_portals
    db = tmp_path / "m.db"
    assert run("sync", **worker_env(ours.url, db)).exit_code == 0
    reset(theirs)
    expected = [f"Error: {db} mirrors portal 111, but the token belongs to portal 222: nothing written; "
                "use portal 222's own mirror (SMARKETING_DB) or portal 111's token"]
    for command in (["push"], ["push", "--dry-run"]):
        result = run(*command, **worker_env(theirs.url, db))
        assert result.exit_code == 1, result.output
        assert errors(result) == expected, result.output
        assert "Traceback" not in result.output
    assert writes(theirs) == {}
    assert theirs.stats()["requests_by_route"] == {"GET /account-info/v3/details": 2}  # the account alone
    with Mirror(db) as mirror:
        assert mirror.db.execute("SELECT count(*) FROM writeback_outbox").fetchone()[0] == 0
    reset(ours)
    pushed = run("push", **worker_env(ours.url, db))  # the mirror's own portal takes the push
    assert pushed.exit_code == 0 and pushed.output.startswith("pushed "), pushed.output
    assert writes(ours)["POST /crm/v3/objects/{objectType}/batch/update"] == 2  # its 25 contacts and 1 deal


def test_the_workers_cycle_against_another_portal_writes_nothing(two_portals, tmp_path, monkeypatch, caplog):
    ours, theirs = two_portals
    db = tmp_path / "m.db"
    assert run("sync", **worker_env(ours.url, db)).exit_code == 0
    reset(theirs)
    for name, value in worker_env(theirs.url, db).items():
        if name.startswith("SMARKETING_"):
            monkeypatch.setenv(name, value)
    failures: list[str | None] = []
    with caplog.at_level(logging.ERROR, logger="smarketing.worker"):
        assert Worker(load_settings(), on_cycle=lambda summary, error: failures.append(error)).cycle() is None
    assert failures == [f"PortalMismatch: {db} mirrors portal 111, not portal 222; use another SMARKETING_DB "
                        "for this portal"]
    assert writes(theirs) == {}


def test_a_push_from_a_never_synced_mirror_writes_nothing(serve, tmp_path):
    api = serve()
    db = tmp_path / "m.db"
    Mirror(db).close()  # created (by `smarketing run` starting, say), never synced
    reset(api)
    for command in (["push"], ["push", "--dry-run"]):
        result = run(*command, **worker_env(api.url, db))
        assert result.exit_code == 1, result.output
        assert errors(result) == [f"Error: {db} mirrors no portal yet, and the token belongs to portal 111: "
                                  "nothing written; run smarketing sync first"], result.output
    assert writes(api) == {}
    with Mirror(db) as mirror:
        assert mirror.meta("portal_id") is None  # a refused push records no portal either


def test_a_push_from_a_mirror_without_a_complete_full_read_writes_nothing(serve, tmp_path):
    api = serve()
    db = tmp_path / "m.db"
    assert run("sync", "--stream", "contacts", **worker_env(api.url, db)).exit_code == 0
    reset(api)
    result = run("push", **worker_env(api.url, db))
    assert result.exit_code == 1
    assert errors(result) == [f"Error: {db} has not completed a full read of companies, deals, calls, emails, "
                              "meetings, tasks: nothing written; run smarketing sync first"], result.output
    assert writes(api) == {}
    only_contacts = run("push", **worker_env(api.url, db, STREAMS="account,contacts"))  # what is enabled counts
    assert only_contacts.exit_code == 0, only_contacts.output


def test_the_workers_push_step_has_its_own_guard(serve, tmp_path, monkeypatch):
    """Even if a sync left the mirror as empty as it found it and said nothing, the push step refuses."""
    from sync.ingest import SyncJob, SyncResult

    api = serve()
    db = tmp_path / "m.db"
    for name, value in worker_env(api.url, db).items():
        if name.startswith("SMARKETING_"):
            monkeypatch.setenv(name, value)
    monkeypatch.setattr(SyncJob, "run", lambda self: SyncResult(0))
    failures: list[str | None] = []
    reset(api)
    assert Worker(load_settings(), on_cycle=lambda summary, error: failures.append(error)).cycle() is None
    assert failures == [f"PortalMismatch: {db} mirrors no portal yet, and the token belongs to portal 111: "
                        "nothing written"]
    assert writes(api) == {}


def test_a_sync_with_nothing_changed_still_costs_19_requests_through_the_cli(serve, tmp_path: Path):
    api = serve()
    db = tmp_path / "m.db"
    assert run("sync", **worker_env(api.url, db)).exit_code == 0
    reset(api)
    assert run("sync", **worker_env(api.url, db)).exit_code == 0
    assert api.stats()["requests_total"] == 19, api.stats()["requests_by_route"]


def test_a_dry_run_needs_the_token_too(serve, tmp_path):
    api = serve()
    db = tmp_path / "m.db"
    assert run("sync", **worker_env(api.url, db)).exit_code == 0
    env = {k: v for k, v in worker_env(api.url, db).items() if k != "SMARKETING_HUBSPOT_TOKEN"}
    result = run("push", "--dry-run", **env)
    assert result.exit_code == 2
    assert result.output.startswith("SMARKETING_HUBSPOT_TOKEN: not set"), result.output
