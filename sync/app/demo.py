"""``smarketing demo``: the worker's whole cycle against the built-in sandbox portal, no token needed.

It starts the sandbox in-process (the fixture portal, or a generated one), syncs it into a mirror (a
temporary file unless one is kept), syncs again to show what a run with nothing changed costs,
describes the mirror, shows the funnel and the KPI table of the portal's last complete month, writes
the results back into the sandbox and shows what was written, and that a second push writes nothing.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from connector import HubSpotClient
from kpi import KpiConfig, Names, Period, cohort_counts, compute, iso, last_month_with_data, specs
from sandbox import SandboxServer, build_portal

from ..ingest import SyncJob, SyncOptions, SyncResult
from ..storage import Mirror
from ..writeback import Pusher
from . import report
from .dashboard.results import store_cycle

# The sandbox indexes writes at once: no search lag to wait out, no clock skew to cover.
DEMO_OPTIONS = SyncOptions(search_lag_seconds=0.0, overlap_seconds=0.0)
# The built-in portal's custom stage, mapped as SMARKETING_STAGE_MAP would map it.
DEMO_STAGE_MAP = {"1047290193": "lead"}
DEMO_ENV = "SMARKETING_STAGE_MAP=1047290193=lead"  # the same, for a command run on the demo's mirror


def run_demo(db_path: Path | None = None, contacts: int | None = None) -> str:
    portal = build_portal(contacts=contacts) if contacts else build_portal()
    with tempfile.TemporaryDirectory() as tmp, SandboxServer(portal) as sandbox:
        path = db_path or Path(tmp) / "demo.db"
        with Mirror(path) as mirror:
            first = _sync(sandbox, mirror)
            second = _sync(sandbox, mirror)
            return "\n".join([
                f"HubSpot tier: {sandbox.app.tiers}, so every feature is on (campaigns and their cost KPIs need "
                "Marketing Hub Professional, dashboard records Enterprise: see the README's tier table)",
                f"Sandbox portal {mirror.meta('portal_id')} ({mirror.meta('time_zone')}, {mirror.meta('currency')}) "
                f"at {sandbox.url}, mirrored into {path if db_path else 'a temporary SQLite file'}:",
                f"  first sync   {sum(first.records.values())} records in {first.seconds:.1f} s, "
                f"{first.requests} API requests",
                f"  second sync  nothing changed: {second.requests} API requests "
                "(two per object stream, one per reference stream)",
                *describe(mirror),
                "",
                *results(mirror),
                "",
                *write_back(sandbox, mirror),
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


def _config(mirror: Mirror) -> KpiConfig:
    return KpiConfig(time_zone=mirror.meta("time_zone") or "UTC", currency=mirror.meta("currency"),
                     stage_map=DEMO_STAGE_MAP)


def results(mirror: Mirror) -> list[str]:
    """The funnel of the portal's year, and the KPI table of its last complete month, as the CLI shows them."""
    config = _config(mirror)
    now = datetime.now(UTC)
    month = last_month_with_data(mirror.db, config, now)
    year = Period.containing("year", month.first, config.time_zone)
    table = compute(mirror.db, config, month, now=now)
    store_cycle(mirror, config, now)  # what the worker's cycle keeps for the dashboard
    p0, p1 = year.bounds
    counts = cohort_counts(mirror.db, p0, p1, iso(year.default_as_of(now)))
    lines = report.funnel_chart(counts, f"Funnel: the leads of {year} and how far they got").splitlines()
    lines += ["", *report.table(table, specs(), f"KPIs for {month}, the portal's last complete month with data "
                                                f"(smarketing kpi --period {month}; money in {config.currency})",
                                names=Names(mirror.db), currency=config.currency).splitlines()]
    return lines


def write_back(sandbox: SandboxServer, mirror: Mirror) -> list[str]:
    """Push into the sandbox as into HubSpot, then push again to show that nothing changed means nothing sent."""
    config = _config(mirror)
    first = Pusher(HubSpotClient(sandbox.token, sandbox.url), mirror, config).push()
    again = Pusher(HubSpotClient(sandbox.token, sandbox.url), mirror, config).push()
    written = dict(mirror.db.execute("SELECT object_type, count(DISTINCT object_id) FROM writeback_outbox "
                                     "WHERE state = 'ok' GROUP BY object_type").fetchall())
    return ["Written back into the CRM (smarketing push):",
            f"  {written.get('contacts', 0)} contacts (smk_funnel_stage, smk_sla_status, ...), "
            f"{written.get('deals', 0)} deals (smk_deal_kind, ...), "
            f"{written.get('smarketing_kpi', 0)} KPI dashboard records, in {first.batches} batch calls",
            f"  a second push with nothing changed: {again.batches} batch calls"]
