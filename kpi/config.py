"""What the KPIs need that is not in the CRM. The worker fills it from its settings; kpi/ reads no environment."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal


@dataclass(frozen=True)
class WorkingHours:
    """The SLA clock: it runs on these weekdays (0 = Monday), between these hours, outside holidays."""

    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    start: time = time(9, 0)
    end: time = time(17, 0)
    holidays: frozenset[date] = frozenset()


@dataclass(frozen=True)
class KpiConfig:
    time_zone: str = "UTC"  # the portal's, unless overridden
    currency: str | None = None
    stage_map: dict[str, str] = field(default_factory=dict)  # portal lifecycle value -> canonical stage
    working_hours: WorkingHours = WorkingHours()
    sla_first_followup_hours: Decimal = Decimal(8)
    sla_attempts: int = 5
    sla_window_days: int = 14
    mqls_per_rep_per_month: int = 100
    disqualified_statuses: frozenset[str] = frozenset({"UNQUALIFIED"})
    sales_cost_per_month: Decimal = Decimal(0)
    gross_margin: Decimal = Decimal(1)
    monthly_goal: Decimal | None = None  # revenue goal per month, for daily sales vs goal
    quota: Decimal | None = None  # revenue to plan for, for the reverse funnel
    planning_window_months: int = 6
    pipelines: frozenset[str] = frozenset()  # empty: every pipeline
    internal_domains: frozenset[str] = frozenset()  # contacts with these email domains are left out
    maturity_days: int | None = None  # cohort maturity window W; None: no window
    customer_unit: str = "company"  # company (falling back to the contact) | contact
    rep_team: str | None = None  # active reps: owners in this team; None: owners with contacts
    campaign_spend: bool = True  # False: the portal does not serve campaigns (its tier), so spend is unknown
