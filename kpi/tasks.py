"""SLA follow-up tasks (issue 18): which tasks each MQL hand-off wants in its rep's queue, and whether their work
is done. Pure over the mirror, from the same SLA assessment as the compliance figures (:mod:`kpi.sla`).

Two tasks a hand-off may get, each at most once (its ``key`` says which hand-off and which task):

- ``first_followup``: due at the SLA deadline; wanted from ``lead_hours`` working hours before it (or at once, if
  the deadline is nearer than that), until the first follow-up is logged.
- ``attempts``: wanted from halfway through the attempt window while fewer than half the attempts were made,
  until enough are, or the lead is qualified or disqualified.

A hand-off without an owner, or whose owner is archived, wants no task (``skip`` says why). Only hand-offs
that started after ``since`` (when the feature was turned on), or whose window is still open, want one.
Tasks never count as follow-ups or as activity (definitions §2.F2), so the worker's own tasks change no KPI.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from .config import KpiConfig
from .context import KpiContext
from .export import Names
from .periods import Period, iso
from .planning import MonthWindow
from .sla import Assessment, assess
from .worktime import add_working_hours

FIRST, ATTEMPTS = "first_followup", "attempts"
NO_OWNER, ARCHIVED_OWNER = "no_owner", "archived_owner"

_CONTACTS = """
SELECT c.id, c.firstname, c.lastname, c.email, cf.source, cf.campaign, cf.current_stage,
       o.id AS owner_known, o.archived AS owner_archived
FROM contact_funnel cf JOIN contacts c ON c.id = cf.contact_id
LEFT JOIN owners o ON o.id = cf.owner_id
WHERE cf.contact_id IN (SELECT value FROM json_each(:ids))
"""


@dataclass(frozen=True)
class HandoffTask:
    """One task a hand-off wants, or had: what it says, when it is due, and whether its work is done."""

    key: str  # kind:contact:start, unique per hand-off and task, ever
    kind: str  # first_followup | attempts
    contact_id: int
    owner_id: int | None
    start: datetime  # when the hand-off's SLA clock started
    due_at: datetime
    wanted_from: datetime  # from when it should be in the queue
    subject: str
    body: str
    done: str | None  # why its work is over: followed_up | attempts_made | qualified | disqualified; None: open
    done_at: datetime | None  # when the work was done, where known (the first follow-up)
    skip: str | None  # why it gets no task at all: no_owner | archived_owner

    def wanted(self, now: datetime, since: datetime | None, window_end: datetime) -> bool:
        """Should be created now: due soon or overdue, work open, someone to do it, and in the feature's scope."""
        in_scope = since is None or self.start >= since or now <= window_end
        return self.done is None and self.skip is None and now >= self.wanted_from and in_scope


@dataclass(frozen=True)
class TaskPlan:
    tasks: list[HandoffTask]
    window_ends: dict[int, datetime]  # contact id -> end of its hand-off's attempt window

    def to_create(self, now: datetime, since: datetime | None) -> list[HandoffTask]:
        return [t for t in self.tasks if t.wanted(now, since, self.window_ends[t.contact_id])]

    def clock_triggers(self, now: datetime) -> list[datetime]:
        """When a task not wanted yet becomes wanted: a cycle's clock trigger, as the SLA deadlines are."""
        return sorted({t.wanted_from for t in self.tasks if t.done is None and t.skip is None and t.wanted_from > now})


