"""smarketing run through a CRM outage: runs fail with their reason, /healthz turns 503, and the run after the
CRM comes back catches up with nothing lost.

Timings: a cycle every 3 s, /healthz unhealthy 9 s after the last success. A stopped CRM refuses connections;
the connector tries each call twice (SMARKETING_HTTP_RETRY_ATTEMPTS=2: one backoff of 0.25 to 0.5 s) before a
run fails, so the first failure comes within a cycle of the outage, and /healthz turns 503 9 s after the last
success, without the test waiting through the default retries.
"""

from __future__ import annotations

import contextlib
import signal
import sqlite3
import subprocess
import sys
import time

import requests

from tests.processes import JsonLog, free_port, start_sandbox, stop, worker_env

TOKEN = "sandbox-token"
CONTACT = "115"  # an opportunity in the built-in portal; the test moves it to customer during the outage
HEADERS = {"Authorization": f"Bearer {TOKEN}"}


def mirror_stage(db_path, contact_id: str) -> str | None:
    with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as db:
        row = db.execute("SELECT lifecyclestage FROM contacts WHERE id = ?", (int(contact_id),)).fetchone()
    return row[0] if row else None


def healthz(http_port: int) -> requests.Response:
    return requests.get(f"http://127.0.0.1:{http_port}/healthz", timeout=5)


def test_a_crm_outage_fails_runs_with_a_reason_turns_health_503_and_the_next_run_catches_up(tmp_path):
    crm_port, http_port = free_port(), free_port()
    crm_url = f"http://127.0.0.1:{crm_port}"
    db_path = tmp_path / "m.db"
    env = worker_env(crm_url, db_path, HTTP_PORT=str(http_port), HEALTH_MAX_AGE_MINUTES="0.15",
                     SYNC_INTERVAL_MINUTES="0.05", HTTP_RETRY_ATTEMPTS="2")
    crm, _ = start_sandbox(port=crm_port)
    with open(tmp_path / "stderr.txt", "w") as stderr:
        worker = subprocess.Popen([sys.executable, "-m", "sync", "run"], cwd=tmp_path, text=True, env=env,
                                  stdout=subprocess.PIPE, stderr=stderr)
    log = JsonLog(worker)
    try:
        # 1. A healthy run against the CRM.
        log.wait_for("run done", timeout=30)
        assert healthz(http_port).status_code == 200
        assert mirror_stage(db_path, CONTACT) == "opportunity"

        # 2. The CRM goes away: a run fails and says why, and the worker keeps going.
        stop(crm)
        failed = log.wait_for("run failed", timeout=30)
        assert failed["level"].lower() == "error", failed
        assert "TransportError: no answer" in failed["event"], failed
        assert failed["run_id"], failed
        assert worker.poll() is None, "the worker must survive a failed run"

        # 3. /healthz turns 503 once the last success is older than 9 s, and says so.
        deadline = time.monotonic() + 15
        while (health := healthz(http_port)).status_code != 503 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert health.status_code == 503, health.text
        body = health.json()
        assert body["status"] == "unhealthy"
        assert body["reason"].startswith("last successful run "), body
        assert body["age_seconds"] >= body["max_age_seconds"] == 9, body
        assert "TransportError" in body["last_failure_reason"], body

        # 4. The CRM comes back (same port, same portal), with a change made while the mirror was behind.
        crm, _ = start_sandbox(port=crm_port)
        patched = requests.patch(f"{crm_url}/crm/v3/objects/contacts/{CONTACT}", headers=HEADERS, timeout=5,
                                 json={"properties": {"lifecyclestage": "customer"}})
        assert patched.status_code == 200, patched.text
        assert patched.json()["properties"]["lifecyclestage"] == "customer"

        # 5. The catch-up. A run already retrying when the CRM came back may have read contacts before the
        # change; the run after it cannot miss it, so the change is in the mirror by the second "run done".
        for _ in range(2):
            log.wait_for("run done", timeout=30)
            if mirror_stage(db_path, CONTACT) == "customer":
                break
        assert mirror_stage(db_path, CONTACT) == "customer"
        health = healthz(http_port)
        assert health.status_code == 200, health.text
        assert "last_failure" not in health.json()
        params: dict[str, int | str] = {"limit": 100, "properties": "lifecyclestage"}
        crm_stages = {r["id"]: r["properties"]["lifecyclestage"] for r in requests.get(
            f"{crm_url}/crm/v3/objects/contacts", params=params, headers=HEADERS, timeout=5).json()["results"]}
        with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert db.execute("SELECT count(*) FROM contacts").fetchone()[0] == 60
            mirror_stages = {str(i): s for i, s in db.execute(
                "SELECT id, lifecyclestage FROM contacts WHERE archived = 0")}
        assert mirror_stages == crm_stages  # every live contact, as the CRM has it now

        # 6. A clean stop.
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=20) == 0, (tmp_path / "stderr.txt").read_text()[-2000:]
        log.join()
        assert not any(r.get("event", "").startswith("(not JSON)") for r in log.lines), log.lines
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=10)
        assert worker.stdout is not None  # started with stdout=PIPE
        worker.stdout.close()
        stop(crm)
