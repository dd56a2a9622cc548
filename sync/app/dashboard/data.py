"""What the pages show, read from a read-only mirror: stored KPI results, else computed once and kept in memory.

The memory cache holds until the mirror changes (``PRAGMA data_version``: another connection committed, such as
the worker's cycle). Every database use holds one lock, so the server's threads share one connection.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from kpi import (
    DIMENSIONS,
    KpiConfig,
    KpiResult,
    Members,
    Names,
    Period,
    compute,
    funnel_stale,
    last_month_with_data,
    members,
    specs,
)

from ...storage import Mirror
from ...writeback import TaskFigures, task_figures
from .results import config_key, load

T = TypeVar("T")
CONTACT, DEAL = "0-1", "0-3"  # HubSpot's object type ids in record links
MAX_CACHED = 2000  # entries (pages, result sets, lists) before the memory starts afresh
SEGMENT_VALUES = {  # what kpi.context.segment makes of each dimension's values
    "source": "SELECT DISTINCT COALESCE(NULLIF(source, ''), 'UNKNOWN') AS v FROM contact_funnel ORDER BY v",
    "campaign": "SELECT DISTINCT COALESCE(NULLIF(campaign, ''), 'UNKNOWN') AS v FROM contact_funnel ORDER BY v",
    "owner": "SELECT DISTINCT COALESCE(CAST(owner_id AS TEXT), 'UNASSIGNED') AS v FROM contact_funnel ORDER BY v",
    "pipeline": "SELECT id FROM pipelines WHERE object_type = 'deals' ORDER BY display_order, id",
}


@dataclass(frozen=True)
class Record:
    """One row of a list behind a number: the record's id, what people know it by, and its link in HubSpot."""

    id: int
    name: str
    detail: str
    link: str | None


