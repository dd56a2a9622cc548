"""The records behind a number: on the golden portal, every listable part's ids are exactly as many as the KPI
counts, in every segment and mode, and ``compute`` on a read-only mirror leaves queued contacts alone."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

import pytest

from kpi import KpiConfig, Period, compute, funnel_stale, listed, members
from kpi.listing import LISTED
from sandbox import build_portal
from sync.storage import Mirror
from tests.conftest import FIXTURES
from tests.sync.helpers import run_sync

TZ = "America/New_York"
MARCH = Period.parse("2026-03", TZ)
NOW = datetime(2026, 4, 15, tzinfo=UTC)
CONFIG = KpiConfig(time_zone=TZ, currency="USD", stage_map={"1047290193": "lead"})


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from sandbox import SandboxServer
    from tests.conftest import Api

    with SandboxServer(build_portal(FIXTURES / "golden")) as server:
        with Mirror(tmp_path_factory.mktemp("members") / "golden.db") as synced:
            run_sync(Api(server), synced)
            yield synced


def _number(result: Any, part: str) -> Any:
    if part == "handoffs":  # of sla_first_followup_rate: every status
        return sum(result.details[status] for status in ("met", "pending", "overdue", "breached"))
    if part in result.details:
        return result.details[part]
    return result.value if part == "value" else getattr(result, part)


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("by", [None, "source", "campaign", "owner", "pipeline"])
def test_every_listed_part_has_as_many_ids_as_the_number(mirror: Mirror, by: str | None, strict: bool) -> None:
    kpis = [k for k in LISTED if not k.startswith("funnel:")]
    results = compute(mirror.db, CONFIG, MARCH, by=by, kpis=kpis, strict=strict, now=NOW)
    checked = 0
    for result in results:
        if by and not result.segment.startswith(f"{by}="):
            continue
        for part in LISTED[result.kpi][1]:
            number = _number(result, part)
            found = members(mirror.db, CONFIG, MARCH, result.kpi, result.segment, part, strict=strict, now=NOW)
            assert len(found.ids) == number, (result.kpi, result.segment, part)
            assert len(set(found.ids)) == len(found.ids)
            checked += number or 0
    assert checked > 0  # the golden portal has something behind these numbers in every segmentation


def test_funnel_stages_are_the_lead_cohorts_survivors(mirror: Mirror) -> None:
    result = compute(mirror.db, CONFIG, MARCH, kpis=["lead_to_customer_rate"], now=NOW)[0]
    survivors = result.details["survivors"]
    for stage, n in survivors.items():
        assert len(members(mirror.db, CONFIG, MARCH, f"funnel:{stage}", now=NOW).ids) == n
    assert survivors["lead"] > survivors["customer"] > 0
    deals = members(mirror.db, CONFIG, MARCH, "win_rate", part="numerator", now=NOW)
    assert deals.object_type == "deals" and deals.ids


def test_an_unlisted_part_is_refused(mirror: Mirror) -> None:
    assert not listed("revenue", "value") and not listed("new_leads", "numerator")
    with pytest.raises(ValueError, match="cannot be listed"):
        members(mirror.db, CONFIG, MARCH, "revenue", now=NOW)


def test_compute_without_refresh_reads_a_read_only_mirror(mirror: Mirror) -> None:
    compute(mirror.db, CONFIG, MARCH, kpis=["new_leads"], now=NOW)  # refreshed: nothing queued
    mirror.db.execute("INSERT INTO funnel_pending SELECT id FROM contacts LIMIT 3")
    try:
        assert funnel_stale(mirror.db, CONFIG) == 3
        ro = sqlite3.connect(f"file:{mirror.path}?mode=ro", uri=True)
        try:
            from sqlite_utils import Database
            db = Database(ro)
            found = compute(db, CONFIG, MARCH, kpis=["new_leads"], now=NOW, refresh_funnel=False)
            assert (found[0].value or 0) > 0
            with pytest.raises(sqlite3.OperationalError, match="readonly"):
                compute(db, CONFIG, MARCH, kpis=["new_leads"], now=NOW)
        finally:
            ro.close()
        assert funnel_stale(mirror.db, CONFIG) == 3
        assert funnel_stale(mirror.db, KpiConfig(time_zone=TZ)) == mirror.db.execute(
            "SELECT count(*) FROM contacts").fetchone()[0]  # another stage map: everything rebuilds
    finally:
        mirror.db.execute("DELETE FROM funnel_pending")


@pytest.mark.parametrize(("kpi", "part"), [("mql_to_sql_period_ratio", "numerator"),
                                           ("mql_to_sql_period_ratio", "denominator"),
                                           ("avg_deal_size", "denominator"), ("upsell_deal_share", "numerator"),
                                           ("upsell_deal_share", "denominator")])
def test_the_ratio_and_deal_parts_list_records_on_the_golden_portal(mirror: Mirror, kpi: str, part: str) -> None:
    """Not only empty lists agree with zeros: each of these has records behind it in March."""
    result = compute(mirror.db, CONFIG, MARCH, kpis=[kpi], now=NOW)[0]
    found = members(mirror.db, CONFIG, MARCH, kpi, part=part, now=NOW).ids
    assert len(found) == _number(result, part) > 0
