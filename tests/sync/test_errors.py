"""Every failure a user can meet is one line and an exit status, mapped in one place (sync.app.failures)."""

from __future__ import annotations

import logging
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from sync.app.cli import cli
from sync.storage import Mirror
from sync.storage.schema import VERSION
from tests.conftest import REPO
from tests.processes import free_port, worker_env

COMMANDS = [["sync"], ["push"], ["push", "--dry-run"], ["status"], ["kpi"], ["funnel"], ["run"]]


def too_new(path: Path) -> Path:
    Mirror(path).close()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {VERSION + 1}")
    return path


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_on_a_mirror_newer_than_the_worker_prints_one_line_and_exits_1(command, tmp_path):
    db = too_new(tmp_path / "m.db")
    done = subprocess.run([sys.executable, "-m", "sync", *command], cwd=REPO, capture_output=True, text=True,
                          timeout=60, env=worker_env(f"http://127.0.0.1:{free_port()}", db))
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"Error: the mirror has schema version {VERSION + 1}, newer than this worker's {VERSION}; "
        "upgrade smarketing-sync"], done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    with sqlite3.connect(db) as check:
        assert check.execute("PRAGMA user_version").fetchone() == (VERSION + 1,)  # left as it was


def _unreachable(url: str, tmp_path: Path) -> str:
    result = CliRunner().invoke(cli, ["sync"], env=worker_env(url, tmp_path / "m.db", HTTP_RETRY_ATTEMPTS="1"))
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and "Traceback" not in result.output, result.output
    return errors[0]


def test_a_dns_failure_and_a_refused_port_read_differently(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed when the block ends: nothing listens there
    refused = _unreachable(f"http://127.0.0.1:{port}", tmp_path)
    dns = _unreachable("http://no-such-portal.invalid", tmp_path)
    assert refused == (f"Error: cannot reach the CRM: no answer: connection refused by 127.0.0.1:{port} "
                       "(account.details); check SMARKETING_HUBSPOT_BASE_URL and the network")
    assert dns == ("Error: cannot reach the CRM: no answer: cannot resolve the host no-such-portal.invalid "
                   "(DNS lookup failed) (account.details); check SMARKETING_HUBSPOT_BASE_URL and the network")


def _broken(*args: object, **kwargs: object) -> None:
    raise KeyError("contact 42 with token pat-na1-00000000-1111")


def test_an_unexpected_error_is_one_line_with_its_type_and_where_the_traceback_is(tmp_path, monkeypatch):
    Mirror(tmp_path / "m.db").close()
    monkeypatch.setattr("sync.app.cli.compute", _broken)
    result = CliRunner().invoke(cli, ["kpi"], env={"SMARKETING_DB": str(tmp_path / "m.db")})
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Error: unexpected KeyError in smarketing kpi: ")
    assert line.endswith("run again with SMARKETING_LOG_LEVEL=DEBUG)")
    assert "pat-na1" not in line
    saved = Path(line.split("the traceback is in ", 1)[1].split(",", 1)[0])
    trace = saved.read_text()
    saved.unlink()
    assert "Traceback" in trace and "_broken" in trace and "pat-na1" not in trace


def test_under_debug_the_traceback_is_printed(tmp_path, monkeypatch):
    Mirror(tmp_path / "m.db").close()
    monkeypatch.setattr("sync.app.cli.compute", _broken)
    result = CliRunner().invoke(cli, ["kpi"], env={"SMARKETING_DB": str(tmp_path / "m.db"),
                                                  "SMARKETING_LOG_LEVEL": "DEBUG"})
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr and "_broken" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("Error: unexpected KeyError in smarketing kpi")


def test_run_logs_an_unexpected_error_with_its_traceback_at_error_and_the_next_cycle_goes_on(
        serve, tmp_path, monkeypatch, caplog):
    from sync.app.settings import load_settings
    from sync.app.worker import Worker
    from sync.writeback import Pusher

    api = serve()
    for name, value in worker_env(api.url, tmp_path / "m.db", token=api.server.token).items():
        if name.startswith("SMARKETING_"):
            monkeypatch.setenv(name, value)
    calls = []
    real = Pusher.push

    def push_once_broken(self: Pusher, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 1:
            raise ZeroDivisionError("a bug in the first push")
        return real(self, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Pusher, "push", push_once_broken)
    errors: list[str | None] = []
    worker = Worker(load_settings(), on_cycle=lambda summary, error: errors.append(error))
    with caplog.at_level(logging.ERROR, logger="smarketing.worker"):
        assert worker.cycle() is None
        assert worker.cycle() is not None
    assert errors == ["ZeroDivisionError: a bug in the first push", None]
    [failed] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert failed.getMessage() == "run failed: ZeroDivisionError: a bug in the first push"
    assert failed.exc_info is not None and failed.exc_info[0] is ZeroDivisionError


def test_a_known_failure_in_run_is_logged_without_a_traceback(serve, tmp_path, monkeypatch, caplog):
    from sync.app.settings import load_settings
    from sync.app.worker import Worker
    from sync.errors import PortalMismatch
    from sync.ingest import SyncJob

    def mismatch(self: SyncJob) -> None:
        raise PortalMismatch("m.db mirrors portal 1, not portal 2")

    monkeypatch.setattr(SyncJob, "run", mismatch)
    api = serve()  # the cycle reads the account before its sync: a portal must answer
    monkeypatch.setenv("SMARKETING_HUBSPOT_BASE_URL", api.url)
    monkeypatch.setenv("SMARKETING_HUBSPOT_TOKEN", api.server.token)
    monkeypatch.setenv("SMARKETING_DB", str(tmp_path / "m.db"))
    with caplog.at_level(logging.ERROR, logger="smarketing.worker"):
        assert Worker(load_settings()).cycle() is None
    [failed] = caplog.records
    assert "PortalMismatch" in failed.getMessage() and failed.exc_info is None
