"""The smarketing command: exit statuses, the demo, and the sandbox as a real process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import requests
from click.testing import CliRunner

from sandbox import DEFAULT_PORTAL_DIR
from sync.app.cli import cli
from tests.conftest import FIXTURES, REPO
from tests.processes import free_port, worker_env


def run(*args: str, **env: str):
    return CliRunner().invoke(cli, list(args), env=env or None)


@pytest.mark.parametrize("command", ["demo", "sandbox"])
def test_bad_settings_exit_2_with_one_line_and_no_traceback(command):
    result = run(command, SMARKETING_LOG_LEVEL="loud")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "SMARKETING_LOG_LEVEL: 'loud' is not valid; use one of DEBUG, INFO, WARNING, ERROR, CRITICAL"]
    assert "Traceback" not in result.output


def test_bad_settings_from_a_real_shell():
    env = {**os.environ, "SMARKETING_LOG_LEVEL": "loud"}
    done = subprocess.run([sys.executable, "-m", "sync", "sandbox"], env=env, capture_output=True, text=True,
                          timeout=60, cwd=REPO)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "SMARKETING_LOG_LEVEL: 'loud' is not valid; use one of DEBUG, INFO, WARNING, ERROR, CRITICAL"]


def test_demo_reads_the_default_portal_through_the_api():
    result = run("demo")
    assert result.exit_code == 0, result.output
    contacts = json.loads((DEFAULT_PORTAL_DIR / "contacts.json").read_text())
    live = sum(1 for c in contacts if not c["archived"])
    assert f"contacts     {live} live, {len(contacts) - live} archived" in result.output
    assert "second sync  nothing changed: 19 API requests" in result.output
    assert "Funnel: the leads of 2026" in result.output
    assert "lead_to_customer_rate" in result.output and "sla_first_followup_rate" in result.output
    assert "59 contacts (smk_funnel_stage" in result.output
    assert "a second push with nothing changed: 0 batch calls" in result.output


def test_demo_keeps_its_mirror_when_asked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("demo", "--keep")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "smarketing-demo.db").exists() and "SMARKETING_DB=" in result.output
    deals = json.loads((DEFAULT_PORTAL_DIR / "deals.json").read_text())
    won = sum(1 for d in deals if d["properties"].get("hs_is_closed_won") == "true")
    assert f"{won} won" in result.output
    assert "Product Qualified Lead" in result.output  # custom stages are shown by their label


def test_every_command_has_help_and_is_in_the_readme():
    readme = (REPO / "README.md").read_text()
    for name, command in cli.commands.items():
        assert command.help, name
        assert f"`smarketing {name}`" in readme


def test_fixtures_and_contacts_exclude_each_other():
    result = run("sandbox", "--fixtures", str(FIXTURES / "tiny"), "--contacts", "10")
    assert result.exit_code == 2 and "exclude each other" in result.output


def test_a_broken_fixture_is_a_clear_error(tmp_path):
    (tmp_path / "contacts.json").write_text(json.dumps([{"id": "1", "properties": {"favourite_colour": "red"},
                                                         "createdAt": "x", "updatedAt": "x"}]))
    result = run("sandbox", "--fixtures", str(tmp_path), "--port", "0")
    assert result.exit_code == 1
    assert "contacts.json: record 1: undeclared properties ['favourite_colour']" in result.output




def test_sandbox_process_serves_fixtures_and_stops_on_sigterm():
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "sync", "sandbox", "--port", str(port), "--fixtures",
                                str(FIXTURES / "tiny"), "--token", "tiny-token"], cwd=REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}/crm/v3/objects/contacts"
        deadline = time.monotonic() + 30
        while True:
            try:
                reply = requests.get(url, headers={"Authorization": "Bearer tiny-token"}, timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.1)
        contacts = json.loads((FIXTURES / "tiny" / "contacts.json").read_text())
        assert [r["id"] for r in reply.json()["results"]] == [c["id"] for c in contacts if not c["archived"]][:10]
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0
    assert f"at http://127.0.0.1:{port}" in stderr and "Traceback" not in stderr



def _sync_env(api, tmp_path, token=None):
    return worker_env(api.url, tmp_path / "m.db", token=token or api.server.token)


def test_sync_without_a_token_exits_2_naming_the_variable():
    result = run("sync")
    assert result.exit_code == 2
    assert result.output.startswith("SMARKETING_HUBSPOT_TOKEN: not set")


def test_sync_runs_and_reports(serve, tmp_path):
    api = serve()
    result = run("sync", **_sync_env(api, tmp_path))
    assert result.exit_code == 0, result.output
    assert "synced" in result.output and "contacts 25" in result.output
    again = run("sync", "--stream", "contacts", **_sync_env(api, tmp_path))
    assert again.exit_code == 0 and "deals" not in again.output.split("synced", 1)[1]


def test_sync_with_a_refused_token_exits_2(serve, tmp_path):
    api = serve()
    result = run("sync", **_sync_env(api, tmp_path, token="pat-na1-wrong"))
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1].startswith("SMARKETING_HUBSPOT_TOKEN: the CRM refused the token")
    assert "pat-na1-wrong" not in result.output


def test_a_second_sync_on_the_same_mirror_exits_at_once(serve, tmp_path):
    from sync.storage import writer_lock
    api = serve()
    with writer_lock(tmp_path / "m.db"):
        result = run("sync", **_sync_env(api, tmp_path))
    assert result.exit_code == 1 and "only one sync runs at a time" in result.output
    assert not (tmp_path / "m.db").exists()  # it did not even open the mirror
