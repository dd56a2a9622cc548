"""``smarketing run``: the container's main process. Sync, KPIs and write-back on a schedule, forever.

One cycle at a time (APScheduler's ``max_instances=1``, missed runs coalesced); a cycle that fails is
logged with its reason and the next one goes ahead. SIGTERM or SIGINT lets the page or batch in
flight finish and commit, then the process exits 0.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from connector import CRMError, MissingScopes

from ..errors import SmarketingError, StopRequested
from ..ingest import SyncJob
from ..storage import Mirror, feature_state, writer_lock
from ..writeback import Pusher, task_figures
from .dashboard.results import store_cycle
from .logs import new_run_id, run_context
from .settings import Settings
from .status import FEATURES
from .wiring import check_writable, client_from_settings, connect, kpi_config, options_from_settings, task_options

log = logging.getLogger("smarketing.worker")


@dataclass
class CycleSummary:
    run_id: str
    full: bool
    records: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    quarantined: int = 0
    kpi_records: int = 0
    written: int = 0
    outbox_backlog: int = 0
    seconds: float = 0.0
    features: dict[str, bool] = field(default_factory=dict)  # optional feature -> available, once tried
    tasks: dict[int | None, dict[str, int]] = field(default_factory=dict)  # SLA follow-up tasks: rep -> counts


class Worker:
    def __init__(self, settings: Settings, on_cycle: Callable[[CycleSummary | None, str | None], None] | None = None
                 ) -> None:
        self.settings = settings
        self.stopping = threading.Event()
        self.on_cycle = on_cycle or (lambda summary, error: None)
        self.time_zone = "UTC"

    def check(self) -> None:
        """Before scheduling: the mirror opens (and migrates), and the token works (one cheap read)."""
        with Mirror(self.settings.db) as mirror:
            self.time_zone = self.settings.timezone or mirror.meta("time_zone") or "UTC"
        client_from_settings(self.settings).account_details()

    def cycle(self, full: bool = False) -> CycleSummary | None:
        """Sync, then KPIs and write-back; a failure is logged with its reason and does not stop the worker."""
        with run_context(new_run_id()) as run_id:
            return self._logged_cycle(CycleSummary(run_id, full))

    def _logged_cycle(self, summary: CycleSummary) -> CycleSummary | None:
        started = time.monotonic()
        try:
            self._cycle(summary)
        except StopRequested:
            log.info("stopped between two committed pages")
            return None
        except MissingScopes as e:
            reason = f"the token lacks the scopes {', '.join(e.scopes) or '(unnamed)'}: {e}"
            log.error("run failed: %s", reason, extra={"scopes": e.scopes})
            self.on_cycle(None, reason)
            return None
        except (SmarketingError, CRMError) as e:  # a known failure: its reason says it all
            reason = f"{type(e).__name__}: {e}"
            log.error("run failed: %s", reason)
            self.on_cycle(None, reason)
            return None
        except Exception as e:  # noqa: BLE001 - an unexpected failure ends this run only, traceback logged
            reason = f"{type(e).__name__}: {e}"
            log.error("run failed: %s", reason, exc_info=True)
            self.on_cycle(None, reason)
            return None
        summary.seconds = round(time.monotonic() - started, 2)
        self.on_cycle(summary, None)  # health first: whoever reads "run done" finds /healthz up to date
        off = [name for name, available in summary.features.items() if not available]
        log.info("run done: %d records, %d requests, %d retries, %d 429s, %d quarantined, %d KPI records, "
                 "%d records written, outbox backlog %d, %.1f s%s", sum(summary.records.values()), summary.requests,
                 summary.retries, summary.rate_limited, summary.quarantined, summary.kpi_records, summary.written,
                 summary.outbox_backlog, summary.seconds,
                 f"; off on this portal: {', '.join(off)} (see smarketing status)" if off else "",
                 extra={"summary": summary.__dict__})
        return summary

    def _wait(self, seconds: float) -> None:
        """The client's waits (retry back-off, rate budget) end at once on a stop: a retry can take minutes."""
        if self.stopping.wait(seconds):
            raise StopRequested

    def _stop_point(self, *_: Any) -> None:
        if self.stopping.is_set():
            raise StopRequested

    def _cycle(self, summary: CycleSummary) -> None:
        settings = self.settings
        with writer_lock(settings.db), Mirror(settings.db) as mirror:
            client, account = connect(settings, mirror, writes=False, sleep=self._wait)
            result = SyncJob(client, mirror, options_from_settings(settings, full=summary.full),
                             progress=self._stop_point, account=account).run()
            summary.records = dict(result.records)
            summary.quarantined = mirror.quarantined()  # all held in quarantine, not just this run's
            if settings.writeback != "off":
                check_writable(mirror, account, settings.streams)  # the sync just read the same account
                log.info("sync done: %d records; computing the KPIs and what to write back",
                         sum(summary.records.values()))
                pushed = Pusher(client, mirror, kpi_config(settings, mirror), prefix=settings.property_prefix,
                                group=settings.property_group, max_attempts=settings.writeback_max_attempts,
                                unarchive_properties=settings.unarchive_properties, tasks=task_options(settings),
                                should_stop=self.stopping.is_set).push(dry_run=settings.writeback == "dry-run")
                summary.written = pushed.written
                summary.kpi_records = pushed.kpi_records
                summary.tasks = task_figures(mirror, datetime.now(UTC)).by_rep if settings.sla_tasks == "on" else {}
            store_cycle(mirror, kpi_config(settings, mirror), datetime.now(UTC), should_stop=self.stopping.is_set)
            summary.outbox_backlog = mirror.db.execute(
                "SELECT count(*) FROM writeback_outbox WHERE state = 'pending' "
                "AND (confirmed = 0 OR written IS NOT wanted) AND property != 'as_of'").fetchone()[0]
            stats = client.stats
            summary.requests, summary.retries, summary.rate_limited = \
                stats.total_requests, stats.retries, stats.rate_limited
            states = (feature_state(mirror, feature) for feature in FEATURES)
            summary.features = {s.feature.name: s.available for s in states if s.available is not None}
        self._stop_point()

    def run(self) -> None:
        """Schedule cycles until SIGTERM or SIGINT; the first cycle runs at once.

        The signal handler only sets an event, whatever the moment it lands (even before the scheduler is up):
        the main thread waits for it, then shuts the scheduler down and waits for the cycle in flight, which
        sees the same event and stops at its next commit.
        """
        settings = self.settings
        received: list[str] = []

        def stop(signum: int, frame: object) -> None:
            received.append(signal.Signals(signum).name)
            self.stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        scheduler = BackgroundScheduler(timezone=self.time_zone)
        trigger = CronTrigger.from_crontab(settings.sync_cron, timezone=self.time_zone) if settings.sync_cron \
            else IntervalTrigger(seconds=settings.sync_interval_minutes * 60, timezone=self.time_zone)
        common = {"max_instances": 1, "coalesce": True, "misfire_grace_time": 300}
        scheduler.add_job(self.cycle, trigger, id="cycle", next_run_time=datetime.now(UTC), **common)
        scheduler.add_job(self.cycle, CronTrigger.from_crontab(settings.full_reconcile_cron, timezone=self.time_zone),
                          kwargs={"full": True}, id="full_reconcile", **common)
        if not self.stopping.is_set():
            scheduler.start()
        self.stopping.wait()
        log.info("stopping: %s received; the page, batch or KPI computation in flight finishes first",
                 received[0] if received else "a stop")
        if scheduler.running:
            scheduler.shutdown(wait=True)
