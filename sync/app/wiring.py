"""Where settings meet the rest: the CRM client, the sync options, the KPI configuration, one sync under the lock.

The only place settings reach the connector, the ingest job and the KPI engine, and the one place a
connection to the CRM is made (``connect``), with the proof a write needs before it may go ahead.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from connector import HubSpotClient, RetryPolicy
from kpi import KpiConfig, WorkingHours

from ..errors import DeletionsUnproven, MirrorIncomplete, PortalMismatch
from ..ingest import ALL_STREAMS, CAMPAIGNS, OBJECT_STREAMS, Progress, SyncJob, SyncOptions, SyncResult
from ..storage import Mirror, feature_state, writer_lock
from ..writeback import TaskOptions
from .settings import Settings, require_token


def client_from_settings(settings: Settings, *, time_zone: str = "UTC",
                         sleep: Callable[[float], None] = time.sleep) -> HubSpotClient:
    """``sleep`` is how the client waits for a retry or its rate budget (the worker's wakes up on a stop)."""
    return HubSpotClient(require_token(settings), settings.hubspot_base_url,
                         api_version=settings.hubspot_api_version,
                         timeout=(min(5.0, settings.http_timeout_seconds), settings.http_timeout_seconds),
                         retry=RetryPolicy(attempts=settings.http_retry_attempts,
                                           total_seconds=settings.http_retry_max_seconds),
                         daily_reserve=settings.daily_quota_reserve, time_zone=time_zone, sleep=sleep,
                         search_per_second=settings.search_per_second)


def options_from_settings(settings: Settings, *, full: bool = False, streams: Iterable[str] | None = None,
                          accept_deletions: bool = False) -> SyncOptions:
    chosen = tuple(streams) if streams else settings.streams
    return SyncOptions(streams=chosen, full=full, search_lag_seconds=settings.search_lag_seconds,
                       overlap_seconds=settings.sync_overlap_seconds,
                       full_reconcile_hours=settings.full_reconcile_hours,
                       extra_properties={"contacts": settings.contact_properties, "deals": settings.deal_properties},
                       max_delete_share=settings.max_delete_share, accept_deletions=accept_deletions,
                       named=() if chosen == ALL_STREAMS else chosen)


def connect(settings: Settings, mirror: Mirror, *, writes: bool,
            sleep: Callable[[float], None] = time.sleep) -> tuple[HubSpotClient, dict[str, Any]]:
    """The CRM client for this mirror and the portal's account details (one request), for sync, push and the worker.

    For a write (push, its dry run, the worker's push step) the mirror must be proven fit first
    (``check_writable``). A sync keeps its own rule, applied by the job with this account: the first
    portal synced into a mirror is recorded, another one is refused.
    """
    client = client_from_settings(settings, time_zone=mirror.meta("time_zone") or "UTC", sleep=sleep)
    account = client.account_details()
    if writes:
        check_writable(mirror, account, settings.streams)
    return client, account


def check_writable(mirror: Mirror, account: dict[str, Any], streams: Iterable[str]) -> None:
    """Refuse to write from a mirror of another portal, of no portal yet, or that has not read every enabled
    object stream in full: its values would land on another portal's records, or zero a customer's figures."""
    portal, known = str(account.get("portalId")), mirror.meta("portal_id")
    if known is None:
        raise PortalMismatch(f"{mirror.path} mirrors no portal yet, and the token belongs to portal {portal}: "
                             "nothing written", hint="run smarketing sync first")
    if known != portal:
        raise PortalMismatch(f"{mirror.path} mirrors portal {known}, but the token belongs to portal {portal}: "
                             "nothing written", hint=f"use portal {portal}'s own mirror (SMARKETING_DB) "
                                                     f"or portal {known}'s token")
    enabled = set(streams)
    unread = [name for name in OBJECT_STREAMS if name in enabled and not mirror.state(name)["last_full_sync"]]
    if unread:
        raise MirrorIncomplete(f"{mirror.path} has not completed a full read of {', '.join(unread)}: nothing written")
    guards = mirror.deletion_guards()
    if guards:  # the mirror may keep records a glitch hid, or lack deletions the CRM made
        raise DeletionsUnproven("nothing written while deletions are held back: "
                                + "; ".join(f"{g.stream}: {g.would_delete} would go" for g in guards))


def sync_once(settings: Settings, *, full: bool = False, streams: Iterable[str] | None = None,
              progress: Progress | None = None, accept_deletions: bool = False) -> SyncResult:
    with writer_lock(settings.db), Mirror(settings.db) as mirror:
        client, account = connect(settings, mirror, writes=False)
        options = options_from_settings(settings, full=full, streams=streams, accept_deletions=accept_deletions)
        return SyncJob(client, mirror, options, progress, account=account).run()


def task_options(settings: Settings) -> TaskOptions | None:
    """The SLA follow-up tasks' settings, or None while SMARKETING_SLA_TASKS is off (the default)."""
    if settings.sla_tasks != "on":
        return None
    return TaskOptions(lead_hours=settings.sla_task_lead_hours, per_rep=settings.sla_tasks_per_rep_per_cycle,
                       search_lag_seconds=settings.search_lag_seconds, max_attempts=settings.writeback_max_attempts)


def kpi_config(settings: Settings, mirror: Mirror) -> KpiConfig:
    """The KPI engine's settings, from the worker's settings and what the mirror knows about the portal."""
    start, end = settings.working_hours
    return KpiConfig(
        time_zone=settings.timezone or mirror.meta("time_zone") or "UTC",
        currency=mirror.meta("currency"),
        stage_map=dict(settings.stage_map),
        working_hours=WorkingHours(weekdays=settings.working_days, start=start, end=end,
                                   holidays=settings.holidays),
        sla_first_followup_hours=settings.sla_first_followup_hours,
        sla_attempts=settings.sla_attempts,
        sla_window_days=settings.sla_window_days,
        mqls_per_rep_per_month=settings.mqls_per_rep_per_month,
        disqualified_statuses=frozenset(settings.disqualified_lead_statuses),
        sales_cost_per_month=settings.sales_cost_per_month,
        gross_margin=settings.gross_margin,
        monthly_goal=settings.monthly_goal,
        quota=settings.quota,
        planning_window_months=settings.planning_window_months,
        pipelines=frozenset(settings.pipelines),
        internal_domains=frozenset(settings.internal_domains),
        maturity_days=settings.maturity_days,
        customer_unit=settings.customer_unit,
        rep_team=settings.rep_team,
        campaign_spend=feature_state(mirror, CAMPAIGNS).available is not False,
    )