def sla_tasks(db: object, config: KpiConfig, now: datetime, *, lead_hours: Decimal | int) -> TaskPlan:
    """Every hand-off task of the hand-offs whose attempt window is open or ended within the last month.

    Reads the funnel tables as they are (the caller refreshes them, as a push does first).
    """
    months = math.ceil((config.sla_window_days + 31) / 28) + 1
    month = Period.containing("month", now.astimezone(UTC).date(), config.time_zone)
    ctx = KpiContext(db, config, MonthWindow.ending_with(month, months), now)
    assessed = [a for a in assess(ctx) if a.start is not None and a.window_end is not None
                and a.window_end + timedelta(days=31) >= now]
    ids = "[" + ",".join(str(a.contact_id) for a in assessed) + "]"
    about = {row["id"]: row for row in ctx.rows(_CONTACTS, {"ids": ids})}
    names = Names(db)
    tasks: list[HandoffTask] = []
    for a in assessed:
        row = about.get(a.contact_id)
        if row is None or a.start is None or a.deadline is None or a.window_end is None:
            continue
        words = _Words(config, now, row, names)
        skip = NO_OWNER if a.status == "breached" and a.reason == "unassigned" else \
            ARCHIVED_OWNER if not row["owner_known"] or row["owner_archived"] else None
        tasks.append(_first(a, a.start, a.deadline, config, lead_hours, words, skip))
        tasks.append(_attempts(a, a.start, a.window_end, config, words, skip))
    return TaskPlan(tasks, {a.contact_id: a.window_end for a in assessed if a.window_end is not None})


def _first(a: Assessment, start: datetime, deadline: datetime, config: KpiConfig, lead_hours: Decimal | int,
           words: _Words, skip: str | None) -> HandoffTask:
    limit = Fraction(config.sla_first_followup_hours)
    wanted_from = add_working_hours(start, max(Fraction(0), limit - Fraction(lead_hours)), config.working_hours,
                                    config.time_zone)
    done = "followed_up" if a.first_at is not None else _closed(a)
    rule = (f"SLA: a first follow-up (an outbound call, a sent email or a meeting) within "
            f"{_number(config.sla_first_followup_hours)} working hours of the hand-off.")
    return HandoffTask(f"{FIRST}:{a.contact_id}:{iso(start)}", FIRST, a.contact_id, a.owner_id, start, deadline,
                       wanted_from, f"First follow-up due {words.when(deadline)}: {words.who}", words.body(rule),
                       done, a.first_at, skip)


def _attempts(a: Assessment, start: datetime, window_end: datetime, config: KpiConfig, words: _Words,
              skip: str | None) -> HandoffTask:
    halfway = start + (window_end - start) / 2
    enough = 2 * a.attempts >= config.sla_attempts
    done = "attempts_made" if enough else _closed(a)
    owed = math.ceil(config.sla_attempts / 2)
    rule = (f"SLA: {config.sla_attempts} follow-up attempts within {config.sla_window_days} days; halfway, "
            f"{a.attempts} made, at least {owed} expected by now.")
    return HandoffTask(f"{ATTEMPTS}:{a.contact_id}:{iso(start)}", ATTEMPTS, a.contact_id, a.owner_id, start,
                       halfway, halfway,
                       f"More follow-up attempts due {words.when(halfway)} ({a.attempts} of "
                       f"{config.sla_attempts}): {words.who}", words.body(rule), done, None, skip)


def _closed(a: Assessment) -> str | None:
    return "disqualified" if a.disqualified else "qualified" if a.qualified else None


def _number(value: Decimal | int) -> str:
    return format(Decimal(value).normalize(), "f")


class _Words:
    """What a rep reads: a name, where the lead came from, a due time in the portal's time zone."""

    def __init__(self, config: KpiConfig, now: datetime, row: dict[str, object], names: Names) -> None:
        self.zone = ZoneInfo(config.time_zone)
        self.today = now.astimezone(self.zone).date()
        name = " ".join(str(p) for p in (row["firstname"], row["lastname"]) if p) or str(row["email"] or "")
        self.name = name or f"contact {row['id']}"
        self.source = names.value("source", str(row["source"] or "UNKNOWN"))
        self.campaign = names.value("campaign", str(row["campaign"])) if row["campaign"] else None
        self.stage = str(row["current_stage"])
        self.who = f"{self.name}, {(self.campaign or self.source).lower()} lead"

    def when(self, moment: datetime) -> str:
        local = moment.astimezone(self.zone)
        return f"{local:%H:%M}" if local.date() == self.today else f"{local:%a %d %b %H:%M}"

    def body(self, rule: str) -> str:
        lines = [f"Source: {self.source}", f"Campaign: {self.campaign or 'none'}", f"Stage: {self.stage}", rule,
                 "Created by smarketing-sync; it completes this task itself once the work is logged."]
        return "\n".join(lines)
