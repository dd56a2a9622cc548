"""The sales side: the overview, daily sales vs goal, sales activity depth and the SLA by rep."""

from __future__ import annotations

from fractions import Fraction

from kpi import Period

from . import charts
from .numbers import ListLink, Shown, places, plain, query, value_text
from .view import Section, Table, View

SLA_PARTS = ("met", "pending", "overdue", "breached")
HEADLINE = ("new_leads", "mql_count", "mql_handoffs", "sql_count", "mql_to_sql_rate", "new_opportunities", "win_rate",
            "revenue", "avg_deal_size", "cost_per_lead", "marketing_roi", "sla_first_followup_rate")
STAGES = ("lead", "mql", "sql", "opportunity", "customer")
STAGE_LABELS = {"lead": "Leads", "mql": "MQLs", "sql": "SQLs", "opportunity": "Opportunities", "customer": "Customers"}


def overview(view: View) -> list[Section]:
    return [funnel_section(view),
            Section("Headline KPIs", f"{view.period} against {view.period.previous()}, "
                    f"for {view.segment_label(view.segment)}.", numbers=[view.card(kpi) for kpi in HEADLINE])]


def funnel_section(view: View) -> Section:
    """The lead cohort of the period and how far it got: the survivors of lead → customer (definitions B2)."""
    card = view.card("lead_to_customer_rate")
    if card.note:
        return Section("Funnel", f"The funnel is not available by {view.by}: the leads of a period are segmented by "
                       "source or campaign only.")
    result = view.result("lead_to_customer_rate")
    survivors = (result.details.get("survivors") if result else None) or {stage: 0 for stage in STAGES}
    stages, numbers, above, prev = [], [], None, "lead"
    for stage in STAGES:
        n = int(survivors.get(stage, 0))
        conversion = "all leads" if above is None else \
            (f"{places(Fraction(n, above) * 100, 1)} % of {STAGE_LABELS[prev]}" if above else "n/a")
        stages.append((STAGE_LABELS[stage], n, conversion))
        numbers.append(Shown(f"funnel:{stage}", STAGE_LABELS[stage], f"{n:,}", "count",
                             f"Leads of {view.period} that reached {stage} before as_of ({conversion}).",
                             "survivors of the lead cohort to this stage, in order, before as_of [B2]", (),
                             as_of=result.as_of if result else "", immature=bool(result and result.details.get(
                                 "immature")), lists=[ListLink("value", n, "contacts", "/list?" + query(
                                     kpi=f"funnel:{stage}", part="value", period=str(view.period),
                                     segment=view.segment, strict="1" if view.strict else None))]))
        above, prev = n, stage
    return Section("Funnel", f"The leads of {view.period} ({view.segment_label(view.segment)}) and how far they got; "
                   "each stage's conversion is from the stage above.",
                   charts.funnel(f"Funnel of {view.period}", stages), numbers)


def sales(view: View) -> list[Section]:
    """H1: cumulative won revenue of the month against the goal to date and last month on the same day."""
    month = Period.containing("month", view.period.first, view.period.time_zone)
    rows = sorted((r for r in view.results(month) if r.kpi == "daily_sales_vs_goal"), key=lambda r: r.segment)
    days = [r.segment.removeprefix("day=")[8:] for r in rows]
    cum = [float(r.numerator or 0) for r in rows]
    goal = [None if r.denominator is None else float(r.denominator) for r in rows]
    last = [float(r.details.get("last_month") or 0) for r in rows]
    series: list[tuple[str, list[float | None]]] = [("won to date", list(cum)), ("last month", list(last))]
    if any(g is not None for g in goal):
        series.insert(1, ("goal to date", goal))
    intro = f"Won deals of {month} by close date, summed day by day, in {view.currency or 'the portal currency'}."
    if all(g is None for g in goal):
        intro += " No monthly goal is set (SMARKETING_MONTHLY_GOAL), so only last month is compared."
    table = Table(["day", "won to date", "goal to date", "last month", "won ÷ goal"],
                  [[r.segment.removeprefix("day="), value_text("money", r.numerator, view.currency),
                    value_text("money", r.denominator, view.currency),
                    value_text("money", r.details.get("last_month"), view.currency),
                    view.cell(r, "daily_sales_vs_goal")] for r in rows[-7:]])
    chart = charts.lines(f"Cumulative sales of {month}", days, series, dashed=(False, True, True))
    return [Section("Daily sales vs goal vs last month", intro, chart,
                    [view.card("revenue", "all"), view.card("win_rate", "all"), view.card("avg_deal_size", "all")],
                    table)]


