"""The ``smarketing`` command. Thin: parse, call one function, format.

No command catches an error: the group maps every one to an exit status and a line (``failures``).
"""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from kpi import KpiConfig, Names, Period, cohort_counts, compute, iso, last_month_with_data, parse_iso, refresh, specs

from ..ingest import ALL_STREAMS, Progress
from ..secrets import register_secret
from ..storage import Mirror, worker_lock, writer_lock
from ..writeback import Pusher, PushResult
from . import report
from .failures import explain
from .logs import configure_logging
from .settings import Settings, load_settings, require_token
from .wiring import connect, dashboard_data, kpi_config, sync_once, task_options

# HubSpot's tiers, as sandbox.tiers.TIERS names them (not imported: every command would pay for the sandbox)
TIERS = ("free", "starter", "professional", "enterprise")


class _Commands(click.Group):
    """The group whose ``invoke`` is the one place errors become exit statuses (see ``failures``)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as e:  # noqa: BLE001 - every failure is explained here, and only here
            command = ctx.invoked_subcommand or ""
            settings = ctx.obj if isinstance(ctx.obj, Settings) else None
            code, lines = explain(e, command=command, debug=settings is not None and settings.log_level == "DEBUG")
            for line in lines:
                click.echo(line, err=True)
            ctx.exit(code)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="smarketing-sync")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Mirror a HubSpot-style CRM, put every contact in an explicit funnel stage, compute the
    sales-and-marketing KPIs and write them back. Configured by SMARKETING_* environment variables."""
    settings = load_settings()
    configure_logging(settings.log_level, "text", sys.stderr)
    if settings.hubspot_token is not None:
        register_secret(settings.hubspot_token.get_secret_value())
    if settings.dashboard_password is not None:
        register_secret(settings.dashboard_password.get_secret_value())
    ctx.obj = settings


@cli.command(name="sync")
@click.option("--full", is_flag=True, help="Read everything again (also catches records deleted for good).")
@click.option("--stream", "streams", multiple=True, type=click.Choice(ALL_STREAMS),
              help="Sync only this stream; repeat for several. Default: SMARKETING_STREAMS.")
@click.option("--accept-deletions", is_flag=True,
              help="With --full: apply the deletions even where the deletion guard would hold them back.")
@click.pass_obj
def sync_command(settings: Settings, full: bool, streams: tuple[str, ...], accept_deletions: bool) -> None:
    """Bring the SQLite mirror up to date with the CRM.

    The first run reads everything; later runs read what changed since the last one. A run stopped
    at any point resumes where it stopped. A full read deletes only what it proves gone; when it
    cannot, the run fails saying so, and --full --accept-deletions applies the deletions anyway.

    \b
    Example:
        SMARKETING_HUBSPOT_TOKEN=... smarketing sync
    """
    if accept_deletions and not full:
        raise click.UsageError("--accept-deletions applies the deletions of a full read: use it with --full")
    result = sync_once(settings, full=full, streams=streams, progress=_progress(), accept_deletions=accept_deletions)
    if sys.stderr.isatty():
        click.echo("", err=True)
    click.echo(f"synced {sum(result.records.values())} records in {result.seconds:.1f} s: "
               + ", ".join(f"{stream} {n}" for stream, n in result.records.items())
               + (f"; {sum(result.deleted.values())} deleted" if sum(result.deleted.values()) else "")
               + (f"; {result.quarantined} quarantined (see the quarantine table)" if result.quarantined else "")
               + "".join(f"; {name} off: not available on this portal (see smarketing status)" for name in result.off))


def _progress() -> Progress | None:
    """A progress line for a person at a terminal: records and pages per stream, and the rate."""
    if not sys.stderr.isatty():
        return None
    started = time.monotonic()

    def show(stream: str, pages: int, records: int) -> None:
        rate = records / max(time.monotonic() - started, 1e-6)
        click.echo(f"\r{stream}: {records} records, {pages} pages, {rate:,.0f} records/s   ", err=True, nl=False)

    return show


