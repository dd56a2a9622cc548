"""A cycle with nothing changed recomputes nothing and diffs nothing: the plan's fingerprint decides, in one query.

Statements are counted with SQLite's trace callback (never timed): the second of two cycles with nothing changed
between them issues no KPI, funnel or outbox-diff statement; a change in the mirror, in the settings, or the
clock reaching the next instant at which it alone may move a value plans again.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from connector import HubSpotClient
from kpi import KpiConfig
from sync.storage import Mirror
from sync.writeback import Pusher
from tests.sync.helpers import run_sync

CONFIG = KpiConfig(time_zone="America/New_York", currency="USD", stage_map={"1047290193": "lead"})
NOW = datetime(2026, 11, 1, tzinfo=UTC)
# what only the KPI engine, the wanted values and the outbox diff read or write (the send queue's read of what is
# still pending, retries due included, is not among them: it goes on whatever changed)
KPI_WORK = re.compile(r"\b(funnel|contact_funnel|funnel_pending|deal_facts|temp\.wanted|contact_stage_history|"
                      r"engagements|deal_contacts|json_each)\b|(INSERT INTO|DELETE FROM) writeback_outbox", re.I)
FINGERPRINT = "SELECT tbl, changes FROM mirror_changes"


def traced_push(api, mirror, now, config=CONFIG):
    statements: list[str] = []
    mirror.db.conn.set_trace_callback(statements.append)
    try:
        result = Pusher(HubSpotClient(api.server.token, api.url), mirror, config, now=now).push()
    finally:
        mirror.db.conn.set_trace_callback(None)
    return result, statements


def kpi_work(statements):
    return [s for s in statements if KPI_WORK.search(s)]


def test_a_push_with_nothing_changed_issues_no_kpi_query_beyond_the_fingerprint(api, mirror):
    run_sync(api, mirror)
    first, planned = traced_push(api, mirror, NOW)
    assert first.replanned and first.written > 0
    assert len(kpi_work(planned)) > 20  # what the check below would see if the plan ran again
    run_sync(api, mirror)  # reads the worker's own writes back (lifecycle histories may be read again)
    read_back, _ = traced_push(api, mirror, NOW + timedelta(minutes=1))
    assert read_back.sent == 0
    counters = mirror.db.execute(FINGERPRINT).fetchall()
    run_sync(api, mirror)  # nothing changed in the CRM: nothing changes in the mirror
    assert mirror.db.execute(FINGERPRINT).fetchall() == counters
    again, statements = traced_push(api, mirror, NOW + timedelta(minutes=5))
    assert not again.replanned and again.sent == 0 and again.kpi_records == 0
    assert kpi_work(statements) == []
    assert sum(s.startswith(FINGERPRINT) for s in statements) == 1


def test_a_change_in_the_mirror_plans_again_and_sends_it(api, mirror):
    run_sync(api, mirror)
    traced_push(api, mirror, NOW)
    api("PATCH", "/crm/v3/objects/contacts/130", json={"properties": {"lifecyclestage": "opportunity"}})
    run_sync(api, mirror)
    result, statements = traced_push(api, mirror, NOW + timedelta(minutes=5))
    assert result.replanned and kpi_work(statements)
    assert [object_id for object_id, _ in result.inputs["contacts"]] == ["130"]


def test_changed_settings_plan_again(api, mirror):
    run_sync(api, mirror)
    traced_push(api, mirror, NOW)
    result, _ = traced_push(api, mirror, NOW, KpiConfig(time_zone="America/New_York", currency="USD",
                                                        stage_map={"1047290193": "lead"}, sla_attempts=3))
    assert result.replanned


def test_the_clock_plans_again_once_it_reaches_the_next_instant_a_value_may_move(api, mirror):
    run_sync(api, mirror)
    traced_push(api, mirror, NOW)
    until = datetime.fromisoformat(mirror.meta("plan_valid_until").replace("Z", "+00:00"))
    assert NOW < until <= datetime(2026, 11, 2, 4, tzinfo=UTC)  # the next local midnight at the latest
    before, _ = traced_push(api, mirror, until - timedelta(milliseconds=1))
    assert not before.replanned
    at, _ = traced_push(api, mirror, until)
    assert at.replanned


def test_a_worker_cycle_with_nothing_changed_issues_no_kpi_query_beyond_the_fingerprint(api, tmp_path, monkeypatch):
    """The whole cycle (sync, then KPIs and write-back), traced on every connection it opens to the mirror."""
    from sync.app.settings import load_settings
    from sync.app.worker import Worker

    monkeypatch.setenv("SMARKETING_HUBSPOT_BASE_URL", api.url)
    monkeypatch.setenv("SMARKETING_HUBSPOT_TOKEN", api.server.token)
    monkeypatch.setenv("SMARKETING_DB", str(tmp_path / "worker.db"))
    monkeypatch.setenv("SMARKETING_SEARCH_LAG_SECONDS", "0")
    monkeypatch.setenv("SMARKETING_SYNC_OVERLAP_SECONDS", "0")
    statements: list[str] = []
    opened = Mirror.__enter__

    def traced(self: Mirror) -> Mirror:
        self.db.conn.set_trace_callback(statements.append)
        return opened(self)

    monkeypatch.setattr(Mirror, "__enter__", traced)
    worker = Worker(load_settings())
    cycles = []
    for _ in range(3):  # everything written; the worker's own writes read back; nothing changed
        statements.clear()
        summary = worker.cycle()
        checks = [i for i, s in enumerate(statements) if s.startswith(FINGERPRINT)]
        assert len(checks) == 2  # the plan's and the dashboard results', after the sync, before any KPI work
        cycles.append((summary, kpi_work(statements[checks[0]:]), len(statements) - checks[0]))
    (first, first_work, _), _, (quiet, quiet_work, after_sync) = cycles
    assert first is not None and first.written > 0 and len(first_work) > 20
    assert quiet is not None and quiet.written == 0 and quiet.kpi_records == 0
    assert quiet_work == []
    assert after_sync < 40, statements


def test_an_upsert_of_an_unchanged_row_changes_no_counter_and_queues_nothing(mirror):
    row = {"id": 5, "email": "a@example.com", "lifecyclestage": "lead", "properties": "{}"}
    mirror.upsert("contacts", [row], ("id",))
    mirror.db.execute("DELETE FROM funnel_pending")
    counters = mirror.db.execute(FINGERPRINT).fetchall()
    mirror.upsert("contacts", [row], ("id",))
    assert mirror.db.execute(FINGERPRINT).fetchall() == counters
    assert mirror.db.execute("SELECT count(*) FROM funnel_pending").fetchone() == (0,)
    mirror.upsert("contacts", [{**row, "lifecyclestage": "customer"}], ("id",))
    assert dict(mirror.db.execute(FINGERPRINT).fetchall())["contacts"] == dict(counters)["contacts"] + 1
    assert mirror.db.execute("SELECT contact_id FROM funnel_pending").fetchall() == [(5,)]


def test_only_a_change_to_what_the_kpis_read_counts(mirror):
    """Reading the worker's own writes back changes a contact's JSON and modification date, which no KPI reads."""
    row = {"id": 5, "email": "a@example.com", "lifecyclestage": "lead", "lastmodifieddate": "2026-01-01T00:00:00.000Z",
           "properties": "{}"}
    mirror.upsert("contacts", [row], ("id",))
    counters = mirror.db.execute(FINGERPRINT).fetchall()
    mirror.upsert("contacts", [{**row, "lastmodifieddate": "2026-01-02T00:00:00.000Z",
                                "properties": '{"smk_funnel_stage": "lead"}'}], ("id",))
    assert mirror.db.execute(FINGERPRINT).fetchall() == counters
    mirror.upsert("contacts", [{**row, "email": "b@example.com"}], ("id",))
    assert dict(mirror.db.execute(FINGERPRINT).fetchall())["contacts"] == dict(counters)["contacts"] + 1
