"""Generate large, realistic, reproducible sandbox portals (format: the sandbox portal brief).

The data models a B2B funnel so KPIs have something real to measure: contacts arrive over the 18 months
before a fixed ANCHOR instant, climb the lifecycle stages with gaps of days to weeks (some skip stages,
a few are moved back) and get an owner from MQL on; the hottest contacts carry deals, and engagements
follow owner assignment (lead response time). Only `Random(seed)` and ANCHOR drive the output, so the same
arguments give the same portal. Speed matters (100k contacts in well under 3 s): strings come from caches,
draws avoid `choice`/`randrange`, and the garbage collector is paused while the object graph is built.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..bulk import paused_gc
from ..records import Record
from .activities import Activities
from .deals import Deals
from .draws import ANCHOR, DAY, HOUR, MINUTE, SPAN, Rng, iso
from .metadata import Metadata, lifecycle_definition, pipelines
from .people import People
from .state import Link
from .vocabulary import ACCOUNT

__all__ = ["ANCHOR", "DAY", "HOUR", "MINUTE", "OBJECT_TYPES", "SPAN", "Generated", "generate", "generate_portal",
           "iso"]
OBJECT_TYPES = ("contacts", "companies", "deals", "calls", "emails", "meetings", "tasks")


@dataclass
class Generated:
    """A generated portal as the sandbox keeps it: metadata in the API's shapes, records, their associations."""

    metadata: dict[str, Any]  # owners, pipelines, campaigns, account, properties
    records: dict[str, list[Record]]  # object type -> records in id order
    links: list[Link]


def generate(contacts: int, deals: int, seed: int, *, engagements: int | None = None,
             companies: int | None = None) -> Generated:
    """A portal with `contacts` contacts and `deals` deals; same arguments, same portal."""
    engagements = contacts // 20 if engagements is None else engagements
    companies = max(1, contacts // 25) if companies is None else companies
    if min(contacts, deals, engagements, companies) < 0:
        raise ValueError("counts must not be negative")
    with paused_gc():
        return Generator(Rng(seed), contacts, companies).build(deals, engagements)


def generate_portal(contacts: int, deals: int, seed: int, *, engagements: int | None = None,
                    companies: int | None = None) -> dict[str, Any]:
    """The same portal in the fixture format (one list of API-shaped records per object type)."""
    made = generate(contacts, deals, seed, engagements=engagements, companies=companies)
    with paused_gc():
        return {**_api_records(made), **made.metadata}


def _api_records(made: Generated) -> dict[str, list[dict[str, Any]]]:
    links: dict[tuple[str, str], dict[str, list[dict[str, str]]]] = {}
    for from_type, from_id, to_type, to_id, name in made.links:
        links.setdefault((from_type, from_id), {}).setdefault(to_type, []).append({"id": to_id, "type": name})
    out: dict[str, list[dict[str, Any]]] = {}
    for object_type in OBJECT_TYPES:
        out[object_type] = []
        for r in made.records.get(object_type, []):
            item: dict[str, Any] = {"id": r.id, "properties": r.properties, "createdAt": r.created_at,
                                    "updatedAt": r.updated_at, "archived": r.archived}
            if r.history:
                item["propertiesWithHistory"] = r.history
            if r.archived:
                item["archivedAt"] = r.archived_at
            blocks = links.get((object_type, r.id))
            if blocks or object_type == "deals":
                item["associations"] = {t: {"results": results} for t, results in (blocks or {}).items()}
            out[object_type].append(item)
    return out


class Generator(Metadata, People, Deals, Activities):
    def build(self, n_deals: int, n_engagements: int) -> Generated:
        owners, campaigns = self._owners(), self._campaigns()
        self._contacts()
        self._companies()
        self._deals(n_deals)
        self._engagements(n_engagements)
        return Generated({"owners": owners, "pipelines": pipelines(), "campaigns": campaigns,
                          "account": dict(ACCOUNT), "properties": {"contacts": [lifecycle_definition()]}},
                         self.records, self.links)