def _checked(check: Callable[[str], object]) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """A click callback that turns a ValueError of ``check`` into click's own usage error (exit 2)."""
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        for one in (value if isinstance(value, tuple) else (value,)):
            if one is not None:
                try:
                    check(one)
                except ValueError as e:
                    raise click.BadParameter(str(e)) from None
        return value
    return callback


def _known_kpi(kpi: str) -> None:
    if kpi not in specs():
        raise ValueError(f"unknown KPI {kpi}; known: {', '.join(specs())}")


def _period_options(command: Any) -> Any:
    for option in reversed([
        click.option("--period", callback=_checked(Period.parse),
                     help="2026, 2026-Q1, 2026-03, 2026-W10 or 2026-03-05 (portal time zone)."),
        click.option("--last", type=click.Choice(["day", "week", "month", "quarter", "year"]),
                     help="The last complete period of this kind [default: month]."),
        click.option("--as-of", "as_of", callback=_checked(parse_iso),
                     help="Count events up to this ISO instant [default: end of period]."),
        click.option("--strict", is_flag=True, help="Count a stage only where the CRM recorded it."),
    ]):
        command = option(command)
    return command


def _period(db: Any, config: KpiConfig, period: str | None, last: str | None, now: datetime) -> Period:
    """``--period``, else ``--last KIND``, else the last complete month that has data."""
    if period:
        return Period.parse(period, config.time_zone)
    if last:
        return Period.last_complete(last, now, config.time_zone)
    return last_month_with_data(db, config, now)


@cli.command(name="kpi")
@_period_options
@click.option("--by", type=click.Choice(["source", "campaign", "owner", "pipeline"]), help="Segment by this.")
@click.option("--kpi", "kpis", multiple=True, callback=_checked(_known_kpi),
              help="Only this KPI; repeat for several [default: all].")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.option("--daily", is_flag=True, help="Show every day of daily sales vs goal, not one summary line.")
@click.option("--explain", "explain", metavar="ID", callback=_checked(_known_kpi),
              help="Print what this KPI means, its formula, unit and readings, and exit.")
@click.pass_obj
def kpi_command(settings: Settings, period: str | None, last: str | None, as_of: str | None, strict: bool,
                by: str | None, kpis: tuple[str, ...], fmt: str, daily: bool, explain: str | None) -> None:
    """Compute the sales-and-marketing KPIs from the mirror.

    The default period is the last complete month that has data. With --by, only the KPIs that can be segmented
    by that dimension are shown, segment by segment.

    \b
    Example:
        smarketing kpi --period 2026-03 --by source --format json
        smarketing kpi --explain mql_to_sql_rate
    """
    if explain:
        click.echo(report.explain(explain))
        return
    now = datetime.now(UTC)
    with Mirror.existing(settings.db) as mirror:
        config = kpi_config(settings, mirror)
        chosen = _period(mirror.db, config, period, last, now)
        results = compute(mirror.db, config, chosen, as_of=parse_iso(as_of) if as_of else None, by=by, kpis=kpis,
                          strict=strict, now=now)
        names = Names(mirror.db)
    if by:  # the KPIs that do not allow the dimension report only their totals: not what was asked
        results = [r for r in results if r.segment.startswith(f"{by}=")]
    if fmt == "json":
        click.echo(report.as_json(results, config.currency, names))
    elif fmt == "csv":
        click.echo(report.as_csv(results, config.currency, names), nl=False)
    else:
        mode = "strict" if strict else "implied pass-through"
        click.echo(report.table(results, specs(), f"KPIs for {chosen} ({config.time_zone}, {mode}; money in "
                                f"{config.currency or 'the portal currency'})", names=names,
                                currency=config.currency, daily=daily))


