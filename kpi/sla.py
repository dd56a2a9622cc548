"""The marketing-sales SLA (definitions §2.F): hand-offs per rep, first follow-up and attempts per MQL hand-off.

Every MQL hand-off of the period (raw mql entry in P, whatever the mode: marketing passed it on) gets a clock
that starts when both the hand-off and the owner are there, and runs in working hours (:mod:`kpi.worktime`).
A follow-up is an outbound touch: an outbound call, a sent email, or any meeting. Only events before as_of count.
Rates are taken over decided contacts only (deadline or window over before as_of): a quick answer is decided
early and a missing one late, so counting undecided contacts would flatter recent periods.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from .context import KpiContext, segment
from .periods import parse_iso, prorate_monthly
from .registry import KpiSpec
from .reps import active_reps
from .result import KpiResult, ratio
from .shared import shared
from .worktime import add_working_hours, working_hours

STATUSES = ("met", "pending", "overdue", "breached")

_HANDOFFS = """
WITH handoffs AS (
    SELECT f.contact_id, cf.owner_id, cf.owner_assigned_at, cf.lead_status,
           MAX(f.raw_at, COALESCE(cf.owner_assigned_at, f.raw_at)) AS start
    FROM funnel f JOIN contact_funnel cf ON cf.contact_id = f.contact_id
    WHERE f.stage = 'mql' AND f.raw_at >= :p0 AND f.raw_at < :p1 AND f.raw_at < :as_of
),
windowed AS (SELECT h.*, strftime('%Y-%m-%dT%H:%M:%fZ', h.start, :window) AS window_end FROM handoffs h)
"""
_POPULATION = _HANDOFFS + """
SELECT w.*, s.{reached} AS sql_at FROM windowed w
LEFT JOIN funnel s ON s.contact_id = w.contact_id AND s.stage = 'sql'
ORDER BY w.contact_id
"""
# outbound touches from the clock's start to as_of; CROSS JOIN keeps SQLite from scanning all engagements
_TOUCHES = _HANDOFFS + """,
links AS (
    SELECT w.contact_id, w.start, w.window_end, ec.type, ec.engagement_id AS id
    FROM windowed w JOIN engagement_contacts ec ON ec.contact_id = w.contact_id
    UNION
    SELECT w.contact_id, w.start, w.window_end, e.type, e.id
    FROM windowed w JOIN engagements e ON e.contact_id = w.contact_id
)
SELECT l.contact_id, MIN(e.hs_timestamp) AS first_at, SUM(e.hs_timestamp <= l.window_end) AS attempts
FROM links l CROSS JOIN engagements e ON e.type = l.type AND e.id = l.id
WHERE e.archived = 0 AND e.hs_timestamp >= l.start AND e.hs_timestamp < :as_of
  AND (e.type = 'meeting' OR (e.type = 'call' AND e.direction = 'OUTBOUND')
       OR (e.type = 'email' AND e.direction = 'EMAIL'))
GROUP BY l.contact_id
"""


@dataclass(frozen=True)
class Assessment:
    """One hand-off's SLA state at as_of: first follow-up (F2) and attempts (F3)."""

    contact_id: int
    owner_id: int | None
    status: str  # F2: met | pending | overdue | breached
    reason: str | None  # unassigned | late | no_followup, for breached
    first_followup_hours: Fraction | None
    attempts: int
    followup_decided: bool  # the F2 deadline is before as_of
    attempts_met: bool
    attempts_decided: bool  # the F3 window ended before as_of
    start: datetime | None = None  # when the clock started
    deadline: datetime | None = None  # the F2 deadline
    window_end: datetime | None = None  # the end of the F3 window
    first_at: datetime | None = None  # the first follow-up, if any
    qualified: bool = False  # reached sql within the window, before as_of
    disqualified: bool = False  # a lead status of the disqualified set


def assess(ctx: KpiContext) -> list[Assessment]:
    """The SLA state of every MQL hand-off of the period, once per context."""
    key = ("sla.assess", ctx.period.bounds, ctx.as_of_iso, ctx.strict, repr(ctx.config))
    return shared(ctx.db, key, lambda: _assess(ctx))


def contact_sla(ctx: KpiContext) -> dict[int, tuple[str, Fraction | None, int]]:
    """Contact id -> (F2 status, working hours to the first follow-up, F3 attempts), for the write-back."""
    return {a.contact_id: (a.status, a.first_followup_hours, a.attempts) for a in assess(ctx)}


