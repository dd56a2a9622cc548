"""One request's choices (period, segment, mode) and the helpers every page uses to show a KPI with them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from kpi import ABOUT, DIMENSIONS, KpiResult, Names, Period, specs

from .data import Data
from .numbers import ListLink, Shown, query, segment_name, shown


class BadRequest(ValueError):
    """A query the dashboard cannot answer: said in one line on a 400 page."""


@dataclass
class Table:
    columns: list[str]
    rows: list[list[Any]]  # str or Shown cells


@dataclass
class Section:
    title: str
    intro: str = ""
    chart: Markup | None = None
    numbers: list[Shown] = field(default_factory=list)
    table: Table | None = None


@dataclass
class View:
    data: Data
    period: Period
    segment: str  # all, or DIMENSION=VALUE
    strict: bool

    @classmethod
    def from_query(cls, data: Data, params: dict[str, str]) -> View:
        zone = data.config.time_zone
        try:
            period = Period.parse(params["period"], zone) if params.get("period") else data.default_period()
        except ValueError as e:
            raise BadRequest(str(e)) from None
        if period.kind not in ("month", "quarter"):
            raise BadRequest("the dashboard shows a month (2026-03) or a quarter (2026-Q1)")
        segment = params.get("segment") or "all"
        if segment != "all" and segment.partition("=")[0] not in DIMENSIONS:
            raise BadRequest(f"segment must be all or DIMENSION=VALUE with a dimension of {', '.join(DIMENSIONS)}")
        return cls(data, period, segment, params.get("strict") == "1")

    @property
    def by(self) -> str | None:
        return None if self.segment == "all" else self.segment.partition("=")[0]

    @property
    def names(self) -> Names:
        return self.data.names()

    @property
    def currency(self) -> str | None:
        return self.data.config.currency

    def results(self, period: Period | None = None, by: str | None = None,
                kpis: tuple[str, ...] | None = None) -> list[KpiResult]:
        return self.data.results(period or self.period, self.strict, by, kpis)

    def result(self, kpi: str, segment: str | None = None, period: Period | None = None) -> KpiResult | None:
        return self.data.result(period or self.period, kpi, segment or self.segment, self.strict)

    def allows(self, kpi: str) -> bool:
        return self.by is None or self.by in specs()[kpi].dimensions

    def card(self, kpi: str, segment: str | None = None, label: str | None = None, compare: bool = True) -> Shown:
        """The KPI for the chosen (or given) segment, with the previous period beside it."""
        segment = segment or self.segment
        dimension = None if segment == "all" else segment.partition("=")[0]
        if dimension and dimension not in specs()[kpi].dimensions:
            note = f"not available by {dimension}: shown for everyone"
            segment = "all"
        else:
            note = None
        current = self.result(kpi, segment)
        previous = self.result(kpi, segment, self.period.previous()) if compare else None
        return shown(current, kpi, self.currency, period=self.period, strict=self.strict, previous=previous,
                     label=label, note=note)

    def cell(self, result: KpiResult | None, kpi: str, label: str | None = None) -> Shown:
        return shown(result, kpi, self.currency, period=self.period, strict=self.strict, label=label)

    def records(self, kpi: str, segment: str, part: str, count: int) -> ListLink:
        """A count in a table that opens the list of its records."""
        return ListLink(part, count, "contacts", "/list?" + query(kpi=kpi, part=part, period=str(self.period),
                                                                  segment=segment, strict="1" if self.strict else None))

    def by_segment(self, kpi: str, by: str) -> dict[str, KpiResult]:
        return {r.segment: r for r in self.results(by=by) if r.kpi == kpi}

    def segment_label(self, segment: str) -> str:
        return segment_name(self.names, segment)

    def link(self, path: str, **changes: str | None) -> str:
        params: dict[str, str | None] = {"period": str(self.period), "segment": self.segment,
                                         "strict": "1" if self.strict else None, **changes}
        text = query(**params)
        return f"{path}?{text}" if text else path

    def label(self, kpi: str) -> str:
        return ABOUT[kpi].label
