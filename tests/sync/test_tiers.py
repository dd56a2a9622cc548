"""The worker on every HubSpot tier: sync and push of the built-in portal exit 0 on each, only the optional features
the tier lacks turn off (campaigns and the cost KPIs below Marketing Professional, dashboard records below
Enterprise), and everything else comes out identical, compared table by table, KPI by KPI and value by value."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from prometheus_client import generate_latest

from sandbox import DEFAULT_TOKEN, SandboxConfig, SandboxServer, build_portal
from sandbox.tiers import Tiers
from sync.app.cli import cli
from sync.writeback import definitions
from sync.writeback.dashboards import FIELDS, OBJECT_NAME
from tests.processes import worker_env

# name -> SandboxConfig keywords
TIERS: dict[str, dict[str, Any]] = {
    "free": {"tier": "free"},
    "starter": {"tier": "starter"},
    "professional": {"tier": "professional"},
    "enterprise": {"tier": "enterprise"},
    "sales enterprise, marketing starter": {"tier": "enterprise", "marketing_tier": "starter"},
}
CAMPAIGNS_ON = {"professional", "enterprise"}
DASHBOARDS_ON = {"enterprise", "sales enterprise, marketing starter"}
COST_KPIS = {"cost_per_lead", "cost_per_opportunity", "cac", "marketing_roi", "ltv_to_cac"}  # built on spend
SPEND_UNAVAILABLE = "campaign spend is not available on this portal"
KPI_ARGS = ("--period", "2026", "--as-of", "2026-10-01T00:00:00.000Z", "--format", "json")
# Columns that hold the moment something happened in this run, not what the portal holds.
MOMENTS = {"sync_state": {"cursor_ms", "full_started_ms", "last_full_sync", "last_sync"},
           "quarantine": {"first_seen", "last_seen"}, "writeback_outbox": {"updated_at", "next_attempt_at"}}
RUN_RECORDS = {"sync_runs"}  # one row per run: its times and request counts
# the feature states, compared on their own; the plan's fingerprint hashes them too
FEATURE_META = ("campaigns", "dashboards", "dashboard_object", "plan_fingerprint")
CAMPAIGN_TABLES = {"campaigns", "campaign_spend"}


@dataclass
class Outcome:
    codes: dict[str, int]
    synced: str  # the CLI's line
    sync_log: str  # stderr of the sync: its log lines
    pushed: str
    status: str
    kpis: list[dict[str, Any]]
    kpis_by_campaign: list[dict[str, Any]]
    tables: dict[str, list[tuple[Any, ...]]]
    meta: dict[str, str]
    written: dict[str, dict[str, dict[str, Any]]]  # contacts and deals: id -> the smk_ values the CRM holds
    dashboard_records: dict[str, dict[str, Any]]  # kpi_key -> properties, as the CRM holds them


def clean_env(url: str, db: Path) -> dict[str, str | None]:
    """The worker's environment, with any SMARKETING_* variable of the caller's shell removed."""
    return {**{k: None for k in os.environ if k.startswith("SMARKETING_")}, **worker_env(url, db)}


def tables(db: Path) -> tuple[dict[str, list[tuple[Any, ...]]], dict[str, str]]:
    """Every table of the mirror, rows sorted, without the columns that hold this run's moments; and the meta."""
    conn = sqlite3.connect(db)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                            "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        dump = {}
        for name in names:
            if name in RUN_RECORDS:
                continue
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({name})") if r[1] not in MOMENTS.get(name, ())]
            dump[name] = sorted(conn.execute(f"SELECT {', '.join(columns)} FROM {name}").fetchall(), key=repr)
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    finally:
        conn.close()
    return dump, meta


def crm_values(url: str, object_type: str, properties: list[str]) -> dict[str, dict[str, Any]]:
    """Every live record of a type, as the CRM's list API answers it: id -> the properties asked for."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {DEFAULT_TOKEN}"
    found: dict[str, dict[str, Any]] = {}
    after: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 100, "properties": ",".join(properties)}
        if after:
            params["after"] = after
        reply = session.get(f"{url}/crm/v3/objects/{object_type}", timeout=10, params=params)
        if reply.status_code != 200:  # the custom object does not exist on this portal
            return {}
        body = reply.json()
        found |= {r["id"]: {k: r["properties"].get(k) for k in properties} for r in body["results"]}
        after = (body.get("paging") or {}).get("next", {}).get("after")
        if not after:
            return found


def written(url: str) -> dict[str, dict[str, dict[str, Any]]]:
    """The worker's values on contacts and deals, as the CRM holds them."""
    return {t: crm_values(url, t, [str(p["name"]) for p in props])
            for t, props in definitions("smk_", "smarketing").items()}