class Data:
    def __init__(self, mirror: Mirror, config: Callable[[], KpiConfig], *, source_goals: dict[str, int] | None = None,
                 app_url: str | None = None, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.mirror, self._config, self.clock = mirror, config, clock
        self.source_goals = dict(source_goals or {})
        self._app_url = app_url
        self._lock = threading.RLock()
        self._cache: dict[tuple[Any, ...], Any] = {}
        self._version: int | None = None
        self.has_results = self._one("SELECT count(*) FROM sqlite_master WHERE name = 'kpi_results'") == 1

    def _one(self, sql: str, params: Iterable[Any] = ()) -> Any:
        row = self.mirror.db.execute(sql, list(params)).fetchone()
        return row[0] if row else None

    def cached(self, key: tuple[Any, ...], build: Callable[[], T]) -> T:
        """``build()`` once per key until the mirror changes."""
        with self._lock:
            version = self._one("PRAGMA data_version")
            if version != self._version or len(self._cache) > MAX_CACHED:
                self._cache.clear()
                self._version = version
            if key not in self._cache:
                self._cache[key] = build()
            return self._cache[key]

    @property
    def config(self) -> KpiConfig:
        """The KPI settings, read again when the mirror changes (its time zone and currency come with a sync)."""
        return self.cached(("config",), self._config)

    # -- facts ---------------------------------------------------------------------------------------------
    def default_period(self) -> Period:
        return self.cached(("default_period",), lambda: last_month_with_data(
            self.mirror.db, self.config, self.clock(), refresh_funnel=False))

    def stale(self) -> int:
        """Contacts the funnel has yet to rebuild: the figures catch up at the worker's next cycle."""
        return self.cached(("stale",), lambda: funnel_stale(self.mirror.db, self.config))

    def names(self) -> Names:
        return self.cached(("names",), lambda: Names(self.mirror.db))

    def meta(self, key: str) -> str | None:
        return self.cached(("meta", key), lambda: self.mirror.meta(key))

    def tasks(self) -> TaskFigures:
        """What the SLA follow-up tasks did, per rep (the task outbox; empty while the feature was never on)."""
        return self.cached(("tasks",), lambda: task_figures(self.mirror, self.clock()))

    # -- results -------------------------------------------------------------------------------------------
    def results(self, period: Period, strict: bool = False, by: str | None = None,
                kpis: tuple[str, ...] | None = None) -> list[KpiResult]:
        """The period's results (stored by the worker, else computed now); only ``kpis`` when named."""
        def build() -> list[KpiResult]:
            stored = self.cached(("stored", str(period), strict, by), lambda: self._stored(period, strict, by))
            if stored is not None:
                return [r for r in stored if kpis is None or r.kpi in kpis]
            if kpis is not None:  # only these: cheaper than the whole set
                return compute(self.mirror.db, self.config, period, by=by, kpis=kpis, strict=strict,
                               now=self.clock(), refresh_funnel=False)
            return self.cached(("computed", str(period), strict, by), lambda: self._computed(period, strict, by))
        return self.cached(("results", str(period), strict, by, kpis), build)

    def _stored(self, period: Period, strict: bool, by: str | None) -> list[KpiResult] | None:
        if not self.has_results:
            return None
        return load(self.mirror.db, str(period), strict, by, config_key(self.config))

    def _computed(self, period: Period, strict: bool, by: str | None) -> list[KpiResult]:
        """As the worker stores it: by a dimension, only the KPIs that allow it."""
        kpis = [k for k, spec in specs().items() if by is None or by in spec.dimensions]
        results = compute(self.mirror.db, self.config, period, by=by, kpis=kpis, strict=strict, now=self.clock(),
                          refresh_funnel=False)
        return [r for r in results if by is None or r.segment.startswith(f"{by}=")]

    def result(self, period: Period, kpi: str, segment: str = "all", strict: bool = False) -> KpiResult | None:
        """One KPI's result for a segment (``all`` or ``DIMENSION=VALUE``)."""
        by = None if segment == "all" else segment.partition("=")[0]
        if by not in (None, *DIMENSIONS):
            by = None
        found = {(r.kpi, r.segment): r for r in self.results(period, strict, by)}
        return found.get((kpi, segment))

    def segments(self, by: str) -> list[str]:
        """Every segment of a dimension the mirror knows (the segment picker), named as the KPIs name them."""
        return self.cached(("segments", by), lambda: [f"{by}={value}" for (value,) in self.mirror.db.execute(
            SEGMENT_VALUES[by]).fetchall()])

    # -- the records behind a number ------------------------------------------------------------------------
    def members(self, period: Period, kpi: str, segment: str, part: str, strict: bool) -> Members:
        return self.cached(("members", str(period), kpi, segment, part, strict), lambda: members(
            self.mirror.db, self.config, period, kpi, segment, part, strict=strict, now=self.clock()))

    def records(self, found: Members) -> list[Record]:
        """The listed records with their names and HubSpot links, in id order."""
        with self._lock:
            if found.object_type == "contacts":
                sql = ("SELECT id, trim(COALESCE(firstname, '') || ' ' || COALESCE(lastname, '')), COALESCE(email, '') "
                       "FROM contacts WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id")
            else:
                sql = ("SELECT id, COALESCE(dealname, ''), COALESCE(CAST(amount AS TEXT) || ' ' || "
                       "COALESCE(deal_currency_code, ''), '') FROM deals WHERE id IN (SELECT value FROM json_each(?)) "
                       "ORDER BY id")
            rows = self.mirror.db.execute(sql, [json.dumps(found.ids)]).fetchall()
        kind = CONTACT if found.object_type == "contacts" else DEAL
        return [Record(i, name or f"#{i}", detail, self.link(kind, i)) for i, name, detail in rows]

    def link(self, kind: str, record_id: int) -> str | None:
        """``https://{uiDomain}/contacts/{portalId}/record/{0-1|0-3}/{id}``; SMARKETING_HUBSPOT_APP_URL overrides the
        domain's URL. None when the mirror knows no portal yet."""
        portal = self.meta("portal_id")
        base = self._app_url or (f"https://{self.meta('ui_domain') or 'app.hubspot.com'}")
        return f"{base}/contacts/{portal}/record/{kind}/{record_id}" if portal else None
