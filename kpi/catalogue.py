"""What every KPI means, for the people who read it: label, unit, meaning, formula in words, settled readings.

The texts follow ``kpi-definitions.md`` (its section in brackets); ``docs/kpis.md`` is generated from them and a test
keeps it current. Units: ``count``, ``rate`` (a fraction, shown as a percentage), ``money`` (the portal's currency),
``days`` and ``ratio`` (a multiple, shown with ×).
"""

from __future__ import annotations

from dataclasses import dataclass

UNITS = ("count", "rate", "money", "days", "ratio")
CONTACT_DATA = "contacts with their lifecycle stage dates and history"
SOURCES = "the contacts' original source (hs_analytics_source) and first-touch campaign"
DEAL_DATA = "deals with their pipeline stages, amounts, close dates and contacts"
SPEND = "campaign spend (the Campaigns API: Marketing Hub Professional or Enterprise)"
ENGAGEMENTS = "calls, emails and meetings with their contacts"
OWNERS = "owners, and the contacts' owner and assignment date"


@dataclass(frozen=True)
class About:
    label: str
    unit: str
    meaning: str  # one line: what the number tells
    formula: str  # in words
    needs: tuple[str, ...]  # the CRM data it is computed from
    readings: tuple[str, ...] = ()  # choices settled where the definitions leave room


