"""Chaos, an echoed token: the CRM's answers repeat the request's Authorization header, and the token still
leaves no trace.

A loopback proxy (tests/proxy.py) in front of a sandbox that accepts only the test's token answers chosen requests
with an error whose message and context echo the token, bare and as ``Bearer <token>``: a 400 on a list, a 403 on
the custom object schema, a 207 whose every batch input failed "for the token ...", and a list page with a record
whose bad values are the token (so its quarantine reason and payload would hold it). Real ``smarketing sync``,
``push`` and ``run`` processes meet them. The tokens have no shape a pattern could catch (40 random hex
characters), or HubSpot's ``pat-na1-`` shape. Afterwards no 16 characters of the token are in the command's output
and logs, the bytes of the mirror's files (.db, -wal, -shm), or what ``/metrics`` and ``/healthz`` serve; where the
echo was stored or printed, ``[secure]`` stands in its place, so each check is of a text that did carry the echo.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import REPO, mini_portal_data
from tests.processes import free_port, rows, smarketing, worker_env
from tests.proxy import (
    LoopbackProxy,
    echo_authorization,
    echo_authorization_in_batch,
    echo_token_in_a_record,
)

TOKENS = {"hex": secrets.token_hex(20), "pat": f"pat-na1-{uuid.uuid4()}"}
WINDOW = 16  # characters of the token that count as a trace of it


@pytest.fixture(params=sorted(TOKENS))
def token(request: pytest.FixtureRequest) -> str:
    return TOKENS[request.param]


def traces(token: str, where: dict[str, bytes | str]) -> list[str]:
    """The places holding any ``WINDOW`` consecutive characters of the token."""
    pieces = {token[i:i + WINDOW].encode() for i in range(len(token) - WINDOW + 1)}
    found = []
    for name, blob in where.items():
        data = blob.encode() if isinstance(blob, str) else blob
        if any(piece in data for piece in pieces):
            found.append(name)
    return found


def mirror_files(db: Path) -> dict[str, bytes]:
    """The bytes of the mirror and of every file SQLite keeps beside it."""
    files = {path.name: path.read_bytes() for path in db.parent.glob(f"{db.name}*")}
    assert db.name in files
    return files


def test_a_sync_whose_answers_echo_the_token_prints_and_stores_no_trace_of_it(serve, tmp_path, token):
    api, db = serve(mini_portal_data(), token=token), tmp_path / "m.db"
    with LoopbackProxy(api.url) as proxy:
        proxy.rules += [echo_token_in_a_record(proxy, "contacts"), echo_authorization("GET", "/objects/deals")]
        done = smarketing("sync", proxy.url, db, token=token)
        assert {r.path.rsplit("/", 1)[-1] for r in proxy.answered} == {"contacts", "deals"}, "the echoes were sent"
    assert done.returncode == 1, done.stderr
    [line] = [line for line in done.stderr.splitlines() if line.startswith("Error")]
    assert line == ("Error: HTTP 400 VALIDATION_ERROR: Request rejected for credentials [secure]: header "
                    "Authorization: Bearer [secure] (objects.list)"), done.stderr
    [(error,)] = rows(db, "SELECT error FROM sync_runs")
    assert error == f"BadRequest: {line.removeprefix('Error: ')}"
    [(reason, payload)] = rows(db, "SELECT reason, payload FROM quarantine WHERE record_id = '987654321'")
    assert reason == "createdate is not a date: '[secure]'"
    assert json.loads(payload)["properties"]["email"] == "[secure]@x.test"
    assert rows(db, "SELECT count(*) FROM contacts") == [(25,)], "the well-formed records around it are stored"
    assert traces(token, {"stdout": done.stdout, "stderr": done.stderr, **mirror_files(db)}) == []


def test_a_push_whose_batch_errors_echo_the_token_stores_none_of_it_in_the_outbox(serve, tmp_path, token):
    api, db = serve(mini_portal_data(), token=token), tmp_path / "m.db"
    with LoopbackProxy(api.url) as proxy:
        assert smarketing("sync", proxy.url, db, token=token).returncode == 0
        proxy.rules += [echo_authorization_in_batch("contacts"),
                        echo_authorization("POST", "/objects/deals/batch/update"),
                        echo_authorization("POST", "/crm-object-schemas/v3/schemas", status=403)]
        done = smarketing("push", proxy.url, db, token=token)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("pushed 0 records") and "failed (retried later)" in done.stdout, done.stdout
    errors = dict(rows(db, "SELECT object_type, group_concat(DISTINCT last_error) FROM writeback_outbox "
                           "WHERE last_error IS NOT NULL GROUP BY object_type"))
    assert errors == {
        "contacts": "VALIDATION_ERROR: Property values were not valid for the token [secure] (Bearer [secure])",
        "deals": "VALIDATION_ERROR: Request rejected for credentials [secure]: header Authorization: Bearer [secure]"}
    [(dashboards,)] = rows(db, "SELECT value FROM meta WHERE key = 'dashboards'")
    assert dashboards.startswith("off: the CRM refused the smarketing_kpi custom object (HTTP 403 ")
    assert "[secure]" in dashboards
    assert traces(token, {"stdout": done.stdout, "stderr": done.stderr, **mirror_files(db)}) == []


def test_run_whose_cycle_fails_with_an_echo_serves_and_logs_no_trace_of_the_token(serve, tmp_path, token):
    api, db, port = serve(mini_portal_data(), token=token), tmp_path / "m.db", free_port()
    with LoopbackProxy(api.url) as proxy:
        proxy.rules.append(echo_authorization("GET", "/objects/contacts"))
        env = worker_env(proxy.url, db, token=token, HTTP_RETRY_ATTEMPTS="1", HTTP_PORT=str(port))
        worker = subprocess.Popen([sys.executable, "-m", "sync", "run"], cwd=REPO, env=env, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            health = _failed_health(worker, port)
            metrics = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        finally:
            worker.terminate()
            stdout, stderr = worker.communicate(timeout=30)
    assert worker.returncode == 0, stderr
    assert health["last_failure_reason"] == ("BadRequest: HTTP 400 VALIDATION_ERROR: Request rejected for "
                                             "credentials [secure]: header Authorization: Bearer [secure] "
                                             "(objects.list)")
    assert "smarketing_run_failures_total 1.0" in metrics
    [failed] = [json.loads(line) for line in stdout.splitlines() if '"run failed' in line]
    assert failed["event"] == f"run failed: {health['last_failure_reason']}"
    assert traces(token, {"stdout": stdout, "stderr": stderr, "/metrics": metrics, "/healthz": json.dumps(health),
                          **mirror_files(db)}) == []


def _failed_health(worker: subprocess.Popen[str], port: int) -> dict[str, Any]:
    """``/healthz`` once the worker's first cycle has failed."""
    deadline = time.monotonic() + 60
    while True:
        assert worker.poll() is None, "the worker exited"
        assert time.monotonic() < deadline, "the first cycle did not fail"
        try:
            body = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json()
        except requests.ConnectionError:
            body = {}
        if "last_failure_reason" in body:
            return body
        time.sleep(0.05)
