"""The marketing side: opportunities by source and by campaign, the monthly report, SLA-quality leads against the
objective, and MQL quantity and quality month by month."""

from __future__ import annotations

from fractions import Fraction

from . import charts
from .numbers import plain, value_text
from .view import Section, Table, View

REPORT = ("new_leads", "mql_count", "mql_handoffs", "sql_count", "mql_to_sql_rate", "lead_to_customer_rate",
          "new_opportunities", "revenue", "cost_per_lead", "cost_per_opportunity", "cac", "marketing_roi",
          "mqls_per_rep", "sla_first_followup_rate")
MONTHS = 6


def _months(view: View) -> int:
    return 3 if view.period.kind == "quarter" else 1


def sources(view: View) -> list[Section]:
    """H3: new-business opportunities by the attribution contact's source, and new leads against the goals."""
    leads = view.by_segment("new_leads", "source")
    opportunities = view.by_segment("new_opportunities", "source")
    goals = view.data.source_goals
    scale = _months(view)
    keys = sorted(set(leads) | set(opportunities) | {f"source={s}" for s in goals}, key=view.segment_label)
    rows, bar_rows, bar_goals = [], [], []
    for segment in keys:
        lead, opportunity = leads.get(segment), opportunities.get(segment)
        goal = goals.get(segment.removeprefix("source="))
        n = int(lead.value or 0) if lead else 0
        progress = "no goal" if goal is None else f"{plain(n)} of {plain(goal * scale)} " \
            f"({value_text('rate', Fraction(n, goal * scale), None)})"
        rows.append([view.segment_label(segment), view.cell(lead, "new_leads"), progress,
                     view.cell(opportunity, "new_opportunities"),
                     value_text("money", opportunity.details.get("amount") if opportunity else 0, view.currency)])
        bar_rows.append((view.segment_label(segment), float(n), plain(n)))
        bar_goals.append(None if goal is None else float(goal * scale))
    intro = (f"New leads of {view.period} by original source against SMARKETING_SOURCE_GOALS (per month"
             f"{', times 3 for a quarter' if scale == 3 else ''}; the red mark is the goal), and the new-business "
             "deals created in the period by their attribution contact's source, with the sum of known amounts.")
    if not goals:
        intro += " No source goals are set: SMARKETING_SOURCE_GOALS=ORGANIC_SEARCH=50,PAID_SEARCH=120 sets them."
    return [Section("Opportunities by source", intro, charts.bars("New leads by source, with goals", bar_rows,
                                                                  bar_goals),
                    [view.card("new_opportunities", "all"), view.card("new_leads", "all")],
                    Table(["source", "new leads", "lead goal", "new opportunities", "their amount"], rows))]


def campaigns(view: View) -> list[Section]:
    """H4: opportunities by the attribution contact's first-touch campaign, with cost per lead and ROI."""
    opportunities = view.by_segment("new_opportunities", "campaign")
    roi, per_lead = view.by_segment("marketing_roi", "campaign"), view.by_segment("cost_per_lead", "campaign")
    keys = sorted(set(opportunities) | set(roi), key=view.segment_label)
    rows, bar_rows = [], []
    for segment in keys:
        opportunity = opportunities.get(segment)
        rows.append([view.segment_label(segment), view.cell(opportunity, "new_opportunities"),
                     value_text("money", opportunity.details.get("amount") if opportunity else 0, view.currency),
                     view.cell(per_lead.get(segment), "cost_per_lead"), view.cell(roi.get(segment), "marketing_roi")])
        n = int(opportunity.value or 0) if opportunity else 0
        bar_rows.append((view.segment_label(segment), float(n), plain(n)))
    return [Section("Opportunities by campaign", f"New-business deals created in {view.period} by their attribution "
                    "contact's first-touch campaign, and what each campaign cost per lead and returned.",
                    charts.bars("New opportunities by campaign", bar_rows),
                    [view.card("marketing_roi", "all"), view.card("cost_per_opportunity", "all")],
                    Table(["campaign", "new opportunities", "their amount", "cost per lead", "ROI"], rows))]


