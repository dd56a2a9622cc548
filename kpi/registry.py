"""Every KPI identifier of the definitions (section 0), its family, its function and the dimensions it allows."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from .context import KpiFunction

FAMILIES = ("volume", "conversion", "sales", "costs", "customers", "sla", "planning", "activity")


@dataclass(frozen=True)
class KpiSpec:
    id: str
    family: str  # one of FAMILIES, the module that computes it
    function: KpiFunction
    dimensions: tuple[str, ...] = ()  # of source, campaign, owner, pipeline
    title: str = ""


def specs() -> dict[str, KpiSpec]:
    """All KPIs, in the order of the families; each family module lists its own in ``KPIS``."""
    found: dict[str, KpiSpec] = {}
    for family in FAMILIES:
        for spec in importlib.import_module(f"kpi.{family}").KPIS:
            found[spec.id] = spec
    return found
