"""smarketing run at its edges: a stop in the middle of the KPI step, a second worker, a killed one, where it listens.

Containers are killed 10 s after SIGTERM, so a stop must land within that even while the worker computes KPIs over
30,000 contacts; the bound is the container's, not a speed target.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.processes import REPO, JsonLog, free_port, kill_when, stop, worker_env

STOP_DEADLINE = 10.0  # seconds a container waits after SIGTERM


def start_run(url: str, db: Path, tmp_path: Path, **extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "sync", "run"], cwd=tmp_path, text=True,
                            env=worker_env(url, db, **extra), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@contextmanager
def running(process: subprocess.Popen[str]) -> Iterator[JsonLog]:
    """The process's JSON log; whatever happens, the process is gone and its pipe closed afterwards."""
    log = JsonLog(process)
    try:
        yield log
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        log.join()
        if process.stdout is not None:
            process.stdout.close()


def stop_within_deadline(process: subprocess.Popen[str], log: JsonLog | None = None) -> float:
    """SIGTERM, then the seconds until the process exited 0 (at most 30 s are waited; a failure shows the log)."""
    sent = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        assert process.wait(timeout=30) == 0
    except subprocess.TimeoutExpired:
        raise AssertionError(f"run did not stop within 30 s of SIGTERM: {log.recent() if log else ''}") from None
    return time.monotonic() - sent


def test_sigterm_during_the_kpi_step_of_a_30000_contact_cycle_ends_run_within_10_s(tmp_path, sandbox_process):
    _, url = sandbox_process("--contacts", "30000", "--seed", "4")
    db = tmp_path / "m.db"
    worker = start_run(url, db, tmp_path, SYNC_INTERVAL_MINUTES="60")
    with running(worker) as log:
        log.wait_for("sync done", timeout=180)  # the KPI step starts now
        took = stop_within_deadline(worker, log)
    assert took < STOP_DEADLINE, f"the worker took {took:.1f} s to stop"
    events = [r.get("event", "") for r in log.lines]
    assert any(e.startswith("stopping: SIGTERM received") for e in events), events[-5:]
    assert not any(e.startswith("run failed") for e in events), events[-5:]
    with sqlite3.connect(db) as check:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_sigterm_while_the_client_waits_to_retry_an_outage_ends_run_within_10_s(tmp_path, sandbox_process):
    """A CRM outage sends the client into minutes of back-off; a stop must not wait for it."""
    process, url = sandbox_process()
    worker = start_run(url, tmp_path / "m.db", tmp_path, SYNC_INTERVAL_MINUTES="0.05", HTTP_RETRY_ATTEMPTS="10")
    with running(worker) as log:
        log.wait_for("run done", timeout=60)
        stop(process)  # the CRM goes away: connections are refused, and the client retries with back-off
        log.wait_for("retrying", timeout=60)
        took = stop_within_deadline(worker, log)
    assert took < STOP_DEADLINE, f"the worker took {took:.1f} s to stop"


def test_sigterm_during_a_sync_records_the_run_as_stopped_not_failed(tmp_path, sandbox_process):
    _, url = sandbox_process("--contacts", "20000", "--seed", "4")
    db = tmp_path / "m.db"
    worker = start_run(url, db, tmp_path)
    with running(worker) as log:
        deadline = time.monotonic() + 60
        while _count(db, "SELECT count(*) FROM contacts") < 1000:
            assert time.monotonic() < deadline and worker.poll() is None
            time.sleep(0.05)
        stop_within_deadline(worker, log)
    assert _count(db, "SELECT count(*) FROM contacts") < 20000, "the sync ended before the stop"
    with sqlite3.connect(db) as check:
        assert check.execute("SELECT status FROM sync_runs").fetchall() == [("stopped",)]


def test_a_run_killed_with_sigkill_shows_as_interrupted_after_the_next_start(tmp_path, sandbox_process):
    _, url = sandbox_process("--contacts", "20000", "--seed", "4")
    db, log = tmp_path / "m.db", tmp_path / "sync.log"
    with open(log, "w") as out:
        first = subprocess.Popen([sys.executable, "-m", "sync", "sync"], cwd=tmp_path, env=worker_env(url, db),
                                 stdout=out, stderr=subprocess.STDOUT)
    kill_when(first, lambda: _count(db, "SELECT count(*) FROM contacts") >= 1000, db, "sync", log)
    assert _count(db, "SELECT count(*) FROM sync_runs WHERE status = 'running'") == 1
    again = subprocess.run([sys.executable, "-m", "sync", "sync"], cwd=tmp_path, env=worker_env(url, db),
                           capture_output=True, text=True, timeout=180)
    assert again.returncode == 0, again.stderr
    status = subprocess.run([sys.executable, "-m", "sync", "status"], cwd=tmp_path, env=worker_env(url, db),
                            capture_output=True, text=True, timeout=60)
    assert status.returncode == 0, status.stderr
    runs = status.stdout.split("last runs:", 1)[1]
    assert "interrupted" in runs and "(killed before it finished)" in runs and " ok " in runs
    assert "running" not in runs


def test_a_second_run_on_the_same_mirror_exits_at_once_with_its_line(tmp_path, sandbox_process):
    _, url = sandbox_process()
    db = tmp_path / "m.db"
    first = start_run(url, db, tmp_path)
    with running(first) as log:
        log.wait_for("run done", timeout=60)
        started = time.monotonic()
        second = subprocess.run([sys.executable, "-m", "sync", "run"], cwd=REPO, env=worker_env(url, db),
                                capture_output=True, text=True, timeout=60)
        assert second.returncode == 1
        assert second.stderr.strip().splitlines() == [
            f"Error: another smarketing run (pid {first.pid}) works on {db}; only one worker runs per mirror; "
            "wait for the other process to finish"]
        assert time.monotonic() - started < 30  # at once: it did not wait for a cycle of the first
        assert first.poll() is None, "the first worker must go on"
        stop_within_deadline(first)


def test_health_listens_on_loopback_unless_told_otherwise(tmp_path, sandbox_process):
    _, url = sandbox_process()
    port = free_port()
    worker = start_run(url, tmp_path / "m.db", tmp_path, HTTP_PORT=str(port), HTTP_HOST="127.0.0.2")
    with running(worker) as log:
        listening = log.wait_for("serving /healthz", timeout=60)
        assert listening["event"] == f"serving /healthz and /metrics on 127.0.0.2:{port}"
        assert requests.get(f"http://127.0.0.2:{port}/metrics", timeout=5).status_code == 200
        try:
            requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
            raise AssertionError("answered on 127.0.0.1 too")
        except requests.ConnectionError:
            pass
        stop_within_deadline(worker, log)


def _count(db: Path, sql: str) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:  # not created yet
        return 0


def test_a_stop_that_lands_before_the_scheduler_is_up_still_ends_run(tmp_path, monkeypatch):
    """The stop once landed inside the scheduler's start: the handler's shutdown failed silently (inside a log
    call) and run waited for its next cycle. Now the handler only sets the event, and run returns at once."""
    from sync.app.settings import load_settings
    from sync.app.worker import Worker

    monkeypatch.setenv("SMARKETING_DB", str(tmp_path / "m.db"))
    monkeypatch.setenv("SMARKETING_HUBSPOT_TOKEN", "x")
    worker = Worker(load_settings())
    cycles: list[bool] = []
    monkeypatch.setattr(worker, "cycle", lambda full=False: cycles.append(full))
    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        worker.stopping.set()
        started = time.monotonic()
        worker.run()
        assert time.monotonic() - started < 5
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
    assert cycles == []
