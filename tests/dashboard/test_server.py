"""The dashboard's HTTP side without a browser: run's password, open health paths, GET only, headers, no token,
the settings it adds, and the stored results it reads."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
import requests
from click.testing import CliRunner

from kpi import KpiConfig, KpiResult
from sync.app.cli import _run_dashboard, cli
from sync.app.dashboard.app import PAGES
from sync.app.dashboard.results import config_key, dumps, load, loads, store
from sync.app.health import Health, HealthServer
from sync.app.settings import load_settings
from sync.app.wiring import dashboard_data
from sync.storage import Mirror
from tests.dashboard.conftest import ENV, Site

PASSWORD = "correct-horse-battery"
TOKEN = "pat-na1-00000000-1111-2222-3333-444444444444"


@pytest.fixture(scope="module")
def run_server(site: Site) -> Any:
    """run's HTTP server with the dashboard on, as ``smarketing run`` builds it."""
    settings = load_settings(db=site.path, dashboard_password=PASSWORD, hubspot_token=TOKEN,
                             stage_map=ENV["SMARKETING_STAGE_MAP"])
    mirror = Mirror.read_only(site.path)
    server = HealthServer(Health(60), 0, "127.0.0.1", dashboard=_run_dashboard(settings, mirror)).start()
    yield f"http://127.0.0.1:{server.port}"
    server.stop()
    mirror.close()


def test_runs_dashboard_needs_the_password_and_health_stays_open(run_server: str) -> None:
    assert requests.get(run_server + "/", timeout=10).status_code == 401
    refused = requests.get(run_server + "/", auth=("anyone", "wrong"), timeout=10)
    assert refused.status_code == 401 and "Basic" in refused.headers["WWW-Authenticate"]
    assert requests.get(run_server + "/", auth=("anyone", PASSWORD), timeout=10).status_code == 200
    assert requests.get(run_server + "/healthz", timeout=10).status_code == 503  # open: no run yet
    assert requests.get(run_server + "/metrics", timeout=10).status_code == 200


def test_only_get_and_no_token_anywhere(run_server: str) -> None:
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
        assert requests.request(method, run_server + "/", auth=("a", PASSWORD), timeout=10).status_code == 405
        assert requests.request(method, run_server + "/healthz", timeout=10).status_code == 405
    for path in [*PAGES, "/static/style.css", "/list?kpi=new_leads&part=value"]:
        answer = requests.get(run_server + path, auth=("a", PASSWORD), timeout=10)
        assert answer.status_code == 200, path
        assert TOKEN not in answer.text and PASSWORD not in answer.text
        assert all(TOKEN not in v and PASSWORD not in v for v in answer.headers.values())
        csp = answer.headers["Content-Security-Policy"]
        assert "script-src 'none'" in csp and "default-src 'self'" in csp
        assert "<script" not in answer.text


def test_without_a_password_run_says_how_to_turn_the_dashboard_on() -> None:
    with HealthServer(Health(60), 0, dashboard=None) as server:
        answer = requests.get(f"http://127.0.0.1:{server.port}/", timeout=10)
    assert answer.status_code == 200 and "SMARKETING_DASHBOARD_PASSWORD" in answer.text


def test_bad_requests_get_one_line(site: Site) -> None:
    assert requests.get(site.url + "/?period=2026-13", timeout=10).status_code == 400
    assert requests.get(site.url + "/?period=2026-W10", timeout=10).status_code == 400
    assert requests.get(site.url + "/list?kpi=revenue", timeout=10).status_code == 400
    assert requests.get(site.url + "/nowhere", timeout=10).status_code == 404


@pytest.mark.parametrize("value", ["ORGANIC_SEARCH=-1", "organic=5", "PAID_SEARCH=lots", "ORGANIC_SEARCH"])
def test_bad_source_goals_name_the_variable_and_exit_2(value: str) -> None:
    result = CliRunner().invoke(cli, ["dashboard"], env={"SMARKETING_SOURCE_GOALS": value})
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("SMARKETING_SOURCE_GOALS:") and "Traceback" not in result.output


def test_source_goals_and_app_url_are_read() -> None:
    settings = load_settings(source_goals="ORGANIC_SEARCH=50, PAID_SEARCH=120",
                             hubspot_app_url="https://app-eu1.hubspot.com/")
    assert settings.source_goals == {"ORGANIC_SEARCH": 50, "PAID_SEARCH": 120}
    assert settings.hubspot_app_url == "https://app-eu1.hubspot.com"


def test_the_dashboard_of_a_missing_mirror_is_one_line(tmp_path: Any) -> None:
    result = CliRunner().invoke(cli, ["dashboard"], env={"SMARKETING_DB": str(tmp_path / "none.db")})
    assert result.exit_code != 0 and "Traceback" not in result.output and "does not exist" in result.output


