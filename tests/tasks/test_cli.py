"""The SLA follow-up tasks from the command line: the dry run lists them, the push creates them, status counts them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from click.testing import CliRunner

from kpi import iso
from sync.app.cli import cli
from tests.processes import worker_env
from tests.tasks.portal import handoff, task_portal


def test_dry_run_lists_the_tasks_a_push_creates_and_status_counts_them(serve, tmp_path):
    start = iso((datetime.now(UTC) - timedelta(days=4)).replace(minute=0, second=0, microsecond=0))
    api = serve(task_portal([handoff(10, start), handoff(11, start, owner="9002"), handoff(12, start, owner=None)]))
    env = worker_env(api.url, tmp_path / "m.db", token=api.server.token, SLA_TASKS="on", TIMEZONE="UTC")
    runner = CliRunner()
    assert runner.invoke(cli, ["sync"], env=env).exit_code == 0
    dry = runner.invoke(cli, ["push", "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert "SLA follow-up tasks: 2 would be created" in dry.output
    assert "rep 9001: First follow-up due " in dry.output and "Ana10 Pérez, organic search lead (contact 10)" in \
        dry.output
    assert len(api.server.app.portal.stores["tasks"].records) == 0
    pushed = runner.invoke(cli, ["push"], env=env)
    assert "SLA tasks: 2 created" in pushed.output, pushed.output
    status = runner.invoke(cli, ["status"], env=env).output
    assert "hand-offs with no task: no owner: 1" in status
    assert "rep 9001: 1 created, 1 open, 1 of them overdue" in status and "rep 9002: 1 created" in status
    again = runner.invoke(cli, ["push", "--dry-run"], env=env)
    assert "SLA follow-up tasks: 0 would be created" in again.output


def test_metrics_show_the_tasks_per_rep_and_state():
    from prometheus_client import generate_latest

    from sync.app.health import Health

    health = Health(3600, clock=lambda: 1_000.0)
    health.run_succeeded({}, 0, 0, 0, 0, tasks={9001: {"created": 3, "open": 1, "in_time": 2}, None: {"created": 0}})
    text = generate_latest(health.registry).decode()
    assert 'smarketing_sla_tasks{rep="9001",state="created"} 3.0' in text
    assert 'smarketing_sla_tasks{rep="9001",state="in_time"} 2.0' in text
    assert 'smarketing_sla_tasks{rep="none",state="created"} 0.0' in text


def test_the_workers_cycle_creates_the_tasks_once_and_reports_them(serve, tmp_path, monkeypatch):
    from sync.app.settings import load_settings
    from sync.app.worker import Worker

    start = iso((datetime.now(UTC) - timedelta(days=4)).replace(minute=0, second=0, microsecond=0))
    api = serve(task_portal([handoff(10, start), handoff(11, start, owner="9002")]))
    for name, value in worker_env(api.url, tmp_path / "m.db", token=api.server.token, SLA_TASKS="on",
                                  TIMEZONE="UTC").items():
        if name.startswith("SMARKETING_"):
            monkeypatch.setenv(name, value)
    worker = Worker(load_settings())
    first = worker.cycle()
    assert first is not None and set(first.tasks) == {9001, 9002}
    assert first.tasks[9001]["created"] == 1 and first.tasks[9002]["open"] == 1
    second = worker.cycle()
    assert second is not None and second.tasks == first.tasks
    assert len(api.server.app.portal.stores["tasks"].records) == 2
