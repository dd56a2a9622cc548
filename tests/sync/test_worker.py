"""smarketing run as the container runs it: scheduled cycles, JSON logs, health, a clean stop on SIGTERM."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from typing import Any

import pytest
import requests

from tests.processes import free_port, worker_env


@pytest.fixture
def sandbox(sandbox_process):
    return sandbox_process()[1]


def test_run_cycles_logs_json_serves_health_and_stops_cleanly_on_sigterm(sandbox, tmp_path):
    http_port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "sync", "run"], cwd=tmp_path, text=True,
                               env=worker_env(sandbox, tmp_path / "m.db", HTTP_PORT=str(http_port),
                                              SYNC_INTERVAL_MINUTES="0.05"),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None  # stdout=PIPE
    lines, done = [], 0
    deadline = time.monotonic() + 90
    while done < 2 and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        record = json.loads(line)
        lines.append(record)
        done += record["event"].startswith("run done")
    assert done >= 2, lines[-5:]
    assert {"ts", "level", "event", "run_id"} <= set(lines[-1])
    assert all(r["run_id"] for r in lines if r["event"].startswith("run done"))
    health = requests.get(f"http://127.0.0.1:{http_port}/healthz", timeout=5)
    assert health.status_code == 200
    metrics = requests.get(f"http://127.0.0.1:{http_port}/metrics", timeout=5).text
    assert "smarketing_runs_total" in metrics
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    assert "sandbox-token" not in out + err
    db = sqlite3.connect(tmp_path / "m.db")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert db.execute("SELECT count(*) FROM contacts").fetchone()[0] == 60


def test_a_bad_token_exits_2_with_one_line(sandbox, tmp_path):
    done = subprocess.run([sys.executable, "-m", "sync", "run"], cwd=tmp_path, text=True, capture_output=True,
                          env=worker_env(sandbox, tmp_path / "m.db", token="pat-wrong"), timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("SMARKETING_HUBSPOT_TOKEN: the CRM refused the token")
    assert "pat-wrong" not in done.stdout + done.stderr


SCOPES_BODY: dict[str, Any] = {
    "status": "error", "message": "This app hasn't been granted all required scopes to make this call.",
    "correlationId": "c", "category": "MISSING_SCOPES",
    "errors": [{"message": "One or more of the following scopes are required.",
                "context": {"requiredScopes": ["crm.objects.deals.read"]}}]}


def missing_scopes():
    from connector import MissingScopes
    return MissingScopes(SCOPES_BODY["message"], status=403, category="MISSING_SCOPES", body=SCOPES_BODY)


def test_a_missing_scope_at_start_up_exits_2_naming_it(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from sync.app.cli import cli
    from sync.app.worker import Worker

    def refuse(self):
        raise missing_scopes()

    monkeypatch.setattr(Worker, "check", refuse)
    result = CliRunner().invoke(cli, ["run"], env={"SMARKETING_HUBSPOT_TOKEN": "pat-x",
                                                   "SMARKETING_DB": str(tmp_path / "m.db")})
    assert result.exit_code == 2
    assert "SMARKETING_HUBSPOT_TOKEN: the token lacks the scopes crm.objects.deals.read" in result.output


def test_a_missing_scope_later_is_logged_with_the_scope_and_the_next_run_goes_on(serve, monkeypatch, tmp_path,
                                                                                caplog):
    import logging

    from sync.app.settings import load_settings
    from sync.app.worker import Worker
    from sync.ingest import SyncJob

    def refuse(self):
        raise missing_scopes()

    monkeypatch.setattr(SyncJob, "run", refuse)
    api = serve()  # the cycle reads the account before its sync: a portal must answer
    monkeypatch.setenv("SMARKETING_HUBSPOT_BASE_URL", api.url)
    monkeypatch.setenv("SMARKETING_HUBSPOT_TOKEN", api.server.token)
    monkeypatch.setenv("SMARKETING_DB", str(tmp_path / "m.db"))
    reasons = []
    worker = Worker(load_settings(), on_cycle=lambda summary, error: reasons.append(error))
    with caplog.at_level(logging.ERROR, logger="smarketing.worker"):
        assert worker.cycle() is None and worker.cycle() is None
    assert len(reasons) == 2 and reasons[0] is not None and "crm.objects.deals.read" in reasons[0]
    assert any(getattr(r, "scopes", None) == ["crm.objects.deals.read"] for r in caplog.records)
