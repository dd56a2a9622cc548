"""What every KPI function gets: the database, the settings, the period, as_of, the mode, and helpers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .config import KpiConfig
from .periods import Period, iso
from .result import KpiResult

DIMENSIONS = ("source", "campaign", "owner", "pipeline")


@dataclass
class KpiContext:
    db: Any  # a sqlite_utils.Database over the mirror, funnel refreshed
    config: KpiConfig
    period: Period
    as_of: datetime
    strict: bool = False
    _cache: dict[str, Any] = field(default_factory=dict)

    @property
    def p0(self) -> str:
        return self.period.bounds[0]

    @property
    def p1(self) -> str:
        return self.period.bounds[1]

    @property
    def as_of_iso(self) -> str:
        return iso(self.as_of)

    @property
    def label(self) -> str:
        return str(self.period)

    @property
    def reached(self) -> str:
        """The funnel column a stage entry is read from: implied pass-through, or recorded entries only."""
        return "raw_at" if self.strict else "reached_at"

    def for_period(self, period: Period, as_of: datetime | None = None) -> KpiContext:
        """The same question about another period (the previous one, a trailing window...)."""
        return KpiContext(self.db, self.config, period, as_of or period.default_as_of(self.as_of), self.strict,
                          self._cache)

    def cached(self, key: str, build: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Named-parameter query with :p0, :p1 and :as_of always bound."""
        bound = {"p0": self.p0, "p1": self.p1, "as_of": self.as_of_iso, **(params or {})}
        cursor = self.db.execute(sql, bound)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def segment(by: str | None, value: Any) -> str:
    """``all``, or ``DIMENSION=VALUE``; a missing owner is UNASSIGNED, any other missing value UNKNOWN."""
    if by is None:
        return "all"
    if value is None or value == "":
        value = "UNASSIGNED" if by == "owner" else "UNKNOWN"
    return f"{by}={value}"


KpiFunction = Callable[[KpiContext, str | None], list[KpiResult]]