ABOUT: dict[str, About] = {
    # A. volume and quality of the funnel
    "new_leads": About(
        "New leads", "count", "Contacts who became leads in the period, by channel or campaign on request.",
        "contacts whose lead entry (implied or recorded) falls in the period and before as_of [A1]",
        (CONTACT_DATA, SOURCES),
        ("A contact created as MQL, SQL or opportunity is still a new lead at that moment; one imported straight as "
         "a customer never is.",)),
    "mql_count": About(
        "MQLs", "count", "Contacts who reached the marketing-qualified stage in the period.",
        "contacts whose MQL entry (implied or recorded) falls in the period and before as_of [A2]",
        (CONTACT_DATA, SOURCES, OWNERS),
        ("A lead that sales qualified directly (lead → SQL) counts here, by implied pass-through; see MQL hand-offs "
         "for marketing's own.",)),
    "mql_handoffs": About(
        "MQL hand-offs", "count", "Leads marketing actually handed to sales as MQLs in the period.",
        "contacts whose recorded MQL entry falls in the period and before as_of [A2]",
        (CONTACT_DATA, SOURCES, OWNERS),
        ("Only recorded MQL entries count, in every mode: a lead that skipped MQL is not marketing's hand-off.",
         "A re-entry into MQL counts once, at the first entry.")),
    "mql_rejection_rate": About(
        "MQL rejection rate", "rate", "Share of the period's MQLs that sales rejected.",
        "MQLs of the period whose lead status is disqualified ÷ MQLs of the period [A3]",
        (CONTACT_DATA, "the contacts' lead status (hs_lead_status)"),
        ("Disqualified means a lead status in SMARKETING_DISQUALIFIED_LEAD_STATUSES (default UNQUALIFIED).",
         "Lead status has no history in the mirror: its current value is used.")),
    "sql_count": About(
        "SQLs", "count", "Contacts who reached the sales-qualified stage in the period.",
        "contacts whose SQL entry (implied or recorded) falls in the period and before as_of [A4]",
        (CONTACT_DATA, SOURCES, OWNERS)),
    # B. conversion
    "mql_to_sql_rate": About(
        "MQL → SQL rate", "rate", "Of the contacts who became MQLs in the period, the share who became SQLs.",
        "MQL cohort of the period that reached SQL before as_of ÷ the MQL cohort [B1]",
        (CONTACT_DATA, SOURCES),
        ("A cohort rate: it follows the period's MQLs to as_of, and is flagged immature while they can still "
         "convert.", "Compare mql_to_sql_period_ratio, which divides two counts of the same period.")),
    "mql_to_sql_period_ratio": About(
        "SQLs per MQL in the period", "rate",
        "SQLs of the period divided by MQLs of the period: a quick ratio that mixes cohorts and can exceed 100 %.",
        "SQLs in the period ÷ MQLs in the period [B1, the 'any stages' funnel]",
        (CONTACT_DATA, SOURCES),
        ("Reported only because it is asked for by name; the MQL → SQL rate is the cohort figure to steer by.",)),
    "lead_to_customer_rate": About(
        "Lead → customer rate", "rate", "Of the period's new leads, the share who became customers.",
        "lead cohort of the period that passed every stage to customer, in order, before as_of ÷ the lead cohort "
        "[B2]", (CONTACT_DATA, SOURCES),
        ("The four stage parts below multiply to it exactly: each part's denominator is the previous part's "
         "numerator.",)),
    "lead_to_mql_rate": About(
        "Lead → MQL rate", "rate", "Of the period's new leads, the share who became MQLs.",
        "lead cohort that reached MQL before as_of ÷ the lead cohort [B2]", (CONTACT_DATA, SOURCES)),
    "sql_to_opportunity_rate": About(
        "SQL → opportunity rate", "rate", "Of the period's leads who became SQLs, the share who became opportunities.",
        "lead cohort's SQLs that reached opportunity before as_of ÷ the lead cohort's SQLs [B2]",
        (CONTACT_DATA, SOURCES)),
    "opportunity_to_customer_rate": About(
        "Opportunity → customer rate", "rate",
        "Of the period's leads who became opportunities, the share who became customers.",
        "lead cohort's opportunities that reached customer before as_of ÷ the lead cohort's opportunities [B2]",
        (CONTACT_DATA, SOURCES)),
    "stage_velocity_days": About(
        "Days between stages", "days", "How long the period's new leads took from one stage to the next (median).",
        "median of (entry into the later stage − entry into the earlier one) over the lead cohort [B3]",
        (CONTACT_DATA,),
        ("Reported for lead→MQL, MQL→SQL, SQL→opportunity and opportunity→customer; the median of an even count is "
         "the mean of the middle two.",)),
    # C. sales results
    "win_rate": About(
        "Win rate", "rate", "Of the deals closed in the period, the share won.",
        "won ÷ (won + lost) over deals whose close date falls in the period [C1]", (DEAL_DATA, OWNERS),
        ("A deal reopened after closing is judged by its state at as_of.",
         "A closed deal without a close date is left out and counted (no_closedate).")),
    "avg_deal_size": About(
        "Average won deal size", "money", "The average amount of the deals won in the period.",
        "sum of known amounts of deals won in the period ÷ how many of them have a known amount [C2]", (DEAL_DATA,),
        ("A deal without an amount, or in another currency without HubSpot's home-currency amount, is left out and "
         "counted, never taken as 0.",)),
    "revenue": About(
        "Revenue (bookings)", "money", "The value of the deals won in the period: booked, not recognised revenue.",
        "sum of the known amounts of deals won with a close date in the period [C3]", (DEAL_DATA,),
        ("Deals without an amount or in another currency are left out and counted.",)),
    "daily_sales_vs_goal": About(
        "Sales vs goal, day by day", "rate",
        "Revenue so far in the month, each day, against the pro-rata monthly goal and last month's pace.",
        "per day d: revenue from the 1st to d ÷ (goal × d ÷ days in the month), with last month's revenue to the "
        "same day beside it [C4]", (DEAL_DATA, "the monthly revenue goal (SMARKETING_MONTHLY_GOAL)"),
        ("Covers the month that holds the period's first day, up to as_of; the goal per day is exact.",)),
    # D. cost and return
    "cost_per_lead": About(
        "Cost per lead", "money", "Marketing spend per new lead in the period.",
        "spend in the period ÷ new leads in the period; per campaign, that campaign's spend ÷ its first-touch leads "
        "[D1]", (SPEND, CONTACT_DATA, SOURCES),
        ("A campaign's spend is spread evenly over its days; one without an end date puts it all on its start date "
         "(flagged).", "Spend counts the period's days that began before as_of.")),
    "cost_per_opportunity": About(
        "Cost per opportunity", "money", "Marketing spend per new-business deal created in the period.",
        "spend in the period ÷ new-business deals created in the period [D2]", (SPEND, DEAL_DATA),
        ("Expansion deals are left out: they are not acquisition.",)),
    "cac": About(
        "Customer acquisition cost", "money", "Marketing (and sales) cost per new customer won in the period.",
        "(spend + sales cost in the period) ÷ new customer units whose first won deal closes in the period [D3]",
        (SPEND, DEAL_DATA, "sales cost per month (SMARKETING_SALES_COST_PER_MONTH, default 0: marketing CAC)"),
        ("A customer is a unit: the deal's primary company, else its attribution contact.",
         "A unit whose first won deal is existing business was a customer before the CRM knew it: left out.")),
    "marketing_roi": About(
        "Marketing ROI", "rate", "What each unit of spend returned in won revenue, net of the spend.",
        "(revenue of won deals attributed to a campaign − spend) ÷ spend [D4]", (SPEND, DEAL_DATA, SOURCES),
        ("First-touch attribution: a deal's campaign is its attribution contact's first-touch campaign.",
         "Every won deal attributed to the campaign counts, new business and expansion alike.")),
    # E. customers
    "clv": About(
        "Customer lifetime value", "money", "The average won revenue per customer over all time.",
        "mean over customer units with a known amount of the sum of their known won amounts [E1]", (DEAL_DATA,),
        ("Historical method; units with only unknown amounts are left out and counted.",)),
    "ltv_to_cac": About(
        "Lifetime value ÷ CAC", "ratio", "How many times a customer's value covers what it cost to win one.",
        "customer lifetime value ÷ customer acquisition cost [E1]", (SPEND, DEAL_DATA)),
    "retention_rate": About(
        "Customer retention", "rate", "Of the customers at the start of the period, the share still customers at its "
        "end.", "customers at the period's start still customers at its end ÷ customers at its start [E2]",
        (CONTACT_DATA, DEAL_DATA),
        ("The mirror has no company stage history: a company is a customer while one of its contacts is.",)),
    "upsell_revenue_share": About(
        "Expansion share of revenue", "rate", "The share of won revenue that came from existing customers.",
        "known amounts of won expansion deals ÷ known amounts of all won deals, closed in the period [E3]",
        (DEAL_DATA,),
        ("Expansion: dealtype existingbusiness, or a unit that had won a deal before this one was created.",)),
    "upsell_deal_share": About(
        "Expansion share of won deals", "rate", "The share of won deals that came from existing customers.",
        "won expansion deals ÷ won deals, closed in the period [E3]", (DEAL_DATA,)),
    "customer_engagement_rate": About(
        "Engaged customers", "rate", "Share of the customers at the period's end with some activity in the last 90 "
        "days.", "customer units with a call, email or meeting in the 90 days before the period's end ÷ customer "
        "units [E4]", (ENGAGEMENTS, DEAL_DATA), ("Calls, emails (incoming too) and meetings count; tasks do not.",)),
    "engagements_per_customer": About(
        "Engagements per customer", "count", "Average activity per customer in the period.",
        "calls, emails and meetings with customers in the period ÷ customer units at its end [E4]",
        (ENGAGEMENTS, DEAL_DATA)),
    # F. marketing-sales SLA
    "mqls_per_rep": About(
        "MQL hand-offs per rep", "count", "Marketing's side of the SLA: hand-offs per active sales rep, against the "
        "target.", "MQL hand-offs in the period ÷ active reps; the target is SMARKETING_MQLS_PER_REP_PER_MONTH [F1]",
        (CONTACT_DATA, OWNERS),
        ("Active reps: owners of type PERSON, not archived, in SMARKETING_REP_TEAM if set, else every owner with "
         "contacts.",)),
    "sla_first_followup_rate": About(
        "First follow-up on time", "rate", "Sales' side of the SLA: the share of hand-offs followed up within the "
        "working hours allowed.", "hand-offs met ÷ (met + overdue + breached), over hand-offs whose deadline has "
        "passed [F2]", (CONTACT_DATA, OWNERS, ENGAGEMENTS),
        ("An overdue hand-off (deadline passed, no follow-up yet) counts as not met.",
         "A follow-up is an outbound call, a sent email or a meeting; the clock runs in working hours only.",
         "A hand-off with no owner at as_of is breached (unassigned).")),
    "sla_attempts_rate": About(
        "Follow-up attempts met", "rate", "Share of hand-offs that got the attempts owed within the window, or were "
        "qualified or disqualified in it.", "hand-offs with ≥ SMARKETING_SLA_ATTEMPTS outbound touches in the window, "
        "or that reached SQL or a disqualified status in it ÷ decided hand-offs [F3]",
        (CONTACT_DATA, OWNERS, ENGAGEMENTS)),
    "sla_both_rate": About(
        "Both SLA rules met", "rate", "Share of hand-offs that met the first follow-up and the attempts rule.",
        "hand-offs meeting F2 and F3 ÷ hand-offs decided on both [F2, F3]", (CONTACT_DATA, OWNERS, ENGAGEMENTS)),
    # G. planning
    "customers_needed": About(
        "New customers needed", "count", "How many new customers the revenue quota takes, at the recent revenue per "
        "customer.", "ceil(quota ÷ average new-business revenue per new customer unit in the planning window) [G1]",
        (DEAL_DATA, "the quota (SMARKETING_QUOTA)"),
        ("The window is the SMARKETING_PLANNING_WINDOW_MONTHS full months ending with the period asked.",)),
    "leads_needed": About(
        "Leads needed", "count", "How many new leads the quota takes, at the window's lead → customer rate.",
        "ceil(customers needed ÷ the unit-level lead → customer rate of the window) [G1]",
        (DEAL_DATA, CONTACT_DATA, "the quota (SMARKETING_QUOTA)"),
        ("The rate is unit-level: a deal with three contacts is one customer, not three.",)),
    "mqls_needed": About(
        "MQLs needed", "count", "How many MQLs the quota takes, at the window's MQL → customer rate.",
        "ceil(customers needed ÷ the unit-level MQL → customer rate of the window) [G1]",
        (DEAL_DATA, CONTACT_DATA, "the quota (SMARKETING_QUOTA)")),
    "sqls_needed": About(
        "SQLs needed", "count", "How many SQLs the quota takes, at the window's SQL → customer rate.",
        "ceil(customers needed ÷ the unit-level SQL → customer rate of the window) [G1]",
        (DEAL_DATA, CONTACT_DATA, "the quota (SMARKETING_QUOTA)")),
    # H. dashboard views
    "new_opportunities": About(
        "New opportunities", "count", "New-business deals created in the period, by source or campaign, with their "
        "value.", "new-business deals created in the period, grouped by the attribution contact's source or "
        "campaign; the sum of their known amounts in details [H3, H4]", (DEAL_DATA, SOURCES)),
    "sales_activity": About(
        "Sales activity", "count", "How many touches sales made, per rep and type, and how deeply each hand-off was "
        "worked.", "outbound calls, emails and meetings per owner in the period; touches per MQL hand-off in its "
        "first SMARKETING_SLA_WINDOW_DAYS days, and the share reaching SMARKETING_SLA_ATTEMPTS [H2]",
        (ENGAGEMENTS, OWNERS, CONTACT_DATA),
        ("Activity per owner counts the engagement's owner; touches per hand-off count every touch on the contact in "
         "the SLA window.",)),
}
