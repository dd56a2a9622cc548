"""Routing a GET to its page and rendering it with Jinja2 (autoescape on: every CRM string is escaped)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

from jinja2 import Environment, PackageLoader, select_autoescape

from kpi import ABOUT, DIMENSIONS, Period, listed

from . import pages_marketing, pages_sales
from .data import Data
from .view import BadRequest, Section, View

PAGES: dict[str, tuple[str, Callable[[View], list[Section]]]] = {
    "/": ("Overview", pages_sales.overview),
    "/sales": ("Daily sales vs goal", pages_sales.sales),
    "/activity": ("Sales activity", pages_sales.activity),
    "/sources": ("Opportunities by source", pages_marketing.sources),
    "/campaigns": ("Opportunities by campaign", pages_marketing.campaigns),
    "/report": ("Monthly marketing report", pages_marketing.report),
    "/sla-leads": ("SLA-quality leads", pages_marketing.sla_leads),
    "/mql": ("MQL quantity and quality", pages_marketing.mql),
    "/sla": ("SLA by rep", pages_sales.sla_by_rep),
}
PERIODS_SHOWN = 12  # months in the period picker, and 4 quarters


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


class Dashboard:
    def __init__(self, data: Data) -> None:
        self.data = data
        self.env = Environment(loader=PackageLoader("sync.app.dashboard", "templates"),
                               autoescape=select_autoescape(default=True, default_for_string=True))
        self.css = resources.files("sync.app.dashboard").joinpath("static/style.css").read_bytes()

    def respond(self, path: str, query: str) -> Response:
        """The page, rendered once and kept until the mirror changes (``Data.cached``)."""
        return self.data.cached(("page", path, query), lambda: self._respond(path, query))

    def _respond(self, path: str, query: str) -> Response:
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        if path == "/static/style.css":
            return Response(200, self.css, "text/css; charset=utf-8", {"Cache-Control": "max-age=3600"})
        try:
            if path == "/list":
                return self._page(path, "list.html", **self._list(params))
            if path in PAGES:
                title, build = PAGES[path]
                view = View.from_query(self.data, params)
                return self._page(path, "page.html", view=view, title=title, sections=build(view))
        except BadRequest as e:
            return self._page(path, "message.html", 400, title="Not a question the dashboard can answer",
                              message=str(e))
        return self._page(path, "message.html", 404, title="No such page",
                          message="This page does not exist; the pages are listed above.")

    def _page(self, here: str, template: str, status: int = 200, *, view: View | None = None,
              **context: Any) -> Response:
        base: dict[str, Any] = {"pages": [(p, t) for p, (t, _) in PAGES.items()], "here": here, "view": view,
                                "link": view.link if view else (lambda path: path), "stale": self.data.stale()}
        if view is not None:
            base |= {"period": str(view.period), "periods": self._periods(view.period), "segment": view.segment,
                     "segments": self._segments(view), "strict": view.strict, "segment_name":
                     view.segment_label(view.segment), "time_zone": self.data.config.time_zone,
                     "currency": self.data.config.currency}
        html = self.env.get_template(template).render(**base, **context)
        return Response(status, html.encode())

    def _periods(self, chosen: Period) -> list[str]:
        latest = self.data.default_period()
        months, quarter = [latest], Period.containing("quarter", latest.first, latest.time_zone)
        while len(months) < PERIODS_SHOWN:
            months.append(months[-1].previous())
        quarters = [quarter]
        while len(quarters) < 4:
            quarters.append(quarters[-1].previous())
        found = [str(p) for p in months + quarters]
        return found if str(chosen) in found else [str(chosen), *found]

    def _segments(self, view: View) -> list[tuple[str, str]]:
        options = [("all", "everyone")]
        for by in DIMENSIONS:
            options += [(s, f"{by}: {view.segment_label(s)}") for s in self.data.segments(by)]
        if view.segment not in {value for value, _ in options}:
            options.append((view.segment, view.segment_label(view.segment)))
        return options

    def _list(self, params: dict[str, str]) -> dict[str, Any]:
        view = View.from_query(self.data, params)
        kpi, part = params.get("kpi", ""), params.get("part", "value")
        if not listed(kpi, part):
            raise BadRequest(f"the records behind {part} of {kpi or '(no KPI)'} cannot be listed")
        try:
            found = self.data.members(view.period, kpi, view.segment, part, view.strict)
        except ValueError as e:
            raise BadRequest(str(e)) from None
        name = ABOUT[kpi].label if kpi in ABOUT else f"Funnel: {kpi.removeprefix('funnel:')}"
        what = found.object_type
        return {"view": view, "title": f"{name}: the {what} behind the {part}",
                "intro": f"{view.period}, {view.segment_label(view.segment)}, "
                         f"{'strict' if view.strict else 'implied pass-through'}; each links to its record in HubSpot.",
                "records": self.data.records(found), "what": what, "portal": self.data.meta("portal_id"),
                "detail": "email" if what == "contacts" else "amount"}


def query_of(path: str) -> tuple[str, str]:
    base, _, query = path.partition("?")
    return base, query
