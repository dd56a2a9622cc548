"""Generate large, realistic, reproducible sandbox portals (format: the sandbox portal brief).

The data models a B2B funnel so KPIs have something real to measure: contacts arrive over the 18 months
before a fixed ANCHOR instant, climb the lifecycle stages with gaps of days to weeks (some skip stages,
a few are moved back) and get an owner from MQL on; the hottest contacts carry deals, and engagements
follow owner assignment (lead response time). Only `Random(seed)` and ANCHOR drive the output, so the same
arguments give the same portal. Speed matters (100k contacts in well under 3 s): strings come from caches,
draws avoid `choice`/`randrange`, and the garbage collector is paused while the object graph is built.
"""

from __future__ import annotations

from typing import Any

from ..bulk import paused_gc
from .activities import Activities
from .deals import Deals
from .draws import ANCHOR, DAY, HOUR, MINUTE, SPAN, Rng, iso
from .metadata import Metadata, lifecycle_definition, pipelines
from .people import People
from .vocabulary import ACCOUNT

__all__ = ["ANCHOR", "DAY", "HOUR", "MINUTE", "SPAN", "generate_portal", "iso"]


def generate_portal(contacts: int, deals: int, seed: int, *, engagements: int | None = None,
                    companies: int | None = None) -> dict[str, Any]:
    """A portal dict with `contacts` contacts and `deals` deals; same arguments, same portal."""
    engagements = contacts // 20 if engagements is None else engagements
    companies = max(1, contacts // 25) if companies is None else companies
    if min(contacts, deals, engagements, companies) < 0:
        raise ValueError("counts must not be negative")
    with paused_gc():
        return Generator(Rng(seed), contacts, companies).build(deals, engagements)



class Generator(Metadata, People, Deals, Activities):
    def build(self, n_deals: int, n_engagements: int) -> dict[str, Any]:
        owners, campaigns = self._owners(), self._campaigns()
        portal = {"contacts": self._contacts(), "companies": self._companies(), "deals": self._deals(n_deals)}
        return {**portal, **self._engagements(n_engagements), "owners": owners, "pipelines": pipelines(),
                "campaigns": campaigns, "account": dict(ACCOUNT), "properties": {"contacts": [lifecycle_definition()]}}
