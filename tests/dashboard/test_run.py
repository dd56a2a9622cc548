"""``smarketing run`` with SMARKETING_DASHBOARD_PASSWORD: its cycle stores the KPI results, and its HTTP port serves
the dashboard behind the password while /healthz stays open."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time

import requests

from tests.processes import free_port, worker_env

PASSWORD = "open-sesame-42"


def test_runs_cycle_stores_results_and_its_dashboard_wants_the_password(sandbox_process, tmp_path):
    sandbox = sandbox_process()[1]
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "sync", "run"], cwd=tmp_path, text=True,
                               env=worker_env(sandbox, tmp_path / "m.db", HTTP_PORT=str(port),
                                              DASHBOARD_PASSWORD=PASSWORD, STAGE_MAP="1047290193=lead"),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line or json.loads(line)["event"].startswith(("run done", "run failed")):
                break
        url = f"http://127.0.0.1:{port}"
        assert requests.get(url + "/", timeout=10).status_code == 401
        assert requests.get(url + "/sla", auth=("x", "wrong"), timeout=10).status_code == 401
        page = requests.get(url + "/", auth=("x", PASSWORD), timeout=30)
        assert page.status_code == 200 and "Funnel" in page.text
        assert requests.get(url + "/healthz", timeout=10).status_code == 200
        db = sqlite3.connect(tmp_path / "m.db")
        selections = {row[0] for row in db.execute("SELECT DISTINCT selection FROM kpi_results")}
        assert selections == {"all", "by=source", "by=campaign", "by=owner", "by=pipeline"}
        assert db.execute("SELECT count(DISTINCT period) FROM kpi_results").fetchone()[0] == 2
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert PASSWORD not in out + err