def run_tier(config: dict[str, Any], folder: Path) -> Outcome:
    db = folder / "m.db"
    with SandboxServer(build_portal(), SandboxConfig(**config)) as server:
        env = clean_env(server.url, db)
        runner = CliRunner()
        sync = runner.invoke(cli, ["sync"], env=env)
        push = runner.invoke(cli, ["push"], env=env)
        status = runner.invoke(cli, ["status"], env=env)
        kpis = runner.invoke(cli, ["kpi", *KPI_ARGS], env=env)
        by_campaign = runner.invoke(cli, ["kpi", *KPI_ARGS, "--by", "campaign"], env=env)
        dump, meta = tables(db)
        kpi_records = crm_values(server.url, OBJECT_NAME, ["kpi_key", *FIELDS])
        return Outcome(
            codes={"sync": sync.exit_code, "push": push.exit_code, "status": status.exit_code,
                   "kpi": kpis.exit_code, "kpi --by campaign": by_campaign.exit_code},
            synced=sync.stdout.strip(), sync_log=sync.stderr, pushed=push.stdout.strip(), status=status.stdout,
            kpis=json.loads(kpis.stdout) if kpis.exit_code == 0 else [],
            kpis_by_campaign=json.loads(by_campaign.stdout) if by_campaign.exit_code == 0 else [],
            tables=dump, meta=meta,
            written=written(server.url),
            dashboard_records={r["kpi_key"]: r for r in kpi_records.values()})


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """Each tier once: a sync and a push of the built-in portal, then status and the KPIs, all through the CLI."""
    found = {}
    for name, config in TIERS.items():
        folder = tmp_path_factory.mktemp(name.replace(" ", "_").replace(",", ""))
        with pytest.MonkeyPatch.context() as patch:
            patch.chdir(folder)  # no .env of the developer's
            found[name] = run_tier(config, folder)
    return found


@pytest.mark.parametrize("tier", TIERS)
def test_sync_and_push_exit_0_on_every_tier(outcomes, tier):
    outcome = outcomes[tier]
    assert outcome.codes == dict.fromkeys(outcome.codes, 0), (outcome.synced, outcome.pushed, outcome.sync_log)
    assert outcome.synced.startswith("synced ") and outcome.pushed.startswith("pushed ")


@pytest.mark.parametrize("tier", TIERS)
def test_below_marketing_professional_campaigns_are_off_with_their_reason(outcomes, tier):
    outcome = outcomes[tier]
    status = dict(line.split(": ", 1) for line in outcome.status.splitlines()
                  if line.startswith(("campaigns: ", "dashboard records: ")))
    if tier in CAMPAIGNS_ON:
        assert status["campaigns"] == "on"
        assert "campaigns off" not in outcome.synced and "campaigns off" not in outcome.sync_log
        assert outcome.tables["campaigns"] and outcome.tables["campaign_spend"]
        return
    assert status["campaigns"].startswith("off: the CRM refused campaigns (HTTP 403 MISSING_SCOPES")
    assert "Marketing Hub Professional" in status["campaigns"]
    assert "so the KPIs built on it (cost per lead, " in status["campaigns"]
    assert status["campaigns"].endswith("tried again at the next full reconcile")
    assert outcome.synced.endswith("; campaigns off: not available on this portal (see smarketing status)")
    [line] = [line for line in outcome.sync_log.splitlines() if " sync done: " in line]
    assert "; campaigns off: the CRM refused campaigns (HTTP 403 " in line
    assert outcome.meta["campaigns"].startswith("off: the CRM refused campaigns")
    assert outcome.tables["campaigns"] == [] and outcome.tables["campaign_spend"] == []


