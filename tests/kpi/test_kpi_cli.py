"""smarketing sync, then smarketing kpi and smarketing funnel, against the sandbox, as a user runs them."""

from __future__ import annotations

import json

from click.testing import CliRunner

from kpi import specs
from sandbox import build_portal
from sync.app.cli import cli
from tests.processes import worker_env

FIELDS = {"kpi", "period", "segment", "value", "numerator", "denominator", "excluded", "as_of"}


def run(*args, env):
    return CliRunner().invoke(cli, list(args), env=env)


def synced(serve, tmp_path):
    api = serve(build_portal())
    env = worker_env(api.url, tmp_path / "m.db", token=api.server.token, STAGE_MAP="1047290193=lead")
    assert run("sync", env=env).exit_code == 0
    return env


def test_kpi_json_has_every_identifier_with_the_fields_of_section_0(serve, tmp_path):
    env = synced(serve, tmp_path)
    result = run("kpi", "--period", "2026-03", "--format", "json", env=env)
    assert result.exit_code == 0, result.output
    records = json.loads(result.output)
    assert isinstance(records, list) and {r["kpi"] for r in records} == set(specs())
    for record in records:
        assert FIELDS <= set(record), record
        for key in ("value", "numerator", "denominator"):
            assert record[key] is None or isinstance(record[key], int | float), record
        assert record["period"] in ("2026-03",) or record["kpi"] in ("daily_sales_vs_goal",)
        if record["value"] is None:
            assert record.get("reason"), record


def test_kpi_table_fits_100_columns_and_segments_work(serve, tmp_path):
    env = synced(serve, tmp_path)
    table = run("kpi", "--period", "2026-Q1", env=env)
    assert table.exit_code == 0, table.output
    assert max(len(line) for line in table.output.splitlines()) <= 100
    assert "CONVERSION" in table.output and " %" in table.output
    by_source = json.loads(run("kpi", "--period", "2026-Q1", "--by", "source", "--kpi", "new_leads",
                               "--format", "json", env=env).output)
    assert all(r["segment"].startswith("source=") for r in by_source)
    csv = run("kpi", "--period", "2026-Q1", "--kpi", "revenue", "--format", "csv", env=env).output
    # issue 16: the CSV carries the same fields as the JSON, labels, exact values, units and currencies among them
    assert csv.splitlines()[0] == ("kpi,label,period,segment,segment_label,value,exact,unit,currency,numerator,"
                                   "denominator,excluded,as_of,reason")


def test_kpi_errors_are_clear(serve, tmp_path):
    env = synced(serve, tmp_path)
    assert run("kpi", "--period", "March", env=env).exit_code == 2
    assert run("kpi", "--kpi", "happiness", env=env).exit_code == 2
    missing = run("kpi", env={**env, "SMARKETING_DB": str(tmp_path / "none.db")})
    assert missing.exit_code == 1 and "run smarketing sync first" in missing.output


def test_funnel_chart(serve, tmp_path):
    env = synced(serve, tmp_path)
    chart = run("funnel", "--period", "2026", env=env)
    assert chart.exit_code == 0 and "lead" in chart.output and "customer" in chart.output


def test_the_table_on_the_demo_portal_reads_like_people_say_it(serve, tmp_path):
    env = synced(serve, tmp_path)
    table = run("kpi", env=env)  # the default period: the last complete month with data
    assert table.exit_code == 0, table.output
    out = table.output
    assert "KPIs for 2026-10" in out  # the portal's data ends in October 2026
    assert "Win rate (win_rate)" in out and "MQL → SQL rate (mql_to_sql_rate)" in out
    assert "Revenue (bookings) (revenue)" in out and "USD 7,800.00" in out
    assert "Daniel Okafor" in out and "owner=" not in out
    assert sum("daily_sales_vs_goal" in line for line in out.splitlines()) == 1  # one summary line, not 31
    assert sum("n/a" in line for line in out.splitlines()) < 20
    by_owner = run("kpi", "--by", "owner", env=env).output
    assert "Win rate (win_rate)" in by_owner and "New leads" not in by_owner  # new leads has no owner segments
    daily = run("kpi", "--daily", "--kpi", "daily_sales_vs_goal", env=env).output
    assert sum(line.startswith("    2026-10-") for line in daily.splitlines()) == 31
    explained = run("kpi", "--explain", "cost_per_lead", env=env)
    assert explained.exit_code == 0 and "Formula: spend in the period ÷ new leads" in explained.output
