"""Funnel stages and KPI maths over the mirror. Takes a database handle; never does HTTP.

This is kpi's public surface: the rest of the project imports these names and no module of kpi's own.
"""

from .config import KpiConfig, WorkingHours
from .context import DIMENSIONS
from .engine import compute
from .funnel import CANONICAL, FunnelReport, cohort_counts, refresh
from .periods import Period, iso, parse_iso
from .registry import FAMILIES, KpiSpec, specs
from .result import KpiResult
from .wanted import CONTACT_FIELDS, DEAL_FIELDS, SLA_STATUSES, WantedValues, writeback_values

__all__ = ["CANONICAL", "CONTACT_FIELDS", "DEAL_FIELDS", "DIMENSIONS", "FAMILIES", "FunnelReport", "KpiConfig",
           "KpiResult", "KpiSpec", "Period", "SLA_STATUSES", "WantedValues", "WorkingHours", "cohort_counts",
           "compute", "iso", "parse_iso", "refresh", "specs", "writeback_values"]