@pytest.mark.parametrize("tier", TIERS)
def test_below_marketing_professional_the_cost_kpis_are_null_with_the_reason(outcomes, tier):
    outcome = outcomes[tier]
    costs = [r for r in outcome.kpis + outcome.kpis_by_campaign if r["kpi"] in COST_KPIS]
    assert {r["kpi"] for r in costs} == COST_KPIS
    assert any(r["segment"] != "all" for r in costs)  # the per-campaign records, from the contacts' campaigns
    if tier in CAMPAIGNS_ON:
        assert all(r.get("reason") != SPEND_UNAVAILABLE for r in costs)
        assert all(r["value"] is not None for r in outcome.kpis if r["kpi"] in COST_KPIS)
    else:
        assert all(r["value"] is None and r["reason"].endswith(SPEND_UNAVAILABLE) for r in costs), costs
        assert all(r["numerator"] is None for r in costs if r["kpi"] != "ltv_to_cac")  # its numerator is CLV
    if tier in DASHBOARDS_ON and tier not in CAMPAIGNS_ON:  # the dashboard records of the cost KPIs say the same
        records = [r for r in outcome.dashboard_records.values() if r["kpi"] in COST_KPIS]
        assert records and all(r["value"] is None for r in records)


@pytest.mark.parametrize("tier", TIERS)
def test_below_enterprise_dashboard_records_are_off(outcomes, tier):
    outcome = outcomes[tier]
    [line] = [line for line in outcome.status.splitlines() if line.startswith("dashboard records: ")]
    outbox = {row[0] for row in outcome.tables["writeback_outbox"]}
    if tier in DASHBOARDS_ON:
        assert line == "dashboard records: on" and OBJECT_NAME in outbox and outcome.dashboard_records
        assert "dashboard records off" not in outcome.pushed
        return
    assert line.startswith("dashboard records: off: the CRM refused the smarketing_kpi custom object (HTTP 403 ")
    assert outcome.pushed.endswith("; dashboard records off (see smarketing status)")
    assert OBJECT_NAME not in outbox and outcome.dashboard_records == {}