def report(view: View) -> list[Section]:
    """H5: the monthly marketing report, each KPI beside last period's and the change."""
    leads = view.by_segment("new_leads", "source")
    previous = {r.segment: r for r in view.results(view.period.previous(), by="source") if r.kpi == "new_leads"}
    ordered = sorted(leads, key=view.segment_label)
    rows: list[list[object]] = [[view.segment_label(s), view.cell(leads[s], "new_leads"),
                                 plain(previous[s].value) if s in previous else "0"] for s in ordered]
    bar_rows = [(view.segment_label(s), float(leads[s].value or 0), plain(leads[s].value)) for s in ordered]
    return [Section(f"Monthly marketing report: {view.period}", f"Against {view.period.previous()}; cohort rates "
                    "still converting are flagged.", numbers=[view.card(kpi) for kpi in REPORT]),
            Section("New leads by channel", "", charts.bars("New leads by channel", bar_rows),
                    table=Table(["channel", str(view.period), str(view.period.previous())], rows))]


def sla_leads(view: View) -> list[Section]:
    """Marketing's side of the SLA: hand-offs against the monthly objective (target per rep × active reps)."""
    per_rep = view.result("mqls_per_rep", "all")
    target = per_rep.details.get("target") if per_rep else None
    reps = per_rep.denominator if per_rep else None
    handoffs = int(per_rep.numerator or 0) if per_rep else 0
    objective = None if target is None or reps is None else Fraction(target) * Fraction(reps)
    bar = [("hand-offs", float(handoffs), plain(handoffs))]
    intro = (f"MQL hand-offs (leads marketing passed to sales, recorded MQL entries) in {view.period} against the "
             f"objective of SMARKETING_MQLS_PER_REP_PER_MONTH × active reps")
    intro += f" = {plain(target)} × {plain(reps)} = {plain(objective)}." if objective is not None else "."
    return [Section("SLA-quality leads vs the monthly objective", intro,
                    charts.bars("Hand-offs against the objective", bar,
                                [None if objective is None else float(objective)]),
                    [view.card("mql_handoffs", "all"), view.card("mqls_per_rep", "all"),
                     view.card("mql_rejection_rate", "all"), view.card("sla_both_rate", "all")])]


def mql(view: View) -> list[Section]:
    """H6: MQL quantity and quality month by month, and by source and campaign for the period."""
    months = [view.period]
    while len(months) < MONTHS:
        months.insert(0, months[0].previous())
    wanted = ("mql_count", "mql_handoffs", "mql_to_sql_rate", "mql_rejection_rate")
    series: dict[str, list[float | None]] = {k: [] for k in wanted}
    for month in months:
        found = {r.kpi: r for r in view.results(month, kpis=wanted) if r.segment == "all"}
        for kpi in wanted:
            value = found[kpi].value if kpi in found else None
            series[kpi].append(None if value is None else float(value) * (100 if "rate" in kpi else 1))
    labels = [str(m) for m in months]
    sections = [Section("MQL quantity and quality", f"The {MONTHS} periods up to {view.period}.",
                        charts.lines("MQLs and hand-offs", labels, [("MQLs", series["mql_count"]),
                                                                    ("hand-offs", series["mql_handoffs"])]),
                        [view.card(k) for k in wanted]),
                Section("MQL quality (%)", "MQL → SQL rate and rejection rate, cohort by cohort.",
                        charts.lines("MQL quality", labels, [("MQL → SQL %", series["mql_to_sql_rate"]),
                                                             ("rejected %", series["mql_rejection_rate"])]))]
    for by in ("source", "campaign"):
        counts, rates = view.by_segment("mql_count", by), view.by_segment("mql_to_sql_rate", by)
        rejected = view.by_segment("mql_rejection_rate", by)
        rows = [[view.segment_label(s), view.cell(counts.get(s), "mql_count"), view.cell(rates.get(s),
                 "mql_to_sql_rate"), view.cell(rejected.get(s), "mql_rejection_rate")]
                for s in sorted(set(counts) | set(rates), key=view.segment_label)]
        sections.append(Section(f"By {by}", "", table=Table([by, "MQLs", "MQL → SQL", "rejected"], rows)))
    return sections