def test_results_keep_exact_numbers_and_their_sets(tmp_path: Any) -> None:
    result = KpiResult("mql_to_sql_rate", "2026-03", "source=PAID_SEARCH", Fraction(1, 3), 1, 3, "2026-04-01T00:00Z",
                       {"currency": 2}, None, "rate", {"immature": True, "amount": Fraction(7, 4)})
    assert loads(dumps(result)) == result
    with Mirror(tmp_path / "m.db") as mirror:
        assert load(mirror.db, "2026-03", False, "source") is None  # never stored
        store(mirror.db, [result], "2026-03", False, "source", "now")
        store(mirror.db, [], "2026-03", False, None, "now")
        assert load(mirror.db, "2026-03", False, "source") == [result]
        assert load(mirror.db, "2026-03", False, None) == []  # stored, and empty
        assert load(mirror.db, "2026-03", True, "source") is None
        store(mirror.db, [], "2026-03", False, "source", "later")  # a set is replaced whole
        assert load(mirror.db, "2026-03", False, "source") == []
        store(mirror.db, [result], "2026-03", False, "source", "now", config_key(KpiConfig(monthly_goal=Decimal(5))))
        assert load(mirror.db, "2026-03", False, "source") is None  # computed with other settings
        assert load(mirror.db, "2026-03", False, "source", config_key(KpiConfig(monthly_goal=Decimal(5)))) == [result]
        assert config_key(KpiConfig(pipelines=frozenset({"b", "a"}))) == config_key(KpiConfig(
            pipelines=frozenset({"a", "b"})))


def test_the_demo_ends_with_a_dashboard_command_that_reads_its_stored_results(tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["demo", "--keep"])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if "smarketing dashboard" in x)
    env = dict(word.split("=", 1) for word in line.split() if word.startswith("SMARKETING_"))
    assert env["SMARKETING_DB"] == str(tmp_path / "smarketing-demo.db")
    settings = load_settings(db=env["SMARKETING_DB"], stage_map=env["SMARKETING_STAGE_MAP"])
    mirror = Mirror.read_only(settings.db)
    try:
        data = dashboard_data(settings, mirror)
        assert data.stale() == 0  # the printed stage map is the demo's: no funnel rebuild pending
        period = data.default_period()
        assert data._stored(period, False, None)  # the demo stored what the dashboard shows
    finally:
        mirror.close()


def test_contacts_waiting_for_the_funnel_are_announced_until_the_next_cycle(site: Site) -> None:
    before = requests.get(site.url + "/", timeout=10).text
    assert "next cycle" not in before
    with Mirror(site.path) as mirror:  # the worker's sync queued two contacts; its cycle has not rebuilt them yet
        mirror.db.execute("INSERT INTO funnel_pending SELECT id FROM contacts LIMIT 2")
        try:
            page = requests.get(site.url + "/", timeout=10).text  # the mirror changed: not the page kept in memory
            assert "2 contacts changed since the funnel was last rebuilt" in page and "next cycle" in page
        finally:
            mirror.db.execute("DELETE FROM funnel_pending")
    assert "next cycle" not in requests.get(site.url + "/", timeout=10).text


def test_the_cycle_stores_the_results_again_only_when_what_they_are_computed_from_moved(serve, tmp_path) -> None:
    """The same fingerprint as the plan's guards the kept results: the mirror, the settings and the clock."""
    from datetime import UTC, datetime, timedelta

    from sandbox import build_portal
    from sync.app.dashboard.results import store_cycle
    from tests.sync.helpers import run_sync

    api, now = serve(build_portal()), datetime(2026, 11, 1, tzinfo=UTC)
    config = KpiConfig(time_zone="America/New_York", currency="USD", stage_map={"1047290193": "lead"})
    with Mirror(tmp_path / "m.db") as mirror:
        run_sync(api, mirror)
        assert (store_cycle(mirror, config, now) or 0) > 0
        assert store_cycle(mirror, config, now + timedelta(minutes=15)) is None
        assert store_cycle(mirror, KpiConfig(**{**config.__dict__, "sla_attempts": 3}), now) is not None
        api("PATCH", "/crm/v3/objects/contacts/130", json={"properties": {"lifecyclestage": "opportunity"}})
        run_sync(api, mirror)
        assert store_cycle(mirror, config, now + timedelta(minutes=30)) is not None
        until = datetime.fromisoformat(str(mirror.meta("results_valid_until")).replace("Z", "+00:00"))
        assert store_cycle(mirror, config, until - timedelta(milliseconds=1)) is None
        assert store_cycle(mirror, config, until) is not None