def _without_costs(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The KPIs not built on spend; a campaign segment's label is its name, which only the Campaigns API knows."""
    return [{**r, "segment_label": None} if r["segment"].startswith("campaign=") else r
            for r in results if r["kpi"] not in COST_KPIS]


def _without_dashboards(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [row for row in rows if row[0] != OBJECT_NAME]


def test_everything_else_is_identical_across_tiers(outcomes):
    """Every other table of the mirror, every other KPI value and every value written, tier against tier."""
    reference = outcomes["enterprise"]
    for tier, outcome in outcomes.items():
        assert set(outcome.tables) == set(reference.tables), tier
        for table, rows in outcome.tables.items():
            if table in CAMPAIGN_TABLES and tier not in CAMPAIGNS_ON:
                continue  # empty: compared above
            if table == "meta":
                continue
            expected = reference.tables[table]
            if table == "writeback_outbox":
                rows, expected = _without_dashboards(rows), _without_dashboards(expected)
            if table == "mirror_changes" and tier not in CAMPAIGNS_ON:  # the campaigns' count, compared above
                rows, expected = ([row for row in r if row[0] not in CAMPAIGN_TABLES] for r in (rows, expected))
            assert rows == expected, (tier, table)
        meta = {k: v for k, v in outcome.meta.items() if not k.startswith(FEATURE_META)}
        assert meta == {k: v for k, v in reference.meta.items() if not k.startswith(FEATURE_META)}, tier
        assert _without_costs(outcome.kpis) == _without_costs(reference.kpis), tier
        assert _without_costs(outcome.kpis_by_campaign) == _without_costs(reference.kpis_by_campaign), tier
        assert outcome.written == reference.written, tier
    assert sum(len(values) for values in reference.written.values()) == 59 + 24  # every live contact and deal


def test_the_dashboard_records_differ_only_in_the_cost_kpis(outcomes):
    full, marketing_starter = (outcomes[t].dashboard_records for t in sorted(DASHBOARDS_ON))
    assert full.keys() == marketing_starter.keys()
    differing = {key.split("|")[0] for key in full if _values(full[key]) != _values(marketing_starter[key])}
    assert differing <= COST_KPIS  # (which periods they cover, and so whether they differ, is the clock's)
    assert len(full) > 100


def _values(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in ("as_of", "hs_lastmodifieddate", "hs_createdate")}


# -- an upgrade, and the worker ------------------------------------------------------------------------------

def _worker(url: str, db: Path, monkeypatch: pytest.MonkeyPatch, **extra: str) -> Any:
    from sync.app.health import Health
    from sync.app.settings import load_settings
    from sync.app.worker import Worker

    for name, value in worker_env(url, db, **extra).items():
        monkeypatch.setenv(name, value)
    health = Health(3600)

    def on_cycle(summary: Any, error: str | None) -> None:
        assert summary is not None, error
        health.run_succeeded(summary.records, summary.requests, summary.rate_limited, summary.outbox_backlog,
                             summary.quarantined, features=summary.features)

    return Worker(load_settings(), on_cycle=on_cycle), health


def _gauges(health: Any) -> dict[str, float]:
    lines = generate_latest(health.registry).decode().splitlines()
    return {line.split('"')[1]: float(line.rsplit(" ", 1)[1]) for line in lines
            if line.startswith("smarketing_feature_available{")}


def test_a_portal_upgraded_to_marketing_professional_gets_its_campaigns_at_the_next_full_reconcile(
        serve, tmp_path, monkeypatch, caplog):
    api = serve(build_portal(), tier="starter")
    worker, health = _worker(api.url, tmp_path / "m.db", monkeypatch)
    with caplog.at_level(logging.INFO):
        first = worker.cycle()
    assert first is not None and first.features == {"campaigns": False, "dashboards": False}
    assert _gauges(health) == {"campaigns": 0.0, "dashboards": 0.0}
    [done] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("run done")]
    assert done.endswith("; off on this portal: campaigns, dashboards (see smarketing status)")

    api.server.app.tiers = Tiers("professional")  # the customer upgrades Marketing Hub
    api("POST", "/_sandbox/stats/reset")
    assert worker.cycle() is not None  # an incremental cycle: not tried again yet
    routes = api.stats()["requests_by_route"]
    assert not [r for r in routes if "/marketing/" in r], routes
    assert worker.cycle(full=True).features == {"campaigns": True, "dashboards": False}  # the full reconcile
    assert _gauges(health) == {"campaigns": 1.0, "dashboards": 0.0}

    env = clean_env(api.url, tmp_path / "m.db")
    status = CliRunner().invoke(cli, ["status"], env=env).stdout
    assert "campaigns: on" in status.splitlines()
    kpis = json.loads(CliRunner().invoke(cli, ["kpi", *KPI_ARGS, "--kpi", "cost_per_lead"], env=env).stdout)
    assert kpis[0]["value"] is not None and "reason" not in kpis[0]
    with sqlite3.connect(tmp_path / "m.db") as db:
        assert db.execute("SELECT count(*) FROM campaigns").fetchone()[0] == 4


def test_a_stream_asked_for_by_name_that_is_off_is_an_error_once_per_run(serve, tmp_path, monkeypatch, caplog):
    api = serve(build_portal(), tier="starter")
    worker, _ = _worker(api.url, tmp_path / "m.db", monkeypatch, STREAMS="contacts,campaigns", WRITEBACK="off")
    for _ in range(2):  # refused, then off without asking again: an error in each run
        caplog.clear()
        with caplog.at_level(logging.INFO):
            assert worker.cycle() is not None
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1 and errors[0].startswith("campaigns, asked for in SMARKETING_STREAMS, are off: ")


def test_campaigns_of_all_streams_that_are_off_are_a_warning_not_an_error(serve, tmp_path, monkeypatch, caplog):
    api = serve(build_portal(), tier="free")
    worker, _ = _worker(api.url, tmp_path / "m.db", monkeypatch, WRITEBACK="off")
    with caplog.at_level(logging.INFO):
        assert worker.cycle() is not None
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING][0].startswith("campaigns are off")


def test_the_demo_says_which_tier_it_runs_first():
    result = CliRunner().invoke(cli, ["demo"])
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert first.startswith("HubSpot tier: enterprise, so every feature is on"), first
