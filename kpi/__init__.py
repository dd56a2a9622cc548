"""Funnel stages and KPI maths over the mirror. Takes a database handle; never does HTTP.

This is kpi's public surface: the rest of the project imports these names and no module of kpi's own.
"""

from .catalogue import ABOUT, UNITS, About
from .config import KpiConfig, WorkingHours
from .context import DIMENSIONS
from .engine import compute, last_month_with_data
from .export import Names, decimal, exact, record, rounded
from .funnel import CANONICAL, FunnelReport, cohort_counts, funnel_stale, refresh
from .listing import LISTED, Members, listed, members
from .periods import Period, iso, parse_iso
from .registry import FAMILIES, KpiSpec, specs
from .result import KpiResult
from .tasks import ARCHIVED_OWNER, ATTEMPTS, FIRST, NO_OWNER, HandoffTask, TaskPlan, sla_tasks
from .wanted import CONTACT_FIELDS, DEAL_FIELDS, SLA_STATUSES, WantedValues, clock_change, writeback_values

__all__ = ["ABOUT", "ARCHIVED_OWNER", "LISTED", "ATTEMPTS", "CANONICAL", "CONTACT_FIELDS", "DEAL_FIELDS", "DIMENSIONS",
           "FAMILIES", "FIRST", "NO_OWNER", "UNITS", "About", "FunnelReport", "HandoffTask", "KpiConfig", "KpiResult",
           "KpiSpec", "Members", "Names", "Period", "SLA_STATUSES", "TaskPlan", "WantedValues", "WorkingHours",
           "clock_change", "cohort_counts", "compute", "decimal", "exact", "funnel_stale", "iso",
           "last_month_with_data", "listed", "members", "parse_iso", "record", "refresh", "rounded", "sla_tasks",
           "specs", "writeback_values"]