def _assess(ctx: KpiContext) -> list[Assessment]:
    config, as_of = ctx.config, ctx.as_of
    limit = Fraction(config.sla_first_followup_hours)
    window = {"window": f"+{config.sla_window_days} days"}
    touches = {row["contact_id"]: row for row in ctx.rows(_TOUCHES, window)}
    # deadlines and working hours by instant, shared by the overlapping periods a plan assesses
    deadlines: dict[datetime, datetime] = shared(ctx.db, ("sla.deadlines", repr(config)), dict)
    spans: dict[tuple[datetime, datetime], Fraction] = shared(ctx.db, ("sla.hours", repr(config)), dict)
    out = []
    for row in ctx.rows(_POPULATION.format(reached=ctx.reached), window):
        touched = touches.get(row["contact_id"], {"first_at": None, "attempts": 0})
        start = parse_iso(row["start"])
        window_end = start + timedelta(days=config.sla_window_days)
        deadline = deadlines.get(start)
        if deadline is None:
            deadline = deadlines[start] = add_working_hours(start, limit, config.working_hours, config.time_zone)
        hours = None
        if touched["first_at"] is not None:
            first = parse_iso(touched["first_at"])
            hours = spans.get((start, first))
            if hours is None:
                hours = spans[start, first] = working_hours(start, first, config.working_hours, config.time_zone)
        unassigned = row["owner_id"] is None or (row["owner_assigned_at"] or "") >= ctx.as_of_iso
        status: str
        reason: str | None
        if unassigned:
            status, reason = "breached", "unassigned"
        elif hours is not None:
            late = hours > limit
            status, reason = ("breached", "late") if late else ("met", None)
        elif deadline >= as_of:
            status, reason = "pending", None
        elif as_of <= window_end:
            status, reason = "overdue", None
        else:
            status, reason = "breached", "no_followup"
        qualified = row["sql_at"] is not None and row["sql_at"] < ctx.as_of_iso and row["sql_at"] <= row["window_end"]
        disqualified = row["lead_status"] in config.disqualified_statuses
        attempts_met = touched["attempts"] >= config.sla_attempts or qualified or disqualified
        first_at = parse_iso(touched["first_at"]) if touched["first_at"] is not None else None
        out.append(Assessment(row["contact_id"], row["owner_id"], status, reason, hours, touched["attempts"],
                              deadline < as_of, attempts_met, window_end < as_of, start, deadline, window_end,
                              first_at, qualified, disqualified))
    return out


def _by_owner(ctx: KpiContext, by: str | None,
              build: Callable[[str, list[Assessment]], KpiResult]) -> list[KpiResult]:
    everyone = assess(ctx)
    if by is None:
        return [build("all", everyone)]
    groups: dict[int | None, list[Assessment]] = {}
    for a in everyone:
        groups.setdefault(a.owner_id, []).append(a)
    return [build(segment(by, owner), groups[owner]) for owner in sorted(groups, key=lambda o: (o is None, o or 0))]


def _counts(statuses: Iterable[str], keys: Iterable[str]) -> dict[str, int]:
    counted = Counter(statuses)
    return {key: counted[key] for key in keys}


def sla_first_followup_rate(ctx: KpiContext, by: str | None) -> list[KpiResult]:
    """F2 compliance: met / decided, where overdue counts against (it can no longer be met)."""
    def build(seg: str, group: list[Assessment]) -> KpiResult:
        decided = [a for a in group if a.followup_decided]
        met = sum(a.status == "met" for a in decided)
        # Any: these go to ratio's **details, and no status is named like one of its options
        details: dict[str, Any] = _counts((a.status for a in group), STATUSES)
        details["unassigned"] = sum(a.reason == "unassigned" for a in group)
        return ratio("sla_first_followup_rate", ctx.label, seg, met, len(decided), ctx.as_of_iso,
                     empty="no hand-off has reached its deadline", **details)
    return _by_owner(ctx, by, build)


def sla_attempts_rate(ctx: KpiContext, by: str | None) -> list[KpiResult]:
    """F3 compliance over the hand-offs whose window is over."""
    def build(seg: str, group: list[Assessment]) -> KpiResult:
        decided = [a for a in group if a.attempts_decided]
        states = ("met" if a.attempts_met else "breached" if a.attempts_decided else "pending" for a in group)
        met = sum(a.attempts_met for a in decided)
        counts: dict[str, Any] = _counts(states, ("met", "pending", "breached"))  # for **details, as above
        return ratio("sla_attempts_rate", ctx.label, seg, met, len(decided), ctx.as_of_iso,
                     empty="no hand-off window is over", **counts)
    return _by_owner(ctx, by, build)


def sla_both_rate(ctx: KpiContext, by: str | None) -> list[KpiResult]:
    """F2 and F3 both met, over the hand-offs where both are decided."""
    def build(seg: str, group: list[Assessment]) -> KpiResult:
        decided = [a for a in group if a.followup_decided and a.attempts_decided]
        met = sum(a.status == "met" and a.attempts_met for a in decided)
        return ratio("sla_both_rate", ctx.label, seg, met, len(decided), ctx.as_of_iso,
                     empty="no hand-off has both its deadline and its window over")
    return _by_owner(ctx, by, build)


def mqls_per_rep(ctx: KpiContext, by: str | None) -> list[KpiResult]:
    """F1: hand-offs (raw mql entries in P) per active rep, against the monthly target prorated to P."""
    handoffs = ctx.rows("SELECT COUNT(*) AS n FROM funnel f JOIN contact_funnel cf ON cf.contact_id = f.contact_id "
                        "WHERE f.stage = 'mql' AND f.raw_at >= :p0 AND f.raw_at < :p1 AND f.raw_at < :as_of")[0]["n"]
    reps = active_reps(ctx)
    target = prorate_monthly(ctx.config.mqls_per_rep_per_month, ctx.period.first, ctx.period.end)
    return [ratio("mqls_per_rep", ctx.label, "all", handoffs, reps, ctx.as_of_iso, unit="count",
                  empty="no active rep", target=int(target) if target.denominator == 1 else target)]


KPIS = [
    KpiSpec("mqls_per_rep", "sla", mqls_per_rep, (), "MQL hand-offs per active rep"),
    KpiSpec("sla_first_followup_rate", "sla", sla_first_followup_rate, ("owner",),
            "Share of MQL hand-offs followed up within the SLA's working hours"),
    KpiSpec("sla_attempts_rate", "sla", sla_attempts_rate, ("owner",),
            "Share of MQL hand-offs worked enough within the SLA window"),
    KpiSpec("sla_both_rate", "sla", sla_both_rate, ("owner",), "Share of MQL hand-offs meeting both SLA rules"),
]
