"""One sync as the CLI and the scheduler run it: settings to client, the mirror under its writer lock, the job."""

from __future__ import annotations

from collections.abc import Iterable

from .crm import client_from_settings
from .jobs import Progress, SyncJob, SyncOptions, SyncResult
from .lock import writer_lock
from .mirror import Mirror
from .settings import Settings


def options_from_settings(settings: Settings, *, full: bool = False,
                          streams: Iterable[str] | None = None) -> SyncOptions:
    chosen = tuple(streams) if streams else settings.streams
    return SyncOptions(streams=chosen, full=full, search_lag_seconds=settings.search_lag_seconds,
                       overlap_seconds=settings.sync_overlap_seconds,
                       full_reconcile_hours=settings.full_reconcile_hours,
                       extra_properties={"contacts": settings.contact_properties, "deals": settings.deal_properties})


def sync_once(settings: Settings, *, full: bool = False, streams: Iterable[str] | None = None,
              progress: Progress | None = None) -> SyncResult:
    with writer_lock(settings.db), Mirror(settings.db) as mirror:
        client = client_from_settings(settings, time_zone=mirror.meta("time_zone") or "UTC")
        return SyncJob(client, mirror, options_from_settings(settings, full=full, streams=streams), progress).run()