def _owners(view: View) -> list[str]:
    found = {r.segment.split(",")[0] for r in view.results() if r.kpi == "sales_activity"}
    return sorted(found, key=lambda s: view.segment_label(s))


def activity(view: View) -> list[Section]:
    """H2: per owner, outbound calls, emails and meetings, and how deeply the MQL hand-offs were worked."""
    records = {r.segment: r for r in view.results() if r.kpi == "sales_activity"}
    rows, bar_rows = [], []
    for owner in _owners(view):
        total = records.get(f"{owner},type=all")
        details = total.details if total else {}
        touches = [plain(records[f"{owner},type={t}"].value) if f"{owner},type={t}" in records else "0"
                   for t in ("call", "email", "meeting")]
        avg = details.get("avg_touches_per_handoff")
        rows.append([view.segment_label(owner), *touches, plain(total.value if total else 0),
                     plain(details.get("handoffs", 0)), "n/a" if avg is None else f"{places(avg, 1)}",
                     value_text("rate", details.get("attempts_share"), None)])
        bar_rows.append((view.segment_label(owner), float(total.value or 0) if total else 0.0,
                         plain(total.value if total else 0)))
    return [Section("Sales activity depth", f"Outbound touches in {view.period} by owner (calls with direction "
                    "OUTBOUND, emails sent, meetings), and the touches each MQL hand-off got in its SLA window.",
                    charts.bars("Outbound touches by rep", bar_rows),
                    [view.card("sla_attempts_rate", "all"), view.card("mql_handoffs", "all")],
                    Table(["owner", "calls", "emails", "meetings", "touches", "hand-offs", "touches per hand-off",
                           "hand-offs reaching the attempts"], rows))]


def sla_by_rep(view: View) -> list[Section]:
    """Per rep: hand-offs, met, pending, overdue, breached, compliance, touches per hand-off."""
    first = view.by_segment("sla_first_followup_rate", "owner")
    activity_records = {r.segment: r for r in view.results() if r.kpi == "sales_activity"}
    rows, bar_rows = [], []
    for segment, result in sorted(first.items(), key=lambda kv: view.segment_label(kv[0])):
        d = result.details
        handoffs = sum(int(d.get(s, 0)) for s in ("met", "pending", "overdue", "breached"))
        avg = activity_records.get(f"{segment},type=all")
        per = avg.details.get("avg_touches_per_handoff") if avg else None
        counts = {"handoffs": handoffs, **{status: int(d.get(status, 0)) for status in SLA_PARTS}}
        rows.append([view.segment_label(segment), *(view.records("sla_first_followup_rate", segment, part, n)
                                                    for part, n in counts.items()),
                     view.cell(result, "sla_first_followup_rate", "compliance"),
                     "n/a" if per is None else f"{places(per, 1)}"])
        bar_rows.append((view.segment_label(segment), float(result.value or 0) * 100,
                         value_text("rate", result.value, None)))
    return [Section("SLA by rep", f"MQL hand-offs of {view.period} by the contact's owner: first follow-up within "
                    f"{view.data.config.sla_first_followup_hours} working hours. Compliance is met ÷ (met + overdue + "
                    "breached); pending hand-offs have not reached their deadline.",
                    charts.bars("First follow-up compliance by rep (%)", bar_rows),
                    [view.card("sla_first_followup_rate", "all"), view.card("sla_both_rate", "all")],
                    Table(["owner", "hand-offs", "met", "pending", "overdue", "breached", "compliance",
                           "touches per hand-off"], rows)), *_tasks(view)]


TASK_COLUMNS = {"created": "created", "open": "open", "overdue": "open and overdue", "in_time": "completed in time",
                "late": "completed late", "closed": "closed with a note", "by_rep": "completed by the rep",
                "deleted": "deleted by the rep"}


def _tasks(view: View) -> list[Section]:
    """The follow-up tasks the worker put in each rep's queue (SMARKETING_SLA_TASKS), all time, when there are any."""
    figures = view.data.tasks()
    if figures.since is None and not figures.by_rep:
        return []
    names = view.names
    rows = [[names.value("owner", "UNASSIGNED" if owner is None else str(owner)),
             *(str(counts[name]) for name in TASK_COLUMNS)] for owner, counts in figures.by_rep.items()]
    skipped = ", ".join(f"{n} {reason.replace('_', ' ')}" for reason, n in figures.skipped.items() if n)
    return [Section("SLA follow-up tasks", f"Tasks the worker created in the reps' HubSpot queues since "
                    f"{figures.since or 'the feature was turned on'}, as of the last push."
                    + (f" Hand-offs that got none: {skipped}." if skipped else ""),
                    table=Table(["owner", *TASK_COLUMNS.values()], rows))]