@cli.command(name="funnel")
@_period_options
@click.pass_obj
def funnel_command(settings: Settings, period: str | None, last: str | None, as_of: str | None,
                   strict: bool) -> None:
    """Show how far the leads of a period got: stage counts and stage-to-stage conversion.

    \b
    Example:
        smarketing funnel --period 2026-Q1
    """
    now = datetime.now(UTC)
    with Mirror.existing(settings.db) as mirror:
        config = kpi_config(settings, mirror)
        chosen = _period(mirror.db, config, period, last, now)
        refreshed = refresh(mirror.db, config)
        p0, p1 = chosen.bounds
        moment = parse_iso(as_of) if as_of else chosen.default_as_of(now)
        counts = cohort_counts(mirror.db, p0, p1, iso(moment), strict)
    click.echo(report.funnel_chart(counts, f"Leads of {chosen} and how far they got" + (" (strict)" if strict else "")))
    if refreshed.unmapped:
        click.echo(f"unmapped lifecycle stages counted as other: {', '.join(refreshed.unmapped)} "
                   "(map them with SMARKETING_STAGE_MAP)", err=True)


@cli.command(name="push")
@click.option("--dry-run", is_flag=True,
              help="Show what would be written; send nothing (reads the CRM, so it needs the token too).")
@click.pass_obj
def push_command(settings: Settings, dry_run: bool) -> None:
    """Write the funnel stages, SLA status and deal attribution into the CRM, sending only what changed.

    Both a push and its dry run first read the portal's account: a mirror of another portal, or one
    that has not completed a full sync, is refused with nothing written.

    \b
    Example:
        SMARKETING_HUBSPOT_TOKEN=... smarketing push --dry-run
    """
    mode = "dry-run" if dry_run else settings.writeback
    if mode == "off":
        click.echo("write-back is off (SMARKETING_WRITEBACK=off): nothing sent")
        return
    with writer_lock(settings.db), Mirror.existing(settings.db) as mirror:
        client, _ = connect(settings, mirror, writes=True)
        result = Pusher(client, mirror, kpi_config(settings, mirror), prefix=settings.property_prefix,
                        group=settings.property_group,
                        max_attempts=settings.writeback_max_attempts,
                        unarchive_properties=settings.unarchive_properties,
                        tasks=task_options(settings)).push(dry_run=mode == "dry-run")
    if mode == "dry-run":
        for line in _dry_run(result):
            click.echo(line)
        return
    click.echo(f"pushed {result.written} records in {result.batches} batch calls"
               + (f"; {result.failed} failed (retried later)" if result.failed else "")
               + (f"; {result.dead} parked as dead" if result.dead else "")
               + (f"; {result.dropped} gone from the CRM" if result.dropped else "")
               + ("" if result.dashboards else "; dashboard records off (see smarketing status)")
               + (f"; SLA tasks: {result.tasks.created} created, {result.tasks.updated} moved or completed"
                  if result.tasks is not None else ""))
    for line in _held_back(result):
        click.echo(line)


def _dry_run(result: PushResult) -> list[str]:
    """What the next push would send, per object type in records and values, and what it would hold back."""
    lines = [f"dry run: {sum(result.records.values())} records, {sum(result.wanted.values())} values would be "
             "written; nothing sent"]
    lines += [f"  {object_type}: {result.records[object_type]} records, {result.wanted[object_type]} values"
              for object_type in result.inputs]
    if not result.dashboards:
        lines.append("  dashboard records: off (see smarketing status)")
    lines += [f"  assumed: {assumption}" for assumption in result.assumed]
    if result.tasks is not None:
        lines.append(f"  SLA follow-up tasks: {len(result.tasks.would_create)} would be created")
        lines += [f"    rep {t.owner_id}: {t.subject} (contact {t.contact_id})" for t in result.tasks.would_create]
    lines += [f"  {prop}: " + ", ".join(f"{i}={v!r}" for i, v in examples)
              for prop, examples in sorted(result.examples.items())]
    return lines + _held_back(result)


def _held_back(result: PushResult) -> list[str]:
    return [f"not written: {prop} of {object_type}, {result.held[(object_type, prop)]} values held in the outbox: "
            f"{reason}" for (object_type, prop), reason in sorted(result.blocked.items())]


