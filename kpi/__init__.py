"""Funnel stages and KPI maths over the mirror. Takes a database handle; never does HTTP.

This is kpi's public surface: the rest of the project imports these names and no module of kpi's own.
"""

from .catalogue import ABOUT, UNITS, About
from .config import KpiConfig, WorkingHours
from .context import DIMENSIONS
from .engine import compute, last_month_with_data
from .export import Names, decimal, exact, record, rounded
from .funnel import CANONICAL, FunnelReport, cohort_counts, refresh
from .periods import Period, iso, parse_iso
from .registry import FAMILIES, KpiSpec, specs
from .result import KpiResult
from .tasks import ARCHIVED_OWNER, ATTEMPTS, FIRST, NO_OWNER, HandoffTask, TaskPlan, sla_tasks
from .wanted import CONTACT_FIELDS, DEAL_FIELDS, SLA_STATUSES, WantedValues, writeback_values

__all__ = ["ABOUT", "ARCHIVED_OWNER", "ATTEMPTS", "CANONICAL", "FIRST", "HandoffTask", "NO_OWNER", "TaskPlan",
           "sla_tasks", "CONTACT_FIELDS", "DEAL_FIELDS", "DIMENSIONS", "FAMILIES", "UNITS", "About",
           "FunnelReport", "KpiConfig", "KpiResult", "KpiSpec", "Names", "Period", "SLA_STATUSES", "WantedValues",
           "WorkingHours", "cohort_counts", "compute", "decimal", "exact", "iso", "last_month_with_data",
           "parse_iso", "record", "refresh", "rounded", "specs", "writeback_values"]
