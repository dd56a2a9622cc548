"""The per-record values the worker writes back into the CRM, as HubSpot property strings (None clears).

Contacts get their explicit funnel stage and when they entered it (a timestamp, so HubSpot reports can compute
time in stage without a daily rewrite of every contact), their first-touch source, their SLA state and, for
duplicates by normalised email, the id of the record that is kept. Deals get their attribution, their days to
close and whether they are new business or expansion. Names are without the caller's ``smk_`` prefix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction
from math import floor
from typing import Any

from .clock import next_clock_change
from .config import KpiConfig
from .context import KpiContext
from .deals import deal_facts
from .funnel import refresh
from .periods import Period, parse_iso
from .planning import MonthWindow
from .sla import assess, contact_sla

CONTACT_FIELDS = ("funnel_stage", "stage_entered_at", "source_bucket", "sla_status", "first_followup_hours",
                  "followup_attempts", "duplicate_of")
DEAL_FIELDS = ("lead_source", "campaign", "days_to_close", "deal_kind")
SLA_STATUSES = ("met", "pending", "overdue", "breached", "not_applicable")
SLA_LOOKBACK_MONTHS = 12  # the SLA status of hand-offs older than this is not_applicable


@dataclass
class WantedValues:
    """The values wanted in the CRM: (record id, {field: value}) for contacts and for deals, produced lazily, and
    the first instant at which the clock alone may change one of them or a KPI record (see :mod:`kpi.clock`)."""

    contacts: Iterator[tuple[int, dict[str, str | None]]]
    deals: Iterator[tuple[int, dict[str, str | None]]]
    next_clock_change: Callable[[], datetime]


def writeback_values(db: Any, config: KpiConfig, now: datetime,
                     should_stop: Callable[[], bool] | None = None) -> WantedValues:
    """Every contact's and deal's wanted values as of ``now`` (the funnel refreshed first, see ``refresh`` for
    ``should_stop``).

    The SLA fields cover the MQL hand-offs of the last 12 months, the current one included.
    """
    refresh(db, config, should_stop)
    ctx = _lookback(db, config, now)
    return WantedValues(contact_values(ctx), deal_values(ctx), lambda: next_clock_change(ctx, assess(ctx)))


def clock_change(db: Any, config: KpiConfig, now: datetime) -> datetime:
    """The first instant from ``now`` on at which the clock alone may change a wanted value or a KPI result (the
    funnel as it is: refresh it first)."""
    ctx = _lookback(db, config, now)
    return next_clock_change(ctx, assess(ctx))


def _lookback(db: Any, config: KpiConfig, now: datetime) -> KpiContext:
    """The months whose hand-offs have an SLA status, the current one included."""
    month = Period.containing("month", now.astimezone(UTC).date(), config.time_zone)
    return KpiContext(db, config, MonthWindow.ending_with(month, SLA_LOOKBACK_MONTHS), now)

# Duplicates among live, non-merged contacts: the email lower-cased and stripped, a "+tag" dropped from the local
# part (gmail dots are kept: elsewhere they matter). The oldest record of a group is kept (unknown createdate last,
# ties to the smallest id); every other one points at it.
_CONTACTS = """
WITH live AS (
    SELECT id, createdate, lower(trim(email, char(32, 9, 10, 13))) AS email FROM contacts
    WHERE archived = 0 AND merged_into IS NULL AND email IS NOT NULL
),
normalised AS (
    SELECT id, createdate,
           CASE WHEN instr(substr(email, 1, instr(email, '@') - 1), '+') > 0
                THEN substr(email, 1, instr(email, '+') - 1) || substr(email, instr(email, '@'))
                ELSE email END AS email
    FROM live WHERE instr(email, '@') > 1
),
duplicates AS MATERIALIZED (
    SELECT id, kept FROM (
        SELECT id, FIRST_VALUE(id) OVER (PARTITION BY email ORDER BY createdate IS NULL, createdate, id) AS kept
        FROM normalised
    ) WHERE id <> kept
)
SELECT cf.contact_id, cf.current_stage, cf.entered_current_at, cf.source, d.kept
FROM contact_funnel cf LEFT JOIN duplicates d ON d.id = cf.contact_id
ORDER BY cf.contact_id
"""


def contact_values(ctx: KpiContext) -> Iterator[tuple[int, dict[str, str | None]]]:
    """Every contact of the KPI population, by id; the SLA fields cover the MQL hand-offs of ``ctx.period``."""
    sla = contact_sla(ctx)
    for row in ctx.rows(_CONTACTS):
        status, hours, attempts = sla.get(row["contact_id"], ("not_applicable", None, None))
        yield row["contact_id"], {
            "funnel_stage": row["current_stage"],
            "stage_entered_at": row["entered_current_at"],
            "source_bucket": row["source"],
            "sla_status": status,
            "first_followup_hours": _one_decimal(hours) if hours is not None else None,
            "followup_attempts": str(attempts) if attempts is not None else None,
            "duplicate_of": str(row["kept"]) if row["kept"] is not None else None,
        }


def deal_values(ctx: KpiContext) -> Iterator[tuple[int, dict[str, str | None]]]:
    """Every live deal in scope, by id."""
    table = deal_facts(ctx)
    for row in ctx.rows(f"SELECT deal_id, closed, createdate, closedate, source, campaign, kind FROM temp.{table} "
                        "ORDER BY deal_id"):
        days = None
        if row["closed"] and row["createdate"] and row["closedate"]:
            elapsed = parse_iso(row["closedate"]) - parse_iso(row["createdate"])
            days = str(elapsed.days) if elapsed.days >= 0 else None  # closed before it was created: unknown
        yield row["deal_id"], {"lead_source": row["source"], "campaign": row["campaign"], "days_to_close": days,
                               "deal_kind": row["kind"]}


def _one_decimal(value: Fraction) -> str:
    """Half up to one decimal place, without a trailing ``.0``: 3.25 -> "3.3", 2 -> "2"."""
    tenths = floor(value * 10 + Fraction(1, 2))
    whole, tenth = divmod(tenths, 10)
    return f"{whole}.{tenth}" if tenth else str(whole)