@cli.command(name="status")
@click.pass_obj
def status_command(settings: Settings) -> None:
    """Show the state of the mirror: streams, last runs, quarantine, the write-back outbox, dashboard records.

    \b
    Example:
        smarketing status
    """
    from .status import report as status_report

    with Mirror.existing(settings.db) as mirror:
        click.echo(status_report(mirror))


@cli.command(name="run")
@click.pass_obj
def run_command(settings: Settings) -> None:
    """Run the worker: sync, KPIs and write-back on a schedule, until SIGTERM or Ctrl-C.

    \b
    Example:
        SMARKETING_HUBSPOT_TOKEN=... SMARKETING_HTTP_PORT=8080 smarketing run
    """
    from .health import Health, HealthServer
    from .worker import CycleSummary, Worker

    configure_logging(settings.log_level, settings.log_format)
    require_token(settings)
    health = Health(settings.health_max_age_minutes * 60)

    def on_cycle(summary: CycleSummary | None, error: str | None) -> None:
        if summary is None:
            health.run_failed(error or "stopped")
        else:
            health.run_succeeded(summary.records, summary.requests, summary.rate_limited, summary.outbox_backlog,
                                 summary.quarantined, features=summary.features, tasks=summary.tasks)

    worker = Worker(settings, on_cycle=on_cycle)
    with worker_lock(settings.db):  # a second run on this mirror stops here, at once
        worker.check()
        mirror = None if settings.http_port is None or settings.dashboard_password is None else \
            Mirror.read_only(settings.db)
        server = None if settings.http_port is None else \
            HealthServer(health, settings.http_port, settings.http_host, dashboard=_run_dashboard(settings, mirror)
                         ).start()
        try:
            worker.run()
        finally:
            if server is not None:
                server.stop()
            if mirror is not None:
                mirror.close()


def _run_dashboard(settings: Settings, mirror: Mirror | None) -> Callable[[Any], None] | None:
    """run's dashboard at / of its HTTP port, behind SMARKETING_DASHBOARD_PASSWORD; None when it is not set."""
    if mirror is None or settings.dashboard_password is None:
        return None
    from .dashboard import Dashboard, answer

    dashboard, password = Dashboard(dashboard_data(settings, mirror)), settings.dashboard_password.get_secret_value()
    return lambda handler: answer(handler, dashboard, password)


@cli.command(name="dashboard")
@click.option("--port", default=8050, show_default=True, type=click.IntRange(0, 65535),
              help="Port on 127.0.0.1; 0 picks a free one.")
@click.pass_obj
def dashboard_command(settings: Settings, port: int) -> None:
    """Serve the KPI dashboard over the local mirror on 127.0.0.1, read-only, until Ctrl-C.

    No password here (loopback only); SMARKETING_DASHBOARD_PASSWORD is for the dashboard of run.

    \b
    Example:
        SMARKETING_DB=smarketing-demo.db smarketing dashboard --port 8050
    """
    from .dashboard import Dashboard, DashboardServer
    from .health import listening

    mirror = Mirror.read_only(settings.db)
    with listening("127.0.0.1", port):
        server = DashboardServer(Dashboard(dashboard_data(settings, mirror)), port)
    click.echo(f"Dashboard of {settings.db} at {server.url} (Ctrl-C stops it)", err=True)
    _serve(server.serve_forever, server.stop, mirror.close)


@cli.command()
@click.option("--keep", is_flag=True, help="Keep the mirror as ./smarketing-demo.db to explore it.")
@click.option("--contacts", type=click.IntRange(1), help="Use a generated portal of this many contacts.")
def demo(keep: bool, contacts: int | None) -> None:
    """The whole cycle against the built-in sandbox portal: sync, funnel, KPIs, write-back; no token needed.

    \b
    Example:
        smarketing demo --keep
    """
    from .demo import run_demo

    path = Path("smarketing-demo.db").resolve() if keep else None
    if path is not None:
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)  # each demo starts from an empty mirror
    click.echo(run_demo(path, contacts))
    if path is None:
        click.echo("\nTo see these KPIs in the web dashboard: smarketing demo --keep, then the command it prints.")
    if path is not None:
        from .demo import DEMO_ENV

        click.echo(f"\nThe mirror is kept at {path}: try  SMARKETING_DB={path} smarketing status")
        click.echo(f"Open its dashboard:  SMARKETING_DB={path} {DEMO_ENV} smarketing dashboard   (then "
                   "http://127.0.0.1:8050/)")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535),
              help="Port; 0 picks a free one.")
