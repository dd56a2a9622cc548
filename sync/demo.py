"""``smarketing demo``: the worker's cycle against the built-in sandbox portal, no token needed.

It starts the sandbox in-process, syncs it into a mirror (a temporary file unless a path is given),
syncs again to show what a run with nothing changed costs, describes the mirror, and shows the funnel
and headline KPIs of the portal's year. Later issues add the write-back to the same cycle.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from connector import HubSpotClient
from kpi import KpiConfig, Period, compute
from kpi.funnel import cohort_counts
from kpi.periods import iso
from sandbox import SandboxServer, build_portal

from . import kpi_report
from .jobs import SyncJob, SyncOptions, SyncResult
from .mirror import Mirror

# The sandbox indexes writes at once: no search lag to wait out, no clock skew to cover.
DEMO_OPTIONS = SyncOptions(search_lag_seconds=0.0, overlap_seconds=0.0)
# The built-in portal's custom stage, mapped as SMARKETING_STAGE_MAP would map it.
DEMO_STAGE_MAP = {"1047290193": "lead"}
DEMO_PERIOD = "2026"
HEADLINE_KPIS = ("new_leads", "mql_to_sql_rate", "lead_to_customer_rate", "win_rate", "revenue", "avg_deal_size",
                 "cost_per_lead", "cac", "sla_first_followup_rate")


def run_demo(db_path: Path | None = None) -> str:
    with tempfile.TemporaryDirectory() as tmp, SandboxServer(build_portal()) as sandbox:
        path = db_path or Path(tmp) / "demo.db"
        with Mirror(path) as mirror:
            first = _sync(sandbox, mirror)
            second = _sync(sandbox, mirror)
            return "\n".join([
                f"Sandbox portal {mirror.meta('portal_id')} ({mirror.meta('time_zone')}, {mirror.meta('currency')}) "
                f"at {sandbox.url}, mirrored into {path if db_path else 'a temporary SQLite file'}:",
                f"  first sync   {sum(first.records.values())} records in {first.seconds:.1f} s, "
                f"{first.requests} API requests",
                f"  second sync  nothing changed: {second.requests} API requests "
                "(two per object stream, one per reference stream)",
                *describe(mirror),
                "",
                *headline(mirror),
            ])


def _sync(sandbox: SandboxServer, mirror: Mirror) -> SyncResult:
    return SyncJob(HubSpotClient(sandbox.token, sandbox.url), mirror, DEMO_OPTIONS).run()


def describe(mirror: Mirror) -> list[str]:
    """What the mirror holds, in a few lines a newcomer can check against the portal."""
    db = mirror.db

    def one(sql: str) -> int:
        return db.execute(sql).fetchone()[0]

    stages = db.execute(
        "SELECT coalesce(s.label, c.lifecyclestage, '(none)'), count(*) FROM contacts c "
        "LEFT JOIN lifecycle_stages s ON s.value = c.lifecyclestage "
        "WHERE c.archived = 0 AND c.merged_into IS NULL GROUP BY 1 ORDER BY min(s.display_order)").fetchall()
    deals = dict(db.execute("SELECT CASE WHEN hs_is_closed_won = 1 THEN 'won' WHEN hs_is_closed = 1 THEN 'lost' "
                            "ELSE 'open' END, count(*) FROM deals WHERE archived = 0 GROUP BY 1").fetchall())
    activity = db.execute("SELECT type, count(*) FROM engagements WHERE archived = 0 GROUP BY type "
                          "ORDER BY type").fetchall()
    owners = [r[0] for r in db.execute("SELECT first_name || ' ' || last_name FROM owners ORDER BY id")]
    campaigns = db.execute("SELECT name, budget_total, spend_total, currency FROM campaigns ORDER BY name").fetchall()
    return [
        f"  contacts     {one('SELECT count(*) FROM contacts WHERE archived = 0 AND merged_into IS NULL')} live, "
        f"{one('SELECT count(*) FROM contacts WHERE archived = 1')} archived; by lifecycle stage: "
        + ", ".join(f"{label} {n}" for label, n in stages),
        f"  companies    {one('SELECT count(*) FROM companies WHERE archived = 0')}",
        f"  deals        {sum(deals.values())}: " + ", ".join(f"{deals.get(k, 0)} {k}" for k in ("won", "lost", "open"))
        + f"; {one('SELECT count(*) FROM pipelines')} pipelines",
        "  activity     " + ", ".join(f"{n} {kind}s" for kind, n in activity),
        f"  owners       {', '.join(owners)}",
        "  campaigns",
        *[f"    {name}: budget {budget:,.0f} {currency}, spent {spend:,.0f}" for name, budget, spend, currency
          in campaigns],
        f"  stage dates  {one('SELECT count(*) FROM contact_stage_history')} stage entries kept as evidence; "
        f"{one('SELECT count(*) FROM quarantine')} records in quarantine",
    ]


def headline(mirror: Mirror) -> list[str]:
    """The funnel and a few KPIs of the portal's year, as ``smarketing funnel`` and ``smarketing kpi`` show them."""
    config = KpiConfig(time_zone=mirror.meta("time_zone") or "UTC", currency=mirror.meta("currency"),
                       stage_map=DEMO_STAGE_MAP)
    period = Period.parse(DEMO_PERIOD, config.time_zone)
    now = datetime.now(UTC)
    results = compute(mirror.db, config, period, kpis=HEADLINE_KPIS, now=now)
    p0, p1 = period.bounds
    counts = cohort_counts(mirror.db, p0, p1, iso(period.default_as_of(now)))
    lines = kpi_report.funnel_chart(counts, f"Funnel: the leads of {period} and how far they got").splitlines()
    lines += ["", f"Headline KPIs for {period} (smarketing kpi --period {period} shows them all):"]
    lines += [f"  {r.kpi:<28} {kpi_report.shown(r)}" for r in results]
    return lines
