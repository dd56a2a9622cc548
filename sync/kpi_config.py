"""The KPI engine's settings, from the worker's settings and what the mirror knows about the portal."""

from __future__ import annotations

from kpi import KpiConfig, WorkingHours

from .mirror import Mirror
from .settings import Settings


def kpi_config(settings: Settings, mirror: Mirror) -> KpiConfig:
    start, end = settings.working_hours
    return KpiConfig(
        time_zone=settings.timezone or mirror.meta("time_zone") or "UTC",
        currency=mirror.meta("currency"),
        stage_map=dict(settings.stage_map),
        working_hours=WorkingHours(weekdays=settings.working_days, start=start, end=end,
                                   holidays=settings.holidays),
        sla_first_followup_hours=settings.sla_first_followup_hours,
        sla_attempts=settings.sla_attempts,
        sla_window_days=settings.sla_window_days,
        mqls_per_rep_per_month=settings.mqls_per_rep_per_month,
        disqualified_statuses=frozenset(settings.disqualified_lead_statuses),
        sales_cost_per_month=settings.sales_cost_per_month,
        gross_margin=settings.gross_margin,
        monthly_goal=settings.monthly_goal,
        quota=settings.quota,
        planning_window_months=settings.planning_window_months,
        pipelines=frozenset(settings.pipelines),
        internal_domains=frozenset(settings.internal_domains),
        maturity_days=settings.maturity_days,
        customer_unit=settings.customer_unit,
        rep_team=settings.rep_team,
    )