@click.option("--token", default=None, help="Bearer token the portal accepts [default: sandbox-token].")
@click.option("--fixtures", type=click.Path(exists=True, file_okay=False), help="Folder of portal JSON files.")
@click.option("--contacts", type=click.IntRange(0), help="Generate a portal with this many contacts.")
@click.option("--deals", type=click.IntRange(0), help="Deals of a generated portal [default: contacts / 5].")
@click.option("--seed", default=1, show_default=True, type=int, help="Seed of the generated portal and of faults.")
@click.option("--rate-limit", type=click.IntRange(1), help="Requests per 10 s before 429s (also enables search's 5/s).")
@click.option("--fault-rate", default=0.0, type=click.FloatRange(0, 1), help="Share of requests that fail.")
@click.option("--batch-fault-rate", default=0.0, type=click.FloatRange(0, 1),
              help="Share of batch write inputs that fail.")
@click.option("--search-lag", default=0.0, type=click.FloatRange(0),
              help="Seconds before a write is visible to search.")
@click.option("--slow-creates", default=0.0, type=click.FloatRange(0),
              help="Seconds a create's answer waits after the create is applied (for kill tests).")
@click.option("--tier", type=click.Choice(TIERS),
              help="The portal's HubSpot tier: custom objects (Enterprise) and the API limits the headers report "
                   "[default: enterprise, with unthrottled headers].")
@click.option("--marketing-tier", type=click.Choice(TIERS),
              help="Marketing Hub's tier, where it differs: campaigns need professional [default: --tier].")
@click.option("--no-custom-objects", is_flag=True,
              help="Refuse custom object schemas: a portal below Enterprise (as --tier professional).")
@click.pass_obj
def sandbox(settings: Settings, **options: Any) -> None:
    """Serve a HubSpot-compatible portal on loopback until stopped.

    \b
    Example:
        smarketing sandbox --port 8765 --contacts 100000 --seed 1
    """
    from sandbox import DEFAULT_TOKEN, SandboxConfig, SandboxServer, build_portal

    from .health import listening

    if options["fixtures"] and options["contacts"] is not None:
        raise click.UsageError("--fixtures and --contacts exclude each other")
    if options["no_custom_objects"] and options["tier"] == "enterprise":
        raise click.UsageError("--no-custom-objects is a portal below Enterprise: it excludes --tier enterprise")
    portal = build_portal(options["fixtures"], contacts=options["contacts"], deals=options["deals"],
                          seed=options["seed"])
    config = SandboxConfig(token=options["token"] or DEFAULT_TOKEN, rate_limit=options["rate_limit"],
                           fault_rate=options["fault_rate"], batch_fault_rate=options["batch_fault_rate"],
                           fault_seed=options["seed"], search_lag=options["search_lag"],
                           slow_creates=options["slow_creates"],
                           tier=options["tier"], marketing_tier=options["marketing_tier"],
                           custom_objects=not options["no_custom_objects"])
    with listening(options["host"], options["port"]):
        server = SandboxServer(portal, config, host=options["host"], port=options["port"])
    counts = ", ".join(f"{len(s.records)} {t}" for t, s in portal.stores.items() if s.records)
    limits = "" if options["tier"] else ", unthrottled"
    click.echo(f"Sandbox portal ({server.app.tiers} tier{limits}) serving {counts} at {server.url}", err=True)
    _serve(server.serve_forever, server.close)


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM (a container stop) ends the server like Ctrl-C: cleanly, exit status 0."""
    raise KeyboardInterrupt


def _serve(serve_forever: Callable[[], None], *stops: Callable[[], None]) -> None:
    """Serve until Ctrl-C or SIGTERM, then run ``stops`` in order."""
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        for stop in stops:
            stop()
