"""Funnel stages and KPI maths over the mirror. Takes a database handle; never does HTTP."""

from .config import KpiConfig, WorkingHours
from .engine import compute
from .funnel import refresh
from .periods import Period
from .result import KpiResult

__all__ = ["KpiConfig", "KpiResult", "Period", "WorkingHours", "compute", "refresh"]
